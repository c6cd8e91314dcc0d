"""Ordering the engine does not infer: namespaces, CRDs and fail-closed admission webhooks.

pulumi-kubernetes retries a NotFound namespace or an unknown kind for about 31 seconds and then
fails the resource (and skips everything that depends on it); a fail-closed webhook whose pods
are not Ready rejects the object outright, and Helm's ``atomic`` then rolls its whole release
back. On a first ``pulumi up`` each of these happens whenever the resource is not ordered after
the thing it needs, so each check asks the graph exactly that.
"""

from __future__ import annotations

from typing import Iterator, Optional

from tierstack.charts import ChartPin, pin_for_chart
from tierstack.deploy.graph import (
    BUILTIN_GROUPS, BUILTIN_NAMESPACES, HELM_RELEASE, DeployGraph, Problem, RecordedResource, group_of, kind_of,
    object_name, object_namespace,
)

CHECK = "ordering"


def release_pin(release: RecordedResource) -> Optional[ChartPin]:
    return pin_for_chart(str(release.inputs.get("chart", "")))


def release_values(release: RecordedResource) -> dict:
    values = release.inputs.get("values")
    return values if isinstance(values, dict) else {}


def created_kinds(graph: DeployGraph, resource: RecordedResource) -> set[str]:
    """What a resource puts into the cluster: its own kind, or what its chart creates."""
    if resource.type == HELM_RELEASE:
        pin = release_pin(resource)
        return pin.created_kinds(release_values(resource)) if pin else set()
    return {kind_of(resource.type)}


def _problem(resource: RecordedResource, reason: str, fix: str) -> Problem:
    return Problem(CHECK, resource.urn, resource.type, resource.name, reason, fix)


def namespaces_exist_first(graph: DeployGraph) -> Iterator[Problem]:
    """Every namespaced object (and release) waits, transitively, for whatever creates its namespace."""
    creators: dict[tuple[str, str], list[RecordedResource]] = {}
    for resource in graph.kubernetes_objects():
        if kind_of(resource.type) == "Namespace":
            creators.setdefault((graph.cluster_of(resource), object_name(resource)), []).append(resource)
    for release in graph.releases():
        if release.inputs.get("createNamespace"):
            creators.setdefault((graph.cluster_of(release), object_namespace(release) or ""), []).append(release)

    for resource in [*graph.kubernetes_objects(), *graph.releases()]:
        namespace = object_namespace(resource)
        if namespace is None or namespace in BUILTIN_NAMESPACES:
            continue
        if resource.type == HELM_RELEASE and resource.inputs.get("createNamespace"):
            continue
        found = creators.get((graph.cluster_of(resource), namespace), [])
        if not found:
            yield _problem(resource, f"namespace '{namespace}' is created by nothing in this program.",
                           f"create the Namespace '{namespace}' in the program and make this resource depend on it.")
        elif not any(graph.ordered(resource.urn, creator.urn) for creator in found):
            yield _problem(
                resource,
                f"it is created in namespace '{namespace}' but does not wait for {found[0].name}, which creates "
                "that namespace; pulumi-kubernetes gives up after about 31 s of NotFound.",
                f"add depends_on=[{found[0].name}] (or pass the Namespace's metadata.name output as the namespace).")


def custom_resources_after_their_crds(graph: DeployGraph) -> Iterator[Problem]:
    """A custom resource (or a release that creates one) waits for the release installing its CRD."""
    providers: dict[tuple[str, str], list[RecordedResource]] = {}
    for release in graph.releases():
        pin = release_pin(release)
        for kind in pin.crds if pin else ():
            providers.setdefault((graph.cluster_of(release), kind), []).append(release)

    for resource in [*graph.kubernetes_objects(), *graph.releases()]:
        for kind in sorted(created_kinds(graph, resource)):
            if group_of(kind) in BUILTIN_GROUPS:
                continue
            found = [p for p in providers.get((graph.cluster_of(resource), kind), []) if p.urn != resource.urn]
            own = resource.type == HELM_RELEASE and kind in (release_pin(resource).crds if release_pin(resource) else ())
            if own:
                continue
            # No release for it in this program: the cluster already runs that controller (its
            # CRDs are there before the deploy), which is how platform teams reuse their own.
            if found and not any(graph.ordered(resource.urn, p.urn) for p in found):
                yield _problem(resource, f"it creates {kind} before {found[0].name} has installed that CRD.",
                               f"add depends_on=[{found[0].name}].")


def nothing_races_fail_closed_webhooks(graph: DeployGraph) -> Iterator[Problem]:
    """No object a fail-closed webhook intercepts is created while that webhook's pods may not answer.

    Safe orders: after the webhook's release (its pods are Ready when Helm reports success), or
    before it (the webhook is not registered yet). Anything unordered races it.
    """
    candidates = [*graph.kubernetes_objects(), *graph.releases()]
    kinds = {resource.urn: created_kinds(graph, resource) for resource in candidates}
    for release in graph.releases():
        pin = release_pin(release)
        if pin is None:
            continue
        values = release_values(release)
        for webhook in pin.webhooks:
            if not webhook.fail_closed or not webhook.enabled(values):
                continue
            cluster = graph.cluster_of(release)
            for resource in candidates:
                if resource.urn == release.urn or graph.cluster_of(resource) != cluster:
                    continue
                intercepted = sorted(set(webhook.kinds) & kinds[resource.urn])
                if not intercepted:
                    continue
                if graph.ordered(resource.urn, release.urn) or graph.ordered(release.urn, resource.urn):
                    continue
                switch = f" or set {webhook.enabled_by}: false if nothing needs it" if webhook.enabled_by else ""
                yield _problem(
                    resource,
                    f"it creates {', '.join(intercepted)}, which the fail-closed webhook {webhook.name} of "
                    f"{release.name} intercepts, and nothing orders it after that release; created while the "
                    "webhook's pods are not Ready, the API server rejects it.",
                    f"add depends_on=[{release.name}]{switch}.")


CHECKS = (namespaces_exist_first, custom_resources_after_their_crds, nothing_races_fail_closed_webhooks)


def check(graph: DeployGraph) -> list[Problem]:
    return [problem for rule in CHECKS for problem in rule(graph)]
