"""The five scale tiers: every knob the components read, as the stack would write it.

Presets are plain camelCase mappings, the same shape a stack's ``tierstack:overrides`` takes,
so an override deep-merges into the preset key for key and validation reports paths a user can
find in their own YAML.

Sizing principles shared by all tiers:
- Pod sizes are a property of the service, not of the scale, so the seed's per-pod memory holds
  from ``growth`` up; only ``pilot`` halves the two heavy services to fit one small node group.
- Scale comes from replica counts and HPA ceilings. The seed's replica table (auth 3,
  conversation 10, model 5, memory 2, monitoring 1) and its ceiling of 100 instances describe
  its largest deployment, so they are the ``hyperscale`` numbers; smaller tiers step down.
- Every autoscaled service keeps the seed's floor of 2 replicas so one pod loss never takes a
  service down, and the seed's CPU 70% / memory 80% targets.
"""

from __future__ import annotations

import copy
from enum import Enum
from typing import Any


# The node label naming the pool a node group serves; workloads prefer pools through it.
POOL_LABEL = "tierstack.io/pool"
# Set on the nodes of zonal node groups, where pods with zonal volumes are confined.
ZONAL_LABEL = "tierstack.io/zonal"


class Tier(str, Enum):
    PILOT = "pilot"
    GROWTH = "growth"
    SCALE = "scale"
    ENTERPRISE = "enterprise"
    HYPERSCALE = "hyperscale"


TIER_ORDER: tuple[Tier, ...] = tuple(Tier)

CONCURRENT_USERS: dict[Tier, int] = {
    Tier.PILOT: 100,
    Tier.GROWTH: 1_000,
    Tier.SCALE: 10_000,
    Tier.ENTERPRISE: 100_000,
    Tier.HYPERSCALE: 1_000_000,
}

# Interface endpoints keep node bootstrap, image pulls and AWS API calls off the NAT path.
# Each costs per AZ-hour, so the pilot tier leaves them out and relies on NAT.
_CLUSTER_ENDPOINTS = ["ecr.api", "ecr.dkr", "sts", "logs", "ec2", "elasticloadbalancing", "autoscaling"]
_ALL_CONTROL_PLANE_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


# Who calls whom in the seed architecture; each service's NetworkPolicy admits only these.
# The load balancer reaches auth (sign-in) and conversation (the agent API); conversation
# hands long work to the queue worker; model and memory serve conversation and the worker;
# every service reports to monitoring.
CALL_GRAPH: dict[str, list[str]] = {
    "auth": ["ingress", "conversation"],
    "conversation": ["ingress"],
    "model": ["conversation", "worker"],
    "memory": ["conversation", "model", "worker"],
    "monitoring": ["auth", "conversation", "model", "memory", "worker"],
}
# The seed's services, in the order the presets list them. Only the presets know these names: a
# stack may drop any of them (null) and add its own.
SEED_SERVICE_NAMES: tuple[str, ...] = tuple(CALL_GRAPH)
INGRESS_PATHS: dict[str, str] = {"auth": "/auth", "conversation": "/"}

# What each seed service reaches beyond its callers, as the settings a service of one's own
# would state: user records, history and memories live in the shards, responses and embeddings
# in the cache; conversation hands long work to the queue, model calls Bedrock, monitoring
# publishes the services' metrics.
SEED_ROLES: dict[str, dict[str, Any]] = {
    "auth": {"database": True},
    "conversation": {"database": True, "cache": True, "enqueues": True},
    "model": {"cache": True, "invokesModels": True},
    # Memory-heavy: it prefers the memory-optimised pool where a tier has one.
    "memory": {"database": True, "cache": True, "pools": ["memory", "workers", "general"]},
    "monitoring": {"publishesMetrics": True},
}
# Where a workload runs when it states no preference: the general workers, else pilot's one pool.
DEFAULT_POOLS: tuple[str, ...] = ("workers", "general")
_NO_ROLE: dict[str, Any] = {"database": False, "cache": False, "enqueues": False, "invokesModels": False,
                            "publishesMetrics": False, "pools": list(DEFAULT_POOLS)}

# The seed scales a service out at 1,000 req/s; spread over its seed replica count that is
# the per-pod rate each replica is held to (auth 1000/3, conversation 1000/10, ...).
SEED_SCALE_OUT_RPS = 1000
SEED_REPLICAS = {"auth": 3, "conversation": 10, "model": 5, "memory": 2}

# A public image that serves HTTP on any path (so probes pass) and runs as any user: the dev
# stand-in until a team sets its own images.
DEMO_IMAGE = "hashicorp/http-echo:1.0.0"


