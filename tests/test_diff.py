"""`tierstack diff`: hand-made before/after plans for each Day-2 problem of issue 11, the safe paths
beside them, identity (aliases), ignoreChanges, and the CLI (exit codes and JSON shape)."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tierstack.deploy import transitions
from tierstack.tooling import cli
from tierstack.tooling.diff import Diff, apply_ignore_changes, changed_paths, diff_plans, format_path, parse_path, render

from conftest import ROOT

STACK, PROJECT = "prod", "tierstack"
CLUSTER = "aws:rds/cluster:Cluster"
INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
GLOBAL = "aws:rds/globalCluster:GlobalCluster"
GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
PARAMS = "aws:elasticache/parameterGroup:ParameterGroup"
KEY = "aws:kms/key:Key"
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
SSM = "aws:ssm/parameter:Parameter"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
NODES = "aws:eks/nodeGroup:NodeGroup"


def urn(type_: str, name: str, parent: dict | None = None) -> str:
    """A recorded (MockMonitor-style) URN: the parent's last type, then this type."""
    qualified = f"{parent['type']}${type_}" if parent else type_
    return f"urn:pulumi:{STACK}::{PROJECT}::{qualified}::{name}"


def component(type_: str, name: str, parent: dict | None = None) -> dict[str, Any]:
    return {"urn": urn(type_, name, parent), "type": type_, "name": name, "custom": False,
            "parent": parent["urn"] if parent else None, "inputs": {}, "options": {}}


def res(type_: str, logical: str, parent: dict | None = None, /, *, ignore=(), aliases=(), protect=False,
        delete_before_replace=False, **inputs: Any) -> dict[str, Any]:
    """A resource as `tierstack plan --json` records it (``name=`` etc. are inputs)."""
    return {"urn": urn(type_, logical, parent), "type": type_, "name": logical, "custom": True,
            "parent": parent["urn"] if parent else None, "provider": None, "inputs": inputs,
            "options": {"protect": protect, "ignoreChanges": list(ignore), "aliases": list(aliases),
                        "deleteBeforeReplace": delete_before_replace, "retainOnDelete": False, "dependsOn": []}}


def aurora(name: str, parent: dict | None = None, **inputs: Any) -> dict[str, Any]:
    base = dict(clusterIdentifier=name, engine="aurora-postgresql", engineVersion="16.4", storageEncrypted=True,
                kmsKeyId=f"arn:aws:kms:us-east-1:123456789012:key/{name}", dbSubnetGroupName=f"{name}-subnets",
                masterUsername="tierstack_admin", databaseName="agents", port=5432.0, backupRetentionPeriod=7.0)
    return res(CLUSTER, f"{name}-cluster", parent, **{**base, **inputs})


def engine_urn(resource: dict, *parents: dict) -> str:
    """The URN the engine gives ``resource`` under ``parents`` (outermost first)."""
    chain = "$".join([p["type"] for p in parents] + [resource["type"]])
    return f"urn:pulumi:{STACK}::{PROJECT}::{chain}::{resource['name']}"


def reasons(diff: Diff, name: str) -> str:
    return " | ".join(diff.find(name).reasons)


# -- (1) growth -> scale: cache cluster mode turned on in place --------------------------------

CACHE_BEFORE = dict(replicationGroupId="prod-use1-cache", engine="valkey", engineVersion="8.2", port=6379.0,
                    nodeType="cache.r7g.large", clusterMode="disabled", numCacheClusters=2.0,
                    automaticFailoverEnabled=True, atRestEncryptionEnabled=True, subnetGroupName="cache-subnets",
                    parameterGroupName="prod-use1-cache-params-1a2b3c4", kmsKeyId="arn:aws:kms:key/cache")
PARAMS_BEFORE = dict(family="valkey8", description="Cache eviction",
                     parameters=[{"name": "maxmemory-policy", "value": "allkeys-lru"}])


