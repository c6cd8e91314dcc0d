"""EKS managed add-ons, split by whether they must exist before nodes join."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws

from tierstack.aws.context import AwsContext
from tierstack.aws.iam import IrsaRole, IrsaRoleArgs, OidcIssuer
from tierstack.config.model import ClusterSettings

# The VPC CNI enforces Kubernetes NetworkPolicy only when asked to; the agent services rely on
# NetworkPolicy to admit only their callers.
VPC_CNI_CONFIGURATION = {"enableNetworkPolicy": "true"}


def _version(addon: str, settings: ClusterSettings, parent: pulumi.Resource) -> pulumi.Input[str]:
    """The stack's pinned version, else EKS's default version for the cluster's Kubernetes minor.

    The default (not the newest) is what EKS itself would install and has had the most
    soak time; pin in config to freeze it across runs.
    """
    pinned = settings.addon_versions.get(addon)  # type: ignore[call-overload]
    if pinned:
        return pinned
    return aws.eks.get_addon_version_output(
        addon_name=addon,
        kubernetes_version=settings.kubernetes_version,
        most_recent=False,
        opts=pulumi.InvokeOutputOptions(parent=parent),
    ).version


def _addon(name: str, addon: str, *, cluster_name: pulumi.Input[str], settings: ClusterSettings,
           parent: pulumi.Resource, depends_on: Sequence[pulumi.Resource],
           role: Optional[IrsaRole] = None, configuration: Optional[dict] = None) -> aws.eks.Addon:
    return aws.eks.Addon(
        f"{name}-{addon}",
        cluster_name=cluster_name,
        addon_name=addon,
        addon_version=_version(addon, settings, parent),
        service_account_role_arn=role.arn if role else None,
        configuration_values=json.dumps(configuration) if configuration else None,
        resolve_conflicts_on_create="OVERWRITE",
        # Keep manual hot-fixes on update rather than silently reverting them.
        resolve_conflicts_on_update="PRESERVE",
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(depends_on) + ([role] if role else [])),
    )


@dataclass(frozen=True)
class AddonSpec:
    addon: str
    # The add-on's service account and the AWS managed policy its IRSA role gets, if any.
    service_account: Optional[str] = None
    managed_policy: Optional[str] = None
    configuration: Optional[dict] = None
    # Short key for the IRSA role's name (IAM allows 64 characters with the autoname suffix).
    role_key: Optional[str] = None


# Add-ons nodes need to become Ready: created before any node group.
BEFORE_NODES = (
    AddonSpec("vpc-cni", "aws-node", "AmazonEKS_CNI_Policy", VPC_CNI_CONFIGURATION),
    AddonSpec("kube-proxy"),
    AddonSpec("eks-pod-identity-agent"),
)
# Add-ons that run as Deployments: created after node groups so they can schedule.
AFTER_NODES = (
    AddonSpec("coredns"),
    AddonSpec("aws-ebs-csi-driver", "ebs-csi-controller-sa", "service-role/AmazonEBSCSIDriverPolicy", role_key="ebs-csi"),
)


def managed_addons(name: str, specs: Sequence[AddonSpec], *, cluster_name: pulumi.Input[str], settings: ClusterSettings,
                   oidc: OidcIssuer, context: AwsContext, parent: pulumi.Resource,
                   depends_on: Sequence[pulumi.Resource]) -> dict[str, aws.eks.Addon]:
    addons = {}
    for spec in specs:
        role = None
        if spec.service_account and spec.managed_policy:
            role = IrsaRole(f"{name}-{spec.role_key or spec.addon}", IrsaRoleArgs(
                oidc=oidc, namespace="kube-system", service_account=spec.service_account,
                managed_policy_arns=[context.managed_policy_arn(spec.managed_policy)],
            ), opts=pulumi.ResourceOptions(parent=parent))
        addons[spec.addon] = _addon(name, spec.addon, cluster_name=cluster_name, settings=settings, parent=parent,
                                    depends_on=depends_on, role=role, configuration=spec.configuration)
    return addons
