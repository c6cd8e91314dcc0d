"""Kubernetes object bodies and Helm values of the observability stack, as plain camelCase dicts.

Pure builders (values may be Pulumi Outputs, which they only place), in the style of
``tierstack.services.manifests``: the component hands them to pulumi-kubernetes unchanged and
the tests validate them, built-in kinds against the official schema, CRs against tests/schemas.
"""

from __future__ import annotations

import shlex
from typing import Any, Mapping, Optional, Sequence

from tierstack import charts
from tierstack.config.tiers import ZONAL_LABEL
from tierstack.observability.dashboards import DATASOURCE_UID
from tierstack.config.observability import ObservabilitySettings
from tierstack.services import manifests as services_manifests
from tierstack.services.manifests import MONITORING_NAMESPACE, PART_OF

NAMESPACE = MONITORING_NAMESPACE  # the agents' NetworkPolicies admit scrapes from this namespace only
# The encrypted gp3 class KubernetesCluster creates (tierstack.cluster.eks.DEFAULT_STORAGE_CLASS).
STORAGE_CLASS = "gp3-encrypted"
PROMETHEUS_SERVICE = f"{charts.KUBE_PROMETHEUS_STACK.chart}-prometheus"
ALERTMANAGER_SERVICE_ACCOUNT = "alertmanager"
COLLECTOR_NAME = "otel-collector"
JAEGER_NAME = "jaeger"
JAEGER_VOLUME_CLAIM = "jaeger-traces"
JAEGER_DATA_DIR = "/badger"
OTLP_GRPC_PORT = 4317
DASHBOARD_LABEL = {"grafana_dashboard": "1"}
# Receiver credentials, fetched from Secrets Manager at pod start into a memory-backed volume.
RECEIVER_SECRETS_DIR = "/etc/alertmanager/receivers"
SLACK_WEBHOOK_FILE = "slack-webhook-url"
PAGERDUTY_KEY_FILE = "pagerduty-routing-key"
# The AWS CLI that fetches them: an exact tag, so no pod start pulls a new build.
AWS_CLI_IMAGE = charts.AWS_CLI_IMAGE
# kube-prometheus-stack's switches for what EKS does not expose, and the rule groups about them.
EKS_HIDDEN_COMPONENTS = ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy")
EKS_HIDDEN_RULE_GROUPS = ("kubeControllerManager", "kubeSchedulerAlerting", "kubeSchedulerRecording", "etcd", "kubeProxy")
# Monitoring prefers the system pool, then general capacity, like the controllers.
PREFERRED_POOLS = ("system", "general")
WARNING_RECEIVER, CRITICAL_RECEIVER, NULL_RECEIVER = "tierstack-warning", "tierstack-critical", "null"
# Alerts on the same thing from the same place collapse into one notification.
GROUP_BY = ["alertname", "namespace", "service"]


def labels(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/component": "observability",
            "app.kubernetes.io/part-of": PART_OF}


def metadata(name: str, namespace: str, extra_labels: Optional[Mapping[str, str]] = None) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, "labels": {**labels(name), **(extra_labels or {})}}


def pool_affinity(node_pools: Sequence[str]) -> dict[str, Any]:
    """Soft placement on the preferred pools the cluster has ({} when it has none of them)."""
    pools = [p for p in PREFERRED_POOLS if p in node_pools]
    return services_manifests.pool_affinity(pools) if pools else {}


def stateful_affinity(node_pools: Sequence[str], zonal_capacity: bool) -> dict[str, Any]:
    """Placement of pods on zonal EBS volumes: required on zonal node groups where the cluster has them.

    A volume pins its pod to one AZ; only a node group of that AZ lets the Cluster Autoscaler add a
    node there, so such pods never stay Pending after a reschedule.
    """
    affinity = pool_affinity(node_pools)
    if not zonal_capacity:
        return affinity
    required = {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": ZONAL_LABEL, "operator": "In", "values": ["true"]}]}]}}
    node = affinity.get("nodeAffinity", {})
    return {"nodeAffinity": {**node, **required}}


def _claim(gib: int) -> dict[str, Any]:
    return {"storageClassName": STORAGE_CLASS, "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": f"{gib}Gi"}}}


# -- Alertmanager ---------------------------------------------------------------------------------

