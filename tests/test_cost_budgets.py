"""Budgets follow the estimate: the config-based estimate agrees with the plan's, budgets derive from
it unless the stack sets them, and a policy advisory fires when a budget is below the estimate."""

from __future__ import annotations

import math

import pytest

from conftest import TIERS, cached_plan, project
from tierstack.config.loader import build_stack_config
from tierstack.cost.budgets import budget_basis, with_derived_budgets
from tierstack.cost.configured import estimate_config
from tierstack.cost.estimate import estimate_stack_plan
from tierstack.cost.prices import load_price_book
from tierstack.tooling.cost import stack_config
from tierstack.cost.usage import DAYS_PER_MONTH
from tierstack.policy.model import Context, Resource
from tierstack.policy.rules import RESOURCE_RULES
from tierstack.cost import budgets
from tierstack.policy.rules.cost import ESTIMATE_TAG
from tierstack.policy.runner import evaluate
from tierstack.tooling.gate import check_plan
from tierstack.tooling.plan import ANY_TIER_ASSUMPTIONS, plan_stack

BUDGET = "aws:budgets/budget:Budget"
# The config-based estimate leaves out the sundries whose count is a component detail (KMS keys,
# secrets, alarms, dashboards, budgets, WAF rules): never more than this share of the plan-based
# total, and at most SUNDRIES_AT_SCALE from the scale tier up, where compute and data dominate.
SUNDRIES = 0.04
SUNDRIES_AT_SCALE = 0.005
CASES = [("dev", None), ("staging", None), ("prod", None), *(("dev", tier) for tier in TIERS)]


@pytest.mark.parametrize("stack,tier", CASES)
def test_the_config_based_estimate_matches_the_plan_at_minimum_size(stack, tier):
    config = stack_config(project(), stack, tier=tier, config_overrides=ANY_TIER_ASSUMPTIONS if tier else None)
    book = load_price_book()
    from_plan = estimate_stack_plan(cached_plan(stack, tier).resources, config, book, stack=stack)
    from_config = estimate_config(config, book)
    tolerance = SUNDRIES_AT_SCALE if config.tier.value in ("scale", "enterprise", "hyperscale") else SUNDRIES
    for planned, configured in ((from_plan.total_monthly, from_config.total_monthly),
                                (from_plan.total_monthly_high, from_config.total_monthly_high)):
        assert 0 <= (planned - configured) / planned <= tolerance, (planned, configured)


def test_the_program_tags_budgets_with_the_tag_the_policy_reads():
    assert budgets.ESTIMATE_TAG == ESTIMATE_TAG


def test_budgets_the_stack_does_not_set_follow_the_estimate_plus_headroom():
    config = build_stack_config({"tier": "growth"}, stack="staging")
    derived, basis = with_derived_budgets(config)
    cost = derived.observability.cost
    assert cost.monthly_budget_usd == math.ceil(basis.infrastructure_monthly * 1.25)
    # The daily budget sees what the monthly one does (tagged infrastructure), a day of it.
    assert cost.daily_budget_usd == math.ceil(basis.infrastructure_monthly / DAYS_PER_MONTH * 1.25)
    # The agents' spend alert counts model calls: a day of the AI estimate.
    assert cost.daily_usd.warning == math.ceil(basis.ai_monthly / DAYS_PER_MONTH * 1.25)
    assert cost.daily_usd.critical == 2 * cost.daily_usd.warning
    assert basis.tags() == {ESTIMATE_TAG: f"{basis.infrastructure_monthly:.0f}"}
    # More users, a bigger bill, a bigger budget.
    busier, _ = with_derived_budgets(build_stack_config({"tier": "growth", "usage": {"concurrentUsers": 5000}},
                                                        stack="staging"))
    assert busier.observability.cost.monthly_budget_usd > cost.monthly_budget_usd
    assert busier.observability.cost.daily_usd.warning > cost.daily_usd.warning
    assert busier.observability.cost.daily_budget_usd > cost.daily_budget_usd


def test_budgets_set_in_the_stack_file_are_kept_and_headroom_is_a_setting():
    config = build_stack_config({"tier": "growth", "overrides": {"observability": {"cost": {
        "monthlyBudgetUsd": 1234, "budgetHeadroomPercent": 50}}}}, stack="staging")
    derived, basis = with_derived_budgets(config)
    assert derived.observability.cost.monthly_budget_usd == 1234
    assert derived.observability.cost.daily_usd.warning == math.ceil(basis.ai_daily * 1.5)
    assert derived.observability.cost.daily_budget_usd == math.ceil(basis.infrastructure_daily * 1.5)
    explicit = build_stack_config({"tier": "growth", "overrides": {"observability": {"cost": {
        "monthlyBudgetUsd": 1234, "dailyBudgetUsd": 40, "dailyUsd": {"warning": 10, "critical": 20}}}}},
        stack="staging")
    assert with_derived_budgets(explicit)[0] is explicit


