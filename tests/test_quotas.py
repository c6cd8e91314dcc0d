"""Service quotas: what each region of a stack will hold, at its autoscaling ceiling, must fit the
account's quotas (``tierstack:quotas``, defaulting to a new account's) before anything is created."""

import json

import pytest
import yaml

from tierstack.catalog.quotas import SERVICE_QUOTAS
from tierstack.config.demand import regional_demand
from tierstack.config import StackConfigError, build_stack_config
from tierstack.config import rules
from tierstack.config.loader import raw_from_engine_config
from tierstack.config.tiers import TIER_ORDER
from tierstack.tooling import cli

from conftest import ROOT

# A multi-region stack deploys only when one runner can reach every cluster's API.
REACHABLE = {"cluster": {"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.10/32"]}}


def _config(tier: str, **raw):
    return build_stack_config({"tier": tier, **raw}, stack="dev")


def test_demand_counts_every_region_at_the_autoscaling_ceiling():
    scale = regional_demand(_config("scale"))
    assert list(scale) == ["us-east-1", "us-west-2"]
    # 4 shards x (1 writer + max(2 readers, 5 maxReaders)); no global database below enterprise.
    assert scale["us-west-2"] == {"rdsDbInstances": 24, "rdsDbClusters": 4, "elasticacheNodes": 4,
                                  "elasticacheNodesPerCluster": 4, "vpcs": 1, "elasticIps": 3,
                                  "natGatewaysPerAz": 1, "eksClusters": 1}
    pilot = regional_demand(_config("pilot"))["us-east-1"]
    # The cache runs in cluster mode from pilot up: one shard, one replica.
    assert (pilot["rdsDbInstances"], pilot["elasticIps"], pilot["elasticacheNodesPerCluster"]) == (3, 1, 2)


def test_global_database_regions_host_their_partners_secondaries():
    enterprise = regional_demand(_config("enterprise"))
    # Partners by geography: us-west-2 and eu-west-1 keep their secondaries in us-east-1, whose own
    # are in us-west-2. 10 shards x (1 + 10) per cell, plus 10 secondaries x min(2, 5 readers) per partner.
    assert {r: d["rdsDbInstances"] for r, d in enterprise.items()} == {
        "us-east-1": 110 + 2 * 20, "us-west-2": 110 + 20, "eu-west-1": 110}
    assert {r: d["rdsDbClusters"] for r, d in enterprise.items()} == {"us-east-1": 30, "us-west-2": 20, "eu-west-1": 10}
    one_reader = regional_demand(_config("enterprise", overrides={"data": {"database": {
        "readersPerShard": 1, "readerAutoscaling": {"maxReaders": 1}}}}))
    assert one_reader["us-east-1"]["rdsDbInstances"] == 10 * 2 + 2 * 10 * 1
    pinned = regional_demand(_config("enterprise", overrides={"data": {"database": {
        "drRegions": {"eu-west-1": "us-west-2"}}}}))
    assert {r: d["rdsDbClusters"] for r, d in pinned.items()} == {"us-east-1": 20, "us-west-2": 30, "eu-west-1": 10}
    single = regional_demand(_config("enterprise", regions=["eu-west-1"], overrides={
        "regionCount": 1, "data": {"database": {"globalDatabase": False}}}))
    assert single["eu-west-1"]["rdsDbClusters"] == 10


@pytest.mark.parametrize("tier", ["pilot", "growth", "scale"])
def test_smaller_tiers_fit_a_new_accounts_quotas(tier):
    assert list(rules.quotas_fit_the_demand(_config(tier))) == []
    config = build_stack_config({"tier": tier, "overrides": REACHABLE}, stack="dev", deployment=True)
    assert config.quotas.rds_db_instances == 40


@pytest.mark.parametrize("tier", ["enterprise", "hyperscale"])
def test_larger_tiers_exceed_a_new_accounts_rds_quota(tier):
    with pytest.raises(StackConfigError) as caught:
        build_stack_config({"tier": tier, "overrides": REACHABLE}, stack="dev", deployment=True)
    issues = [i for i in caught.value.issues if i.path == "tierstack:quotas.rdsDbInstances"]
    # Hyperscale's home region also holds two partners' secondary clusters: 48 clusters > 40.
    assert {i.path for i in caught.value.issues} <= {"tierstack:quotas.rdsDbInstances", "tierstack:quotas.rdsDbClusters"}
    regions = _config(tier).regions
    assert len(issues) == len(regions)  # one per region, each naming it
    for issue, region in zip(issues, regions):
        assert issue.value == 40
        assert f"{region} needs" in issue.problem and "DB instances quota (L-7B6409FD) is 40" in issue.problem
        assert issue.fix.startswith(f"request an increase of DB instances (L-7B6409FD) in {region} to at least ")
        assert "in Service Quotas, then set tierstack:quotas.rdsDbInstances: " in issue.fix


def test_enterprise_quota_message_gives_the_numbers():
    with pytest.raises(StackConfigError) as caught:
        build_stack_config({"tier": "enterprise", "overrides": REACHABLE}, stack="dev", deployment=True)
    issue = caught.value.issues[0]
    assert issue.problem == (
        "us-east-1 needs 150 Aurora DB instances (10 shards x (1 writer + 10 readers at the readerAutoscaling."
        "maxReaders ceiling) + 20 disaster-recovery secondaries of other regions' shards x 2 instances) but the "
        "account's DB instances quota (L-7B6409FD) is 40.")
    assert issue.fix == ("request an increase of DB instances (L-7B6409FD) in us-east-1 to at least 150 in Service "
                         "Quotas, then set tierstack:quotas.rdsDbInstances: 150.")