def test_growth_to_scale_cluster_mode_in_place_is_refused():
    before = [res(GROUP, "cache-rg", **CACHE_BEFORE), res(PARAMS, "cache-params", **PARAMS_BEFORE)]
    scaled = {k: v for k, v in CACHE_BEFORE.items() if k != "numCacheClusters"}
    after = [res(GROUP, "cache-rg", **{**scaled, "clusterMode": "enabled", "numNodeGroups": 3.0,
                                       "replicasPerNodeGroup": 1.0}),
             res(PARAMS, "cache-params", **{**PARAMS_BEFORE, "parameters": [
                 {"name": "maxmemory-policy", "value": "allkeys-lru"}, {"name": "cluster-enabled", "value": "yes"}]})]
    diff = diff_plans(before, after)

    group = diff.find("cache-rg")
    assert group.action == "refused" and group.unsafe and group.stateful
    assert {"clusterMode", "numCacheClusters", "numNodeGroups", "replicasPerNodeGroup"} <= set(group.paths)
    assert "only migrates through 'compatible'" in reasons(diff, "cache-rg")
    assert "ModifyReplicationGroupShardConfiguration" in reasons(diff, "cache-rg")
    params = diff.find("cache-params")
    assert params.action == "refused" and params.unsafe
    assert "cluster-enabled cannot be modified" in reasons(diff, "cache-params")
    assert diff.unsafe and {c.name for c in diff.unsafe_changes} == {"cache-rg", "cache-params"}


def test_cluster_mode_to_compatible_alone_is_a_disruptive_but_accepted_step():
    before = [res(GROUP, "cache-rg", **CACHE_BEFORE)]
    after = [res(GROUP, "cache-rg", **{**CACHE_BEFORE, "clusterMode": "compatible"})]
    diff = diff_plans(before, after)
    change = diff.find("cache-rg")
    assert change.action == "update" and not diff.unsafe
    assert "disruptive: clusterMode disabled -> compatible" in reasons(diff, "cache-rg")


def test_adding_a_replica_to_a_cluster_mode_group_is_safe():
    enabled = {**{k: v for k, v in CACHE_BEFORE.items() if k != "numCacheClusters"},
               "clusterMode": "enabled", "numNodeGroups": 3.0, "replicasPerNodeGroup": 1.0}
    diff = diff_plans([res(GROUP, "cache-rg", **enabled)],
                      [res(GROUP, "cache-rg", **{**enabled, "replicasPerNodeGroup": 2.0, "numNodeGroups": 4.0})])
    change = diff.find("cache-rg")
    assert change.action == "update" and change.paths == ["numNodeGroups", "replicasPerNodeGroup"]
    assert not diff.unsafe


def test_cache_engine_major_downgrade_is_refused_and_redis_to_valkey_is_in_place():
    redis = {**CACHE_BEFORE, "engine": "redis", "engineVersion": "7.1"}
    downgrade = diff_plans([res(GROUP, "cache-rg", **redis)],
                           [res(GROUP, "cache-rg", **{**redis, "engineVersion": "6.2"})])
    assert downgrade.find("cache-rg").action == "refused"
    upgrade = diff_plans([res(GROUP, "cache-rg", **redis)],
                         [res(GROUP, "cache-rg", **{**redis, "engine": "valkey", "engineVersion": "8.2"})])
    assert upgrade.find("cache-rg").action == "update" and not upgrade.unsafe
    back = diff_plans([res(GROUP, "cache-rg", **CACHE_BEFORE)],
                      [res(GROUP, "cache-rg", **{**CACHE_BEFORE, "engine": "redis", "engineVersion": "8.2"})])
    assert back.find("cache-rg").action == "replace" and back.unsafe


# -- (2) scale -> enterprise: a live shard becomes a global database ---------------------------

MANAGED = dict(manageMasterUserPassword=True, masterUserSecretKmsKeyId="arn:aws:kms:key/db")
OWN_PASSWORD = dict(masterPasswordWo="generated", masterPasswordWoVersion=1.0)


def test_scale_to_enterprise_joining_a_global_cluster_in_place_is_refused_and_the_credential_switch_flagged():
    before = [aurora("prod-use1-db-00", **MANAGED)]
    after = [aurora("prod-use1-db-00", globalClusterIdentifier="prod-use1-db-00-global", **OWN_PASSWORD),
             res(GLOBAL, "prod-use1-db-00-global", globalClusterIdentifier="prod-use1-db-00-global",
                 engine="aurora-postgresql", databaseName="agents", storageEncrypted=True)]
    diff = diff_plans(before, after)

    cluster = diff.find("prod-use1-db-00-cluster")
    assert cluster.action == "refused" and cluster.unsafe
    assert "globalClusterIdentifier" in cluster.paths and "manageMasterUserPassword" in cluster.paths
    text = reasons(diff, "prod-use1-db-00-cluster")
    assert "cannot be added to an existing RDS Global Cluster" in text
    assert "Fix: create an aws.rds.GlobalCluster with sourceDbClusterIdentifier" in text
    assert "disruptive: credential switch: RDS-managed master secret -> a password of ours" in text
    assert diff.find("prod-use1-db-00-global").action == "create"


