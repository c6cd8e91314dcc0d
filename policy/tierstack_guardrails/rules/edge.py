"""The edge: CloudFront distributions, WAFv2 web ACLs, Route 53 routing and S3 buckets."""

from __future__ import annotations

import json
import re

from pulumi_policy.proxy import UnknownValueError

from tierstack_guardrails.model import Severity, rule, stack_rule
from tierstack_guardrails.props import UNDECIDED, get, has, items, truthy
from tierstack_guardrails.rules.links import identity, reference, uncovered, wired

DISTRIBUTION = "aws:cloudfront/distribution:Distribution"
VPC_ORIGIN = "aws:cloudfront/vpcOrigin:VpcOrigin"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WEB_ACL_RULE = "aws:wafv2/webAclRule:WebAclRule"
WEB_ACL_RULE_GROUP_ASSOCIATION = "aws:wafv2/webAclRuleGroupAssociation:WebAclRuleGroupAssociation"
WEB_ACL_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
RECORD = "aws:route53/record:Record"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
BUCKETS = (BUCKET, BUCKET_V2)
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
SSE_CONFIGS = ("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
               "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2")
VERSIONINGS = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")

HTTPS_VIEWER_POLICIES = ("redirect-to-https", "https-only")
BASELINE_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet")
PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
ROUTING_POLICIES = ("latencyRoutingPolicies", "failoverRoutingPolicies", "geolocationRoutingPolicies",
                    "weightedRoutingPolicies", "geoproximityRoutingPolicy", "cidrRoutingPolicy")


def _tls(version) -> tuple[int, int, int]:
    """(major, minor, policy year) of 'TLSv1.2_2021' or 'TLSv1.2'; zeros for SSLv3 and the unparseable."""
    match = re.fullmatch(r"TLSv(\d+)(?:\.(\d+))?(?:_(\d{4}))?", str(version))
    return (int(match[1]), int(match[2] or 0), int(match[3] or 0)) if match else (0, 0, 0)


# What a companion's reference holds, and the owner outputs it can equal: an S3 sibling's bucket is
# the bucket's id (its name); a logging configuration's resourceArn is the web ACL's ARN.
BUCKET_KEYS = ("id", "bucket")
ACL_KEYS = ("arn",)


def _missing(what: str, found: int, needed: int, owners: str) -> str:
    if not found:
        return f"no {what} was found for it (none wired to it, none in its component)"
    return f"its component holds {needed} {owners} but only {found} {what}"


# --- CloudFront ------------------------------------------------------------------------------

@rule("cloudfront-waf-attached",
      "Every distribution sits behind a WAFv2 web ACL.",
      Severity.HIGH,
      "Set webAclId to the ARN of a CLOUDFRONT-scoped aws.wafv2.WebAcl (created in us-east-1).",
      DISTRIBUTION)
def cloudfront_waf_attached(resource, context):
    # The ACL's ARN is computed, so preview sees it unknown: still attached.
    if not has(resource.props, "webAclId"):
        yield "no webAclId: the distribution has no WAF in front of it"


@rule("cloudfront-https-only",
      "Viewers reach every cache behavior over HTTPS only.",
      Severity.HIGH,
      "Set viewerProtocolPolicy to 'redirect-to-https' (or 'https-only') on defaultCacheBehavior and on every "
      "orderedCacheBehaviors entry.",
      DISTRIBUTION)
def cloudfront_https_only(resource, context):
    default = get(resource.props, "defaultCacheBehavior", {})
    behaviors = [("the default cache behavior", default)]
    behaviors += [(f"behavior {get(b, 'pathPattern', '?')}", b) for b in items(resource.props, "orderedCacheBehaviors")]
    for label, behavior in behaviors:
        policy = get(behavior, "viewerProtocolPolicy")
        if policy not in HTTPS_VIEWER_POLICIES:
            yield f"{label} allows plain HTTP (viewerProtocolPolicy {policy})"


