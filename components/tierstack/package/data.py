"""``CacheTier`` and ``ShardedDatabase`` for other languages, placed in a VPC the caller names."""

import json
from typing import Any, Optional

import pulumi
from typing_extensions import NotRequired, TypedDict

from tierstack.config.tiers import Tier
from tierstack.data import CacheTier as BuiltCacheTier
from tierstack.data import CacheTierArgs as BuiltCacheTierArgs
from tierstack.data import Placement as BuiltPlacement
from tierstack.data import ShardedDatabase as BuiltShardedDatabase
from tierstack.data import ShardedDatabaseArgs as BuiltShardedDatabaseArgs
from tierstack.data.cache import PORT as CACHE_PORT
from tierstack.package.base import PackageComponent, all_of, listed, same_as
from tierstack.package.settings import component_settings
from tierstack.sharding import shard_map_document


class Placement(TypedDict):
    """Where a data store lives in a VPC, and who may connect to it."""

    vpc_id: pulumi.Input[str]
    """The existing VPC the data tier runs in."""
    subnet_ids: list[pulumi.Input[str]]
    """Data subnets, one per AZ: no route to the internet."""
    availability_zones: list[pulumi.Input[str]]
    """The subnets' AZs, in the same order as subnet_ids."""
    client_security_group_ids: list[pulumi.Input[str]]
    """Who may connect: the EKS cluster security group (nodes and pods)."""


def built_placement(placement: Placement) -> BuiltPlacement:
    return BuiltPlacement(
        vpc_id=placement["vpc_id"],
        subnet_ids=listed(placement["subnet_ids"], "placement.subnetIds"),
        availability_zones=listed(placement["availability_zones"], "placement.availabilityZones"),
        client_security_group_ids=listed(placement["client_security_group_ids"], "placement.clientSecurityGroupIds"))


class CacheTierArgs(TypedDict):
    tier: Tier
    """The scale tier whose preset sizes this component: pilot, growth, scale, enterprise or hyperscale."""
    overrides: NotRequired[dict[str, Any]]
    """Cache settings that differ from the tier's preset, in camelCase as under tierstack:overrides.data.cache in a stack file (docs/configuration.md), e.g. {"shards": 2}; checked as a stack file's are."""
    placement: Placement
    """Where the cache runs: VPC, data subnets and the client security groups it admits."""
    log_kms_key_arn: NotRequired[pulumi.Input[str]]
    """A KMS key for the cache's log groups; without one they are encrypted with the service key."""
    log_retention_days: NotRequired[int]
    """Days CloudWatch keeps the cache's logs."""
    protect: NotRequired[bool]
    """Production stacks: keep the cache, its key and auth secret from being deleted."""
    tags: NotRequired[dict[str, str]]
    """Tags added to every AWS resource the component creates."""


class CacheTier(PackageComponent):
    """An encrypted, multi-AZ ElastiCache (Valkey or Redis OSS) replication group, with its key, parameter group, security group, slow log and auth secret, sized by a tier."""

    endpoint: pulumi.Output[str]
    """The host clients connect to (the configuration endpoint in cluster mode), over TLS."""
    port: pulumi.Output[int]
    """The port clients connect to."""
    auth_secret_arn: pulumi.Output[str]
    """The Secrets Manager secret holding the auth token, host and port."""
    key_arn: pulumi.Output[str]
    """The KMS key that encrypts the cache and its secret."""
    security_group_id: pulumi.Output[str]
    """The cache's security group."""
    access_policy: pulumi.Output[str]
    """An IAM policy document (JSON) for a workload that connects: read the auth secret, decrypt it."""

    def __init__(self, name: str, args: CacheTierArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, opts)
        optional = {key: args[key] for key in ("log_retention_days",) if key in args}
        built = BuiltCacheTier(name, BuiltCacheTierArgs(
            settings=component_settings(args["tier"], "cache", args.get("overrides"), name=name),
            placement=built_placement(args["placement"]),
            log_kms_key_arn=args.get("log_kms_key_arn"),
            protect=bool(args.get("protect", False)),
            **optional,
        ), opts=self._inner(args.get("tags")))
        self.endpoint = built.endpoint
        self.port = pulumi.Output.from_input(CACHE_PORT)
        self.auth_secret_arn = built.auth_secret_arn
        self.key_arn = built.key_arn
        self.security_group_id = built.security_group_id
        self.access_policy = built.access_policy().apply(json.dumps)
        self._publish()


