"""``Network``: the VPC a regional cell runs in.

Three subnet tiers per AZ (public for load balancers and NAT, private for nodes and pods,
data for caches and databases with no internet route), NAT per AZ or one shared, VPC flow
logs to an encrypted log group, a locked-down default security group, and the VPC endpoints
a private EKS cluster needs to pull images and call AWS without crossing the NAT.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

import pulumi
import pulumi_aws as aws

from tierstack.aws import policies
from tierstack.aws.context import aws_context
from tierstack.config.model import NetworkSettings
from tierstack.documented import documented
from tierstack.sizing.subnets import plan_subnets


@documented
@dataclass(frozen=True)
class NetworkArgs:
    # The network's settings (AZ count, VPC block, NAT, endpoints, flow logs).
    settings: NetworkSettings
    # The region the VPC is created in (its provider's); picks the AZs and endpoint names.
    region: str
    # The VPC block for this network; defaults to settings.vpc_cidr (cells offset it per region).
    vpc_cidr: Optional[str] = None
    # Key for the flow-log group; None leaves the group encrypted with the service key.
    log_kms_key_arn: Optional[pulumi.Input[str]] = None
    # Tag subnets for a cluster's load balancers and node discovery.
    cluster_name: Optional[str] = None
    # The node groups' instance types: every chosen AZ must offer all of them.
    instance_types: Sequence[str] = ()
    # Production stacks: keep the flow-log group (audit evidence) from being deleted.
    protect: bool = False


def choose_zones(zones: Sequence[tuple[str, str]], offered: Mapping[str, set[str]], instance_types: Sequence[str],
                 count: int, region: str) -> list[tuple[str, str]]:
    """The first ``count`` AZs, by zone ID, that offer every instance type: (zone id, zone name).

    By zone ID because an AZ name maps to a different physical zone in every account, and some
    zone IDs lack current instance families (use1-az3, for one), where a node group would sit
    with an empty subnet and the autoscaler could never place a node.
    """
    wanted = set(instance_types)
    usable = sorted((zone_id, name) for zone_id, name in zones if wanted <= offered.get(zone_id, set()))
    if len(usable) < count:
        missing = {zone_id: ", ".join(sorted(wanted - offered.get(zone_id, set()))) for zone_id, _ in zones
                   if not wanted <= offered.get(zone_id, set())}
        raise ValueError(
            f"{region} has {len(usable)} availability zones that offer every node instance type "
            f"({', '.join(sorted(wanted))}), but network.azCount is {count}; zones lacking some: "
            f"{'; '.join(f'{zone} lacks {types}' for zone, types in sorted(missing.items()))}. "
            "Fix: lower network.azCount, or choose instance types every zone offers.")
    return usable[:count]


def zone_choice(parent: pulumi.Resource, count: int, instance_types: Sequence[str],
                region: str) -> pulumi.Output[list[tuple[str, str]]]:
    """Ask AWS, at deploy, which zones exist and which offer the instance types; choose from that."""
    opts = pulumi.InvokeOutputOptions(parent=parent)
    zones = aws.get_availability_zones_output(
        state="available",
        filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])],
        opts=opts,
    )
    if not instance_types:
        return zones.apply(lambda z: choose_zones(list(zip(z.zone_ids, z.names)), {}, [], count, region))
    offerings = aws.ec2.get_instance_type_offerings_output(
        location_type="availability-zone-id",
        filters=[aws.ec2.GetInstanceTypeOfferingsFilterArgs(name="instance-type", values=sorted(set(instance_types)))],
        opts=opts,
    )

    def choose(args) -> list[tuple[str, str]]:
        available, offers = args
        offered: dict[str, set[str]] = {}
        for location, instance_type in zip(offers.locations, offers.instance_types):
            offered.setdefault(location, set()).add(instance_type)
        return choose_zones(list(zip(available.zone_ids, available.names)), offered, instance_types, count, region)

    return pulumi.Output.all(zones, offerings).apply(choose)


class Network(pulumi.ComponentResource):
    """A VPC with public, private and data subnets per AZ (chosen by zone ID), NAT, flow logs and VPC endpoints. See NetworkArgs."""

    vpc: aws.ec2.Vpc
    vpc_id: pulumi.Output[str]
    public_subnets: list[aws.ec2.Subnet]
    private_subnets: list[aws.ec2.Subnet]
    data_subnets: list[aws.ec2.Subnet]
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    data_subnet_ids: list[pulumi.Output[str]]
    availability_zones: list[pulumi.Output[str]]
    zone_ids: list[pulumi.Output[str]]
    nat_gateways: list[aws.ec2.NatGateway]

    def __init__(self, name: str, args: NetworkArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("tierstack:network:Network", name, None, opts)
        settings = args.settings
        cidr = args.vpc_cidr or str(settings.vpc_cidr)
        layout = plan_subnets(cidr, settings.az_count)
        child = pulumi.ResourceOptions(parent=self)

        def named(suffix: str, extra: Optional[Mapping[str, str]] = None) -> dict[str, str]:
            return {"Name": f"{name}-{suffix}", **(extra or {})}

        zones = zone_choice(self, settings.az_count, args.instance_types, args.region)
        self.zone_ids = [zones.apply(lambda chosen, i=i: chosen[i][0]) for i in range(settings.az_count)]

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,  # required for private endpoint DNS and EKS node registration
            tags=named("vpc"),
            opts=child,
        )
        self.vpc_id = self.vpc.id
        vpc_child = pulumi.ResourceOptions(parent=self, depends_on=[self.vpc])

        # Nothing may use the default security group: strip its rules (CIS AWS 5.4).
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=self.vpc.id, ingress=[], egress=[],
                                     tags=named("default-sg-locked"), opts=child)

        internet_gateway = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=self.vpc.id, tags=named("igw"), opts=child)

        elb_tags = {"kubernetes.io/role/elb": "1"}
        internal_elb_tags = {"kubernetes.io/role/internal-elb": "1"}
        if args.cluster_name:
            elb_tags[f"kubernetes.io/cluster/{args.cluster_name}"] = "shared"
            internal_elb_tags[f"kubernetes.io/cluster/{args.cluster_name}"] = "shared"

        # A subnet keeps the zone it was created in: the choice is remade at every deploy from
        # today's offerings, and a zone that starts offering the node types would otherwise shift
        # every later index to another zone and replace those subnets (and what sits in them).
        placed = pulumi.ResourceOptions(parent=self, ignore_changes=["availabilityZoneId"])
        public, private, data = [], [], []
        for index, zone in enumerate(self.zone_ids):
            public.append(aws.ec2.Subnet(
                f"{name}-public-{index}", vpc_id=self.vpc.id, cidr_block=layout.public[index],
                availability_zone_id=zone, map_public_ip_on_launch=False,
                tags=named(f"public-{index}", {**elb_tags, "tierstack.io/subnet-tier": "public"}), opts=placed,
            ))
            private.append(aws.ec2.Subnet(
                f"{name}-private-{index}", vpc_id=self.vpc.id, cidr_block=layout.private[index],
                availability_zone_id=zone,
                tags=named(f"private-{index}", {**internal_elb_tags, "tierstack.io/subnet-tier": "private"}), opts=placed,
            ))
            data.append(aws.ec2.Subnet(
                f"{name}-data-{index}", vpc_id=self.vpc.id, cidr_block=layout.data[index],
                availability_zone_id=zone, tags=named(f"data-{index}", {"tierstack.io/subnet-tier": "data"}), opts=placed,
            ))
        self.public_subnets, self.private_subnets, self.data_subnets = public, private, data
        # The zones the subnets were created in, not today's choice: see the subnets' ignore_changes.
        self.availability_zones = [subnet.availability_zone for subnet in data]
        # Known at plan time (unlike ids), so NetworkPolicies can admit the load balancer's nodes.
        self.public_subnet_cidrs: list[str] = list(layout.public)
        self.public_subnet_ids = [s.id for s in public]
        self.private_subnet_ids = [s.id for s in private]
        self.data_subnet_ids = [s.id for s in data]

        public_routes = aws.ec2.RouteTable(f"{name}-public-rt", vpc_id=self.vpc.id, tags=named("public-rt"), opts=child)
        aws.ec2.Route(f"{name}-public-default", route_table_id=public_routes.id, destination_cidr_block="0.0.0.0/0",
                      gateway_id=internet_gateway.id, opts=child)
        for index, subnet in enumerate(public):
            aws.ec2.RouteTableAssociation(f"{name}-public-rta-{index}", subnet_id=subnet.id,
                                          route_table_id=public_routes.id, opts=child)

        # One NAT per AZ keeps each AZ's egress inside that AZ; "single" trades that for cost.
        nat_count = settings.az_count if settings.nat_gateways == "perAz" else 1
        self.nat_gateways = []
        for index in range(nat_count):
            address = aws.ec2.Eip(f"{name}-nat-eip-{index}", domain="vpc", tags=named(f"nat-eip-{index}"),
                                  opts=pulumi.ResourceOptions(parent=self, depends_on=[internet_gateway]))
            self.nat_gateways.append(aws.ec2.NatGateway(
                f"{name}-nat-{index}", allocation_id=address.allocation_id, subnet_id=public[index].id,
                connectivity_type="public", tags=named(f"nat-{index}"),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[internet_gateway]),
            ))

        private_route_tables = []
        for index, subnet in enumerate(private):
            table = aws.ec2.RouteTable(f"{name}-private-rt-{index}", vpc_id=self.vpc.id,
                                       tags=named(f"private-rt-{index}"), opts=child)
            nat = self.nat_gateways[index if nat_count > 1 else 0]
            aws.ec2.Route(f"{name}-private-default-{index}", route_table_id=table.id,
                          destination_cidr_block="0.0.0.0/0", nat_gateway_id=nat.id, opts=child)
            aws.ec2.RouteTableAssociation(f"{name}-private-rta-{index}", subnet_id=subnet.id,
                                          route_table_id=table.id, opts=child)
            private_route_tables.append(table)

        # Data subnets get a route table with only the local route: no path to the internet.
        data_routes = aws.ec2.RouteTable(f"{name}-data-rt", vpc_id=self.vpc.id, tags=named("data-rt"), opts=child)
        for index, subnet in enumerate(data):
            aws.ec2.RouteTableAssociation(f"{name}-data-rta-{index}", subnet_id=subnet.id,
                                          route_table_id=data_routes.id, opts=child)

        self.private_route_table_ids = [t.id for t in private_route_tables]
        self._flow_logs(name, settings, args, named, vpc_child)
        self._endpoints(name, settings, args.region, private, private_route_tables + [data_routes], named, child)

        self.register_outputs({
            "vpc_id": self.vpc_id,
            "public_subnet_ids": self.public_subnet_ids,
            "private_subnet_ids": self.private_subnet_ids,
            "data_subnet_ids": self.data_subnet_ids,
        })

    def _flow_logs(self, name, settings: NetworkSettings, args: NetworkArgs, named, opts) -> None:
        context = aws_context(self)
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/tierstack/vpc/{name}/flow-logs",
            retention_in_days=settings.flow_log_retention_days,
            kms_key_id=args.log_kms_key_arn,
            tags=named("flow-logs"),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        trust = pulumi.Output.all(context.account_id, context.partition).apply(lambda ids: json.dumps(
            policies.service_trust(
                "vpc-flow-logs.amazonaws.com",
                condition={
                    "StringEquals": {"aws:SourceAccount": ids[0]},
                    "ArnLike": {"aws:SourceArn": f"arn:{ids[1]}:ec2:{args.region}:{ids[0]}:vpc-flow-log/*"},
                },
            )
        ))
        role = aws.iam.Role(f"{name}-flow-logs-role", assume_role_policy=trust, tags=named("flow-logs-role"), opts=opts)
        delivery = aws.iam.RolePolicy(
            f"{name}-flow-logs-delivery", role=role.id,
            policy=log_group.arn.apply(lambda arn: json.dumps(policies.flow_log_delivery(arn))), opts=opts,
        )
        self.flow_log = aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags=named("flow-log"),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[delivery]),
        )
        self.flow_log_group = log_group

    def _endpoints(self, name, settings: NetworkSettings, region: str, private_subnets, route_tables, named, opts) -> None:
        # The S3 gateway endpoint is free and carries ECR image layers, so every tier has it.
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[t.id for t in route_tables],
            tags=named("s3-endpoint"),
            opts=opts,
        )
        if not settings.interface_endpoints:
            self.endpoint_security_group = None
            return
        self.endpoint_security_group = aws.ec2.SecurityGroup(
            f"{name}-endpoints-sg",
            vpc_id=self.vpc.id,
            description="HTTPS from inside the VPC to the AWS interface endpoints",
            ingress=[aws.ec2.SecurityGroupIngressArgs(
                protocol="tcp", from_port=443, to_port=443, cidr_blocks=[self.vpc.cidr_block],
                description="AWS API calls from the VPC",
            )],
            egress=[],
            tags=named("endpoints-sg"),
            opts=opts,
        )
        for service in settings.interface_endpoints:
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[s.id for s in private_subnets],
                security_group_ids=[self.endpoint_security_group.id],
                tags=named(f"{service}-endpoint"),
                opts=opts,
            )
