"""The CrossGuard adapter: the same rules as ``pulumi_policy`` policies.

``build_policies`` is all the pack's ``__main__.py`` needs; it is a function so tests can build
the policies (and the pack, with its server start replaced) without the Pulumi CLI. The pack
itself is this package vendored (``tierstack policy-pack export DIR``; see ``export.py``).
"""

from __future__ import annotations

from typing import Any, Mapping

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity as PolicySeverity,
    StackValidationArgs,
    StackValidationPolicy,
)

from tierstack_guardrails.model import PROFILES, Context, Resource, Rule, StackRule
from tierstack_guardrails.rules import RESOURCE_RULES, STACK_RULES

PACK_NAME = "tierstack-guardrails"

# Every policy takes the same two settings, from the policy config: `tierstack policy-config
# --stack S` writes them from a tierstack stack's own config (so preview and the offline gate
# judge with the same context), `--profile/--production` for any other program.
CONFIG_SCHEMA = PolicyConfigSchema(properties={
    "profile": {"type": "string", "enum": list(PROFILES), "default": "standard"},
    "production": {"type": "boolean", "default": False},
})


def context_from_config(config: Mapping[str, Any]) -> Context:
    """The policy's context from its policy config (``--policy-pack-config``), never from the
    program: ``profile`` (default standard) and ``production`` (default false)."""
    profile = config.get("profile", "standard")
    production = config.get("production", False)
    if isinstance(production, str):
        production = production.strip().lower() in {"true", "1", "yes"}
    return Context(profile=profile if profile in PROFILES else "standard", production=bool(production))


def enforcement(rule: Rule | StackRule) -> EnforcementLevel:
    return EnforcementLevel.MANDATORY if rule.mandatory else EnforcementLevel.ADVISORY


def _resource_validator(rule: Rule):
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if not rule.applies_to(args.resource_type):
            return
        context = context_from_config(args.get_config())
        if context.profile not in rule.profiles:
            return
        resource = Resource(args.resource_type, args.name, args.props, args.urn, protect=bool(args.opts.protect))
        for message in rule.check(resource, context):
            report_violation(message, args.urn)
    return validate


def _stack_validator(rule: StackRule):
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        context = context_from_config(args.get_config())
        if context.profile not in rule.profiles:
            return
        resources = [
            Resource(r.resource_type, r.name, r.props, r.urn,
                     parent=r.parent.urn if r.parent is not None else "", protect=bool(r.opts.protect),
                     property_dependencies=_property_dependencies(r))
            for r in args.resources
        ]
        for resource, message in rule.check(resources, context):
            report_violation(message, resource.urn)
    return validate


def _property_dependencies(resource: Any) -> dict[str, tuple[str, ...]]:
    """URNs per property from the engine's ``property_dependencies`` (resources, not URNs)."""
    wiring = getattr(resource, "property_dependencies", None) or {}
    return {key: tuple(d.urn for d in deps) for key, deps in wiring.items() if deps}


def _common(rule: Rule | StackRule) -> dict[str, Any]:
    return dict(
        name=rule.name,
        description=rule.description,
        enforcement_level=enforcement(rule),
        severity=PolicySeverity(rule.severity.value),
        remediation_steps=rule.remediation,
        config_schema=CONFIG_SCHEMA,
    )


def build_policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    policies: list[ResourceValidationPolicy | StackValidationPolicy] = [
        ResourceValidationPolicy(validate=_resource_validator(rule), **_common(rule)) for rule in RESOURCE_RULES
    ]
    policies.extend(StackValidationPolicy(validate=_stack_validator(rule), **_common(rule)) for rule in STACK_RULES)
    return policies


def policy_config(context: Context) -> dict[str, dict[str, Any]]:
    """The ``--policy-pack-config`` document for a stack: its context, for every policy."""
    return {rule.name: {"profile": context.profile, "production": context.production}
            for rule in [*RESOURCE_RULES, *STACK_RULES]}
