"""Small helpers for Kubernetes resources the components create."""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

import pulumi
import pulumi_kubernetes as k8s

from tierstack.charts import ChartPin


def pinned_release(
    name: str,
    pin: ChartPin,
    *,
    namespace: str,
    values: Mapping[str, Any],
    provider: k8s.Provider,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource] = (),
    release_name: Optional[str] = None,
    create_namespace: bool = False,
) -> k8s.helm.v3.Release:
    """A Helm release at exactly the pinned chart version.

    ``atomic`` rolls a failed upgrade back instead of leaving a half-applied release, and the
    release name is fixed (not auto-suffixed) so in-cluster references stay stable.
    """
    return k8s.helm.v3.Release(
        name,
        name=release_name or pin.chart,
        chart=pin.chart,
        version=pin.version,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=pin.repository),
        namespace=namespace,
        create_namespace=create_namespace,
        values=dict(values),
        atomic=True,
        cleanup_on_fail=True,
        max_history=10,
        timeout=600,
        opts=pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=list(depends_on)),
    )
