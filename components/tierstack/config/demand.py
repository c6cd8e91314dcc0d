"""What a stack will hold in each region, counted against the account's service quotas.

``regional_demand`` counts, from a validated ``StackConfig``, what each region will use of every
quota in ``tierstack.catalog.quotas.SERVICE_QUOTAS`` at its ceiling (autoscaling included); the
config rules compare it with ``tierstack:quotas`` before anything is created. Pure arithmetic.
"""

from __future__ import annotations

from tierstack.config.model import StackConfig


def dr_secondary_instances(readers_per_shard: int) -> int:
    """Instances of one shard's disaster-recovery secondary (what ShardedDatabaseReplica builds)."""
    return max(1, min(2, readers_per_shard))


def hosted_secondaries(config: StackConfig) -> dict[str, int]:
    """How many other regions' shard sets each region holds secondaries of (their DR partner)."""
    hosted = {region: 0 for region in config.regions}
    if config.data.database.global_database and len(config.regions) >= 2:
        for region in config.regions:
            hosted[config.data.database.dr_region_for(region, config.regions)] += 1
    return hosted


def regional_demand(config: StackConfig) -> dict[str, dict[str, int]]:
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


def demand_reason(config: StackConfig, key: str, region: str = "") -> str:
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