@rule("cloudfront-tls-minimum",
      "Viewers negotiate TLS 1.2 or newer, on the distribution's own certificate.",
      Severity.HIGH,
      "Set viewerCertificate.acmCertificateArn (with sslSupportMethod 'sni-only') and minimumProtocolVersion "
      "'TLSv1.2_2021' or newer; do not use cloudfrontDefaultCertificate, which pins TLSv1.",
      DISTRIBUTION)
def cloudfront_tls_minimum(resource, context):
    viewer = get(resource.props, "viewerCertificate", {})
    if truthy(get(viewer, "cloudfrontDefaultCertificate", False)):
        yield "uses cloudfrontDefaultCertificate, which accepts TLSv1"
        return
    version = get(viewer, "minimumProtocolVersion")
    major, minor, year = _tls(version)
    if not version:
        yield "viewerCertificate.minimumProtocolVersion is not set (CloudFront defaults to TLSv1)"
    elif (major, minor) < (1, 2) or ((major, minor) == (1, 2) and year < 2019):
        yield f"minimumProtocolVersion {version} is older than TLSv1.2_2019"


def _origin_tls(label, config, protocols):
    if get(config, "originProtocolPolicy") != "https-only":
        yield f"{label} is reached with originProtocolPolicy {get(config, 'originProtocolPolicy')}"
    weak = [p for p in protocols if _tls(p)[:2] < (1, 2)]
    if weak:
        yield f"{label} still allows {', '.join(weak)}"


@rule("cloudfront-origin-tls",
      "CloudFront talks to custom and VPC origins over HTTPS with TLS 1.2 or newer only.",
      Severity.HIGH,
      "On every origin's customOriginConfig (and each VpcOrigin's vpcOriginEndpointConfig) set "
      "originProtocolPolicy to 'https-only' and originSslProtocols to TLSv1.2 only.",
      DISTRIBUTION, VPC_ORIGIN)
def cloudfront_origin_tls(resource, context):
    if resource.type == VPC_ORIGIN:
        config = get(resource.props, "vpcOriginEndpointConfig", {})
        yield from _origin_tls("the VPC origin", config, items(config, "originSslProtocols.items"))
        return
    for origin in items(resource.props, "origins"):
        config = get(origin, "customOriginConfig")
        # S3 origins follow the viewer's protocol; VPC origins carry their own VpcOrigin resource.
        if config:
            label = f"origin {get(origin, 'originId', '?')}"
            yield from _origin_tls(label, config, items(config, "originSslProtocols"))


@rule("cloudfront-origin-failover",
      "A distribution with several origins fails over between them through an origin group.",
      Severity.MEDIUM,
      "Add originGroups pairing a primary and a secondary origin, with failoverCriteria.statusCodes such as "
      "[500, 502, 503, 504], and point the cache behaviors at the group's originId.",
      DISTRIBUTION)
def cloudfront_origin_failover(resource, context):
    origins = list(items(resource.props, "origins"))
    if len(origins) < 2:
        return
    groups = list(items(resource.props, "originGroups"))
    if not groups:
        yield f"{len(origins)} origins but no originGroups, so nothing fails over"
    for group in groups:
        label = get(group, "originId", "?")
        if not list(items(group, "failoverCriteria.statusCodes")):
            yield f"origin group {label} has no failoverCriteria.statusCodes"
        if len(list(items(group, "members"))) < 2:
            yield f"origin group {label} has fewer than two members"


@rule("cloudfront-access-logging",
      "Distributions write standard access logs to S3.",
      Severity.MEDIUM,
      "Set loggingConfig.bucket to the log bucket's bucketDomainName (tierstack's log bucket), optionally "
      "with a prefix per distribution.",
      DISTRIBUTION)
def cloudfront_access_logging(resource, context):
    if not has(resource.props, "loggingConfig.bucket"):
        yield "no loggingConfig.bucket: requests are not logged"


# --- WAFv2 -----------------------------------------------------------------------------------
# A web ACL's rules can be inline (rules), raw JSON (ruleJson, the AWS API's PascalCase shape) or
# separate WebAclRule / WebAclRuleGroupAssociation resources, linked by the ACL's ARN: compared
# where known, followed through the wiring where not (preview), else matched by component. Each
# yields (kind, rule group, enforced).

