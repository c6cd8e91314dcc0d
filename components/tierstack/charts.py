"""Pinned Helm charts and images. Pure data, so tests and the policy pack can read the pins.

Charts are pinned to an exact version: an unpinned chart silently changes what ``pulumi up``
deploys the next time anyone runs it, which is the drift infrastructure-as-code exists to stop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Optional


def values_flag(values: Mapping[str, Any], path: str, default: bool) -> bool:
    """A boolean Helm value at a dotted path, or the chart's default when the release leaves it unset."""
    current: Any = values
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return default
        current = current[part]
    return bool(current)


@dataclass(frozen=True)
class Webhook:
    """An admission webhook a chart registers, as the deployability checks need to know it.

    A fail-closed webhook rejects every object it intercepts until its pods answer, so anything
    that creates such an object must be ordered after the release (or before it, when the
    webhook does not exist yet).
    """

    name: str
    # Kinds it intercepts, "group/Kind" (core kinds bare: "Service").
    kinds: tuple[str, ...]
    fail_closed: bool
    # The values path that turns the webhook off, and its chart default.
    enabled_by: Optional[str] = None
    enabled_by_default: bool = True

    def enabled(self, values: Mapping[str, Any]) -> bool:
        return self.enabled_by is None or values_flag(values, self.enabled_by, self.enabled_by_default)


@dataclass(frozen=True)
class ChartPin:
    """One add-on chart, declared once: where it comes from, what it installs and what it intercepts."""

    chart: str
    version: str
    repository: str
    app_version: str
    # Where this exact version was confirmed to exist (a tag or index entry).
    confirmed_at: str = ""
    # Custom resource kinds whose CRDs the release installs ("group/Kind").
    crds: tuple[str, ...] = ()
    webhooks: tuple[Webhook, ...] = ()
    # Kinds the release creates, for the webhooks of other releases ("group/Kind").
    creates: tuple[str, ...] = ("Service", "ServiceAccount", "apps/Deployment")
    # Kinds it creates only when a values path is true: (path, kind).
    creates_when: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def created_kinds(self, values: Mapping[str, Any]) -> set[str]:
        kinds = set(self.creates)
        for path, kind in self.creates_when:
            if values_flag(values, path, default=False):
                kinds.add(kind)
        return kinds


def pin_for_chart(chart: str) -> Optional["ChartPin"]:
    """The pin of a chart by name, as a recorded Helm release names it."""
    return next((pin for pin in ALL_CHARTS if pin.chart == chart), None)


# Every pin below was confirmed to exist in the chart's own repository (``confirmed_at``: the tag,
# or the commit that released it, read from a snapshot of that repository in 2026-08): a version
# that is only announced elsewhere is not pinned. Webhooks and CRDs are read from the templates at
# that tag, values keys from its values.yaml.

# The autoscaler's image must match the cluster's Kubernetes minor, so the tag is set per
# version from the table below rather than left to the chart's default.
CLUSTER_AUTOSCALER = ChartPin(
    chart="cluster-autoscaler",
    version="9.59.0",
    repository="https://kubernetes.github.io/autoscaler",
    app_version="1.35.0",
    confirmed_at="kubernetes/autoscaler tag cluster-autoscaler-chart-9.59.0 (charts/cluster-autoscaler/Chart.yaml)",
)
# Each tag exists as a cluster-autoscaler-<version> release tag in kubernetes/autoscaler.
CLUSTER_AUTOSCALER_IMAGE_TAGS: dict[str, str] = {
    "1.33": "v1.33.6",
    "1.34": "v1.34.5",
    "1.35": "v1.35.2",
    "1.36": "v1.36.1",
}

# 3.13.1 ships metrics-server 0.8.1, which supports every Kubernetes minor tierstack allows.
METRICS_SERVER = ChartPin(
    chart="metrics-server",
    version="3.13.1",
    repository="https://kubernetes-sigs.github.io/metrics-server/",
    app_version="0.8.1",
    confirmed_at="kubernetes-sigs/metrics-server tag metrics-server-helm-chart-3.13.1",
    creates=("Service", "ServiceAccount", "apps/Deployment", "apiregistration.k8s.io/APIService"),
)

# The controller behind the public ALB; since 3.x the chart version equals the controller version.
# Its Service mutator (mservice) intercepts every Service CREATE in every namespace and fails
# closed; its Ingress validator intercepts Ingresses (webhook.yaml at v3.4.2).
AWS_LOAD_BALANCER_CONTROLLER = ChartPin(
    chart="aws-load-balancer-controller",
    version="3.4.2",
    repository="https://aws.github.io/eks-charts",
    app_version="v3.4.2",
    confirmed_at="aws/eks-charts commit bc30b0d2 (stable/aws-load-balancer-controller 3.4.2); "
                 "kubernetes-sigs/aws-load-balancer-controller tag v3.4.2",
    crds=("elbv2.k8s.aws/TargetGroupBinding", "elbv2.k8s.aws/IngressClassParams"),
    webhooks=(
        Webhook("mservice.elbv2.k8s.aws", ("Service",), fail_closed=True, enabled_by="enableServiceMutatorWebhook"),
        Webhook("vingress.elbv2.k8s.aws", ("networking.k8s.io/Ingress",), fail_closed=True),
        Webhook("mtargetgroupbinding.elbv2.k8s.aws", ("elbv2.k8s.aws/TargetGroupBinding",), fail_closed=True),
        # mpod.elbv2.k8s.aws only acts in namespaces labelled for readiness-gate injection; none is.
    ),
)

