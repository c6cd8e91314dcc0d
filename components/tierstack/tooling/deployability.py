"""The deployability checks and the deploy simulation, over an offline plan (see ``tierstack.deploy``)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Any, Optional

from tierstack.deploy import check_deployability
from tierstack.deploy.graph import DeployGraph, Problem
from tierstack.deploy.simulate import Simulation, render as render_simulation, simulate
from tierstack.tooling.plan import Plan


@dataclass(frozen=True)
class Assessment:
    problems: list[Problem]
    simulation: Simulation

    def to_json(self) -> dict[str, Any]:
        return {
            "problems": [{"check": p.check, "urn": p.urn, "type": p.type, "name": p.name, "reason": p.reason,
                          "fix": p.fix} for p in self.problems],
            "firstDeploy": self.simulation.to_json(),
        }


def assess(plan: Plan, parallel: Optional[int] = None) -> Assessment:
    home = plan.regions[0] if plan.regions else "us-east-1"
    problems = check_deployability(plan.resources, home)
    return Assessment(problems, simulate(DeployGraph(plan.resources, home), parallel))


def render(assessment: Assessment, *, order: bool = False) -> str:
    problems = assessment.problems
    if not problems:
        lines = ["Deployability: ordering, physical names, controllers and provider inputs check out"]
    else:
        lines = [f"Deployability: {len(problems)} problem(s) would fail `pulumi up`"]
        for check, group in groupby(sorted(problems, key=lambda p: p.check), key=lambda p: p.check):
            found = list(group)
            lines.append(f"  {check} ({len(found)})")
            lines.extend(f"    - {p.type} {p.name}: {p.reason} Fix: {p.fix}" for p in found)
    if order:
        lines.append(render_simulation(assessment.simulation))
    else:
        minutes = round(assessment.simulation.total_seconds / 60)
        lines.append(f"First `pulumi up` estimated at about {minutes} min (--deploy-order for the critical path)")
    return "\n".join(lines)
