"""The data tier: Redis-compatible cache, sharded Aurora PostgreSQL, and the published shard map."""

from tierstack.data.cache import CacheTier, CacheTierArgs
from tierstack.data.database import ShardedDatabase, ShardedDatabaseArgs
from tierstack.data.placement import Placement

__all__ = ["CacheTier", "CacheTierArgs", "Placement", "ShardedDatabase", "ShardedDatabaseArgs"]
