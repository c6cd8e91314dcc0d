"""GlobalEdge under mocks: origins and failover, caching, TLS, DNS routing, WAF, logs, policy."""

import json

import pulumi
import pulumi_aws as aws
import pytest
from pydantic import ValidationError

from tierstack.catalog.aws import region_code
from tierstack.edge import EdgeSettings, GlobalEdge, GlobalEdgeArgs, RegionalOrigin
from tierstack.edge import naming, waf
from tierstack.edge.caching import cache_classes
from tierstack.edge.origins import EdgeOrigins, EdgeOriginsArgs, OriginSecurityGroups, OriginSecurityGroupsArgs
from tierstack.policy.model import Context, Resource
from tierstack.policy.rules import RESOURCE_RULES, STACK_RULES
from tierstack.policy.runner import evaluate
from tierstack.tooling import mocks
from tierstack.tagging import tagged

from conftest import children_of, install_mocks, record

ZONE = "agents.example.com"
API = f"api.{ZONE}"
HOME, SECOND, THIRD = "us-east-1", "eu-west-1", "ap-southeast-1"
DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
CACHE_POLICY = "aws:cloudfront/cachePolicy:CachePolicy"
RECORD = "aws:route53/record:Record"
HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
CERTIFICATE = "aws:acm/certificate:Certificate"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
KMS_KEY = "aws:kms/key:Key"
BUCKET = "aws:s3/bucket:Bucket"


def load_balancer(region: str) -> str:
    return f"k8s-agents-public-abc{region_code(region)}.{region}.elb.amazonaws.com"


def _providers(regions):
    return (aws.Provider("edge", region="us-east-1"),
            {region: aws.Provider(f"aws-{region_code(region)}", region=region) for region in regions})


def _edge(regions=(HOME, SECOND), protect=False, origins=None, **overrides) -> GlobalEdge:
    settings = EdgeSettings.model_validate({"zoneName": ZONE, **overrides})
    edge_provider, regional = origins.providers if origins else _providers(regions)
    return GlobalEdge("edge", GlobalEdgeArgs(
        settings=settings, name_prefix="tierstack-test",
        origins=[RegionalOrigin(region, load_balancer(region)) for region in regions],
        edge_provider=edge_provider, regional_providers=regional, protect=protect,
        verify_header=origins.verify_header if origins else None,
        verify_value=origins.verify_value if origins else None,
    ), opts=tagged({"Environment": "test"}))


def one(resources, type_token, name=None):
    (found,) = [r for r in children_of(resources, type_token) if name is None or r.name == name]
    return found


def provider_ref(resources, name):
    provider = next(r for r in resources if r.is_provider and r.name == name)
    return f"{provider.urn}::{provider.id}"


def invoke(token, **args):
    """The mocks' answer to an invoke, as the program received it."""
    return mocks._INVOKES[token](args, args.get("region", "us-east-1"))


@pytest.fixture(scope="module")
def two_regions():
    return record(lambda: _edge())


@pytest.fixture(scope="module")
def three_regions():
    return record(lambda: _edge((HOME, SECOND, THIRD)))


# --- origins and failover ----------------------------------------------------------------------

