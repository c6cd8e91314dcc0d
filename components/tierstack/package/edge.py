"""The global edge for other languages: ``EdgeOrigins``, ``OriginSecurityGroups`` and ``GlobalEdge``.

The edge spans regions (CloudFront's certificate and WAF live in us-east-1, each origin's
certificate in its own region), so these components make an AWS provider per region they
touch, as AgentPlatform does; every other package component uses the caller's provider.
"""

from typing import Any, Optional

import pulumi
from typing_extensions import NotRequired, TypedDict

from tierstack.config.edge import EdgeSettings
from tierstack.config.tiers import Tier
from tierstack.edge import GlobalEdge as BuiltGlobalEdge
from tierstack.edge import GlobalEdgeArgs as BuiltGlobalEdgeArgs
from tierstack.edge import RegionalOrigin as BuiltRegionalOrigin
from tierstack.edge.origins import EdgeOrigins as BuiltEdgeOrigins
from tierstack.edge.origins import EdgeOriginsArgs as BuiltEdgeOriginsArgs
from tierstack.edge.origins import OriginSecurityGroups as BuiltOriginSecurityGroups
from tierstack.edge.origins import OriginSecurityGroupsArgs as BuiltOriginSecurityGroupsArgs
from tierstack.package.base import PackageComponent, all_of, listed, same_as
from tierstack.package.providers import edge_provider, regional_providers
from tierstack.package.settings import component_settings


class EdgeOriginsArgs(TypedDict):
    api_host: str
    """The public API host name (e.g. api.example.com); origin hosts derive from it."""
    zone_name: str
    """The public hosted zone the validation records go into."""
    regions: list[str]
    """The origin regions: each gets a certificate and a regional origin host."""
    tags: NotRequired[dict[str, str]]
    """Tags added to every AWS resource the component creates."""


class EdgeOrigins(PackageComponent):
    """What each region's load balancer needs before it can serve the global edge: a validated origin certificate per region and the secret header CloudFront sends."""

    certificate_arns: pulumi.Output[dict[str, str]]
    """Each region's issued origin certificate, by region: its load balancer's HTTPS listener certificate."""
    verify_header: pulumi.Output[str]
    """The header CloudFront adds to every origin request; the load balancers require it."""
    verify_value: pulumi.Output[str]
    """The header's secret value."""

    def __init__(self, name: str, args: EdgeOriginsArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, opts)
        regions = listed(args["regions"], "regions")
        providers = regional_providers(name, regions, self)
        built = BuiltEdgeOrigins(name, BuiltEdgeOriginsArgs(
            api_host=args["api_host"], zone_name=args["zone_name"], regions=regions,
            dns_provider=edge_provider(name, self, providers), regional_providers=providers,
        ), opts=self._inner(args.get("tags")))
        self.certificate_arns = pulumi.Output.all(**built.certificate_arns)
        self.verify_header = pulumi.Output.from_input(built.verify_header)
        self.verify_value = built.verify_value
        self._publish()


class OriginSecurityGroupsArgs(TypedDict):
    vpc_id: pulumi.Input[str]
    """The VPC of the load balancer the groups attach to."""
    vpc_cidr: pulumi.Input[str]
    """Where the load balancer's targets (pod IPs) live: its only egress."""
    region: str
    """The VPC's region: picks the region's CloudFront and health-checker prefix lists."""
    port: NotRequired[int]
    """The port the load balancer listens on; 443 (HTTPS)."""
    tags: NotRequired[dict[str, str]]
    """Tags added to every AWS resource the component creates."""


class OriginSecurityGroups(PackageComponent):
    """Security groups for a load balancer that only CloudFront's origin-facing servers and Route 53's health checkers reach."""

    ids: pulumi.Output[list[str]]
    """The groups' ids: an AgentServices edgeOrigin's securityGroupIds."""

    def __init__(self, name: str, args: OriginSecurityGroupsArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, opts)
        optional = {key: args[key] for key in ("port",) if key in args}
        built = BuiltOriginSecurityGroups(name, BuiltOriginSecurityGroupsArgs(
            vpc_id=args["vpc_id"], vpc_cidr=args["vpc_cidr"], region=args["region"], **optional,
        ), opts=self._inner(args.get("tags")))
        self.ids = all_of(built.ids)
        self._publish()


class RegionalOrigin(TypedDict):
    """One region's load balancer behind the edge."""

    region: str
    """The origin's region."""
    load_balancer_hostname: pulumi.Input[str]
    """The regional ALB's DNS name. The AWS Load Balancer Controller creates the ALB from the public Ingress, so this comes from the Ingress status (status.loadBalancer.ingress[0].hostname)."""


