"""``AgentPlatform``: one regional cell per configured region.

A cell is everything one region runs: its KMS key for logs, its network and its cluster, all
bound to that region's AWS provider. Cells share nothing, so a region can fail (or be
deployed) on its own. Later components (services, data tier, observability) join the cell;
the global edge joins the platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from tierstack.aws import policies
from tierstack.aws.kms import KmsKey, KmsKeyArgs
from tierstack.catalog.aws import region_code
from tierstack.cluster.eks import KubernetesCluster, KubernetesClusterArgs
from tierstack.config.model import StackConfig
from tierstack.config.tiers import Tier
from tierstack.network import Network, NetworkArgs
from tierstack.edge import naming
from tierstack.edge.component import GlobalEdge, GlobalEdgeArgs, RegionalOrigin
from tierstack.data.cache import PORT as CACHE_PORT
from tierstack.data.cache import CacheTier, CacheTierArgs
from tierstack.data.database import (
    Placement, ShardedDatabase, ShardedDatabaseArgs, ShardedDatabaseReplica, ShardedDatabaseReplicaArgs,
)
from tierstack.services import AgentServices, AgentServicesArgs, DataAccess
from tierstack.sharding import shard_map_document

# SSM Standard parameters hold 4 KB; a shard's entry is ~350 bytes, so larger maps need Advanced.
STANDARD_PARAMETER_SHARDS = 10
from tierstack.sizing.subnets import region_vpc_cidr


def edge_origin_hosts(config: StackConfig, region: str) -> list[str]:
    """The names CloudFront and the health checks use for this region's load balancer."""
    api_host = config.edge.api_host
    if not api_host:
        return []
    return [naming.origin_host(api_host), naming.regional_origin_host(api_host, region)]


def platform_tags(config: StackConfig) -> dict[str, str]:
    """Tags every resource carries: the stack's own, then what tierstack knows about it."""
    return {
        **config.tags,
        "Environment": config.environment,
        "ManagedBy": "tierstack",
        "tierstack:tier": config.tier.value,
    }


@dataclass(frozen=True)
class RegionalCellArgs:
    config: StackConfig
    region: str
    region_index: int


