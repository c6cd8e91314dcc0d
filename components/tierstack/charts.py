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

ALL_CHARTS: tuple[ChartPin, ...] = (
    CLUSTER_AUTOSCALER, METRICS_SERVER, AWS_LOAD_BALANCER_CONTROLLER, KEDA, PROMETHEUS_ADAPTER,
)
