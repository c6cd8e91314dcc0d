"""Grafana dashboards for the agent services, as code (grafana-foundation-sdk), returned as JSON models.

Two dashboards per cell: *overview* (request rate, error rate, latency percentiles, cost per
request and the day's spend) and *capacity* (queue depth and age, autoscaler replicas against
their bounds, cache hit ratio and evictions, database replica lag). Queries read the recording
rules where one exists, and threshold lines come from the same settings as the alerts, so the
red line on a panel is where the page fires. ``dashboard_metrics`` lists what each dashboard
queries; the tests hold it to ``metrics.KNOWN_METRICS``.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterable, Optional

from grafana_foundation_sdk.builders import common as common_builders
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models.dashboard import (
    DataSourceRef, Threshold, ThresholdsMode, VariableOption, VariableRefresh, VariableSort,
)

from tierstack.observability import metrics as m
from tierstack.observability.alerts import AlertTargets
from tierstack.config.observability import ObservabilitySettings

# The Prometheus datasource kube-prometheus-stack provisions (grafana.sidecar.datasources.uid).
DATASOURCE_UID = "prometheus"
DATASOURCE = DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)
OVERVIEW_UID = "tierstack-agents-overview"
CAPACITY_UID = "tierstack-agents-capacity"
TAGS = ["tierstack", "agents"]
GREEN, ORANGE, RED = "green", "orange", "red"


def _query(expr: str, legend: str = "", ref: str = "A") -> prometheus.Dataquery:
    query = prometheus.Dataquery().expr(expr).ref_id(ref).datasource(DATASOURCE)
    return query.legend_format(legend) if legend else query


def _levels(warning: float, critical: float) -> db.ThresholdsConfig:
    return db.ThresholdsConfig().mode(ThresholdsMode.ABSOLUTE).steps([
        Threshold(value=None, color=GREEN), Threshold(value=warning, color=ORANGE), Threshold(value=critical, color=RED)])


def _graph(panel_id: int, title: str, description: str, unit: str, queries: Iterable[prometheus.Dataquery],
           levels: Optional[db.ThresholdsConfig] = None, span: int = 12, minimum: Optional[float] = 0) -> timeseries.Panel:
    panel = (timeseries.Panel().id(panel_id).title(title).description(description).datasource(DATASOURCE)
             .unit(unit).span(span).height(8).line_width(1).fill_opacity(10)
             .legend(common_builders.VizLegendOptions().display_mode(common.LegendDisplayMode.LIST)
                     .placement(common.LegendPlacement.BOTTOM).show_legend(True))
             .targets(list(queries)))
    if minimum is not None:
        panel = panel.min(minimum)
    if levels is not None:
        panel = panel.thresholds(levels).thresholds_style(
            common_builders.GraphThresholdsStyleConfig().mode(common.GraphThresholdsStyleMode.LINE_AND_AREA))
    return panel


def _service_variable(namespace: str) -> db.QueryVariable:
    return (db.QueryVariable("service").label("Service").datasource(DATASOURCE)
            .query(f'label_values({m.REQUEST_RATE}{{namespace="{namespace}"}}, service)')
            .multi(True).include_all(True).all_value(".*").refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
            .sort(VariableSort.ALPHABETICAL_ASC).current(VariableOption(selected=True, text="All", value="$__all")))


def overview(settings: ObservabilitySettings, targets: AlertTargets = AlertTargets()) -> db.Dashboard:
    ns = targets.namespace
    svc = f'namespace="{ns}", service=~"$service"'
    errors, latency, cost = settings.alerts.error_rate_percent, settings.alerts.p95_latency_seconds, settings.cost.daily_usd
    return (
        db.Dashboard("Agent services: overview").uid(OVERVIEW_UID).tags(TAGS).refresh("1m").time("now-6h", "now")
        .timezone("utc").readonly()
        .description(f"Traffic, errors, latency and spend of the agent services in namespace {ns}.")
        .with_variable(_service_variable(ns))
        .with_row(db.Row("Traffic and errors").id(101))
        .with_panel(_graph(1, "Request rate", "Requests per second, per service.", "reqps",
                           [_query(f"sum by (service) ({m.REQUEST_RATE}{{{svc}}})", "{{service}}")]))
        .with_panel(_graph(2, "Error rate", "Share of requests answered with a 5xx; lines at the alert levels.",
                           "percentunit", [_query(f"{m.ERROR_RATIO}{{{svc}}}", "{{service}}")],
                           _levels(errors.warning / 100, errors.critical / 100)))
        .with_row(db.Row("Latency").id(102))
        .with_panel(_graph(3, "Latency percentiles", "p50, p95 and p99 from the request duration histogram; "
                           "lines at the p95 alert levels.", "s",
                           [_query(f"{record}{{{svc}}}", f"{{{{service}}}} {label}", ref)
                            for record, label, ref in ((m.LATENCY_P50, "p50", "A"), (m.LATENCY_P95, "p95", "B"),
                                                       (m.LATENCY_P99, "p99", "C"))],
                           _levels(latency.warning, latency.critical), span=24))
        .with_row(db.Row("Cost").id(103))
        .with_panel(_graph(4, "Cost per request", "Model spend per request, in US dollars.", "currencyUSD",
                           [_query(f'{m.COST_PER_REQUEST}{{namespace="{ns}"}}', "per request")], span=16))
        .with_panel(stat.Panel().id(5).title("Spend, last 24 h").description(
            "Rolling 24-hour agent spend; colours at the daily cost alert levels.").datasource(DATASOURCE)
            .unit("currencyUSD").span(8).height(8).thresholds(_levels(cost.warning, cost.critical))
            .with_target(_query(f'{m.COST_24H}{{namespace="{ns}"}}')))
    )


def capacity(settings: ObservabilitySettings, targets: AlertTargets = AlertTargets()) -> db.Dashboard:
    ns = targets.namespace
    alerts = settings.alerts
    queues = f'{m.QUEUE_LABEL}=~"{targets.queues}|{targets.dead_letter_queues}"'
    hpa = f'namespace="{ns}"'
    by_hpa = "max by (horizontalpodautoscaler)"
    return (
        db.Dashboard("Agent services: capacity").uid(CAPACITY_UID).tags(TAGS).refresh("1m").time("now-6h", "now")
        .timezone("utc").readonly()
        .description(f"Saturation of the agent services in namespace {ns} and the stores behind them.")
        .with_row(db.Row("Queue").id(104))
        .with_panel(_graph(1, "Queue depth", "Visible messages in the request and dead-letter queues "
                           "(CloudWatch ApproximateNumberOfMessagesVisible).", "short",
                           [_query(f"max by ({m.QUEUE_LABEL}) ({m.SQS_VISIBLE}{{{queues}}})",
                                   f"{{{{{m.QUEUE_LABEL}}}}}")],
                           _levels(alerts.queue_backlog_messages * 0.5, alerts.queue_backlog_messages)))
        .with_panel(_graph(2, "Oldest message age", "Age of the oldest queued request.", "s",
                           [_query(f"max by ({m.QUEUE_LABEL}) ({m.SQS_OLDEST_AGE}{{{queues}}})",
                                   f"{{{{{m.QUEUE_LABEL}}}}}")],
                           _levels(alerts.queue_oldest_message_seconds * 0.5, alerts.queue_oldest_message_seconds)))
        .with_row(db.Row("Autoscaling").id(105))
        .with_panel(_graph(3, "Replicas against autoscaler bounds", "Current replicas of each "
                           "HorizontalPodAutoscaler with its minReplicas and maxReplicas.", "short",
                           [_query(f"{by_hpa} ({m.HPA_CURRENT}{{{hpa}}})", "{{horizontalpodautoscaler}} current", "A"),
                            _query(f"{by_hpa} ({m.HPA_MIN}{{{hpa}}})", "{{horizontalpodautoscaler}} min", "B"),
                            _query(f"{by_hpa} ({m.HPA_MAX}{{{hpa}}})", "{{horizontalpodautoscaler}} max", "C")],
                           span=24))
        .with_row(db.Row("Cache and database").id(106))
        .with_panel(_graph(4, "Cache hit ratio", "Share of cache lookups answered from the cache.", "percentunit",
                           [_query(f'{m.CACHE_HIT_RATIO}{{namespace="{ns}"}}', "hit ratio")], span=8))
        .with_panel(_graph(5, "Cache evictions", "Keys evicted per 5 minutes, per cache node.", "short",
                           [_query(f'max by ({m.CACHE_NODE_LABEL}) ({m.CACHE_EVICTIONS}'
                                   f'{{{m.CACHE_NODE_LABEL}=~"{targets.cache_nodes}"}})', f"{{{{{m.CACHE_NODE_LABEL}}}}}")],
                           _levels(alerts.cache_evictions * 0.5, alerts.cache_evictions), span=8))
        .with_panel(_graph(6, "Database replica lag", "AuroraReplicaLag (maximum over readers), per shard.", "ms",
                           [_query(f'max by ({m.DB_CLUSTER_LABEL}) ({m.DB_REPLICA_LAG}'
                                   f'{{{m.DB_CLUSTER_LABEL}=~"{targets.db_clusters}"}})', f"{{{{{m.DB_CLUSTER_LABEL}}}}}")],
                           _levels(alerts.db_replica_lag_seconds * 500, alerts.db_replica_lag_seconds * 1000), span=8))
    )


def to_json(dashboard: db.Dashboard) -> dict[str, Any]:
    """The dashboard's JSON model, as Grafana stores and provisions it."""
    return json.loads(json.dumps(dashboard.build(), cls=JSONEncoder))


