"""Growing a live production stack: every adjacent tier upgrade, a region added at any position,
and a shard added are additions and in-place updates AWS accepts; nothing stateful is replaced
or deleted. Each step is judged by ``tierstack diff``'s own comparison of the two plans."""

from __future__ import annotations

import functools
import textwrap
from pathlib import Path

import pytest

from tierstack.config.tiers import PRESETS, Tier
from tierstack.tooling.diff import diff_plans
from tierstack.tooling.plan import ANY_TIER_ASSUMPTIONS, plan_stack
from tierstack.tooling.stackfiles import find_project

from conftest import ROOT, TIERS

IMAGES = {name: {"image": f"ghcr.io/acme/agent-{name}:1.4.2"}
          for name in ("auth", "conversation", "model", "memory", "monitoring", "worker")}
# A production stack that lets its tier choose its regions, as a team growing tier by tier would.
GROWING_STACK = textwrap.dedent(f"""\
    config:
      aws:region: us-east-1
      tierstack:tier: pilot
      tierstack:environment: prod
      tierstack:production: true
      tierstack:overrides:
        edge: {{zoneName: agents.example.com}}
        services: {IMAGES}
    """)


@functools.lru_cache(maxsize=1)
def growing_project(root: str = "/tmp/tierstack-growth") -> Path:
    directory = Path(root)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text(f"name: tierstack\nruntime: python\nmain: {ROOT / 'infra'}\n")
    (directory / "Pulumi.prod.yaml").write_text(GROWING_STACK)
    return directory


def shards_of(tier: str) -> int:
    return PRESETS[Tier(tier)]["data"]["database"]["shards"]


@functools.lru_cache(maxsize=None)
def plan_at(tier: str, active_shards: int | None = None, regions: tuple[str, ...] | None = None):
    overrides: dict = dict(ANY_TIER_ASSUMPTIONS)
    if active_shards is not None:
        # The runbook's first step: new shards are created as provisioning, routing unchanged.
        overrides["tierstack:overrides"] = {**overrides["tierstack:overrides"],
                                            "data": {"database": {"activeShards": active_shards}}}
    if regions is not None:
        overrides["tierstack:regions"] = list(regions)
    return plan_stack("prod", project=find_project(growing_project()), tier=tier, config_overrides=overrides)


def unsafe(before, after) -> list[str]:
    result = diff_plans(before.resources, after.resources)
    return [f"{c.action} {c.type} {c.name}: {'; '.join(c.reasons)}" for c in result.unsafe_changes]


@pytest.mark.parametrize("before, after", list(zip(TIERS, TIERS[1:])), ids=lambda t: t)
def test_every_adjacent_tier_upgrade_keeps_every_stateful_resource(before, after):
    old, new = plan_at(before), plan_at(after, active_shards=shards_of(before))
    assert new.tier == after and len(new.regions) >= len(old.regions)
    assert unsafe(old, new) == []


def test_without_pinning_routing_the_new_shards_would_be_used_before_they_hold_data():
    found = unsafe(plan_at("pilot"), plan_at("growth"))
    assert found and all("shard" in line for line in found), found


@pytest.mark.parametrize("position", [0, 1, 2])
def test_a_region_added_at_any_position_changes_no_existing_region(position):
    regions = ["us-east-1", "eu-west-1"]
    grown = regions[:position] + ["us-west-2"] + regions[position:]
    old, new = plan_at("scale", regions=tuple(regions)), plan_at("scale", regions=tuple(grown))
    assert unsafe(old, new) == []


@pytest.mark.parametrize("position", [0, 2, 3])
def test_a_region_added_to_a_global_database_stack_moves_no_secondaries(position):
    regions = ["us-east-1", "us-west-2", "eu-west-1"]
    grown = regions[:position] + ["ap-southeast-1"] + regions[position:]
    old = plan_at("enterprise", regions=tuple(regions))
    new = plan_at("enterprise", regions=tuple(grown))
    assert unsafe(old, new) == []


def test_adding_a_shard_in_two_phases_is_safe_and_routes_nothing_until_activated():
    shards = shards_of("scale")
    old = plan_at("scale")
    created = plan_stack("prod", project=find_project(growing_project()), tier="scale", config_overrides={
        **ANY_TIER_ASSUMPTIONS, "tierstack:overrides": {**ANY_TIER_ASSUMPTIONS["tierstack:overrides"],
                                                        "data": {"database": {"shards": shards + 1,
                                                                              "activeShards": shards}}}})
    assert unsafe(old, created) == []
    activated = plan_stack("prod", project=find_project(growing_project()), tier="scale", config_overrides={
        **ANY_TIER_ASSUMPTIONS, "tierstack:overrides": {**ANY_TIER_ASSUMPTIONS["tierstack:overrides"],
                                                        "data": {"database": {"shards": shards + 1}}}})
    assert unsafe(created, activated) == []
