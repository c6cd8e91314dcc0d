"""Recording and alerting rules for the agent services, as PrometheusRule groups (plain dicts).

Pure: thresholds come from ``ObservabilitySettings``, label matchers from ``AlertTargets``.
The same groups become the PrometheusRule the operator loads and the rules file promtool
checks and unit-tests (``rules_file_yaml``), so what is tested is what is deployed.

Each signal with a seed threshold has one alert name and two rules, severity warning and
critical; Alertmanager inhibits the warning while the critical fires. Every alert carries
``for``, ``labels.severity`` and ``summary``/``description``/``runbook_url`` annotations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import yaml

from tierstack.observability import metrics as m
from tierstack.config.observability import ObservabilitySettings, Threshold

RECORDING_GROUP = "tierstack-agents.recording"
SLO_GROUP = "tierstack-agents.slo"
COST_GROUP = "tierstack-agents.cost"
SATURATION_GROUP = "tierstack-agents.saturation"

ERROR_RATE = "AgentHighErrorRate"
LATENCY = "AgentHighLatencyP95"
DAILY_COST = "AgentDailyCostHigh"
HPA_AT_MAX = "AgentHPAAtMaxReplicas"
QUEUE_AGE = "AgentQueueOldestMessageTooOld"
QUEUE_BACKLOG = "AgentQueueBacklogHigh"
DEAD_LETTERS = "AgentDeadLetterQueueNotEmpty"
CACHE_EVICTIONS = "AgentCacheEvictionsHigh"
REPLICA_LAG = "AgentDatabaseReplicaLagHigh"

# Seed alerts: each has a warning and a critical rule.
SEED_ALERTS = (ERROR_RATE, LATENCY, DAILY_COST)
SATURATION_ALERTS = (HPA_AT_MAX, QUEUE_AGE, QUEUE_BACKLOG, DEAD_LETTERS, CACHE_EVICTIONS, REPLICA_LAG)

_REGEX_SPECIALS = re.compile(r"([.^$*+?()\[\]{}|\\])")


def any_of(names: Iterable[str]) -> str:
    """A PromQL regex (for ``=~``) matching exactly the given names."""
    escaped = [_REGEX_SPECIALS.sub(r"\\\\\1", name) for name in names]
    return "|".join(escaped) if escaped else "$^"  # an empty list matches nothing


@dataclass(frozen=True)
class AlertTargets:
    """What the rules select. Regexes are PromQL ``=~`` patterns (anchored, RE2).

    The defaults match tierstack's own names: RequestQueue's queues are auto-named
    "<name>-queue-<suffix>" and "<name>-dlq-<suffix>". Pass exact names (``any_of``) when the
    cell's resources are known, so another stack's queues in the account never match.
    """

    namespace: str = "agents"
    queues: str = ".+-queue-.+"
    dead_letter_queues: str = ".+-dlq-.+"
    cache_nodes: str = ".+"
    db_clusters: str = ".+"


def _number(value: float) -> str:
    return f"{value:g}"


def _kebab(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "-", name).lower()


def _alert(name: str, expr: str, for_: str, severity: str, summary: str, description: str,
           settings: ObservabilitySettings) -> dict[str, Any]:
    return {
        "alert": name,
        "expr": expr,
        "for": for_,
        "labels": {"severity": severity},
        "annotations": {
            "summary": summary,
            "description": description,
            "runbook_url": f"{settings.alerts.runbook_base_url}/{_kebab(name)}",
        },
    }


def _leveled(name: str, series: str, threshold: Threshold, scale: float, summary: str, description: str,
             settings: ObservabilitySettings) -> list[dict[str, Any]]:
    """The warning and the critical rule of one signal; ``scale`` turns a setting into the series' unit."""
    return [
        _alert(name, f"{series} > {_number(level * scale)}", for_, severity,
               summary.format(), description.format(level=_number(level)), settings)
        for severity, level, for_ in (("warning", threshold.warning, threshold.warning_for),
                                      ("critical", threshold.critical, threshold.critical_for))
    ]


