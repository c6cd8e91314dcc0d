"""User sharding: which database shard holds a user, and the shard map services read.

Pure Python, no Pulumi. Jump consistent hash (Lamping and Veach, 2014) maps a 64-bit key to
one of N buckets so that growing to N+1 moves only the ~1/(N+1) of keys that land in the new
bucket; nothing reshuffles between the existing shards. The key is a keyed-free BLAKE2b digest
of the user id, not Python's hash(), which is salted per process.

Adding a shard: raise data.database.shards by one and deploy (the new cluster and its entry in
the shard map appear), copy the users whose shard_for(id, N+1) is the new shard (about 1/(N+1)
of them, all from existing shards) while dual-writing, then have services load the new map.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

_JUMP_MULTIPLIER = 2862933555777941757
_MASK_64 = (1 << 64) - 1
SHARD_MAP_VERSION = 1


def user_key(user_id: str) -> int:
    """A stable 64-bit key for a user id, identical in every process and on every machine."""
    return int.from_bytes(hashlib.blake2b(user_id.encode("utf-8"), digest_size=8).digest(), "big")


def jump_hash(key: int, buckets: int) -> int:
    if buckets < 1:
        raise ValueError(f"need at least one bucket, got {buckets}")
    key &= _MASK_64
    bucket, candidate = -1, 0
    while candidate < buckets:
        bucket = candidate
        key = (key * _JUMP_MULTIPLIER + 1) & _MASK_64
        candidate = int((bucket + 1) * ((1 << 31) / ((key >> 33) + 1)))
    return bucket


def shard_for(user_id: str, shard_count: int) -> int:
    return jump_hash(user_key(user_id), shard_count)


@dataclass(frozen=True)
class ShardEndpoint:
    shard: int
    writer: str
    reader: str
    port: int
    database: str
    # Services sign in with IAM database authentication (a token from rds generate-db-auth-token
    # for their own user), never with the master secret.
    iam_auth: bool = True


@dataclass(frozen=True)
class ShardMap:
    """What services need to reach a user's shard; published as JSON (ConfigMap and SSM)."""

    region: str
    shards: tuple[ShardEndpoint, ...]

    def route(self, user_id: str) -> ShardEndpoint:
        return self.shards[shard_for(user_id, len(self.shards))]

    def to_json(self) -> str:
        return json.dumps({"version": SHARD_MAP_VERSION, "region": self.region,
                           "shards": [asdict(s) for s in self.shards]}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ShardMap":
        document = json.loads(text)
        if document.get("version") != SHARD_MAP_VERSION:
            raise ValueError(f"unsupported shard map version {document.get('version')!r}")
        shards = tuple(ShardEndpoint(**entry) for entry in document["shards"])
        if [s.shard for s in shards] != list(range(len(shards))):
            raise ValueError("shard map entries must be numbered 0..N-1 in order")
        return cls(region=document["region"], shards=shards)


def shard_map_document(region: str, entries: Sequence[Mapping[str, Any]]) -> str:
    """The JSON for resolved shard entries (as the component builds them from cluster outputs)."""
    return ShardMap(region=region, shards=tuple(ShardEndpoint(**dict(e)) for e in entries)).to_json()
