"""The data tier: Redis-compatible cache, sharded Aurora PostgreSQL, and the published shard map."""

from tierstack.data.cache import CacheTier, CacheTierArgs
from tierstack.data.database import ShardedDatabase, ShardedDatabaseArgs

__all__ = ["CacheTier", "CacheTierArgs", "ShardedDatabase", "ShardedDatabaseArgs"]