def test_turning_off_the_managed_password_without_a_new_one_is_refused():
    diff = diff_plans([aurora("db", **MANAGED)], [aurora("db")])
    assert diff.find("db-cluster").action == "refused"
    assert "requires MasterUserPassword" in reasons(diff, "db-cluster")


def test_the_documented_path_to_a_global_database_is_safe():
    """A GlobalCluster created from the unchanged cluster, which ignores globalClusterIdentifier."""
    primary = dict(ignore=["engineVersion", "globalClusterIdentifier"], **OWN_PASSWORD)
    before = [aurora("prod-use1-db-00", **primary),
              res(INSTANCE, "prod-use1-db-00-writer", identifier="prod-use1-db-00-writer",
                  clusterIdentifier="prod-use1-db-00", engine="aurora-postgresql", instanceClass="db.r7g.large")]
    arn = "arn:aws:rds:us-east-1:123456789012:cluster:prod-use1-db-00"
    after = [aurora("prod-use1-db-00", globalClusterIdentifier="prod-use1-db-00-global", **primary),
             before[1],
             res(GLOBAL, "prod-use1-db-00-global", globalClusterIdentifier="prod-use1-db-00-global",
                 sourceDbClusterIdentifier=arn, forceDestroy=True),
             # readers added beside the writer, and a secondary in the next region
             res(INSTANCE, "prod-use1-db-00-reader-1", identifier="prod-use1-db-00-reader-1",
                 clusterIdentifier="prod-use1-db-00", engine="aurora-postgresql", instanceClass="db.r7g.large"),
             aurora("prod-use1-db-dr-euw1-00", globalClusterIdentifier="prod-use1-db-00-global")]
    diff = diff_plans(before, after)
    assert not diff.unsafe, render(diff)
    assert diff.unchanged == 2  # the primary (its globalClusterIdentifier is ignored) and the writer
    assert {c.action for c in diff.changes} == {"create"}


def test_a_global_cluster_made_from_a_cluster_with_a_managed_password_is_flagged():
    primary = dict(ignore=["globalClusterIdentifier"], **MANAGED)
    before = [aurora("db", **primary)]
    after = [aurora("db", **primary),
             res(GLOBAL, "db-global", globalClusterIdentifier="db-global",
                 sourceDbClusterIdentifier="arn:aws:rds:us-east-1:123456789012:cluster:db")]
    diff = diff_plans(before, after)
    change = diff.find("db-global")
    assert change.action == "create" and change.blocking and diff.unsafe
    assert "does not support managed master passwords on global database members" in reasons(diff, "db-global")


def test_an_aurora_engine_downgrade_is_refused_unless_engine_version_is_ignored():
    live = aurora("db", engineVersion="16.6")
    diff = diff_plans([live], [aurora("db", engineVersion="16.4")])
    assert diff.find("db-cluster").action == "refused"
    ignored = diff_plans([live], [aurora("db", engineVersion="16.4", ignore=["engineVersion"])])
    assert ignored.changes == [] and ignored.unchanged == 1


# -- (3) enterprise -> hyperscale: DR secondaries move to another parent ------------------------

def _dr(region_code: str) -> list[dict[str, Any]]:
    platform = component("tierstack:platform:AgentPlatform", "tierstack-prod")
    replica = component("tierstack:data:ShardedDatabaseReplica", f"tierstack-prod-use1-db-dr-{region_code}", platform)
    shard = component("tierstack:data:DatabaseShard", f"tierstack-prod-use1-db-dr-{region_code}-00", replica)
    name = f"tierstack-prod-use1-db-dr-{region_code}"
    return [platform, replica, shard,
            res(KEY, f"{name}-key-key", replica, keyUsage="ENCRYPT_DECRYPT", enableKeyRotation=True),
            aurora(f"{name}-00", shard, globalClusterIdentifier="tierstack-prod-use1-db-00-global"),
            res(INSTANCE, f"{name}-00-reader-1", shard, identifier=f"{name}-00-reader-1",
                clusterIdentifier=f"{name}-00", engine="aurora-postgresql", instanceClass="db.r7g.large")]


