"""``ObservabilitySettings``: the validated shape of a cell's metrics, alerts, traces and spend limits.

The defaults are the seed's: errors alert at 5% (warning) and 15% (critical), p95 latency at
2 s and 5 s, daily spend at $500 and $1000; traces are tail-sampled (every error and every
request slower than the latency warning kept, a share of the rest) and kept for 30 days.
Receivers other than SNS are named by the Secrets Manager secret that holds their credential,
so no webhook URL or routing key ever appears in stack configuration or Pulumi state.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal, Optional

from pydantic import AfterValidator, Field, field_validator, model_validator

from tierstack.settings_base import Settings as _Settings
from tierstack.settings_base import fail as _fail

# Prometheus durations as rules and Alertmanager accept them: "30s", "5m", "1h30m".
_DURATION = re.compile(r"^(?:\d+(?:ms|s|m|h|d|w))+$")
# What Secrets Manager accepts in a secret name.
_SECRET_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
_SLACK_CHANNEL = re.compile(r"^[#@][a-z0-9._-]{1,80}$")
_HTTPS_URL = re.compile(r"^https://[^\s/$.?#][^\s]*$")
# X-Ray keeps every trace for 30 days; the retention is not configurable.
XRAY_RETENTION_DAYS = 30


def _duration(value: str) -> str:
    if not _DURATION.match(value):
        raise _fail(f"'{value}' is not a Prometheus duration.", "write a number and a unit, e.g. '30s', '10m' or '1h'.")
    return value


def _secret_name(value: str) -> str:
    if "://" in value or value.startswith("xox"):
        raise _fail(
            "that looks like a credential itself, not the name of a secret holding it.",
            "store the value in AWS Secrets Manager and give the secret's name, e.g. 'tierstack/alerts/slack-webhook'.",
        )
    if value.startswith("arn:"):
        raise _fail(f"'{value}' is an ARN; tierstack takes the secret's name.",
                    "give the name only, e.g. 'tierstack/alerts/slack-webhook'.")
    if not _SECRET_NAME.match(value):
        raise _fail(f"'{value}' is not a Secrets Manager secret name.",
                    "use letters, digits and /_+=.@- (at most 512 characters).")
    return value


Duration = Annotated[str, AfterValidator(_duration)]
SecretName = Annotated[str, AfterValidator(_secret_name)]


class Threshold(_Settings):
    """A warning and a critical level, each with how long it must hold before its alert fires."""

    warning: float = Field(gt=0)
    critical: float = Field(gt=0)
    warning_for: Duration = "10m"
    # Critical fires sooner: a larger breach needs a faster page.
    critical_for: Duration = "5m"

    @model_validator(mode="after")
    def _critical_above_warning(self) -> "Threshold":
        if self.critical <= self.warning:
            raise _fail(
                f"the critical level ({self.critical:g}) is not above the warning level ({self.warning:g}).",
                "set critical higher than warning, or the warning would never be seen first.",
            )
        return self


class AlertSettings(_Settings):
    """Thresholds of the Prometheus alerts on the agent services and what they depend on."""

    # Share of requests answered with a 5xx, in percent.
    error_rate_percent: Threshold = Field(default_factory=lambda: Threshold(warning=5, critical=15))
    # 95th percentile of request duration, from the services' latency histogram.
    p95_latency_seconds: Threshold = Field(default_factory=lambda: Threshold(warning=2, critical=5))
    # An autoscaler pinned at its ceiling has no headroom left for the next spike.
    hpa_at_max_for: Duration = "15m"
    queue_oldest_message_seconds: int = Field(300, ge=1, le=1_209_600)
    queue_oldest_message_for: Duration = "10m"
    queue_backlog_messages: int = Field(1000, ge=1)
    queue_backlog_for: Duration = "15m"
    # A message in the dead-letter queue is a request that failed every retry.
    dead_letter_for: Duration = "5m"
    # Evictions per 5-minute CloudWatch period on any one cache node.
    cache_evictions: int = Field(1000, ge=1)
    cache_evictions_for: Duration = "15m"
    db_replica_lag_seconds: float = Field(1.0, gt=0, le=3600)
    db_replica_lag_for: Duration = "10m"
    # Every alert links to <runbookBaseUrl>/<alert-name>.
    runbook_base_url: str = "https://runbooks.tierstack.example.com"

    @field_validator("error_rate_percent")
    @classmethod
    def _percentages(cls, threshold: Threshold) -> Threshold:
        if threshold.critical > 100:
            raise _fail(f"{threshold.critical:g}% is more than every request.", "use percentages between 0 and 100.")
        return threshold

    @field_validator("runbook_base_url")
    @classmethod
    def _https(cls, url: str) -> str:
        if not _HTTPS_URL.match(url):
            raise _fail(f"'{url}' is not an https URL.", "use the https address runbooks are published under.")
        return url.rstrip("/")


class CostSettings(_Settings):
    """Spend alerts and budgets. In a tierstack stack, the ones its file does not set follow its
    cost estimate plus budgetHeadroomPercent (tierstack.cost.budgets); the defaults below are the
    seed's, for components used on their own."""

    # Rolling 24 h spend of the agents on model calls (the services' agent_cost_usd_total), per
    # stack; each cell alerts on its share.
    daily_usd: Threshold = Field(default_factory=lambda: Threshold(
        warning=500, critical=1000, warning_for="15m", critical_for="5m"))
    # The stack's daily AWS Budget: its tagged spend (the infrastructure; model calls carry no
    # tags), notified at 80% and 100% actual. None uses dailyUsd's levels, the seed's.
    daily_budget_usd: Optional[float] = Field(None, gt=0, le=10_000_000)
    # The stack's monthly AWS Budget; notified at 80% and 100% actual and 100% forecast.
    monthly_budget_usd: float = Field(15_000, gt=0, le=100_000_000)
    # How far above the estimate the derived budgets and daily levels sit.
    budget_headroom_percent: float = Field(25, ge=0, le=1000)


