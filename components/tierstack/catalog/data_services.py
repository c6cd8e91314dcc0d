"""What ElastiCache and Aurora PostgreSQL accept, so a typo fails here instead of mid-deploy.

A plausible-looking node type (``cache.m6i.huge``), instance class (``db.r7g.mega``) or engine
version (``16.99``) passes a shape check and then fails in the middle of ``pulumi up``, after the
VPC and the cluster already exist. The tables below are the values AWS documents; a value AWS adds
later is rejected with a message naming this module, so adding it is a one-line change.
"""

from __future__ import annotations

import itertools

# -- ElastiCache (Valkey and Redis OSS, node-based clusters) --------------------------------

# Source: Amazon ElastiCache User Guide, "Supported node types", sections "Current Generation
# (Valkey)" and "Current Generation (Redis OSS)":
# https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheNodes.SupportedTypes.html
# (stored copy consulted 2026-11-30). T2 is left out: the same page says new clusters can no
# longer be created on it. m8g, r8g and c8gn appear only in the Valkey tables.
_STANDARD_SIZES = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
_CACHE_FAMILY_SIZES: dict[str, tuple[str, ...]] = {
    "t3": ("micro", "small", "medium"),
    "t4g": ("micro", "small", "medium"),
    "m4": ("large", "xlarge", "2xlarge", "4xlarge", "10xlarge"),
    "m5": ("large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"),
    "m6g": _STANDARD_SIZES,
    "m7g": _STANDARD_SIZES,
    "m8g": _STANDARD_SIZES,
    "r4": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge"),
    "r5": ("large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"),
    "r6g": _STANDARD_SIZES,
    "r6gd": ("xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
    "r7g": _STANDARD_SIZES,
    "r8g": _STANDARD_SIZES,
    "c7gn": _STANDARD_SIZES,
    "c8gn": _STANDARD_SIZES,
}
_VALKEY_ONLY_FAMILIES = frozenset({"m8g", "r8g", "c8gn"})


def _cache_types(families: object) -> frozenset[str]:
    return frozenset(f"cache.{family}.{size}" for family in families for size in _CACHE_FAMILY_SIZES[family])


ELASTICACHE_NODE_TYPES: dict[str, frozenset[str]] = {
    "valkey": _cache_types(_CACHE_FAMILY_SIZES),
    "redis": _cache_types(f for f in _CACHE_FAMILY_SIZES if f not in _VALKEY_ONLY_FAMILIES),
}

# Engine versions tierstack deploys, with the parameter-group family each needs (ElastiCache
# rejects a parameter group of another family). Source: Amazon ElastiCache User Guide, "Engine
# versions and upgrading" and "Engine specific parameters" (Valkey 8.2/8.1/8.0 parameter changes:
# "Parameter group family: valkey8"; "Valkey 7.2 and Redis OSS 7 parameter changes"):
# https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/ParameterGroups.Engine.html
# (consulted 2026-11-30). Valkey 9.x exists by now but is not listed: its family is unverified.
ELASTICACHE_ENGINE_VERSIONS: dict[tuple[str, str], str] = {
    ("valkey", "7.2"): "valkey7",
    ("valkey", "8.0"): "valkey8",
    ("valkey", "8.1"): "valkey8",
    ("valkey", "8.2"): "valkey8",
    ("redis", "7.0"): "redis7",
    ("redis", "7.1"): "redis7",
}

# Source: Amazon ElastiCache User Guide, "Managing clusters" and "Working with shards": a shard
# holds one primary and up to five replicas; a cluster-mode replication group can be raised to at
# most 500 nodes (Valkey 7.2+ / Redis OSS 5.0.6+), and that ceiling cannot be raised further.
# https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Clusters.html (consulted 2026-11-30).
ELASTICACHE_MAX_REPLICAS_PER_SHARD = 5
ELASTICACHE_MAX_NODES_PER_REPLICATION_GROUP = 500


def cache_engine_versions(engine: str) -> tuple[str, ...]:
    return tuple(version for (name, version) in ELASTICACHE_ENGINE_VERSIONS if name == engine)


def cache_parameter_family(engine: str, version: str) -> str | None:
    return ELASTICACHE_ENGINE_VERSIONS.get((engine, version))


# -- Aurora PostgreSQL -----------------------------------------------------------------------

# Source: Amazon Aurora User Guide, "Supported DB engines for DB instance classes" (families
# offered to Aurora PostgreSQL) and "Hardware specifications for DB instance classes for Aurora"
# (sizes per family):
# https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.DBInstanceClass.SupportAurora.html
# https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.DBInstanceClass.Summary.html
# (consulted 2026-11-30). db.t3.small is Aurora MySQL only. The Optimized Reads classes (r6gd,
# r6id, r8gd) are not listed: their Aurora PostgreSQL support could not be confirmed here.
_DB_FAMILY_SIZES: dict[str, tuple[str, ...]] = {
    "t3": ("medium", "large"),
    "t4g": ("medium", "large"),
    "r5": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"),
    "r6g": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
    "r6i": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"),
    "r7g": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
    "r7i": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"),
    "r8g": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"),
    "x2g": ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"),
}
AURORA_POSTGRES_INSTANCE_CLASSES: frozenset[str] = frozenset(
    [f"db.{family}.{size}" for family, sizes in _DB_FAMILY_SIZES.items() for size in sizes] + ["db.serverless"]
)

# Minor versions per major. Source: Aurora PostgreSQL Release Notes, "Release calendars for
# Aurora PostgreSQL" (minor versions table):
# https://docs.aws.amazon.com/AmazonRDS/latest/AuroraPostgreSQLReleaseNotes/aurorapostgresql-release-calendar.html
# The first group per major is the December 2025 calendar; the second, the releases the 2026
# calendar adds (stored copies consulted 2026-11-30). 16.6 (the presets' version), 16.4, 15.8,
# 14.13 and 14.15 were scheduled to leave standard support in May 2026.
AURORA_POSTGRES_VERSIONS: dict[str, tuple[str, ...]] = {
    "14": ("14.6", "14.13", "14.15", "14.17", "14.18", "14.19", "14.20") + ("14.22", "14.23"),
    "15": ("15.8", "15.10", "15.12", "15.13", "15.14", "15.15") + ("15.17", "15.18"),
    "16": ("16.4", "16.6", "16.8", "16.9", "16.10", "16.11") + ("16.13", "16.14"),
    "17": ("17.4", "17.5", "17.6", "17.7") + ("17.9", "17.10"),
}
ALL_AURORA_POSTGRES_VERSIONS: tuple[str, ...] = tuple(itertools.chain.from_iterable(AURORA_POSTGRES_VERSIONS.values()))

# DatabaseName rules. Source: Amazon RDS API Reference, CreateDBCluster, DatabaseName (Aurora
# PostgreSQL: "1 to 63 letters, numbers, or underscores", "must begin with a letter", "can't be a
# word reserved by the database engine"):
# https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html
# (consulted 2026-11-30). The names below exist on every cluster already: postgres, the two
# templates, and RDS's own administration database.
AURORA_DATABASE_NAME_MAX = 63
POSTGRES_EXISTING_DATABASES = frozenset({"postgres", "template0", "template1", "rdsadmin"})
# PostgreSQL's fully reserved key words ("reserved" column of Appendix C, "SQL Key Words";
# RESERVED_KEYWORD entries of src/include/parser/kwlist.h):
# https://www.postgresql.org/docs/current/sql-keywords-appendix.html (consulted 2026-11-30).
POSTGRES_RESERVED_WORDS = frozenset({
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both", "case", "cast",
    "check", "collate", "column", "constraint", "create", "current_catalog", "current_date", "current_role",
    "current_time", "current_timestamp", "current_user", "default", "deferrable", "desc", "distinct", "do",
    "else", "end", "except", "false", "fetch", "for", "foreign", "from", "grant", "group", "having", "in",
    "initially", "intersect", "into", "lateral", "leading", "limit", "localtime", "localtimestamp", "not",
    "null", "offset", "on", "only", "or", "order", "placing", "primary", "references", "returning", "select",
    "session_user", "some", "symmetric", "system_user", "table", "then", "to", "trailing", "true", "union",
    "unique", "user", "using", "variadic", "when", "where", "window", "with",
})