def test_enterprise_to_hyperscale_moving_dr_secondaries_deletes_stateful_resources():
    diff = diff_plans(_dr("euw1"), _dr("usw2"))
    deleted = {c.name: c for c in diff.of_action("delete")}
    created = {c.name for c in diff.of_action("create")}
    assert set(deleted) == {"tierstack-prod-use1-db-dr-euw1-key-key", "tierstack-prod-use1-db-dr-euw1-00-cluster",
                            "tierstack-prod-use1-db-dr-euw1-00-reader-1"}
    assert created == {n.replace("euw1", "usw2") for n in deleted}
    assert deleted["tierstack-prod-use1-db-dr-euw1-00-cluster"].unsafe
    assert deleted["tierstack-prod-use1-db-dr-euw1-key-key"].unsafe
    # Aurora keeps the data in the cluster volume: an instance is replaceable, not stateful.
    assert not deleted["tierstack-prod-use1-db-dr-euw1-00-reader-1"].unsafe
    assert diff.unsafe
    # Components hold no cloud state; only custom resources are compared.
    assert not any(c.type.startswith("tierstack:") for c in diff.changes)


def test_a_move_that_keeps_the_physical_name_collides_and_says_how_to_alias_it():
    old_parent = component("tierstack:data:ShardedDatabase", "old")
    new_parent = component("tierstack:data:Shards", "new")
    before = [old_parent, aurora("db-00", old_parent)]
    after = [new_parent, aurora("db-00", new_parent)]
    diff = diff_plans(before, after)
    create = next(c for c in diff.changes if c.action == "create")
    assert create.blocking
    old = engine_urn(before[1], old_parent)
    assert f'aliases=["{old}"]' in " ".join(create.reasons)


# -- (4) a region inserted in the middle renumbers a later region's network ---------------------

def test_inserting_a_region_changes_a_later_regions_vpc_cidr_and_replaces_it():
    before = [res(VPC, "tierstack-prod-euw1-net-vpc", cidrBlock="10.1.0.0/16", enableDnsHostnames=True),
              res(SUBNET, "tierstack-prod-euw1-net-private-0", cidrBlock="10.1.32.0/19", vpcId="vpc-euw1",
                  availabilityZoneId="euw1-az1")]
    after = [res(VPC, "tierstack-prod-euw1-net-vpc", cidrBlock="10.2.0.0/16", enableDnsHostnames=True),
             res(SUBNET, "tierstack-prod-euw1-net-private-0", cidrBlock="10.2.32.0/19", vpcId="vpc-euw1",
                 availabilityZoneId="euw1-az1")]
    diff = diff_plans(before, after)
    vpc = diff.find("tierstack-prod-euw1-net-vpc")
    assert vpc.action == "replace" and vpc.stateful and vpc.unsafe and vpc.paths == ["cidrBlock"]
    assert "cidrBlock changed: forces a new resource" in reasons(diff, "tierstack-prod-euw1-net-vpc")
    assert any("vpc_.go" in source for source in vpc.sources)
    assert diff.find("tierstack-prod-euw1-net-private-0").action == "replace"


# -- (5) adding a shard: the shard map must not route to it in the same deploy ------------------

def _shard_map(*entries: dict[str, Any]) -> str:
    return json.dumps({"version": 1, "region": "us-east-1", "shards": list(entries)}, sort_keys=True)


def _entry(shard: int, state: str | None = None) -> dict[str, Any]:
    entry = {"shard": shard, "writer": f"prod-use1-db-{shard:02d}.cluster-abc.us-east-1.rds.amazonaws.com",
             "reader": f"prod-use1-db-{shard:02d}.cluster-ro-abc.us-east-1.rds.amazonaws.com", "port": 5432,
             "database": "agents", "iam_auth": True}
    return {**entry, "state": state} if state else entry


def _published(document: str) -> list[dict[str, Any]]:
    return [res(SSM, "prod-use1-shard-map", name="/tierstack/prod/us-east-1/shard-map", type="String", value=document),
            res(CONFIG_MAP, "prod-use1-agents-shard-map", metadata={"name": "shard-map", "namespace": "agents"},
                data={"shard-map.json": document})]


@pytest.mark.parametrize("state", [None, "active"])
def test_adding_a_shard_that_is_routed_in_the_same_deploy_is_flagged(state):
    before = [aurora("prod-use1-db-00"), *_published(_shard_map(_entry(0, state)))]
    after = [aurora("prod-use1-db-00"), aurora("prod-use1-db-01"),
             *_published(_shard_map(_entry(0, state), _entry(1, state)))]
    diff = diff_plans(before, after)
    for name in ("prod-use1-shard-map", "prod-use1-agents-shard-map"):
        change = diff.find(name)
        assert change.blocking and change.unsafe
        assert "routes to a shard created in this deploy" in reasons(diff, name)
        assert "shard 1 -> new cluster prod-use1-db-01" in reasons(diff, name)
    assert diff.find("prod-use1-db-01-cluster").action == "create"
    assert diff.unsafe


