"""Tier presets: every preset is valid, the seed's figures hold at its largest tier, and
everything that measures capacity grows (never shrinks) from pilot to hyperscale."""

import pytest

from tierstack.catalog.aws import SEED_REGIONS
from tierstack.config import Tier, build_stack_config
from tierstack.config.tiers import SEED_SERVICE_NAMES, TIER_ORDER
from tierstack.tooling.tiers_table import render

CONFIGS = [build_stack_config({"tier": t.value}, stack="test") for t in TIER_ORDER]

# DESIGN.md's seed table: replicas and memory per pod at its largest deployment.
SEED_SERVICES = {"auth": (3, "1Gi"), "conversation": (10, "2Gi"), "model": (5, "4Gi"),
                 "memory": (2, "8Gi"), "monitoring": (1, "1Gi")}


def _gib(quantity: str) -> float:
    return float(quantity[:-2]) / (1024 if quantity.endswith("Mi") else 1)


def _non_decreasing(values):
    return all(a <= b for a, b in zip(values, values[1:]))


def test_hyperscale_is_the_seed_architecture():
    hyperscale = CONFIGS[-1]
    assert hyperscale.tier is Tier.HYPERSCALE
    for name, (replicas, memory) in SEED_SERVICES.items():
        service = getattr(hyperscale.services, name)
        assert (service.replicas, service.memory) == (replicas, memory), name
    assert hyperscale.regions == list(SEED_REGIONS)
    scaled = [s for _, s in hyperscale.services.items() if s.autoscaling.enabled]
    assert max(s.autoscaling.max_replicas for s in scaled) == 100  # the seed's instance ceiling
    assert all(s.autoscaling.min_replicas == 2 for s in scaled)  # the seed's floor
    assert all((s.autoscaling.target_cpu_percent, s.autoscaling.target_memory_percent) == (70, 80) for s in scaled)


def test_capacity_grows_with_the_tier():
    assert _non_decreasing([len(c.regions) for c in CONFIGS])
    assert len(CONFIGS[-1].regions) > len(CONFIGS[0].regions)
    assert _non_decreasing([sum(g.max_size for g in c.cluster.node_groups.values()) for c in CONFIGS])
    assert _non_decreasing([c.network.az_count for c in CONFIGS])
    for name in SEED_SERVICE_NAMES:
        services = [getattr(c.services, name) for c in CONFIGS]
        assert _non_decreasing([s.replicas for s in services]), name
        assert _non_decreasing([s.autoscaling.max_replicas for s in services]), name
        assert _non_decreasing([_gib(s.memory) for s in services]), name


def test_only_pilot_shares_a_nat_gateway():
    layouts = {c.tier: c.network.nat_gateways for c in CONFIGS}
    assert layouts.pop(Tier.PILOT) == "single"
    assert set(layouts.values()) == {"perAz"}


def test_production_tiers_log_every_control_plane_stream():
    for config in CONFIGS[1:]:
        assert set(config.cluster.control_plane_log_types) == {"api", "audit", "authenticator", "controllerManager", "scheduler"}


@pytest.mark.parametrize("config", CONFIGS, ids=[c.tier.value for c in CONFIGS])
def test_presets_keep_the_api_private(config):
    assert config.cluster.endpoint_public_access is False and config.cluster.public_access_cidrs == []


def test_tier_table_shows_all_five_side_by_side():
    table = render()
    header = table.splitlines()[0].split()
    assert header == [t.value for t in TIER_ORDER]
    assert "~1,000,000" in table and "1 shared" in table and "1 per AZ" in table
