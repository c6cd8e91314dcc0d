"""CloudFront origins, the failover group and cache behaviors, built from names and policy ids.

Two ways to reach the regions, because CloudFront forbids POST/PUT/PATCH/DELETE on a
behavior that targets an origin group:

- the cacheable path classes (read-only) target an origin group: the home region, failing
  over to the next region on a 5xx;
- the API default behavior (every method) targets ``origin.<api host>``, the Route 53
  latency or geolocation set, whose health checks drop an unhealthy region from DNS.
"""

from __future__ import annotations

from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws

from tierstack.edge.naming import FAILOVER_GROUP_ID, NEAREST_ORIGIN_ID, origin_id

cf = aws.cloudfront

FAILOVER_STATUS_CODES = (500, 502, 503, 504)
ALL_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
READ_METHODS = ("GET", "HEAD", "OPTIONS")
CACHED_METHODS = ("GET", "HEAD")
VIEWER_PROTOCOL = "redirect-to-https"


def custom_origin(identifier: str, domain: str, read_timeout: int,
                  header: Optional[tuple[str, pulumi.Input[str]]] = None) -> aws.cloudfront.DistributionOriginArgs:
    """An origin CloudFront reaches over HTTPS only, negotiating TLS 1.2, proving itself with ``header``."""
    return cf.DistributionOriginArgs(
        origin_id=identifier,
        domain_name=domain,
        custom_headers=[cf.DistributionOriginCustomHeaderArgs(name=header[0], value=header[1])] if header else None,
        custom_origin_config=cf.DistributionOriginCustomOriginConfigArgs(
            http_port=80,  # required by the API even though https-only never uses it
            https_port=443,
            origin_protocol_policy="https-only",
            origin_ssl_protocols=["TLSv1.2"],
            origin_read_timeout=read_timeout,
        ),
    )


def failover_target(regions: Sequence[str]) -> str:
    """What cacheable behaviors target: the failover group, or the only region's origin."""
    return FAILOVER_GROUP_ID if len(regions) >= 2 else origin_id(regions[0])


def failover_groups(regions: Sequence[str]) -> list[aws.cloudfront.DistributionOriginGroupArgs]:
    """The home region first, the next region as its standby; none with a single region."""
    if len(regions) < 2:
        return []
    return [cf.DistributionOriginGroupArgs(
        origin_id=FAILOVER_GROUP_ID,
        failover_criteria=cf.DistributionOriginGroupFailoverCriteriaArgs(status_codes=list(FAILOVER_STATUS_CODES)),
        members=[cf.DistributionOriginGroupMemberArgs(origin_id=origin_id(regions[0])),
                 cf.DistributionOriginGroupMemberArgs(origin_id=origin_id(regions[1]))],
    )]


def api_behavior(cache_policy_id: pulumi.Input[str], origin_request_policy_id: pulumi.Input[str],
                 ) -> aws.cloudfront.DistributionDefaultCacheBehaviorArgs:
    return cf.DistributionDefaultCacheBehaviorArgs(
        target_origin_id=NEAREST_ORIGIN_ID,
        viewer_protocol_policy=VIEWER_PROTOCOL,
        allowed_methods=list(ALL_METHODS),
        cached_methods=list(CACHED_METHODS),
        cache_policy_id=cache_policy_id,
        origin_request_policy_id=origin_request_policy_id,
        compress=True,
    )


def path_behavior(path: str, target: str, cache_policy_id: pulumi.Input[str],
                  origin_request_policy_id: Optional[pulumi.Input[str]],
                  ) -> aws.cloudfront.DistributionOrderedCacheBehaviorArgs:
    return cf.DistributionOrderedCacheBehaviorArgs(
        path_pattern=path,
        target_origin_id=target,
        viewer_protocol_policy=VIEWER_PROTOCOL,
        allowed_methods=list(READ_METHODS),
        cached_methods=list(CACHED_METHODS),
        cache_policy_id=cache_policy_id,
        origin_request_policy_id=origin_request_policy_id,
        compress=True,
    )
