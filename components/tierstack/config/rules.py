"""Cross-field config rules: checks that need more than one value at once.

Each rule reads a validated ``StackConfig`` and yields ``(path, value, problem, fix)`` where
``path`` is a tuple into the merged document; the loader turns paths into the key the user
wrote (``tierstack:overrides...`` or the preset it came from).

``RULES`` judge the stack's shape, so every tier preset passes them on its own. ``DEPLOYMENT_RULES``
judge whether this account and this deploy runner can build it (service quotas, reaching each
cluster's API); they run when a stack is loaded to be deployed or planned, not when a preset is
merely rendered.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from tierstack.catalog import aws as catalog
from tierstack.catalog import data_services
from tierstack.catalog.quotas import SERVICE_QUOTAS
from tierstack.config import demand
from tierstack.config.model import DEMO_IMAGE_REPOSITORY, StackConfig
from tierstack.config.tiers import Tier

Finding = tuple[tuple[Any, ...], Any, str, str]
Rule = Callable[[StackConfig], Iterator[Finding]]


def azs_available_in_every_region(config: StackConfig) -> Iterator[Finding]:
    for index, region in enumerate(config.regions):
        available = len(catalog.availability_zones(region))
        if config.network.az_count > available:
            yield (
                ("network", "azCount"), config.network.az_count,
                f"region {region} (regions[{index}]) offers only {available} availability zones.",
                f"set network.azCount to {available} or less, or drop {region} from tierstack:regions.",
            )


def shared_nat_only_for_pilot(config: StackConfig) -> Iterator[Finding]:
    if config.network.nat_gateways == "single" and config.tier is not Tier.PILOT:
        yield (
            ("network", "natGateways"), "single",
            f"the {config.tier.value} tier is a production tier; one shared NAT gateway makes every AZ's egress depend on one AZ.",
            "remove the override (production tiers use 'perAz'), or use tier 'pilot' for a single-NAT sandbox.",
        )


def public_endpoint_is_scoped(config: StackConfig) -> Iterator[Finding]:
    cluster = config.cluster
    path = ("cluster", "publicAccessCidrs")
    if cluster.endpoint_public_access and not cluster.public_access_cidrs:
        yield (
            path, [],
            "endpointPublicAccess is true but no CIDRs are listed, which EKS treats as open to the internet.",
            "list the operator networks that may reach the API, e.g. ['203.0.113.10/32'], or set endpointPublicAccess to false.",
        )
    for cidr in cluster.public_access_cidrs:
        if cidr.prefixlen == 0:
            yield (
                path, str(cidr),
                "0.0.0.0/0 exposes the Kubernetes API to the whole internet.",
                "list specific operator CIDRs instead.",
            )
    if cluster.public_access_cidrs and not cluster.endpoint_public_access:
        yield (
            path, [str(c) for c in cluster.public_access_cidrs],
            "CIDRs are listed but endpointPublicAccess is false, so they would have no effect.",
            "set cluster.endpointPublicAccess to true, or remove the CIDRs.",
        )


def node_group_bounds(config: StackConfig) -> Iterator[Finding]:
    groups = config.cluster.node_groups
    if len(groups) > catalog.MAX_MANAGED_NODE_GROUPS_PER_CLUSTER:
        yield (
            ("cluster", "nodeGroups"), sorted(groups),
            f"{len(groups)} node groups exceed the EKS quota of {catalog.MAX_MANAGED_NODE_GROUPS_PER_CLUSTER} per cluster.",
            "merge groups, or raise the quota in Service Quotas and the limit in tierstack.catalog.aws.",
        )
    for name, group in groups.items():
        base = ("cluster", "nodeGroups", name)
        if group.min_size > group.max_size:
            yield (base + ("maxSize",), group.max_size, f"maxSize is below minSize ({group.min_size}).",
                   f"raise maxSize to at least {group.min_size} or lower minSize.")
        if group.desired_size is not None and not group.min_size <= group.desired_size <= group.max_size:
            yield (base + ("desiredSize",), group.desired_size,
                   f"desiredSize must lie between minSize ({group.min_size}) and maxSize ({group.max_size}).",
                   "pick a desiredSize inside the bounds, or leave it out to start at minSize.")
        if group.max_size > catalog.MAX_NODES_PER_MANAGED_NODE_GROUP:
            yield (base + ("maxSize",), group.max_size,
                   f"EKS allows {catalog.MAX_NODES_PER_MANAGED_NODE_GROUP} nodes per managed node group by default.",
                   f"use at most {catalog.MAX_NODES_PER_MANAGED_NODE_GROUP}, or split the capacity across two groups.")
        wanted = "arm64" if "ARM_64" in group.ami_type else "x86_64"
        for index, instance_type in enumerate(group.instance_types):
            if catalog.instance_architecture(instance_type) != wanted:
                yield (base + ("instanceTypes", index), instance_type,
                       f"{instance_type} is {catalog.instance_architecture(instance_type)} but amiType {group.ami_type} is {wanted}.",
                       "use instance types of the AMI's architecture, or change amiType to match.")


def worker_scaling(config: StackConfig) -> Iterator[Finding]:
    worker = config.services.worker
    base = ("services", "worker")
    # The bounds themselves are WorkerSettings' own check; scaling to zero depends on the tier.
    if worker.min_replicas == 0 and config.tier is not Tier.PILOT:
        yield (base + ("minReplicas",), 0,
               f"the {config.tier.value} tier is a production tier; a worker pool scaled to zero makes the first "
               "queued request wait for a pod to start.",
               "keep minReplicas at 1 or more (the presets use 2); only pilot may scale workers to zero.")


def edge_reaches_a_public_service(config: StackConfig) -> Iterator[Finding]:
    # Each service's route (a path of its own, open to the load balancer) is the services
    # settings' to check; whether the edge has an origin needs the edge settings too.
    if config.edge.zone_name and not any(service.ingress_path for _, service in config.services.items()):
        yield (("edge", "zoneName"), config.edge.zone_name,
               "the global edge fronts the public API, but no service has an ingressPath, so there is no load "
               "balancer for it to reach.",
               "give the public services an ingressPath (with 'ingress' in their callers), or remove edge.zoneName.")


def data_tier_shape(config: StackConfig) -> Iterator[Finding]:
    # The cache's and the database's own shape is checked by their settings models; what is left
    # here needs the tier or the regions.
    database = config.data.database
    if database.readers_per_shard < 1 and config.tier is not Tier.PILOT:
        yield (("data", "database", "readersPerShard"), database.readers_per_shard,
               "a production shard without a reader has no failover target and no read scaling.",
               "keep at least one reader per shard.")
    if database.global_database and len(config.regions) < 2:
        yield (("data", "database", "globalDatabase"), True,
               "a global database needs a second region for its secondary clusters.",
               "list a second region in tierstack:regions, or set globalDatabase to false.")


def active_shards_exist(config: StackConfig) -> Iterator[Finding]:
    """Users are routed only to shards that exist: activeShards <= shards.

    The same check refuses removing an active shard: lowering shards below activeShards would
    delete a cluster that users are still routed to. A rule cannot see the previous deploy, so
    with activeShards unset, lowering shards is caught by protection and ``tierstack diff``.
    """
    database = config.data.database
    active, shards = database.active_shards, database.shards
    if active is None or active <= shards:
        return
    missing = f"shard {shards}" if active - shards == 1 else f"shards {shards}..{active - 1}"
    yield (("data", "database", "activeShards"), active,
           f"activeShards is {active} but data.database.shards is {shards}: users would be routed to {missing}, "
           "which would not exist (if shards was just lowered: the clusters would be deleted with the users they "
           "still hold).",
           f"to remove {missing}, drain first: keep shards at {active}, copy the users for whom "
           f"shard_for(id, {active}) >= {shards} to shard_for(id, {shards}) while writing to both, set activeShards "
           f"to {shards} and deploy, then lower shards to {shards}. To add {missing}, raise shards to {active} with "
           f"activeShards at the current count, deploy and copy, then raise activeShards.")


def cache_node_totals(config: StackConfig) -> Iterator[Finding]:
    cache = config.data.cache
    limit = data_services.ELASTICACHE_MAX_NODES_PER_REPLICATION_GROUP
    total = cache.shards * (1 + cache.replicas_per_shard)
    if cache.cluster_mode and total > limit:
        most_shards = limit // (1 + cache.replicas_per_shard)
        yield (("data", "cache", "shards"), cache.shards,
               f"{cache.shards} shards x (1 primary + {cache.replicas_per_shard} replicas) = {total} nodes; an "
               f"ElastiCache replication group holds at most {limit}, a ceiling no quota increase lifts.",
               f"use at most {most_shards} shards with {cache.replicas_per_shard} replicas each "
               f"(shards x (1 + replicasPerShard) <= {limit}), or split the cache.")


def _is_demo_image(image: str) -> bool:
    repository = image.split("@", 1)[0].rsplit(":", 1)[0]
    return repository in (DEMO_IMAGE_REPOSITORY, f"docker.io/{DEMO_IMAGE_REPOSITORY}")


def production_runs_real_images(config: StackConfig) -> Iterator[Finding]:
    if not config.production:
        return
    workloads = [*config.services.items(), ("worker", config.services.worker)]
    for name, workload in workloads:
        if _is_demo_image(workload.image):
            why = ("which exports no metrics: every scrape target is down and the HPAs, which need "
                   "http_requests_per_second, never scale in" if name != "worker" else
                   "which exports no metrics and never reads the request queue: its scrape target is down and "
                   "queued requests are never processed")
            yield (("services", name, "image"), workload.image,
                   f"a production stack runs {name} on the demo image, {why}.",
                   f"set tierstack:overrides.services.{name}.image to a pinned image of your {name} service, "
                   f"e.g. 'ghcr.io/acme/agent-{name}:1.4.2'.")


def edge_fits_the_regions(config: StackConfig) -> Iterator[Finding]:
    edge = config.edge
    strangers = sorted(set(edge.geolocation_continents) - set(config.regions))
    if strangers:
        yield (("edge", "geolocationContinents"), strangers, f"{', '.join(strangers)} are not regions of this stack.",
               f"map only the stack's regions ({', '.join(config.regions)}).")
    if edge.zone_name and config.services.ingress.host:
        yield (("services", "ingress", "host"), config.services.ingress.host,
               "with the global edge, callers reach the API through CloudFront; each load balancer serves the "
               "edge's origin names instead.",
               "remove services.ingress.host (the API is published at edge.apiSubdomain.edge.zoneName).")


def region_cidrs_stay_private(config: StackConfig) -> Iterator[Finding]:
    """Every region's block stays private and no two overlap (blocks are keyed by region name)."""
    blocks = {}
    for region in config.regions:
        try:
            blocks[region] = config.network.vpc_cidr_for(region)
        except ValueError:
            slot = catalog.region_slot(region)
            yield (
                ("network", "vpcCidr"), str(config.network.vpc_cidr),
                f"the VPC for {region} (its fixed slot {slot}: one block of this size per known region) "
                "would be offset past the private range.",
                f"start from a lower block such as 10.0.0.0/16, or give {region} its own block in network.vpcCidrs.",
            )
    for region in config.network.vpc_cidrs:
        if region not in config.regions:
            yield (("network", "vpcCidrs", region), str(config.network.vpc_cidrs[region]),
                   f"{region} is not one of this stack's regions.", f"use one of {', '.join(config.regions)}.")
    regions = list(blocks)
    for index, region in enumerate(regions):
        for other in regions[index + 1:]:
            if blocks[region].overlaps(blocks[other]):
                yield (("network", "vpcCidrs"), {region: str(blocks[region]), other: str(blocks[other])},
                       f"the VPCs of {region} and {other} overlap, which rules out peering or a transit gateway.",
                       "give each region a distinct block in network.vpcCidrs.")


