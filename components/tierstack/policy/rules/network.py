"""VPC hygiene and security groups."""

from __future__ import annotations

from tierstack.policy.model import Severity, rule, stack_rule
from tierstack.policy.props import UNDECIDED, get, items, known, tags, truthy
from tierstack.policy.rules.links import uncovered

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SUBNET = "aws:ec2/subnet:Subnet"
VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
WORLD = ("0.0.0.0/0", "::/0")
PUBLIC_LB_TAG = "tierstack.io/public-load-balancer"
PUBLIC_LB_PORTS = (80, 443)


def _ingress_entries(resource):
    """(fromPort, toPort, protocol, world-open?) for each ingress a resource grants."""
    props = resource.props
    if resource.type == SECURITY_GROUP:
        for entry in items(props, "ingress"):
            world = any(c in WORLD for c in [*items(entry, "cidrBlocks"), *items(entry, "ipv6CidrBlocks")])
            yield get(entry, "fromPort", 0), get(entry, "toPort", 65535), str(get(entry, "protocol", "-1")), world
    elif resource.type == SECURITY_GROUP_RULE and get(props, "type") == "ingress":
        world = any(c in WORLD for c in [*items(props, "cidrBlocks"), *items(props, "ipv6CidrBlocks")])
        yield get(props, "fromPort", 0), get(props, "toPort", 65535), str(get(props, "protocol", "-1")), world
    elif resource.type == INGRESS_RULE:
        world = get(props, "cidrIpv4") in WORLD or get(props, "cidrIpv6") in WORLD
        yield get(props, "fromPort", 0), get(props, "toPort", 65535), str(get(props, "ipProtocol", "-1")), world


def _covers(low, high, protocol, port) -> bool:
    if protocol in ("-1", "all"):
        return True
    return int(low) <= port <= int(high)


@rule("sg-no-world-ingress",
      "No security group admits the internet, except a public load balancer's 80/443.",
      Severity.CRITICAL,
      "Replace 0.0.0.0/0 or ::/0 with the security group or CIDR of the real caller. Only a load balancer "
      f"security group tagged {PUBLIC_LB_TAG}=true may admit the internet, and only on 80 and 443.",
      SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE)
def sg_no_world_ingress(resource, context):
    public_lb = str(tags(resource.props).get(PUBLIC_LB_TAG, "")).lower() == "true"
    for low, high, protocol, world in _ingress_entries(resource):
        if not world:
            continue
        if public_lb and protocol == "tcp" and int(low) == int(high) and int(low) in PUBLIC_LB_PORTS:
            continue
        yield f"ingress {protocol} {low}-{high} is open to the internet"


@rule("sg-no-open-ssh",
      "SSH (22) and RDP (3389) are never reachable from the internet.",
      Severity.CRITICAL,
      "Remove the world-open rule for port 22/3389; reach nodes through SSM Session Manager instead.",
      SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE)
def sg_no_open_ssh(resource, context):
    for low, high, protocol, world in _ingress_entries(resource):
        for port in (22, 3389):
            if world and _covers(low, high, protocol, port):
                yield f"port {port} is reachable from the internet"


@rule("vpc-default-security-group-closed",
      "The VPC's default security group has no rules, so nothing can fall back onto it.",
      Severity.MEDIUM,
      "Manage the default security group with empty ingress and egress (tierstack's Network does this).",
      DEFAULT_SECURITY_GROUP)
def vpc_default_security_group_closed(resource, context):
    if list(items(resource.props, "ingress")) or list(items(resource.props, "egress")):
        yield "the default security group still has rules"


@rule("vpc-subnets-no-public-ip-on-launch",
      "Subnets do not hand out public IPs automatically; only load balancers and NAT face the internet.",
      Severity.MEDIUM,
      "Set mapPublicIpOnLaunch to false.",
      SUBNET)
def vpc_subnets_no_public_ip(resource, context):
    if truthy(get(resource.props, "mapPublicIpOnLaunch", False)):
        yield "mapPublicIpOnLaunch is true"


@stack_rule("vpc-flow-logs-enabled",
            "Every VPC records flow logs: a flow log capturing ALL traffic whose vpcId is the VPC's id, "
            "wherever it is declared (or, while ids are unknown, one in the component that owns the VPC).",
            Severity.HIGH,
            "Add an aws.ec2.FlowLog with trafficType ALL and vpcId set to the VPC's id "
            "(tierstack's Network creates one).")
def vpc_flow_logs_enabled(resources, context):
    # The flow log's vpcId is the VPC's id: compared where both are known (the offline plan);
    # in preview the id is unknown and the owning component (parent) decides instead.
    def captures_all(flow_log):
        return known(flow_log.props, "trafficType") in ("ALL", UNDECIDED)
    for vpc, _, _ in uncovered(resources, (VPC,), (FLOW_LOG,), "vpcId", ("id",), qualifies=captures_all):
        yield vpc, "no flow log capturing ALL traffic was found for this VPC"