class PrometheusSettings(_Settings):
    retention_days: int = Field(15, ge=1, le=365)
    storage_gib: int = Field(50, ge=10, le=16_384, alias="storageGiB")
    # Two replicas scrape the same targets, so alerts survive a node loss.
    replicas: int = Field(2, ge=1, le=5)
    scrape_interval_seconds: int = Field(30, ge=5, le=300)

    @property
    def retention_size(self) -> str:
        """Prometheus drops the oldest blocks at 90% of the volume, before it can fill up."""
        return f"{int(self.storage_gib * 0.9)}GB"  # Prometheus's GB are powers of 1024, as GiB


class AlertmanagerSettings(_Settings):
    replicas: int = Field(2, ge=1, le=5)
    storage_gib: int = Field(2, ge=1, le=100, alias="storageGiB")
    # Secrets Manager secrets whose SecretString is the Slack incoming-webhook URL and the
    # PagerDuty Events v2 routing key. SNS is always a receiver.
    slack_webhook_secret: Optional[SecretName] = None
    slack_channel: Optional[str] = None
    pagerduty_routing_key_secret: Optional[SecretName] = None
    repeat_interval: Duration = "4h"

    @field_validator("slack_channel")
    @classmethod
    def _channel(cls, channel: Optional[str]) -> Optional[str]:
        if channel is not None and not _SLACK_CHANNEL.match(channel):
            raise _fail(f"'{channel}' is not a Slack channel.", "write it as '#alerts' (or '@user').")
        return channel

    @model_validator(mode="after")
    def _channel_needs_webhook(self) -> "AlertmanagerSettings":
        if self.slack_channel and not self.slack_webhook_secret:
            raise _fail("slackChannel is set but no slackWebhookSecret.",
                        "name the Secrets Manager secret holding the Slack webhook URL in slackWebhookSecret.")
        return self

    @property
    def secret_names(self) -> tuple[str, ...]:
        return tuple(n for n in (self.slack_webhook_secret, self.pagerduty_routing_key_secret) if n)


class TailSamplingSettings(_Settings):
    """Which traces are kept once complete: every error, every slow one, a share of the rest."""

    keep_errors: bool = True
    # None keeps traces slower than the p95 latency warning (alerts.p95LatencySeconds.warning).
    slow_threshold_seconds: Optional[float] = Field(None, gt=0, le=3600)
    sample_percent: float = Field(10, gt=0, le=100)
    # How long after a trace's first span the decision is taken: longer than the slowest request.
    decision_wait_seconds: int = Field(30, ge=1, le=300)
    num_traces: int = Field(100_000, ge=1000, le=10_000_000)


class TracingSettings(_Settings):
    backend: Literal["jaeger", "xray"] = "jaeger"
    sampling: TailSamplingSettings = Field(default_factory=TailSamplingSettings)
    retention_days: int = Field(30, ge=1, le=365)
    # Jaeger's span store, on an encrypted gp3 volume.
    storage_gib: int = Field(50, ge=10, le=16_384, alias="storageGiB")

    @model_validator(mode="after")
    def _xray_retention(self) -> "TracingSettings":
        if self.backend == "xray" and self.retention_days != XRAY_RETENTION_DAYS:
            raise _fail(
                f"X-Ray keeps traces for {XRAY_RETENTION_DAYS} days; a retention of {self.retention_days} days cannot be set.",
                f"leave retentionDays at {XRAY_RETENTION_DAYS} with backend 'xray', or use backend 'jaeger'.",
            )
        return self


class ManagedAlarmSettings(_Settings):
    """CloudWatch alarms on the managed services. Queue age, replica lag, evictions, the ALB's
    p95 and CloudFront's error rate reuse the alert thresholds, so one number governs each signal."""

    db_cpu_percent: float = Field(80, gt=0, le=100)
    db_connections: int = Field(1000, ge=1)
    # Valkey and Redis run commands on one thread: EngineCPUUtilization is what saturates.
    cache_engine_cpu_percent: float = Field(75, gt=0, le=100)
    cache_memory_percent: float = Field(80, gt=0, le=100)
    alb_target_5xx_per_period: int = Field(50, ge=1)
    period_seconds: Literal[60, 300] = 300
    evaluation_periods: int = Field(3, ge=1, le=24)


class ObservabilitySettings(_Settings):
    prometheus: PrometheusSettings = Field(default_factory=PrometheusSettings)
    alertmanager: AlertmanagerSettings = Field(default_factory=AlertmanagerSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    cost: CostSettings = Field(default_factory=CostSettings)
    tracing: TracingSettings = Field(default_factory=TracingSettings)
    alarms: ManagedAlarmSettings = Field(default_factory=ManagedAlarmSettings)

    @property
    def slow_trace_seconds(self) -> float:
        """The tail sampler's "slow" line: its own setting, else the p95 latency warning."""
        explicit = self.tracing.sampling.slow_threshold_seconds
        return explicit if explicit is not None else self.alerts.p95_latency_seconds.warning
