from tierstack.policy.rules.network import (
    DEFAULT_SECURITY_GROUP, FLOW_LOG, INGRESS_RULE, PUBLIC_LB_TAG, SECURITY_GROUP, SECURITY_GROUP_RULE, SUBNET, VPC,
)

from .fixtures import UNKNOWN_STRING_VALUE, Case, R, RuleFixtures
from tierstack.policy.model import Resource


def sg(ingress, tags=None):
    return R(SECURITY_GROUP, {"ingress": ingress, "tags": tags or {}})


HTTPS_WORLD = {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}
FROM_VPC = {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.0.0.0/16"]}

FIXTURES = {
    "sg-no-world-ingress": RuleFixtures(
        compliant=[Case([sg([FROM_VPC])]), Case([sg([HTTPS_WORLD], {PUBLIC_LB_TAG: "true"})], label="public LB on 443"),
                   Case([R(SECURITY_GROUP_RULE, {"type": "egress", "fromPort": 0, "toPort": 0, "protocol": "-1",
                                                 "cidrBlocks": ["0.0.0.0/0"]})], label="egress is not ingress")],
        violating=[Case([sg([HTTPS_WORLD])], expect="open to the internet"),
                   Case([sg([{**HTTPS_WORLD, "fromPort": 8080, "toPort": 8080}], {PUBLIC_LB_TAG: "true"})], expect="8080"),
                   Case([R(INGRESS_RULE, {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432})],
                        expect="5432")],
        unknown=[Case([sg([{**FROM_VPC, "cidrBlocks": [], "securityGroups": [UNKNOWN_STRING_VALUE]}])])],
    ),
    "sg-no-open-ssh": RuleFixtures(
        compliant=[Case([sg([{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["10.0.0.0/8"]}])])],
        violating=[Case([sg([{"protocol": "tcp", "fromPort": 0, "toPort": 1024, "cidrBlocks": ["0.0.0.0/0"]}])], expect="port 22"),
                   Case([R(SECURITY_GROUP_RULE, {"type": "ingress", "protocol": "-1", "fromPort": 0, "toPort": 0,
                                                 "ipv6CidrBlocks": ["::/0"]})], expect="3389")],
        unknown=[Case([R(SECURITY_GROUP_RULE, {"type": "ingress", "protocol": "tcp", "fromPort": 22, "toPort": 22,
                                               "sourceSecurityGroupId": UNKNOWN_STRING_VALUE})])],
    ),
    "vpc-default-security-group-closed": RuleFixtures(
        compliant=[Case([R(DEFAULT_SECURITY_GROUP, {"vpcId": "vpc-1", "ingress": [], "egress": []})])],
        violating=[Case([R(DEFAULT_SECURITY_GROUP, {"egress": [{"protocol": "-1", "cidrBlocks": ["0.0.0.0/0"]}]})],
                        expect="still has rules")],
        unknown=[Case([R(DEFAULT_SECURITY_GROUP, {"vpcId": UNKNOWN_STRING_VALUE, "ingress": [], "egress": []})])],
    ),
    "vpc-subnets-no-public-ip-on-launch": RuleFixtures(
        compliant=[Case([R(SUBNET, {"mapPublicIpOnLaunch": False, "cidrBlock": "10.0.0.0/24"})])],
        violating=[Case([R(SUBNET, {"mapPublicIpOnLaunch": True})], expect="mapPublicIpOnLaunch")],
        unknown=[Case([R(SUBNET, {"availabilityZone": UNKNOWN_STRING_VALUE})])],
    ),
    "vpc-flow-logs-enabled": RuleFixtures(
        compliant=[Case([R(VPC, {}, "net-vpc", parent="urn:net"),
                         R(FLOW_LOG, {"trafficType": "ALL", "vpcId": UNKNOWN_STRING_VALUE}, "net-flow-log", parent="urn:net")])],
        violating=[Case([R(VPC, {}, "net-vpc", parent="urn:net")], expect="no flow log"),
                   Case([R(VPC, {}, "a-vpc", parent="urn:a"), R(FLOW_LOG, {"trafficType": "ALL"}, parent="urn:b")],
                        expect="no flow log", label="flow log of another network"),
                   Case([R(VPC, {}, parent="urn:a"), R(FLOW_LOG, {"trafficType": "REJECT"}, parent="urn:a")],
                        expect="ALL traffic")],
        unknown=[Case([R(VPC, {"cidrBlock": UNKNOWN_STRING_VALUE}, parent="urn:n"),
                       R(FLOW_LOG, {"trafficType": "ALL", "logDestination": UNKNOWN_STRING_VALUE}, parent="urn:n")])],
    ),
}

# Foreign wiring: a flow log attached from another component, by the VPC's id (offline plan ids).
FIXTURES["vpc-flow-logs-enabled"].compliant.append(
    Case([Resource(VPC, "core-vpc", {"cidrBlock": "10.0.0.0/16"}, "urn:vpc", parent="urn:network-team", id="vpc-0abc"),
          R(FLOW_LOG, {"trafficType": "ALL", "vpcId": "vpc-0abc"}, "audit-fl", parent="urn:audit-team")],
         label="flow log wired by vpcId from another component"))
FIXTURES["vpc-flow-logs-enabled"].violating.append(
    Case([Resource(VPC, "core-vpc", {}, "urn:vpc", parent="urn:net", id="vpc-0abc"),
          R(FLOW_LOG, {"trafficType": "ALL", "vpcId": "vpc-0other"}, "fl", parent="urn:net")],
         expect="no flow log", label="flow log of a VPC outside the stack, same component"))
FIXTURES["vpc-flow-logs-enabled"].unknown.append(
    Case([R(VPC, {}, "core-vpc", parent="urn:network-team"),
          R(FLOW_LOG, {"trafficType": "ALL", "vpcId": "vpc-0abc"}, "fl", parent="urn:audit-team")]))
