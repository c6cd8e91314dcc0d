"""``ServiceControllers``: the in-cluster controllers the agent services rely on.

The AWS Load Balancer Controller turns the Ingress into an HTTPS ALB, KEDA scales the queue
workers on SQS depth, and the Prometheus adapter serves per-pod request rates to the HPAs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Optional, Sequence

import pulumi
import pulumi_kubernetes as k8s

from tierstack import charts
from tierstack.aws import policies
from tierstack.addons import AddonIdentity, ChartAddon, install_addon, irsa_annotation
from tierstack.aws.context import aws_context
from tierstack.documented import documented
from tierstack.kube import ClusterContext
from tierstack.services.manifests import REQUESTS_PER_SECOND

LBC_NAMESPACE, LBC_SERVICE_ACCOUNT = "kube-system", "aws-load-balancer-controller"
KEDA_NAMESPACE, KEDA_SERVICE_ACCOUNT = "keda", "keda-operator"
ADAPTER_NAMESPACE = "custom-metrics"

# Counters named http_requests_total (the Prometheus client libraries' convention) become a
# per-pod http_requests_per_second metric the HPAs target.
REQUEST_RATE_RULE = {
    "seriesQuery": 'http_requests_total{namespace!="",pod!=""}',
    "resources": {"overrides": {"namespace": {"resource": "namespace"}, "pod": {"resource": "pod"}}},
    "name": {"matches": "^http_requests_total$", "as": REQUESTS_PER_SECOND},
    "metricsQuery": "sum(rate(<<.Series>>{<<.LabelMatchers>>}[2m])) by (<<.GroupBy>>)",
}


@documented
@dataclass(frozen=True)
class ControllerInstalls:
    """Which in-cluster controllers AgentServices installs; turn one off where the cluster runs its own.

    A controller that is off must already be running (with its CRDs): the AWS Load Balancer
    Controller for the public Ingress, KEDA for the queue workers' ScaledObject, and a
    custom-metrics server serving ``http_requests_per_second`` for the HPAs.
    """

    # Install the AWS Load Balancer Controller; False when the cluster runs its own.
    load_balancer_controller: bool = True
    # Install KEDA (scales the queue workers); False when the cluster runs its own.
    keda: bool = True
    # Install prometheus-adapter (custom metrics for HPAs); False when the cluster serves them.
    prometheus_adapter: bool = True


@documented
@dataclass(frozen=True)
class ServiceControllersArgs:
    # The cluster the controllers run on (the load balancer controller needs its vpc_id).
    cluster: ClusterContext
    # The request queue KEDA reads its depth from.
    queue_arn: pulumi.Input[str]
    # The Prometheus that prometheus-adapter queries for custom metrics.
    prometheus_url: str
    # Which controllers to install; the default installs all three.
    installs: ControllerInstalls = field(default_factory=ControllerInstalls)
    # What the charts must wait for (e.g. node groups); () waits for nothing extra.
    depends_on: Sequence[pulumi.Resource] = ()


def load_balancer_controller(cluster: ClusterContext, partition: pulumi.Output[str]) -> ChartAddon:
    vpc_id = cluster.required("vpc_id", "the AWS Load Balancer Controller (ControllerInstalls.load_balancer_controller)")
    return ChartAddon(
        pin=charts.AWS_LOAD_BALANCER_CONTROLLER, namespace=LBC_NAMESPACE, release_suffix="aws-load-balancer-controller",
        identity=AddonIdentity(LBC_SERVICE_ACCOUNT, partition.apply(
            lambda p: json.dumps(policies.load_balancer_controller(p))), role_suffix="lbc"),
        values=lambda role_arn: {
            "clusterName": cluster.name,
            # Set explicitly so the controller never needs instance metadata to find them.
            "region": cluster.region,
            "vpcId": vpc_id,
            "replicaCount": 2,
            "serviceAccount": {"create": True, "name": LBC_SERVICE_ACCOUNT, "annotations": irsa_annotation(role_arn)},
            "podDisruptionBudget": {"maxUnavailable": 1},
            # The Service mutator only gives type-LoadBalancer Services a load balancer class;
            # tierstack has none (the API is an Ingress). It fails closed on every Service in the
            # cluster, so while the controller is not Ready no Service anywhere could be created.
            "enableServiceMutatorWebhook": False,
        })


def keda(queue_arn: pulumi.Input[str]) -> ChartAddon:
    return ChartAddon(
        pin=charts.KEDA, namespace=KEDA_NAMESPACE, release_suffix="keda", create_namespace=True,
        identity=AddonIdentity(KEDA_SERVICE_ACCOUNT, pulumi.Output.from_input(queue_arn).apply(
            lambda arn: json.dumps(policies.queue_depth_reader(arn))), role_suffix="keda"),
        values=lambda role_arn: {
            "podIdentity": {"aws": {"irsa": {"enabled": True, "roleArn": role_arn}}},
            "serviceAccount": {"operator": {"name": KEDA_SERVICE_ACCOUNT}},
            "resources": {"operator": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}}},
        })


def prometheus_adapter(prometheus_url: str) -> ChartAddon:
    return ChartAddon(
        pin=charts.PROMETHEUS_ADAPTER, namespace=ADAPTER_NAMESPACE, release_suffix="prometheus-adapter",
        create_namespace=True,
        values=lambda _: {
            "prometheus": {"url": prometheus_url, "port": 9090},
            "replicas": 2,
            "rules": {"default": False, "custom": [REQUEST_RATE_RULE]},
            "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1},
        })


class ServiceControllers(pulumi.ComponentResource):
    """The controllers the agent services rely on, each left out where the cluster runs its own. See ServiceControllersArgs."""

    # None where the cluster already runs that controller (ControllerInstalls).
    load_balancer_controller: Optional[k8s.helm.v3.Release]
    keda: Optional[k8s.helm.v3.Release]
    prometheus_adapter: Optional[k8s.helm.v3.Release]

    def __init__(self, name: str, args: ServiceControllersArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("tierstack:services:ServiceControllers", name, None, opts)
        installs = args.installs
        wanted = [
            ("load_balancer_controller", installs.load_balancer_controller,
             lambda: load_balancer_controller(args.cluster, aws_context(self).partition)),
            ("keda", installs.keda, lambda: keda(args.queue_arn)),
            ("prometheus_adapter", installs.prometheus_adapter, lambda: prometheus_adapter(args.prometheus_url)),
        ]
        for attribute, install, addon in wanted:
            setattr(self, attribute, install_addon(name, addon(), args.cluster, parent=self,
                                                   depends_on=args.depends_on).release if install else None)
        self.register_outputs({})
