"""AWS facts used to validate stack config before anything is created.

Instance types and region names come from botocore's bundled service models, so they move with
the installed boto3 rather than with a list we maintain. Availability-zone layouts are not in
botocore; the table below records the standard (non-Local-Zone) AZs each region offers new
accounts. A region that botocore knows but this table does not is rejected with a message that
says where to add it, rather than guessed at.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# Standard AZ names per region. us-west-1 and ap-northeast-1 give new accounts fewer zones
# than their letter range suggests (us-west-1: two; ap-northeast-1: no "b"), which is exactly
# why a three-AZ tier must be checked against this table.
REGION_AZS: dict[str, tuple[str, ...]] = {
    "us-east-1": ("us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"),
    "us-east-2": ("us-east-2a", "us-east-2b", "us-east-2c"),
    "us-west-1": ("us-west-1b", "us-west-1c"),
    "us-west-2": ("us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"),
    "ca-central-1": ("ca-central-1a", "ca-central-1b", "ca-central-1d"),
    "sa-east-1": ("sa-east-1a", "sa-east-1b", "sa-east-1c"),
    "eu-west-1": ("eu-west-1a", "eu-west-1b", "eu-west-1c"),
    "eu-west-2": ("eu-west-2a", "eu-west-2b", "eu-west-2c"),
    "eu-west-3": ("eu-west-3a", "eu-west-3b", "eu-west-3c"),
    "eu-central-1": ("eu-central-1a", "eu-central-1b", "eu-central-1c"),
    "eu-north-1": ("eu-north-1a", "eu-north-1b", "eu-north-1c"),
    "ap-south-1": ("ap-south-1a", "ap-south-1b", "ap-south-1c"),
    "ap-southeast-1": ("ap-southeast-1a", "ap-southeast-1b", "ap-southeast-1c"),
    "ap-southeast-2": ("ap-southeast-2a", "ap-southeast-2b", "ap-southeast-2c"),
    "ap-northeast-1": ("ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"),
    "ap-northeast-2": ("ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c", "ap-northeast-2d"),
}

# The seed architecture's five regions, in the order tiers take them: the first N regions of
# this list (after the stack's home region) become a tier's default region set.
SEED_REGIONS: tuple[str, ...] = ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-northeast-1")

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy rejects others).
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)

# Service quota "Nodes per managed node group" (adjustable, but the default is what a new
# account gets, so we validate against it and say how to raise it).
MAX_NODES_PER_MANAGED_NODE_GROUP = 450
MAX_MANAGED_NODE_GROUPS_PER_CLUSTER = 30

# Tag limits shared by every taggable AWS resource, repeated in each service's guide. Source:
# "Tag restrictions" (50 tags per resource; keys 1-128 and values 0-256 Unicode characters;
# letters, numbers and spaces representable in UTF-8 plus _ . : / = + - @; the aws: prefix is
# reserved): https://docs.aws.amazon.com/batch/latest/userguide/tag-restrictions.html and the same
# list in the ECS API Reference's Tag type (consulted 2026-11-30).
MAX_TAGS_PER_RESOURCE = 50
MAX_TAG_KEY_LENGTH = 128
MAX_TAG_VALUE_LENGTH = 256
TAG_PUNCTUATION = "_.:/=+-@"

_GRAVITON_FAMILY = re.compile(r"^[a-z]+\d+g[a-z]*$")
_DIRECTION_CODES = {
    "north": "n", "south": "s", "east": "e", "west": "w", "central": "c",
    "northeast": "ne", "southeast": "se", "northwest": "nw", "southwest": "sw",
}


@functools.lru_cache(maxsize=1)
def ec2_instance_types() -> frozenset[str]:
    """Every instance type the installed botocore EC2 model accepts."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("ec2")
    return frozenset(model.shape_for("InstanceType").enum)


@functools.lru_cache(maxsize=1)
def known_regions() -> frozenset[str]:
    """Commercial-partition regions botocore knows for EC2."""
    import botocore.session

    return frozenset(botocore.session.get_session().get_available_regions("ec2", "aws"))


def tag_text_is_valid(text: str) -> bool:
    """True when every character is a Unicode letter, number or space, or one of TAG_PUNCTUATION."""
    return all(unicodedata.category(c)[0] in "LNZ" or c in TAG_PUNCTUATION for c in text)


def availability_zones(region: str) -> tuple[str, ...]:
    return REGION_AZS.get(region, ())


def instance_architecture(instance_type: str) -> str:
    """``arm64`` for Graviton families (m7g, c6gn, r8g...), ``x86_64`` otherwise."""
    family = instance_type.split(".", 1)[0]
    return "arm64" if _GRAVITON_FAMILY.match(family) else "x86_64"


def region_code(region: str) -> str:
    """Short, stable code for names: us-east-1 -> use1, ap-southeast-1 -> apse1."""
    parts = region.split("-")
    if len(parts) < 3:
        return region.replace("-", "")
    geo, direction, number = parts[0], "-".join(parts[1:-1]), parts[-1]
    return f"{geo}{_DIRECTION_CODES.get(direction, direction[:2])}{number}"


def region_slot(region: str) -> int:
    """A region's fixed position in ``REGION_AZS`` (append-only): its VPC block offset.

    Keyed by the region's name, not its place in a stack's list, so adding a region anywhere in
    ``tierstack:regions`` readdresses no existing VPC.
    """
    return list(REGION_AZS).index(region)


# For a region's disaster-recovery partner, the geographies to look in, nearest first.
_PARTNER_GEOGRAPHIES = {
    "us": ("us", "ca", "sa", "eu", "ap"), "ca": ("ca", "us", "sa", "eu", "ap"), "sa": ("sa", "us", "ca", "eu", "ap"),
    "eu": ("eu", "us", "ca", "ap", "sa"), "ap": ("ap", "us", "eu", "ca", "sa"),
}


def dr_partner(region: str, regions: "tuple[str, ...] | list[str]") -> str:
    """The stack region that holds ``region``'s disaster-recovery secondaries.

    The nearest other region by geography, ties broken by the fixed ``REGION_AZS`` order: it
    depends on which regions the stack has, never on their order, so moving or appending regions
    leaves every existing partner (and the secondaries placed there) where it is.
    """
    geographies = _PARTNER_GEOGRAPHIES.get(region.split("-")[0], ("us", "eu", "ap", "ca", "sa"))
    order = list(REGION_AZS)

    def rank(candidate: str) -> tuple[int, int]:
        geography = candidate.split("-")[0]
        near = geographies.index(geography) if geography in geographies else len(geographies)
        return near, order.index(candidate) if candidate in order else len(order)

    candidates = [r for r in regions if r != region]
    if not candidates:
        raise ValueError(f"{region} has no other region to hold its disaster-recovery secondaries")
    return min(candidates, key=rank)
