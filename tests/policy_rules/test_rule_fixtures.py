"""Every rule against its fixtures: compliant passes, violating fails with the expected
message, unknown values (as preview sees them) never crash a rule or invent a violation."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest

from tierstack.policy.model import Severity
from tierstack.policy.rules import ALL_RULES, RESOURCE_RULES, STACK_RULES
from tierstack.policy.runner import evaluate

FIXTURE_MODULES = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("fixtures_"))
FIXTURES = {}
for module_name in FIXTURE_MODULES:
    FIXTURES.update(importlib.import_module(f"{__package__}.{module_name}").FIXTURES)
RULES = {rule.name: rule for rule in ALL_RULES}


def _run(rule_name, case):
    rule = RULES[rule_name]
    if rule in STACK_RULES:
        return evaluate(case.resources, case.context, [], [rule])
    return evaluate(case.resources, case.context, [rule])


def _cases(kind):
    for rule_name, fixtures in sorted(FIXTURES.items()):
        for index, case in enumerate(getattr(fixtures, kind)):
            yield pytest.param(rule_name, case, id=f"{rule_name}-{case.label or index}")


@pytest.mark.parametrize("rule_name, case", _cases("compliant"))
def test_compliant_fixture_passes(rule_name, case):
    evaluation = _run(rule_name, case)
    assert evaluation.violations == [] and evaluation.undecided == []


@pytest.mark.parametrize("rule_name, case", _cases("violating"))
def test_violating_fixture_fails(rule_name, case):
    violations = _run(rule_name, case).violations
    assert violations, f"{rule_name} found nothing"
    assert {v.rule for v in violations} == {rule_name}
    if case.expect:
        assert any(case.expect in v.message for v in violations), [v.message for v in violations]
    assert all(v.urn for v in violations)


@pytest.mark.parametrize("rule_name, case", _cases("unknown"))
def test_unknown_values_never_crash_or_invent_a_violation(rule_name, case):
    evaluation = _run(rule_name, case)
    assert evaluation.violations == []


def test_every_rule_has_compliant_and_violating_fixtures():
    missing = [name for name in RULES if name not in FIXTURES
               or not FIXTURES[name].compliant or not FIXTURES[name].violating]
    assert not missing, f"rules without both fixture kinds: {missing}"
    assert not set(FIXTURES) - set(RULES), "fixtures for rules that do not exist"


def test_rules_are_unique_and_fully_described():
    names = [rule.name for rule in ALL_RULES]
    assert len(names) == len(set(names))
    for rule in ALL_RULES:
        assert rule.name == rule.name.lower() and " " not in rule.name
        assert isinstance(rule.severity, Severity)
        assert len(rule.description) > 20 and len(rule.remediation) > 20, rule.name
        assert rule.mandatory == (rule.severity in (Severity.CRITICAL, Severity.HIGH))
    for rule in RESOURCE_RULES:
        assert rule.resource_types and all(":" in t for t in rule.resource_types), rule.name
