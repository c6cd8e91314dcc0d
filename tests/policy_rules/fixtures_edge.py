import json

from tierstack.policy.rules.edge import (
    BUCKET, BUCKET_V2, DISTRIBUTION, PUBLIC_ACCESS_BLOCK, RECORD, SSE_CONFIGS, VERSIONINGS, VPC_ORIGIN, WEB_ACL,
    WEB_ACL_LOGGING, WEB_ACL_RULE, WEB_ACL_RULE_GROUP_ASSOCIATION,
)

from .fixtures import HIPAA, UNKNOWN_ARRAY_VALUE, UNKNOWN_STRING_VALUE, Case, R, RuleFixtures

SSE, SSE_V2 = SSE_CONFIGS
VERSIONING, VERSIONING_V2 = VERSIONINGS
KEY = "arn:aws:kms:us-east-1:111122223333:key/edge"

# --- CloudFront ---

HTTPS_ORIGIN = {"httpPort": 80, "httpsPort": 443, "originProtocolPolicy": "https-only", "originSslProtocols": ["TLSv1.2"]}


def origin(origin_id, domain, **config):
    return {"originId": origin_id, "domainName": domain, "customOriginConfig": {**HTTPS_ORIGIN, **config}}


ORIGINS = [origin("api-use1", "api.use1.example.com"), origin("api-usw2", "api.usw2.example.com")]
ORIGIN_GROUP = {"originId": "api", "failoverCriteria": {"statusCodes": [500, 502, 503, 504]},
                "members": [{"originId": "api-use1"}, {"originId": "api-usw2"}]}
BEHAVIOR = {"targetOriginId": "api", "viewerProtocolPolicy": "redirect-to-https",
            "allowedMethods": ["GET", "HEAD"], "cachedMethods": ["GET", "HEAD"]}
GOOD_DISTRIBUTION = {
    "enabled": True,
    "webAclId": "arn:aws:wafv2:us-east-1:111122223333:global/webacl/edge/1",
    "defaultCacheBehavior": BEHAVIOR,
    "orderedCacheBehaviors": [{**BEHAVIOR, "pathPattern": "/static/*", "viewerProtocolPolicy": "https-only"}],
    "origins": ORIGINS,
    "originGroups": [ORIGIN_GROUP],
    "viewerCertificate": {"acmCertificateArn": "arn:aws:acm:us-east-1:111122223333:certificate/1",
                          "sslSupportMethod": "sni-only", "minimumProtocolVersion": "TLSv1.2_2021"},
    "loggingConfig": {"bucket": "edge-logs.s3.amazonaws.com", "prefix": "cdn/"},
    "restrictions": {"geoRestriction": {"restrictionType": "none"}},
}


def distribution(drop=(), **props):
    return R(DISTRIBUTION, {k: v for k, v in {**GOOD_DISTRIBUTION, **props}.items() if k not in drop}, "edge")


def certificate(**viewer):
    return distribution(viewerCertificate={**GOOD_DISTRIBUTION["viewerCertificate"], **viewer})


# Preview cannot know an origin whose domain is another resource's output (an ALB, a bucket).
UNKNOWN_ORIGINS = distribution(origins=[origin("api-use1", UNKNOWN_STRING_VALUE), origin("api-usw2", UNKNOWN_STRING_VALUE)])


def vpc_origin(arn="arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/api/1", **config):
    endpoint = {"name": "api", "arn": arn, "httpPort": 80, "httpsPort": 443, "originProtocolPolicy": "https-only",
                "originSslProtocols": {"items": ["TLSv1.2"], "quantity": 1}, **config}
    return R(VPC_ORIGIN, {"vpcOriginEndpointConfig": endpoint}, "api-vpc-origin")


S3_ORIGIN = {"originId": "assets", "domainName": "assets.s3.us-east-1.amazonaws.com",
             "originAccessControlId": "oac-1", "s3OriginConfig": {"originAccessIdentity": ""}}

# --- WAFv2 ---