def alertmanager_config(settings: ObservabilitySettings, topic_arn: Any, region: str) -> dict[str, Any]:
    """Route everything to SNS; warnings also to Slack, criticals also to Slack and PagerDuty.

    SNS is signed with SigV4 using the pod's IRSA credentials (no keys in the config); Slack and
    PagerDuty read their credentials from files (``*_file``), never from the config itself.
    """
    am = settings.alertmanager
    sns = {"topic_arn": topic_arn, "sigv4": {"region": region}, "send_resolved": True}
    slack = ([{"api_url_file": f"{RECEIVER_SECRETS_DIR}/{SLACK_WEBHOOK_FILE}", "send_resolved": True,
               **({"channel": am.slack_channel} if am.slack_channel else {})}]
             if am.slack_webhook_secret else [])
    pagerduty = ([{"routing_key_file": f"{RECEIVER_SECRETS_DIR}/{PAGERDUTY_KEY_FILE}", "send_resolved": True}]
                 if am.pagerduty_routing_key_secret else [])

    def receiver(name: str, *extra: tuple[str, list]) -> dict[str, Any]:
        body: dict[str, Any] = {"name": name, "sns_configs": [dict(sns)]}
        body.update({key: configs for key, configs in extra if configs})
        return body

    return {
        "route": {
            "receiver": WARNING_RECEIVER, "group_by": GROUP_BY, "group_wait": "30s", "group_interval": "5m",
            "repeat_interval": am.repeat_interval,
            "routes": [
                # kube-prometheus-stack's always-firing dead man's switch and its info-level noise.
                {"receiver": NULL_RECEIVER, "matchers": ['alertname = "Watchdog"']},
                {"receiver": NULL_RECEIVER, "matchers": ['alertname = "InfoInhibitor"']},
                {"receiver": NULL_RECEIVER, "matchers": ['severity = "info"']},
                {"receiver": CRITICAL_RECEIVER, "matchers": ['severity = "critical"']},
            ],
        },
        "inhibit_rules": [
            # While the critical fires, its warning (same alert, same place) stays quiet.
            {"source_matchers": ['severity = "critical"'], "target_matchers": ['severity = "warning"'], "equal": GROUP_BY},
        ],
        "receivers": [
            {"name": NULL_RECEIVER},
            receiver(WARNING_RECEIVER, ("slack_configs", slack)),
            receiver(CRITICAL_RECEIVER, ("slack_configs", slack), ("pagerduty_configs", pagerduty)),
        ],
    }


def receiver_secret_files(settings: ObservabilitySettings) -> dict[str, str]:
    """File name -> Secrets Manager secret name, for the receivers that are configured."""
    am = settings.alertmanager
    files = {SLACK_WEBHOOK_FILE: am.slack_webhook_secret, PAGERDUTY_KEY_FILE: am.pagerduty_routing_key_secret}
    return {file: secret for file, secret in files.items() if secret}


