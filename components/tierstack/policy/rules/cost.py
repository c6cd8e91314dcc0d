"""Cost guardrails: a budget set below what the stack is estimated to cost alerts from day one.

The estimate reaches the rule on the budget itself: a tierstack stack tags each of its AWS
Budgets with ``tierstack:estimated-monthly-usd``, the monthly cost its config implies at minimum
size (``tierstack.cost.budgets``, computed by the program when it builds the budgets). The rule
compares that tag with the budget's own limit, both properties of the one resource, so it
decides the same way offline, in ``pulumi preview --policy-pack`` and in a copied pack with no
tierstack installed. A budget without the tag (any other program's) is not judged.
"""

from __future__ import annotations

from tierstack.policy.model import Severity, rule
from tierstack.policy.props import get

BUDGET = "aws:budgets/budget:Budget"
ESTIMATE_TAG = "tierstack:estimated-monthly-usd"
# Budget periods in months; AWS prices a month as 730 hours (30.42 days).
MONTHS_PER_PERIOD = {"DAILY": 24 / 730, "MONTHLY": 1.0, "QUARTERLY": 3.0, "ANNUALLY": 12.0}


def _number(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


@rule("budget-below-estimate",
      f"A budget tagged with the stack's estimated cost ({ESTIMATE_TAG}) allows at least that much, "
      "so it does not notify from the first day at the stack's minimum size.",
      Severity.MEDIUM,
      "Raise the budget to the estimate plus headroom, or remove observability.cost.monthlyBudgetUsd/dailyUsd "
      "from the stack file so tierstack derives it from the estimate; `tierstack cost -s STACK` shows where the "
      "money goes.",
      BUDGET)
def budget_below_estimate(resource, context):
    estimate = _number(get(resource.props, f"tags.{ESTIMATE_TAG}"))
    limit = _number(get(resource.props, "limitAmount"))
    period = str(get(resource.props, "timeUnit") or "MONTHLY")
    if estimate is None or limit is None or period not in MONTHS_PER_PERIOD:
        return
    monthly_limit = limit / MONTHS_PER_PERIOD[period]
    if monthly_limit < estimate:
        yield (f"the {period.lower()} limit of ${limit:,.0f} comes to ${monthly_limit:,.0f} a month, below the "
               f"stack's estimated ${estimate:,.0f} a month at its minimum size")
