"""Budgets that follow the estimate: what a stack's AWS Budgets and cost alerts are, unless it says.

A stack that sets ``observability.cost.monthlyBudgetUsd``, ``dailyBudgetUsd`` or ``dailyUsd`` gets exactly that. One
that does not gets them from the cost its config implies (``configured.estimate_config``, the
same pricing as ``tierstack cost``) plus ``budgetHeadroomPercent``:

- the monthly budget covers the infrastructure at minimum size plus headroom. The budgets are
  filtered to the stack's ``Environment`` tag, and on-demand Bedrock calls carry no tags, so the
  tagged spend a monthly budget sees is the infrastructure: autoscaling past the headroom, or
  anything else that grows the bill, is what it reports.
- the daily budget is a day of that: the same tagged infrastructure, at minimum size, plus
  headroom, so a day that costs more than the stack should at rest is reported the next day
  rather than at the month's end.
- the agents' daily spend alert (``dailyUsd``, on ``agent_cost_usd_total``, which counts model
  calls) covers a day of the AI estimate (the usage profile's requests, tokens, cache hits and
  routing) plus headroom, critical at twice the warning as in the seed ($500/$1,000).

Every budget also carries the infrastructure estimate as the tag ``tierstack:estimated-monthly-usd``,
which the ``budget-below-estimate`` policy compares with the budget's limit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional

from tierstack.config.errors import MISSING, ConfigIssue, StackConfigError
from tierstack.cost.ai import estimate_stack_ai
from tierstack.cost.charges import MissingPrice
from tierstack.cost.configured import estimate_config
from tierstack.cost.prices import PriceBook, load_price_book
from tierstack.cost.usage import DAYS_PER_MONTH

if TYPE_CHECKING:
    from tierstack.config.model import StackConfig

# Seed: daily cost warning at $500, critical at $1,000.
CRITICAL_OVER_WARNING = 2
# The tag the budget-below-estimate policy reads (tierstack.policy.rules.cost, which the vendored
# pack cannot import from here, names it too; a test holds the two equal).
ESTIMATE_TAG = "tierstack:estimated-monthly-usd"
# The settings a stack may give itself instead of deriving them (observability.cost).
BUDGET_FIELDS = ("monthly_budget_usd", "daily_budget_usd", "daily_usd")


@dataclass(frozen=True)
class BudgetBasis:
    """The estimate budgets are derived from (USD a month)."""

    infrastructure_monthly: float
    infrastructure_monthly_high: float
    ai_monthly: float

    @property
    def infrastructure_daily(self) -> float:
        return self.infrastructure_monthly / DAYS_PER_MONTH

    @property
    def ai_daily(self) -> float:
        return self.ai_monthly / DAYS_PER_MONTH

    def tags(self) -> dict[str, str]:
        return {ESTIMATE_TAG: f"{self.infrastructure_monthly:.0f}"}


def budget_basis(config: "StackConfig", book: Optional[PriceBook] = None) -> BudgetBasis:
    book = book or load_price_book()
    infrastructure = estimate_config(config, book)
    ai = estimate_stack_ai(config, infrastructure.usage.requests_per_month, book)
    return BudgetBasis(infrastructure.total_monthly, infrastructure.total_monthly_high, ai.monthly)


def with_derived_budgets(config: "StackConfig", book: Optional[PriceBook] = None
                         ) -> tuple["StackConfig", Optional[BudgetBasis]]:
    """``config`` with the budget settings it leaves unset derived from its estimate, and that estimate
    (None when the snapshot cannot price the stack and the stack sets every budget itself).

    Raises ``StackConfigError`` naming the budget keys and the fix when the snapshot cannot price
    the stack (a region or size it does not cover) and the stack leaves a budget unset: the
    platform calls this before it registers anything.
    """
    try:
        basis = budget_basis(config, book)
    except MissingPrice as missing:
        if set(BUDGET_FIELDS) <= config.observability.cost.model_fields_set:
            return config, None
        raise StackConfigError(config.environment, [ConfigIssue(
            "tierstack:overrides.observability.cost.monthlyBudgetUsd", MISSING,
            f"the budgets are derived from the stack's cost estimate, but {missing}.",
            "set observability.cost.monthlyBudgetUsd, dailyBudgetUsd and dailyUsd (warning, critical) "
            "yourself, or refresh the price snapshot for these regions with `tierstack cost refresh-prices "
            f"--regions {' '.join(config.regions)}`.")]) from None
    cost = config.observability.cost
    given = cost.model_fields_set
    headroom = 1 + cost.budget_headroom_percent / 100
    update: dict[str, object] = {}
    if "monthly_budget_usd" not in given:
        update["monthly_budget_usd"] = float(math.ceil(basis.infrastructure_monthly * headroom))
    if "daily_budget_usd" not in given:
        update["daily_budget_usd"] = float(math.ceil(basis.infrastructure_daily * headroom))
    if "daily_usd" not in given:
        # At least a dollar: a stack that calls no model still gets a (never firing) alert level.
        warning = float(max(1, math.ceil(basis.ai_daily * headroom)))
        update["daily_usd"] = cost.daily_usd.model_copy(update={"warning": warning,
                                                                "critical": warning * CRITICAL_OVER_WARNING})
    if not update:
        return config, basis
    observability = config.observability.model_copy(update={"cost": cost.model_copy(update=update)})
    return config.model_copy(update={"observability": observability}), basis