def receiver_secrets_pod_parts(settings: ObservabilitySettings, region: str) -> dict[str, Any]:
    """initContainers, volumes and volumeMounts of the Alertmanager pods ({} without Slack or PagerDuty).

    The init container reads each secret with the pod's IRSA role into a memory-backed volume;
    the credentials never pass through Pulumi state, the Alertmanager config or a Kubernetes
    Secret. A rotated secret is picked up when the pods restart.
    """
    files = receiver_secret_files(settings)
    if not files:
        return {}
    script = "set -eu; umask 077; " + "; ".join(
        f"aws secretsmanager get-secret-value --secret-id {shlex.quote(secret)} --query SecretString "
        f"--output text > {RECEIVER_SECRETS_DIR}/{file}" for file, secret in files.items())
    init = {
        "name": "receiver-secrets",
        "image": AWS_CLI_IMAGE,
        "command": ["/bin/sh", "-c"],
        "args": [script],
        "env": [{"name": "AWS_REGION", "value": region}, {"name": "HOME", "value": "/tmp"}],
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "receiver-secrets", "mountPath": RECEIVER_SECRETS_DIR},
                         {"name": "aws-cli-home", "mountPath": "/tmp"}],
    }
    return {
        "initContainers": [init],
        "volumes": [{"name": "receiver-secrets", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
                    {"name": "aws-cli-home", "emptyDir": {"sizeLimit": "64Mi"}}],
        "volumeMounts": [{"name": "receiver-secrets", "mountPath": RECEIVER_SECRETS_DIR, "readOnly": True}],
    }


# -- kube-prometheus-stack ------------------------------------------------------------------------

def kube_prometheus_stack_values(settings: ObservabilitySettings, *, cluster_name: str, region: str,
                                 alertmanager_role_arn: Any, topic_arn: Any,
                                 node_pools: Sequence[str] = (), zonal_capacity: bool = False) -> dict[str, Any]:
    prometheus, am = settings.prometheus, settings.alertmanager
    affinity = pool_affinity(node_pools)
    placement = {"affinity": affinity} if affinity else {}
    stateful = stateful_affinity(node_pools, zonal_capacity)
    volume_placement = {"affinity": stateful} if stateful else {}
    return {
        "crds": {"enabled": True},
        # EKS runs the scheduler, controller-manager and etcd out of sight and binds kube-proxy's
        # metrics to localhost: scraping them finds no target (KubeSchedulerDown and
        # KubeControllerManagerDown page as critical forever) or a refused one (TargetDown).
        **{component: {"enabled": False} for component in EKS_HIDDEN_COMPONENTS},
        "defaultRules": {"rules": {group: False for group in EKS_HIDDEN_RULE_GROUPS}},
        "prometheus": {"podDisruptionBudget": {"enabled": prometheus.replicas > 1, "minAvailable": 1}, "prometheusSpec": {
            "replicas": prometheus.replicas,
            "retention": f"{prometheus.retention_days}d",
            "retentionSize": prometheus.retention_size,
            "scrapeInterval": f"{prometheus.scrape_interval_seconds}s",
            # Which cell a series (and an alert) came from, once several cells report together.
            "externalLabels": {"cluster": cluster_name, "region": region},
            # Select ServiceMonitors and rules by what they are, not by the Helm release's label.
            "serviceMonitorSelectorNilUsesHelmValues": False,
            "podMonitorSelectorNilUsesHelmValues": False,
            "ruleSelectorNilUsesHelmValues": False,
            "storageSpec": {"volumeClaimTemplate": {"spec": _claim(prometheus.storage_gib)}},
            "resources": {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"memory": "4Gi"}},
            **volume_placement,
        }},
        "alertmanager": {
            "serviceAccount": {"create": True, "name": ALERTMANAGER_SERVICE_ACCOUNT,
                               "annotations": {"eks.amazonaws.com/role-arn": alertmanager_role_arn}},
            "podDisruptionBudget": {"enabled": am.replicas > 1, "minAvailable": 1},
            "config": alertmanager_config(settings, topic_arn, region),
            "alertmanagerSpec": {
                "replicas": am.replicas,
                "storage": {"volumeClaimTemplate": {"spec": _claim(am.storage_gib)}},
                "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                **receiver_secrets_pod_parts(settings, region),
                **volume_placement,
            },
        },
        "grafana": {
            # Empty: the chart generates a random admin password into its Secret and keeps it.
            "adminPassword": "",
            "defaultDashboardsTimezone": "utc",
            "sidecar": {
                "dashboards": {"enabled": True, "label": next(iter(DASHBOARD_LABEL)),
                               "labelValue": DASHBOARD_LABEL["grafana_dashboard"],
                               # Only this namespace's ConfigMaps become dashboards.
                               "searchNamespace": NAMESPACE},
                "datasources": {"enabled": True, "uid": DATASOURCE_UID},
            },
            **placement,
        },
    }


def service_monitor_spec(agents_namespace: str, interval_seconds: int = 30) -> dict[str, Any]:
    """Scrape every agent Service's "http" port at /metrics; the job label is the service name."""
    return {
        "jobLabel": "app.kubernetes.io/name",
        "namespaceSelector": {"matchNames": [agents_namespace]},
        "selector": {"matchLabels": {"app.kubernetes.io/part-of": PART_OF}},
        "endpoints": [{"port": "http", "path": "/metrics", "interval": f"{interval_seconds}s",
                       "scrapeTimeout": f"{min(10, interval_seconds)}s"}],
    }