def _engine_rule(rule_props):
    statement = get(rule_props, "statement") or {}
    counted = get(rule_props, "action.count") is not None or get(rule_props, "overrideAction.count") is not None
    if has(statement, "rateBasedStatement"):
        yield "rate", None, not counted
    managed = get(statement, "managedRuleGroupStatement")
    if managed:
        yield "managed", f"{get(managed, 'vendorName')}/{get(managed, 'name')}", not counted


def _json_rules(text):
    try:
        parsed = json.loads(text)
    except (TypeError, ValueError):
        return  # the provider rejects malformed JSON before any policy matters
    for entry in parsed if isinstance(parsed, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("Statement"), dict):
            continue
        statement = entry["Statement"]
        counted = "Count" in (entry.get("Action") or {}) or "Count" in (entry.get("OverrideAction") or {})
        if "RateBasedStatement" in statement:
            yield "rate", None, not counted
        managed = statement.get("ManagedRuleGroupStatement")
        if managed:
            yield "managed", f"{managed.get('VendorName')}/{managed.get('Name')}", not counted


def _acls_of(sibling, acls, identities) -> tuple[list, bool]:
    """(the web ACLs a rule resource belongs to, whether that is decided).

    Its webAclArn names its ACL where both ARNs are known. Otherwise (unknown at preview, absent,
    or naming an ACL whose own ARN is unknown) the one ACL that value was wired from decides;
    several such ACLs are each undecided. Failing both, it belongs to the ACLs of its component
    (or the ACL that is its parent), less any whose known ARN its known webAclArn is not.
    """
    ref = reference(sibling, "webAclArn")
    known_ref = ref is not None and ref is not UNDECIDED
    if known_ref:
        named = [a for a in acls if identities[id(a)] and ref in identities[id(a)]]
        if named or all(identities[id(a)] for a in acls):
            return named, True  # none named while every ARN is known: an ACL outside the stack
    candidates = [a for a in acls if not known_ref or identities[id(a)] is None]
    sources = wired(sibling, "webAclArn", candidates)
    if sources:
        return sources, len(sources) == 1
    return [a for a in candidates if sibling.parent in (a.parent, a.urn)], True


def _acl_rules(acl, resources):
    """Every (kind, group, enforced) of the ACL's rules, or None while preview cannot tell."""
    try:
        found = [r for entry in items(acl.props, "rules") for r in _engine_rule(entry)]
        if get(acl.props, "ruleJson"):
            found += _json_rules(get(acl.props, "ruleJson"))
        acls = [r for r in resources if r.type == WEB_ACL]
        identities = {id(a): identity(a, ACL_KEYS) for a in acls}
        for sibling in resources:
            if sibling.type not in (WEB_ACL_RULE, WEB_ACL_RULE_GROUP_ASSOCIATION):
                continue
            owners, decided = _acls_of(sibling, acls, identities)
            if not any(owner is acl for owner in owners):
                continue
            if not decided:
                return None  # wired from several ACLs: this one may or may not hold the rule
            if sibling.type == WEB_ACL_RULE:
                found += _engine_rule(sibling.props)
            elif get(sibling.props, "managedRuleGroup"):
                group = get(sibling.props, "managedRuleGroup")
                found.append(("managed", f"{get(group, 'vendorName')}/{get(group, 'name')}",
                              get(sibling.props, "overrideAction", "none") != "count"))
        return found
    except UnknownValueError:
        return None


@stack_rule("wafv2-rate-limit",
            "Every web ACL throttles abusive clients with an enforced rate-based rule.",
            Severity.HIGH,
            "Add a rule whose statement is a rateBasedStatement (e.g. limit 2000, aggregateKeyType 'IP') with "
            "action block (or captcha/challenge), inline in rules or as an aws.wafv2.WebAclRule.")
def wafv2_rate_limit(resources, context):
    for acl in (r for r in resources if r.type == WEB_ACL):
        found = _acl_rules(acl, resources)
        if found is None:
            continue
        rates = [enforced for kind, _, enforced in found if kind == "rate"]
        if not rates:
            yield acl, "no rate-based rule"
        elif not any(rates):
            yield acl, "the rate-based rule only counts (action count), it never blocks"


