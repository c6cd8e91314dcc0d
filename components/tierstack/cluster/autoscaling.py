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
from tierstack.addons import AddonIdentity, ChartAddon, install_addon, irsa_annotation
from tierstack.aws import policies
from tierstack.documented import documented
from tierstack.kube import ClusterContext

SERVICE_ACCOUNT = "cluster-autoscaler"
NAMESPACE = "kube-system"


@documented
@dataclass(frozen=True)
class ClusterAutoscalingArgs:
    # The cluster whose node groups the autoscaler scales (its kubernetes_version picks the image).
    cluster: ClusterContext
    # How the autoscaler picks a node group to grow; "least-waste" wastes the least CPU and memory.
    expander: str = "least-waste"
    # Two replicas keep the metrics API (and so every HPA) up through a node drain.
    metrics_server_replicas: int = 2
    # Node labels the autoscaler and metrics-server pods must run on; {} places them anywhere.
    node_selector: Mapping[str, str] = field(default_factory=dict)
    # What the charts must wait for (e.g. the node groups); () waits for nothing extra.
    depends_on: Sequence[pulumi.Resource] = ()


def cluster_autoscaler(args: ClusterAutoscalingArgs) -> ChartAddon:
    cluster = args.cluster
    image_tag = charts.CLUSTER_AUTOSCALER_IMAGE_TAGS[cluster.required("kubernetes_version", "Cluster Autoscaler")]
    placement = {"nodeSelector": dict(args.node_selector)} if args.node_selector else {}
    return ChartAddon(
        pin=charts.CLUSTER_AUTOSCALER, namespace=NAMESPACE, release_suffix="cluster-autoscaler",
        identity=AddonIdentity(SERVICE_ACCOUNT, json.dumps(policies.cluster_autoscaler(cluster.name)), role_suffix="ca"),
        values=lambda role_arn: {
            "cloudProvider": "aws",
            "awsRegion": cluster.region,
            "autoDiscovery": {"clusterName": cluster.name},
            "image": {"tag": image_tag},
            "rbac": {"serviceAccount": {"create": True, "name": SERVICE_ACCOUNT,
                                        "annotations": irsa_annotation(role_arn)}},
            "extraArgs": {
                # Node groups span every AZ; balancing keeps zone-spread pods schedulable.
                "balance-similar-node-groups": True,
                "skip-nodes-with-system-pods": False,
                "expander": args.expander,
            },
            "priorityClassName": "system-cluster-critical",
            "resources": {"requests": {"cpu": "100m", "memory": "300Mi"}, "limits": {"memory": "600Mi"}},
            **placement,
        })


def metrics_server(args: ClusterAutoscalingArgs) -> ChartAddon:
    placement = {"nodeSelector": dict(args.node_selector)} if args.node_selector else {}
    return ChartAddon(
        pin=charts.METRICS_SERVER, namespace=NAMESPACE, release_suffix="metrics-server",
        values=lambda _: {
            "replicas": args.metrics_server_replicas,
            "podDisruptionBudget": {"enabled": args.metrics_server_replicas > 1, "maxUnavailable": 1},
            "resources": {"requests": {"cpu": "100m", "memory": "200Mi"}, "limits": {"memory": "400Mi"}},
            **placement,
        })


class ClusterAutoscaling(pulumi.ComponentResource):
    """Cluster Autoscaler (with its IRSA role) and metrics-server on one cluster. See ClusterAutoscalingArgs."""

    cluster_autoscaler: k8s.helm.v3.Release
    metrics_server: k8s.helm.v3.Release
    role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: ClusterAutoscalingArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("tierstack:cluster:ClusterAutoscaling", name, None, opts)
        autoscaler = install_addon(name, cluster_autoscaler(args), args.cluster, parent=self, depends_on=args.depends_on)
        self.cluster_autoscaler = autoscaler.release
        self.role_arn = autoscaler.role.arn
        self.metrics_server = install_addon(name, metrics_server(args), args.cluster, parent=self,
                                            depends_on=args.depends_on).release
        self.register_outputs({"role_arn": self.role_arn})
