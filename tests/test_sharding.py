"""User routing: balanced, minimal movement when a shard is added, identical in every process."""

import collections
import json
import subprocess
import sys

import pytest

from tierstack.config import StackConfigError, build_stack_config
from tierstack.sharding import ShardEndpoint, ShardMap, jump_hash, shard_for, shard_map_document, user_key
from tierstack.tooling.plan import plan_stack

from conftest import cached_plan, project

IDS = [f"user-{i}" for i in range(1_000_000)]


@pytest.fixture(scope="module")
def ten_and_eleven():
    return [shard_for(u, 10) for u in IDS], [shard_for(u, 11) for u in IDS]


def test_a_million_users_spread_within_one_percent_of_even(ten_and_eleven):
    counts = collections.Counter(ten_and_eleven[0])
    expected = len(IDS) / 10
    assert sorted(counts) == list(range(10))
    # One percent is more than three standard deviations of a fair split (sd ~ 300 per shard).
    assert max(abs(c - expected) / expected for c in counts.values()) < 0.01, counts


def test_adding_a_shard_moves_about_one_in_n_plus_one_and_only_to_the_new_shard(ten_and_eleven):
    before, after = ten_and_eleven
    moved = [(a, b) for a, b in zip(before, after) if a != b]
    fraction = len(moved) / len(IDS)
    assert abs(fraction - 1 / 11) < 0.005, fraction  # stated bound: within half a point of 1/(N+1)
    assert {b for _, b in moved} == {10}  # nothing reshuffles between existing shards


@pytest.mark.parametrize("shards", [1, 2, 3, 16, 64])
def test_every_user_lands_on_an_existing_shard(shards):
    assert {shard_for(u, shards) for u in IDS[:20_000]} == set(range(shards))


def test_routing_is_identical_in_a_fresh_process():
    sample = IDS[:2000]
    code = ("import json,sys; from tierstack.sharding import shard_for; "
            "print(json.dumps([shard_for(u, 16) for u in json.load(sys.stdin)]))")
    # A different PYTHONHASHSEED proves we do not depend on Python's salted hash().
    result = subprocess.run([sys.executable, "-c", code], input=json.dumps(sample), capture_output=True, text=True,
                            check=True, env={"PYTHONHASHSEED": "12345", "PATH": ""})
    assert json.loads(result.stdout) == [shard_for(u, 16) for u in sample]


def test_known_assignments_are_stable_across_releases():
    # Pinned values: a change here means users would move shards on upgrade.
    assert user_key("alice") == int.from_bytes(__import__("hashlib").blake2b(b"alice", digest_size=8).digest(), "big")
    assert [jump_hash(k, 10) for k in (0, 1, 2**63, 2**64 - 1)] == [0, 6, 5, 9]
    with pytest.raises(ValueError):
        jump_hash(1, 0)


def test_shard_map_round_trips_and_routes():
    shard_map = ShardMap("eu-west-1", tuple(
        ShardEndpoint(i, f"w{i}.example", f"r{i}.example", 5432, "agents") for i in range(4)))
    loaded = ShardMap.from_json(shard_map.to_json())
    assert loaded == shard_map
    assert loaded.route("alice") == shard_map.shards[shard_for("alice", 4)]
    broken = json.loads(shard_map.to_json())
    broken["shards"].reverse()
    with pytest.raises(ValueError):
        ShardMap.from_json(json.dumps(broken))


# -- adding a shard in two phases: create (provisioning), copy, activate ------------------------------

def _map(total, active, region="us-east-1"):
    return ShardMap(region, tuple(
        ShardEndpoint(i, f"w{i}.example", f"r{i}.example", 5432, "agents",
                      state="active" if i < active else "provisioning") for i in range(total)))


def test_a_provisioning_shard_receives_no_users_and_activation_moves_exactly_its_share(ten_and_eleven):
    before_ids, after_ids = ten_and_eleven  # shard_for(id, 10), shard_for(id, 11) for a million ids
    before, created, activated = _map(10, 10), _map(11, 10), _map(11, 11)
    assert [s.shard for s in created.active] == list(range(10)) and [s.shard for s in created.provisioning] == [10]

    # Step 1, create: shard 10 exists as provisioning and routing is identical for every user.
    routed_created = [created.route(u).shard for u in IDS]
    assert routed_created == before_ids
    assert all(before.route(u).shard == b for u, b in zip(IDS[:50_000], before_ids))

    # Step 2, copy: the users to copy are exactly those that activation will move, all to shard 10.
    targets = [created.copy_target(u) for u in IDS]
    assert {t.shard for t in targets if t is not None} == {10}

    # Step 3, activate: exactly the users with shard_for(id, 11) == 10 move, all to shard 10.
    routed_activated = [activated.route(u).shard for u in IDS]
    assert routed_activated == after_ids
    moved = [i for i, (a, b) in enumerate(zip(routed_created, routed_activated)) if a != b]
    assert moved == [i for i, shard in enumerate(after_ids) if shard == 10]
    assert moved == [i for i, t in enumerate(targets) if t is not None]
    assert {routed_activated[i] for i in moved} == {10}
    share = len(moved) / len(IDS)
    assert abs(share - 1 / 11) < 0.005, share  # 1/(N+1) within half a percentage point
    assert activated.provisioning == () and activated.copy_target("user-1") is None


def test_a_provisioning_shard_must_come_after_every_active_one():
    document = json.loads(_map(4, 3).to_json())
    document["shards"][1]["state"], document["shards"][3]["state"] = "provisioning", "active"
    with pytest.raises(ValueError, match="shard 1 is provisioning but a later shard is active"):
        ShardMap.from_json(json.dumps(document))
    for state in ("provisioning", "drained"):
        document = json.loads(_map(2, 2).to_json())
        for entry in document["shards"]:
            entry["state"] = state
        with pytest.raises(ValueError):
            ShardMap.from_json(json.dumps(document))  # nothing to route to, or not a state


