"""What a component needs to put things on a cluster: the cluster's context and pinned releases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

import pulumi
import pulumi_kubernetes as k8s

from tierstack.aws.iam import OidcIssuer
from tierstack.charts import ChartPin
from tierstack.documented import documented


@documented
@dataclass(frozen=True)
class ClusterContext:
    """One EKS cluster as the components that run on it see it.

    ``KubernetesCluster.context`` gives it for a cluster tierstack creates; for a cluster that
    already exists, build it from the cluster's name, region, IAM OIDC provider and a
    ``pulumi_kubernetes.Provider`` for its kubeconfig.
    """

    # The EKS cluster's name, as AWS sees it (the autoscaler and the load balancer controller find it by name).
    name: str
    # The cluster's region: the controllers' AWS API region and the workloads' AWS_REGION.
    region: str
    # The cluster's IAM OIDC provider, trusted by every IRSA role for its service accounts.
    oidc: OidcIssuer
    # The Kubernetes provider every object and Helm release on the cluster is created with.
    provider: k8s.Provider
    # The cluster's VPC: the load balancer controller needs it; None where that controller is not installed here.
    vpc_id: Optional[pulumi.Input[str]] = None
    # The cluster's Kubernetes minor ("1.34"): picks the Cluster Autoscaler image; None where it is not installed here.
    kubernetes_version: Optional[str] = None

    def required(self, field_name: str, needed_by: str) -> Any:
        """A field an add-on cannot run without, or an error that says which and how to fix it."""
        value = getattr(self, field_name)
        if value is None:
            raise ValueError(f"ClusterContext.{field_name} is None but {needed_by} needs it. Fix: set "
                             f"ClusterContext({field_name}=...) for cluster '{self.name}', or turn {needed_by} off.")
        return value


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
