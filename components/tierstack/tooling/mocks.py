"""Pulumi mocks that stand in for AWS and the engine with plausible, region-aware answers.

Every resource gets a deterministic id and the computed outputs its consumers read (ARNs,
cluster endpoint and OIDC issuer, launch template versions...). Every invoke the program
makes is answered from the same catalog validation uses; an invoke with no answer fails loudly
so a new data source cannot slip into the program unmocked.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any, Callable, Optional

import pulumi

from tierstack.catalog import aws as catalog

ACCOUNT_ID = "123456789012"
PARTITION = "aws"


def _digest(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


class UnmockedInvoke(LookupError):
    """The program called a data source the offline plan has no answer for."""


def _autoname(args) -> str:
    """A resource's physical name: the one it was given, else Pulumi's autoname (name + suffix)."""
    return args.inputs.get("name") or f"{args.name}-{_digest(args.name, length=7)}"


class ProviderRegions:
    """Maps provider references ("urn::id") to the region their provider was configured with."""

    def __init__(self, default_region: str):
        self.default_region = default_region
        self._regions: dict[str, str] = {}

    def record(self, reference: str, region: Optional[str]) -> None:
        if region:
            self._regions[reference] = region

    def region_for(self, reference: Optional[str], inputs: Optional[dict] = None) -> str:
        if inputs and isinstance(inputs.get("region"), str):
            return inputs["region"]
        return self._regions.get(reference or "", self.default_region)


_ID_PREFIXES = {
    "aws:ec2/vpc:Vpc": "vpc", "aws:ec2/subnet:Subnet": "subnet", "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/internetGateway:InternetGateway": "igw", "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/eip:Eip": "eipalloc", "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg", "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt", "aws:ec2/flowLog:FlowLog": "fl",
}


class TierstackMocks(pulumi.runtime.Mocks):
    def __init__(self, regions: ProviderRegions):
        self.regions = regions

    # -- resources ---------------------------------------------------------------------------
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[Optional[str], dict]:
        region = self.regions.region_for(args.provider, args.inputs)
        resource_id = f"{_ID_PREFIXES.get(args.typ, 'id')}-{_digest(args.typ, args.name)}"
        outputs = dict(args.inputs)
        if args.typ == "kubernetes:networking.k8s.io/v1:Ingress":
            # The load balancer controller reports the ALB it created in the Ingress status.
            outputs["status"] = {"loadBalancer": {"ingress": [{
                "hostname": f"k8s-{_digest(args.name, length=8)}-{_digest('alb', args.name, length=10)}"
                            f".{region}.elb.amazonaws.com"}]}}
        if args.typ.startswith("aws:"):
            outputs.setdefault("name", _autoname(args))
            outputs.setdefault("arn", self._arn(args.typ, region, outputs["name"]))
            outputs.setdefault("tagsAll", outputs.get("tags") or {})
            handler = _COMPUTED.get(args.typ)
            if handler:
                outputs.update(handler(args, region, resource_id))
        return resource_id, outputs

    @staticmethod
    def _arn(type_token: str, region: str, name: str) -> str:
        module = type_token.split(":")[1].split("/")[0]
        kind = type_token.rsplit(":", 1)[-1].lower()
        global_services = {"iam", "cloudfront", "route53", "wafv2"}
        scope = "" if module in global_services else region
        return f"arn:{PARTITION}:{module}:{scope}:{ACCOUNT_ID}:{kind}/{name}"

    # -- invokes -----------------------------------------------------------------------------
    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, Optional[list[tuple[str, str]]]]:
        region = self.regions.region_for(args.provider, args.args)
        handler = _INVOKES.get(args.token)
        if handler is None:
            raise UnmockedInvoke(
                f"the offline plan has no mock answer for invoke {args.token}; add one to tierstack.tooling.mocks"
            )
        return handler(args.args, region), []


def _cluster(args, region, resource_id) -> dict[str, Any]:
    name = args.inputs.get("name", args.name)
    issuer_id = _digest("oidc", region, name, length=32).upper()
    vpc_config = dict(args.inputs.get("vpcConfig") or {})
    vpc_config.update({"clusterSecurityGroupId": f"sg-{_digest('cluster-sg', name)}", "vpcId": "vpc-mock"})
    return {
        "endpoint": f"https://{issuer_id}.gr7.{region}.eks.amazonaws.com",
        "certificateAuthority": {"data": base64.b64encode(b"-----BEGIN CERTIFICATE-----mock").decode()},
        "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{issuer_id}"}]}],
        "vpcConfig": vpc_config,
        "platformVersion": "eks.1",
        "status": "ACTIVE",
    }


def _oidc_provider(args, region, resource_id) -> dict[str, Any]:
    url = str(args.inputs.get("url", "")).removeprefix("https://")
    return {"arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:oidc-provider/{url}"}


def _kms_key(args, region, resource_id) -> dict[str, Any]:
    key_id = f"{_digest(args.name, length=8)}-0000-4000-8000-{_digest('key', args.name, length=12)}"
    return {"keyId": key_id, "arn": f"arn:{PARTITION}:kms:{region}:{ACCOUNT_ID}:key/{key_id}"}


def _iam_role(args, region, resource_id) -> dict[str, Any]:
    name = _autoname(args)
    return {"name": name, "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role/{name}", "uniqueId": f"AROA{_digest(name, length=16).upper()}"}


def _log_group(args, region, resource_id) -> dict[str, Any]:
    name = args.inputs.get("name", args.name)
    return {"arn": f"arn:{PARTITION}:logs:{region}:{ACCOUNT_ID}:log-group:{name}"}


def _sqs_queue(args, region, resource_id) -> dict[str, Any]:
    name = _autoname(args)
    return {"name": name, "url": f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/{name}",
            "arn": f"arn:{PARTITION}:sqs:{region}:{ACCOUNT_ID}:{name}"}


def _rds_cluster(args, region, resource_id) -> dict[str, Any]:
    identifier = args.inputs.get("clusterIdentifier") or args.name
    host = f"{identifier}.cluster-{_digest('rds', region, length=12)}.{region}.rds.amazonaws.com"
    outputs = {"clusterIdentifier": identifier, "endpoint": host, "readerEndpoint": host.replace(".cluster-", ".cluster-ro-"),
               "arn": f"arn:{PARTITION}:rds:{region}:{ACCOUNT_ID}:cluster:{identifier}",
               "clusterResourceId": f"cluster-{_digest(identifier, length=26).upper()}"}
    if args.inputs.get("manageMasterUserPassword"):
        outputs["masterUserSecrets"] = [{"secretArn": f"arn:{PARTITION}:secretsmanager:{region}:{ACCOUNT_ID}:secret:"
                                                      f"rds!cluster-{_digest(identifier, length=8)}-AbCdEf",
                                         "kmsKeyId": args.inputs.get("masterUserSecretKmsKeyId", ""),
                                         "secretStatus": "active"}]
    return outputs


def _replication_group(args, region, resource_id) -> dict[str, Any]:
    host = f"{args.name}.{_digest('cache', args.name, length=6)}.{catalog.region_code(region)}.cache.amazonaws.com"
    return {"primaryEndpointAddress": f"master.{host}", "readerEndpointAddress": f"replica.{host}",
            "configurationEndpointAddress": f"clustercfg.{host}", "arn": f"arn:{PARTITION}:elasticache:{region}:"
            f"{ACCOUNT_ID}:replicationgroup:{args.name}"}


def _secret(args, region, resource_id) -> dict[str, Any]:
    name = args.inputs.get("name", args.name)
    return {"arn": f"arn:{PARTITION}:secretsmanager:{region}:{ACCOUNT_ID}:secret:{name}-{_digest(name, length=6)}"}


def _uuid(*parts: str) -> str:
    digest = _digest(*parts, length=32)
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:]}"


def _certificate(args, region, resource_id) -> dict[str, Any]:
    # ACM's validation record depends only on the name (and account), as the real one does.
    names = [args.inputs.get("domainName", ""), *(args.inputs.get("subjectAlternativeNames") or [])]
    options = [{"domainName": name, "resourceRecordName": f"_{_digest('acm', name, length=32)}.{name}.",
                "resourceRecordType": "CNAME",
                "resourceRecordValue": f"_{_digest('acm-value', name, length=32)}.mock.acm-validations.aws."}
               for name in dict.fromkeys(names)]
    return {"arn": f"arn:{PARTITION}:acm:{region}:{ACCOUNT_ID}:certificate/{_uuid(region, args.name)}",
            "domainValidationOptions": options, "status": "PENDING_VALIDATION"}


def _distribution(args, region, resource_id) -> dict[str, Any]:
    distribution_id = f"E{_digest('cloudfront', args.name, length=13).upper()}"
    return {"domainName": f"d{_digest('cf-domain', args.name, length=13)}.cloudfront.net",
            "hostedZoneId": "Z2FDTNDATAQYW2",  # CloudFront's fixed alias zone
            "arn": f"arn:{PARTITION}:cloudfront::{ACCOUNT_ID}:distribution/{distribution_id}",
            "status": "Deployed", "etag": _digest("etag", args.name, length=14).upper()}


def _web_acl(args, region, resource_id) -> dict[str, Any]:
    name = args.inputs.get("name", args.name)
    scope = "global" if args.inputs.get("scope") == "CLOUDFRONT" else "regional"
    return {"arn": f"arn:{PARTITION}:wafv2:{region}:{ACCOUNT_ID}:{scope}/webacl/{name}/{_uuid('waf', name)}",
            "capacity": 1000, "lockToken": _uuid("lock", name)}


def _bucket(args, region, resource_id) -> dict[str, Any]:
    bucket = args.inputs.get("bucket") or f"{args.name}-{_digest(args.name, length=7)}".lower()
    return {"bucket": bucket, "arn": f"arn:{PARTITION}:s3:::{bucket}", "bucketDomainName": f"{bucket}.s3.amazonaws.com",
            "bucketRegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com", "region": region}


def _route53_record(args, region, resource_id) -> dict[str, Any]:
    return {"fqdn": str(args.inputs.get("name", "")).rstrip(".")}


def _hosted_zone(args: dict, region: str) -> dict[str, Any]:
    name = str(args.get("name") or "example.com").rstrip(".")
    zone_id = args.get("zoneId") or f"Z{_digest('zone', name, length=13).upper()}"
    return {"id": zone_id, "zoneId": zone_id, "name": name, "privateZone": False, "comment": "",
            "arn": f"arn:{PARTITION}:route53:::hostedzone/{zone_id}", "callerReference": name,
            "nameServers": [f"ns-{i}.awsdns-{i:02d}.com" for i in range(1, 5)], "primaryNameServer": "ns-1.awsdns-01.com",
            "resourceRecordSetCount": 2, "linkedServiceDescription": "", "linkedServicePrincipal": "", "tags": {}}


def _load_balancer_zone(args: dict, region: str) -> dict[str, Any]:
    # A stand-in per region and type; the real ids are AWS's canonical load balancer zones.
    kind = args.get("loadBalancerType") or "application"
    return {"id": f"Z{_digest('elb', region, kind, length=13).upper()}", "region": region, "loadBalancerType": kind}


def _cloudfront_policy(args: dict, region: str) -> dict[str, Any]:
    name = args.get("name") or ""
    disabled = name == "Managed-CachingDisabled"
    return {"id": args.get("id") or _uuid("cloudfront-policy", name), "name": name, "etag": "E1",
            "arn": f"arn:{PARTITION}:cloudfront::{ACCOUNT_ID}:policy/{name}",
            "minTtl": 0, "defaultTtl": 0 if disabled else 86400, "maxTtl": 0 if disabled else 31536000}


def _sns_topic(args, region, resource_id) -> dict[str, Any]:
    name = _autoname(args)
    return {"name": name, "arn": f"arn:{PARTITION}:sns:{region}:{ACCOUNT_ID}:{name}"}


def _metric_alarm(args, region, resource_id) -> dict[str, Any]:
    name = _autoname(args)
    return {"name": name, "arn": f"arn:{PARTITION}:cloudwatch:{region}:{ACCOUNT_ID}:alarm:{name}"}


def _budget(args, region, resource_id) -> dict[str, Any]:
    name = _autoname(args)
    return {"name": name, "accountId": ACCOUNT_ID, "arn": f"arn:{PARTITION}:budgets::{ACCOUNT_ID}:budget/{name}"}


_COMPUTED: dict[str, Callable[..., dict[str, Any]]] = {
    "aws:rds/cluster:Cluster": _rds_cluster,
    "aws:rds/globalCluster:GlobalCluster": lambda a, r, i: {"arn": f"arn:{PARTITION}:rds::{ACCOUNT_ID}:global-cluster:"
                                                                 f"{a.inputs.get('globalClusterIdentifier', a.name)}"},
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:sqs/queue:Queue": _sqs_queue,
    "aws:eks/cluster:Cluster": _cluster,
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _oidc_provider,
    "aws:kms/key:Key": _kms_key,
    "aws:iam/role:Role": _iam_role,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:ec2/launchTemplate:LaunchTemplate": lambda a, r, i: {"latestVersion": 1, "defaultVersion": 1},
    "aws:ec2/eip:Eip": lambda a, r, i: {"allocationId": i, "publicIp": "198.51.100.10"},
    "aws:ec2/vpc:Vpc": lambda a, r, i: {"defaultSecurityGroupId": f"sg-{_digest('default', i)}",
                                         "mainRouteTableId": f"rtb-{_digest('main', i)}"},
    "aws:acm/certificate:Certificate": _certificate,
    "aws:cloudfront/distribution:Distribution": _distribution,
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:route53/record:Record": _route53_record,
    "aws:route53/healthCheck:HealthCheck": lambda a, r, i: {"arn": f"arn:{PARTITION}:route53:::healthcheck/{i}"},
    "aws:sns/topic:Topic": _sns_topic,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _metric_alarm,
    "aws:budgets/budget:Budget": _budget,
    "aws:cloudwatch/dashboard:Dashboard": lambda a, r, i: {
        "dashboardArn": f"arn:{PARTITION}:cloudwatch::{ACCOUNT_ID}:dashboard/{a.inputs.get('dashboardName', a.name)}"},
}


def _availability_zones(args: dict, region: str) -> dict[str, Any]:
    names = list(catalog.availability_zones(region))
    return {"id": region, "names": names, "zoneIds": [f"{catalog.region_code(region)}-az{i + 1}" for i in range(len(names))],
            "groupNames": [region] * len(names)}


def _addon_version(args: dict, region: str) -> dict[str, Any]:
    # The real answer is EKS's default add-on build for the cluster version, resolved at deploy.
    return {"id": args.get("addonName"), "addonName": args.get("addonName"),
            "kubernetesVersion": args.get("kubernetesVersion"),
            "version": f"v{args.get('kubernetesVersion')}.0-eksbuild.1"}


def _load_balancer(args: dict, region: str) -> dict[str, Any]:
    # Looked up by the tags the load balancer controller puts on the ALBs it creates.
    key = "/".join(f"{k}={v}" for k, v in sorted((args.get("tags") or {}).items())) or str(args.get("name"))
    name = args.get("name") or f"k8s-{_digest('alb-name', key, length=8)}-{_digest('alb', key, length=10)}"
    suffix = f"app/{name}/{_digest('alb-id', key, length=16)}"
    return {"id": f"arn:{PARTITION}:elasticloadbalancing:{region}:{ACCOUNT_ID}:loadbalancer/{suffix}",
            "arn": f"arn:{PARTITION}:elasticloadbalancing:{region}:{ACCOUNT_ID}:loadbalancer/{suffix}",
            "arnSuffix": suffix, "name": name, "loadBalancerType": "application",
            "dnsName": f"{name}-{_digest('alb-dns', key, length=9)}.{region}.elb.amazonaws.com",
            "zoneId": _load_balancer_zone({}, region)["id"], "tags": args.get("tags") or {}}


_INVOKES: dict[str, Callable[[dict, str], dict[str, Any]]] = {
    # A fixed stand-in: the real value is generated at deploy and only ever sent write-only.
    "aws:secretsmanager/getRandomPassword:getRandomPassword": lambda a, r: {
        "id": "random", "randomPassword": "offline-plan-generated-at-deploy-" + "x" * 30},
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
    "aws:index/getCallerIdentity:getCallerIdentity": lambda a, r: {
        "accountId": ACCOUNT_ID, "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:user/offline-plan",
        "userId": "AIDAOFFLINEPLAN", "id": ACCOUNT_ID},
    "aws:index/getPartition:getPartition": lambda a, r: {
        "partition": PARTITION, "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws", "id": PARTITION},
    "aws:index/getRegion:getRegion": lambda a, r: {"name": r, "region": r, "id": r, "endpoint": f"ec2.{r}.amazonaws.com"},
    "aws:eks/getAddonVersion:getAddonVersion": _addon_version,
    "aws:route53/getZone:getZone": _hosted_zone,
    "aws:lb/getHostedZoneId:getHostedZoneId": _load_balancer_zone,
    "aws:cloudfront/getCachePolicy:getCachePolicy": _cloudfront_policy,
    "aws:cloudfront/getOriginRequestPolicy:getOriginRequestPolicy": _cloudfront_policy,
    "aws:lb/getLoadBalancer:getLoadBalancer": _load_balancer,
}
