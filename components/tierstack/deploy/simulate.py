"""A first ``pulumi up``, simulated: the engine's walk of the recorded graph with per-type durations.

The engine starts a resource as soon as everything it waits for (``DeployGraph``) is done, with
unbounded parallelism by default (``pulumi up --parallel`` caps it). Each create takes the typical
time below; the result is the estimated wall time and the critical path that sets it. The
estimates are medians of what people observe, not guarantees: ACM validation can take an hour and
RDS sometimes serialises instances, so read the total as "about", and the path as "what to shorten".
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any, Optional

from tierstack.deploy.graph import HELM_RELEASE, DeployGraph, RecordedResource, kind_of


@dataclass(frozen=True)
class Duration:
    seconds: float
    source: str


# Typical create times. Sources: "log" = public `terraform apply` timings (pulumi-aws wraps the same
# provider code and waiters), "TF" = terraform-provider-aws waiters, "AWS" = AWS documentation.
CREATE_SECONDS: dict[str, Duration] = {
    "aws:eks/cluster:Cluster": Duration(600, "AWS EKS CreateCluster: 'typically 10 to 15 minutes'; logs 8m21s-11m23s"),
    "aws:eks/nodeGroup:NodeGroup": Duration(120, "logs 58s-5m33s, median about 2m"),
    "aws:eks/addon:Addon": Duration(45, "logs: vpc-cni 35-66s, coredns 14-56s, ebs-csi 45-65s"),
    "aws:ec2/natGateway:NatGateway": Duration(105, "logs 1m25s-2m5s (TF waits for 'available')"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": Duration(90, "estimate: interface endpoints go pending -> available in 1-3 min"),
    "aws:ec2/vpc:Vpc": Duration(3, "logs 1-15s"),
    "aws:kms/key:Key": Duration(20, "logs 12-29s (TF waits for the key policy to propagate)"),
    "aws:rds/cluster:Cluster": Duration(60, "log 43s; TF acceptance tests under 2 min"),
    "aws:rds/clusterInstance:ClusterInstance": Duration(480, "log: two instances 6m21s and 12m21s; TF waits for 'available'"),
    "aws:rds/globalCluster:GlobalCluster": Duration(30, "estimate: a metadata object with no waiter of note"),
    "aws:elasticache/replicationGroup:ReplicationGroup": Duration(450, "logs 5m58s-9m15s (cluster mode disabled)"),
    "aws:cloudfront/distribution:Distribution": Duration(300, "logs 3m43s-7m53s (TF waits for 'Deployed')"),
    "aws:acm/certificateValidation:CertificateValidation": Duration(100, "logs 1m29s-8m52s; TF waits up to 75 min"),
    "aws:route53/record:Record": Duration(35, "AWS: INSYNC within 60 s; log 35s"),
    "aws:sqs/queue:Queue": Duration(26, "logs 25-26s (TF waits for the queue's attributes)"),
    "aws:s3/bucket:Bucket": Duration(2, "logs 0-6s"),
    "aws:ec2/securityGroup:SecurityGroup": Duration(2, "logs 1-5s"),
    "aws:wafv2/webAcl:WebAcl": Duration(3, "estimate: synchronous create"),
    HELM_RELEASE: Duration(60, "logs: controller charts 21-59s until their pods are Ready (helm --wait)"),
    "kubernetes:apps/v1:Deployment": Duration(45, "estimate: image pull and readiness; pulumi-kubernetes awaits Ready"),
    "kubernetes:batch/v1:Job": Duration(60, "estimate: a pod start and a short run; pulumi-kubernetes awaits completion"),
    "kubernetes:core/v1:Service": Duration(10, "pulumi-kubernetes waits for endpoints plus 10 s for stragglers"),
    "kubernetes:networking.k8s.io/v1:Ingress": Duration(90, "estimate: the controller writes the ALB hostname once the "
                                                             "load balancer, listeners and rules exist"),
}
# Clusters that add a secondary region, and cluster-mode caches, take longer than their type's median.
SECONDARY_CLUSTER = Duration(600, "estimate: a global-database secondary waits for replication to start")
CLUSTER_MODE_CACHE = Duration(600, "TF acceptance tests: cluster mode 918s vs 708s create+destroy")
DEFAULT_AWS = Duration(2, "synchronous AWS create calls (IAM, logs, alarms, parameters)")
DEFAULT_KUBERNETES = Duration(1, "plain API create")


def create_duration(resource: RecordedResource) -> Duration:
    inputs = resource.inputs
    if resource.type == "aws:rds/cluster:Cluster" and inputs.get("globalClusterIdentifier") and not inputs.get(
            "masterUsername"):
        return SECONDARY_CLUSTER
    if resource.type == "aws:elasticache/replicationGroup:ReplicationGroup" and inputs.get("clusterMode") == "enabled":
        return CLUSTER_MODE_CACHE
    if resource.type in CREATE_SECONDS:
        return CREATE_SECONDS[resource.type]
    if resource.type.startswith("pulumi:providers:"):
        return Duration(0, "a provider is configured, not created")
    return DEFAULT_KUBERNETES if resource.type.startswith("kubernetes:") else DEFAULT_AWS


@dataclass(frozen=True)
class Step:
    urn: str
    type: str
    name: str
    start: float
    seconds: float

    @property
    def end(self) -> float:
        return self.start + self.seconds


@dataclass(frozen=True)
class Simulation:
    total_seconds: float
    steps: dict[str, Step]
    critical_path: list[Step]
    parallel: Optional[int]

    def to_json(self) -> dict[str, Any]:
        return {
            "estimatedSeconds": round(self.total_seconds),
            "parallel": self.parallel,
            "resources": len(self.steps),
            "criticalPath": [{"urn": s.urn, "type": s.type, "name": s.name, "start": round(s.start),
                              "seconds": s.seconds} for s in self.critical_path],
        }


def simulate(graph: DeployGraph, parallel: Optional[int] = None, existing: frozenset[str] = frozenset()) -> Simulation:
    """Walk the graph as the engine does: each resource starts once its dependencies are done.

    ``existing`` URNs are already deployed (an upgrade of a live stack): they take no time, so the
    result is the time to create what the change adds (in-place updates are not estimated).
    """
    order = list(graph.resources)
    position = {urn: index for index, urn in enumerate(order)}
    dependencies = {urn: graph.direct_dependencies(urn) for urn in order}
    dependents: dict[str, list[str]] = {urn: [] for urn in order}
    for urn, deps in dependencies.items():
        for dep in deps:
            dependents[dep].append(urn)
    waiting = {urn: len(deps) for urn, deps in dependencies.items()}
    ready_at = {urn: 0.0 for urn in order}
    ready = [(0.0, position[urn], urn) for urn in order if waiting[urn] == 0]
    heapq.heapify(ready)
    running: list[tuple[float, str]] = []
    steps: dict[str, Step] = {}
    clock = 0.0
    while ready or running:
        while ready and (parallel is None or len(running) < parallel):
            available, _, urn = heapq.heappop(ready)
            resource = graph.resources[urn]
            start = max(available, clock)
            seconds = 0.0 if urn in existing else create_duration(resource).seconds
            step = Step(urn, resource.type, resource.name, start, seconds)
            steps[urn] = step
            heapq.heappush(running, (step.end, urn))
        if not running:
            break
        clock, done = heapq.heappop(running)
        for dependent in dependents[done]:
            ready_at[dependent] = max(ready_at[dependent], clock)
            waiting[dependent] -= 1
            if waiting[dependent] == 0:
                heapq.heappush(ready, (ready_at[dependent], position[dependent], dependent))
    if len(steps) != len(order):
        stuck = sorted(set(order) - set(steps))[:3]
        raise ValueError(f"the dependency graph has a cycle; {len(order) - len(steps)} resources never start "
                         f"(e.g. {', '.join(stuck)})")
    total = max((s.end for s in steps.values()), default=0.0)
    return Simulation(total, steps, _critical_path(steps, dependencies), parallel)


def _critical_path(steps: dict[str, Step], dependencies: dict[str, set[str]]) -> list[Step]:
    if not steps:
        return []
    current: Optional[Step] = max(steps.values(), key=lambda s: (s.end, s.seconds))
    path: list[Step] = []
    while current is not None:
        path.append(current)
        before = [steps[d] for d in dependencies[current.urn]]
        current = max(before, key=lambda s: s.end) if before else None
    return list(reversed(path))


def render(simulation: Simulation, *, limit: int = 40) -> str:
    minutes, seconds = divmod(round(simulation.total_seconds), 60)
    cap = f", at most {simulation.parallel} at once" if simulation.parallel else " (unbounded parallelism, the default)"
    lines = [f"First `pulumi up`: about {minutes} min {seconds:02d} s for {len(simulation.steps)} resources{cap}.",
             "Critical path (start -> end, seconds):"]
    shown = [s for s in simulation.critical_path if s.seconds > 0] or simulation.critical_path
    for step in shown[-limit:]:
        label = kind_of(step.type) if step.type.startswith("kubernetes:") else step.type
        lines.append(f"  {step.start:7.0f} -> {step.end:7.0f}  {step.seconds:5.0f}  {label} {step.name}")
    return "\n".join(lines)