@stack_rule("wafv2-managed-baseline",
            "Every web ACL enforces AWS's baseline managed rule groups: "
            f"{' and '.join(BASELINE_RULE_GROUPS)}.",
            Severity.HIGH,
            "Add managedRuleGroupStatement rules with vendorName 'AWS' and names "
            f"{', '.join(BASELINE_RULE_GROUPS)}, with overrideAction none (not count).")
def wafv2_managed_baseline(resources, context):
    for acl in (r for r in resources if r.type == WEB_ACL):
        found = _acl_rules(acl, resources)
        if found is None:
            continue
        groups = {}
        for kind, group, enforced in found:
            if kind == "managed":
                groups[group] = groups.get(group, False) or enforced
        for name in BASELINE_RULE_GROUPS:
            enforced = groups.get(f"AWS/{name}")
            if enforced is None:
                yield acl, f"managed rule group {name} is missing"
            elif not enforced:
                yield acl, f"managed rule group {name} runs in count mode"


@stack_rule("wafv2-logging",
            "Every web ACL logs its requests through a WebAclLoggingConfiguration.",
            Severity.HIGH,
            "Add an aws.wafv2.WebAclLoggingConfiguration for the ACL in the same component, with "
            "logDestinationConfigs naming a log group called 'aws-waf-logs-...' (or a Firehose stream).")
def wafv2_logging(resources, context):
    # resourceArn is the ACL's ARN: compared where known, else matched by component (see links).
    for acl, found, needed in uncovered(resources, (WEB_ACL,), (WEB_ACL_LOGGING,), "resourceArn", ACL_KEYS):
        yield acl, _missing("WebAclLoggingConfiguration", found, needed, "web ACLs")


# --- Route 53 --------------------------------------------------------------------------------

@rule("route53-routing-health-checks",
      "Records with a routing policy carry a setIdentifier and a health check, so a failed target leaves DNS.",
      Severity.HIGH,
      "On each latency/failover/geolocation/weighted/geoproximity/CIDR/multivalue record set setIdentifier, "
      "and healthCheckId to an aws.route53.HealthCheck (or, for alias records, aliases[].evaluateTargetHealth).",
      RECORD)
def route53_routing_health_checks(resource, context):
    props = resource.props
    policies = [p for p in ROUTING_POLICIES if has(props, p)]
    if truthy(get(props, "multivalueAnswerRoutingPolicy", False)):
        policies.append("multivalueAnswerRoutingPolicy")
    if not policies:
        return
    if not has(props, "setIdentifier"):
        yield f"record with {policies[0]} has no setIdentifier"
    evaluated = any(truthy(get(alias, "evaluateTargetHealth", False)) for alias in items(props, "aliases"))
    if not has(props, "healthCheckId") and not evaluated:
        yield f"record with {policies[0]} has no healthCheckId: traffic keeps flowing to a dead target"


# --- S3 --------------------------------------------------------------------------------------

@rule("s3-public-access-blocked",
      "Bucket public access blocks turn on all four settings.",
      Severity.CRITICAL,
      f"Set {', '.join(PUBLIC_ACCESS_FLAGS)} to true on the aws.s3.BucketPublicAccessBlock; serve public "
      "content through CloudFront with origin access control instead.",
      PUBLIC_ACCESS_BLOCK)
def s3_public_access_blocked(resource, context):
    for flag in PUBLIC_ACCESS_FLAGS:
        if not truthy(get(resource.props, flag, False)):
            yield f"{flag} is not true"


@stack_rule("s3-bucket-public-access-block-present",
            "Every bucket has its own BucketPublicAccessBlock.",
            Severity.CRITICAL,
            "Add an aws.s3.BucketPublicAccessBlock for each bucket, in the same component, with all four flags true.")
def s3_bucket_public_access_block_present(resources, context):
    for bucket, found, needed in uncovered(resources, BUCKETS, (PUBLIC_ACCESS_BLOCK,), "bucket", BUCKET_KEYS):
        yield bucket, _missing("BucketPublicAccessBlock", found, needed, "buckets")