def test_the_program_budgets_by_the_estimate_and_tags_it():
    config = stack_config(project(), "prod")
    basis = budget_basis(config)
    budgets = {r.inputs["timeUnit"]: r for r in cached_plan("prod").resources if r.type == BUDGET}
    assert budgets["MONTHLY"].inputs["limitAmount"] == f"{math.ceil(basis.infrastructure_monthly * 1.25)}"
    assert {r.inputs["tags"][ESTIMATE_TAG] for r in budgets.values()} == {f"{basis.infrastructure_monthly:.0f}"}
    assert not [v for v in check_plan(cached_plan("prod")).violations if v.rule == "budget-below-estimate"]


def _budget(limit: str, unit: str = "MONTHLY", estimate: str | None = "1000") -> Resource:
    tags = {"Environment": "prod", **({ESTIMATE_TAG: estimate} if estimate is not None else {})}
    return Resource(BUDGET, f"budget-{unit}-{limit}", {"limitAmount": limit, "timeUnit": unit, "tags": tags})


@pytest.mark.parametrize("budget,fires", [
    (_budget("999"), True),
    (_budget("1000"), False),
    (_budget("30", "DAILY"), True),  # $30 a day is $913 a month
    (_budget("40", "DAILY"), False),
    (_budget("10000", "ANNUALLY"), True),
    (_budget("1", estimate=None), False),  # not a tierstack budget: nothing to compare with
])
def test_an_advisory_fires_when_a_budget_is_below_the_estimate(budget, fires):
    found = [v for v in evaluate([budget], Context(), RESOURCE_RULES).violations if v.rule == "budget-below-estimate"]
    assert bool(found) is fires
    assert all(not v.mandatory for v in found)


def test_a_budget_set_below_the_estimate_is_reported_by_the_plan_gate():
    plan = plan_stack("dev", project=project(), config_overrides={
        "tierstack:overrides": {"observability": {"cost": {"monthlyBudgetUsd": 100}}}})
    found = [v for v in check_plan(plan).violations if v.rule == "budget-below-estimate"]
    assert [v.resource_name for v in found] == ["tierstack-dev-budgets-monthly"]
    assert "below the stack's estimated" in found[0].message and not found[0].mandatory


def test_a_region_the_snapshot_does_not_price_needs_budgets_set_before_anything_is_created(tmp_path):
    from tierstack.config import StackConfigError
    from tierstack.cost.prices import load_price_book
    from tierstack.tooling.plan import PlanConfigError, plan_stack
    from tierstack.tooling.stackfiles import find_project

    unpriced = "ap-southeast-2"
    assert unpriced not in load_price_book().regions
    raw = {"tier": "pilot", "regions": [unpriced]}
    config = build_stack_config(raw, stack="dev", home_region=unpriced, deployment=True)
    with pytest.raises(StackConfigError) as error:
        with_derived_budgets(config)
    message = str(error.value)
    assert "observability.cost.monthlyBudgetUsd" in message and f"--regions {unpriced}" in message
    given = {**raw, "overrides": {"observability": {"cost": {
        "monthlyBudgetUsd": 2000, "dailyBudgetUsd": 70, "dailyUsd": {"warning": 100, "critical": 200}}}}}
    derived, estimate = with_derived_budgets(build_stack_config(given, stack="dev", home_region=unpriced, deployment=True))
    assert estimate is None and derived.observability.cost.monthly_budget_usd == 2000

    # Through the program: refused before anything is registered, as a config error (exit 2 in the CLI).
    project = tmp_path / "project"
    project.mkdir()
    source = find_project().root
    (project / "Pulumi.yaml").write_text((source / "Pulumi.yaml").read_text())
    (project / "infra").symlink_to(source / "infra")
    (project / "Pulumi.dev.yaml").write_text(
        f"config:\n  aws:region: {unpriced}\n  tierstack:tier: pilot\n  tierstack:regions: [{unpriced}]\n")
    with pytest.raises(PlanConfigError) as planned:
        plan_stack("dev", project=find_project(project))
    assert f"--regions {unpriced}" in str(planned.value) and planned.value.resources_registered == 0