VISIBILITY = {"cloudwatchMetricsEnabled": True, "metricName": "m", "sampledRequestsEnabled": True}
RATE_RULE = {"name": "rate", "priority": 0, "action": {"block": {}}, "visibilityConfig": VISIBILITY,
             "statement": {"rateBasedStatement": {"limit": 2000, "aggregateKeyType": "IP"}}}


def managed(name, priority, vendor="AWS", count=False):
    return {"name": name, "priority": priority, "visibilityConfig": VISIBILITY,
            "overrideAction": {"count": {}} if count else {"none": {}},
            "statement": {"managedRuleGroupStatement": {"vendorName": vendor, "name": name}}}


COMMON = managed("AWSManagedRulesCommonRuleSet", 1)
BAD_INPUTS = managed("AWSManagedRulesKnownBadInputsRuleSet", 2)
GOOD_RULES = [RATE_RULE, COMMON, BAD_INPUTS]
RULE_JSON = json.dumps([
    {"Name": "rate", "Priority": 0, "Action": {"Block": {}},
     "Statement": {"RateBasedStatement": {"Limit": 2000, "AggregateKeyType": "IP"}}},
    *({"Name": n, "Priority": i, "OverrideAction": {"None": {}},
       "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": n}}}
      for i, n in enumerate(("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"), 1)),
])


def acl(rules=None, name="edge-acl", parent="urn:edge", **props):
    body = {"scope": "CLOUDFRONT", "defaultAction": {"allow": {}}, "visibilityConfig": VISIBILITY, **props}
    if rules is not None:
        body["rules"] = rules
    return R(WEB_ACL, body, name, parent=parent)


def acl_rule(rule, parent="urn:edge"):
    return R(WEB_ACL_RULE, {**rule, "webAclArn": UNKNOWN_STRING_VALUE}, rule["name"], parent=parent)


def group_association(name, override="none", parent="urn:edge"):
    return R(WEB_ACL_RULE_GROUP_ASSOCIATION, {"ruleName": name, "priority": 5, "webAclArn": UNKNOWN_STRING_VALUE,
                                              "overrideAction": override,
                                              "managedRuleGroup": {"vendorName": "AWS", "name": name}},
             name, parent=parent)


def logging(parent="urn:edge"):
    return R(WEB_ACL_LOGGING, {"resourceArn": UNKNOWN_STRING_VALUE, "logDestinationConfigs": [UNKNOWN_STRING_VALUE]},
             "edge-acl-logging", parent=parent)


# --- Route 53 ---

def record(**props):
    return R(RECORD, {"zoneId": "Z123", "name": "api.example.com", "type": "A", **props}, "api")


LATENCY = {"latencyRoutingPolicies": [{"region": "us-east-1"}], "setIdentifier": "use1", "healthCheckId": "hc-use1",
           "aliases": [{"name": "alb.example.com", "zoneId": "Z35", "evaluateTargetHealth": False}]}

# --- S3 ---

