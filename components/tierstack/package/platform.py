"""``RegionalCell`` and ``AgentPlatform`` for other languages, configured as a stack file is.

Their inputs are a stack file's top-level keys (``tierstack:tier``, ``tierstack:regions``,
``tierstack:overrides``...), validated by the same loader with the deploy-time checks the
tierstack program runs, so a platform built from TypeScript or YAML is the one ``pulumi up`` of
this repository builds from the same values.
"""

import re
from typing import Any, Optional

import pulumi
from typing_extensions import NotRequired, TypedDict

from tierstack.catalog import aws as catalog
from tierstack.catalog.aws import region_code
from tierstack.config.loader import build_stack_config
from tierstack.config.model import StackConfig
from tierstack.config.tiers import Tier
from tierstack.naming import PLATFORM_NAME_BUDGET
from tierstack.package.base import PackageComponent, all_of, same_as
from tierstack.platform import AgentPlatform as BuiltAgentPlatform
from tierstack.platform import AgentPlatformArgs as BuiltAgentPlatformArgs
from tierstack.platform import CellOrigin as BuiltCellOrigin
from tierstack.platform import RegionalCell as BuiltRegionalCell
from tierstack.platform import RegionalCellArgs as BuiltRegionalCellArgs
from tierstack.platform import platform_tags

# A cell is named as its platform plus "-" and a region code (naming.py budgets the rest).
CELL_NAME_BUDGET = PLATFORM_NAME_BUDGET + 1 + max(len(region_code(region)) for region in catalog.REGION_AZS)
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
STACK_KEYS = ("tier", "environment", "production", "compliance_profile", "regions", "tags", "quotas", "overrides")


def _checked_name(name: str, budget: int, what: str) -> str:
    """Every AWS name the platform creates starts with ``name``, so it must fit their limits and rules."""
    if len(name) > budget or not _NAME.match(name):
        raise ValueError(f"'{name}' cannot start AWS names: {what} names must be 1-{budget} lowercase letters, digits "
                         "and single hyphens, starting with a letter (RDS and ElastiCache identifiers and IAM role "
                         f"names embed it). Fix: name the {what} e.g. 'agents-prod'.")
    return name


def _config(args: Any, home_region: Optional[str]) -> StackConfig:
    """The stack's config from the stack keys, as the tierstack program loads it (deploy checks included)."""
    camel = {"compliance_profile": "complianceProfile"}
    raw = {camel.get(key, key): args[key] for key in STACK_KEYS if args.get(key) is not None}
    raw["tier"] = Tier(raw["tier"]).value
    return build_stack_config(raw, stack=pulumi.get_stack(), home_region=home_region, deployment=True)


class CellOrigin(TypedDict):
    """What the global edge hands a cell before its load balancer exists (EdgeOrigins' outputs for the cell's region)."""

    certificate_arn: pulumi.Input[str]
    """The cell's regional origin certificate, for its load balancer's listener."""
    verify_header: str
    """The header CloudFront adds to origin requests, which the load balancer requires."""
    verify_value: pulumi.Input[str]
    """The secret value of verify_header."""


class RegionalCellArgs(TypedDict):
    tier: Tier
    """The scale tier whose presets size every component (tierstack:tier): pilot, growth, scale, enterprise or hyperscale."""
    environment: NotRequired[str]
    """The environment (tierstack:environment), in resource names and the Environment tag; the Pulumi stack's name unless given."""
    production: NotRequired[bool]
    """Production rules (tierstack:production): deletion protection, final snapshots, the production policy set; true for the environments prod and production unless given."""
    compliance_profile: NotRequired[str]
    """Which policy profile gates this stack: "hipaa" adds customer-managed keys everywhere, longer retention, full audit logging and no public endpoints."""
    regions: NotRequired[list[str]]
    """The stack's regions (tierstack:regions), home region first; the cell's region must be one. The cell's region, then the seed regions, as many as the tier's regionCount, unless given."""
    tags: NotRequired[dict[str, str]]
    """The stack's tags (tierstack:tags), added to every AWS resource with tierstack's own (Environment, ManagedBy, tierstack:tier, tierstack:region)."""
    quotas: NotRequired[dict[str, int]]
    """What the account lets each region hold; checked against the stack's demand before deploying."""
    overrides: NotRequired[dict[str, Any]]
    """Settings that differ from the tier's presets (tierstack:overrides), by section, in camelCase as in docs/configuration.md, e.g. {"data": {"cache": {"shards": 2}}}; checked as a stack file's are."""
    region: str
    """The cell's region (one of regions); the AWS provider the cell is given (the program's default, or the aws entry of its providers) must be in it."""
    origin: NotRequired[CellOrigin]
    """Set when the stack has a global edge: the cell's load balancer becomes its origin."""


