"""The data tier under mocks: CacheTier, ShardedDatabase, the shard map, and how services reach them."""

import json

import pulumi
import pytest

from tierstack.config import build_stack_config
from tierstack.data import CacheTier, CacheTierArgs, ShardedDatabase, ShardedDatabaseArgs
from tierstack.data import Placement
from tierstack.sharding import ShardMap

from conftest import TIERS, cached_plan, children_of, install_mocks, record

ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]
PLACEMENT = Placement(vpc_id="vpc-1", subnet_ids=["subnet-d1", "subnet-d2", "subnet-d3"], availability_zones=ZONES,
                      client_security_group_ids=["sg-cluster"])


def _settings(tier, **data):
    return build_stack_config({"tier": tier, "overrides": {"data": data}}, stack="test").data


def _cache(tier="scale", protect=False, **cache):
    return CacheTier("cache", CacheTierArgs(
        settings=_settings(tier, cache=cache).cache, region="us-east-1", placement=PLACEMENT, protect=protect))


def _database(tier="enterprise", protect=False, **database):
    return ShardedDatabase("db", ShardedDatabaseArgs(
        settings=_settings(tier, database=database).database, region="us-east-1", placement=PLACEMENT, protect=protect))


# -- cache -----------------------------------------------------------------------------------------

def test_cache_is_encrypted_failover_ready_and_evicts_lru():
    resources = record(lambda: _cache("scale"))
    (group,) = children_of(resources, "aws:elasticache/replicationGroup:ReplicationGroup")
    inputs = group.inputs
    assert inputs["atRestEncryptionEnabled"] is True and inputs["kmsKeyId"].startswith("arn:aws:kms:")
    assert inputs["transitEncryptionEnabled"] is True and inputs["transitEncryptionMode"] == "required"
    assert inputs["automaticFailoverEnabled"] is True and inputs["multiAzEnabled"] is True
    assert (inputs["clusterMode"], inputs["numNodeGroups"], inputs["replicasPerNodeGroup"]) == ("enabled", 2, 1)
    assert inputs["engine"] == "valkey" and inputs["engineVersion"] == "8.2"
    assert inputs["snapshotRetentionLimit"] == 7
    (params,) = children_of(resources, "aws:elasticache/parameterGroup:ParameterGroup")
    assert params.inputs["family"] == "valkey8"
    assert {"name": "maxmemory-policy", "value": "allkeys-lru"} in params.inputs["parameters"]


def test_auth_token_goes_only_through_write_only_arguments():
    resources = record(lambda: _cache("growth"))
    (group,) = children_of(resources, "aws:elasticache/replicationGroup:ReplicationGroup")
    assert "authToken" not in group.inputs and group.inputs["authTokenWoVersion"] == 1
    (version,) = children_of(resources, "aws:secretsmanager/secretVersion:SecretVersion")
    assert "secretString" not in version.inputs and version.inputs["secretStringWoVersion"] == 1
    assert json.loads(version.inputs["secretStringWo"])["tls"] is True
    (secret,) = children_of(resources, "aws:secretsmanager/secret:Secret")
    assert secret.inputs["kmsKeyId"] == group.inputs["kmsKeyId"]


def test_non_cluster_mode_runs_a_primary_and_replicas_and_admits_only_the_cluster():
    resources = record(lambda: _cache("growth"))
    (group,) = children_of(resources, "aws:elasticache/replicationGroup:ReplicationGroup")
    assert group.inputs["clusterMode"] == "disabled" and group.inputs["numCacheClusters"] == 2
    sg = next(r for r in children_of(resources, "aws:ec2/securityGroup:SecurityGroup") if r.name == "cache-sg")
    (rule,) = sg.inputs["ingress"]
    assert rule["securityGroups"] == ["sg-cluster"] and (rule["fromPort"], rule["toPort"]) == (6379, 6379)
    assert "cidrBlocks" not in rule and sg.inputs.get("egress", []) == []


@pulumi.runtime.test
def test_cache_endpoint_follows_cluster_mode():
    install_mocks()
    sharded, single = _cache("scale"), _cache("growth")

    def check(endpoints):
        assert endpoints[0].startswith("clustercfg.") and endpoints[1].startswith("master.")

    return pulumi.Output.all(sharded.endpoint, single.endpoint).apply(check)


# -- database --------------------------------------------------------------------------------------