def test_raising_the_quota_in_config_lets_enterprise_deploy():
    config = build_stack_config({"tier": "enterprise", "quotas": {"rdsDbInstances": 150}, "overrides": REACHABLE},
                                stack="dev", deployment=True)
    assert config.quotas.rds_db_instances == 150 and config.quotas.rds_db_clusters == 40
    # One short is still refused, and the key is the one the user set.
    with pytest.raises(StackConfigError) as caught:
        build_stack_config({"tier": "enterprise", "quotas": {"rdsDbInstances": 149}, "overrides": REACHABLE},
                           stack="dev", deployment=True)
    assert {(i.path, i.value) for i in caught.value.issues} == {("tierstack:quotas.rdsDbInstances", 149)}


def test_presets_alone_stay_valid_shapes():
    """`tierstack tiers` and the docs render every preset; only deploying needs the account's quotas."""
    assert [_config(t.value).tier for t in TIER_ORDER] == list(TIER_ORDER)


def test_quotas_come_through_the_engine_config_map():
    values = {"tierstack:tier": "enterprise", "tierstack:quotas": json.dumps({"rdsDbInstances": 200}),
              "tierstack:overrides": json.dumps(REACHABLE)}
    config = build_stack_config(raw_from_engine_config(values), stack="dev", deployment=True)
    assert config.quotas.rds_db_instances == 200


OTHER_QUOTAS = [
    # (case id, quotas, overrides, quota key, words in the problem)
    ("elastic-ips-for-six-nat-gateways", {}, {"network": {"azCount": 6}}, "elasticIps",
     ["us-east-1 needs 6 Elastic IPs", "EC2-VPC Elastic IPs quota (L-0263D0A3) is 5"]),
    ("cache-nodes-per-region", {"elasticacheNodesPerCluster": 500},
     {"data": {"cache": {"clusterMode": True, "shards": 110, "replicasPerShard": 2}}}, "elasticacheNodes",
     ["330 ElastiCache nodes", "110 shards x (1 primary + 2 replicas)", "Nodes per Region quota (L-DFE45DF3) is 300"]),
    ("cache-nodes-per-cluster", {}, {"data": {"cache": {"clusterMode": True, "shards": 40, "replicasPerShard": 2}}},
     "elasticacheNodesPerCluster", ["120 nodes in the cache cluster", "(L-AF354865) is 90"]),
    ("vpcs-already-used", {"vpcs": 0}, {}, "vpcs", ["1 VPCs", "VPCs per Region quota (L-F678F1CE) is 0"]),
    ("nat-per-az", {"natGatewaysPerAz": 0}, {}, "natGatewaysPerAz", ["(L-FE5A380F) is 0"]),
    ("eks-clusters", {"eksClusters": 0}, {}, "eksClusters", ["1 EKS clusters", "Clusters quota (L-1194D53C) is 0"]),
    ("db-clusters", {"rdsDbClusters": 1}, {}, "rdsDbClusters", ["2 Aurora DB clusters (2 shard clusters)", "(L-952B80B8) is 1"]),
]


@pytest.mark.parametrize("quota, overrides, key, words", [c[1:] for c in OTHER_QUOTAS], ids=[c[0] for c in OTHER_QUOTAS])
def test_each_quota_is_checked(quota, overrides, key, words):
    raw = {"tier": "growth", "quotas": quota, "overrides": overrides}
    with pytest.raises(StackConfigError) as caught:
        build_stack_config(raw, stack="dev", deployment=True)
    matching = [i for i in caught.value.issues if i.path == f"tierstack:quotas.{key}"]
    assert matching, [i.path for i in caught.value.issues]
    quota_name, code = SERVICE_QUOTAS[key].name, SERVICE_QUOTAS[key].code
    for issue in matching:
        for word in words:
            assert word in issue.problem, (word, issue.problem)
        assert f"request an increase of {quota_name} ({code}) in " in issue.fix
        assert f"then set tierstack:quotas.{key}: " in issue.fix
    # The same stack without deployment checks is a valid shape.
    build_stack_config(raw, stack="dev")


@pytest.mark.parametrize("quotas, words", [
    ({"rdsDbInstance": 80}, ["did you mean 'rdsDbInstances'"]),
    ({"rdsDbInstances": -1}, ["at least 0"]),
    (["rdsDbInstances"], ["mapping"]),
])
def test_bad_quota_settings_name_the_key(quotas, words):
    with pytest.raises(StackConfigError) as caught:
        build_stack_config({"tier": "pilot", "quotas": quotas}, stack="dev")
    (issue,) = caught.value.issues
    assert issue.path.startswith("tierstack:quotas")
    for word in words:
        assert word in f"{issue.problem} {issue.fix}"


def test_the_program_refuses_an_over_quota_stack_before_creating_anything(tmp_path, capsys):
    (tmp_path / "Pulumi.yaml").write_text(yaml.safe_dump(
        {"name": "tierstack", "runtime": "python", "main": str(ROOT / "infra")}))
    (tmp_path / "Pulumi.big.yaml").write_text(yaml.safe_dump({"config": {
        "aws:region": "us-east-1", "tierstack:tier": "enterprise", "tierstack:overrides": REACHABLE}}))
    code = cli.main(["plan", "-s", "big", "--project", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == cli.EXIT_CONFIG and "nothing was created" in err and "Traceback" not in err
    assert "tierstack:quotas.rdsDbInstances = 40" in err and "Fix: request an increase of DB instances" in err
