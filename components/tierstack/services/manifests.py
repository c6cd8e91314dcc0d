"""Kubernetes object bodies for the agent services, as plain camelCase dicts.

Pure builders (values may be Pulumi Outputs, which they only place): the component passes
them to pulumi-kubernetes unchanged, and tests validate them against the official schema.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

from tierstack.config.model import AutoscalingSettings, IngressSettings
from tierstack.config.tiers import POOL_LABEL

PART_OF = "tierstack"
ZONE = "topology.kubernetes.io/zone"
HOSTNAME = "kubernetes.io/hostname"
RUN_AS = 65532  # the conventional "nonroot" uid of distroless images
REQUESTS_PER_SECOND = "http_requests_per_second"
MONITORING_NAMESPACE = "monitoring"


@dataclass(frozen=True)
class Workload:
    """One containerised workload: an agent service or the queue worker."""

    name: str
    namespace: str
    role: str  # "api" or "worker": the app.kubernetes.io/component label
    image: str
    port: int
    health_path: str
    cpu: str
    memory: str
    args: Sequence[str] = ()
    env: Sequence[Mapping[str, Any]] = ()
    # None when an autoscaler owns the replica count.
    replicas: Optional[int] = None
    # Node pools to prefer, most preferred first (soft: pods still schedule elsewhere).
    preferred_pools: Sequence[str] = field(default_factory=tuple)
    # (ConfigMap name, directory) to mount read-only, e.g. the shard map.
    config_mount: Optional[tuple[str, str]] = None

    @property
    def labels(self) -> dict[str, str]:
        return selector_labels(self.name) | {"app.kubernetes.io/component": self.role, "app.kubernetes.io/part-of": PART_OF}


def selector_labels(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": name}


def metadata(name: str, namespace: str, labels: Mapping[str, str], annotations: Optional[Mapping[str, Any]] = None) -> dict:
    body: dict[str, Any] = {"name": name, "namespace": namespace, "labels": dict(labels)}
    if annotations:
        body["annotations"] = dict(annotations)
    return body


def _probe(path: str, period: int, failures: int, initial_delay: int = 0) -> dict:
    probe = {"httpGet": {"path": path, "port": "http"}, "periodSeconds": period, "timeoutSeconds": 2,
             "failureThreshold": failures}
    if initial_delay:
        probe["initialDelaySeconds"] = initial_delay
    return probe


def pool_affinity(ranked_pools: Sequence[str]) -> dict:
    """Soft node affinity for the given pools, the first weighted highest."""
    return {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 100 - 10 * rank, "preference": {"matchExpressions": [
            {"key": POOL_LABEL, "operator": "In", "values": [pool]}]}}
        for rank, pool in enumerate(ranked_pools)
    ]}}


def deployment_spec(workload: Workload) -> dict:
    container = {
        "name": workload.name,
        "image": workload.image,
        "imagePullPolicy": "IfNotPresent",
        "args": list(workload.args),
        "ports": [{"name": "http", "containerPort": workload.port, "protocol": "TCP"}],
        "env": [{"name": "PORT", "value": str(workload.port)}, {"name": "SERVICE_NAME", "value": workload.name},
                *[dict(e) for e in workload.env]],
        # Requests size the scheduler's packing; a memory limit equal to the request means a
        # leak restarts this pod instead of evicting its neighbours. No CPU limit: throttling
        # a latency-bound service hurts more than sharing idle cycles.
        "resources": {"requests": {"cpu": workload.cpu, "memory": workload.memory},
                      "limits": {"memory": workload.memory}},
        # Startup gives slow boots time without loosening liveness once the pod is up.
        "startupProbe": _probe(workload.health_path, period=5, failures=24),
        "readinessProbe": _probe(workload.health_path, period=5, failures=3),
        "livenessProbe": _probe(workload.health_path, period=10, failures=3),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    volumes: list[dict[str, Any]] = [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}]
    if workload.config_mount:
        config_map, directory = workload.config_mount
        container["volumeMounts"].append({"name": config_map, "mountPath": directory, "readOnly": True})
        volumes.append({"name": config_map, "configMap": {"name": config_map}})
    pod_spec: dict[str, Any] = {
        "serviceAccountName": workload.name,
        # IRSA mounts its own projected token; the Kubernetes API token is not needed.
        "automountServiceAccountToken": False,
        "securityContext": {"runAsNonRoot": True, "runAsUser": RUN_AS, "runAsGroup": RUN_AS, "fsGroup": RUN_AS,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container],
        "volumes": volumes,
        # ScheduleAnyway: node groups span all AZs in one Auto Scaling group, so a hard zone
        # constraint could leave pods pending that no scale-up is guaranteed to satisfy.
        "topologySpreadConstraints": [
            {"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": "ScheduleAnyway",
             "labelSelector": {"matchLabels": selector_labels(workload.name)}}
            for key in (ZONE, HOSTNAME)
        ],
        "terminationGracePeriodSeconds": 30,
    }
    if workload.preferred_pools:
        pod_spec["affinity"] = pool_affinity(workload.preferred_pools)
    spec: dict[str, Any] = {
        "selector": {"matchLabels": selector_labels(workload.name)},
        "revisionHistoryLimit": 5,
        # Surge first, never drop below the running count during a rollout.
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
        "template": {"metadata": {"labels": workload.labels}, "spec": pod_spec},
    }
    if workload.replicas is not None:
        spec["replicas"] = workload.replicas
    return spec


def service_spec(workload: Workload) -> dict:
    return {"type": "ClusterIP", "selector": selector_labels(workload.name),
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]}


def scaling_behavior(scale_down_stabilization: int) -> dict:
    """The seed's cooldowns: react to load within a minute, shed capacity only after calm.

    Scale-up has no stabilization and may double (or add four pods) per minute, the seed's
    60 s request-rate cooldown; scale-down waits the seed's 300 s and then sheds at most a
    fifth per minute so a brief lull never drains a warm pool.
    """
    return {
        "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max",
                    "policies": [{"type": "Percent", "value": 100, "periodSeconds": 60},
                                 {"type": "Pods", "value": 4, "periodSeconds": 60}]},
        "scaleDown": {"stabilizationWindowSeconds": scale_down_stabilization, "selectPolicy": "Min",
                      "policies": [{"type": "Percent", "value": 20, "periodSeconds": 60}]},
    }


def hpa_spec(name: str, scaling: AutoscalingSettings) -> dict:
    return {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
        "minReplicas": scaling.min_replicas,
        "maxReplicas": scaling.max_replicas,
        "metrics": [
            {"type": "Resource", "resource": {"name": "cpu", "target": {
                "type": "Utilization", "averageUtilization": scaling.target_cpu_percent}}},
            {"type": "Resource", "resource": {"name": "memory", "target": {
                "type": "Utilization", "averageUtilization": scaling.target_memory_percent}}},
            {"type": "Pods", "pods": {"metric": {"name": REQUESTS_PER_SECOND}, "target": {
                "type": "AverageValue", "averageValue": str(scaling.target_requests_per_second)}}},
        ],
        "behavior": scaling_behavior(scaling.scale_down_stabilization_seconds),
    }


def pdb_spec(name: str) -> dict:
    # One pod at a time: drains and node upgrades proceed, capacity never drops by more.
    return {"maxUnavailable": 1, "selector": {"matchLabels": selector_labels(name)}}


def network_policy_spec(name: str, port: int, callers: Sequence[str], load_balancer_cidrs: Sequence[str]) -> dict:
    """Admit only the declared callers on the service port, plus Prometheus scraping it."""
    peers: list[dict] = [{"podSelector": {"matchLabels": selector_labels(caller)}}
                         for caller in callers if caller != "ingress"]
    if "ingress" in callers:
        # The ALB targets pod IPs directly from its nodes in the public subnets.
        peers.extend({"ipBlock": {"cidr": cidr}} for cidr in load_balancer_cidrs)
    peers.append({"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": MONITORING_NAMESPACE}}})
    return {
        "podSelector": {"matchLabels": selector_labels(name)},
        "policyTypes": ["Ingress"],
        "ingress": [{"from": peers, "ports": [{"protocol": "TCP", "port": port}]}],
    }


def default_deny_spec() -> dict:
    return {"podSelector": {}, "policyTypes": ["Ingress"]}


@dataclass(frozen=True)
class EdgeOrigin:
    """How a cell's load balancer serves as an origin of the global edge (``tierstack.edge.origins``).

    The listener uses ``certificate_arn`` (an issued certificate, so no discovery), the load
    balancer admits only ``security_groups``' sources, and every rule but the health check's
    requires CloudFront's secret header. Its rules name no host: it answers whichever origin name
    CloudFront and the health checks send, all of which the certificate covers.
    """

    certificate_arn: Any
    # Comma-separated security group ids (a string or an Output of one).
    security_groups: Any
    # The listener-rule condition that requires the header: ``verify_condition(header, secret)``.
    verify_condition: Any
    health_path: str = "/healthz"


HEALTH_CHECK_ACTION = "health-check"
_ANNOTATION = "alb.ingress.kubernetes.io/"


def ingress_annotations(settings: IngressSettings, routes: Sequence[tuple[str, str]] = (),
                        origin: Optional[EdgeOrigin] = None) -> dict[str, Any]:
    annotations: dict[str, Any] = {
        f"{_ANNOTATION}scheme": "internet-facing",
        f"{_ANNOTATION}target-type": "ip",
        # HTTPS only: no port-80 listener exists to redirect from or fall back to.
        f"{_ANNOTATION}listen-ports": '[{"HTTPS": 443}]',
        f"{_ANNOTATION}ssl-policy": settings.ssl_policy,
        f"{_ANNOTATION}backend-protocol": "HTTP",
        f"{_ANNOTATION}load-balancer-attributes": "routing.http.drop_invalid_header_fields.enabled=true",
    }
    if settings.certificate_arn:
        annotations[f"{_ANNOTATION}certificate-arn"] = settings.certificate_arn
    if origin is None:
        return annotations
    annotations[f"{_ANNOTATION}certificate-arn"] = origin.certificate_arn
    # Our groups replace the controller's open-to-the-world frontend group; the controller still
    # opens the targets' group to the load balancer.
    annotations[f"{_ANNOTATION}security-groups"] = origin.security_groups
    annotations[f"{_ANNOTATION}manage-backend-security-group-rules"] = "true"
    for service in sorted({service for _, service in routes}):
        annotations[f"{_ANNOTATION}conditions.{service}"] = origin.verify_condition
    health_target = _health_target(routes)
    if health_target:
        # Route 53's health checkers cannot send the secret header: the health path forwards to
        # the same service without the condition, and nothing else is reachable without it.
        annotations[f"{_ANNOTATION}actions.{HEALTH_CHECK_ACTION}"] = json.dumps({
            "type": "forward", "forwardConfig": {"targetGroups": [{"serviceName": health_target, "servicePort": "http"}]}})
    return annotations


def verify_condition(header: str, secret: str) -> str:
    """A listener-rule condition (the controller's conditions annotation) that requires ``header: secret``."""
    return json.dumps([{"field": "http-header", "httpHeaderConfig": {"httpHeaderName": header, "values": [secret]}}])


def _health_target(routes: Sequence[tuple[str, str]]) -> Optional[str]:
    """The service behind the shortest public prefix answers the load balancer's health path."""
    return min(routes, key=lambda r: len(r[0]))[1] if routes else None


def ingress_spec(routes: Sequence[tuple[str, str]], settings: IngressSettings,
                 origin: Optional[EdgeOrigin] = None) -> dict:
    """routes: (path prefix, service name), longest prefix first so '/' never shadows '/auth'.

    Standalone, the rule answers settings.host and the controller finds the certificate by that
    host. Behind the global edge, the load balancer answers the edge's origin names (whatever
    Host CloudFront and the health checks send) with the certificate the annotation names.
    """
    paths = [{"path": path, "pathType": "Prefix",
              "backend": {"service": {"name": service, "port": {"name": "http"}}}}
             for path, service in sorted(routes, key=lambda r: -len(r[0]))]
    if origin is not None and routes:
        paths.insert(0, {"path": origin.health_path, "pathType": "Exact",
                         "backend": {"service": {"name": HEALTH_CHECK_ACTION, "port": {"name": "use-annotation"}}}})
    rule: dict[str, Any] = {"http": {"paths": paths}}
    spec: dict[str, Any] = {"ingressClassName": "alb", "rules": [rule]}
    if settings.host and origin is None:
        rule["host"] = settings.host
        spec["tls"] = [{"hosts": [settings.host]}]
    return spec


def trigger_authentication_spec() -> dict:
    # identityOwner "keda": the KEDA operator reads queue depth with its own IRSA role, so the
    # worker's role needs no trust relationship with the operator.
    return {"podIdentity": {"provider": "aws", "identityOwner": "keda"}}


def scaled_object_spec(name: str, *, queue_url: Any, region: str, min_replicas: int, max_replicas: int,
                       messages_per_replica: int, trigger_auth: str, scale_down_stabilization: int = 300) -> dict:
    return {
        "scaleTargetRef": {"name": name},
        "minReplicaCount": min_replicas,
        "maxReplicaCount": max_replicas,
        "pollingInterval": 15,
        "cooldownPeriod": scale_down_stabilization,
        "advanced": {"horizontalPodAutoscalerConfig": {"behavior": scaling_behavior(scale_down_stabilization)}},
        "triggers": [{
            "type": "aws-sqs-queue",
            "authenticationRef": {"name": trigger_auth},
            "metadata": {"queueURL": queue_url, "queueLength": str(messages_per_replica), "awsRegion": region,
                         # In-flight messages are work in progress: count them so scale-in waits for them.
                         "scaleOnInFlight": "true"},
        }],
    }
