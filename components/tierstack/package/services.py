"""``AgentServices`` for other languages: the agent services, their queue and workers, on an existing cluster.

The services run without the data tier's wiring here: that wiring takes the ShardedDatabase
object itself (its shards, users and IAM grants), which cannot cross languages. RegionalCell
builds a cell with services, cache and database wired together.
"""

from typing import Any, Optional

import pulumi
from typing_extensions import NotRequired, TypedDict

from tierstack.config.tiers import Tier
from tierstack.package.base import PackageComponent, listed, same_as
from tierstack.package.cluster import ClusterContext, built_context
from tierstack.package.settings import component_settings
from tierstack.platform import CellOrigin
from tierstack.services import AgentServices as BuiltAgentServices
from tierstack.services import AgentServicesArgs as BuiltAgentServicesArgs
from tierstack.services import ControllerInstalls as BuiltControllerInstalls
from tierstack.services import Telemetry as BuiltTelemetry
from tierstack.services.manifests import EdgeOrigin as BuiltEdgeOrigin
from tierstack.services.manifests import verify_condition


class ControllerInstalls(TypedDict):
    """Which in-cluster controllers AgentServices installs; turn one off where the cluster runs its own (with its CRDs)."""

    load_balancer_controller: NotRequired[bool]
    """Install the AWS Load Balancer Controller; False when the cluster runs its own."""
    keda: NotRequired[bool]
    """Install KEDA (scales the queue workers); False when the cluster runs its own."""
    prometheus_adapter: NotRequired[bool]
    """Install prometheus-adapter (custom metrics for HPAs); False when the cluster serves them."""


class Telemetry(TypedDict):
    """Where the workloads send traces (OTLP), through the standard OTEL_* variables."""

    otlp_endpoint: str
    """The collector's OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT)."""
    resource_attributes: NotRequired[dict[str, str]]
    """Extra resource attributes every span carries; {} adds only the region."""
    protocol: NotRequired[str]
    """The OTLP transport: "grpc" (default) or "http/protobuf"."""


class EdgeOrigin(TypedDict):
    """How the services' load balancer serves as an origin of the global edge (from EdgeOrigins and OriginSecurityGroups)."""

    certificate_arn: pulumi.Input[str]
    """The cell's regional origin certificate, for its load balancer's listener."""
    security_group_ids: list[pulumi.Input[str]]
    """The security groups the load balancer gets, which admit only CloudFront and Route 53's health checkers (OriginSecurityGroups' ids)."""
    verify_header: str
    """The header CloudFront adds to origin requests, which the load balancer requires."""
    verify_value: pulumi.Input[str]
    """The secret value of verify_header."""
    health_path: NotRequired[str]
    """The path Route 53's health checks probe without the header; /healthz unless given."""


class AgentServicesArgs(TypedDict):
    tier: Tier
    """The scale tier whose preset sizes this component: pilot, growth, scale, enterprise or hyperscale."""
    overrides: NotRequired[dict[str, Any]]
    """Services settings that differ from the tier's preset, in camelCase as under tierstack:overrides.services in a stack file (docs/configuration.md), e.g. {"conversation": {"replicas": 4}}; checked as a stack file's are."""
    cluster: ClusterContext
    """The cluster the services run on."""
    load_balancer_cidrs: list[pulumi.Input[str]]
    """Public subnet blocks: where the ALB's nodes live, admitted by the public services' policies."""
    node_pools: NotRequired[list[str]]
    """The node pools (tierstack.io/pool labels) the cluster has, for soft placement."""
    allow_scale_to_zero: NotRequired[bool]
    """Production tiers keep workers warm; only pilot may scale them to zero."""
    protect: NotRequired[bool]
    """Production stacks: keep the request queue (and its key) from being deleted."""
    controllers: NotRequired[ControllerInstalls]
    """Which controllers to install; turn off the ones the cluster already runs."""
    telemetry: NotRequired[Telemetry]
    """The cell's trace collector; without it the OTEL_* variables stay unset."""
    edge_origin: NotRequired[EdgeOrigin]
    """Behind the global edge: how this cell's load balancer serves as its origin."""
    tags: NotRequired[dict[str, str]]
    """Tags added to every AWS resource the component creates."""


def _edge_origin(origin: Optional[EdgeOrigin]) -> Optional[BuiltEdgeOrigin]:
    if origin is None:
        return None
    header = origin["verify_header"]
    health = {"health_path": origin["health_path"]} if origin.get("health_path") else {}
    return BuiltEdgeOrigin(
        certificate_arn=origin["certificate_arn"],
        security_groups=pulumi.Output.all(*listed(origin["security_group_ids"], "edgeOrigin.securityGroupIds"))
        .apply(",".join),
        verify_condition=pulumi.Output.from_input(origin["verify_value"]).apply(
            lambda secret: verify_condition(header, secret)),
        **health)


class AgentServices(PackageComponent):
    """The agent services (each with its IAM role, HPA, PDB and NetworkPolicy), the request queue and its KEDA-scaled workers, the controllers they need (each can be left out) and the public Ingress, on an existing EKS cluster, sized by a tier."""

    queue_url: pulumi.Output[str]
    """The request queue the conversation service hands long work to."""
    queue_arn: pulumi.Output[str]
    """The request queue's ARN."""
    namespace: pulumi.Output[str]
    """The Kubernetes namespace the services run in."""
    load_balancer_hostname: pulumi.Output[str]
    """The public load balancer's DNS name once the controller has made it; empty without a public Ingress."""

    def __init__(self, name: str, args: AgentServicesArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, opts)
        cluster = args["cluster"]
        settings = component_settings(args["tier"], "services", args.get("overrides"), name=name,
                                      region=cluster["region"])
        telemetry = args.get("telemetry")
        built = BuiltAgentServices(name, BuiltAgentServicesArgs(
            settings=settings,
            cluster=built_context(name, cluster, self),
            load_balancer_cidrs=listed(args["load_balancer_cidrs"], "loadBalancerCidrs"),
            node_pools=tuple(args.get("node_pools") or ()),
            allow_scale_to_zero=bool(args.get("allow_scale_to_zero", False)),
            protect=bool(args.get("protect", False)),
            controllers=BuiltControllerInstalls(**(args.get("controllers") or {})),
            telemetry=None if telemetry is None else BuiltTelemetry(**telemetry),
            edge_origin=_edge_origin(args.get("edge_origin")),
        ), opts=self._inner(args.get("tags")))
        self.queue_url = built.queue.url
        self.queue_arn = built.queue.arn
        self.namespace = pulumi.Output.from_input(settings.namespace)
        self.load_balancer_hostname = built.load_balancer_hostname
        self._publish()


DESCRIBED_BY = {
    **same_as(AgentServicesArgs, BuiltAgentServicesArgs, "load_balancer_cidrs", "node_pools", "allow_scale_to_zero",
              "protect", "controllers", "edge_origin"),
    **same_as(ControllerInstalls, BuiltControllerInstalls, "load_balancer_controller", "keda", "prometheus_adapter"),
    **same_as(Telemetry, BuiltTelemetry, "otlp_endpoint", "resource_attributes", "protocol"),
    **same_as(EdgeOrigin, CellOrigin, "certificate_arn", "verify_header", "verify_value"),
}