def test_maps_without_states_load_as_all_active_and_all_active_maps_are_written_as_before():
    old = ('{"region": "eu-west-1", "shards": [{"database": "agents", "iam_auth": true, "port": 5432, "reader": "r0", '
           '"shard": 0, "writer": "w0"}, {"database": "agents", "iam_auth": true, "port": 5432, "reader": "r1", '
           '"shard": 1, "writer": "w1"}], "version": 1}')
    loaded = ShardMap.from_json(old)
    assert [s.state for s in loaded.shards] == ["active", "active"] and loaded.provisioning == ()
    # Byte-identical: upgrading tierstack changes no published map, and older readers still load it.
    assert loaded.to_json() == old
    growing = json.loads(_map(3, 2).to_json())
    assert ["state" in e for e in growing["shards"]] == [False, False, True]
    assert ShardMap.from_json(json.dumps(growing)) == _map(3, 2)


def test_shard_map_document_marks_shards_past_the_active_count_as_provisioning():
    entries = [{"shard": i, "writer": f"w{i}", "reader": f"r{i}", "port": 5432, "database": "agents"} for i in range(3)]
    assert [s.state for s in ShardMap.from_json(shard_map_document("us-east-1", entries)).shards] == ["active"] * 3
    document = ShardMap.from_json(shard_map_document("us-east-1", entries, active_count=2))
    assert [s.state for s in document.shards] == ["active", "active", "provisioning"]
    with_states = [{**e, "state": "active" if e["shard"] < 1 else "provisioning"} for e in entries]
    assert len(ShardMap.from_json(shard_map_document("us-east-1", with_states)).active) == 1
    for bad in (0, 4):
        with pytest.raises(ValueError, match="active_count"):
            shard_map_document("us-east-1", entries, active_count=bad)


# -- config: data.database.activeShards -------------------------------------------------------------

def _database_config(tier="enterprise", **database):
    return build_stack_config({"tier": tier, "overrides": {"data": {"database": database}}}, stack="test")


def _only_issue(error):
    (issue,) = error.value.issues
    return issue


@pytest.mark.parametrize("tier", ["pilot", "growth", "scale", "enterprise", "hyperscale"])
def test_presets_route_to_every_shard(tier):
    assert build_stack_config({"tier": tier}, stack="test").data.database.active_shards is None


def test_more_active_shards_than_shards_is_refused_with_the_key_and_the_fix():
    with pytest.raises(StackConfigError) as error:
        _database_config(shards=10, activeShards=11)
    issue = _only_issue(error)
    assert issue.path == "tierstack:overrides.data.database.activeShards" and issue.value == 11
    assert "data.database.shards is 10" in issue.problem and "shard 10" in issue.problem
    assert "raise shards to 11" in issue.fix


def test_lowering_shards_below_active_shards_is_refused_until_the_shard_is_drained():
    # Enterprise runs 10 shards; removing shard 9 while it is still active would delete its users.
    with pytest.raises(StackConfigError) as error:
        _database_config(shards=9, activeShards=10)
    issue = _only_issue(error)
    assert issue.path == "tierstack:overrides.data.database.activeShards" and issue.value == 10
    assert "drain first" in issue.fix and "set activeShards to 9 and deploy, then lower shards to 9" in issue.fix
    # Drained: shard 9 deactivated first, then shards lowered.
    assert _database_config(shards=10, activeShards=9).data.database.active_shards == 9
    assert _database_config(shards=9, activeShards=9).data.database.shards == 9


def test_active_shards_must_route_somewhere():
    with pytest.raises(StackConfigError) as error:
        _database_config(activeShards=0)
    issue = _only_issue(error)
    assert issue.path == "tierstack:overrides.data.database.activeShards" and issue.value == 0
    assert "remove the key to route to every shard" in issue.fix


def test_a_staging_deploy_that_adds_a_shard_publishes_it_as_provisioning():
    # Staging (growth) runs 2 shards. Step 1 of adding one: shards 3 with activeShards pinned to 2.
    plan = plan_stack("staging", project=project(), config_overrides={
        "tierstack:overrides": {"data": {"database": {"shards": 3, "activeShards": 2}}}})
    (parameter,) = plan.run.of_type("aws:ssm/parameter:Parameter")
    shard_map = ShardMap.from_json(parameter.inputs["value"])
    clusters = {c.outputs["clusterIdentifier"] for c in plan.run.of_type("aws:rds/cluster:Cluster")}
    assert clusters == {f"tierstack-staging-use1-db-{i:02d}" for i in range(3)}  # the new cluster is created
    assert [s.state for s in shard_map.shards] == ["active", "active", "provisioning"]
    (config_map,) = [r for r in plan.resources if r.type == "kubernetes:core/v1:ConfigMap"
                     and r.inputs["metadata"]["name"] == "shard-map"]
    assert config_map.inputs["data"]["shard-map.json"] == parameter.inputs["value"]
    # Routing is what it was with two shards, for every user sampled.
    assert all(shard_map.route(u).shard == shard_for(u, 2) for u in IDS[:20_000])
    # Without the key, today's staging map routes to every shard and carries no states at all.
    (current,) = cached_plan("staging").run.of_type("aws:ssm/parameter:Parameter")
    assert "state" not in json.loads(current.inputs["value"])["shards"][0]
    assert len(ShardMap.from_json(current.inputs["value"]).active) == 2
