"""``Placement``: where a data store lives in a cell's network, and who may connect to it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import pulumi


@dataclass(frozen=True)
class Placement:
    vpc_id: pulumi.Input[str]
    # Data subnets, one per AZ: no route to the internet.
    subnet_ids: Sequence[pulumi.Input[str]]
    availability_zones: Sequence[pulumi.Input[str]]
    # Who may connect: the EKS cluster security group (nodes and pods).
    client_security_group_ids: Sequence[pulumi.Input[str]]
