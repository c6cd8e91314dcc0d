"""The URN inventory: every resource a stack's plan registers, by the URN the engine gives it.

A resource's URN is its identity: change its name, type or parent chain and ``pulumi up``
deletes the real thing and creates a new one. The checked-in ``inventory/<stack>.txt`` (and
``inventory/<stack>@<tier>.txt``) files are the contract; ``compare`` says what a change adds
and removes, and counts a removed URN that a current resource claims as an alias as renamed.

URNs here are engine URNs (``engine.engine_urn``): what ``pulumi stack export`` lists, not the
monitor URNs the offline plan uses as keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional, Union

from tierstack.tooling.engine import PlannedResource, ProgramRun, engine_urn, urn_parts
from tierstack.tooling.plan import Plan

INVENTORY_DIR = "inventory"

Registrations = Union[Plan, ProgramRun, Iterable[PlannedResource]]


def _resources(plan: Registrations) -> list[PlannedResource]:
    if isinstance(plan, (Plan, ProgramRun)):
        return list(plan.resources)
    return list(plan)


def engine_urns(plan: Registrations) -> dict[str, str]:
    """Each registered resource's monitor URN -> its engine URN (the root stack is not registered)."""
    resources = _resources(plan)
    by_urn = {r.urn: r for r in resources}
    resolved: dict[str, str] = {}

    def resolve(resource: PlannedResource) -> str:
        if resource.urn not in resolved:
            parent = by_urn.get(resource.parent)
            # Parents register before their children; a parent not recorded is the root stack.
            parent_urn = resolve(parent) if parent is not None else resource.parent
            stack, project, _, _ = urn_parts(resource.urn)
            resolved[resource.urn] = engine_urn(stack, project, parent_urn, resource.type, resource.name)
        return resolved[resource.urn]

    for resource in resources:
        resolve(resource)
    return resolved


def inventory(plan: Registrations) -> list[str]:
    """The sorted engine URNs of every custom resource, component and provider the plan registers."""
    return sorted(engine_urns(plan).values())


def inventory_path(root: Path, stack: str, tier: Optional[str] = None) -> Path:
    return Path(root) / INVENTORY_DIR / (f"{stack}@{tier}.txt" if tier else f"{stack}.txt")


def regenerate_command(stack: str, tier: Optional[str] = None) -> str:
    return f"tierstack inventory -s {stack}{f' --tier {tier}' if tier else ''} --write"


def render(urns: Iterable[str]) -> str:
    return "".join(f"{urn}\n" for urn in urns)


def read_inventory(path: Path) -> list[str]:
    """The URNs of an inventory file (one a line; blank lines and ``#`` comments ignored)."""
    lines = (line.strip() for line in Path(path).read_text().splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def write_inventory(plan: Registrations, path: Path) -> list[str]:
    urns = inventory(plan)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(urns))
    return urns


@dataclass(frozen=True)
class InventoryChange:
    """URNs the plan registers that the inventory lacks, the reverse, and renames an alias covers."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    renamed: tuple[tuple[str, str], ...]  # (old URN, the current URN that lists it as an alias)

    @property
    def ok(self) -> bool:
        """Nothing would be deleted or created that the inventory does not already expect."""
        return not self.added and not self.removed

    def explain(self, stack: str, tier: Optional[str] = None, limit: int = 20) -> str:
        where = f"stack '{stack}'" + (f" at tier {tier}" if tier else "")
        lines = [f"The plan for {where} no longer matches {inventory_path(Path(), stack, tier)}: "
                 f"{len(self.removed)} URN(s) removed, {len(self.added)} added. Each removed URN deletes the real "
                 "resource on the next `pulumi up`; a rename without an alias is a removal plus an addition "
                 "(delete, then create anew)."]
        for label, urns in (("removed", self.removed), ("added", self.added)):
            if urns:
                lines.append(f"{label} ({len(urns)}{f', first {limit}' if len(urns) > limit else ''}):")
                lines.extend(f"  - {urn}" for urn in urns[:limit])
        lines.append("If a resource was renamed or moved on purpose, keep its identity: add "
                     "opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name=old_name)]) to it (or "
                     "Alias(parent=old_parent) for a move), so the engine updates it in place.")
        lines.append(f"If the change is intended (new or retired resources), regenerate the inventory: "
                     f"{regenerate_command(stack, tier)}")
        return "\n".join(lines)


def compare(recorded_urns: Iterable[str], plan: Registrations) -> InventoryChange:
    """What the plan changes against an inventory; a removed URN claimed as an alias is a rename."""
    resources = _resources(plan)
    current_by_resource = engine_urns(resources)
    current = set(current_by_resource.values())
    recorded = set(recorded_urns)
    claimed: dict[str, str] = {}
    for resource in resources:
        for alias in resource.aliases:
            claimed.setdefault(alias, current_by_resource[resource.urn])
    renamed = {old: claimed[old] for old in recorded - current if old in claimed}
    return InventoryChange(
        added=tuple(sorted(current - recorded - set(renamed.values()))),
        removed=tuple(sorted(recorded - current - set(renamed))),
        renamed=tuple(sorted(renamed.items())),
    )
