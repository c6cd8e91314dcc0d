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
from tierstack.cost.budgets import with_derived_budgets
from tierstack.documented import documented
from tierstack.tagging import tagged
from tierstack.network import Network, NetworkArgs
from tierstack.edge.component import GlobalEdge, GlobalEdgeArgs, RegionalOrigin
from tierstack.edge.origins import EdgeOrigins, EdgeOriginsArgs, OriginSecurityGroups, OriginSecurityGroupsArgs
from tierstack.data.cache import PORT as CACHE_PORT
from tierstack.data.cache import CacheTier, CacheTierArgs
from tierstack.data.placement import Placement
from tierstack.data.database import (
    ShardedDatabase, ShardedDatabaseArgs, ShardedDatabaseReplica, ShardedDatabaseReplicaArgs,
)
from tierstack.observability.aws_alarms import (
    CostBudgets, CostBudgetsArgs, EdgeAlarms, ManagedServiceAlarms, ManagedServiceAlarmsArgs,
    controller_load_balancer_tags,
)
from tierstack.observability.component import Observability, ObservabilityArgs, WatchedResources
from tierstack.observability.manifests import collector_endpoint
from tierstack.config.observability import ObservabilitySettings
from tierstack.observability.topic import AlertTopic, AlertTopicArgs
from tierstack.services import AgentServices, AgentServicesArgs, DataAccess, Telemetry
from tierstack.services.manifests import EdgeOrigin, verify_condition
from tierstack.sharding import shard_map_document

# SSM Standard parameters hold 4 KB; a shard's entry is ~350 bytes, so larger maps need Advanced.
STANDARD_PARAMETER_SHARDS = 10


def regional_share(settings: ObservabilitySettings, regions: int) -> ObservabilitySettings:
    """Cost thresholds are per stack; each cell's Prometheus sees only its region's spend."""
    if regions <= 1:
        return settings
    daily = settings.cost.daily_usd
    share = daily.model_copy(update={"warning": daily.warning / regions, "critical": daily.critical / regions})
    return settings.model_copy(update={"cost": settings.cost.model_copy(update={"daily_usd": share})})


def platform_tags(config: StackConfig) -> dict[str, str]:
    """Tags every resource carries: the stack's own, then what tierstack knows about it."""
    return {
        **config.tags,
        "Environment": config.environment,
        "ManagedBy": "tierstack",
        "tierstack:tier": config.tier.value,
    }


@documented
@dataclass(frozen=True)
class CellOrigin:
    """What the global edge hands a cell before its load balancer exists (see ``EdgeOrigins``)."""

    # The cell's regional origin certificate, for its load balancer's listener.
    certificate_arn: pulumi.Input[str]
    # The header CloudFront adds to origin requests, which the load balancer requires.
    verify_header: str
    # The secret value of verify_header.
    verify_value: pulumi.Input[str]


@documented
@dataclass(frozen=True)
class RegionalCellArgs:
    # The whole stack's configuration.
    config: StackConfig
    # The cell's region (one of config.regions).
    region: str
    # Set when the stack has a global edge: the cell's load balancer becomes its origin.
    origin: Optional[CellOrigin] = None


