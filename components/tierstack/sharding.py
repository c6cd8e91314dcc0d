"""User sharding: which database shard holds a user, and the shard map services read.

Pure Python, no Pulumi. Jump consistent hash (Lamping and Veach, 2014) maps a 64-bit key to
one of N buckets so that growing to N+1 moves only the ~1/(N+1) of keys that land in the new
bucket; nothing reshuffles between the existing shards. The key is a keyed-free BLAKE2b digest
of the user id, not Python's hash(), which is salted per process.

Shards are added in two phases, so that no user is ever routed to an empty shard. Each entry of
the map has a ``state``: ``active`` shards are routed; a ``provisioning`` shard exists and
receives copies of the users that will move to it, but no user is routed to it. Routing hashes
over the active shards only, which must be shards 0..K-1 (jump hash needs contiguous buckets),
so a provisioning shard is always numbered after every active one.

Adding shard N to N active shards (README, "The data tier"):
1. create: ``shards: N+1`` with ``activeShards: N``, deploy; shard N is published as
   provisioning and routing is unchanged;
2. copy: dual-write and backfill the users for whom ``shard_for(id, N+1) == N``
   (``ShardMap.copy_target`` names their new shard);
3. activate: ``activeShards: N+1`` (or remove the key), deploy; services reload the map;
4. clean up: delete the moved users' rows from their old shards.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Mapping, Optional, Sequence, get_args

_JUMP_MULTIPLIER = 2862933555777941757
_MASK_64 = (1 << 64) - 1
SHARD_MAP_VERSION = 1

ShardState = Literal["active", "provisioning"]
SHARD_STATES: tuple[str, ...] = get_args(ShardState)
ACTIVE: ShardState = "active"
PROVISIONING: ShardState = "provisioning"


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
    # "active": users are routed here. "provisioning": the shard exists and receives copies of
    # the users that will move to it, but nobody is routed here until it is activated.
    state: ShardState = ACTIVE

    def __post_init__(self) -> None:
        if self.state not in SHARD_STATES:
            raise ValueError(f"shard {self.shard} has state {self.state!r}; a shard is one of {', '.join(SHARD_STATES)}")

    @property
    def active(self) -> bool:
        return self.state == ACTIVE


@dataclass(frozen=True)
class ShardMap:
    """What services need to reach a user's shard; published as JSON (ConfigMap and SSM).

    Entries are numbered 0..N-1 in order; the first K (K >= 1) are active and the rest are
    provisioning. ``route`` hashes over the K active shards only.
    """

    region: str
    shards: tuple[ShardEndpoint, ...]
    _active_count: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        numbers = [s.shard for s in self.shards]
        if numbers != list(range(len(numbers))):
            raise ValueError(f"shard map entries must be numbered 0..N-1 in order, got {numbers}")
        states = [s.state for s in self.shards]
        active_count = states.count(ACTIVE)
        if active_count == 0:
            raise ValueError("a shard map needs at least one active shard to route users to")
        if states[:active_count] != [ACTIVE] * active_count:
            early = next(s.shard for s in self.shards if not s.active)
            raise ValueError(
                f"shard {early} is provisioning but a later shard is active: the active shards must be exactly "
                f"0..K-1 (jump hash routes over contiguous buckets), so a provisioning shard is numbered after every "
                f"active one (states in order: {states})")
        object.__setattr__(self, "_active_count", active_count)

    @property
    def active(self) -> tuple[ShardEndpoint, ...]:
        """The shards users are routed to: 0..K-1."""
        return self.shards[:self._active_count]

    @property
    def provisioning(self) -> tuple[ShardEndpoint, ...]:
        """Shards that exist and receive copies but are not routed yet: K..N-1."""
        return self.shards[self._active_count:]

    def route(self, user_id: str) -> ShardEndpoint:
        """The active shard that holds ``user_id``; never a provisioning one."""
        return self.shards[shard_for(user_id, self._active_count)]

    def copy_target(self, user_id: str) -> Optional[ShardEndpoint]:
        """The provisioning shard ``user_id`` moves to when this map's shards are all activated, else None.

        While shards are provisioning, a service writes such a user to ``route(user_id)`` and to
        this shard (dual write), and the backfill copies exactly the users for whom it is not None.
        Jump hash only ever moves a user to a new bucket, so everyone else stays where they are.
        """
        if self._active_count == len(self.shards):
            return None
        target = shard_for(user_id, len(self.shards))
        return self.shards[target] if target >= self._active_count else None

    def to_json(self) -> str:
        # "active" is the default and is left out, so a map with every shard active is byte-for-byte
        # the document earlier releases published: upgrading tierstack changes neither the ConfigMap
        # nor the SSM parameter, and a reader built before states existed still loads it. A reader
        # that old fails on a provisioning entry (unknown key) instead of routing users to it.
        entries = []
        for endpoint in self.shards:
            entry = asdict(endpoint)
            if endpoint.active:
                del entry["state"]
            entries.append(entry)
        return json.dumps({"version": SHARD_MAP_VERSION, "region": self.region, "shards": entries}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ShardMap":
        """Load a published map; an entry without ``state`` is active (documents before states existed)."""
        document = json.loads(text)
        if document.get("version") != SHARD_MAP_VERSION:
            raise ValueError(f"unsupported shard map version {document.get('version')!r}")
        try:
            shards = tuple(ShardEndpoint(**entry) for entry in document["shards"])
        except TypeError as error:
            raise ValueError(f"malformed shard map entry: {error}") from None
        return cls(region=document["region"], shards=shards)


def shard_map_document(region: str, entries: Sequence[Mapping[str, Any]], active_count: Optional[int] = None) -> str:
    """The JSON for resolved shard entries (as the component builds them from cluster outputs).

    With ``active_count`` K, entries 0..K-1 are active and the rest provisioning, whatever states
    the entries carry; without it, each entry keeps its own ``state`` (active when absent).
    """
    if active_count is not None and not 1 <= active_count <= len(entries):
        raise ValueError(f"active_count must be between 1 and the {len(entries)} shards, got {active_count}")
    shards = []
    for entry in entries:
        entry = dict(entry)
        if active_count is not None:
            entry["state"] = ACTIVE if entry["shard"] < active_count else PROVISIONING
        shards.append(ShardEndpoint(**entry))
    return ShardMap(region=region, shards=tuple(shards)).to_json()
