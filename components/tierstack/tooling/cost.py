"""A stack file's estimate: plan it offline, read its config the way the program does, price the plan.

The only module of ``tierstack.cost`` that runs the program (through ``tierstack.tooling.plan``);
everything else prices what it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

from tierstack.catalog.aws import SEED_REGIONS
from tierstack.config import build_stack_config
from tierstack.config.loader import raw_from_engine_config
from tierstack.config.model import StackConfig
from tierstack.config.tiers import PRESETS, TIER_ORDER, Tier
from tierstack.cost.estimate import Estimate, estimate_stack_plan
from tierstack.cost.prices import PriceBook, load_price_book
from tierstack.tooling.plan import ANY_TIER_ASSUMPTIONS, Plan, plan_stack
from tierstack.tooling.stackfiles import Project, engine_config, merged_config_value


def stack_config(project: Project, stack: str, *, tier: Optional[str] = None,
                 config_overrides: Optional[Mapping[str, Any]] = None) -> StackConfig:
    """The validated config ``plan_stack`` runs the program with, for the same arguments."""
    values, _ = engine_config(project, stack)
    for key, value in (config_overrides or {}).items():
        values[key] = merged_config_value(values.get(key), value)
    return build_stack_config(raw_from_engine_config(values), stack=stack, home_region=values.get("aws:region"),
                              tier_override=tier)


@dataclass(frozen=True)
class PricedPlan:
    plan: Plan
    config: StackConfig
    estimate: Estimate


def price_stack(project: Project, stack: str, *, tier: Optional[str] = None,
                config_overrides: Optional[Mapping[str, Any]] = None, book: Optional[PriceBook] = None) -> PricedPlan:
    plan = plan_stack(stack, project=project, tier=tier, config_overrides=config_overrides)
    config = stack_config(project, stack, tier=tier, config_overrides=config_overrides)
    estimate = estimate_stack_plan(plan.resources, config, book or load_price_book(), stack=stack)
    return PricedPlan(plan, config, estimate)


def tier_overrides(project: Project, stack: str, tier: Tier) -> dict[str, Any]:
    """What planning ``stack`` at ``tier`` assumes: the account assumptions any tier needs, and, when the
    stack lists fewer regions than the tier asks for, its regions followed by the seed regions."""
    overrides: dict[str, Any] = dict(ANY_TIER_ASSUMPTIONS)
    listed = raw_from_engine_config(engine_config(project, stack)[0]).get("regions")
    wanted = PRESETS[tier]["regionCount"]
    if isinstance(listed, list) and len(listed) < wanted:
        overrides["tierstack:regions"] = [*listed, *[r for r in SEED_REGIONS if r not in listed]][:wanted]
    return overrides


def price_tiers(project: Project, stack: str, *, book: Optional[PriceBook] = None) -> list[PricedPlan]:
    """The stack planned and priced at each of the five tiers (see ``tier_overrides``)."""
    book = book or load_price_book()
    return [price_stack(project, stack, tier=tier.value, config_overrides=tier_overrides(project, stack, tier), book=book)
            for tier in TIER_ORDER]


__all__ = ["PricedPlan", "price_stack", "price_tiers", "stack_config", "tier_overrides"]
