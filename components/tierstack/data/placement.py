"""``Placement``: where a data store lives in a cell's network, and who may connect to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import pulumi
import pulumi_aws as aws

from tierstack.documented import documented


@documented
@dataclass(frozen=True)
class Placement:
    # The existing VPC the data tier runs in.
    vpc_id: pulumi.Input[str]
    # Data subnets, one per AZ: no route to the internet.
    subnet_ids: Sequence[pulumi.Input[str]]
    # The subnets' AZs, in the same order as subnet_ids.
    availability_zones: Sequence[pulumi.Input[str]]
    # Who may connect: the EKS cluster security group (nodes and pods).
    client_security_group_ids: Sequence[pulumi.Input[str]]


def admit_clients(name: str, group: aws.ec2.SecurityGroup, port: int, placement: Placement,
                  parent: pulumi.Resource) -> list[aws.vpc.SecurityGroupIngressRule]:
    """One ingress rule per client group, as resources of their own.

    Separate from the group (which carries no inline rules) so the store waits only for the empty
    group: the client group is usually the EKS cluster's, and inline rules would hold the cache
    and the databases back until the ten-minute control plane exists.
    """
    return [
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-clients-{index}", security_group_id=group.id, referenced_security_group_id=client,
            ip_protocol="tcp", from_port=port, to_port=port, description="cluster nodes and pods",
            opts=pulumi.ResourceOptions(parent=parent))
        for index, client in enumerate(placement.client_security_group_ids)
    ]