def recording_rules(targets: AlertTargets) -> list[dict[str, str]]:
    ns = f'namespace="{targets.namespace}"'
    by_service = "sum by (namespace, service)"
    return [
        {"record": m.REQUEST_RATE, "expr": f"{by_service} (rate({m.REQUESTS}{{{ns}}}[5m]))"},
        # "or ... * 0": a service that has never failed has no 5xx series, yet an error rate of 0.
        {"record": m.ERROR_RATE, "expr": f'{by_service} (rate({m.REQUESTS}{{{ns}, code=~"5.."}}[5m])) '
                                         f"or {by_service} (rate({m.REQUESTS}{{{ns}}}[5m])) * 0"},
        {"record": m.ERROR_RATIO, "expr": f"{m.ERROR_RATE} / {m.REQUEST_RATE}"},
        *({"record": record, "expr": f"histogram_quantile({q}, sum by (namespace, service, le) "
                                     f"(rate({m.LATENCY_BUCKET}{{{ns}}}[5m])))"}
          for record, q in ((m.LATENCY_P50, "0.5"), (m.LATENCY_P95, "0.95"), (m.LATENCY_P99, "0.99"))),
        {"record": m.COST_RATE, "expr": f"sum by (namespace) (rate({m.COST}{{{ns}}}[5m]))"},
        {"record": m.COST_PER_REQUEST, "expr": f"{m.COST_RATE} / sum by (namespace) ({m.REQUEST_RATE})"},
        # Rolling 24 h, so a spike is seen within minutes rather than at the next calendar day.
        {"record": m.COST_24H, "expr": f"sum by (namespace) (increase({m.COST}{{{ns}}}[24h]))"},
        {"record": m.CACHE_HIT_RATIO,
         "expr": f'sum by (namespace) (rate({m.CACHE_REQUESTS}{{{ns}, result="hit"}}[5m])) '
                 f"/ sum by (namespace) (rate({m.CACHE_REQUESTS}{{{ns}}}[5m]))"},
    ]


def slo_alerts(settings: ObservabilitySettings, targets: AlertTargets) -> list[dict[str, Any]]:
    ns = f'{{namespace="{targets.namespace}"}}'
    alerts = settings.alerts
    return [
        *_leveled(ERROR_RATE, f"{m.ERROR_RATIO}{ns}", alerts.error_rate_percent, 0.01,
                  "{{{{ $labels.service }}}} is failing too many requests",
                  "{{{{ $value | humanizePercentage }}}} of requests to {{{{ $labels.service }}}} in "
                  "{{{{ $labels.namespace }}}} returned a 5xx over 5 minutes (threshold {level}%).", settings),
        *_leveled(LATENCY, f"{m.LATENCY_P95}{ns}", alerts.p95_latency_seconds, 1,
                  "{{{{ $labels.service }}}} is slow",
                  "p95 latency of {{{{ $labels.service }}}} in {{{{ $labels.namespace }}}} is "
                  "{{{{ $value | humanizeDuration }}}} over 5 minutes (threshold {level} s).", settings),
    ]


def cost_alerts(settings: ObservabilitySettings, targets: AlertTargets) -> list[dict[str, Any]]:
    return _leveled(DAILY_COST, f'{m.COST_24H}{{namespace="{targets.namespace}"}}', settings.cost.daily_usd, 1,
                    "Agent spend over the last 24 hours is high",
                    "The agents in {{{{ $labels.namespace }}}} spent ${{{{ $value | printf \"%.2f\" }}}} in the "
                    "last 24 hours (threshold ${level}).", settings)