def test_one_origin_per_region_and_a_failover_group_from_home_to_next(three_regions):
    distribution = one(three_regions, DISTRIBUTION)
    origins = {o["originId"]: o["domainName"] for o in distribution.inputs["origins"]}
    assert origins == {
        "alb-use1": f"use1.origin.{API}", "alb-euw1": f"euw1.origin.{API}", "alb-apse1": f"apse1.origin.{API}",
        # The routed name: the API (every method) cannot use an origin group, so DNS fails it over.
        "alb-nearest": f"origin.{API}",
    }
    (group,) = distribution.inputs["originGroups"]
    assert [m["originId"] for m in group["members"]] == ["alb-use1", "alb-euw1"]
    assert group["failoverCriteria"]["statusCodes"] == [500, 502, 503, 504]
    behaviors = distribution.inputs["orderedCacheBehaviors"]
    assert behaviors and {b["targetOriginId"] for b in behaviors} == {group["originId"]}
    # CloudFront refuses writes on a behavior with an origin group.
    assert all(b["allowedMethods"] == ["GET", "HEAD", "OPTIONS"] for b in behaviors)
    default = distribution.inputs["defaultCacheBehavior"]
    assert default["targetOriginId"] == "alb-nearest"
    assert set(default["allowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}


def test_a_single_region_has_no_origin_group():
    resources = record(lambda: _edge((SECOND,)))
    distribution = one(resources, DISTRIBUTION)
    assert not distribution.inputs.get("originGroups")
    assert {b["targetOriginId"] for b in distribution.inputs["orderedCacheBehaviors"]} == {"alb-euw1"}


# --- caching -----------------------------------------------------------------------------------

def _behavior_policies(resources):
    distribution = one(resources, DISTRIBUTION)
    policies = {p.id: p for p in children_of(resources, CACHE_POLICY)}
    return {b["pathPattern"]: policies[b["cachePolicyId"]] for b in distribution.inputs["orderedCacheBehaviors"]}


def _ttls(policy):
    return policy.inputs["minTtl"], policy.inputs["defaultTtl"], policy.inputs["maxTtl"]


def test_cache_behaviors_carry_the_seed_ttls(two_regions):
    by_path = _behavior_policies(two_regions)
    assert _ttls(by_path["/static/*"]) == _ttls(by_path["/assets/*"]) == (0, 3600, 3600)
    assert _ttls(by_path["/content/*"]) == (0, 300, 300)
    assert _ttls(by_path["/me/*"]) == (0, 60, 60)
    # Personalized responses are cached per caller, never shared.
    key = by_path["/me/*"].inputs["parametersInCacheKeyAndForwardedToOrigin"]
    assert key["headersConfig"] == {"headerBehavior": "whitelist", "headers": {"items": ["Authorization", "x-user-id"]}}
    assert key["cookiesConfig"]["cookieBehavior"] == "all"
    static_key = by_path["/static/*"].inputs["parametersInCacheKeyAndForwardedToOrigin"]
    assert static_key["headersConfig"]["headerBehavior"] == "none" and static_key["enableAcceptEncodingBrotli"] is True
    # Most personal first: CloudFront uses the first pattern that matches.
    assert list(by_path)[0] == "/me/*"


def test_cache_overrides_change_ttls_and_paths():
    resources = record(lambda: _edge(caching={"static": {"ttlSeconds": 86400, "paths": ["/public/*"]},
                                              "personalized": {"ttlSeconds": 30, "paths": ["/users/me/*"]}}))
    by_path = _behavior_policies(resources)
    assert set(by_path) == {"/public/*", "/content/*", "/users/me/*"}
    assert _ttls(by_path["/public/*"]) == (0, 86400, 86400) and _ttls(by_path["/users/me/*"]) == (0, 30, 30)


def test_the_api_default_behavior_is_not_cached(two_regions):
    default = one(two_regions, DISTRIBUTION).inputs["defaultCacheBehavior"]
    disabled = invoke("aws:cloudfront/getCachePolicy:getCachePolicy", name="Managed-CachingDisabled")
    assert default["cachePolicyId"] == disabled["id"]
    assert (disabled["minTtl"], disabled["defaultTtl"], disabled["maxTtl"]) == (0, 0, 0)
    assert default["cachePolicyId"] not in {p.id for p in children_of(two_regions, CACHE_POLICY)}
    # All viewer headers but Host, so Authorization reaches the API with caching off.
    viewer = invoke("aws:cloudfront/getOriginRequestPolicy:getOriginRequestPolicy", name="Managed-AllViewerExceptHostHeader")
    assert default["originRequestPolicyId"] == viewer["id"]


def test_api_responses_cache_only_when_allowed_and_only_as_the_origin_asks():
    resources = record(lambda: _edge(cacheApiResponses=True))
    default = one(resources, DISTRIBUTION).inputs["defaultCacheBehavior"]
    policy = next(p for p in children_of(resources, CACHE_POLICY) if p.id == default["cachePolicyId"])
    assert _ttls(policy) == (0, 0, 300)
    assert "Authorization" in policy.inputs["parametersInCacheKeyAndForwardedToOrigin"]["headersConfig"]["headers"]["items"]


# --- TLS and certificates ------------------------------------------------------------------------

def test_viewers_use_https_only_with_tls12_on_the_validated_acm_certificate(two_regions):
    distribution = one(two_regions, DISTRIBUTION)
    certificate = one(two_regions, CERTIFICATE, "edge-cert")
    validation = one(two_regions, VALIDATION, "edge-cert-validation")
    viewer = distribution.inputs["viewerCertificate"]
    assert viewer["acmCertificateArn"] == certificate.outputs["arn"] == validation.outputs["certificateArn"]
    assert viewer["acmCertificateArn"].startswith("arn:aws:acm:us-east-1:")
    assert viewer["sslSupportMethod"] == "sni-only" and viewer["minimumProtocolVersion"] == "TLSv1.2_2021"
    assert not viewer.get("cloudfrontDefaultCertificate")
    assert distribution.inputs["aliases"] == [API]
    behaviors = [distribution.inputs["defaultCacheBehavior"], *distribution.inputs["orderedCacheBehaviors"]]
    assert {b["viewerProtocolPolicy"] for b in behaviors} == {"redirect-to-https"}
    for origin in distribution.inputs["origins"]:
        assert origin["customOriginConfig"]["originProtocolPolicy"] == "https-only"
        assert origin["customOriginConfig"]["originSslProtocols"] == ["TLSv1.2"]


def test_certificate_is_validated_through_route53_by_the_us_east_1_provider(two_regions):
    edge = provider_ref(two_regions, "edge")
    certificate = one(two_regions, CERTIFICATE, "edge-cert")
    assert certificate.provider == edge and certificate.inputs["validationMethod"] == "DNS"
    assert certificate.inputs["domainName"] == API
    # The public name only: the origins' names are on their own regional certificates (EdgeOrigins).
    assert not certificate.inputs.get("subjectAlternativeNames")
    zone = invoke("aws:route53/getZone:getZone", name=ZONE)
    records = {r.inputs["name"]: r for r in children_of(two_regions, RECORD) if r.name.startswith("edge-cert-")}
    options = certificate.outputs["domainValidationOptions"]
    assert len(options) == len(records) == 1
    for option in options:
        record_ = records[option["resourceRecordName"]]
        assert record_.inputs["type"] == "CNAME" and record_.inputs["records"] == [option["resourceRecordValue"]]
        assert record_.inputs["zoneId"] == zone["zoneId"] and record_.provider == edge
    validation = one(two_regions, VALIDATION, "edge-cert-validation")
    assert validation.provider == edge and validation.inputs["certificateArn"] == certificate.outputs["arn"]
    assert sorted(validation.inputs["validationRecordFqdns"]) == sorted(r.outputs["fqdn"] for r in records.values())


def _origins(regions=(HOME, SECOND)) -> EdgeOrigins:
    edge_provider, regional = _providers(regions)
    origins = EdgeOrigins("origins", EdgeOriginsArgs(api_host=API, zone_name=ZONE, regions=list(regions),
                                                     dns_provider=edge_provider, regional_providers=regional))
    origins.providers = (edge_provider, regional)
    return origins


def test_each_region_gets_an_origin_certificate_in_its_own_region():
    resources = record(lambda: _origins())
    fqdns = {r.inputs["name"].rstrip("."): r.outputs["fqdn"] for r in children_of(resources, RECORD)}
    # The shared name's record is written once: ACM's record depends only on the name and account.
    assert len(fqdns) == 3 and all(r.provider == provider_ref(resources, "edge") for r in children_of(resources, RECORD))
    for region in (HOME, SECOND):
        code = region_code(region)
        certificate = one(resources, CERTIFICATE, f"origins-{code}-cert")
        validation = one(resources, VALIDATION, f"origins-{code}-cert-validation")
        assert certificate.provider == validation.provider == provider_ref(resources, f"aws-{code}")
        assert certificate.outputs["arn"].startswith(f"arn:aws:acm:{region}:")
        assert [certificate.inputs["domainName"], *certificate.inputs["subjectAlternativeNames"]] == \
            [f"origin.{API}", f"{code}.origin.{API}"]
        options = certificate.outputs["domainValidationOptions"]
        assert sorted(validation.inputs["validationRecordFqdns"]) == \
            sorted(fqdns[o["resourceRecordName"].rstrip(".")] for o in options)


def test_cloudfront_proves_itself_to_the_origins_with_a_generated_header():
    def build():
        return _edge(origins=_origins())

    resources = record(build)
    (secret,) = children_of(resources, "random:index/randomPassword:RandomPassword")
    assert secret.inputs["length"] >= 32 and secret.inputs["special"] is False
    for origin in one(resources, DISTRIBUTION).inputs["origins"]:
        assert origin["customHeaders"] == [{"name": "X-Origin-Verify", "value": secret.outputs["result"]}]


def test_origin_security_groups_admit_only_cloudfront_and_route53_health_checkers():
    resources = record(lambda: OriginSecurityGroups("origin", OriginSecurityGroupsArgs(
        vpc_id="vpc-1", vpc_cidr="10.0.0.0/16", region=SECOND)))
    groups = children_of(resources, "aws:ec2/securityGroup:SecurityGroup")
    # The lookups go through the component's provider (the default, us-east-1, in this test).
    lists = {invoke("aws:ec2/getManagedPrefixList:getManagedPrefixList", name=name)["id"]: name
             for name in ("com.amazonaws.global.cloudfront.origin-facing", f"com.amazonaws.{SECOND}.route53-healthchecks")}
    # One list per group: CloudFront's weighs 55 rules and Route 53's 25, against 60 per group.
    assert sorted(lists[g.inputs["ingress"][0]["prefixListIds"][0]] for g in groups) == sorted(lists.values())
    for group in groups:
        (rule,) = group.inputs["ingress"]
        assert (rule["fromPort"], rule["toPort"]) == (443, 443) and "cidrBlocks" not in rule
        assert group.inputs["egress"][0]["cidrBlocks"] == ["10.0.0.0/16"]


# --- DNS routing and health checks -------------------------------------------------------------

def _routed(resources):
    return [r for r in children_of(resources, RECORD) if r.inputs["name"] == f"origin.{API}"]


def test_latency_records_carry_set_identifiers_and_health_checks(three_regions):
    checks = {c.id: c for c in children_of(three_regions, HEALTH_CHECK)}
    routed = _routed(three_regions)
    assert len(routed) == 3
    for record_ in routed:
        (policy,) = record_.inputs["latencyRoutingPolicies"]
        region = policy["region"]
        assert record_.inputs["setIdentifier"] == region
        check = checks[record_.inputs["healthCheckId"]]
        assert check.inputs["fqdn"] == f"{region_code(region)}.origin.{API}"
        (alias,) = record_.inputs["aliases"]
        zone = invoke("aws:lb/getHostedZoneId:getHostedZoneId", region=region, loadBalancerType="application")
        assert alias == {"name": load_balancer(region), "zoneId": zone["id"], "evaluateTargetHealth": True}
    assert {r.inputs["latencyRoutingPolicies"][0]["region"] for r in routed} == {HOME, SECOND, THIRD}


def test_health_checks_probe_each_regions_healthz_over_https(three_regions):
    checks = children_of(three_regions, HEALTH_CHECK)
    assert sorted(c.inputs["fqdn"] for c in checks) == sorted(f"{region_code(r)}.origin.{API}" for r in (HOME, SECOND, THIRD))
    for check in checks:
        assert (check.inputs["type"], check.inputs["port"], check.inputs["resourcePath"]) == ("HTTPS", 443, "/healthz")
        assert check.inputs["enableSni"] is True and check.inputs["failureThreshold"] == 3
    regional = {r.inputs["name"]: r for r in children_of(three_regions, RECORD) if r.name.endswith("-origin")}
    for region in (HOME, SECOND, THIRD):
        (alias,) = regional[f"{region_code(region)}.origin.{API}"].inputs["aliases"]
        assert alias["name"] == load_balancer(region)


def test_geolocation_routing_gives_continents_and_a_default_every_one_health_checked():
    resources = record(lambda: _edge((HOME, "us-west-2", SECOND), routing="geolocation", healthCheckPath="/ready"))
    checks = {c.id: c for c in children_of(resources, HEALTH_CHECK)}
    assert {c.inputs["resourcePath"] for c in checks.values()} == {"/ready"}
    routed = {r.inputs["setIdentifier"]: r for r in _routed(resources)}
    locations = {key: r.inputs["geolocationRoutingPolicies"][0] for key, r in routed.items()}
    # us-west-2 shares North America with the home region, which listed first keeps it.
    assert locations == {HOME: {"continent": "NA"}, SECOND: {"continent": "EU"}, "default": {"country": "*"}}
    for key, record_ in routed.items():
        assert "latencyRoutingPolicies" not in record_.inputs
        target = HOME if key == "default" else key
        assert checks[record_.inputs["healthCheckId"]].inputs["fqdn"] == f"{region_code(target)}.origin.{API}"
        assert record_.inputs["aliases"][0]["name"] == load_balancer(target)


def test_api_host_aliases_cloudfront_for_ipv4_and_ipv6(two_regions):
    distribution = one(two_regions, DISTRIBUTION)
    api = [r for r in children_of(two_regions, RECORD) if r.inputs["name"] == API]
    assert sorted(r.inputs["type"] for r in api) == ["A", "AAAA"]
    for record_ in api:
        assert record_.inputs["aliases"] == [{"name": distribution.outputs["domainName"], "zoneId": "Z2FDTNDATAQYW2",
                                              "evaluateTargetHealth": False}]


# --- WAF -------------------------------------------------------------------------------------

def _rules(resources):
    return {r["name"]: r for r in one(resources, WEB_ACL).inputs["rules"]}


def test_waf_rules_carry_the_seed_limits_per_minute(two_regions):
    acl = one(two_regions, WEB_ACL)
    assert acl.inputs["scope"] == "CLOUDFRONT" and acl.inputs["defaultAction"] == {"allow": {}}
    rules = _rules(two_regions)
    per_ip = rules["rate-per-ip"]["statement"]["rateBasedStatement"]
    assert (per_ip["limit"], per_ip["aggregateKeyType"], per_ip["evaluationWindowSec"]) == (1000, "IP", 60)
    per_user = rules["rate-per-user"]["statement"]["rateBasedStatement"]
    assert (per_user["limit"], per_user["aggregateKeyType"]) == (100, "CUSTOM_KEYS")
    assert per_user["customKeys"] == [{"header": {"name": "x-user-id", "textTransformations": [{"priority": 0, "type": "NONE"}]}}]
    endpoint = rules["rate-endpoint-auth"]["statement"]["rateBasedStatement"]
    assert (endpoint["limit"], endpoint["aggregateKeyType"], endpoint["evaluationWindowSec"]) == (500, "IP", 60)
    match = endpoint["scopeDownStatement"]["byteMatchStatement"]
    assert (match["positionalConstraint"], match["searchString"], match["fieldToMatch"]) == ("STARTS_WITH", "/auth", {"uriPath": {}})
    for name in ("rate-per-ip", "rate-per-user", "rate-endpoint-auth"):
        assert rules[name]["action"] == {"block": {"customResponse": {"responseCode": 429}}}


def test_waf_limit_overrides_change_the_rules():
    resources = record(lambda: _edge(rateLimits={"perIp": 2000, "perUser": 50, "userHeader": "X-Tenant-User",
                                                 "perEndpoint": 250, "endpointPaths": ["/v1/chat", "/auth"]}))
    rules = _rules(resources)
    assert rules["rate-per-ip"]["statement"]["rateBasedStatement"]["limit"] == 2000
    per_user = rules["rate-per-user"]["statement"]["rateBasedStatement"]
    assert per_user["limit"] == 50 and per_user["customKeys"][0]["header"]["name"] == "x-tenant-user"
    endpoints = {n: r["statement"]["rateBasedStatement"] for n, r in rules.items() if n.startswith("rate-endpoint-")}
    assert {n: (s["limit"], s["scopeDownStatement"]["byteMatchStatement"]["searchString"]) for n, s in endpoints.items()} == \
        {"rate-endpoint-v1-chat": (250, "/v1/chat"), "rate-endpoint-auth": (250, "/auth")}


def test_waf_enforces_the_managed_baseline_with_visibility_everywhere(two_regions):
    acl = one(two_regions, WEB_ACL)
    rules = _rules(two_regions)
    for group in (waf.IP_REPUTATION, waf.COMMON, waf.KNOWN_BAD_INPUTS):
        managed = rules[group]
        assert managed["statement"]["managedRuleGroupStatement"]["vendorName"] == "AWS"
        assert managed["overrideAction"] == {"none": {}}
    # Long agent prompts exceed the Common set's 8 KB body limit: that one rule only counts.
    overrides = rules[waf.COMMON]["statement"]["managedRuleGroupStatement"]["ruleActionOverrides"]
    assert overrides == [{"name": "SizeRestrictions_BODY", "actionToUse": {"count": {}}}]
    assert sorted(r["priority"] for r in rules.values()) == list(range(len(rules)))
    assert rules[waf.IP_REPUTATION]["priority"] == 0
    for visibility in [acl.inputs["visibilityConfig"], *(r["visibilityConfig"] for r in rules.values())]:
        assert visibility["cloudwatchMetricsEnabled"] is True and visibility["sampledRequestsEnabled"] is True
    assert len({r["visibilityConfig"]["metricName"] for r in rules.values()}) == len(rules)


def test_the_web_acl_arn_is_attached_to_the_distribution(two_regions):
    acl = one(two_regions, WEB_ACL)
    assert one(two_regions, DISTRIBUTION).inputs["webAclId"] == acl.outputs["arn"]
    assert acl.outputs["arn"].startswith("arn:aws:wafv2:us-east-1:123456789012:global/webacl/")


def test_waf_logs_go_to_an_encrypted_group_with_credentials_redacted(two_regions):
    acl, logging = one(two_regions, WEB_ACL), one(two_regions, WAF_LOGGING)
    group, key = one(two_regions, LOG_GROUP), one(two_regions, KMS_KEY)
    assert logging.inputs["resourceArn"] == acl.outputs["arn"]
    assert logging.inputs["logDestinationConfigs"] == [group.outputs["arn"]]
    assert {"singleHeader": {"name": "authorization"}} in logging.inputs["redactedFields"]
    assert group.inputs["name"].startswith("aws-waf-logs-") and group.outputs["arn"].startswith("arn:aws:logs:us-east-1:")
    assert group.inputs["kmsKeyId"] == key.outputs["arn"] and group.inputs["retentionInDays"] == 90
    principals = {s["Principal"].get("Service") for s in json.loads(key.inputs["policy"])["Statement"]}
    assert {"logs.us-east-1.amazonaws.com", "delivery.logs.amazonaws.com"} <= principals
    assert key.inputs["enableKeyRotation"] is True


def test_edge_resources_are_bound_to_the_us_east_1_provider(two_regions):
    edge = provider_ref(two_regions, "edge")
    bound = [one(two_regions, CERTIFICATE, "edge-cert"), one(two_regions, VALIDATION, "edge-cert-validation"),
             one(two_regions, WEB_ACL), one(two_regions, WAF_LOGGING), one(two_regions, LOG_GROUP),
             one(two_regions, KMS_KEY), one(two_regions, DISTRIBUTION), one(two_regions, BUCKET),
             *children_of(two_regions, CACHE_POLICY), *children_of(two_regions, HEALTH_CHECK)]
    assert [r.name for r in bound if r.provider != edge] == []


# --- access logs and protection ----------------------------------------------------------------

def test_access_logs_land_in_an_encrypted_versioned_private_bucket(two_regions):
    distribution, bucket, key = one(two_regions, DISTRIBUTION), one(two_regions, BUCKET), one(two_regions, KMS_KEY)
    assert distribution.inputs["loggingConfig"]["bucket"] == bucket.outputs["bucketDomainName"]
    (rule,) = one(two_regions, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key.outputs["arn"]}
    versioning = one(two_regions, "aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    block = one(two_regions, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(block.inputs[f] is True for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    # Standard logging adds an ACL grant: ACLs stay on, and CloudFront waits until they are.
    ownership = one(two_regions, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerPreferred"}
    assert ownership.urn in distribution.dependencies and block.urn in distribution.dependencies
    expiry = one(two_regions, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert expiry.inputs["rules"][0]["expiration"] == {"days": 90}


@pytest.mark.parametrize("protect", [False, True])
def test_stateful_resources_follow_protect(protect):
    resources = record(lambda: _edge(protect=protect))
    stateful = [one(resources, BUCKET), one(resources, LOG_GROUP), one(resources, KMS_KEY)]
    assert [r.protect for r in stateful] == [protect] * 3
    assert one(resources, DISTRIBUTION).protect is False


# --- policy rules ------------------------------------------------------------------------------

def _evaluate(resources, context):
    views = [Resource(r.type, r.name, r.inputs, r.urn, r.parent, r.protect)
             for r in resources if r.custom and not r.is_provider]
    return evaluate(views, context, RESOURCE_RULES, STACK_RULES)


@pytest.mark.parametrize("profile", ["standard", "hipaa"])
def test_no_mandatory_policy_violations(two_regions, three_regions, profile):
    for resources in (two_regions, three_regions):
        evaluation = _evaluate(resources, Context(profile=profile, production=False))
        assert [v.render() for v in evaluation.mandatory_violations] == []
        assert evaluation.undecided == []
    production = record(lambda: _edge(protect=True, routing="geolocation"))
    evaluation = _evaluate(production, Context(profile=profile, production=True))
    assert [v.render() for v in evaluation.mandatory_violations] == []


def test_an_unprotected_edge_fails_the_production_gate(two_regions):
    evaluation = _evaluate(two_regions, Context(production=True))
    assert {v.rule for v in evaluation.mandatory_violations} == {"stateful-resources-protected"}


# --- outputs and arguments ---------------------------------------------------------------------

@pulumi.runtime.test
def test_outputs_name_the_distribution_acl_certificate_and_health_checks():
    install_mocks()
    edge = _edge()
    assert edge.api_hostname == API
    assert edge.origin_hostnames == {HOME: f"use1.origin.{API}", SECOND: f"euw1.origin.{API}"}

    def check(values):
        distribution_id, domain, certificate, acl, *checks = values
        assert distribution_id and domain.endswith(".cloudfront.net")
        assert certificate.startswith("arn:aws:acm:us-east-1:") and ":global/webacl/" in acl
        assert len(checks) == 2 and all(checks)

    return pulumi.Output.all(edge.distribution_id, edge.distribution_domain_name, edge.certificate_arn,
                             edge.web_acl_arn, *edge.health_check_ids.values()).apply(check)


@pytest.mark.parametrize(("change", "message"), [
    ({"settings": EdgeSettings()}, "edge.zoneName is not set"),
    ({"regional_providers": {}}, "no regional provider for us-east-1"),
    ({"name_prefix": "Tierstack Prod"}, "name_prefix 'Tierstack Prod'"),
    ({"origins": []}, "at least one RegionalOrigin"),
])
def test_bad_arguments_fail_before_anything_is_created(change, message):
    monitor = install_mocks()
    provider = aws.Provider("edge", region="us-east-1")
    args = dict(settings=EdgeSettings(zoneName=ZONE), name_prefix="tierstack-test",
                origins=[RegionalOrigin(HOME, load_balancer(HOME))], edge_provider=provider,
                regional_providers={HOME: provider})
    with pytest.raises(ValueError, match=message):
        GlobalEdge("edge", GlobalEdgeArgs(**{**args, **change}))
    assert not [r for r in monitor.recorded if r.type.startswith("tierstack:edge")]


# --- settings ----------------------------------------------------------------------------------

def test_settings_defaults_are_the_seed():
    settings = EdgeSettings()
    assert settings.api_subdomain == "api" and settings.routing == "latency" and settings.cache_api_responses is False
    assert [(c.name, c.default_ttl) for c in cache_classes(settings)] == [("personalized", 60), ("dynamic", 300), ("static", 3600)]
    limits = settings.rate_limits
    assert (limits.per_ip, limits.per_user, limits.per_endpoint, limits.user_header) == (1000, 100, 500, "x-user-id")
    assert EdgeSettings(zoneName="agents.example.com.").api_host == "api.agents.example.com"  # trailing dot dropped


def _error(raw):
    with pytest.raises(ValidationError) as caught:
        EdgeSettings.model_validate(raw)
    (error,) = caught.value.errors(include_url=False)
    return error


@pytest.mark.parametrize(("raw", "loc", "words"), [
    ({"zoneName": "not a zone"}, ("zoneName",), "'not a zone' is not a DNS zone name"),
    ({"zoneName": ZONE, "apiSubdomain": "API!"}, ("apiSubdomain",), "'API!' is not a DNS label"),
    ({"zoneName": "z" * 50 + ".example.com"}, ("zoneName",), "longer than the 64 characters"),
    ({"rateLimits": {"userHeader": "x user"}}, ("rateLimits", "userHeader"), "'x user' is not an HTTP header name"),
    ({"rateLimits": {"endpointPaths": ["auth"]}}, ("rateLimits", "endpointPaths", 0), "'auth' is not a URL path"),
    ({"caching": {"static": {"ttlSeconds": 60, "paths": ["/me/*"]}}}, ("caching",), "'/me/*' is in both"),
    ({"caching": {"dynamic": {"ttlSeconds": 60, "paths": ["content/*"]}}}, ("caching", "dynamic", "paths"),
     "'content/*' is not a CloudFront path pattern"),
    ({"logRetentionDays": 45}, ("logRetentionDays",), "retention of 45 days"),
    ({"geolocationContinents": {"us-east-1": "NA", "us-west-2": "NA"}}, ("geolocationContinents",), "continent NA"),
])
def test_settings_errors_name_the_key_the_value_and_the_fix(raw, loc, words):
    error = _error(raw)
    assert error["loc"] == loc and error["type"] == "tierstack"
    assert words in error["msg"] and error["ctx"]["fix"]


@pytest.mark.parametrize(("raw", "loc", "kind"), [
    ({"rateLimits": {"perIp": 5}}, ("rateLimits", "perIp"), "greater_than_equal"),
    ({"routing": "weighted"}, ("routing",), "literal_error"),
    ({"rateLimit": {"perIp": 100}}, ("rateLimit",), "extra_forbidden"),
    ({"priceClass": "PriceClass_50"}, ("priceClass",), "literal_error"),
])
def test_settings_reject_out_of_range_values_and_unknown_keys(raw, loc, kind):
    error = _error(raw)
    assert (error["loc"], error["type"]) == (loc, kind)


# --- pure helpers ------------------------------------------------------------------------------

def test_names_derive_from_the_api_host_and_region_codes():
    names = [API, naming.origin_host(API), naming.regional_origin_host(API, HOME)]
    assert names == [API, f"origin.{API}", f"use1.origin.{API}"]
    assert [naming.validation_key(API, n) for n in names] == ["api", "origin", "use1"]
    assert naming.origin_id("ap-southeast-1") == "alb-apse1"


def test_geolocation_plan_prefers_explicit_continents_then_the_first_region():
    assert naming.geolocation_plan([HOME, "us-west-2", "ap-southeast-2"], {}) == [(HOME, "NA"), ("ap-southeast-2", "OC")]
    assert naming.geolocation_plan([HOME, "us-west-2"], {"us-west-2": "NA"}) == [("us-west-2", "NA")]
    with pytest.raises(ValueError, match="geolocationContinents"):
        naming.continent_of("xx-nowhere-1")


def test_rate_limits_one_rule_per_endpoint_prefix():
    settings = EdgeSettings.model_validate({"rateLimits": {"endpointPaths": ["/auth", "/v1/agents/run"]}})
    limits = waf.rate_limits(settings)
    assert [(l.name, l.limit, l.header, l.path_prefix) for l in limits] == [
        ("rate-per-ip", 1000, None, None), ("rate-per-user", 100, "x-user-id", None),
        ("rate-endpoint-auth", 500, None, "/auth"), ("rate-endpoint-v1-agents-run", 500, None, "/v1/agents/run")]
