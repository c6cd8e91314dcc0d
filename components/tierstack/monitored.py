"""What a component hands to observability so its resources are watched: their identifiers.

The component that creates a resource knows its identifier and shape; observability (the
CloudWatch alarms, the exporter's selectors, the dashboards) reads these instead of reaching
into another component's children. ``CacheTier.monitored``, ``ShardedDatabase.monitored`` and
``RequestQueue.monitored`` give them for tierstack's own resources; build them for your own.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from tierstack.config.model import CacheSettings


@dataclass(frozen=True)
class AuroraCluster:
    """One Aurora cluster, by identifier (CloudWatch's DBClusterIdentifier)."""

    identifier: pulumi.Input[str]
    # A global database's secondary in another region: also watched for how far it trails the primary.
    global_secondary: bool = False


@dataclass(frozen=True)
class CacheGroup:
    """A replication group and its shape, from which its node ids follow.

    ElastiCache names member nodes <group>-001, -002 ... and, in cluster mode,
    <group>-0001-001 (shard, then node); CloudWatch reports per node (CacheClusterId).
    """

    replication_group_id: pulumi.Input[str]
    cluster_mode: bool = False
    shards: int = 1
    replicas_per_shard: int = 1

    @classmethod
    def from_settings(cls, replication_group_id: pulumi.Input[str], cache: CacheSettings) -> "CacheGroup":
        return cls(replication_group_id, cache.cluster_mode, cache.shards if cache.cluster_mode else 1,
                   cache.replicas_per_shard)

    def node_suffixes(self) -> list[list[str]]:
        """Per shard, the suffixes of its nodes' ids."""
        nodes = range(1, 2 + self.replicas_per_shard)
        if not self.cluster_mode:
            return [[f"-{n:03d}" for n in nodes]]
        return [[f"-{s:04d}-{n:03d}" for n in nodes] for s in range(1, self.shards + 1)]

    def node_ids(self) -> list[pulumi.Output[str]]:
        return [pulumi.Output.concat(self.replication_group_id, suffix)
                for shard in self.node_suffixes() for suffix in shard]


@dataclass(frozen=True)
class QueuePair:
    """A request queue and its dead-letter queue, by name (CloudWatch's QueueName)."""

    queue_name: pulumi.Input[str]
    dead_letter_queue_name: pulumi.Input[str]
