"""Per-region service quotas a stack uses, and the defaults a new AWS account starts with.

A quota is counted per account and region, across every stack in that account, so a stack that
fits the tier's shape can still stop half-way through ``pulumi up`` when RDS refuses the 41st
instance. ``regional_demand`` counts what this stack will hold in each region at its ceiling
(autoscaling included); the config rules compare it with ``tierstack:quotas`` before anything is
created. Pure arithmetic: no Pulumi, no AWS calls (the account's real quotas are the user's to set).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tierstack.config.model import StackConfig


@dataclass(frozen=True)
class ServiceQuota:
    service: str  # the Service Quotas service code
    code: str
    name: str  # as the Service Quotas console names it
    default: int  # what a new account gets
    unit: str  # what the stack consumes, for messages


# Keys are the camelCase fields of ``tierstack:quotas``. Codes and defaults: AWS Service Quotas
# console names; defaults from the service's "endpoints and quotas" pages of the AWS General
# Reference (https://docs.aws.amazon.com/general/latest/gr/aws-general.pdf, sections rds, vpc,
# ec2, eks, elasticache) and, for elasticacheNodesPerCluster, the ElastiCache User Guide's
# "Working with shards" (https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Shards.html).
# Consulted 2026-11-30; the codes are the ones Service Quotas' GetServiceQuota takes.
SERVICE_QUOTAS: dict[str, ServiceQuota] = {
    "rdsDbInstances": ServiceQuota("rds", "L-7B6409FD", "DB instances", 40, "Aurora DB instances"),
    "rdsDbClusters": ServiceQuota("rds", "L-952B80B8", "DB clusters", 40, "Aurora DB clusters"),
    "elasticacheNodes": ServiceQuota("elasticache", "L-DFE45DF3", "Nodes per Region", 300, "ElastiCache nodes"),
    "elasticacheNodesPerCluster": ServiceQuota(
        "elasticache", "L-AF354865", "Nodes per cluster (cluster mode enabled)", 90, "nodes in the cache cluster"),
    "vpcs": ServiceQuota("vpc", "L-F678F1CE", "VPCs per Region", 5, "VPCs"),
    "elasticIps": ServiceQuota("ec2", "L-0263D0A3", "EC2-VPC Elastic IPs", 5, "Elastic IPs"),
    "natGatewaysPerAz": ServiceQuota("vpc", "L-FE5A380F", "NAT gateways per Availability Zone", 5, "NAT gateways per AZ"),
    "eksClusters": ServiceQuota("eks", "L-1194D53C", "Clusters", 100, "EKS clusters"),
}


def dr_secondary_instances(readers_per_shard: int) -> int:
    """Instances of one shard's disaster-recovery secondary (what ShardedDatabaseReplica builds)."""
    return max(1, min(2, readers_per_shard))


def hosted_secondaries(config: "StackConfig") -> dict[str, int]:
    """How many other regions' shard sets each region holds secondaries of (their DR partner)."""
    hosted = {region: 0 for region in config.regions}
    if config.data.database.global_database and len(config.regions) >= 2:
        for region in config.regions:
            hosted[config.data.database.dr_region_for(region, config.regions)] += 1
    return hosted


def regional_demand(config: "StackConfig") -> dict[str, dict[str, int]]:
    """For each region of the stack, how much of each quota in ``SERVICE_QUOTAS`` it will use."""
    database, cache, network = config.data.database, config.data.cache, config.network
    regions = list(config.regions)
    # Application Auto Scaling may add readers up to maxReaders, so the quota has to fit the
    # ceiling, not the starting count.
    readers_ceiling = max(database.readers_per_shard, database.reader_autoscaling.max_readers)
    cell_instances = database.shards * (1 + readers_ceiling)
    hosted = hosted_secondaries(config)
    cache_nodes = (cache.shards if cache.cluster_mode else 1) * (1 + cache.replicas_per_shard)
    nat_gateways = network.az_count if network.nat_gateways == "perAz" else 1
    return {
        region: {
            "rdsDbInstances": cell_instances + database.shards * hosted[region] * dr_secondary_instances(
                database.readers_per_shard),
            "rdsDbClusters": database.shards * (1 + hosted[region]),
            "elasticacheNodes": cache_nodes,
            "elasticacheNodesPerCluster": cache_nodes if cache.cluster_mode else 0,
            "vpcs": 1,
            "elasticIps": nat_gateways,
            "natGatewaysPerAz": 1,
            "eksClusters": 1,
        }
        for region in regions
    }


def demand_reason(config: "StackConfig", key: str, region: str = "") -> str:
    """Where a region's demand for ``key`` comes from, in the config's own terms."""
    database, cache = config.data.database, config.data.cache
    hosted = hosted_secondaries(config).get(region, 0) if region else 0
    if key == "rdsDbInstances":
        ceiling = max(database.readers_per_shard, database.reader_autoscaling.max_readers)
        text = f"{database.shards} shards x (1 writer + {ceiling} readers at the readerAutoscaling.maxReaders ceiling)"
        if hosted:
            text += (f" + {database.shards * hosted} disaster-recovery secondaries of other regions' shards x "
                     f"{dr_secondary_instances(database.readers_per_shard)} instances")
        return text
    if key == "rdsDbClusters":
        text = f"{database.shards} shard clusters"
        if hosted:
            text += f" + {database.shards * hosted} disaster-recovery secondary clusters"
        return text
    if key in ("elasticacheNodes", "elasticacheNodesPerCluster"):
        shards = cache.shards if cache.cluster_mode else 1
        return f"{shards} shards x (1 primary + {cache.replicas_per_shard} replicas)"
    if key == "elasticIps":
        return f"one per NAT gateway (natGateways: {config.network.nat_gateways}, azCount: {config.network.az_count})"
    return "one per regional cell"