# KEDA scales the queue workers on SQS depth. Its validating webhooks default to Ignore.
KEDA = ChartPin(
    chart="keda",
    version="2.20.2",
    repository="https://kedacore.github.io/charts",
    app_version="2.20.2",
    confirmed_at="kedacore/charts tag v2.20.2 (keda/Chart.yaml)",
    crds=("keda.sh/ScaledObject", "keda.sh/ScaledJob", "keda.sh/TriggerAuthentication",
          "keda.sh/ClusterTriggerAuthentication", "eventing.keda.sh/CloudEventSource",
          "eventing.keda.sh/ClusterCloudEventSource"),
    webhooks=(Webhook("vscaledobject.keda.sh", ("keda.sh/ScaledObject", "keda.sh/TriggerAuthentication"),
                      fail_closed=False),),
    creates=("Service", "ServiceAccount", "apps/Deployment", "apiregistration.k8s.io/APIService"),
)

# Serves per-pod request rates from Prometheus to the HPAs (custom.metrics.k8s.io).
PROMETHEUS_ADAPTER = ChartPin(
    chart="prometheus-adapter",
    version="5.3.0",
    repository="https://prometheus-community.github.io/helm-charts",
    app_version="v0.12.0",
    confirmed_at="prometheus-community/helm-charts tag prometheus-adapter-5.3.0",
    creates=("Service", "ServiceAccount", "apps/Deployment", "apiregistration.k8s.io/APIService"),
)

# Prometheus, Alertmanager, Grafana, kube-state-metrics and node-exporter behind the Prometheus
# Operator (v0.93.1, Prometheus 3.14, Alertmanager 0.34, Grafana 13.2 through the grafana 12.11.1
# subchart). The operator's CRDs ship with it; its PrometheusRule webhooks default to Ignore
# while the chart patches their certificates (the default).
KUBE_PROMETHEUS_STACK = ChartPin(
    chart="kube-prometheus-stack",
    version="88.5.3",
    repository="https://prometheus-community.github.io/helm-charts",
    app_version="v0.93.1",
    confirmed_at="prometheus-community/helm-charts tag kube-prometheus-stack-88.5.3",
    crds=tuple(f"monitoring.coreos.com/{kind}" for kind in (
        "Alertmanager", "AlertmanagerConfig", "PodMonitor", "Probe", "Prometheus", "PrometheusAgent",
        "PrometheusRule", "ScrapeConfig", "ServiceMonitor", "ThanosRuler")),
    webhooks=(Webhook("prometheusrulevalidate.monitoring.coreos.com", ("monitoring.coreos.com/PrometheusRule",),
                      fail_closed=False),),
    creates=("Service", "ServiceAccount", "apps/Deployment", "apps/DaemonSet",
             "monitoring.coreos.com/Prometheus", "monitoring.coreos.com/Alertmanager",
             "monitoring.coreos.com/ServiceMonitor", "monitoring.coreos.com/PrometheusRule"),
)

# The trace pipeline: OTLP in, tail sampling, out to Jaeger or X-Ray. Chart 0.170.0 ships collector
# 0.158.0; the exporter id otlp_grpc exists since collector 0.144. The chart and the image are
# pinned together so the config and the binary agree; the image is the contrib distribution, the
# one with the tail sampler and the X-Ray exporter.
OPENTELEMETRY_COLLECTOR = ChartPin(
    chart="opentelemetry-collector",
    version="0.170.0",
    repository="https://open-telemetry.github.io/opentelemetry-helm-charts",
    app_version="0.158.0",
    confirmed_at="open-telemetry/opentelemetry-helm-charts tag opentelemetry-collector-0.170.0",
)

# Jaeger v2 (the OpenTelemetry-collector-based Jaeger) in one pod with a Badger span store on an
# encrypted volume. 4.11.1 (Jaeger 2.19.0) is the first chart with jaeger.extraVolumes, which the
# span store needs; the chart calls itself experimental, so versions are bumped deliberately.
JAEGER = ChartPin(
    chart="jaeger",
    version="4.11.1",
    repository="https://jaegertracing.github.io/helm-charts",
    app_version="2.19.0",
    confirmed_at="jaegertracing/helm-charts tag jaeger-4.11.1 (commit 6c602b54 adds extraVolumes)",
)

# Brings the SQS, ElastiCache and Aurora metrics the saturation alerts read into Prometheus.
# Its ServiceMonitor is a monitoring.coreos.com kind: the release waits for the operator's CRDs.
CLOUDWATCH_EXPORTER = ChartPin(
    chart="prometheus-yet-another-cloudwatch-exporter",
    version="0.47.0",
    repository="https://prometheus-community.github.io/helm-charts",
    app_version="v0.67.0",
    confirmed_at="prometheus-community/helm-charts tag prometheus-yet-another-cloudwatch-exporter-0.47.0",
    creates_when=(("serviceMonitor.enabled", "monitoring.coreos.com/ServiceMonitor"),),
)

# Images tierstack runs itself (outside any chart), pinned to tags confirmed in their repositories.
# The AWS CLI (it ships jq): aws/aws-cli release tag 2.36.7, published to ECR Public with every release.
AWS_CLI_IMAGE = "public.ecr.aws/aws-cli/aws-cli:2.36.7"
# psql is backward compatible with older servers, so the newest client serves PostgreSQL 14-17.
# Tag from docker-library/official-images library/postgres (17.11-alpine3.24); ECR Public's
# docker/library mirrors Docker Hub's official images under the same tags.
PSQL_IMAGE = "public.ecr.aws/docker/library/postgres:17.11-alpine3.24"

ALL_CHARTS: tuple[ChartPin, ...] = (
    CLUSTER_AUTOSCALER, METRICS_SERVER, AWS_LOAD_BALANCER_CONTROLLER, KEDA, PROMETHEUS_ADAPTER,
    KUBE_PROMETHEUS_STACK, OPENTELEMETRY_COLLECTOR, JAEGER,
    CLOUDWATCH_EXPORTER,
)