def _workload(name: str) -> dict[str, Any]:
    return {
        "image": DEMO_IMAGE,
        "args": ["-listen=:8080", f"-text=tierstack {name}"],
        "port": 8080,
        "healthPath": "/healthz",
        "env": {},
    }


def _role(name: str) -> dict[str, Any]:
    role = {**_NO_ROLE, **SEED_ROLES[name]}
    return {**role, "pools": list(role["pools"])}


def _service(name: str, replicas: int, cpu: str, memory: str, min_replicas: int, max_replicas: int) -> dict[str, Any]:
    return {
        **_workload(name),
        "replicas": replicas,
        "cpu": cpu,
        "memory": memory,
        **_role(name),
        "callers": list(CALL_GRAPH[name]),
        "ingressPath": INGRESS_PATHS.get(name),
        "autoscaling": {
            "enabled": True,
            "minReplicas": min_replicas,
            "maxReplicas": max_replicas,
            "targetCpuPercent": 70,
            "targetMemoryPercent": 80,
            "targetRequestsPerSecond": SEED_SCALE_OUT_RPS // SEED_REPLICAS[name],
            "scaleDownStabilizationSeconds": 300,
        },
    }


def _monitoring_service(memory: str) -> dict[str, Any]:
    # The seed runs monitoring as a single instance at every size: it aggregates, it does not
    # serve user traffic, so it is not autoscaled.
    return {
        **_workload("monitoring"),
        "replicas": 1,
        "cpu": "250m",
        "memory": memory,
        **_role("monitoring"),
        "callers": list(CALL_GRAPH["monitoring"]),
        "ingressPath": None,
        "autoscaling": {"enabled": False, "minReplicas": 1, "maxReplicas": 1,
                        "targetCpuPercent": 70, "targetMemoryPercent": 80},
    }


def _worker(min_replicas: int, max_replicas: int, memory: str) -> dict[str, Any]:
    return {**_workload("worker"), "cpu": "500m", "memory": memory, "minReplicas": min_replicas,
            "maxReplicas": max_replicas, "messagesPerReplica": 5}


def _services(services: dict[str, Any], worker: dict[str, Any]) -> dict[str, Any]:
    return {**services, "worker": worker, "queue": {"maxReceiveCount": 3, "visibilityTimeoutSeconds": 120,
                                                     "messageRetentionSeconds": 345_600}}


def _node_group(instance_types: list[str], min_size: int, max_size: int, disk: int, pool: str,
                zonal: bool = False) -> dict[str, Any]:
    return {
        "zonal": zonal,
        "instanceTypes": instance_types,
        "capacityType": "ON_DEMAND",
        "amiType": "AL2023_x86_64_STANDARD",
        "minSize": min_size,
        "maxSize": max_size,
        "diskSizeGiB": disk,
        "labels": {POOL_LABEL: pool},
        "taints": [],
    }


def _network(az_count: int, nat_gateways: str, log_days: int, endpoints: list[str]) -> dict[str, Any]:
    return {
        "vpcCidr": "10.0.0.0/16",
        "azCount": az_count,
        "natGateways": nat_gateways,
        "flowLogRetentionDays": log_days,
        "interfaceEndpoints": list(endpoints),
    }


def _cluster(log_types: list[str], log_days: int, node_groups: dict[str, Any]) -> dict[str, Any]:
    return {
        "kubernetesVersion": "1.35",
        "endpointPublicAccess": False,
        "publicAccessCidrs": [],
        "controlPlaneLogTypes": list(log_types),
        "logRetentionDays": log_days,
        "adminRoleArns": [],
        "autoscalerExpander": "least-waste",
        "addonVersions": {},
        "nodeGroups": node_groups,
    }


def _data(cache_node: str, cache_shards: int, cache_replicas: int, snapshots: int,
          db_class: str, db_shards: int, readers: int, max_readers: int, backups: int, dr: bool) -> dict[str, Any]:
    return {
        "cache": {
            "engine": "valkey", "engineVersion": "8.2", "nodeType": cache_node,
            # Cluster mode from the smallest tier (one shard): turning it on later is a staged,
            # one-way migration with a new endpoint; with it, more shards are an online reshard.
            "clusterMode": True, "shards": cache_shards, "replicasPerShard": cache_replicas,
            "snapshotRetentionDays": snapshots, "defaultTtlSeconds": 3600, "semanticCache": "none",
        },
        "database": {
            # A minor in AWS's standard support (16.6 left it in May 2026 and can no longer be
            # created); it is only the creation version, minors then follow AWS's upgrades.
            "engineVersion": "16.13", "instanceClass": db_class, "shards": db_shards, "readersPerShard": readers,
            "readerAutoscaling": {"maxReaders": max_readers, "targetCpuPercent": 70},
            "backupRetentionDays": backups, "performanceInsightsRetentionDays": 7,
            "globalDatabase": dr, "databaseName": "agents",
        },
    }


