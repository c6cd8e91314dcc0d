"""The metric contract: what the services expose, what the exporters provide, what rules record.

Alerts, recording rules and dashboards name metrics only through this module, and the tests
check every PromQL expression against ``KNOWN_METRICS``, so a dashboard cannot silently query
a series nothing produces.

Services (scraped through the ServiceMonitor, on the Service port named "http", /metrics):
  * ``http_requests_total{code, method}``: counter, Prometheus client naming; ``code`` is the
    HTTP status ("200", "503").
  * ``http_request_duration_seconds``: histogram with ``LATENCY_BUCKETS``. The buckets bracket
    the alert thresholds (2 s, 5 s) so p95 is interpolated inside a narrow bucket.
  * ``agent_cost_usd_total``: counter of model spend in US dollars, incremented per request.
  * ``agent_cache_requests_total{result="hit"|"miss"}``: counter of cache lookups.

Prometheus adds ``namespace``, ``service`` and ``pod`` from the scrape target.

AWS metrics come from a CloudWatch exporter in the naming of prometheus-community's
yet-another-cloudwatch-exporter: ``aws_<namespace>_<metric in snake case>_<statistic>``, with
the CloudWatch dimensions as ``dimension_<Name>`` labels.
"""

from __future__ import annotations

import re

import yaml

# Upper bounds in seconds; +Inf is implicit. 0.01 s to 10 s, as the seed's latency range.
LATENCY_BUCKETS: tuple[float, ...] = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10)

# Service metrics.
REQUESTS = "http_requests_total"
LATENCY = "http_request_duration_seconds"
LATENCY_BUCKET = f"{LATENCY}_bucket"
COST = "agent_cost_usd_total"
CACHE_REQUESTS = "agent_cache_requests_total"

# kube-state-metrics.
HPA_CURRENT = "kube_horizontalpodautoscaler_status_current_replicas"
HPA_MAX = "kube_horizontalpodautoscaler_spec_max_replicas"
HPA_MIN = "kube_horizontalpodautoscaler_spec_min_replicas"
HPA_DESIRED = "kube_horizontalpodautoscaler_status_desired_replicas"

# CloudWatch exporter (YACE naming).
SQS_VISIBLE = "aws_sqs_approximate_number_of_messages_visible_maximum"
SQS_OLDEST_AGE = "aws_sqs_approximate_age_of_oldest_message_maximum"
CACHE_EVICTIONS = "aws_elasticache_evictions_sum"
DB_REPLICA_LAG = "aws_rds_aurora_replica_lag_maximum"  # milliseconds, as CloudWatch reports it
QUEUE_LABEL = "dimension_QueueName"
CACHE_NODE_LABEL = "dimension_CacheClusterId"
DB_CLUSTER_LABEL = "dimension_DBClusterIdentifier"

# Recording rules (level:metric:operations, the Prometheus naming convention).
REQUEST_RATE = "service:http_requests:rate5m"
ERROR_RATE = "service:http_requests_errors:rate5m"
ERROR_RATIO = "service:http_requests_errors:ratio_rate5m"
LATENCY_P50 = "service:http_request_duration_seconds:p50_5m"
LATENCY_P95 = "service:http_request_duration_seconds:p95_5m"
LATENCY_P99 = "service:http_request_duration_seconds:p99_5m"
COST_RATE = "namespace:agent_cost_usd:rate5m"
COST_PER_REQUEST = "namespace:agent_cost_usd_per_request:ratio_rate5m"
COST_24H = "namespace:agent_cost_usd:increase24h"
CACHE_HIT_RATIO = "namespace:agent_cache_hits:ratio_rate5m"

SERVICE_METRICS = frozenset({REQUESTS, LATENCY_BUCKET, COST, CACHE_REQUESTS})
KUBE_STATE_METRICS = frozenset({HPA_CURRENT, HPA_MAX, HPA_MIN, HPA_DESIRED})
CLOUDWATCH_METRICS = frozenset({SQS_VISIBLE, SQS_OLDEST_AGE, CACHE_EVICTIONS, DB_REPLICA_LAG})
RECORDED_METRICS = frozenset({REQUEST_RATE, ERROR_RATE, ERROR_RATIO, LATENCY_P50, LATENCY_P95, LATENCY_P99,
                              COST_RATE, COST_PER_REQUEST, COST_24H, CACHE_HIT_RATIO})
KNOWN_METRICS = SERVICE_METRICS | KUBE_STATE_METRICS | CLOUDWATCH_METRICS | RECORDED_METRICS


# What the CloudWatch exporter collects: exactly the series the alerts and dashboards above use.
# (CloudWatch namespace, metric, statistic) -> aws_<namespace>_<metric_snake>_<statistic>.
CLOUDWATCH_SERIES: tuple[tuple[str, str, str], ...] = (
    ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum"),
    ("AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum"),
    ("AWS/ElastiCache", "Evictions", "Sum"),
    ("AWS/RDS", "AuroraReplicaLag", "Maximum"),
)


def exported_name(namespace: str, metric: str, statistic: str) -> str:
    """The series name the exporter gives a CloudWatch metric."""
    service = namespace.split("/", 1)[1].lower()
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", metric).lower()
    return f"aws_{service}_{snake}_{statistic.lower()}"


def cloudwatch_exporter_config(region: str, search_tags: dict[str, str], period_seconds: int = 60) -> str:
    """The exporter's discovery config: one job per CloudWatch namespace, this region only.

    Only resources carrying every search tag are read, so a cell never reports (or alerts on)
    another stack's queues, caches or databases in the same account.
    """
    jobs: dict[str, list[dict[str, object]]] = {}
    for namespace, metric, statistic in CLOUDWATCH_SERIES:
        jobs.setdefault(namespace, []).append({"name": metric, "statistics": [statistic]})
    document = {
        "apiVersion": "v1alpha1",
        "sts-region": region,
        "discovery": {"jobs": [
            {"type": namespace, "regions": [region],
             "searchTags": [{"key": key, "value": f"^{re.escape(value)}$"} for key, value in sorted(search_tags.items())],
             # Five minutes of one-minute points: CloudWatch publishes SQS and RDS every minute.
             "period": period_seconds, "length": 5 * period_seconds, "metrics": metrics}
            for namespace, metrics in jobs.items()
        ]},
    }
    return yaml.safe_dump(document, sort_keys=False)
