"""ElastiCache and Aurora PostgreSQL values are checked against what AWS offers, not a regex:
a near miss fails with the key, the value, a did-you-mean and the fix, before anything is created."""

import pytest

from tierstack.catalog import data_services
from tierstack.config import StackConfigError, build_stack_config
from tierstack.config.model import CacheSettings, DatabaseSettings
from tierstack.config.tiers import PRESETS


def _data(cache=None, database=None, tier="growth"):
    data = {}
    if cache is not None:
        data["cache"] = cache
    if database is not None:
        data["database"] = database
    return {"tier": tier, "overrides": {"data": data}}


BAD = [
    # (case id, raw config, expected path, words expected in the problem or fix)
    ("cache-node-type-invented-size", _data(cache={"nodeType": "cache.m6i.huge"}),
     "tierstack:overrides.data.cache.nodeType", ["'cache.m6i.huge'", "not an ElastiCache node type", "cache.r7g.large"]),
    ("cache-node-type-typo", _data(cache={"nodeType": "cache.r7g.xlarg"}),
     "tierstack:overrides.data.cache.nodeType", ["did you mean 'cache.r7g.xlarge'"]),
    ("cache-node-type-valkey-only", _data(cache={"engine": "redis", "engineVersion": "7.1", "nodeType": "cache.r8g.large"}),
     "tierstack:overrides.data.cache.nodeType", ["for redis", "offered for valkey only"]),
    ("cache-node-type-previous-generation", _data(cache={"nodeType": "cache.t2.medium"}),
     "tierstack:overrides.data.cache.nodeType", ["not an ElastiCache node type"]),
    ("cache-engine-version-unknown", _data(cache={"engineVersion": "8.3"}),
     "tierstack:overrides.data.cache.engineVersion", ["'8.3'", "valkey", "7.2, 8.0, 8.1, 8.2", "ELASTICACHE_ENGINE_VERSIONS"]),
    ("cache-engine-version-other-engine", _data(cache={"engine": "redis", "engineVersion": "8.2"}),
     "tierstack:overrides.data.cache.engineVersion", ["redis", "7.0, 7.1"]),
    ("cache-engine-version-float", _data(cache={"engineVersion": 8.0}),
     "tierstack:overrides.data.cache.engineVersion", ["number 8.0", "quote"]),
    ("cache-too-many-replicas", _data(cache={"replicasPerShard": 6}),
     "tierstack:overrides.data.cache.replicasPerShard", ["one primary and at most 5 replicas", "at most 5"]),
    ("cache-group-over-500-nodes", _data(cache={"clusterMode": True, "shards": 200, "replicasPerShard": 2}),
     "tierstack:overrides.data.cache.shards", ["600 nodes", "at most 500", "at most 166 shards"]),
    ("db-class-invented-size", _data(database={"instanceClass": "db.r7g.mega"}),
     "tierstack:overrides.data.database.instanceClass", ["'db.r7g.mega'", "Aurora PostgreSQL DB instance class",
                                                          "db.serverless"]),
    ("db-class-typo", _data(database={"instanceClass": "db.r7g.2xlarg"}),
     "tierstack:overrides.data.database.instanceClass", ["did you mean 'db.r7g.2xlarge'"]),
    ("db-class-mysql-only", _data(database={"instanceClass": "db.t3.small"}),
     "tierstack:overrides.data.database.instanceClass", ["not an Aurora PostgreSQL DB instance class"]),
    ("db-version-unknown-minor", _data(database={"engineVersion": "16.99"}),
     "tierstack:overrides.data.database.engineVersion", ["'16.99'", "Aurora PostgreSQL 16 offers", "16.6", "16.8"]),
    ("db-version-unsupported-major", _data(database={"engineVersion": "13.9"}),
     "tierstack:overrides.data.database.engineVersion", ["14, 15, 16, 17"]),
    ("db-name-hyphen", _data(database={"databaseName": "agents-db"}),
     "tierstack:overrides.data.database.databaseName", ["hyphen", "'agents_db'", "underscores"]),
    ("db-name-postgres", _data(database={"databaseName": "postgres"}),
     "tierstack:overrides.data.database.databaseName", ["already has", "'agents'"]),
    ("db-name-template", _data(database={"databaseName": "template1"}),
     "tierstack:overrides.data.database.databaseName", ["already has"]),
    ("db-name-rdsadmin", _data(database={"databaseName": "RDSADMIN"}),
     "tierstack:overrides.data.database.databaseName", ["already has"]),
    ("db-name-reserved-word", _data(database={"databaseName": "select"}),
     "tierstack:overrides.data.database.databaseName", ["reserved word", "'select_db'"]),
    ("db-name-starts-with-digit", _data(database={"databaseName": "1agents"}),
     "tierstack:overrides.data.database.databaseName", ["starting with a letter", "'db_1agents'"]),
    ("db-name-too-long", _data(database={"databaseName": "a" * 64}),
     "tierstack:overrides.data.database.databaseName", ["1 to 63"]),
    ("db-name-empty", _data(database={"databaseName": ""}),
     "tierstack:overrides.data.database.databaseName", ["1 to 63"]),
]