def saturation_alerts(settings: ObservabilitySettings, targets: AlertTargets) -> list[dict[str, Any]]:
    alerts = settings.alerts
    ns = f'namespace="{targets.namespace}"'
    hpa = "max by (namespace, horizontalpodautoscaler)"
    queues, dlqs = f'{m.QUEUE_LABEL}=~"{targets.queues}"', f'{m.QUEUE_LABEL}=~"{targets.dead_letter_queues}"'
    by_queue = f"max by ({m.QUEUE_LABEL})"
    return [
        _alert(HPA_AT_MAX, f"{hpa} ({m.HPA_CURRENT}{{{ns}}}) >= {hpa} ({m.HPA_MAX}{{{ns}}})",
               alerts.hpa_at_max_for, "warning",
               "{{ $labels.horizontalpodautoscaler }} has been at its replica ceiling",
               "HorizontalPodAutoscaler {{ $labels.horizontalpodautoscaler }} in {{ $labels.namespace }} has run at "
               f"maxReplicas for {alerts.hpa_at_max_for}: raise the ceiling or add capacity.", settings),
        _alert(QUEUE_AGE, f"{by_queue} ({m.SQS_OLDEST_AGE}{{{queues}}}) > {alerts.queue_oldest_message_seconds}",
               alerts.queue_oldest_message_for, "warning",
               "Queued agent requests are waiting too long",
               "The oldest message in {{ $labels.dimension_QueueName }} is {{ $value | humanizeDuration }} old "
               f"(threshold {alerts.queue_oldest_message_seconds} s): the workers are not keeping up.", settings),
        _alert(QUEUE_BACKLOG, f"{by_queue} ({m.SQS_VISIBLE}{{{queues}}}) > {alerts.queue_backlog_messages}",
               alerts.queue_backlog_for, "warning",
               "The agent request queue is backing up",
               "{{ $value }} messages are waiting in {{ $labels.dimension_QueueName }} "
               f"(threshold {alerts.queue_backlog_messages}).", settings),
        _alert(DEAD_LETTERS, f"{by_queue} ({m.SQS_VISIBLE}{{{dlqs}}}) > 0", alerts.dead_letter_for, "warning",
               "Agent requests failed every retry",
               "{{ $value }} messages are in the dead-letter queue {{ $labels.dimension_QueueName }}: inspect "
               "them, fix the cause, then redrive them to the request queue.", settings),
        _alert(CACHE_EVICTIONS,
               f'max by ({m.CACHE_NODE_LABEL}) ({m.CACHE_EVICTIONS}{{{m.CACHE_NODE_LABEL}=~"{targets.cache_nodes}"}}) '
               f"> {alerts.cache_evictions}",
               alerts.cache_evictions_for, "warning",
               "The cache is evicting keys under memory pressure",
               "Cache node {{ $labels.dimension_CacheClusterId }} evicted {{ $value }} keys in 5 minutes "
               f"(threshold {alerts.cache_evictions}): hit ratio will fall; size the cache up.", settings),
        _alert(REPLICA_LAG,
               f'max by ({m.DB_CLUSTER_LABEL}) ({m.DB_REPLICA_LAG}{{{m.DB_CLUSTER_LABEL}=~"{targets.db_clusters}"}}) '
               f"> {_number(alerts.db_replica_lag_seconds * 1000)}",
               alerts.db_replica_lag_for, "warning",
               "Aurora readers are lagging behind the writer",
               "Replica lag of {{ $labels.dimension_DBClusterIdentifier }} is {{ $value }} ms "
               f"(threshold {_number(alerts.db_replica_lag_seconds)} s): reads may return stale data.", settings),
    ]


def rule_groups(settings: ObservabilitySettings, targets: AlertTargets = AlertTargets()) -> list[dict[str, Any]]:
    """Recording rules first: alerts read what they record, and promtool evaluates groups in order."""
    return [
        {"name": RECORDING_GROUP, "rules": recording_rules(targets)},
        {"name": SLO_GROUP, "rules": slo_alerts(settings, targets)},
        {"name": COST_GROUP, "rules": cost_alerts(settings, targets)},
        {"name": SATURATION_GROUP, "rules": saturation_alerts(settings, targets)},
    ]


def prometheus_rule_spec(settings: ObservabilitySettings, targets: AlertTargets = AlertTargets()) -> dict[str, Any]:
    return {"groups": rule_groups(settings, targets)}


def rules_file_yaml(groups: Sequence[dict[str, Any]]) -> str:
    """The groups as a Prometheus rules file, for ``promtool check rules`` and ``promtool test rules``."""
    return yaml.safe_dump({"groups": list(groups)}, sort_keys=False, width=200)


def alerts_named(groups: Sequence[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [rule for group in groups for rule in group["rules"] if rule.get("alert") == name]