def test_a_new_shard_published_as_provisioning_is_safe_and_activating_it_later_is_safe():
    before = [aurora("prod-use1-db-00"), *_published(_shard_map(_entry(0, "active")))]
    provisioning = [aurora("prod-use1-db-00"), aurora("prod-use1-db-01"),
                    *_published(_shard_map(_entry(0, "active"), _entry(1, "provisioning")))]
    first = diff_plans(before, provisioning)
    assert not first.unsafe, render(first)
    activated = [aurora("prod-use1-db-00"), aurora("prod-use1-db-01"),
                 *_published(_shard_map(_entry(0, "active"), _entry(1, "active")))]
    second = diff_plans(provisioning, activated)  # the cluster exists by now
    assert not second.unsafe, render(second)
    assert second.find("prod-use1-shard-map").paths == ["value"]


def test_a_shard_map_whose_entries_do_not_change_is_not_flagged():
    live = [aurora("prod-use1-db-00"), *_published(_shard_map(_entry(0)))]
    diff = diff_plans(live, [*live, aurora("prod-use1-db-01")])
    assert not diff.unsafe and [c.action for c in diff.changes] == ["create"]


# -- identity, ignoreChanges, masking -----------------------------------------------------------

def test_an_alias_match_is_a_rename_not_a_delete_and_create():
    old_parent = component("tierstack:data:ShardedDatabase", "db")
    new_parent = component("tierstack:data:UserShards", "db")
    before = [old_parent, aurora("prod-use1-db-00", old_parent)]
    moved = aurora("prod-use1-db-00", new_parent, aliases=[engine_urn(before[1], old_parent)])
    diff = diff_plans(before, [new_parent, moved])
    assert [c.action for c in diff.changes] == ["update"]
    change = diff.changes[0]
    assert change.renamed_from == engine_urn(before[1], old_parent) and not diff.unsafe
    assert change.urn == engine_urn(moved, new_parent)


def test_without_the_alias_the_same_move_is_a_stateful_delete_and_create():
    old_parent = component("tierstack:data:ShardedDatabase", "db")
    new_parent = component("tierstack:data:UserShards", "db")
    diff = diff_plans([old_parent, aurora("prod-use1-db-00", old_parent)],
                      [new_parent, aurora("prod-use1-db-00", new_parent)])
    assert sorted(c.action for c in diff.changes) == ["create", "delete"] and diff.unsafe


def test_urns_are_compared_in_engine_form_with_the_whole_parent_chain():
    """Two parents of the same type under different grandparents share a recorded URN, not an engine one."""
    a, b = component("tierstack:platform:RegionalCell", "cell"), component("tierstack:platform:Replica", "cell")
    before_shard = component("tierstack:data:DatabaseShard", "shard", a)
    after_shard = component("tierstack:data:DatabaseShard", "shard", b)
    before = [a, before_shard, aurora("db", before_shard)]
    after = [b, after_shard, aurora("db", after_shard)]
    assert before[2]["urn"] == after[2]["urn"]
    diff = diff_plans(before, after)
    assert sorted(c.action for c in diff.changes) == ["create", "delete"]


def test_ignore_changes_paths_are_not_changes():
    nodes = dict(clusterName="prod-use1", nodeGroupNamePrefix="workers-", instanceTypes=["m7i.xlarge"],
                 subnetIds=["subnet-1"], scalingConfig={"minSize": 2.0, "maxSize": 10.0, "desiredSize": 2.0})
    before = [res(NODES, "workers", **nodes)]
    autoscaled = {**nodes, "scalingConfig": {"minSize": 2.0, "maxSize": 10.0, "desiredSize": 7.0}}
    assert diff_plans(before, [res(NODES, "workers", ignore=["scalingConfig.desiredSize"], **autoscaled)]).changes == []
    pinned = diff_plans(before, [res(NODES, "workers", **autoscaled)])
    assert pinned.find("workers").paths == ["scalingConfig.desiredSize"]


def test_apply_ignore_changes_handles_quoted_keys_wildcards_and_removal():
    before = {"tags": {"a:b": "1"}, "rules": [{"x": 1}, {"x": 2}], "gone": 1}
    after = {"tags": {"a:b": "2"}, "rules": [{"x": 3}, {"x": 4}], "new": 5}
    effective = apply_ignore_changes(before, after, ['tags["a:b"]', "rules[*].x", "new"])
    assert effective == {"tags": {"a:b": "1"}, "rules": [{"x": 1}, {"x": 2}]}