class RegionalCell(PackageComponent):
    """One region's whole cell, configured as a stack file is: its logs key, network, EKS cluster, agent services, cache, sharded database and observability, wired together."""

    vpc_id: pulumi.Output[str]
    """The cell's VPC."""
    private_subnet_ids: pulumi.Output[list[str]]
    """The cell's private subnets, one per zone."""
    cluster_name: pulumi.Output[str]
    """The cell's EKS cluster."""
    cluster_endpoint: pulumi.Output[str]
    """The cluster's Kubernetes API endpoint."""
    kubeconfig: pulumi.Output[str]
    """A kubeconfig (secret) for the cluster that authenticates with `aws eks get-token`."""
    oidc_provider_arn: pulumi.Output[str]
    """The cluster's IAM OIDC provider, for IRSA roles of your own workloads."""
    cache_endpoint: pulumi.Output[str]
    """The cache's endpoint."""
    shard_map_parameter_name: pulumi.Output[str]
    """The SSM parameter holding the shard map, for anything outside the cluster that routes users."""
    queue_url: pulumi.Output[str]
    """The agent services' request queue."""
    load_balancer_hostname: pulumi.Output[str]
    """The public load balancer's DNS name once the controller has made it; empty without a public Ingress."""
    alert_topic_arn: pulumi.Output[str]
    """The cell's alert topic."""

    def __init__(self, name: str, args: RegionalCellArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, opts)
        _checked_name(name, CELL_NAME_BUDGET, "cell")
        config = _config(args, home_region=args["region"])
        origin = args.get("origin")
        built = BuiltRegionalCell(name, BuiltRegionalCellArgs(
            config=config, region=args["region"],
            origin=None if origin is None else BuiltCellOrigin(**origin),
        ), opts=self._inner(platform_tags(config)))
        self.vpc_id = built.network.vpc_id
        self.private_subnet_ids = all_of(built.network.private_subnet_ids)
        self.cluster_name = built.cluster.name
        self.cluster_endpoint = built.cluster.endpoint
        self.kubeconfig = built.cluster.kubeconfig
        self.oidc_provider_arn = built.cluster.oidc_provider_arn
        self.cache_endpoint = built.cache.endpoint
        self.shard_map_parameter_name = built.shard_map_parameter.name
        self.queue_url = built.services.queue.url
        self.load_balancer_hostname = built.services.load_balancer_hostname
        self.alert_topic_arn = built.observability.alert_topic_arn
        self._publish()


class AgentPlatformArgs(TypedDict):
    tier: Tier
    """The scale tier whose presets size every component (tierstack:tier): pilot, growth, scale, enterprise or hyperscale."""
    environment: NotRequired[str]
    """The environment (tierstack:environment), in resource names and the Environment tag; the Pulumi stack's name unless given."""
    production: NotRequired[bool]
    """Production rules (tierstack:production): deletion protection, final snapshots, the production policy set; true for the environments prod and production unless given."""
    compliance_profile: NotRequired[str]
    """Which policy profile gates this stack: "hipaa" adds customer-managed keys everywhere, longer retention, full audit logging and no public endpoints."""
    regions: NotRequired[list[str]]
    """The regions (tierstack:regions), home region first: one cell each. The provider's region (aws:region), then the seed regions, as many as the tier's regionCount, unless given."""
    tags: NotRequired[dict[str, str]]
    """The stack's tags (tierstack:tags), added to every AWS resource with tierstack's own (Environment, ManagedBy, tierstack:tier, tierstack:region)."""
    quotas: NotRequired[dict[str, int]]
    """What the account lets each region hold; checked against the stack's demand before deploying."""
    overrides: NotRequired[dict[str, Any]]
    """Settings that differ from the tier's presets (tierstack:overrides), by section, in camelCase as in docs/configuration.md, e.g. {"data": {"cache": {"shards": 2}}}; checked as a stack file's are."""


class AgentPlatform(PackageComponent):
    """The whole platform, configured as a stack file is: one regional cell per region, the disaster-recovery secondaries, the global edge when edge.zoneName is set, and the stack's budgets."""

    regions: pulumi.Output[list[str]]
    """The regions, home first: one cell each."""
    cluster_names: pulumi.Output[dict[str, str]]
    """Each cell's EKS cluster, by region."""
    cluster_endpoints: pulumi.Output[dict[str, str]]
    """Each cluster's Kubernetes API endpoint, by region."""
    kubeconfigs: pulumi.Output[dict[str, str]]
    """Each cluster's kubeconfig (secret), by region."""
    vpc_ids: pulumi.Output[dict[str, str]]
    """Each cell's VPC, by region."""
    load_balancer_hostnames: pulumi.Output[dict[str, str]]
    """Each cell's public load balancer, by region; empty where a cell has no public Ingress."""
    api_hostname: pulumi.Output[str]
    """The public API's host name behind the global edge; empty without one."""

    def __init__(self, name: str, args: AgentPlatformArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, opts)
        _checked_name(name, PLATFORM_NAME_BUDGET, "platform")
        config = _config(args, home_region=pulumi.Config("aws").get("region"))
        built = BuiltAgentPlatform(name, BuiltAgentPlatformArgs(config=config), opts=self._inner())
        cells = built.cells
        self.regions = pulumi.Output.from_input(list(cells))
        self.cluster_names = pulumi.Output.all(**{region: cell.cluster.name for region, cell in cells.items()})
        self.cluster_endpoints = pulumi.Output.all(**{region: cell.cluster.endpoint for region, cell in cells.items()})
        self.kubeconfigs = pulumi.Output.all(**{region: cell.cluster.kubeconfig for region, cell in cells.items()})
        self.vpc_ids = pulumi.Output.all(**{region: cell.network.vpc_id for region, cell in cells.items()})
        self.load_balancer_hostnames = pulumi.Output.all(
            **{region: cell.services.load_balancer_hostname for region, cell in cells.items()})
        self.api_hostname = pulumi.Output.from_input(built.edge.api_hostname if built.edge is not None else "")
        self._publish()


_STACK_DESCRIPTIONS = ("compliance_profile", "quotas")
DESCRIBED_BY = {
    **same_as(RegionalCellArgs, StackConfig, *_STACK_DESCRIPTIONS),
    **same_as(AgentPlatformArgs, StackConfig, *_STACK_DESCRIPTIONS),
    **same_as(RegionalCellArgs, BuiltRegionalCellArgs, "origin"),
    **same_as(CellOrigin, BuiltCellOrigin, "certificate_arn", "verify_header", "verify_value"),
}