def _sse_defaults(resource):
    """Each applyServerSideEncryptionByDefault block, whichever of the three shapes holds it.

    The standalone resources carry rules[] of objects; Bucket's deprecated inline block is one
    object with one rule; BucketV2's is lists at every level.
    """
    props = resource.props
    configs = [props] if resource.type in SSE_CONFIGS else [
        *items(props, "serverSideEncryptionConfiguration"), *items(props, "serverSideEncryptionConfigurations")]
    for config in configs:
        for sse_rule in [*items(config, "rule"), *items(config, "rules")]:
            yield from items(sse_rule, "applyServerSideEncryptionByDefault")
            yield from items(sse_rule, "applyServerSideEncryptionByDefaults")


@rule("s3-kms-encryption",
      "Buckets encrypt new objects with KMS by default (a customer-managed key under HIPAA).",
      Severity.HIGH,
      "In the aws.s3.BucketServerSideEncryptionConfiguration set applyServerSideEncryptionByDefault."
      "sseAlgorithm to 'aws:kms' (or 'aws:kms:dsse') and bucketKeyEnabled true; HIPAA stacks also set "
      "kmsMasterKeyId to a customer-managed KMS key.",
      *SSE_CONFIGS, *BUCKETS)
def s3_kms_encryption(resource, context):
    defaults = list(_sse_defaults(resource))
    if not defaults and resource.type in SSE_CONFIGS:
        yield "no applyServerSideEncryptionByDefault rule"
    for default in defaults:
        algorithm = get(default, "sseAlgorithm")
        if algorithm not in KMS_ALGORITHMS:
            yield f"sseAlgorithm {algorithm} is not aws:kms"
        elif context.hipaa and not has(default, "kmsMasterKeyId"):
            yield "HIPAA profile: kmsMasterKeyId is not set, so the AWS-managed aws/s3 key is used"


@stack_rule("s3-bucket-encryption-present",
            "Every bucket has a server-side encryption configuration of its own.",
            Severity.HIGH,
            "Add an aws.s3.BucketServerSideEncryptionConfiguration for each bucket, in the same component, "
            "using aws:kms.")
def s3_bucket_encryption_present(resources, context):
    def inline(bucket):  # the deprecated inline block also encrypts (s3-kms-encryption checks how)
        return bool(list(_sse_defaults(bucket)))
    for bucket, found, needed in uncovered(resources, BUCKETS, SSE_CONFIGS, "bucket", BUCKET_KEYS, inline):
        yield bucket, _missing("BucketServerSideEncryptionConfiguration", found, needed, "buckets")


def _inline_versioning(bucket):
    return [*items(bucket.props, "versioning"), *items(bucket.props, "versionings")]


@rule("s3-versioning-enabled",
      "Buckets keep object versions, so an overwrite or delete can be undone.",
      Severity.MEDIUM,
      "Set versioningConfiguration.status to 'Enabled' on the aws.s3.BucketVersioning "
      "(and add lifecycle rules expiring noncurrent versions).",
      *VERSIONINGS, *BUCKETS)
def s3_versioning_enabled(resource, context):
    if resource.type in BUCKETS:
        for block in _inline_versioning(resource):
            if not truthy(get(block, "enabled", False)):
                yield "the bucket's inline versioning is not enabled"
        return
    status = get(resource.props, "versioningConfiguration.status")
    if status != "Enabled":
        yield f"versioning status is {status}"


@stack_rule("s3-bucket-versioning-present",
            "Every bucket has a versioning configuration of its own.",
            Severity.MEDIUM,
            "Add an aws.s3.BucketVersioning with status 'Enabled' for each bucket, in the same component.")
def s3_bucket_versioning_present(resources, context):
    for bucket, found, needed in uncovered(resources, BUCKETS, VERSIONINGS, "bucket", BUCKET_KEYS,
                                             lambda b: bool(_inline_versioning(b))):
        yield bucket, _missing("BucketVersioning", found, needed, "buckets")
