"""Every rule tierstack enforces, collected from the domain modules."""

from __future__ import annotations

from types import ModuleType

from tierstack.policy.model import Rule, StackRule
from tierstack.policy.rules import cluster, cost, data, edge, kubernetes, network, platform

_MODULES: tuple[ModuleType, ...] = (cluster, network, platform, data, edge, kubernetes, cost)


def _collect(kind: type) -> list:
    found = []
    for module in _MODULES:
        found.extend(value for value in vars(module).values() if isinstance(value, kind))
    return found


RESOURCE_RULES: list[Rule] = _collect(Rule)
STACK_RULES: list[StackRule] = _collect(StackRule)
ALL_RULES: list[Rule | StackRule] = [*RESOURCE_RULES, *STACK_RULES]