class GlobalEdgeArgs(TypedDict):
    tier: Tier
    """The scale tier whose preset sizes this component: pilot, growth, scale, enterprise or hyperscale."""
    overrides: NotRequired[dict[str, Any]]
    """Edge settings that differ from the tier's preset, in camelCase as under tierstack:overrides.edge in a stack file (docs/configuration.md), e.g. {"routing": "geolocation"}; checked as a stack file's are."""
    zone_name: str
    """An existing public Route 53 hosted zone; GlobalEdge requires it."""
    name_prefix: str
    """Prefix of the names AWS sees (web ACL, cache policies, log group, key alias), unique per account: e.g. "tierstack-prod"."""
    origins: list[RegionalOrigin]
    """Home region first: it is the failover group's primary and geolocation's default."""
    verify_header: NotRequired[str]
    """The header CloudFront adds to every origin request, which the load balancers require (EdgeOrigins' verifyHeader); without it CloudFront sends none."""
    verify_value: NotRequired[pulumi.Input[str]]
    """The secret value of verifyHeader (EdgeOrigins' verifyValue)."""
    protect: NotRequired[bool]
    """Production stacks: keep the log bucket, log group and their key from being deleted."""
    tags: NotRequired[dict[str, str]]
    """Tags added to every AWS resource the component creates."""


class GlobalEdge(PackageComponent):
    """CloudFront, WAF and Route 53 in front of every regional origin: the public API name, caching by class, failover and nearest-region routing, sized by a tier."""

    api_hostname: pulumi.Output[str]
    """The public API's host name (<apiSubdomain>.<zoneName>)."""
    distribution_id: pulumi.Output[str]
    """The CloudFront distribution's id."""
    distribution_domain_name: pulumi.Output[str]
    """The CloudFront distribution's domain name."""
    certificate_arn: pulumi.Output[str]
    """CloudFront's issued certificate (us-east-1)."""
    web_acl_arn: pulumi.Output[str]
    """The WAF web ACL in front of the distribution."""
    health_check_ids: pulumi.Output[dict[str, str]]
    """The Route 53 health check of each origin, by region."""
    origin_hostnames: pulumi.Output[dict[str, str]]
    """The name each region's origin answers at, by region."""
    log_bucket_name: pulumi.Output[str]
    """The bucket CloudFront writes its access logs to."""

    def __init__(self, name: str, args: GlobalEdgeArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, opts)
        overrides = {**(args.get("overrides") or {}), "zoneName": args["zone_name"]}
        origins = [BuiltRegionalOrigin(region=origin["region"], load_balancer_hostname=origin["load_balancer_hostname"])
                   for origin in listed(args["origins"], "origins")]
        providers = regional_providers(name, [origin.region for origin in origins], self)
        built = BuiltGlobalEdge(name, BuiltGlobalEdgeArgs(
            settings=component_settings(args["tier"], "edge", overrides, name=name),
            name_prefix=args["name_prefix"],
            origins=origins,
            edge_provider=edge_provider(name, self, providers),
            regional_providers=providers,
            verify_header=args.get("verify_header"),
            verify_value=args.get("verify_value"),
            protect=bool(args.get("protect", False)),
        ), opts=self._inner(args.get("tags")))
        self.api_hostname = pulumi.Output.from_input(built.api_hostname)
        self.distribution_id = built.distribution_id
        self.distribution_domain_name = built.distribution_domain_name
        self.certificate_arn = built.certificate_arn
        self.web_acl_arn = built.web_acl_arn
        self.health_check_ids = pulumi.Output.all(**built.health_check_ids)
        self.origin_hostnames = pulumi.Output.from_input(dict(built.origin_hostnames))
        self.log_bucket_name = built.log_bucket_name
        self._publish()


DESCRIBED_BY = {
    **same_as(EdgeOriginsArgs, BuiltEdgeOriginsArgs, "api_host", "zone_name", "regions"),
    **same_as(OriginSecurityGroupsArgs, BuiltOriginSecurityGroupsArgs, "vpc_id", "vpc_cidr", "region", "port"),
    **same_as(RegionalOrigin, BuiltRegionalOrigin, "load_balancer_hostname"),
    **same_as(GlobalEdgeArgs, EdgeSettings, "zone_name"),
    **same_as(GlobalEdgeArgs, BuiltGlobalEdgeArgs, "name_prefix", "origins", "protect"),
}
