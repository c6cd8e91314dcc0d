"""The data tier: Redis-compatible cache, sharded Aurora PostgreSQL, its users, and the published shard map."""

from tierstack.data.bootstrap import DatabaseUsers, DatabaseUsersArgs
from tierstack.data.cache import CacheTier, CacheTierArgs
from tierstack.data.database import (
    ShardedDatabase, ShardedDatabaseArgs, ShardedDatabaseReplica, ShardedDatabaseReplicaArgs, database_user,
)
from tierstack.data.placement import Placement

__all__ = ["CacheTier", "CacheTierArgs", "DatabaseUsers", "DatabaseUsersArgs", "Placement", "ShardedDatabase",
           "ShardedDatabaseArgs", "ShardedDatabaseReplica", "ShardedDatabaseReplicaArgs", "database_user"]