def test_masked_secrets_compare_equal_and_write_only_inputs_are_never_diffed():
    before = [res(GROUP, "cache-rg", **{**CACHE_BEFORE, "authTokenWo": "old", "authTokenWoVersion": 1.0,
                                       "logDeliveryConfigurations": "[secret]"})]
    after = [res(GROUP, "cache-rg", **{**CACHE_BEFORE, "authTokenWo": "new", "authTokenWoVersion": 1.0,
                                      "logDeliveryConfigurations": [{"logType": "slow-log"}]})]
    assert diff_plans(before, after).changes == []
    rotated = diff_plans(before, [res(GROUP, "cache-rg", **{**CACHE_BEFORE, "authTokenWo": "new",
                                                             "authTokenWoVersion": 2.0})])
    assert rotated.find("cache-rg").paths == ["authTokenWoVersion"]


def test_a_replacement_that_keeps_its_explicit_name_cannot_run_create_before_delete():
    moved = {**CACHE_BEFORE, "subnetGroupName": "other-subnets"}
    diff = diff_plans([res(GROUP, "cache-rg", **CACHE_BEFORE)], [res(GROUP, "cache-rg", **moved)])
    change = diff.find("cache-rg")
    assert change.action == "replace" and change.blocking
    assert "keeps replicationGroupId 'prod-use1-cache'" in reasons(diff, "cache-rg")
    dbr = diff_plans([res(GROUP, "cache-rg", **CACHE_BEFORE)],
                     [res(GROUP, "cache-rg", delete_before_replace=True, **moved)])
    assert not dbr.find("cache-rg").blocking and dbr.unsafe  # still a stateful replacement


def test_planned_resources_and_plan_json_give_the_same_diff():
    from tierstack.tooling.engine import PlannedResource

    def planned(record: dict[str, Any]) -> PlannedResource:
        return PlannedResource(urn=record["urn"], type=record["type"], name=record["name"], parent="", custom=True,
                               id="id", inputs=dict(record["inputs"]),
                               ignore_changes=list(record["options"]["ignoreChanges"]))

    before = [res(VPC, "vpc", cidrBlock="10.1.0.0/16")]
    after = [res(VPC, "vpc", cidrBlock="10.2.0.0/16")]
    from_json = diff_plans(before, after).to_json()
    from_objects = diff_plans([planned(r) for r in before], [planned(r) for r in after]).to_json()
    assert from_json == from_objects and from_json["safe"] is False


def test_paths_round_trip_and_changed_paths_name_leaves():
    for path in ["scalingConfig.desiredSize", 'tags["tierstack:tier"]', "rules[0].x", "a[*].b", 'data["x.json"]']:
        assert format_path(parse_path(path)) == path
    assert changed_paths({"a": {"b": 1, "c": [1, 2]}}, {"a": {"b": 1.0, "c": [1, 3]}}) == ["a.c[1]"]
    assert changed_paths({"l": [1]}, {"l": [1, 2]}) == ["l"]


def test_the_diff_json_has_counts_and_unsafe_changes_first():
    diff = diff_plans([res(VPC, "vpc", cidrBlock="10.1.0.0/16"), res(SSM, "p", value="1")],
                      [res(VPC, "vpc", cidrBlock="10.2.0.0/16"), res(SSM, "p", value="2"), res(SSM, "q", value="3")])
    document = diff.to_json()
    assert document["safe"] is False
    assert document["summary"] == {"refused": 0, "replace": 1, "delete": 0, "create": 1, "update": 1,
                                   "unchanged": 0, "unsafe": 1}
    assert document["changes"][0]["name"] == "vpc" and document["changes"][0]["unsafe"] is True
    assert set(document["changes"][0]) >= {"urn", "type", "name", "action", "paths", "stateful", "reasons"}
    text = render(diff)
    assert text.index("UNSAFE") < text.index("Create (1)") and "!!" in text and "Verdict: UNSAFE" in text


# -- the transitions table -----------------------------------------------------------------------

def test_every_rule_has_a_source_and_the_module_stays_pure():
    for rules in transitions.REPLACE_ON_CHANGE.values():
        assert all(rule.source for rule in rules)
    for rules in transitions.FORBIDDEN_IN_PLACE.values():
        assert all(rule.source and rule.severity in ("refused", "disruptive") for rule in rules)
    source = Path(transitions.__file__).read_text()
    assert not re.search(r"^\s*(import|from)\s+pulumi", source, re.MULTILINE)


