"""One cluster add-on: a pinned Helm chart and, where it calls AWS, the IRSA role it runs as.

Every add-on tierstack installs (Cluster Autoscaler, the load balancer controller, KEDA,
kube-prometheus-stack's Alertmanager, the CloudWatch exporter, the OpenTelemetry collector)
is the same shape: a role that exactly one service account may assume, then the chart with
that role's ARN in its values, waiting for the role. ``install_addon`` builds that shape once.
Logical names are ``<name>-<role_suffix>`` for the role and ``<name>-<release_suffix>`` for
the release, children of the caller, so the URNs are those the hand-built copies had.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, NamedTuple, Optional, Sequence

import pulumi
import pulumi_kubernetes as k8s

from tierstack.aws.iam import IrsaRole, IrsaRoleArgs
from tierstack.charts import ChartPin
from tierstack.kube import ClusterContext, pinned_release


@dataclass(frozen=True)
class AddonIdentity:
    """The IRSA role an add-on's service account assumes, with exactly the policy it needs."""

    service_account: str
    # The inline policy document (JSON).
    policy: pulumi.Input[str]
    # The role's logical name is <name>-<role_suffix>; short, as IAM allows 64 characters with the autoname suffix.
    role_suffix: str


@dataclass(frozen=True)
class ChartAddon:
    pin: ChartPin
    namespace: str
    # The release's logical name is <name>-<release_suffix>.
    release_suffix: str
    # The chart values, given the IRSA role's ARN (None for an add-on without an identity).
    values: Callable[[Optional[pulumi.Output[str]]], Mapping[str, Any]]
    identity: Optional[AddonIdentity] = None
    # The Helm release name; None uses the chart's name.
    release_name: Optional[str] = None
    create_namespace: bool = False


class InstalledAddon(NamedTuple):
    release: k8s.helm.v3.Release
    role: Optional[IrsaRole]


def install_addon(name: str, addon: ChartAddon, cluster: ClusterContext, *, parent: pulumi.Resource,
                  depends_on: Sequence[pulumi.Resource] = ()) -> InstalledAddon:
    """The add-on's role (if any) and its release, which waits for the role and ``depends_on``."""
    role = None
    if addon.identity is not None:
        identity = addon.identity
        role = IrsaRole(f"{name}-{identity.role_suffix}", IrsaRoleArgs(
            oidc=cluster.oidc, namespace=addon.namespace, service_account=identity.service_account,
            inline_policy=identity.policy,
        ), opts=pulumi.ResourceOptions(parent=parent))
    release = pinned_release(
        f"{name}-{addon.release_suffix}", addon.pin, namespace=addon.namespace,
        values=addon.values(role.arn if role is not None else None),
        provider=cluster.provider, parent=parent,
        depends_on=[*([role] if role is not None else []), *depends_on],
        release_name=addon.release_name, create_namespace=addon.create_namespace)
    return InstalledAddon(release=release, role=role)


def irsa_annotation(role_arn: Optional[pulumi.Output[str]]) -> dict[str, Any]:
    """The service-account annotation that makes EKS inject the role's web identity."""
    return {"eks.amazonaws.com/role-arn": role_arn} if role_arn is not None else {}
