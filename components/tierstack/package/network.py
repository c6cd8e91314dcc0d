"""``Network`` for other languages: the tier's VPC, subnets, NAT, flow logs and endpoints in one region."""

from typing import Any, Optional

import pulumi
from typing_extensions import NotRequired, TypedDict

from tierstack.config.tiers import Tier
from tierstack.network import Network as BuiltNetwork
from tierstack.network import NetworkArgs as BuiltNetworkArgs
from tierstack.package.base import PackageComponent, all_of, same_as
from tierstack.package.settings import component_settings


class NetworkArgs(TypedDict):
    tier: Tier
    """The scale tier whose preset sizes this component: pilot, growth, scale, enterprise or hyperscale."""
    overrides: NotRequired[dict[str, Any]]
    """Network settings that differ from the tier's preset, in camelCase as under tierstack:overrides.network in a stack file (docs/configuration.md), e.g. {"azCount": 2}; checked as a stack file's are."""
    region: str
    """The region the VPC is created in (its provider's); picks the AZs and endpoint names."""
    log_kms_key_arn: NotRequired[pulumi.Input[str]]
    """A KMS key for the flow-log group; without one the group is encrypted with the service key."""
    cluster_name: NotRequired[str]
    """Tag subnets for a cluster's load balancers and node discovery."""
    instance_types: NotRequired[list[str]]
    """The node groups' instance types: every chosen AZ must offer all of them."""
    protect: NotRequired[bool]
    """Production stacks: keep the flow-log group (audit evidence) from being deleted."""
    tags: NotRequired[dict[str, str]]
    """Tags added to every AWS resource the component creates."""


class Network(PackageComponent):
    """A VPC with public, private and data subnets per availability zone (chosen by zone ID), NAT, flow logs and the VPC endpoints a private EKS cluster needs, sized by a tier."""

    vpc_id: pulumi.Output[str]
    """The VPC's id."""
    public_subnet_ids: pulumi.Output[list[str]]
    """The public subnets (load balancers, NAT), one per zone."""
    private_subnet_ids: pulumi.Output[list[str]]
    """The private subnets (nodes and pods), one per zone: a KubernetesCluster's subnetIds."""
    data_subnet_ids: pulumi.Output[list[str]]
    """The data subnets (caches, databases; no route to the internet), one per zone: a Placement's subnetIds."""
    availability_zones: pulumi.Output[list[str]]
    """The subnets' zones, in the same order as each list of subnet ids: a Placement's availabilityZones."""
    public_subnet_cidrs: pulumi.Output[list[str]]
    """The public subnets' blocks: AgentServices' loadBalancerCidrs."""

    def __init__(self, name: str, args: NetworkArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, opts)
        region = args["region"]
        built = BuiltNetwork(name, BuiltNetworkArgs(
            settings=component_settings(args["tier"], "network", args.get("overrides"), name=name, region=region),
            region=region,
            log_kms_key_arn=args.get("log_kms_key_arn"),
            cluster_name=args.get("cluster_name"),
            instance_types=tuple(args.get("instance_types") or ()),
            protect=bool(args.get("protect", False)),
        ), opts=self._inner(args.get("tags")))
        self.vpc_id = built.vpc_id
        self.public_subnet_ids = all_of(built.public_subnet_ids)
        self.private_subnet_ids = all_of(built.private_subnet_ids)
        self.data_subnet_ids = all_of(built.data_subnet_ids)
        self.availability_zones = all_of(built.availability_zones)
        self.public_subnet_cidrs = pulumi.Output.from_input(list(built.public_subnet_cidrs))
        self._publish()


DESCRIBED_BY = same_as(NetworkArgs, BuiltNetworkArgs, "region", "cluster_name", "instance_types", "protect")
