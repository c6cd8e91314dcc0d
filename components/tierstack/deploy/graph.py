"""The recorded plan as the engine schedules it: resources, what each waits for, and where it lives.

The real engine orders work only by the dependencies it can see: a resource's declared
``dependsOn`` and the resources behind the outputs it takes as inputs (the SDK records both in
``dependencies``, components expanded to their children), plus its provider. Nothing else makes
one resource wait for another, however obvious the relation is to a reader (a literal namespace
string is not a dependency on the Namespace). This module answers "does A wait for B?" exactly
that way, so every deployability check judges the graph the engine will walk.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional, Protocol, Sequence

# Namespaces every cluster has before anything is deployed.
BUILTIN_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
# Built-in kinds that are not namespaced ("group/Kind", core group empty).
CLUSTER_SCOPED_KINDS = frozenset({
    "Namespace", "Node", "PersistentVolume", "storage.k8s.io/StorageClass", "storage.k8s.io/CSIDriver",
    "rbac.authorization.k8s.io/ClusterRole", "rbac.authorization.k8s.io/ClusterRoleBinding",
    "apiextensions.k8s.io/CustomResourceDefinition", "scheduling.k8s.io/PriorityClass",
    "admissionregistration.k8s.io/MutatingWebhookConfiguration",
    "admissionregistration.k8s.io/ValidatingWebhookConfiguration", "apiregistration.k8s.io/APIService",
})
# API groups the Kubernetes API server serves itself; any other group is a custom resource.
BUILTIN_GROUPS = frozenset({
    "", "apps", "batch", "autoscaling", "policy", "networking.k8s.io", "storage.k8s.io",
    "rbac.authorization.k8s.io", "apiextensions.k8s.io", "scheduling.k8s.io", "admissionregistration.k8s.io",
    "apiregistration.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "node.k8s.io", "certificates.k8s.io",
})
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
K8S_PROVIDER = "pulumi:providers:kubernetes"
AWS_PROVIDER = "pulumi:providers:aws"


class RecordedResource(Protocol):
    """What the checks read of a recorded registration (``tierstack.tooling.engine.PlannedResource``)."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    id: str
    inputs: Mapping[str, Any]
    outputs: Mapping[str, Any]
    provider: str
    dependencies: Sequence[str]


@dataclass(frozen=True)
class Problem:
    """One reason the plan would not apply as recorded, with what to do about it."""

    check: str
    urn: str
    type: str
    name: str
    reason: str
    fix: str

    def render(self) -> str:
        return f"[{self.check}] {self.type} {self.name}: {self.reason} Fix: {self.fix}"


def kind_of(type_token: str) -> str:
    """``kubernetes:networking.k8s.io/v1:Ingress`` -> ``networking.k8s.io/Ingress``; core kinds bare."""
    _, api_version, kind = type_token.split(":", 2)
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    return kind if group in ("", "core") else f"{group}/{kind}"


def group_of(kind: str) -> str:
    return kind.rsplit("/", 1)[0] if "/" in kind else ""


class DeployGraph:
    """Custom resources and providers keyed by URN, with the engine's view of their ordering."""

    def __init__(self, resources: Iterable[RecordedResource], default_region: str = "us-east-1"):
        self.resources = {r.urn: r for r in resources if r.custom}
        self.default_region = default_region
        self._by_reference = {f"{r.urn}::{r.id}": r for r in self.resources.values() if r.type.startswith("pulumi:providers:")}
        self._waits: dict[str, frozenset[str]] = {}
        self._region: dict[str, str] = {}

    # -- ordering ---------------------------------------------------------------------------
    def direct_dependencies(self, urn: str) -> set[str]:
        """What the engine makes ``urn`` wait for: its recorded dependencies, its provider, a custom parent."""
        resource = self.resources[urn]
        found = {d for d in resource.dependencies if d in self.resources}
        provider = self.provider_of(resource)
        if provider is not None:
            found.add(provider.urn)
        if resource.parent in self.resources:
            found.add(resource.parent)
        found.discard(urn)
        return found

    def waits_for(self, urn: str) -> frozenset[str]:
        """Every resource created before ``urn`` starts, transitively."""
        cached = self._waits.get(urn)
        if cached is not None:
            return cached
        # Iterative post-order so deep graphs do not hit the recursion limit.
        stack, seen = [urn], set()
        order: list[str] = []
        while stack:
            current = stack.pop()
            if current in seen or current in self._waits:
                continue
            seen.add(current)
            order.append(current)
            stack.extend(d for d in self.direct_dependencies(current) if d not in self._waits)
        for current in reversed(order):
            if current in self._waits:
                continue
            closure: set[str] = set()
            for dependency in self.direct_dependencies(current):
                closure.add(dependency)
                closure |= self._waits.get(dependency, frozenset())
            self._waits[current] = frozenset(closure)
        return self._waits[urn]

    def ordered(self, later: str, earlier: str) -> bool:
        return earlier in self.waits_for(later)

    # -- providers and regions ---------------------------------------------------------------
    def provider_of(self, resource: RecordedResource) -> Optional[RecordedResource]:
        return self._by_reference.get(resource.provider) if resource.provider else None

    def region_of(self, resource: RecordedResource) -> str:
        """The AWS region a resource is created in (Kubernetes objects: their cluster's)."""
        if resource.urn in self._region:
            return self._region[resource.urn]
        region = self._resolve_region(resource)
        self._region[resource.urn] = region
        return region

    def _resolve_region(self, resource: RecordedResource) -> str:
        if isinstance(resource.inputs.get("region"), str) and resource.type != K8S_PROVIDER:
            return resource.inputs["region"]
        provider = self.provider_of(resource)
        if resource.type == K8S_PROVIDER:
            clusters = [self.resources[d] for d in resource.dependencies
                        if d in self.resources and self.resources[d].type == "aws:eks/cluster:Cluster"]
            return self.region_of(clusters[0]) if clusters else self.default_region
        if provider is None:
            return self.default_region
        return self.region_of(provider)

    def cluster_of(self, resource: RecordedResource) -> str:
        """The Kubernetes provider (so the cluster) a Kubernetes object goes to."""
        return resource.provider.rsplit("::", 1)[0] if resource.provider else ""

    # -- views -------------------------------------------------------------------------------
    def of_type(self, *type_tokens: str) -> list[RecordedResource]:
        return [r for r in self.resources.values() if r.type in type_tokens]

    def kubernetes_objects(self) -> list[RecordedResource]:
        return [r for r in self.resources.values()
                if r.type.startswith("kubernetes:") and r.type != HELM_RELEASE]

    def releases(self) -> list[RecordedResource]:
        return self.of_type(HELM_RELEASE)


def object_namespace(resource: RecordedResource) -> Optional[str]:
    """The namespace a Kubernetes object is created in (``default`` when unset), None if cluster-scoped."""
    if resource.type == HELM_RELEASE:
        return resource.inputs.get("namespace") or "default"
    kind = kind_of(resource.type)
    if kind in CLUSTER_SCOPED_KINDS:
        return None
    metadata = resource.inputs.get("metadata") or {}
    return metadata.get("namespace") or "default"


def object_name(resource: RecordedResource) -> str:
    if resource.type == HELM_RELEASE:
        return str(resource.inputs.get("name") or resource.name)
    return str((resource.inputs.get("metadata") or {}).get("name") or resource.name)