class RegionalCell(pulumi.ComponentResource):
    network: Network
    cluster: KubernetesCluster
    cache: CacheTier
    database: ShardedDatabase
    services: AgentServices
    logs_key: KmsKey

    def __init__(self, name: str, args: RegionalCellArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("tierstack:platform:RegionalCell", name, None, opts)
        config, region = args.config, args.region
        tags = {**platform_tags(config), "tierstack:region": region}
        protect = config.production
        child = pulumi.ResourceOptions(parent=self)

        self.logs_key = KmsKey(f"{name}-logs", KmsKeyArgs(
            description=f"CloudWatch Logs encryption for {name}",
            alias=f"tierstack/{name}/logs",
            grants=[lambda account, partition: policies.cloudwatch_logs_key_grant(account, partition, region)],
            protect=protect, tags=tags,
        ), opts=child)

        self.network = Network(f"{name}-net", NetworkArgs(
            settings=config.network,
            region=region,
            vpc_cidr=str(region_vpc_cidr(config.network.vpc_cidr, args.region_index)),
            log_kms_key_arn=self.logs_key.arn,
            cluster_name=name,
            protect=protect,
            tags=tags,
        ), opts=child)

        self.cluster = KubernetesCluster(f"{name}-cluster", KubernetesClusterArgs(
            settings=config.cluster,
            cluster_name=name,
            region=region,
            vpc_id=self.network.vpc_id,
            subnet_ids=self.network.private_subnet_ids,
            log_kms_key_arn=self.logs_key.arn,
            protect=protect,
            tags=tags,
        ), opts=pulumi.ResourceOptions(parent=self, depends_on=self.network.nat_gateways))

        self.placement = Placement(
            vpc_id=self.network.vpc_id, subnet_ids=self.network.data_subnet_ids,
            availability_zones=self.network.availability_zones,
            client_security_group_ids=[self.cluster.security_group_id])
        self.cache = CacheTier(f"{name}-cache", CacheTierArgs(
            settings=config.data.cache, region=region, vpc_id=self.network.vpc_id,
            subnet_ids=self.network.data_subnet_ids, client_security_group_ids=[self.cluster.security_group_id],
            log_kms_key_arn=self.logs_key.arn, log_retention_days=config.cluster.log_retention_days,
            protect=protect, tags=tags,
        ), opts=child)
        self.database = ShardedDatabase(f"{name}-db", ShardedDatabaseArgs(
            settings=config.data.database, region=region, placement=self.placement, protect=protect, tags=tags,
        ), opts=child)
        shard_map = self.database.map_entries().apply(lambda entries: shard_map_document(region, entries))
        # Published for anything outside the cluster (jobs, Lambda, operators) that routes users.
        self.shard_map_parameter = aws.ssm.Parameter(
            f"{name}-shard-map", name=f"/tierstack/{config.environment}/{region}/shard-map", type="String",
            tier="Standard" if config.data.database.shards <= STANDARD_PARAMETER_SHARDS else "Advanced",
            value=shard_map, description=f"User shard map of {name}: shard -> writer, reader, secret ARN",
            tags=tags, opts=child)

        self.services = AgentServices(f"{name}-agents", AgentServicesArgs(
            settings=config.services,
            cluster_name=name,
            region=region,
            vpc_id=self.network.vpc_id,
            oidc=self.cluster.oidc,
            provider=self.cluster.provider,
            load_balancer_cidrs=self.network.public_subnet_cidrs,
            node_pools=[g.labels.get("tierstack.io/pool", n) for n, g in config.cluster.node_groups.items()],
            allow_scale_to_zero=config.tier is Tier.PILOT,
            protect=protect,
            origin_hosts=edge_origin_hosts(config, region),
            data=DataAccess(
                shard_map_json=shard_map, database_policy=self.database.access_policy(),
                cache_endpoint=self.cache.endpoint, cache_port=CACHE_PORT,
                cache_secret_arn=self.cache.auth_secret_arn, cache_policy=self.cache.access_policy(),
                cache_default_ttl_seconds=config.data.cache.default_ttl_seconds,
                semantic_cache=config.data.cache.semantic_cache),
            depends_on=[self.cluster],
            tags=tags,
        ), opts=child)

        self.register_outputs({
            "vpc_id": self.network.vpc_id,
            "cluster_name": self.cluster.name,
            "cluster_endpoint": self.cluster.endpoint,
        })


@dataclass(frozen=True)
class AgentPlatformArgs:
    config: StackConfig


class AgentPlatform(pulumi.ComponentResource):
    cells: dict[str, RegionalCell]
    providers: dict[str, aws.Provider]

    def __init__(self, name: str, args: AgentPlatformArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("tierstack:platform:AgentPlatform", name, None, opts)
        self.cells = {}
        self.providers = {}
        for index, region in enumerate(args.config.regions):
            cell_name = f"{name}-{region_code(region)}"
            provider = aws.Provider(f"{cell_name}-aws", region=region, opts=pulumi.ResourceOptions(parent=self))
            self.providers[region] = provider
            self.cells[region] = RegionalCell(
                cell_name, RegionalCellArgs(config=args.config, region=region, region_index=index),
                opts=pulumi.ResourceOptions(parent=self, providers={"aws": provider}),
            )
        self._disaster_recovery(name, args.config)
        self.edge = self._global_edge(name, args.config)
        self.register_outputs({
            "regions": list(self.cells),
            "clusters": {region: cell.cluster.name for region, cell in self.cells.items()},
        })

    def _disaster_recovery(self, name: str, config: StackConfig) -> None:
        """Each cell's shards get secondaries in the next region (the last wraps to the first)."""
        self.replicas: dict[str, ShardedDatabaseReplica] = {}
        if not config.data.database.global_database or len(config.regions) < 2:
            return
        for index, region in enumerate(config.regions):
            target = config.regions[(index + 1) % len(config.regions)]
            source, destination = self.cells[region], self.cells[target]
            self.replicas[region] = ShardedDatabaseReplica(
                f"{source._name}-db-dr-{region_code(target)}", ShardedDatabaseReplicaArgs(
                    primary=source.database, settings=config.data.database, region=target,
                    placement=destination.placement, protect=config.production,
                    tags={**platform_tags(config), "tierstack:region": target, "tierstack:replica-of": region}),
                opts=pulumi.ResourceOptions(parent=self, providers={"aws": self.providers[target]}))

    def _global_edge(self, name: str, config: StackConfig) -> Optional[GlobalEdge]:
        if not config.edge.zone_name:
            return None
        # CloudFront's certificate and its WAF must be in us-east-1, whichever regions serve.
        edge_provider = aws.Provider(f"{name}-edge-aws", region="us-east-1", opts=pulumi.ResourceOptions(parent=self))
        return GlobalEdge(f"{name}-edge", GlobalEdgeArgs(
            settings=config.edge,
            name_prefix=name,
            origins=[RegionalOrigin(region, cell.services.load_balancer_hostname) for region, cell in self.cells.items()],
            edge_provider=edge_provider,
            regional_providers=self.providers,
            protect=config.production,
            tags=platform_tags(config),
        ), opts=pulumi.ResourceOptions(parent=self))
