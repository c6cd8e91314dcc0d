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
from tierstack.documented import documented
from tierstack.kube import pinned_release

SERVICE_ACCOUNT = "cluster-autoscaler"
NAMESPACE = "kube-system"


@documented
@dataclass(frozen=True)
class ClusterAutoscalingArgs:
    # The EKS cluster whose node groups the autoscaler scales.
    cluster_name: str
    # The cluster's region, where the autoscaler calls the Auto Scaling API.
    region: str
    # The cluster's Kubernetes version: picks the matching autoscaler image.
    kubernetes_version: str
    # The cluster's OIDC issuer, for the autoscaler's IRSA role.
    oidc: OidcIssuer
    # The cluster's Kubernetes provider.
    provider: k8s.Provider
    # How the autoscaler picks a node group to grow; "least-waste" wastes the least CPU and memory.
    expander: str = "least-waste"
    # Two replicas keep the metrics API (and so every HPA) up through a node drain.
    metrics_server_replicas: int = 2
    # Node labels the autoscaler and metrics-server pods must run on; {} places them anywhere.
    node_selector: Mapping[str, str] = field(default_factory=dict)
    # What the charts must wait for (e.g. the node groups); () waits for nothing extra.
    depends_on: Sequence[pulumi.Resource] = ()
    # Tags added to the AWS resources (the IRSA role) this creates; {} adds none.
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