def dashboards(settings: ObservabilitySettings, targets: AlertTargets = AlertTargets()) -> dict[str, dict[str, Any]]:
    """Every dashboard's JSON model, by uid."""
    return {model["uid"]: model for model in (to_json(overview(settings, targets)), to_json(capacity(settings, targets)))}


# -- what the dashboards query ------------------------------------------------------------------

_NOT_METRICS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless",
                "offset", "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """Metric names a PromQL expression (or a Grafana label_values query) reads."""
    text = re.sub(r"label_values\(([^,]+),[^)]*\)", r"\1", expr)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)          # string literals
    text = re.sub(r"\{[^}]*\}", " ", text)                     # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)                    # range and subquery selectors
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    found = set()
    for match in re.finditer(r"(?<![\w.])[A-Za-z_:][A-Za-z0-9_:]*", text):
        if text[match.end():].lstrip().startswith("(") or match.group(0).lower() in _NOT_METRICS:
            continue  # a function call or a keyword
        found.add(match.group(0))
    return found


def expressions(model: dict[str, Any]) -> list[str]:
    """Every PromQL expression of a dashboard model: panel targets and query variables."""
    found = [target["expr"] for panel in model.get("panels", []) for target in panel.get("targets", [])
             if "expr" in target]
    found += [var["query"] for var in model.get("templating", {}).get("list", [])
              if var.get("type") == "query" and isinstance(var.get("query"), str)]
    return found


def dashboard_metrics(models: dict[str, dict[str, Any]]) -> dict[str, set[str]]:
    """The metric names each dashboard (by uid) queries."""
    return {uid: set().union(*(metric_names(e) for e in expressions(model))) for uid, model in models.items()}