def test_stateful_types_cover_the_policy_packs_and_every_stateful_type_has_replace_rules():
    from tierstack.policy.rules.platform import STATEFUL_TYPES

    assert set(STATEFUL_TYPES) <= set(transitions.STATEFUL)
    assert INSTANCE not in transitions.STATEFUL
    without_rules = {t for t in transitions.STATEFUL if not transitions.replace_rules(t)}
    assert without_rules <= {"aws:rds/instance:Instance", "aws:elasticache/cluster:Cluster", "aws:dynamodb/table:Table",
                             "aws:ebs/volume:Volume", "aws:efs/fileSystem:FileSystem",
                             "kubernetes:core/v1:PersistentVolume"}


# -- the CLI ------------------------------------------------------------------------------------

TOY_PROGRAM = textwrap.dedent('''
    import pulumi
    import pulumi_aws as aws

    config = pulumi.Config("demo")
    mode = config.get("mode") or "regional"
    readers = config.get_int("readers") or 1
    cluster = aws.rds.Cluster(
        "db", cluster_identifier="demo-db", engine="aurora-postgresql", engine_version="16.4",
        master_username="demo_admin", master_password_wo=pulumi.Output.secret("generated"),
        master_password_wo_version=1, storage_encrypted=True, skip_final_snapshot=True,
        global_cluster_identifier="demo-global" if mode == "global" else None)
    for index in range(readers):
        aws.rds.ClusterInstance(f"db-{index}", identifier=f"demo-db-{index}", cluster_identifier=cluster.id,
                                engine="aurora-postgresql", instance_class="db.r7g.large")
    pulumi.export("regions", ["us-east-1"])
''')


@pytest.fixture
def toy(tmp_path: Path) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: python\nmain: prog/\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: us-east-1\n")
    (tmp_path / "Pulumi.global.yaml").write_text("config:\n  aws:region: us-east-1\n  demo:mode: global\n")
    (tmp_path / "prog").mkdir()
    (tmp_path / "prog" / "__main__.py").write_text(TOY_PROGRAM)
    return tmp_path


def test_cli_exit_codes_and_json(toy: Path, capsys):
    safe_config, unsafe_config = toy / "readers.yaml", toy / "global.yaml"
    safe_config.write_text("demo:readers: 2\n")
    unsafe_config.write_text("config:\n  demo:mode: global\n")
    out = toy / "out.json"

    assert cli.main(["diff", "-s", "dev", "--to-config", str(safe_config), "--json", str(out),
                     "--project", str(toy)]) == 0
    document = json.loads(out.read_text())
    assert document["safe"] is True and document["summary"]["create"] == 1
    assert document["before"]["stack"] == "dev" and document["after"]["source"].endswith("readers.yaml")
    assert "Verdict: safe" in capsys.readouterr().out

    assert cli.main(["diff", "-s", "dev", "--to-config", str(unsafe_config), "--json", str(out),
                     "--project", str(toy)]) == cli.EXIT_UNSAFE == 5
    document = json.loads(out.read_text())
    assert document["safe"] is False and document["summary"]["refused"] == 1
    refused = document["changes"][0]
    assert refused["action"] == "refused" and refused["type"] == CLUSTER and "globalClusterIdentifier" in refused["paths"]
    captured = capsys.readouterr()
    assert "!!" in captured.out and "unsafe change(s)" in captured.err

    assert cli.main(["diff", "-s", "dev", "--to-stack", "global", "--project", str(toy)]) == cli.EXIT_UNSAFE


def test_cli_from_plan_uses_an_earlier_plan_as_before(toy: Path, capsys):
    from tierstack.tooling.plan import plan_stack, write_json
    from tierstack.tooling.stackfiles import find_project

    earlier = toy / "before.json"
    write_json(plan_stack("global", project=find_project(toy)), earlier)
    # The deployed stack ran in global mode; the regional config would detach it (accepted, disruptive).
    assert cli.main(["diff", "-s", "dev", "--from-plan", str(earlier), "--project", str(toy)]) == 0
    assert "disruptive: globalClusterIdentifier removed" in capsys.readouterr().out