@pytest.mark.parametrize("tier", TIERS)
def test_shards_and_readers_per_tier(tier):
    settings = _settings(tier).database
    resources = record(lambda: _database(tier))
    clusters = children_of(resources, "aws:rds/cluster:Cluster")
    instances = children_of(resources, "aws:rds/clusterInstance:ClusterInstance")
    assert len(clusters) == settings.shards
    assert len(instances) == settings.shards * (1 + settings.readers_per_shard)
    for cluster in clusters:
        shard = cluster.inputs["tags"]["tierstack.io/shard"]
        own = [i for i in instances if i.inputs["tags"]["tierstack.io/shard"] == shard]
        writers = [i for i in own if i.inputs["tags"]["tierstack.io/db-role"] == "writer"]
        assert len(writers) == 1 and writers[0].inputs["promotionTier"] == 0
        if len(own) > 1:  # readers spread: the shard uses more than one AZ
            assert len({i.inputs["availabilityZone"] for i in own}) == min(len(own), len(ZONES))


def test_the_seed_shape_one_writer_five_readers_over_ten_shards():
    settings = _settings("enterprise").database
    assert (settings.shards, settings.readers_per_shard) == (10, 5)


def test_storage_credentials_and_logs_are_locked_down():
    resources = record(lambda: _database("growth"))
    for cluster in children_of(resources, "aws:rds/cluster:Cluster"):
        inputs = cluster.inputs
        assert inputs["storageEncrypted"] is True and inputs["kmsKeyId"].startswith("arn:aws:kms:")
        assert inputs["manageMasterUserPassword"] is True and "masterPassword" not in inputs
        assert inputs["iamDatabaseAuthenticationEnabled"] is True
        assert inputs["enabledCloudwatchLogsExports"] == ["postgresql"]
        assert inputs["backupRetentionPeriod"] == 7  # point-in-time recovery window
    for instance in children_of(resources, "aws:rds/clusterInstance:ClusterInstance"):
        assert instance.inputs["publiclyAccessible"] is False and instance.inputs["performanceInsightsEnabled"] is True
    (params,) = children_of(resources, "aws:rds/clusterParameterGroup:ClusterParameterGroup")
    assert {"name": "rds.force_ssl", "value": "1"} in [{"name": p["name"], "value": p["value"]} for p in params.inputs["parameters"]]


def test_reader_autoscaling_bounds_follow_the_tier():
    settings = _settings("scale").database
    resources = record(lambda: _database("scale"))
    targets = children_of(resources, "aws:appautoscaling/target:Target")
    assert len(targets) == settings.shards
    for target in targets:
        assert target.inputs["scalableDimension"] == "rds:cluster:ReadReplicaCount"
        assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (2, 5)
        assert target.inputs["resourceId"].startswith("cluster:db-")
    for policy in children_of(resources, "aws:appautoscaling/policy:Policy"):
        config = policy.inputs["targetTrackingScalingPolicyConfiguration"]
        assert config["targetValue"] == 70
        assert config["predefinedMetricSpecification"]["predefinedMetricType"] == "RDSReaderAverageCPUUtilization"


def test_production_protects_shards_and_keeps_final_snapshots():
    prod = record(lambda: _database("growth", protect=True))
    for cluster in children_of(prod, "aws:rds/cluster:Cluster"):
        assert cluster.protect and cluster.inputs["deletionProtection"] is True
        assert cluster.inputs["skipFinalSnapshot"] is False
        assert cluster.inputs["finalSnapshotIdentifier"] == f"{cluster.inputs['clusterIdentifier']}-final"
    dev = record(lambda: _database("growth", protect=False))
    for cluster in children_of(dev, "aws:rds/cluster:Cluster"):
        assert not cluster.protect and cluster.inputs["skipFinalSnapshot"] is True


def test_global_database_shards_use_write_only_passwords():
    resources = record(lambda: _database("enterprise", shards=2))
    globals_ = children_of(resources, "aws:rds/globalCluster:GlobalCluster")
    assert len(globals_) == 2 and all(g.inputs["storageEncrypted"] for g in globals_)
    for cluster in children_of(resources, "aws:rds/cluster:Cluster"):
        # RDS cannot manage master passwords for global database members.
        assert "manageMasterUserPassword" not in cluster.inputs and "masterPassword" not in cluster.inputs
        assert cluster.inputs["masterPasswordWoVersion"] == 1 and cluster.inputs["globalClusterIdentifier"]