# Data tier per tier. The seed's database is one writer with five readers per shard over ten
# user shards; that is enterprise's shape, and hyperscale goes "beyond" with sixteen. The cache
# runs in cluster mode at every tier and adds shards once one primary's memory and network are
# not enough.
# Disaster recovery (an Aurora global database secondary in the next region) starts at
# enterprise, where a region's loss is a business event rather than an inconvenience.
DATA = {
    "pilot": _data("cache.t4g.medium", 1, 1, 1, "db.t4g.medium", 1, 1, 2, 7, False),
    "growth": _data("cache.r7g.large", 1, 1, 3, "db.r7g.large", 2, 1, 3, 7, False),
    "scale": _data("cache.r7g.large", 2, 1, 7, "db.r7g.xlarge", 4, 2, 5, 14, False),
    "enterprise": _data("cache.r7g.xlarge", 3, 2, 7, "db.r7g.2xlarge", 10, 5, 10, 35, True),
    "hyperscale": _data("cache.r7g.2xlarge", 6, 2, 14, "db.r7g.4xlarge", 16, 5, 15, 35, True),
}


def _observability(retention_days: int, storage_gib: int, replicas: int) -> dict[str, Any]:
    return {
        "prometheus": {"retentionDays": retention_days, "storageGiB": storage_gib, "replicas": replicas},
        "alertmanager": {"replicas": replicas},
    }


# Monitoring per tier. Prometheus keeps two weeks locally below enterprise (long-term trends
# live in CloudWatch and the traces store) and a month above; storage follows the series count,
# which grows with pods and regions. Pilot runs single replicas: losing its monitoring for a
# reschedule is acceptable, losing a production tier's is not. No tier sets the cost alerts and
# budgets (observability.cost): unless a stack sets them, they follow the stack's own cost
# estimate plus headroom (tierstack.cost.budgets), since a fixed figure per tier is wrong for
# every stack that differs from the preset.
OBSERVABILITY = {
    "pilot": _observability(7, 20, 1),
    "growth": _observability(15, 50, 2),
    "scale": _observability(15, 100, 2),
    "enterprise": _observability(30, 250, 2),
    "hyperscale": _observability(30, 500, 2),
}


