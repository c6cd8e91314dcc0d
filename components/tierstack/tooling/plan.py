"""The offline plan: what ``pulumi up`` would create for a stack, without a CLI or cloud account."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Optional

import pulumi

from tierstack.config.errors import StackConfigError
from tierstack.tooling.engine import PlannedResource, ProgramError, ProgramRun, run_program
from tierstack.tooling.stackfiles import SECRET_PLACEHOLDER, Project, engine_config, merged_config_value


class PlanConfigError(Exception):
    """The program stopped on invalid config; ``str()`` is the message to show the user."""

    def __init__(self, message: str, resources_registered: int):
        super().__init__(message)
        self.resources_registered = resources_registered


@dataclass
class Plan:
    project: Project
    stack: str
    tier: str
    run: ProgramRun

    @property
    def resources(self) -> list[PlannedResource]:
        return self.run.resources

    @property
    def custom_resources(self) -> list[PlannedResource]:
        return [r for r in self.resources if r.custom and not r.is_provider]

    @property
    def components(self) -> list[PlannedResource]:
        return [r for r in self.resources if not r.custom]

    @property
    def providers(self) -> list[PlannedResource]:
        return [r for r in self.resources if r.is_provider]

    @property
    def regions(self) -> list[str]:
        return list(self.run.outputs.get("regions") or [])

    def counts_by_type(self) -> Counter[str]:
        return Counter(r.type for r in self.custom_resources)

    def kubernetes_objects(self) -> list[PlannedResource]:
        return [r for r in self.custom_resources
                if r.type.startswith("kubernetes:") and not r.type.startswith("kubernetes:helm.sh/")]

    def summary(self) -> str:
        by_package = Counter(r.package for r in self.custom_resources)
        packages = ", ".join(f"{count} {package}" for package, count in sorted(by_package.items()))
        regions = len(self.regions)
        return (f"Plan for stack '{self.stack}' (tier {self.tier}, {regions} region{'s' if regions != 1 else ''}): "
                f"{len(self.custom_resources)} resources to create ({packages}) in {len(self.components)} components, "
                f"{len(self.providers)} providers; planned in {self.run.seconds:.1f}s")

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project.name,
            "stack": self.stack,
            "tier": self.tier,
            "regions": self.regions,
            "outputs": self.run.outputs,
            "resources": [
                {
                    "urn": r.urn, "type": r.type, "name": r.name, "parent": r.parent or None,
                    "custom": r.custom, "provider": r.provider or None,
                    "inputs": {k: (SECRET_PLACEHOLDER if k in r.secret_inputs else v) for k, v in r.inputs.items()},
                    # Per input, the resources (recorded URNs, like `parent`) whose outputs flowed into it.
                    **({"propertyDependencies": r.property_dependencies} if r.property_dependencies else {}),
                    "options": {
                        "protect": r.protect, "dependsOn": r.dependencies, "ignoreChanges": r.ignore_changes,
                        "deleteBeforeReplace": r.delete_before_replace, "retainOnDelete": r.retain_on_delete,
                        "additionalSecretOutputs": r.additional_secret_outputs,
                        # Engine URNs (full parent type chain, no root-stack prefix), not the `urn` above.
                        "aliases": r.aliases,
                    },
                }
                for r in self.resources
            ],
        }


# What a stack needs to plan at any tier: service quotas raised to what the largest tier uses, and
# API endpoints a single runner can reach when there are several regions. Tests and benchmarks
# plan the shipped stacks at every tier with these; a real stack states its own.
ANY_TIER_ASSUMPTIONS: dict[str, Any] = {
    "tierstack:quotas": {"rdsDbInstances": 400, "rdsDbClusters": 60, "elasticacheNodes": 300},
    "tierstack:overrides": {"cluster": {"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]}},
}


def plan_stack(stack: str, *, project: Project, tier: Optional[str] = None,
               config_overrides: Optional[Mapping[str, Any]] = None) -> Plan:
    """Run the project's program for ``stack`` under mocks.

    ``tier`` forces a scale tier; ``config_overrides`` (``namespace:key`` -> value) are deep-merged
    over the stack file's values, as ``pulumi config set --path`` would.
    """
    config, secret_keys = engine_config(project, stack)
    if tier is not None:
        config["tierstack:tier"] = tier
    for key, value in (config_overrides or {}).items():
        config[key] = merged_config_value(config.get(key), value)
    try:
        run = run_program(project.main, project=project.name, stack=stack, config=config, secret_keys=secret_keys)
    except ProgramError as error:
        if isinstance(error.cause, (pulumi.RunError, StackConfigError)):
            raise PlanConfigError(str(error.cause), len(error.resources)) from None
        raise error.cause from error
    return Plan(project=project, stack=stack, tier=str(run.outputs.get("tier", tier or "?")), run=run)


# -- rendering -------------------------------------------------------------------------------

def render_tree(plan: Plan, *, expand: bool = False) -> str:
    """Components as a tree; their direct resources grouped by type (or listed with ``expand``)."""
    children: dict[str, list[PlannedResource]] = {}
    for resource in plan.resources:
        children.setdefault(resource.parent, []).append(resource)
    roots = [r for r in plan.resources if r.parent not in {x.urn for x in plan.resources}]
    lines: list[str] = []
    for index, root in enumerate(roots):
        lines.extend(_render_node(root, children, "", index == len(roots) - 1, expand))
    return "\n".join(lines)


def _render_node(node: PlannedResource, children, prefix: str, last: bool, expand: bool) -> Iterator[str]:
    branch = "└─ " if last else "├─ "
    label = f"{node.type} {node.name}" if node.custom else f"{node.name} [{node.type}]"
    protected = " (protected)" if node.protect else ""
    yield f"{prefix}{branch}{label}{protected}"
    inner = prefix + ("   " if last else "│  ")
    kids = children.get(node.urn, [])
    components = [k for k in kids if not k.custom]
    leaves = [k for k in kids if k.custom]
    entries: list[tuple[str, Any]] = []
    if expand:
        entries.extend(("leaf", leaf) for leaf in leaves)
    else:
        grouped = Counter(leaf.type for leaf in leaves)
        protected_types = {leaf.type for leaf in leaves if leaf.protect}
        entries.extend(("group", (type_, count, type_ in protected_types)) for type_, count in sorted(grouped.items()))
    entries.extend(("component", c) for c in components)
    for position, (kind, item) in enumerate(entries):
        is_last = position == len(entries) - 1
        if kind == "component":
            yield from _render_node(item, children, inner, is_last, expand)
        elif kind == "leaf":
            yield from _render_node(item, children, inner, is_last, expand)
        else:
            type_, count, protected = item
            mark = " (protected)" if protected else ""
            yield f"{inner}{'└─ ' if is_last else '├─ '}{count:>3} x {type_}{mark}"


def render_counts(plan: Plan) -> str:
    counts = plan.counts_by_type()
    width = max((len(t) for t in counts), default=10)
    lines = [f"{'type':<{width}}  count", f"{'-' * width}  -----"]
    lines.extend(f"{type_:<{width}}  {count:>5}" for type_, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    lines.append(f"{'total':<{width}}  {sum(counts.values()):>5}")
    return "\n".join(lines)


def write_json(plan: Plan, path: Path, extra: Optional[Mapping[str, Any]] = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**plan.to_json(), **(extra or {})}, indent=2, sort_keys=False, default=str))