class RegionalCell(pulumi.ComponentResource):
    """One region's cell: its logs key, network, EKS cluster, agent services, cache, sharded database and observability, on that region's provider."""

    network: Network
    cluster: KubernetesCluster
    cache: CacheTier
    database: ShardedDatabase
    services: AgentServices
    observability: Observability
    # The cell's share of the stack's alert levels (the cell's alarms and the DR secondaries it hosts).
    observability_settings: ObservabilitySettings
    logs_key: KmsKey
    cell_name: str

    def __init__(self, name: str, args: RegionalCellArgs, opts: Optional[pulumi.ResourceOptions] = None):
        # Everything in the cell says which region it serves; the platform adds the stack's own tags.
        super().__init__("tierstack:platform:RegionalCell", name, None, tagged({"tierstack:region": args.region}, opts))
        self.cell_name = name
        config, region = args.config, args.region
        protect = config.production
        child = pulumi.ResourceOptions(parent=self)

        self.logs_key = KmsKey(f"{name}-logs", KmsKeyArgs(
            description=f"CloudWatch Logs encryption for {name}",
            alias=f"tierstack/{name}/logs",
            grants=[lambda account, partition: policies.cloudwatch_logs_key_grant(account, partition, region)],
            protect=protect,
        ), opts=child)

        self.network = Network(f"{name}-net", NetworkArgs(
            settings=config.network,
            region=region,
            vpc_cidr=str(config.network.vpc_cidr_for(region)),
            instance_types=sorted({t for group in config.cluster.node_groups.values() for t in group.instance_types}),
            log_kms_key_arn=self.logs_key.arn,
            cluster_name=name,
            protect=protect,
        ), opts=child)

        self.cluster = KubernetesCluster(f"{name}-cluster", KubernetesClusterArgs(
            settings=config.cluster,
            cluster_name=name,
            region=region,
            vpc_id=self.network.vpc_id,
            subnet_ids=self.network.private_subnet_ids,
            log_kms_key_arn=self.logs_key.arn,
            protect=protect,
        ), opts=pulumi.ResourceOptions(parent=self, depends_on=self.network.nat_gateways))

        self.placement = Placement(
            vpc_id=self.network.vpc_id, subnet_ids=self.network.data_subnet_ids,
            availability_zones=self.network.availability_zones,
            client_security_group_ids=[self.cluster.security_group_id])
        self.cache = CacheTier(f"{name}-cache", CacheTierArgs(
            settings=config.data.cache, region=region, placement=self.placement,
            log_kms_key_arn=self.logs_key.arn, log_retention_days=config.cluster.log_retention_days,
            protect=protect,
        ), opts=child)
        self.database = ShardedDatabase(f"{name}-db", ShardedDatabaseArgs(
            settings=config.data.database, region=region, placement=self.placement, protect=protect,
            log_kms_key_arn=self.logs_key.arn, log_retention_days=config.cluster.log_retention_days,
        ), opts=child)
        shard_map = self.database.map_entries(config.data.database.active_shards).apply(
            lambda entries: shard_map_document(region, entries))
        # Published for anything outside the cluster (jobs, Lambda, operators) that routes users.
        self.shard_map_parameter = aws.ssm.Parameter(
            f"{name}-shard-map", name=f"/tierstack/{config.environment}/{region}/shard-map", type="String",
            tier="Standard" if config.data.database.shards <= STANDARD_PARAMETER_SHARDS else "Advanced",
            value=shard_map, description=f"User shard map of {name}: shard -> writer, reader, secret ARN", opts=child)

        self.services = AgentServices(f"{name}-agents", AgentServicesArgs(
            settings=config.services,
            cluster=self.cluster.context,
            load_balancer_cidrs=self.network.public_subnet_cidrs,
            node_pools=config.cluster.node_pools,
            allow_scale_to_zero=config.tier is Tier.PILOT,
            protect=protect,
            edge_origin=self._edge_origin(name, config, region, args.origin),
            telemetry=Telemetry(otlp_endpoint=collector_endpoint(), resource_attributes={
                "deployment.environment": config.environment, "service.namespace": config.services.namespace}),
            data=DataAccess(
                shard_map_json=shard_map, database=self.database,
                cache_endpoint=self.cache.endpoint, cache_port=CACHE_PORT,
                cache_secret_arn=self.cache.auth_secret_arn, cache_policy=self.cache.access_policy(),
                cache_default_ttl_seconds=config.data.cache.default_ttl_seconds,
                semantic_cache=config.data.cache.semantic_cache),
            depends_on=self.cluster.workloads_ready,
        ), opts=child)

        self._observability(name, config, region, protect)

        self.register_outputs({
            "vpc_id": self.network.vpc_id,
            "cluster_name": self.cluster.name,
            "cluster_endpoint": self.cluster.endpoint,
        })


    def _edge_origin(self, name: str, config: StackConfig, region: str, origin: Optional[CellOrigin]) -> Optional[EdgeOrigin]:
        if origin is None:
            return None
        groups = OriginSecurityGroups(f"{name}-origin", OriginSecurityGroupsArgs(
            vpc_id=self.network.vpc_id, vpc_cidr=self.network.vpc.cidr_block, region=region,
        ), opts=pulumi.ResourceOptions(parent=self))
        return EdgeOrigin(
            certificate_arn=origin.certificate_arn,
            security_groups=pulumi.Output.all(*groups.ids).apply(lambda ids: ",".join(ids)),
            verify_condition=pulumi.Output.from_input(origin.verify_value).apply(
                lambda secret: verify_condition(origin.verify_header, secret)),
            health_path=config.edge.health_check_path,
        )

    def _observability(self, name: str, config: StackConfig, region: str, protect: bool) -> None:
        child = pulumi.ResourceOptions(parent=self)
        self.observability_settings = settings = regional_share(config.observability, len(config.regions))
        queue = self.services.queue.monitored
        self.observability = Observability(f"{name}-obs", ObservabilityArgs(
            settings=settings, cluster=self.cluster.context, agents_namespace=config.services.namespace,
            node_pools=config.cluster.node_pools, zonal_capacity=config.cluster.zonal_capacity,
            watched=WatchedResources.covering(
                clusters=self.database.monitored, cache_groups=[self.cache.monitored], queues=[queue],
                tags={"Environment": config.environment, "tierstack:region": region}),
            protect=protect, depends_on=self.cluster.workloads_ready,
        ), opts=child)
        # The controller names the ALB; find it by the tags it puts on it, once the Ingress exists.
        # No public Ingress (no certificate to serve it with), no load balancer to watch.
        load_balancers = []
        if self.services.ingress is not None:
            load_balancers.append(aws.lb.get_load_balancer_output(
                tags=controller_load_balancer_tags(name, config.services.namespace, "public-api"),
                opts=pulumi.InvokeOutputOptions(parent=self, depends_on=[self.services.ingress])).arn_suffix)
        self.alarms = ManagedServiceAlarms(f"{name}-alarms", ManagedServiceAlarmsArgs(
            settings=settings, region=region, name_prefix=name, topic_arn=self.observability.alert_topic_arn,
            aurora_clusters=self.database.monitored,
            cache_groups=[self.cache.monitored],
            queues=[queue],
            load_balancers=load_balancers,
        ), opts=child)


