"""``ServiceControllers``: the in-cluster controllers the agent services rely on.

The AWS Load Balancer Controller turns the Ingress into an HTTPS ALB, KEDA scales the queue
workers on SQS depth, and the Prometheus adapter serves per-pod request rates to the HPAs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

import pulumi
import pulumi_kubernetes as k8s

from tierstack import charts
from tierstack.aws import policies
from tierstack.aws.context import aws_context
from tierstack.aws.iam import IrsaRole, IrsaRoleArgs, OidcIssuer
from tierstack.documented import documented
from tierstack.kube import pinned_release
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
    # The EKS cluster the controllers run on.
    cluster_name: str
    # The cluster's region, for the load balancer controller.
    region: str
    # The cluster's VPC, for the load balancer controller.
    vpc_id: pulumi.Input[str]
    # The cluster's OIDC issuer, for the controllers' IRSA roles.
    oidc: OidcIssuer
    # The cluster's Kubernetes provider.
    provider: k8s.Provider
    # The request queue KEDA reads its depth from.
    queue_arn: pulumi.Input[str]
    # The Prometheus that prometheus-adapter queries for custom metrics.
    prometheus_url: str
    # Which controllers to install; the default installs all three.
    installs: ControllerInstalls = field(default_factory=ControllerInstalls)
    # What the charts must wait for (e.g. node groups); () waits for nothing extra.
    depends_on: Sequence[pulumi.Resource] = ()
    # Tags added to the controllers' IRSA roles; {} adds none.
    tags: Mapping[str, str] = field(default_factory=dict)


class ServiceControllers(pulumi.ComponentResource):
    # None where the cluster already runs that controller (ControllerInstalls).
    load_balancer_controller: Optional[k8s.helm.v3.Release]
    keda: Optional[k8s.helm.v3.Release]
    prometheus_adapter: Optional[k8s.helm.v3.Release]

    def __init__(self, name: str, args: ServiceControllersArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("tierstack:services:ServiceControllers", name, None, opts)
        context = aws_context(self)
        installs = args.installs
        self.load_balancer_controller = self._load_balancer_controller(name, args, context) \
            if installs.load_balancer_controller else None
        self.keda = self._keda(name, args) if installs.keda else None
        self.prometheus_adapter = self._prometheus_adapter(name, args) if installs.prometheus_adapter else None
        self.register_outputs({})

    def _load_balancer_controller(self, name: str, args: ServiceControllersArgs, context) -> k8s.helm.v3.Release:
        lbc_role = IrsaRole(f"{name}-lbc", IrsaRoleArgs(
            oidc=args.oidc, namespace=LBC_NAMESPACE, service_account=LBC_SERVICE_ACCOUNT,
            inline_policy=context.partition.apply(lambda p: json.dumps(policies.load_balancer_controller(p))),
            tags=args.tags,
        ), opts=pulumi.ResourceOptions(parent=self))
        return pinned_release(
            f"{name}-aws-load-balancer-controller", charts.AWS_LOAD_BALANCER_CONTROLLER,
            namespace=LBC_NAMESPACE,
            values={
                "clusterName": args.cluster_name,
                # Set explicitly so the controller never needs instance metadata to find them.
                "region": args.region,
                "vpcId": args.vpc_id,
                "replicaCount": 2,
                "serviceAccount": {"create": True, "name": LBC_SERVICE_ACCOUNT,
                                   "annotations": {"eks.amazonaws.com/role-arn": lbc_role.arn}},
                "podDisruptionBudget": {"maxUnavailable": 1},
                # The Service mutator only gives type-LoadBalancer Services a load balancer class;
                # tierstack has none (the API is an Ingress). It fails closed on every Service in the
                # cluster, so while the controller is not Ready no Service anywhere could be created.
                "enableServiceMutatorWebhook": False,
            },
            provider=args.provider, parent=self, depends_on=[lbc_role, *args.depends_on],
        )

    def _keda(self, name: str, args: ServiceControllersArgs) -> k8s.helm.v3.Release:
        keda_role = IrsaRole(f"{name}-keda", IrsaRoleArgs(
            oidc=args.oidc, namespace=KEDA_NAMESPACE, service_account=KEDA_SERVICE_ACCOUNT,
            inline_policy=pulumi.Output.from_input(args.queue_arn).apply(
                lambda arn: json.dumps(policies.queue_depth_reader(arn))),
            tags=args.tags,
        ), opts=pulumi.ResourceOptions(parent=self))
        return pinned_release(
            f"{name}-keda", charts.KEDA, namespace=KEDA_NAMESPACE, create_namespace=True,
            values={
                "podIdentity": {"aws": {"irsa": {"enabled": True, "roleArn": keda_role.arn}}},
                "serviceAccount": {"operator": {"name": KEDA_SERVICE_ACCOUNT}},
                "resources": {"operator": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "512Mi"}}},
            },
            provider=args.provider, parent=self, depends_on=[keda_role, *args.depends_on],
        )

    def _prometheus_adapter(self, name: str, args: ServiceControllersArgs) -> k8s.helm.v3.Release:
        return pinned_release(
            f"{name}-prometheus-adapter", charts.PROMETHEUS_ADAPTER, namespace=ADAPTER_NAMESPACE, create_namespace=True,
            values={
                "prometheus": {"url": args.prometheus_url, "port": 9090},
                "replicas": 2,
                "rules": {"default": False, "custom": [REQUEST_RATE_RULE]},
                "podDisruptionBudget": {"enabled": True, "maxUnavailable": 1},
            },
            provider=args.provider, parent=self, depends_on=list(args.depends_on),
        )