def test_shard_map_matches_the_created_clusters():
    plan = cached_plan("staging")
    (parameter,) = plan.run.of_type("aws:ssm/parameter:Parameter")
    shard_map = ShardMap.from_json(parameter.inputs["value"])
    clusters = {c.outputs["clusterIdentifier"]: c for c in plan.run.of_type("aws:rds/cluster:Cluster")}
    assert len(shard_map.shards) == len(clusters) == 2
    for entry in shard_map.shards:
        cluster = clusters[f"tierstack-staging-use1-db-{entry.shard:02d}"]
        assert (entry.writer, entry.reader) == (cluster.outputs["endpoint"], cluster.outputs["readerEndpoint"])
        assert entry.secret_arn == cluster.outputs["masterUserSecrets"][0]["secretArn"]
    (config_map,) = [r for r in plan.resources if r.type == "kubernetes:core/v1:ConfigMap"
                     and r.inputs["metadata"]["name"] == "shard-map"]
    assert config_map.inputs["data"]["shard-map.json"] == parameter.inputs["value"]
    assert parameter.inputs["name"] == "/tierstack/staging/us-east-1/shard-map"


def test_services_reach_exactly_the_stores_they_use():
    plan = cached_plan("staging")
    deployments = {r.inputs["metadata"]["name"]: r for r in plan.resources
                   if r.type == "kubernetes:apps/v1:Deployment"}

    def env(name):
        return {e["name"]: e.get("value") for e in deployments[name].inputs["spec"]["template"]["spec"]["containers"][0]["env"]}

    for name in ("auth", "conversation", "memory", "worker"):
        assert env(name)["SHARD_MAP_PATH"] == "/etc/tierstack/shard-map.json"
    for name in ("conversation", "model", "memory", "worker"):
        assert env(name)["CACHE_TLS"] == "true" and env(name)["CACHE_DEFAULT_TTL_SECONDS"] == "3600"
    assert "SHARD_MAP_PATH" not in env("model") and "CACHE_HOST" not in env("auth")
    assert "CACHE_HOST" not in env("monitoring") and "SHARD_MAP_PATH" not in env("monitoring")
    policies = {r.name.split("-agents-")[1].removesuffix("-irsa-policy"): json.loads(r.inputs["policy"])
                for r in plan.resources if r.type == "aws:iam/rolePolicy:RolePolicy" and "-agents-" in r.name
                and r.name.endswith("-irsa-policy")}
    secrets = {name: {arn for s in doc["Statement"] if "secretsmanager:GetSecretValue" in s["Action"] for arn in s["Resource"]}
               for name, doc in policies.items()}
    cache_secret = next(r.outputs["arn"] for r in plan.resources if r.type == "aws:secretsmanager/secret:Secret")
    assert cache_secret in secrets["model"] and len(secrets["model"]) == 1
    assert cache_secret not in secrets["auth"] and len(secrets["auth"]) == 2  # the two shard secrets


def test_data_security_groups_admit_only_the_cluster():
    plan = cached_plan("staging")
    cluster_sg = plan.run.of_type("aws:eks/cluster:Cluster")[0].outputs["vpcConfig"]["clusterSecurityGroupId"]
    data_groups = [g for g in plan.run.of_type("aws:ec2/securityGroup:SecurityGroup")
                   if g.name.endswith(("-cache-sg", "-db-sg"))]
    assert len(data_groups) == 2
    for group in data_groups:
        (rule,) = group.inputs["ingress"]
        assert rule["securityGroups"] == [cluster_sg]


def test_disaster_recovery_secondaries_live_in_the_next_region():
    plan = cached_plan("dev", "enterprise")
    providers = {f"{p.urn}::{p.id}": p.inputs["region"] for p in plan.providers if p.type == "pulumi:providers:aws"}
    secondaries = [c for c in plan.run.of_type("aws:rds/cluster:Cluster") if "-dr-" in c.name]
    primaries = [c for c in plan.run.of_type("aws:rds/cluster:Cluster") if "-dr-" not in c.name]
    assert len(secondaries) == len(primaries) == 10 * 3
    for secondary in secondaries:
        assert "masterUsername" not in secondary.inputs and secondary.inputs["globalClusterIdentifier"]
        source_code, target_code = secondary.name.split("-db-dr-")[0].split("-")[-1], secondary.name.split("-db-dr-")[1][:4]
        assert providers[secondary.provider] != {"use1": "us-east-1"}.get(source_code)
        assert target_code in secondary.inputs["clusterIdentifier"]