@documented
@dataclass(frozen=True)
class AgentPlatformArgs:
    # The whole stack's configuration: tier, regions and every component's settings.
    config: StackConfig


class AgentPlatform(pulumi.ComponentResource):
    """The whole platform: one RegionalCell per configured region, the DR secondaries, the global edge and the stack's budgets, from a validated StackConfig."""

    cells: dict[str, RegionalCell]
    providers: dict[str, aws.Provider]

    def __init__(self, name: str, args: AgentPlatformArgs, opts: Optional[pulumi.ResourceOptions] = None):
        # Budgets and cost alerts the stack file leaves unset follow the stack's estimate. Derived
        # before anything is registered: a stack the price snapshot cannot cover is refused here.
        config, estimate = with_derived_budgets(args.config)
        super().__init__("tierstack:platform:AgentPlatform", name, None, tagged(platform_tags(args.config), opts))
        self.cost_estimate = estimate
        self.cells = {}
        self.providers = {
            region: aws.Provider(f"{name}-{region_code(region)}-aws", region=region,
                                 opts=pulumi.ResourceOptions(parent=self))
            for region in config.regions
        }
        # CloudFront's certificate and its WAF must be in us-east-1, whichever regions serve.
        self.edge_provider = aws.Provider(f"{name}-edge-aws", region="us-east-1",
                                          opts=pulumi.ResourceOptions(parent=self)) if config.edge.zone_name else None
        self.origins = self._edge_origins(name, config)
        for region in config.regions:
            cell_name = f"{name}-{region_code(region)}"
            origin = None if self.origins is None else CellOrigin(
                certificate_arn=self.origins.certificate_arns[region], verify_header=self.origins.verify_header,
                verify_value=self.origins.verify_value)
            self.cells[region] = RegionalCell(
                cell_name, RegionalCellArgs(config=config, region=region, origin=origin),
                opts=pulumi.ResourceOptions(parent=self, providers={"aws": self.providers[region]}),
            )
        self._disaster_recovery(name, config)
        self.edge = self._global_edge(name, config)
        home = self.cells[config.regions[0]]
        # Budgets are account-wide: one pair per stack, filtered to its Environment tag.
        self.budgets = CostBudgets(f"{name}-budgets", CostBudgetsArgs(
            settings=config.observability, name_prefix=name, topic_arn=home.observability.alert_topic_arn,
            cost_filter_tags={"Environment": config.environment},
        ), opts=tagged(self.cost_estimate.tags() if self.cost_estimate else {}, pulumi.ResourceOptions(
            parent=self, providers={"aws": self.providers[config.regions[0]]})))
        self.register_outputs({
            "regions": list(self.cells),
            "clusters": {region: cell.cluster.name for region, cell in self.cells.items()},
        })

    def _disaster_recovery(self, name: str, config: StackConfig) -> None:
        """Each cell's shards get secondaries in its partner region, chosen by region name (not
        list position), so adding or reordering regions never moves existing secondaries."""
        self.replicas: dict[str, ShardedDatabaseReplica] = {}
        if not config.data.database.global_database or len(config.regions) < 2:
            return
        for region in config.regions:
            target = config.data.database.dr_region_for(region, config.regions)
            source, destination = self.cells[region], self.cells[target]
            replica_name = f"{source.cell_name}-db-dr-{region_code(target)}"
            self.replicas[region] = ShardedDatabaseReplica(
                replica_name, ShardedDatabaseReplicaArgs(
                    primary=source.database, settings=config.data.database, region=target,
                    placement=destination.placement, protect=config.production,
                    # KMS keys are regional: the secondary's logs use its own region's key.
                    log_kms_key_arn=destination.logs_key.arn, log_retention_days=config.cluster.log_retention_days),
                opts=tagged({"tierstack:region": target, "tierstack:replica-of": region},
                            pulumi.ResourceOptions(parent=self, providers={"aws": self.providers[target]})))
            # The secondaries are watched in their own region, notifying that region's alert topic.
            ManagedServiceAlarms(f"{replica_name}-alarms", ManagedServiceAlarmsArgs(
                settings=destination.observability_settings, region=target,
                name_prefix=replica_name, topic_arn=destination.observability.alert_topic_arn,
                aurora_clusters=self.replicas[region].monitored, dashboard=False),
                opts=tagged({"tierstack:region": target, "tierstack:replica-of": region},
                            pulumi.ResourceOptions(parent=self, providers={"aws": self.providers[target]})))

    def _edge_origins(self, name: str, config: StackConfig) -> Optional[EdgeOrigins]:
        """Origin certificates and the origin secret, which every cell's load balancer needs first."""
        if self.edge_provider is None or not config.edge.api_host:
            return None
        return EdgeOrigins(f"{name}-origins", EdgeOriginsArgs(
            api_host=config.edge.api_host, zone_name=str(config.edge.zone_name), regions=list(config.regions),
            dns_provider=self.edge_provider, regional_providers=self.providers,
        ), opts=pulumi.ResourceOptions(parent=self))

    def _global_edge(self, name: str, config: StackConfig) -> Optional[GlobalEdge]:
        if self.edge_provider is None or self.origins is None:
            return None
        edge_provider = self.edge_provider
        edge = GlobalEdge(f"{name}-edge", GlobalEdgeArgs(
            settings=config.edge,
            name_prefix=name,
            origins=[RegionalOrigin(region, cell.services.load_balancer_hostname) for region, cell in self.cells.items()],
            edge_provider=edge_provider,
            regional_providers=self.providers,
            verify_header=self.origins.verify_header,
            verify_value=self.origins.verify_value,
            protect=config.production,
        ), opts=pulumi.ResourceOptions(parent=self))
        # CloudFront reports its metrics in us-east-1, so its alarm and that alarm's topic live there.
        in_edge_region = pulumi.ResourceOptions(parent=self, providers={"aws": edge_provider})
        topic = AlertTopic(f"{name}-edge-alerts", AlertTopicArgs(
            region="us-east-1", protect=config.production), opts=in_edge_region)
        ManagedServiceAlarms(f"{name}-edge-alarms", ManagedServiceAlarmsArgs(
            settings=config.observability, region="us-east-1", name_prefix=f"{name}-edge", topic_arn=topic.arn,
            edge=EdgeAlarms(edge.distribution_id, topic.arn, edge_provider),
        ), opts=in_edge_region)
        return edge
