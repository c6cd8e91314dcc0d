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
from tierstack.services import AgentServices, AgentServicesArgs
from tierstack.sizing.subnets import region_vpc_cidr


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
        self.register_outputs({
            "regions": list(self.cells),
            "clusters": {region: cell.cluster.name for region, cell in self.cells.items()},
        })
