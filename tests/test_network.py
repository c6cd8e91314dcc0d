"""Network under mocks: subnets per AZ, NAT layout per tier, routes, flow logs, endpoints."""

import pulumi
import pytest

from tierstack.config import NetworkSettings, build_stack_config
from tierstack.network import Network, NetworkArgs

from conftest import children_of, install_mocks, record


def _network(tier: str, **overrides) -> Network:
    settings = build_stack_config({"tier": tier, "overrides": {"network": overrides}}, stack="test").network
    return Network("net", NetworkArgs(settings=settings, region="us-east-1", cluster_name="c1",
                                      log_kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/k"))


@pytest.fixture(autouse=True)
def mocks():
    return install_mocks()


@pulumi.runtime.test
def test_each_tier_subnet_sits_in_its_own_az():
    network = _network("growth")

    def check(args):
        zones, public, private, data = args[:3], args[3:6], args[6:9], args[9:12]
        assert len(set(zones)) == 3
        assert public == private == data == zones  # index i of every tier is AZ i

    return pulumi.Output.all(
        *network.availability_zones,
        *[s.availability_zone for s in network.public_subnets],
        *[s.availability_zone for s in network.private_subnets],
        *[s.availability_zone for s in network.data_subnets],
    ).apply(check)


@pulumi.runtime.test
def test_production_tier_has_a_nat_gateway_in_every_az():
    network = _network("scale")
    assert len(network.nat_gateways) == 3

    def check(args):
        nat_subnets, public_ids = args[:3], args[3:]
        assert nat_subnets == public_ids  # NAT i lives in public subnet i

    return pulumi.Output.all(*[n.subnet_id for n in network.nat_gateways], *network.public_subnet_ids).apply(check)


@pulumi.runtime.test
def test_subnets_never_hand_out_public_ips():
    network = _network("pilot")

    def check(flags):
        assert flags and not any(flags)

    return pulumi.Output.all(*[s.map_public_ip_on_launch for s in network.public_subnets]).apply(check)


def test_private_routes_use_the_nat_in_their_own_az():
    resources = record(lambda: _network("enterprise"))
    nat_by_id = {r.id: r for r in children_of(resources, "aws:ec2/natGateway:NatGateway")}
    subnet_by_id = {r.id: r for r in children_of(resources, "aws:ec2/subnet:Subnet")}
    table_for_subnet = {a.inputs["subnetId"]: a.inputs["routeTableId"]
                        for a in children_of(resources, "aws:ec2/routeTableAssociation:RouteTableAssociation")}
    routes = {r.inputs["routeTableId"]: r for r in children_of(resources, "aws:ec2/route:Route")}
    private = [s for s in subnet_by_id.values() if s.inputs["tags"]["tierstack.io/subnet-tier"] == "private"]
    assert len(private) == 3 and len(nat_by_id) == 3
    for subnet in private:
        route = routes[table_for_subnet[subnet.id]]
        assert route.inputs["destinationCidrBlock"] == "0.0.0.0/0"
        nat_subnet = subnet_by_id[nat_by_id[route.inputs["natGatewayId"]].inputs["subnetId"]]
        assert nat_subnet.inputs["availabilityZoneId"] == subnet.inputs["availabilityZoneId"]


def test_pilot_shares_one_nat_and_data_subnets_have_no_internet_route():
    resources = record(lambda: _network("pilot"))
    nats = children_of(resources, "aws:ec2/natGateway:NatGateway")
    assert len(nats) == 1
    private_routes = [r for r in children_of(resources, "aws:ec2/route:Route") if "natGatewayId" in r.inputs]
    assert len(private_routes) == 2 and {r.inputs["natGatewayId"] for r in private_routes} == {nats[0].id}
    data_table = next(r for r in children_of(resources, "aws:ec2/routeTable:RouteTable") if r.name == "net-data-rt")
    assert not [r for r in children_of(resources, "aws:ec2/route:Route") if r.inputs["routeTableId"] == data_table.id]


def test_flow_logs_capture_all_traffic_into_an_encrypted_group():
    resources = record(lambda: _network("growth", flowLogRetentionDays=365))
    (flow_log,) = children_of(resources, "aws:ec2/flowLog:FlowLog")
    (group,) = children_of(resources, "aws:cloudwatch/logGroup:LogGroup")
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["logDestination"].endswith(group.inputs["name"])
    assert group.inputs["retentionInDays"] == 365 and group.inputs["kmsKeyId"].startswith("arn:aws:kms:")
    role = next(r for r in children_of(resources, "aws:iam/role:Role") if r.name == "net-flow-logs-role")
    assert '"vpc-flow-logs.amazonaws.com"' in role.inputs["assumeRolePolicy"]


def test_endpoints_follow_the_tier():
    growth = record(lambda: _network("growth"))
    endpoints = {r.inputs["serviceName"]: r for r in children_of(growth, "aws:ec2/vpcEndpoint:VpcEndpoint")}
    assert endpoints["com.amazonaws.us-east-1.s3"].inputs["vpcEndpointType"] == "Gateway"
    for service in ("ecr.api", "ecr.dkr", "sts", "logs", "ec2", "elasticloadbalancing", "autoscaling"):
        endpoint = endpoints[f"com.amazonaws.us-east-1.{service}"]
        assert endpoint.inputs["privateDnsEnabled"] is True and len(endpoint.inputs["subnetIds"]) == 3
    pilot = record(lambda: _network("pilot"))
    assert [r.inputs["vpcEndpointType"] for r in children_of(pilot, "aws:ec2/vpcEndpoint:VpcEndpoint")] == ["Gateway"]


def test_default_security_group_is_stripped_and_subnets_tagged_for_load_balancers():
    resources = record(lambda: _network("growth"))
    (default_sg,) = children_of(resources, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert default_sg.inputs.get("ingress", []) == [] and default_sg.inputs.get("egress", []) == []
    tags = [s.inputs["tags"] for s in children_of(resources, "aws:ec2/subnet:Subnet")]
    assert sum("kubernetes.io/role/elb" in t for t in tags) == 3
    assert sum("kubernetes.io/role/internal-elb" in t for t in tags) == 3


def test_network_settings_defaults_are_usable_without_a_stack():
    """Importers can build a Network from NetworkSettings alone."""
    resources = record(lambda: Network("solo", NetworkArgs(settings=NetworkSettings(), region="eu-west-1")))
    assert len(children_of(resources, "aws:ec2/natGateway:NatGateway")) == 3
    (vpc,) = children_of(resources, "aws:ec2/vpc:Vpc")
    assert vpc.inputs["cidrBlock"] == "10.0.0.0/16" and vpc.inputs["enableDnsHostnames"] is True


def test_subnets_keep_the_zone_they_were_created_in():
    # The zone choice is remade from today's instance offerings at every deploy; a zone that
    # starts offering the node types must not move existing subnets (a replacement).
    resources = record(lambda: _network("growth"))
    subnets = children_of(resources, "aws:ec2/subnet:Subnet")
    assert len(subnets) == 9 and all(s.ignore_changes == ["availabilityZoneId"] for s in subnets)
