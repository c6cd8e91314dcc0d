"""``EdgeOrigins``: what each region's load balancer needs to serve as an origin of the global edge.

Created before the cells' services, so a load balancer never exists without it:

- per region, an ACM certificate for the origin names (``origin.<api host>`` and the region's own
  ``<code>.origin.<api host>``), DNS-validated; the Ingress names it by ARN, taken from the
  validation, so the controller attaches an issued certificate and never has to discover one
  (discovery refuses a host that two issued certificates match, and CloudFront's certificate is
  in us-east-1 too);
- a random secret CloudFront sends as a custom header, which the load balancer requires on
  every rule but the health check's: together with security groups that admit only CloudFront's
  origin-facing addresses (and Route 53's health checkers), the origin cannot be called around
  the WAF and its rate limits.

``OriginSecurityGroups`` builds those groups inside one region's VPC.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from tierstack.catalog.aws import region_code
from tierstack.documented import documented
from tierstack.edge import naming

# CloudFront overwrites a viewer's header of the same name, so callers cannot forge it.
VERIFY_HEADER = "X-Origin-Verify"
# Bump to rotate the header secret (CloudFront and every Ingress pick up the new value).
VERIFY_SECRET_VERSION = "1"
# AWS-managed prefix lists (VPC user guide, "AWS-managed prefix lists"): CloudFront's
# origin-facing servers (weight 55) and Route 53's health checkers (weight 25). Each weight counts
# against the 60 inbound rules of a security group, so each list gets a group of its own.
CLOUDFRONT_ORIGIN_FACING = "com.amazonaws.global.cloudfront.origin-facing"


def health_checkers_prefix_list(region: str) -> str:
    return f"com.amazonaws.{region}.route53-healthchecks"


@documented
@dataclass(frozen=True)
class EdgeOriginsArgs:
    # The public API host name (e.g. api.example.com); origin hosts derive from it.
    api_host: str
    # The public hosted zone the validation records go into.
    zone_name: str
    # The origin regions: each gets a certificate and a regional origin host.
    regions: Sequence[str]
    # Route 53 is global; records go through this provider (the edge's, in us-east-1).
    dns_provider: aws.Provider
    # A provider per region, for that region's certificate.
    regional_providers: Mapping[str, aws.Provider]


class EdgeOrigins(pulumi.ComponentResource):
    """Validated origin certificates per region and the origin-verify secret, before any load balancer."""

    certificate_arns: dict[str, pulumi.Output[str]]
    verify_header: str
    verify_value: pulumi.Output[str]

    def __init__(self, name: str, args: EdgeOriginsArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("tierstack:edge:EdgeOrigins", name, None, opts)
        dns = pulumi.ResourceOptions(parent=self, provider=args.dns_provider)
        zone_id = aws.route53.get_zone_output(name=args.zone_name, private_zone=False, opts=pulumi.InvokeOutputOptions(
            parent=self, provider=args.dns_provider)).zone_id
        shared = naming.origin_host(args.api_host)

        certificates: dict[str, aws.acm.Certificate] = {}
        for region in args.regions:
            own = naming.regional_origin_host(args.api_host, region)
            certificates[region] = aws.acm.Certificate(
                f"{name}-{region_code(region)}-cert", domain_name=shared, subject_alternative_names=[own],
                validation_method="DNS", tags={"Name": own},
                opts=pulumi.ResourceOptions(parent=self, provider=args.regional_providers[region]))

        # ACM's validation record depends only on the name and the account: the shared name's record
        # validates every region's certificate, so it is written once (from the home certificate).
        records: dict[str, aws.route53.Record] = {}
        for region, certificate in certificates.items():
            for domain in ([shared] if not records else []) + [naming.regional_origin_host(args.api_host, region)]:
                option = certificate.domain_validation_options.apply(
                    lambda options, domain=domain: next(o for o in options if o.domain_name == domain))
                records[domain] = aws.route53.Record(
                    f"{name}-validation-{naming.validation_key(args.api_host, domain)}",
                    zone_id=zone_id, name=option.resource_record_name, type=option.resource_record_type,
                    records=[option.resource_record_value], ttl=300, allow_overwrite=True, opts=dns)

        self.certificate_arns = {}
        for region, certificate in certificates.items():
            own = naming.regional_origin_host(args.api_host, region)
            self.certificate_arns[region] = aws.acm.CertificateValidation(
                f"{name}-{region_code(region)}-cert-validation", certificate_arn=certificate.arn,
                validation_record_fqdns=[records[shared].fqdn, records[own].fqdn],
                opts=pulumi.ResourceOptions(parent=self, provider=args.regional_providers[region]),
            ).certificate_arn

        secret = random.RandomPassword(
            f"{name}-verify-secret", length=48, special=False, keepers={"version": VERIFY_SECRET_VERSION},
            opts=pulumi.ResourceOptions(parent=self))
        self.verify_header = VERIFY_HEADER
        self.verify_value = pulumi.Output.secret(secret.result)
        self.register_outputs({"certificate_arns": self.certificate_arns})


@documented
@dataclass(frozen=True)
class OriginSecurityGroupsArgs:
    # The VPC of the load balancer the groups attach to.
    vpc_id: pulumi.Input[str]
    # Where the load balancer's targets (pod IPs) live: its only egress.
    vpc_cidr: pulumi.Input[str]
    # The VPC's region: picks the region's CloudFront and health-checker prefix lists.
    region: str
    # The port the load balancer listens on; 443 (HTTPS).
    port: int = 443


class OriginSecurityGroups(pulumi.ComponentResource):
    """Security groups for a load balancer that only CloudFront and Route 53's health checkers reach."""

    ids: list[pulumi.Output[str]]

    def __init__(self, name: str, args: OriginSecurityGroupsArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("tierstack:edge:OriginSecurityGroups", name, None, opts)
        lookup = pulumi.InvokeOutputOptions(parent=self)
        sources = {
            "cloudfront": ("CloudFront origin-facing servers", CLOUDFRONT_ORIGIN_FACING),
            "healthchecks": ("Route 53 health checkers", health_checkers_prefix_list(args.region)),
        }
        self.ids = []
        for key, (who, prefix_list) in sources.items():
            prefix_list_id = aws.ec2.get_managed_prefix_list_output(name=prefix_list, opts=lookup).id
            group = aws.ec2.SecurityGroup(
                f"{name}-{key}", vpc_id=args.vpc_id, description=f"HTTPS to the public API from {who} only",
                ingress=[aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp", from_port=args.port, to_port=args.port, prefix_list_ids=[prefix_list_id],
                    description=who)],
                egress=[aws.ec2.SecurityGroupEgressArgs(
                    protocol="tcp", from_port=1024, to_port=65535, cidr_blocks=[args.vpc_cidr],
                    description="to the load balancer's targets (pod IPs)")],
                tags={"Name": f"{name}-{key}"},
                opts=pulumi.ResourceOptions(parent=self))
            self.ids.append(group.id)
        self.register_outputs({"ids": self.ids})
