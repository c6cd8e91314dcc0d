"""``ClusterAutoscaling``: node autoscaling (Cluster Autoscaler) and the metrics API HPAs read.

Cluster Autoscaler rather than Karpenter because the tiers are expressed as managed node
groups with explicit min/max bounds, which is the model Cluster Autoscaler scales and the one
platform teams can reason about in a cost review.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

import pulumi
import pulumi_kubernetes as k8s

from tierstack import charts
from tierstack.aws import policies
from tierstack.aws.iam import IrsaRole, IrsaRoleArgs, OidcIssuer
from tierstack.kube import pinned_release

SERVICE_ACCOUNT = "cluster-autoscaler"
NAMESPACE = "kube-system"


@dataclass(frozen=True)
class ClusterAutoscalingArgs:
    cluster_name: str
    region: str
    kubernetes_version: str
    oidc: OidcIssuer
    provider: k8s.Provider
    expander: str = "least-waste"
    # Two replicas keep the metrics API (and so every HPA) up through a node drain.
    metrics_server_replicas: int = 2
    node_selector: Mapping[str, str] = field(default_factory=dict)
    depends_on: Sequence[pulumi.Resource] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


class ClusterAutoscaling(pulumi.ComponentResource):
    cluster_autoscaler: k8s.helm.v3.Release
    metrics_server: k8s.helm.v3.Release
    role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: ClusterAutoscalingArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("tierstack:cluster:ClusterAutoscaling", name, None, opts)
        role = IrsaRole(f"{name}-ca", IrsaRoleArgs(
            oidc=args.oidc, namespace=NAMESPACE, service_account=SERVICE_ACCOUNT,
            inline_policy=json.dumps(policies.cluster_autoscaler(args.cluster_name)), tags=args.tags,
        ), opts=pulumi.ResourceOptions(parent=self))
        self.role_arn = role.arn
        placement = {"nodeSelector": dict(args.node_selector)} if args.node_selector else {}

        self.cluster_autoscaler = pinned_release(
            f"{name}-cluster-autoscaler", charts.CLUSTER_AUTOSCALER,
            namespace=NAMESPACE,
            values={
                "cloudProvider": "aws",
                "awsRegion": args.region,
                "autoDiscovery": {"clusterName": args.cluster_name},
                "image": {"tag": charts.CLUSTER_AUTOSCALER_IMAGE_TAGS[args.kubernetes_version]},
                "rbac": {"serviceAccount": {
                    "create": True, "name": SERVICE_ACCOUNT,
                    "annotations": {"eks.amazonaws.com/role-arn": role.arn},
                }},
                "extraArgs": {
                    # Node groups span every AZ; balancing keeps zone-spread pods schedulable.
                    "balance-similar-node-groups": True,
                    "skip-nodes-with-system-pods": False,
                    "expander": args.expander,
                },
                "priorityClassName": "system-cluster-critical",
                "resources": {"requests": {"cpu": "100m", "memory": "300Mi"}, "limits": {"memory": "600Mi"}},
                **placement,
            },
            provider=args.provider, parent=self, depends_on=[role, *args.depends_on],
        )
        self.metrics_server = pinned_release(
            f"{name}-metrics-server", charts.METRICS_SERVER,
            namespace=NAMESPACE,
            values={
                "replicas": args.metrics_server_replicas,
                "podDisruptionBudget": {"enabled": args.metrics_server_replicas > 1, "maxUnavailable": 1},
                "resources": {"requests": {"cpu": "100m", "memory": "200Mi"}, "limits": {"memory": "400Mi"}},
                **placement,
            },
            provider=args.provider, parent=self, depends_on=list(args.depends_on),
        )
        self.register_outputs({"role_arn": self.role_arn})
