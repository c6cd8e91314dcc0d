"""The estimate a tierstack stack's config implies, without planning it: what the program budgets by.

A Pulumi program cannot read its own plan, yet its budgets should follow its cost. This module
prices the sizes the config asks for (the ones the components turn into resources) with the
same pricing functions (``charges``) and the same usage profile as the plan-based estimate, so
the two agree on everything that matters: compute, databases, caches, NAT, load balancers, the
edge, volumes and the usage-driven lines. It leaves out the sundries whose count is an
implementation detail of the components rather than a setting (KMS keys, secrets, alarms,
dashboards, budgets, WAF rules, SSM parameters): together a few dollars per region, under 2% of
any shipped stack's total (``tests/test_cost_estimate.py`` holds the two estimates to that).

It is pure (no Pulumi, no plan), fast, and used by the platform to derive budgets.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tierstack.config.demand import dr_secondary_instances
from tierstack.cost import charges
from tierstack.cost.charges import Line
from tierstack.cost.prices import PriceBook
from tierstack.cost.usage import HOURS_PER_MONTH, UsageProfile, stack_usage_profile

if TYPE_CHECKING:
    from tierstack.config.model import StackConfig

EDGE_REGION = "us-east-1"  # CloudFront's certificate, its WAF and the edge's logs live there


@dataclass
class ConfiguredEstimate:
    usage: UsageProfile
    # (component, region) -> lines, components named as the plan-based estimate names them.
    lines: dict[tuple[str, str], list[Line]] = field(default_factory=lambda: defaultdict(list))

    @property
    def total_monthly(self) -> float:
        return sum(line.monthly for lines in self.lines.values() for line in lines)

    @property
    def total_monthly_high(self) -> float:
        return sum(line.monthly_high for lines in self.lines.values() for line in lines)

    def add(self, component: str, region: str, lines: list[Line]) -> None:
        self.lines[(component, region)].extend(lines)


def is_published(config: "StackConfig") -> bool:
    """Whether the cells get a public Ingress (so an ALB): a routed service and a certificate to serve."""
    routed = any(service.ingress_path for _, service in config.services.items())
    ingress = config.services.ingress
    return routed and bool(config.edge.zone_name or ingress.host or ingress.certificate_arn)


def estimate_config(config: "StackConfig", book: PriceBook) -> ConfiguredEstimate:
    usage = stack_usage_profile(config)
    estimate = ConfiguredEstimate(usage)
    for region in config.regions:
        _cell(estimate, config, book, region)
    _disaster_recovery(estimate, config, book)
    if config.edge.zone_name:
        _edge(estimate, config, book)
    return estimate


def _cell(estimate: ConfiguredEstimate, config: "StackConfig", book: PriceBook, region: str) -> None:
    usage, network, cluster = estimate.usage, config.network, config.cluster
    zones = network.az_count
    # Network: NAT gateways with their Elastic IPs, interface endpoints in every AZ, flow logs.
    gateways = 1 if network.nat_gateways == "single" else zones
    for _ in range(gateways):
        estimate.add("Network", region, charges.nat_gateway(book, region, processed_gb=usage.nat_gb_per_region_month / gateways))
        estimate.add("Network", region, [charges.line(book, "ec2.public-ipv4.hour", region, "Elastic IP", HOURS_PER_MONTH)])
    endpoints = len(network.interface_endpoints)
    if endpoints:
        estimate.add("Network", region, [charges.line(book, "vpce.interface.hour", region, "interface endpoints",
                                                      endpoints * zones * HOURS_PER_MONTH)])
    estimate.add("Network", region, charges.log_group(book, region, ingest_gb=usage.flow_log_gb_per_region_month,
                                                      retention_days=network.flow_log_retention_days,
                                                      description="VPC flow logs"))
    # The cluster: control plane, its logs, node groups (zonal ones split per AZ, rounded up).
    estimate.add("KubernetesCluster", region, charges.eks_control_plane(book, region))
    estimate.add("KubernetesCluster", region, charges.log_group(
        book, region, ingest_gb=usage.control_plane_log_gb(list(cluster.control_plane_log_types)),
        retention_days=cluster.log_retention_days, description="EKS control plane"))
    for group in cluster.node_groups.values():
        parts = zones if group.zonal else 1
        for _ in range(parts):
            estimate.add("KubernetesCluster", region, charges.node_group(
                book, region, instance_type=group.instance_types[0], min_size=math.ceil(group.min_size / parts),
                max_size=math.ceil(group.max_size / parts), disk_gib=group.disk_size_gib))
    # Services: the public load balancer and the request queue.
    if is_published(config):
        estimate.add("AgentServices", region, charges.load_balancer(
            book, region, processed_gb=usage.origin_gb_per_region_month,
            origin_requests=usage.origin_requests_per_region_month))
        estimate.add("AgentServices", region, [charges.line(book, "ec2.public-ipv4.hour", region, "ALB addresses",
                                                            zones * HOURS_PER_MONTH)])
    estimate.add("AgentServices", region, charges.queue(book, region, requests=usage.queue_requests_per_region_month))
    # Data: cache nodes; per shard a writer, the readers (up to the autoscaling ceiling), storage and logs.
    cache = config.data.cache
    estimate.add("CacheTier", region, charges.cache_nodes(book, region, engine=cache.engine, node_type=cache.node_type,
                                                          nodes=cache.shards * (cache.replicas_per_shard + 1)))
    database = config.data.database
    storage = usage.database_gb / (database.shards * len(config.regions))
    for _ in range(database.shards):
        estimate.add("ShardedDatabase", region, charges.aurora_instances(
            book, region, instance_class=database.instance_class, count=1 + database.readers_per_shard,
            count_high=1 + max(database.readers_per_shard, database.reader_autoscaling.max_readers)))
        estimate.add("ShardedDatabase", region, charges.aurora_storage(
            book, region, storage_gb=storage, ios=usage.database_ios_per_region_month / database.shards,
            backup_gb=usage.backup_gb(storage, database.backup_retention_days)))
        estimate.add("ShardedDatabase", region, charges.log_group(
            book, region, ingest_gb=usage.settings.database_log_gb_per_cluster,
            retention_days=cluster.log_retention_days, description="Aurora PostgreSQL log"))
    # Observability volumes: Prometheus and Alertmanager per replica, Jaeger's span store.
    observability = config.observability
    volumes = (observability.prometheus.storage_gib * observability.prometheus.replicas
               + observability.alertmanager.storage_gib * observability.alertmanager.replicas
               + (observability.tracing.storage_gib if observability.tracing.backend == "jaeger" else 0))
    estimate.add("Observability", region, charges.ebs_volumes(book, region, gib=volumes, count=1, volume_type="gp3",
                                                              description="monitoring volumes"))


def _disaster_recovery(estimate: ConfiguredEstimate, config: "StackConfig", book: PriceBook) -> None:
    """Each region's shards get secondaries (one or two readers each) in its partner region."""
    database = config.data.database
    if not database.global_database or len(config.regions) < 2:
        return
    usage = estimate.usage
    storage = usage.database_gb / (database.shards * len(config.regions))
    readers = dr_secondary_instances(database.readers_per_shard)
    for region in config.regions:
        target = database.dr_region_for(region, config.regions)
        for _ in range(database.shards):
            estimate.add("ShardedDatabaseReplica", target, charges.aurora_instances(
                book, target, instance_class=database.instance_class, count=readers))
            estimate.add("ShardedDatabaseReplica", target, [
                charges.line(book, "aurora.storage.gb-month", target, "Aurora storage (global secondary)", storage),
                charges.line(book, "aurora.global.replicated-write-io.1m", target, "replicated write I/Os",
                             usage.database_ios_per_region_month / database.shards / 1_000_000)])
            estimate.add("ShardedDatabaseReplica", target, charges.log_group(
                book, target, ingest_gb=usage.settings.database_log_gb_per_cluster,
                retention_days=config.cluster.log_retention_days, description="Aurora PostgreSQL log"))