def dr_partners_are_stack_regions(config: StackConfig) -> Iterator[Finding]:
    for region, partner in config.data.database.dr_regions.items():
        base = ("data", "database", "drRegions", region)
        if region not in config.regions or partner not in config.regions or partner == region:
            yield (base, partner, f"{region} -> {partner} is not a pair of two different regions of this stack.",
                   f"map a region of {', '.join(config.regions)} to another one of them.")


def region_count_matches(config: StackConfig) -> Iterator[Finding]:
    if len(config.regions) < config.region_count:
        yield (
            ("regionCount",), config.region_count,
            f"the tier asks for {config.region_count} regions but only {len(config.regions)} are listed.",
            "list enough regions in tierstack:regions, or lower overrides.regionCount.",
        )


def quotas_fit_the_demand(config: StackConfig) -> Iterator[Finding]:
    needs = demand.regional_demand(config)
    for key, quota in SERVICE_QUOTAS.items():
        configured = config.quotas.value(key)
        # One setting covers every region, so it has to fit the hungriest one.
        needed_anywhere = max(need[key] for need in needs.values())
        for region, need in needs.items():
            if need[key] <= configured:
                continue
            yield (("quotas", key), configured,
                   f"{region} needs {need[key]} {quota.unit} ({demand.demand_reason(config, key, region)}) but the account's "
                   f"{quota.name} quota ({quota.code}) is {configured}.",
                   f"request an increase of {quota.name} ({quota.code}) in {region} to at least {need[key]} in "
                   f"Service Quotas, then set tierstack:quotas.{key}: {needed_anywhere}.")