def test_cli_config_errors_exit_2(toy: Path, capsys):
    assert cli.main(["diff", "-s", "dev", "--project", str(toy)]) == cli.EXIT_CONFIG
    assert "nothing to compare" in capsys.readouterr().err
    bad = toy / "bad.yaml"
    bad.write_text("- not a mapping\n")
    assert cli.main(["diff", "-s", "dev", "--to-config", str(bad), "--project", str(toy)]) == cli.EXIT_CONFIG
    assert cli.main(["diff", "-s", "nope", "--to-config", str(bad), "--project", str(toy)]) == cli.EXIT_CONFIG
    assert cli.main(["diff", "-s", "dev", "--from-plan", str(toy / "missing.json"), "--project", str(toy)]) == 2


def test_smoke_the_dev_stack_planned_at_growth(tmp_path: Path, capsys):
    """The real program once; its verdict depends on the components' progress, so only the shape is checked."""
    out = tmp_path / "diff.json"
    code = cli.main(["diff", "-s", "dev", "--tier", "growth", "--json", str(out), "--project", str(ROOT)])
    assert code in (0, cli.EXIT_UNSAFE)
    document = json.loads(out.read_text())
    assert document["before"]["tier"] == "pilot" and document["after"]["tier"] == "growth"
    assert document["safe"] is (code == 0)
    assert document["summary"]["create"] > 0 and document["summary"]["unchanged"] > 0
    assert all(c["action"] in ("create", "update", "replace", "delete", "refused") for c in document["changes"])
    assert "Verdict:" in capsys.readouterr().out


# -- what a stack's growth changes on budgets, scaling targets and alarms ----------------------

BUDGET, TARGET, ALARM = "aws:budgets/budget:Budget", "aws:appautoscaling/target:Target", "aws:cloudwatch/metricAlarm:MetricAlarm"


def test_budget_limits_notifications_and_tags_change_in_place_but_a_rename_replaces():
    before = dict(name="tierstack-prod-daily", budgetType="COST", timeUnit="DAILY", limitAmount="32074",
                  notifications=[{"threshold": 16037, "thresholdType": "ABSOLUTE_VALUE"}], tags={"Environment": "prod"})
    after = {**before, "limitAmount": "609", "notifications": [{"threshold": 80, "thresholdType": "PERCENTAGE"}],
             "tags": {"Environment": "prod", "tierstack:estimated-monthly-usd": "14859"}}
    assert diff_plans([res(BUDGET, "daily", **before)], [res(BUDGET, "daily", **after)]).find("daily").action == "update"
    renamed = diff_plans([res(BUDGET, "daily", **before)], [res(BUDGET, "daily", **{**before, "name": "other-daily"})])
    assert renamed.find("daily").action == "replace"


def test_tags_added_to_a_scaling_target_update_it_and_a_new_resource_id_replaces_it():
    before = dict(resourceId="cluster:prod-db-00", scalableDimension="rds:cluster:ReadReplicaCount",
                  serviceNamespace="rds", minCapacity=1.0, maxCapacity=4.0)
    tagged = diff_plans([res(TARGET, "readers", **before)], [res(TARGET, "readers", **before, tags={"Environment": "prod"})])
    assert tagged.find("readers").action == "update"
    moved = diff_plans([res(TARGET, "readers", **before)],
                       [res(TARGET, "readers", **{**before, "resourceId": "cluster:prod-db-01"})])
    assert moved.find("readers").action == "replace"


def test_an_alarm_threshold_changes_in_place_and_its_name_replaces_it():
    before = dict(name="prod-aurora-global-lag-db-00", metricName="AuroraGlobalDBReplicationLag", threshold=1000.0)
    assert diff_plans([res(ALARM, "lag", **before)], [res(ALARM, "lag", **{**before, "threshold": 2000.0})]
                      ).find("lag").action == "update"
    assert diff_plans([res(ALARM, "lag", **before)], [res(ALARM, "lag", **{**before, "name": "prod-lag"})]
                      ).find("lag").action == "replace"


def test_a_config_map_updates_in_place_only_under_a_provider_that_makes_config_maps_mutable():
    def plan(mutable: str, data: str) -> list[dict[str, Any]]:
        provider = res("pulumi:providers:kubernetes", "k8s", enableConfigMapMutable=mutable)
        config_map = res(CONFIG_MAP, "shard-map", data={"shard-map.json": data},
                         metadata={"name": "shard-map", "namespace": "agents"})
        config_map["provider"] = f"{provider['urn']}::id-1"
        return [provider, config_map]

    assert diff_plans(plan("true", "{}"), plan("true", '{"shards": 2}')).find("shard-map").action == "update"
    assert diff_plans(plan("false", "{}"), plan("false", '{"shards": 2}')).find("shard-map").action == "replace"