def _edge(estimate: ConfiguredEstimate, config: "StackConfig", book: PriceBook) -> None:
    usage, edge = estimate.usage, config.edge
    estimate.add("GlobalEdge", EDGE_REGION, charges.cloudfront(book, EDGE_REGION, egress_gb=usage.cdn_egress_gb_per_month,
                                                               requests=usage.requests_per_month))
    estimate.add("GlobalEdge", EDGE_REGION, [
        charges.line(book, "waf.acl.month", EDGE_REGION, "WAF web ACL", 1),
        charges.line(book, "waf.request.1m", EDGE_REGION, "WAF requests", usage.requests_per_month / 1_000_000)])
    estimate.add("GlobalEdge", EDGE_REGION, charges.log_group(book, EDGE_REGION, ingest_gb=usage.waf_log_gb_per_month,
                                                              retention_days=edge.log_retention_days,
                                                              description="WAF logs"))
    estimate.add("GlobalEdge", EDGE_REGION, charges.bucket(
        book, EDGE_REGION, stored_gb=usage.access_log_gb_per_month * charges.retained_months(edge.log_retention_days),
        puts=charges.cloudfront_log_puts(), description="CloudFront access logs"))
    for _ in config.regions:
        https_with_latency = [charges.line(book, "route53.healthcheck-https.month", EDGE_REGION, "origin health check", 1),
                              charges.line(book, "route53.healthcheck-option.month", EDGE_REGION, "latency measurement", 1)]
        if edge.health_check_interval_seconds < 30:
            https_with_latency.append(charges.line(book, "route53.healthcheck-option.month", EDGE_REGION, "fast interval", 1))
        estimate.add("GlobalEdge", EDGE_REGION, https_with_latency)