PRESETS: dict[Tier, dict[str, Any]] = {
    # ~100 concurrent users. Cheapest shape that still survives an AZ loss: two AZs (EKS needs
    # subnets in two), one shared NAT gateway (a NAT outage only stops egress, and pilot has no
    # SLA), no interface endpoints, one general node group of 16 GiB nodes that fits the
    # halved memory service. One region.
    Tier.PILOT: {
        "regionCount": 1,
        "data": DATA["pilot"],
        "observability": OBSERVABILITY["pilot"],
        "network": _network(2, "single", 30, []),
        "cluster": _cluster(["api", "audit", "authenticator"], 30, {
            # Zonal (a group per AZ): monitoring's volumes can always get a node in their AZ.
            "general": _node_group(["m6i.xlarge"], 2, 4, 50, "general", zonal=True),
        }),
        "services": _services({
            "auth": _service("auth", 2, "250m", "512Mi", 2, 4),
            "conversation": _service("conversation", 2, "500m", "1Gi", 2, 6),
            "model": _service("model", 2, "1", "2Gi", 2, 4),
            "memory": _service("memory", 2, "500m", "4Gi", 2, 3),
            "monitoring": _monitoring_service("512Mi"),
        }, _worker(0, 3, "512Mi")),
    },
    # ~1,000 users. Production from here on: three AZs, a NAT gateway per AZ so an AZ outage
    # cannot cut the others' egress, private endpoints for the AWS APIs, system add-ons on
    # their own node group so a noisy agent workload cannot starve CoreDNS. Seed pod sizes.
    Tier.GROWTH: {
        "regionCount": 1,
        "data": DATA["growth"],
        "observability": OBSERVABILITY["growth"],
        "network": _network(3, "perAz", 90, _CLUSTER_ENDPOINTS),
        "cluster": _cluster(_ALL_CONTROL_PLANE_LOGS, 90, {
            "system": _node_group(["m6i.large"], 2, 4, 50, "system", zonal=True),
            "workers": _node_group(["m6i.xlarge"], 3, 12, 100, "workers"),
        }),
        "services": _services({
            "auth": _service("auth", 2, "500m", "1Gi", 2, 6),
            "conversation": _service("conversation", 3, "1", "2Gi", 2, 15),
            "model": _service("model", 2, "1", "4Gi", 2, 8),
            "memory": _service("memory", 2, "1", "8Gi", 2, 4),
            "monitoring": _monitoring_service("1Gi"),
        }, _worker(2, 10, "1Gi")),
    },
    # ~10,000 users. Two regions for latency and a warm standby; larger workers so the 8 GiB
    # memory pods pack well; ceilings about double growth's, tracking a 10x user jump that
    # caching and batching absorb in part.
    Tier.SCALE: {
        "regionCount": 2,
        "data": DATA["scale"],
        "observability": OBSERVABILITY["scale"],
        "network": _network(3, "perAz", 90, _CLUSTER_ENDPOINTS),
        "cluster": _cluster(_ALL_CONTROL_PLANE_LOGS, 90, {
            "system": _node_group(["m6i.large"], 3, 6, 50, "system", zonal=True),
            "workers": _node_group(["m6i.2xlarge"], 3, 30, 100, "workers"),
        }),
        "services": _services({
            "auth": _service("auth", 3, "500m", "1Gi", 2, 12),
            "conversation": _service("conversation", 5, "1", "2Gi", 2, 30),
            "model": _service("model", 3, "1", "4Gi", 2, 15),
            "memory": _service("memory", 2, "1", "8Gi", 2, 6),
            "monitoring": _monitoring_service("1Gi"),
        }, _worker(2, 30, "1Gi")),
    },
    # ~100,000 users. Three regions; a memory-optimised group keeps the 8 GiB memory service
    # off the general workers; a year of flow and control-plane logs for audit.
    Tier.ENTERPRISE: {
        "regionCount": 3,
        "data": DATA["enterprise"],
        "observability": OBSERVABILITY["enterprise"],
        "network": _network(3, "perAz", 365, _CLUSTER_ENDPOINTS),
        "cluster": _cluster(_ALL_CONTROL_PLANE_LOGS, 365, {
            "system": _node_group(["m6i.xlarge"], 3, 6, 50, "system", zonal=True),
            "workers": _node_group(["m6i.4xlarge"], 6, 120, 100, "workers"),
            "memory": _node_group(["r6i.2xlarge"], 3, 30, 100, "memory"),
        }),
        "services": _services({
            "auth": _service("auth", 3, "500m", "1Gi", 2, 25),
            "conversation": _service("conversation", 8, "1", "2Gi", 2, 60),
            "model": _service("model", 4, "2", "4Gi", 2, 30),
            "memory": _service("memory", 2, "1", "8Gi", 2, 10),
            "monitoring": _monitoring_service("1Gi"),
        }, _worker(3, 60, "1Gi")),
    },
    # ~1,000,000 users: the seed at its largest. Its five regions, its replica table and its
    # 100-instance ceiling. Worker groups list same-sized types from three families so the
    # autoscaler can still place nodes when one family runs short of capacity; the 450 cap is
    # the default managed-node-group quota.
    Tier.HYPERSCALE: {
        "regionCount": 5,
        "data": DATA["hyperscale"],
        "observability": OBSERVABILITY["hyperscale"],
        "network": _network(3, "perAz", 365, _CLUSTER_ENDPOINTS),
        "cluster": _cluster(_ALL_CONTROL_PLANE_LOGS, 365, {
            "system": _node_group(["m6i.2xlarge"], 3, 9, 50, "system", zonal=True),
            "workers": _node_group(["m6i.4xlarge", "m6a.4xlarge", "m7i.4xlarge"], 9, 450, 100, "workers"),
            "memory": _node_group(["r6i.4xlarge", "r6a.4xlarge", "r7i.4xlarge"], 3, 60, 100, "memory"),
        }),
        "services": _services({
            "auth": _service("auth", 3, "500m", "1Gi", 2, 50),
            "conversation": _service("conversation", 10, "1", "2Gi", 2, 100),
            "model": _service("model", 5, "2", "4Gi", 2, 60),
            "memory": _service("memory", 2, "1", "8Gi", 2, 20),
            "monitoring": _monitoring_service("1Gi"),
        }, _worker(5, 100, "1Gi")),
    },
}


def preset(tier: Tier | str) -> dict[str, Any]:
    """A deep copy of a tier's preset, safe to merge overrides into."""
    return copy.deepcopy(PRESETS[Tier(tier)])