def worker_pod_monitor_spec(agents_namespace: str, interval_seconds: int = 30) -> dict[str, Any]:
    """Scrape the queue workers' pods directly: they take no calls, so they have no Service."""
    return {
        "jobLabel": "app.kubernetes.io/name",
        "namespaceSelector": {"matchNames": [agents_namespace]},
        "selector": {"matchLabels": {"app.kubernetes.io/part-of": PART_OF, "app.kubernetes.io/component": "worker"}},
        "podMetricsEndpoints": [{"port": "http", "path": "/metrics", "interval": f"{interval_seconds}s",
                                 "scrapeTimeout": f"{min(10, interval_seconds)}s"}],
    }


def dashboard_config_map_data(uid: str, model_json: Any) -> dict[str, Any]:
    return {f"{uid}.json": model_json}


# -- traces ---------------------------------------------------------------------------------------

def jaeger_volume_claim_spec(settings: ObservabilitySettings) -> dict[str, Any]:
    return _claim(settings.tracing.storage_gib)


def jaeger_config(settings: ObservabilitySettings) -> dict[str, Any]:
    """Jaeger v2's configuration: OTLP in, a Badger span store that expires spans after the retention."""
    store = "traces"
    return {
        "service": {
            "extensions": ["jaeger_storage", "jaeger_query", "healthcheckv2"],
            "pipelines": {"traces": {"receivers": ["otlp"], "processors": ["batch"],
                                     "exporters": ["jaeger_storage_exporter"]}},
            "telemetry": {"metrics": {"level": "detailed", "readers": [
                {"pull": {"exporter": {"prometheus": {"host": "0.0.0.0", "port": 8888}}}}]}},
        },
        "extensions": {
            # The chart's probes call :13133/status.
            "healthcheckv2": {"use_v2": True, "http": {"endpoint": "0.0.0.0:13133"}},
            "jaeger_query": {"storage": {"traces": store}},
            "jaeger_storage": {"backends": {store: {"badger": {
                "directories": {"keys": f"{JAEGER_DATA_DIR}/keys", "values": f"{JAEGER_DATA_DIR}/values"},
                "ephemeral": False,
                "ttl": {"spans": f"{settings.tracing.retention_days * 24}h"},
            }}}},
        },
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"0.0.0.0:{OTLP_GRPC_PORT}"},
                                             "http": {"endpoint": "0.0.0.0:4318"}}}},
        "processors": {"batch": {}},
        "exporters": {"jaeger_storage_exporter": {"trace_storage": store}},
    }


