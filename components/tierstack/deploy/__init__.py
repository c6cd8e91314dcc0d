"""Deployability: checks that a recorded plan could actually be applied by the real engine, providers and controllers.

Policy rules judge whether a stack is *allowed* (compliance, security posture); these checks judge
whether ``pulumi up`` would *work*: that the engine creates things in an order the API servers and
controllers accept, that every physical name fits AWS's limits, that controllers can resolve what
they are asked to, and that every input is one the provider accepts. Each problem names the
resource, the reason and the fix. Pure functions over the recorded plan; nothing here runs Pulumi.
"""

from __future__ import annotations

from typing import Callable, Iterable, Sequence

from tierstack.deploy import certificates, names, ordering
from tierstack.deploy.graph import DeployGraph, Problem, RecordedResource

def _inputs(graph: DeployGraph) -> list[Problem]:
    # Imported here: conformance loads the whole pulumi_aws SDK to read its types, which the
    # other checks (and callers that select only them) do not need.
    from tierstack.deploy import conformance

    return [Problem("inputs", urn, graph.resources[urn].type, graph.resources[urn].name,
                    f"input {mismatch.path}: {mismatch.problem}", mismatch.fix)
            for urn, mismatch in conformance.check_plan_inputs(graph.resources.values())]


CHECK_CLASSES: dict[str, Callable[[DeployGraph], list[Problem]]] = {
    ordering.CHECK: ordering.check,
    names.CHECK: names.check,
    certificates.CHECK: certificates.check,
    "inputs": _inputs,
}


def check_deployability(resources: Iterable[RecordedResource], default_region: str = "us-east-1",
                        classes: Sequence[str] = tuple(CHECK_CLASSES)) -> list[Problem]:
    graph = DeployGraph(resources, default_region)
    return [problem for name in classes for problem in CHECK_CLASSES[name](graph)]


__all__ = ["CHECK_CLASSES", "DeployGraph", "Problem", "check_deployability"]
