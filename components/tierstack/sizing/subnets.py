"""Subnet layout: how a VPC block is carved into per-AZ public, private and data subnets.

The VPC splits into eight equal blocks. Blocks 0-5 are the private subnets, one per AZ: they
hold nodes and, with the VPC CNI, every pod IP, so they get most of the space (a /19 each in a
/16). Block 6 is cut eight ways for the public subnets (load balancers and NAT gateways only),
block 7 eight ways for the data subnets (caches and databases, no route to the internet).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

MAX_AZS = 6


@dataclass(frozen=True)
class SubnetLayout:
    public: tuple[str, ...]
    private: tuple[str, ...]
    data: tuple[str, ...]


def region_vpc_cidr(base: ipaddress.IPv4Network, region_index: int) -> ipaddress.IPv4Network:
    """The VPC block for the n-th region: consecutive blocks of the base size.

    Distinct, non-overlapping blocks per region keep peering or a transit gateway possible
    later without renumbering. Raises ValueError if the block would leave the private range.
    """
    start = int(base.network_address) + region_index * base.num_addresses
    try:
        network = ipaddress.IPv4Network((start, base.prefixlen))
    except (ipaddress.AddressValueError, ValueError) as error:
        raise ValueError(f"region {region_index} block is outside IPv4") from error
    if not network.is_private or not _same_private_range(base, network):
        raise ValueError(f"region {region_index} block {network} leaves the private range of {base}")
    return network


def _same_private_range(base: ipaddress.IPv4Network, other: ipaddress.IPv4Network) -> bool:
    for private in (ipaddress.IPv4Network("10.0.0.0/8"), ipaddress.IPv4Network("172.16.0.0/12"),
                    ipaddress.IPv4Network("192.168.0.0/16")):
        if base.subnet_of(private):
            return other.subnet_of(private)
    return False


def plan_subnets(vpc_cidr: ipaddress.IPv4Network | str, az_count: int) -> SubnetLayout:
    network = ipaddress.IPv4Network(vpc_cidr)
    if not 1 <= az_count <= MAX_AZS:
        raise ValueError(f"az_count must be 1..{MAX_AZS}, got {az_count}")
    blocks = list(network.subnets(prefixlen_diff=3))
    public_pool = list(blocks[6].subnets(prefixlen_diff=3))
    data_pool = list(blocks[7].subnets(prefixlen_diff=3))
    return SubnetLayout(
        public=tuple(str(block) for block in public_pool[:az_count]),
        private=tuple(str(block) for block in blocks[:az_count]),
        data=tuple(str(block) for block in data_pool[:az_count]),
    )
