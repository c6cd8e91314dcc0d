"""Pinned Helm charts and images. Pure data, so tests and the policy pack can read the pins.

Charts are pinned to an exact version: an unpinned chart silently changes what ``pulumi up``
deploys the next time anyone runs it, which is the drift infrastructure-as-code exists to stop.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChartPin:
    chart: str
    version: str
    repository: str
    app_version: str


# 9.59.0 is the newest chart we have verified; it ships Cluster Autoscaler 1.35 by default.
# The autoscaler's image must match the cluster's Kubernetes minor, so the tag is set per
# version from the table below rather than left to the chart's default.
CLUSTER_AUTOSCALER = ChartPin(
    chart="cluster-autoscaler",
    version="9.59.0",
    repository="https://kubernetes.github.io/autoscaler",
    app_version="1.35.0",
)
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
)

# The controller behind the public ALB. Since 3.x the chart version equals the controller
# version; 3.4.2 is the newest release we have verified.
AWS_LOAD_BALANCER_CONTROLLER = ChartPin(
    chart="aws-load-balancer-controller",
    version="3.4.2",
    repository="https://aws.github.io/eks-charts",
    app_version="v3.4.2",
)

# KEDA scales the queue workers on SQS depth; 2.21.1 is its newest release we have verified.
KEDA = ChartPin(chart="keda", version="2.21.1", repository="https://kedacore.github.io/charts", app_version="2.21.1")

# Serves per-pod request rates from Prometheus to the HPAs (custom.metrics.k8s.io).
PROMETHEUS_ADAPTER = ChartPin(
    chart="prometheus-adapter",
    version="5.3.0",
    repository="https://prometheus-community.github.io/helm-charts",
    app_version="v0.12.0",
)

# Prometheus, Alertmanager, Grafana, kube-state-metrics and node-exporter behind the Prometheus
# Operator. 92.3.0 (operator v0.94.1, Prometheus 3.15, Alertmanager 0.34, Grafana 13.2) is the
# newest release we have verified; the operator's CRDs ship with it, so the ServiceMonitor and
# PrometheusRule tierstack creates are written against monitoring.coreos.com/v1 of this version.
KUBE_PROMETHEUS_STACK = ChartPin(
    chart="kube-prometheus-stack",
    version="92.3.0",
    repository="https://prometheus-community.github.io/helm-charts",
    app_version="v0.94.1",
)

# The trace pipeline: OTLP in, tail sampling, out to Jaeger or X-Ray. 0.175.1 (collector 0.162.0)
# is the newest release we have verified. Collector component ids moved to snake_case in 0.160
# (otlp_grpc, k8s_attributes); the chart and the image are pinned together so the config and
# the binary agree. The image is the contrib distribution, the one with the X-Ray exporter.
OPENTELEMETRY_COLLECTOR = ChartPin(
    chart="opentelemetry-collector",
    version="0.175.1",
    repository="https://open-telemetry.github.io/opentelemetry-helm-charts",
    app_version="0.162.0",
)

# Jaeger v2 (the OpenTelemetry-collector-based Jaeger) in one pod with a Badger span store on an
# encrypted volume. 4.14.1 (Jaeger 2.21.0) is the newest release we have verified; the chart
# calls itself experimental, so minor versions may break values and are bumped deliberately.
JAEGER = ChartPin(
    chart="jaeger",
    version="4.14.1",
    repository="https://jaegertracing.github.io/helm-charts",
    app_version="2.21.0",
)

# Brings the SQS, ElastiCache and Aurora metrics the saturation alerts read into Prometheus.
# The chart was renamed with the prometheus- prefix; 0.50.0 is the newest verified release.
CLOUDWATCH_EXPORTER = ChartPin(
    chart="prometheus-yet-another-cloudwatch-exporter",
    version="0.50.0",
    repository="https://prometheus-community.github.io/helm-charts",
    app_version="v0.62.1",
)

ALL_CHARTS: tuple[ChartPin, ...] = (
    CLUSTER_AUTOSCALER, METRICS_SERVER, AWS_LOAD_BALANCER_CONTROLLER, KEDA, PROMETHEUS_ADAPTER,
    KUBE_PROMETHEUS_STACK, OPENTELEMETRY_COLLECTOR, JAEGER,
    CLOUDWATCH_EXPORTER,
)
