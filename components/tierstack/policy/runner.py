"""Run rules over a set of resources, the way the policy engine would during preview."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Sequence

from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from tierstack.policy.model import Context, Evaluation, Resource, Rule, StackRule, Violation


def proxied(resource: Resource) -> Resource:
    """The resource with props behind pulumi_policy's unknown-checking proxy, as the engine passes them."""
    return replace(resource, props=unknown_checking_proxy(dict(resource.props)))


def evaluate(resources: Sequence[Resource], context: Context, rules: Iterable[Rule],
             stack_rules: Iterable[StackRule] = ()) -> Evaluation:
    evaluation = Evaluation()
    views = [proxied(r) for r in resources]
    for rule in rules:
        if context.profile not in rule.profiles:
            continue
        for resource in views:
            if not rule.applies_to(resource.type):
                continue
            try:
                messages = list(rule.check(resource, context))
            except UnknownValueError as unknown:
                evaluation.undecided.append((rule.name, resource.name, unknown.message))
                continue
            evaluation.violations.extend(_violation(rule, resource, m) for m in messages)
    for rule in stack_rules:
        if context.profile not in rule.profiles:
            continue
        try:
            found = list(rule.check(views, context))
        except UnknownValueError as unknown:
            evaluation.undecided.append((rule.name, "(stack)", unknown.message))
            continue
        evaluation.violations.extend(_violation(rule, resource, m) for resource, m in found)
    evaluation.violations.sort(key=lambda v: (v.severity.rank, v.rule, v.resource_name))
    return evaluation


def _violation(rule: Rule | StackRule, resource: Resource, message: str) -> Violation:
    return Violation(rule.name, rule.severity, rule.mandatory, resource.type, resource.name, resource.urn, message)