class ShardedDatabaseArgs(TypedDict):
    tier: Tier
    """The scale tier whose preset sizes this component: pilot, growth, scale, enterprise or hyperscale."""
    overrides: NotRequired[dict[str, Any]]
    """Database settings that differ from the tier's preset, in camelCase as under tierstack:overrides.data.database in a stack file (docs/configuration.md), e.g. {"shards": 4}; checked as a stack file's are."""
    region: str
    """The shards' region (their provider's), exposed for replicas and clients."""
    placement: Placement
    """Where the shards run: VPC, data subnets and the client security groups they admit."""
    log_kms_key_arn: NotRequired[pulumi.Input[str]]
    """A KMS key for each cluster's exported PostgreSQL log group; without one they are encrypted with the service key."""
    log_retention_days: NotRequired[int]
    """Days CloudWatch keeps the exported PostgreSQL logs."""
    protect: NotRequired[bool]
    """Production stacks: deletion protection, final snapshots, and no deleting the shards."""
    tags: NotRequired[dict[str, str]]
    """Tags added to every AWS resource the component creates."""


class ShardedDatabase(PackageComponent):
    """User-sharded Aurora PostgreSQL: one cluster per shard, a writer and autoscaled readers each, encrypted, IAM authentication on, sized by a tier."""

    writer_endpoints: pulumi.Output[list[str]]
    """Each shard's writer endpoint, in shard order."""
    reader_endpoints: pulumi.Output[list[str]]
    """Each shard's reader endpoint, in shard order."""
    shard_map: pulumi.Output[str]
    """The shard map (JSON) services route users by: each shard's writer, reader, port, database and state."""
    master_secret_arns: pulumi.Output[list[str]]
    """Each shard's master credentials (Secrets Manager), in shard order: for the job that creates the services' database users, nothing else."""
    key_arn: pulumi.Output[str]
    """The KMS key that encrypts the shards' storage, Performance Insights and credentials."""
    security_group_id: pulumi.Output[str]
    """The shards' security group."""

    def __init__(self, name: str, args: ShardedDatabaseArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, opts)
        region = args["region"]
        settings = component_settings(args["tier"], "database", args.get("overrides"), name=name, region=region)
        optional = {key: args[key] for key in ("log_retention_days",) if key in args}
        built = BuiltShardedDatabase(name, BuiltShardedDatabaseArgs(
            settings=settings,
            region=region,
            placement=built_placement(args["placement"]),
            log_kms_key_arn=args.get("log_kms_key_arn"),
            protect=bool(args.get("protect", False)),
            **optional,
        ), opts=self._inner(args.get("tags")))
        self.writer_endpoints = all_of([shard.cluster.endpoint for shard in built.shards])
        self.reader_endpoints = all_of([shard.cluster.reader_endpoint for shard in built.shards])
        self.shard_map = built.map_entries(settings.active_shards).apply(
            lambda entries: shard_map_document(region, entries))
        self.master_secret_arns = all_of([shard.secret_arn for shard in built.shards])
        self.key_arn = built.key_arn
        self.security_group_id = built.security_group_id
        self._publish()


DESCRIBED_BY = {
    **same_as(Placement, BuiltPlacement, "vpc_id", "subnet_ids", "availability_zones", "client_security_group_ids"),
    **same_as(CacheTierArgs, BuiltCacheTierArgs, "placement", "log_retention_days", "protect"),
    **same_as(ShardedDatabaseArgs, BuiltShardedDatabaseArgs, "region", "placement", "log_retention_days", "protect"),
}