def private_endpoints_reachable(config: StackConfig) -> Iterator[Finding]:
    if len(config.regions) > 1 and not config.cluster.endpoint_public_access:
        yield (("cluster", "endpointPublicAccess"), False,
               f"the {len(config.regions)} regional clusters ({', '.join(config.regions)}) have private-only API "
               "endpoints and their VPCs are not peered, so no single deploy runner can reach them all to install "
               "the add-ons and services.",
               "open the endpoint to the deploy runners' CIDRs (cluster.endpointPublicAccess: true and "
               "cluster.publicAccessCidrs: [runner CIDRs]), or split the stack into one stack per region, each "
               "deployed from a runner inside that region's VPC.")


RULES: tuple[Rule, ...] = (
    azs_available_in_every_region,
    shared_nat_only_for_pilot,
    public_endpoint_is_scoped,
    node_group_bounds,
    worker_scaling,
    edge_reaches_a_public_service,
    data_tier_shape,
    active_shards_exist,
    cache_node_totals,
    production_runs_real_images,
    edge_fits_the_regions,
    region_cidrs_stay_private,
    dr_partners_are_stack_regions,
    region_count_matches,
)

DEPLOYMENT_RULES: tuple[Rule, ...] = (
    quotas_fit_the_demand,
    private_endpoints_reachable,
)


def check(config: StackConfig, *, deployment: bool = False) -> list[Finding]:
    findings: list[Finding] = []
    for rule in RULES + (DEPLOYMENT_RULES if deployment else ()):
        findings.extend(rule(config))
    return findings