FLAGS = {"blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True, "restrictPublicBuckets": True}


def bucket(name="assets", parent="urn:assets", type_=BUCKET, **props):
    return R(type_, props, name, parent=parent)


def companion(type_, props, parent="urn:assets", name="assets-companion"):
    return R(type_, {"bucket": UNKNOWN_STRING_VALUE, **props}, name, parent=parent)


def sse(algorithm="aws:kms", type_=SSE, key=KEY, **props):
    default = {"sseAlgorithm": algorithm, **({"kmsMasterKeyId": key} if key else {})}
    return companion(type_, {"rules": [{"applyServerSideEncryptionByDefault": default, "bucketKeyEnabled": True}], **props})


def versioning(status="Enabled", type_=VERSIONING):
    return companion(type_, {"versioningConfiguration": {"status": status}})


PAB = companion(PUBLIC_ACCESS_BLOCK, FLAGS)
INLINE_KMS = {"serverSideEncryptionConfiguration": {"rule": {"applyServerSideEncryptionByDefault": {
    "sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY}}}}
INLINE_KMS_V2 = {"serverSideEncryptionConfigurations": [{"rules": [{"applyServerSideEncryptionByDefaults": [
    {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY}]}]}]}


FIXTURES = {
    "cloudfront-waf-attached": RuleFixtures(
        compliant=[Case([distribution()])],
        violating=[Case([distribution(drop=("webAclId",))], expect="no webAclId")],
        # The web ACL is created in the same stack: its ARN is unknown in preview, but attached.
        unknown=[Case([distribution(webAclId=UNKNOWN_STRING_VALUE)])],
    ),
    "cloudfront-https-only": RuleFixtures(
        compliant=[Case([distribution()]), Case([distribution(drop=("orderedCacheBehaviors",))])],
        violating=[Case([distribution(defaultCacheBehavior={**BEHAVIOR, "viewerProtocolPolicy": "allow-all"})],
                        expect="the default cache behavior allows plain HTTP"),
                   Case([distribution(orderedCacheBehaviors=[{**BEHAVIOR, "pathPattern": "/static/*",
                                                              "viewerProtocolPolicy": "allow-all"}])],
                        expect="behavior /static/*")],
        unknown=[Case([UNKNOWN_ORIGINS])],
    ),
    "cloudfront-tls-minimum": RuleFixtures(
        compliant=[Case([distribution()]), Case([certificate(minimumProtocolVersion="TLSv1.2_2019")]),
                   Case([certificate(minimumProtocolVersion="TLSv1.2_2025")]),
                   Case([certificate(minimumProtocolVersion="TLSv1.3_2025")])],
        violating=[Case([distribution(viewerCertificate={"cloudfrontDefaultCertificate": True})],
                        expect="cloudfrontDefaultCertificate"),
                   Case([certificate(minimumProtocolVersion="TLSv1.2_2018")], expect="TLSv1.2_2018 is older"),
                   Case([certificate(minimumProtocolVersion="TLSv1")], expect="older than TLSv1.2_2019"),
                   Case([distribution(viewerCertificate={"acmCertificateArn": "arn:aws:acm:us-east-1:1:certificate/1",
                                                         "sslSupportMethod": "sni-only"})], expect="not set")],
        # A certificate issued in the same stack has an unknown ARN in preview.
        unknown=[Case([certificate(acmCertificateArn=UNKNOWN_STRING_VALUE)])],
    ),
    "cloudfront-origin-tls": RuleFixtures(
        compliant=[Case([distribution()]),
                   Case([distribution(origins=[*ORIGINS, S3_ORIGIN])], label="S3 origin with origin access control"),
                   Case([vpc_origin()])],
        violating=[Case([distribution(origins=[origin("api-use1", "a.example.com", originProtocolPolicy="http-only")])],
                        expect="origin api-use1 is reached with originProtocolPolicy http-only"),
                   Case([distribution(origins=[origin("api-use1", "a.example.com", originProtocolPolicy="match-viewer")])],
                        expect="match-viewer"),
                   Case([distribution(origins=[origin("api-usw2", "b.example.com",
                                                      originSslProtocols=["TLSv1", "TLSv1.1", "TLSv1.2"])])],
                        expect="still allows TLSv1, TLSv1.1"),
                   Case([vpc_origin(originProtocolPolicy="http-only")], expect="the VPC origin is reached"),
                   Case([vpc_origin(originSslProtocols={"items": ["TLSv1.1", "TLSv1.2"], "quantity": 2})],
                        expect="the VPC origin still allows TLSv1.1")],
        # Origin domains and the internal load balancer's ARN are outputs of other resources.
        unknown=[Case([UNKNOWN_ORIGINS]), Case([vpc_origin(arn=UNKNOWN_STRING_VALUE)])],
    ),
    "cloudfront-origin-failover": RuleFixtures(
        compliant=[Case([distribution()]),
                   Case([distribution(origins=ORIGINS[:1], drop=("originGroups",))], label="single origin")],
        violating=[Case([distribution(drop=("originGroups",))], expect="2 origins but no originGroups"),
                   Case([distribution(originGroups=[{**ORIGIN_GROUP, "failoverCriteria": {"statusCodes": []}}])],
                        expect="no failoverCriteria.statusCodes"),
                   Case([distribution(originGroups=[{**ORIGIN_GROUP, "members": [{"originId": "api-use1"}]}])],
                        expect="fewer than two members")],
        unknown=[Case([UNKNOWN_ORIGINS])],
    ),
    "cloudfront-access-logging": RuleFixtures(
        compliant=[Case([distribution()])],
        violating=[Case([distribution(drop=("loggingConfig",))], expect="no loggingConfig.bucket"),
                   Case([distribution(loggingConfig={"includeCookies": False})], expect="loggingConfig.bucket")],
        # The log bucket's bucketDomainName is an output of a bucket in the same stack.
        unknown=[Case([distribution(loggingConfig={"bucket": UNKNOWN_STRING_VALUE, "prefix": "cdn/"})])],
    ),
    "wafv2-rate-limit": RuleFixtures(
        compliant=[Case([acl(GOOD_RULES)]), Case([acl(ruleJson=RULE_JSON)], label="ruleJson"),
                   Case([acl(), acl_rule(RATE_RULE)], label="rule as a separate WebAclRule")],
        violating=[Case([acl([COMMON, BAD_INPUTS])], expect="no rate-based rule"),
                   Case([acl([{**RATE_RULE, "action": {"count": {}}}, COMMON])], expect="only counts"),
                   Case([acl(ruleJson=json.dumps([{"Name": "geo", "Priority": 0, "Action": {"Block": {}},
                                                   "Statement": {"GeoMatchStatement": {"CountryCodes": ["KP"]}}}]))],
                        expect="no rate-based rule", label="ruleJson without a rate rule"),
                   Case([acl(), acl_rule(RATE_RULE, parent="urn:other")], expect="no rate-based rule",
                        label="rule of another component")],
        unknown=[Case([acl(ruleJson=UNKNOWN_STRING_VALUE)]),
                 Case([acl([RATE_RULE, {"name": "allow-office", "priority": 3, "action": {"allow": {}},
                                        "visibilityConfig": VISIBILITY,
                                        "statement": {"ipSetReferenceStatement": {"arn": UNKNOWN_STRING_VALUE}}}])]),
                 Case([acl(UNKNOWN_ARRAY_VALUE)])],
    ),
    "wafv2-managed-baseline": RuleFixtures(
        compliant=[Case([acl(GOOD_RULES)]), Case([acl(ruleJson=RULE_JSON)], label="ruleJson"),
                   Case([acl([RATE_RULE]), group_association("AWSManagedRulesCommonRuleSet"),
                         group_association("AWSManagedRulesKnownBadInputsRuleSet")], label="rule group associations")],
        violating=[Case([acl([RATE_RULE, COMMON])], expect="AWSManagedRulesKnownBadInputsRuleSet is missing"),
                   Case([acl([RATE_RULE, managed("AWSManagedRulesCommonRuleSet", 1, count=True), BAD_INPUTS])],
                        expect="AWSManagedRulesCommonRuleSet runs in count mode"),
                   Case([acl([RATE_RULE, COMMON, managed("AWSManagedRulesKnownBadInputsRuleSet", 2, vendor="Acme")])],
                        expect="KnownBadInputsRuleSet is missing", label="another vendor's group"),
                   Case([acl([RATE_RULE]), group_association("AWSManagedRulesCommonRuleSet", override="count"),
                         group_association("AWSManagedRulesKnownBadInputsRuleSet")], expect="count mode")],
        unknown=[Case([acl(ruleJson=UNKNOWN_STRING_VALUE)]),
                 Case([acl([RATE_RULE, COMMON, BAD_INPUTS], tokenDomains=[UNKNOWN_STRING_VALUE])])],
    ),
    "wafv2-logging": RuleFixtures(
        compliant=[Case([acl(GOOD_RULES), logging()]),
                   Case([acl(GOOD_RULES), logging(parent=acl(GOOD_RULES).urn)], label="logging as the ACL's child")],
        violating=[Case([acl(GOOD_RULES)], expect="no WebAclLoggingConfiguration"),
                   Case([acl(GOOD_RULES), logging(parent="urn:other")], expect="none in its component"),
                   Case([acl(GOOD_RULES), acl(GOOD_RULES, name="api-acl", scope="REGIONAL"), logging()],
                        expect="holds 2 web ACLs but only 1 WebAclLoggingConfiguration")],
        # resourceArn and the destination are outputs, unknown in preview.
        unknown=[Case([acl(GOOD_RULES), logging()])],
    ),
    "route53-routing-health-checks": RuleFixtures(
        compliant=[Case([record(records=["203.0.113.10"], ttl=60)], label="simple routing"),
                   Case([record(**LATENCY)]),
                   Case([record(failoverRoutingPolicies=[{"type": "PRIMARY"}], setIdentifier="primary",
                                aliases=[{"name": "alb.example.com", "zoneId": "Z35", "evaluateTargetHealth": True}])],
                        label="alias evaluating target health")],
        violating=[Case([record(weightedRoutingPolicies=[{"weight": 10}], setIdentifier="blue", records=["10.0.0.1"])],
                        expect="no healthCheckId"),
                   Case([record(**{**LATENCY, "setIdentifier": ""})], expect="no setIdentifier"),
                   Case([record(geolocationRoutingPolicies=[{"continent": "EU"}], setIdentifier="eu")],
                        expect="geolocationRoutingPolicies has no healthCheckId"),
                   Case([record(multivalueAnswerRoutingPolicy=True, records=["10.0.0.1"])], expect="setIdentifier")],
        # The health check is created alongside the record: its id is unknown in preview.
        unknown=[Case([record(**{**LATENCY, "healthCheckId": UNKNOWN_STRING_VALUE})]),
                 Case([record(**{**LATENCY, "aliases": [{"name": UNKNOWN_STRING_VALUE, "zoneId": UNKNOWN_STRING_VALUE,
                                                         "evaluateTargetHealth": True}]})])],
    ),
    "s3-public-access-blocked": RuleFixtures(
        compliant=[Case([PAB])],
        violating=[Case([companion(PUBLIC_ACCESS_BLOCK, {**FLAGS, "restrictPublicBuckets": False})],
                        expect="restrictPublicBuckets"),
                   Case([companion(PUBLIC_ACCESS_BLOCK, {"blockPublicAcls": True})], expect="blockPublicPolicy")],
        unknown=[Case([PAB])],
    ),
    "s3-bucket-public-access-block-present": RuleFixtures(
        compliant=[Case([bucket(), PAB]), Case([bucket(type_=BUCKET_V2), PAB]),
                   Case([bucket(), companion(PUBLIC_ACCESS_BLOCK, FLAGS, parent=bucket().urn)],
                        label="block as the bucket's child")],
        violating=[Case([bucket()], expect="no BucketPublicAccessBlock"),
                   Case([bucket(type_=BUCKET_V2), companion(PUBLIC_ACCESS_BLOCK, FLAGS, parent="urn:logs")],
                        expect="none in its component"),
                   Case([bucket(), bucket("uploads"), PAB], expect="holds 2 buckets but only 1 BucketPublicAccessBlock")],
        unknown=[Case([bucket(bucket=UNKNOWN_STRING_VALUE), PAB])],
    ),
    "s3-kms-encryption": RuleFixtures(
        compliant=[Case([sse()]), Case([sse()], HIPAA), Case([sse("aws:kms:dsse", type_=SSE_V2)], HIPAA),
                   Case([sse(key=None)], label="standard profile accepts aws/s3"),
                   Case([bucket(**INLINE_KMS)], HIPAA), Case([bucket(type_=BUCKET_V2, **INLINE_KMS_V2)], HIPAA),
                   Case([bucket()], label="a bucket without the inline block is left to the stack rule")],
        violating=[Case([sse("AES256", key=None)], expect="sseAlgorithm AES256 is not aws:kms"),
                   Case([sse("AES256", type_=SSE_V2, key=None)], expect="AES256"),
                   Case([sse(key=None)], HIPAA, expect="HIPAA profile: kmsMasterKeyId"),
                   Case([companion(SSE, {"rules": [{"bucketKeyEnabled": True}]})], expect="no applyServerSideEncryption"),
                   Case([bucket(serverSideEncryptionConfiguration={"rule": {"applyServerSideEncryptionByDefault": {
                       "sseAlgorithm": "AES256"}}})], expect="AES256", label="deprecated inline block"),
                   Case([bucket(type_=BUCKET_V2, serverSideEncryptionConfigurations=[{"rules": [
                       {"applyServerSideEncryptionByDefaults": [{"sseAlgorithm": "aws:kms"}]}]}])], HIPAA,
                        expect="kmsMasterKeyId", label="BucketV2 inline lists")],
        # A key created in the same stack has an unknown ARN in preview.
        unknown=[Case([sse(key=UNKNOWN_STRING_VALUE)], HIPAA)],
    ),
    "s3-bucket-encryption-present": RuleFixtures(
        compliant=[Case([bucket(), sse()]), Case([bucket(type_=BUCKET_V2), sse(type_=SSE_V2)]),
                   Case([bucket(**INLINE_KMS)], label="deprecated inline block")],
        violating=[Case([bucket()], expect="no BucketServerSideEncryptionConfiguration"),
                   Case([bucket(type_=BUCKET_V2), versioning(), PAB], expect="no BucketServerSideEncryptionConfiguration"),
                   Case([bucket(), bucket("uploads"), sse()], expect="only 1")],
        unknown=[Case([bucket(), sse(key=UNKNOWN_STRING_VALUE)]),
                 Case([bucket(serverSideEncryptionConfiguration=UNKNOWN_STRING_VALUE)])],
    ),
    "s3-versioning-enabled": RuleFixtures(
        compliant=[Case([versioning()]), Case([versioning(type_=VERSIONING_V2)]),
                   Case([bucket(versioning={"enabled": True})], label="deprecated inline block"),
                   Case([bucket(type_=BUCKET_V2, versionings=[{"enabled": True}])])],
        violating=[Case([versioning("Suspended")], expect="versioning status is Suspended"),
                   Case([versioning("Disabled", type_=VERSIONING_V2)], expect="Disabled"),
                   Case([bucket(versioning={"enabled": False})], expect="inline versioning is not enabled")],
        unknown=[Case([versioning()])],
    ),
    "s3-bucket-versioning-present": RuleFixtures(
        compliant=[Case([bucket(), versioning()]), Case([bucket(type_=BUCKET_V2), versioning(type_=VERSIONING_V2)]),
                   Case([bucket(versioning={"enabled": True})], label="deprecated inline block")],
        violating=[Case([bucket()], expect="no BucketVersioning"),
                   Case([bucket(), bucket("uploads", type_=BUCKET_V2), versioning()], expect="only 1 BucketVersioning")],
        unknown=[Case([bucket(bucket=UNKNOWN_STRING_VALUE), versioning()])],
    ),
}

# Foreign wiring: siblings attached from another component by the bucket's name / the ACL's ARN.
FIXTURES["s3-bucket-public-access-block-present"].compliant.append(
    Case([R(BUCKET, {"bucket": "team-data"}, "data", parent="urn:storage-team"),
          R(PUBLIC_ACCESS_BLOCK, {**FLAGS, "bucket": "team-data"}, "guard", parent="urn:security-team")],
         label="block wired by bucket name from another component"))
FIXTURES["s3-bucket-public-access-block-present"].violating.append(
    Case([R(BUCKET, {"bucket": "team-data"}, "data", parent="urn:storage"),
          R(PUBLIC_ACCESS_BLOCK, {**FLAGS, "bucket": "other-bucket"}, "guard", parent="urn:storage")],
         expect="no BucketPublicAccessBlock", label="block of a bucket outside the stack"))
FIXTURES["wafv2-logging"].compliant.append(
    Case([R(WEB_ACL, {**acl(GOOD_RULES).props, "arn": "arn:aws:wafv2:us-east-1:1:global/webacl/a/1"}, "acl",
            parent="urn:edge-team"),
          R(WEB_ACL_LOGGING, {"resourceArn": "arn:aws:wafv2:us-east-1:1:global/webacl/a/1",
                              "logDestinationConfigs": ["arn:aws:logs:us-east-1:1:log-group:aws-waf-logs-a"]},
            "waf-logs", parent="urn:logging-team")],
         label="logging wired by resourceArn from another component"))
