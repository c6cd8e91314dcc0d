"""``GlobalEdge``: the public front door shared by every regional cell.

Callers reach ``api.<zone>`` on CloudFront, behind a WAFv2 web ACL with the seed's rate
limits and AWS's managed baseline. CloudFront reaches the regions' load balancers over
HTTPS: cacheable reads through an origin group (home region, failing over to the next),
API calls through ``origin.api.<zone>``, a Route 53 latency (or geolocation) set whose
health checks take an unhealthy region out of DNS. CloudFront's certificate and its WAF
(scope CLOUDFRONT) and that WAF's logs must live in us-east-1, so they use ``edge_provider``;
each region's origin certificate lives in that region, for its load balancer's listener.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import pulumi
import pulumi_aws as aws

from tierstack.aws import policies
from tierstack.aws.kms import KmsKey, KmsKeyArgs
from tierstack.catalog.aws import region_code
from tierstack.documented import documented
from tierstack.edge import distribution as cdn
from tierstack.edge import naming
from tierstack.edge.caching import CacheClass, api_class, cache_classes, cache_key
from tierstack.edge.log_bucket import access_log_bucket, cloudfront_log_delivery_grant
from tierstack.config.edge import EdgeSettings
from tierstack.edge.waf import web_acl_rules

# CloudFront takes certificates, and CLOUDFRONT-scope WAF its log destinations, only here.
EDGE_REGION = "us-east-1"
MANAGED_CACHING_DISABLED = "Managed-CachingDisabled"
# Every viewer header, cookie and query string, but Host: the origin sees its own name, which
# its certificate covers and the health checks use too.
MANAGED_ALL_VIEWER_EXCEPT_HOST = "Managed-AllViewerExceptHostHeader"
# Headers whose values never reach the WAF logs (credentials and sessions).
REDACTED_HEADERS = ("authorization", "cookie")
_NAME_PREFIX = re.compile(r"^[a-z][a-z0-9-]{0,39}$")


@documented
@dataclass(frozen=True)
class RegionalOrigin:
    # The origin's region (a key of GlobalEdgeArgs.regional_providers).
    region: str
    # The regional ALB's DNS name. The AWS Load Balancer Controller creates the ALB from the
    # public Ingress, so this comes from the Ingress status (status.loadBalancer.ingress[0].hostname).
    load_balancer_hostname: pulumi.Input[str]


@documented
@dataclass(frozen=True)
class GlobalEdgeArgs:
    # The edge's settings (domain, WAF, caching, routing, logs).
    settings: EdgeSettings
    # Prefix of the names AWS sees (web ACL, cache policies, log group, key alias), unique per
    # account: e.g. "tierstack-prod".
    name_prefix: str
    # Home region first: it is the failover group's primary and geolocation's default.
    origins: Sequence[RegionalOrigin]
    # A provider for us-east-1.
    edge_provider: aws.Provider
    # A provider per origin region, for that region's certificate and load balancer lookups.
    regional_providers: Mapping[str, aws.Provider]
    # The header CloudFront adds to every origin request, which the load balancers require
    # (EdgeOrigins.verify_header / verify_value); None sends none.
    verify_header: Optional[str] = None
    # The secret value of verify_header; None with verify_header None.
    verify_value: Optional[pulumi.Input[str]] = None
    # Production stacks: keep the log bucket, log group and their key from being deleted.
    protect: bool = False


def check_args(args: GlobalEdgeArgs) -> None:
    """Raise before anything is registered when the arguments cannot make a working edge."""
    settings = args.settings
    if not settings.zone_name:
        raise ValueError("edge.zoneName is not set: GlobalEdge needs the public Route 53 hosted zone to publish "
                         "the API in. Fix: set edge.zoneName to an existing zone, e.g. 'agents.example.com'.")
    if not _NAME_PREFIX.match(args.name_prefix):
        raise ValueError(f"name_prefix '{args.name_prefix}' is not usable in AWS names. "
                         "Fix: use 1-40 lowercase letters, digits or '-', starting with a letter.")
    regions = [origin.region for origin in args.origins]
    if not regions:
        raise ValueError("GlobalEdge needs at least one RegionalOrigin. Fix: pass each region's load balancer.")
    if len(set(regions)) != len(regions):
        raise ValueError(f"a region appears twice in origins ({', '.join(regions)}). Fix: pass one origin per region.")
    missing = [region for region in regions if region not in args.regional_providers]
    if missing:
        raise ValueError(f"no regional provider for {', '.join(missing)}. "
                         "Fix: pass regional_providers with an aws.Provider for every origin region.")
    if settings.routing == "geolocation":
        strangers = sorted(set(settings.geolocation_continents) - set(regions))
        if strangers:
            raise ValueError(f"edge.geolocationContinents names {', '.join(strangers)}, which serve no origin. "
                             f"Fix: map only the stack's regions ({', '.join(regions)}).")
        naming.geolocation_plan(regions, settings.geolocation_continents)  # raises on unknown regions


class GlobalEdge(pulumi.ComponentResource):
    """CloudFront, WAF and Route 53 in front of every regional origin: the public API name, caching by class, failover and nearest-region routing. See GlobalEdgeArgs."""

    distribution: aws.cloudfront.Distribution
    web_acl: aws.wafv2.WebAcl
    distribution_id: pulumi.Output[str]
    distribution_domain_name: pulumi.Output[str]
    api_hostname: str
    certificate_arn: pulumi.Output[str]
    web_acl_arn: pulumi.Output[str]
    health_check_ids: dict[str, pulumi.Output[str]]
    origin_hostnames: dict[str, str]
    log_bucket_name: pulumi.Output[str]

    def __init__(self, name: str, args: GlobalEdgeArgs, opts: Optional[pulumi.ResourceOptions] = None):
        check_args(args)
        super().__init__("tierstack:edge:GlobalEdge", name, None, opts)
        settings = args.settings
        regions = [origin.region for origin in args.origins]
        api_host = settings.api_host
        assert api_host is not None  # check_args guarantees a zone
        edge = pulumi.ResourceOptions(parent=self, provider=args.edge_provider)
        lookup = pulumi.InvokeOutputOptions(parent=self, provider=args.edge_provider)
        self.api_hostname = api_host

        zone_id = aws.route53.get_zone_output(name=settings.zone_name, private_zone=False, opts=lookup).zone_id
        self._certificate(name, api_host, zone_id, edge)
        self._origin_dns(name, args, api_host, zone_id, edge)

        logs_key = KmsKey(f"{name}-logs", KmsKeyArgs(
            description=f"Encryption of the edge's WAF and CloudFront logs ({args.name_prefix})",
            alias=f"tierstack/{args.name_prefix}/edge-logs",
            grants=[lambda account, partition: policies.cloudwatch_logs_key_grant(account, partition, EDGE_REGION),
                    cloudfront_log_delivery_grant],
            protect=args.protect,
        ), opts=pulumi.ResourceOptions(parent=self, providers={"aws": args.edge_provider}))
        self._firewall(name, args, logs_key, edge)
        self._cdn(name, args, api_host, regions, logs_key, edge, lookup)

        for record_type in ("A", "AAAA"):
            aws.route53.Record(
                f"{name}-api-{record_type.lower()}", zone_id=zone_id, name=api_host, type=record_type,
                # CloudFront alias targets cannot evaluate target health; the origins do.
                aliases=[aws.route53.RecordAliasArgs(name=self.distribution.domain_name,
                                                     zone_id=self.distribution.hosted_zone_id,
                                                     evaluate_target_health=False)],
                opts=edge,
            )

        self.register_outputs({
            "distribution_id": self.distribution_id,
            "distribution_domain_name": self.distribution_domain_name,
            "api_hostname": self.api_hostname,
            "certificate_arn": self.certificate_arn,
            "web_acl_arn": self.web_acl_arn,
            "health_check_ids": self.health_check_ids,
        })

    def _certificate(self, name, api_host: str, zone_id, edge) -> None:
        """CloudFront's certificate, in us-east-1, for the public API name only.

        The origins have certificates of their own in their regions (``EdgeOrigins``); sharing no
        name with them keeps the load balancer controller from ever seeing two certificates for
        one host.
        """
        certificate = aws.acm.Certificate(
            f"{name}-cert", domain_name=api_host, validation_method="DNS", tags={"Name": api_host}, opts=edge)
        option = certificate.domain_validation_options.apply(lambda options: options[0])
        record = aws.route53.Record(
            f"{name}-cert-{naming.validation_key(api_host, api_host)}",
            zone_id=zone_id, name=option.resource_record_name, type=option.resource_record_type,
            records=[option.resource_record_value], ttl=300, allow_overwrite=True, opts=edge)
        self.certificate_arn = aws.acm.CertificateValidation(
            f"{name}-cert-validation", certificate_arn=certificate.arn, validation_record_fqdns=[record.fqdn], opts=edge,
        ).certificate_arn

    def _origin_dns(self, name, args: GlobalEdgeArgs, api_host: str, zone_id, edge) -> None:
        """Per region: a name for its load balancer, a health check on it, and its routed record."""
        settings = args.settings
        aliases: dict[str, aws.route53.RecordAliasArgs] = {}
        self.health_check_ids = {}
        self.origin_hostnames = {}
        for origin in args.origins:
            region, code = origin.region, region_code(origin.region)
            load_balancer_zone = aws.lb.get_hosted_zone_id_output(
                region=region, load_balancer_type="application",
                opts=pulumi.InvokeOutputOptions(parent=self, provider=args.regional_providers[region]),
            )
            aliases[region] = aws.route53.RecordAliasArgs(
                name=origin.load_balancer_hostname, zone_id=load_balancer_zone.id, evaluate_target_health=True)
            host = naming.regional_origin_host(api_host, region)
            self.origin_hostnames[region] = host
            record = aws.route53.Record(f"{name}-{code}-origin", zone_id=zone_id, name=host, type="A",
                                        aliases=[aliases[region]], opts=edge)
            # Probed by its regional name, so SNI and Host match the origin certificate and the
            # Ingress exactly as CloudFront's requests do.
            health_check = aws.route53.HealthCheck(
                f"{name}-{code}-health",
                type="HTTPS", fqdn=host, port=443, enable_sni=True,
                resource_path=settings.health_check_path,
                request_interval=settings.health_check_interval_seconds,
                failure_threshold=settings.health_check_failure_threshold,
                measure_latency=True,
                tags={"Name": f"{name}-{code}"},
                opts=pulumi.ResourceOptions(parent=self, provider=args.edge_provider, depends_on=[record]),
            )
            self.health_check_ids[region] = health_check.id

        nearest = naming.origin_host(api_host)

        def routed(suffix: str, set_identifier: str, region: str, **policy) -> None:
            aws.route53.Record(
                f"{name}-{suffix}-nearest", zone_id=zone_id, name=nearest, type="A",
                set_identifier=set_identifier, health_check_id=self.health_check_ids[region],
                aliases=[aliases[region]], opts=edge, **policy,
            )

        if settings.routing == "latency":
            for origin in args.origins:
                routed(region_code(origin.region), origin.region, origin.region,
                       latency_routing_policies=[aws.route53.RecordLatencyRoutingPolicyArgs(region=origin.region)])
            return
        regions = [origin.region for origin in args.origins]
        for region, continent in naming.geolocation_plan(regions, settings.geolocation_continents):
            routed(region_code(region), region, region,
                   geolocation_routing_policies=[aws.route53.RecordGeolocationRoutingPolicyArgs(continent=continent)])
        routed(naming.DEFAULT_LOCATION_ID, naming.DEFAULT_LOCATION_ID, regions[0],
               geolocation_routing_policies=[aws.route53.RecordGeolocationRoutingPolicyArgs(country="*")])

    def _firewall(self, name, args: GlobalEdgeArgs, logs_key: KmsKey, edge) -> None:
        settings, prefix = args.settings, args.name_prefix
        self.web_acl = aws.wafv2.WebAcl(
            f"{name}-waf", name=f"{prefix}-edge", scope="CLOUDFRONT",
            description=f"Rate limits and AWS managed rules in front of {settings.api_host}",
            default_action=aws.wafv2.WebAclDefaultActionArgs(allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
            rules=web_acl_rules(settings, prefix),
            visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=f"{prefix}-edge", sampled_requests_enabled=True),
            opts=edge,
        )
        self.web_acl_arn = self.web_acl.arn
        # WAF accepts only log groups named aws-waf-logs-*, in the ACL's region. It adds the log
        # group resource policy for delivery itself when the deployer may put one.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-waf-logs", name=f"aws-waf-logs-{prefix}-edge",
            retention_in_days=settings.log_retention_days, kms_key_id=logs_key.arn,
            opts=pulumi.ResourceOptions(parent=self, provider=args.edge_provider, protect=args.protect),
        )
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-waf-logging", resource_arn=self.web_acl.arn, log_destination_configs=[log_group.arn],
            redacted_fields=[
                aws.wafv2.WebAclLoggingConfigurationRedactedFieldArgs(
                    single_header=aws.wafv2.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs(name=header))
                for header in REDACTED_HEADERS
            ],
            opts=edge,
        )

    def _cdn(self, name, args: GlobalEdgeArgs, api_host: str, regions: list[str], logs_key: KmsKey, edge,
             lookup: pulumi.InvokeOutputOptions) -> None:
        settings = args.settings

        def policy_id(cache_class: CacheClass) -> pulumi.Output[str]:
            if not cache_class.cached:
                return aws.cloudfront.get_cache_policy_output(name=MANAGED_CACHING_DISABLED, opts=lookup).id
            return aws.cloudfront.CachePolicy(
                f"{name}-{cache_class.name}", name=f"{args.name_prefix}-{cache_class.name}",
                comment=f"{cache_class.name} content of {api_host}",
                min_ttl=cache_class.min_ttl, default_ttl=cache_class.default_ttl, max_ttl=cache_class.max_ttl,
                parameters_in_cache_key_and_forwarded_to_origin=cache_key(cache_class), opts=edge,
            ).id

        request_policy_id = aws.cloudfront.get_origin_request_policy_output(
            name=MANAGED_ALL_VIEWER_EXCEPT_HOST, opts=lookup).id
        target = cdn.failover_target(regions)
        behaviors = []
        for cache_class in cache_classes(settings):
            cache_policy = policy_id(cache_class)
            behaviors.extend(cdn.path_behavior(path, target, cache_policy, request_policy_id) for path in cache_class.paths)
        timeout = settings.origin_read_timeout_seconds
        header = (args.verify_header, args.verify_value) if args.verify_header and args.verify_value is not None else None
        origins = [cdn.custom_origin(naming.origin_id(r), naming.regional_origin_host(api_host, r), timeout, header)
                   for r in regions]
        origins.append(cdn.custom_origin(naming.NEAREST_ORIGIN_ID, naming.origin_host(api_host), timeout, header))

        bucket, bucket_ready = access_log_bucket(
            name, key_arn=logs_key.arn, retention_days=settings.log_retention_days, protect=args.protect,
            parent=self, provider=args.edge_provider,
        )
        self.log_bucket_name = bucket.bucket
        self.distribution = aws.cloudfront.Distribution(
            f"{name}-cdn",
            enabled=True,
            comment=f"{api_host} ({args.name_prefix})",
            aliases=[api_host],
            is_ipv6_enabled=True,
            http_version="http2and3",
            price_class=settings.price_class,
            origins=origins,
            origin_groups=cdn.failover_groups(regions),
            default_cache_behavior=cdn.api_behavior(policy_id(api_class(settings)), request_policy_id),
            ordered_cache_behaviors=behaviors,
            viewer_certificate=aws.cloudfront.DistributionViewerCertificateArgs(
                # The validation's ARN, so CloudFront is only handed an issued certificate.
                acm_certificate_arn=self.certificate_arn,
                ssl_support_method="sni-only",
                minimum_protocol_version="TLSv1.2_2021",
            ),
            restrictions=aws.cloudfront.DistributionRestrictionsArgs(
                geo_restriction=aws.cloudfront.DistributionRestrictionsGeoRestrictionArgs(restriction_type="none")),
            web_acl_id=self.web_acl.arn,
            logging_config=aws.cloudfront.DistributionLoggingConfigArgs(
                bucket=bucket.bucket_domain_name, prefix="cloudfront/", include_cookies=False),
            opts=pulumi.ResourceOptions(parent=self, provider=args.edge_provider, depends_on=bucket_ready),
        )
        self.distribution_id = self.distribution.id
        self.distribution_domain_name = self.distribution.domain_name
