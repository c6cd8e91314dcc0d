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
        if args.typ.startswith("aws:"):
            outputs.setdefault("name", f"{args.name}-{_digest(args.name, length=7)}")
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
            raise NotImplementedError(
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
    name = args.inputs.get("name") or f"{args.name}-{_digest(args.name, length=7)}"
    return {"name": name, "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role/{name}", "uniqueId": f"AROA{_digest(name, length=16).upper()}"}


def _log_group(args, region, resource_id) -> dict[str, Any]:
    name = args.inputs.get("name", args.name)
    return {"arn": f"arn:{PARTITION}:logs:{region}:{ACCOUNT_ID}:log-group:{name}"}


def _sqs_queue(args, region, resource_id) -> dict[str, Any]:
    name = args.inputs.get("name") or f"{args.name}-{_digest(args.name, length=7)}"
    return {"name": name, "url": f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/{name}",
            "arn": f"arn:{PARTITION}:sqs:{region}:{ACCOUNT_ID}:{name}"}


_COMPUTED: dict[str, Callable[..., dict[str, Any]]] = {
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


_INVOKES: dict[str, Callable[[dict, str], dict[str, Any]]] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
    "aws:index/getCallerIdentity:getCallerIdentity": lambda a, r: {
        "accountId": ACCOUNT_ID, "arn": f"arn:{PARTITION}:iam::{ACCOUNT_ID}:user/offline-plan",
        "userId": "AIDAOFFLINEPLAN", "id": ACCOUNT_ID},
    "aws:index/getPartition:getPartition": lambda a, r: {
        "partition": PARTITION, "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws", "id": PARTITION},
    "aws:index/getRegion:getRegion": lambda a, r: {"name": r, "region": r, "id": r, "endpoint": f"ec2.{r}.amazonaws.com"},
    "aws:eks/getAddonVersion:getAddonVersion": _addon_version,
}
