"""The names GlobalEdge puts in DNS and CloudFront, all derived from the API host and regions.

    api.<zone>                    CloudFront (A/AAAA alias)
    origin.api.<zone>             latency or geolocation set, one record per healthy region
    <code>.origin.api.<zone>      one region's load balancer (use1.origin.api.<zone>)
"""

from __future__ import annotations

from typing import Mapping, Sequence

from tierstack.catalog.aws import region_code
from tierstack.config.edge import ORIGIN_LABEL

# CloudFront origin ids: one per region, the routed name, and the failover group.
NEAREST_ORIGIN_ID = "alb-nearest"
FAILOVER_GROUP_ID = "alb-failover"
# The geolocation record that answers callers no continent record covers.
DEFAULT_LOCATION_ID = "default"

# Route 53 continent codes by region prefix; Oceania's regions are named "ap-southeast".
_CONTINENT_BY_PREFIX = {"us": "NA", "ca": "NA", "mx": "NA", "sa": "SA", "eu": "EU", "af": "AF",
                        "me": "AS", "il": "AS", "ap": "AS", "cn": "AS"}
_OCEANIA = frozenset({"ap-southeast-2", "ap-southeast-4", "ap-southeast-6"})


def origin_host(api_host: str) -> str:
    return f"{ORIGIN_LABEL}.{api_host}"


def regional_origin_host(api_host: str, region: str) -> str:
    return f"{region_code(region)}.{ORIGIN_LABEL}.{api_host}"


def origin_id(region: str) -> str:
    return f"alb-{region_code(region)}"


def validation_key(api_host: str, name: str) -> str:
    """A short, stable suffix for the validation record of ``name``: api, origin or a region code."""
    if name == api_host:
        return "api"
    if name == origin_host(api_host):
        return ORIGIN_LABEL
    return name.split(".", 1)[0]


def continent_of(region: str) -> str:
    if region in _OCEANIA:
        return "OC"
    prefix = region.split("-", 1)[0]
    if prefix not in _CONTINENT_BY_PREFIX:
        raise ValueError(f"no continent is known for region '{region}'; set edge.geolocationContinents for it.")
    return _CONTINENT_BY_PREFIX[prefix]


def geolocation_plan(regions: Sequence[str], overrides: Mapping[str, str]) -> list[tuple[str, str]]:
    """(region, continent) for each region that gets a continent record, in region order.

    Explicit continents win; then each region claims its own continent unless a region
    listed earlier already has it (us-west-2 after us-east-1, say). Callers from elsewhere
    get the default record, which points at the home region.
    """
    taken = {continent: region for region, continent in overrides.items() if region in regions}
    for region in regions:
        if region not in overrides:
            taken.setdefault(continent_of(region), region)
    claimed = {region: continent for continent, region in taken.items()}
    return [(region, claimed[region]) for region in regions if region in claimed]