@pytest.mark.parametrize("raw, path, words", [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_data_values_name_the_key_value_and_fix(raw, path, words):
    with pytest.raises(StackConfigError) as caught:
        build_stack_config(raw, stack="dev")
    matching = [i for i in caught.value.issues if i.path == path]
    assert matching, f"no issue at {path}; got {[i.path for i in caught.value.issues]}"
    text = " ".join(f"{i.problem} {i.fix}" for i in matching)
    for word in words:
        assert word in text, f"{word!r} not in {text!r}"
    assert all(i.fix for i in caught.value.issues) and "Fix:" in str(caught.value)


def test_good_data_values_pass():
    config = build_stack_config(_data(
        cache={"engine": "redis", "engineVersion": "7.1", "nodeType": "cache.c7gn.xlarge",
               "clusterMode": True, "shards": 100, "replicasPerShard": 4},
        database={"engineVersion": "17.7", "instanceClass": "db.serverless", "databaseName": "Agents_2"}), stack="dev")
    assert config.data.cache.family == "redis7" and config.data.database.family == "aurora-postgresql17"
    assert config.data.cache.shards * (1 + config.data.cache.replicas_per_shard) == 500  # exactly the ceiling


@pytest.mark.parametrize("engine, version", sorted(data_services.ELASTICACHE_ENGINE_VERSIONS))
def test_every_catalogued_cache_version_validates_with_its_family(engine, version):
    settings = CacheSettings(engine=engine, engine_version=version, node_type="cache.r7g.large")
    assert settings.family == f"{engine}{version.split('.')[0]}"


@pytest.mark.parametrize("version", data_services.ALL_AURORA_POSTGRES_VERSIONS)
def test_every_catalogued_aurora_version_validates(version):
    assert DatabaseSettings(engine_version=version).family == f"aurora-postgresql{version.split('.')[0]}"


def test_every_catalogued_class_and_node_type_validates():
    for instance_class in data_services.AURORA_POSTGRES_INSTANCE_CLASSES:
        assert DatabaseSettings(instance_class=instance_class).instance_class == instance_class
    for engine, node_types in data_services.ELASTICACHE_NODE_TYPES.items():
        version = data_services.cache_engine_versions(engine)[-1]
        for node_type in node_types:
            assert CacheSettings(engine=engine, engine_version=version, node_type=node_type).node_type == node_type


def test_presets_use_catalogued_values():
    for tier, preset in PRESETS.items():
        cache, database = preset["data"]["cache"], preset["data"]["database"]
        assert cache["nodeType"] in data_services.ELASTICACHE_NODE_TYPES[cache["engine"]], tier
        assert (cache["engine"], cache["engineVersion"]) in data_services.ELASTICACHE_ENGINE_VERSIONS, tier
        assert database["instanceClass"] in data_services.AURORA_POSTGRES_INSTANCE_CLASSES, tier
        assert database["engineVersion"] in data_services.ALL_AURORA_POSTGRES_VERSIONS, tier


def test_catalog_matches_the_documented_shape():
    valkey, redis = data_services.ELASTICACHE_NODE_TYPES["valkey"], data_services.ELASTICACHE_NODE_TYPES["redis"]
    assert {"cache.t3.micro", "cache.t4g.medium", "cache.m5.24xlarge", "cache.r6gd.xlarge", "cache.c7gn.16xlarge"} <= redis
    assert "cache.r6gd.large" not in valkey  # data tiering starts at xlarge
    assert not any(t.startswith("cache.t2.") for t in valkey)  # no new T2 clusters
    assert {t for t in valkey - redis} == {t for t in valkey if t.split(".")[1] in ("m8g", "r8g", "c8gn")}
    assert {"db.t3.medium", "db.t4g.large", "db.r8g.48xlarge", "db.x2g.16xlarge", "db.serverless"} \
        <= data_services.AURORA_POSTGRES_INSTANCE_CLASSES
    assert set(data_services.AURORA_POSTGRES_VERSIONS) == {"14", "15", "16", "17"}
    assert "16.6" in data_services.AURORA_POSTGRES_VERSIONS["16"]