def jaeger_values(settings: ObservabilitySettings, node_pools: Sequence[str] = (),
                  zonal_capacity: bool = False) -> dict[str, Any]:
    """One Jaeger pod (Badger allows one writer) with the span store on the encrypted claim.

    The root filesystem is read-only, so if the chart ever stopped mounting the claim, Badger
    could not write and the release would fail (and roll back) instead of losing traces silently.
    """
    affinity = stateful_affinity(node_pools, zonal_capacity)
    return {
        "jaeger": {
            "replicas": 1,
            "resources": {"requests": {"cpu": "250m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
            "podSecurityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001,
                                   "seccompProfile": {"type": "RuntimeDefault"}},
            "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                "capabilities": {"drop": ["ALL"]}},
            "extraVolumes": [{"name": "traces", "persistentVolumeClaim": {"claimName": JAEGER_VOLUME_CLAIM}}],
            "extraVolumeMounts": [{"name": "traces", "mountPath": JAEGER_DATA_DIR}],
            **({"affinity": affinity} if affinity else {}),
        },
        # A complete Jaeger configuration, replacing the image's built-in all-in-one one.
        "userconfig": jaeger_config(settings),
    }


def collector_endpoint() -> str:
    """The OTLP/gRPC address workloads export to: the collector's Service, inside the cluster."""
    return f"http://{COLLECTOR_NAME}.{NAMESPACE}.svc.cluster.local:{OTLP_GRPC_PORT}"


def jaeger_endpoint() -> str:
    return f"{JAEGER_NAME}.{NAMESPACE}.svc.cluster.local:{OTLP_GRPC_PORT}"


def tail_sampling_policies(settings: ObservabilitySettings) -> list[dict[str, Any]]:
    """A trace is kept when any policy keeps it: errors, slow ones, and a share of the rest."""
    sampling = settings.tracing.sampling
    policies: list[dict[str, Any]] = []
    if sampling.keep_errors:
        policies.append({"name": "keep-errors", "type": "status_code",
                         "status_code": {"status_codes": ["ERROR"]}})
    policies.append({"name": "keep-slow", "type": "latency",
                     "latency": {"threshold_ms": int(round(settings.slow_trace_seconds * 1000))}})
    policies.append({"name": "sample-the-rest", "type": "probabilistic",
                     "probabilistic": {"sampling_percentage": sampling.sample_percent}})
    return policies


def trace_exporter(settings: ObservabilitySettings, region: str) -> tuple[str, dict[str, Any]]:
    if settings.tracing.backend == "xray":
        return "awsxray", {"region": region}
    # Inside the cluster network; Jaeger's OTLP receiver serves no TLS.
    return "otlp_grpc/jaeger", {"endpoint": jaeger_endpoint(), "tls": {"insecure": True}}


def collector_config(settings: ObservabilitySettings, region: str) -> dict[str, Any]:
    """The collector's complete configuration (the chart's ``alternateConfig``: not merged with its
    defaults, which run logs and metrics pipelines into a debug exporter this collector has no use for)."""
    sampling = settings.tracing.sampling
    exporter_id, exporter = trace_exporter(settings, region)
    own_address = "${env:MY_POD_IP}"  # the chart sets MY_POD_IP; nothing listens on 0.0.0.0
    return {
        "extensions": {
            # The chart's liveness and readiness probes call :13133.
            "health_check": {"endpoint": f"{own_address}:13133"},
        },
        "receivers": {"otlp": {"protocols": {"grpc": {"endpoint": f"{own_address}:{OTLP_GRPC_PORT}"},
                                             "http": {"endpoint": f"{own_address}:4318"}}}},
        "processors": {
            # Sheds load before the process is OOM-killed: 80% of the container's memory limit.
            "memory_limiter": {"check_interval": "5s", "limit_percentage": 80, "spike_limit_percentage": 25},
            "tail_sampling": {"decision_wait": f"{sampling.decision_wait_seconds}s", "num_traces": sampling.num_traces,
                              "policies": tail_sampling_policies(settings)},
            "batch": {},
        },
        "exporters": {exporter_id: exporter},
        "service": {
            "extensions": ["health_check"],
            "telemetry": {"metrics": {"readers": [
                {"pull": {"exporter": {"prometheus": {"host": own_address, "port": 8888}}}}]}},
            "pipelines": {
                # memory_limiter first, sampling before batching.
                "traces": {"receivers": ["otlp"], "processors": ["memory_limiter", "tail_sampling", "batch"],
                           "exporters": [exporter_id]},
            },
        },
    }


def collector_values(settings: ObservabilitySettings, region: str, role_arn: Any = None,
                     node_pools: Sequence[str] = ()) -> dict[str, Any]:
    """A single collector: tail sampling needs every span of a trace in the same instance.

    More replicas need a trace-ID-aware load-balancing tier in front (a second release with the
    loadbalancing exporter); one instance with a generous memory limit carries a cell's traces.
    """
    affinity = pool_affinity(node_pools)
    account: dict[str, Any] = {"create": True, "name": COLLECTOR_NAME}
    if role_arn is not None:
        account["annotations"] = {"eks.amazonaws.com/role-arn": role_arn}
    return {
        "mode": "deployment",
        "replicaCount": 1,
        "fullnameOverride": COLLECTOR_NAME,
        # Contrib has the tail sampler and the X-Ray exporter; the tag is the pinned chart's collector.
        "image": {"repository": "otel/opentelemetry-collector-contrib",
                  "tag": charts.OPENTELEMETRY_COLLECTOR.app_version},
        "command": {"name": "otelcol-contrib"},
        "serviceAccount": account,
        # OTLP only, through the Service (no host ports); the chart's Jaeger and Zipkin ports stay closed.
        "ports": {**{name: {"enabled": False} for name in ("jaeger-compact", "jaeger-thrift", "jaeger-grpc", "zipkin")},
                  "otlp": {"hostPort": 0}, "otlp-http": {"hostPort": 0}},
        "resources": {"requests": {"cpu": "250m", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
        "alternateConfig": collector_config(settings, region),
        **({"affinity": affinity} if affinity else {}),
    }
