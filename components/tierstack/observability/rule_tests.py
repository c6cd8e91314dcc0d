"""promtool unit tests for the alerting rules, generated from the same settings as the rules.

For each seed signal, three synthetic workloads: one just under the warning level (nothing
fires), one between the levels (warning only) and one over the critical level (both fire, the
warning then inhibited by Alertmanager). Latency is fed as histogram buckets, so the tests
exercise histogram_quantile exactly as the services' metrics will. Saturation alerts get a
firing and a quiet case each. ``rule_test_document`` returns the promtool test file as a dict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Optional, Sequence

from tierstack.observability import alerts as a
from tierstack.observability import metrics as m
from tierstack.config.observability import ObservabilitySettings

INTERVAL_MINUTES = 1
REQUESTS_PER_MINUTE = 100
SERVICE = "conversation"
_UNITS = {"ms": 1 / 60_000, "s": 1 / 60, "m": 1, "h": 60, "d": 1440, "w": 10080}


def minutes(duration: str) -> float:
    """A Prometheus duration in minutes: '1h30m' -> 90."""
    return sum(int(n) * _UNITS[unit] for n, unit in re.findall(r"(\d+)(ms|s|m|h|d|w)", duration))


@dataclass(frozen=True)
class Scenario:
    """A synthetic level of one signal and which severities it must fire."""

    label: str
    value: float
    fires: tuple[str, ...]


def p95_estimate(seconds: float, buckets: Sequence[float] = m.LATENCY_BUCKETS) -> float:
    """What histogram_quantile(0.95) reports when every request takes ``seconds``: linear
    interpolation inside the bucket that holds them (the last finite bound past the largest)."""
    lower = 0.0
    for upper in buckets:
        if seconds <= upper:
            return lower + (upper - lower) * 0.95
        lower = upper
    return buckets[-1]


def _classify(value: float, warning: float, critical: float) -> tuple[str, ...]:
    return tuple(s for s, level in (("warning", warning), ("critical", critical)) if value > level)


def _checked(scenarios: list[Scenario], measured, warning: float, critical: float, what: str) -> list[Scenario]:
    for scenario in scenarios:
        if _classify(measured(scenario.value), warning, critical) != scenario.fires:
            raise ValueError(
                f"{what}: thresholds {warning:g}/{critical:g} are too close together (or to the histogram's "
                f"bucket bounds) for a clean {scenario.label} test case")
    return scenarios


def error_rate_scenarios(settings: ObservabilitySettings) -> list[Scenario]:
    t = settings.alerts.error_rate_percent
    below = t.warning - 1 if t.warning > 1 else t.warning / 2
    between = min(t.warning + 1, (t.warning + t.critical) / 2)
    above = min(t.critical + 1, (t.critical + 100) / 2)
    return _checked([Scenario("below warning", below, ()), Scenario("between levels", between, ("warning",)),
                     Scenario("above critical", above, ("warning", "critical"))],
                    lambda v: v, t.warning, t.critical, "error rate")


def latency_scenarios(settings: ObservabilitySettings) -> list[Scenario]:
    t = settings.alerts.p95_latency_seconds
    return _checked([Scenario("below warning", t.warning / 2, ()),
                     Scenario("between levels", min(t.warning * 1.5, (t.warning + t.critical) / 2), ("warning",)),
                     Scenario("above critical", t.critical * 1.2, ("warning", "critical"))],
                    p95_estimate, t.warning, t.critical, "p95 latency")


def cost_scenarios(settings: ObservabilitySettings) -> list[Scenario]:
    t = settings.cost.daily_usd
    return _checked([Scenario("below warning", t.warning / 2, ()),
                     Scenario("between levels", (t.warning + t.critical) / 2, ("warning",)),
                     Scenario("above critical", t.critical * 1.2, ("warning", "critical"))],
                    lambda v: v, t.warning, t.critical, "daily cost")


# -- annotations as Prometheus renders them -------------------------------------------------------
# promtool compares annotations exactly, so the expected text is rendered here from the rule's own
# templates, with the value the synthetic series produce: a template error fails the test.

def _go_value(value: float) -> str:
    """A float as Go's text/template prints it (%v: the shortest exact form)."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e21 else repr(float(value))


def _humanize_duration(seconds: float) -> str:
    if seconds == 0:
        return "0s"
    if abs(seconds) < 1:  # milli-, micro-, nano-seconds... with four significant digits
        scaled, prefix = seconds, ""
        for prefix in "mun":
            scaled *= 1000
            if abs(scaled) >= 1:
                break
        return f"{scaled:.4g}{prefix}s"
    sign, total = ("-", -seconds) if seconds < 0 else ("", seconds)
    whole = int(total)
    days, hours, mins, secs = whole // 86400, whole // 3600 % 24, whole // 60 % 60, whole % 60
    if days:
        return f"{sign}{days}d {hours}h {mins}m {secs}s"
    if hours:
        return f"{sign}{hours}h {mins}m {secs}s"
    if mins:
        return f"{sign}{mins}m {secs}s"
    return f"{sign}{total:.4g}s"


_PIPES: dict[str, Callable[[float], str]] = {
    "": _go_value,
    "humanizePercentage": lambda v: f"{v * 100:.4g}%",
    "humanizeDuration": _humanize_duration,
    'printf "%.2f"': lambda v: f"{v:.2f}",
}


def render(template: str, labels: dict[str, str], value: Optional[float]) -> str:
    """The subset of Prometheus's alert templating the rules use: labels, $value and its pipes."""
    def action(match: re.Match) -> str:
        expression = match.group(1).strip()
        if expression.startswith("$labels."):
            return labels[expression.removeprefix("$labels.")]
        subject, _, pipe = (part.strip() for part in expression.partition("|"))
        if subject != "$value" or pipe not in _PIPES or value is None:
            raise ValueError(f"cannot render '{{{{ {expression} }}}}'")
        return _PIPES[pipe](value)

    return re.sub(r"\{\{(.*?)\}\}", action, template)


Annotate = Callable[[str, str, dict[str, str], Optional[float]], dict[str, str]]


def annotator(groups: Sequence[dict[str, Any]]) -> Annotate:
    """Expected annotations of alert ``name`` at ``severity`` with the given labels and value."""
    def annotate(name: str, severity: str, labels: dict[str, str], value: Optional[float]) -> dict[str, str]:
        (rule,) = [r for r in a.alerts_named(groups, name) if r["labels"]["severity"] == severity]
        all_labels = {**labels, "severity": severity}
        return {key: render(text, all_labels, value) for key, text in rule["annotations"].items()}
    return annotate


def _expected(annotate: Annotate, name: str, severities: Sequence[str], labels: dict[str, str],
              value: Optional[float]) -> list[dict[str, Any]]:
    return [{"exp_labels": {**labels, "severity": s}, "exp_annotations": annotate(name, s, labels, value)}
            for s in severities]


def _counter(per_minute: float, samples: int) -> str:
    return f"0+{per_minute:g}x{samples}"


def _leveled_test(annotate: Annotate, name: str, scenario: Scenario, series: list[dict[str, str]],
                  labels: dict[str, str], value: float, eval_minutes: int) -> dict[str, Any]:
    return {
        "name": f"{name}: {scenario.label} ({scenario.value:g}) fires {', '.join(scenario.fires) or 'nothing'}",
        "interval": f"{INTERVAL_MINUTES}m",
        "input_series": series,
        "alert_rule_test": [{"eval_time": f"{eval_minutes}m", "alertname": name,
                             "exp_alerts": _expected(annotate, name, scenario.fires, labels, value)}],
    }


def _eval_minutes(*durations: str, window: int = 5) -> int:
    """Long enough for the rate window to fill and every ``for`` to elapse, with margin."""
    return int(window + max(minutes(d) for d in durations) + 5)


def error_rate_tests(settings: ObservabilitySettings, namespace: str, annotate: Annotate) -> list[dict[str, Any]]:
    t = settings.alerts.error_rate_percent
    eval_at = _eval_minutes(t.warning_for, t.critical_for)
    labels = {"namespace": namespace, "service": SERVICE}
    tests = []
    for scenario in error_rate_scenarios(settings):
        failing = REQUESTS_PER_MINUTE * scenario.value / 100
        series = [
            {"series": f'{m.REQUESTS}{{namespace="{namespace}", service="{SERVICE}", code="200", method="POST"}}',
             "values": _counter(REQUESTS_PER_MINUTE - failing, eval_at + 5)},
            {"series": f'{m.REQUESTS}{{namespace="{namespace}", service="{SERVICE}", code="500", method="POST"}}',
             "values": _counter(failing, eval_at + 5)},
        ]
        ratio = (failing / 60) / (REQUESTS_PER_MINUTE / 60)
        tests.append(_leveled_test(annotate, a.ERROR_RATE, scenario, series, labels, ratio, eval_at))
    return tests


def latency_tests(settings: ObservabilitySettings, namespace: str, annotate: Annotate) -> list[dict[str, Any]]:
    t = settings.alerts.p95_latency_seconds
    eval_at = _eval_minutes(t.warning_for, t.critical_for)
    labels = {"namespace": namespace, "service": SERVICE}
    tests = []
    for scenario in latency_scenarios(settings):
        # Every request takes scenario.value seconds: buckets at or above it count them all.
        series = [
            {"series": f'{m.LATENCY_BUCKET}{{namespace="{namespace}", service="{SERVICE}", le="{le}"}}',
             "values": _counter(REQUESTS_PER_MINUTE if scenario.value <= bound else 0, eval_at + 5)}
            for le, bound in [*((f"{b:g}", b) for b in m.LATENCY_BUCKETS), ("+Inf", float("inf"))]
        ]
        tests.append(_leveled_test(annotate, a.LATENCY, scenario, series, labels, p95_estimate(scenario.value),
                                   eval_at))
    return tests


def cost_tests(settings: ObservabilitySettings, namespace: str, annotate: Annotate) -> list[dict[str, Any]]:
    t = settings.cost.daily_usd
    eval_at = _eval_minutes(t.warning_for, t.critical_for, window=24 * 60)
    labels = {"namespace": namespace}
    tests = []
    for scenario in cost_scenarios(settings):
        series = [{"series": f'{m.COST}{{namespace="{namespace}", service="model", pod="model-0"}}',
                   "values": _counter(scenario.value / (24 * 60), eval_at + 5)}]
        tests.append(_leveled_test(annotate, a.DAILY_COST, scenario, series, labels, scenario.value, eval_at))
    return tests


def _gauge(before: float, after: float, switch_at: int, samples: int) -> str:
    return f"{before:g}x{switch_at} {after:g}x{samples - switch_at}"


def saturation_tests(settings: ObservabilitySettings, targets: a.AlertTargets, queue: str,
                     dead_letter_queue: str, annotate: Annotate) -> list[dict[str, Any]]:
    alerts_ = settings.alerts
    ns = targets.namespace
    hpa_eval = _eval_minutes(alerts_.hpa_at_max_for, window=0)
    dlq_eval = _eval_minutes(alerts_.dead_letter_for, window=2)
    age_eval = _eval_minutes(alerts_.queue_oldest_message_for, window=2)

    def hpa(name: str, current: int, maximum: int) -> list[dict[str, str]]:
        labels = f'namespace="{ns}", horizontalpodautoscaler="{name}", job="kube-state-metrics"'
        return [{"series": f"{m.HPA_CURRENT}{{{labels}}}", "values": f"{current}x{hpa_eval + 5}"},
                {"series": f"{m.HPA_MAX}{{{labels}}}", "values": f"{maximum}x{hpa_eval + 5}"}]

    return [
        {"name": f"{a.HPA_AT_MAX}: an autoscaler at its ceiling fires, one with headroom does not",
         "interval": f"{INTERVAL_MINUTES}m",
         "input_series": [*hpa(SERVICE, 10, 10), *hpa("auth", 5, 10)],
         "alert_rule_test": [{"eval_time": f"{hpa_eval}m", "alertname": a.HPA_AT_MAX, "exp_alerts": _expected(
             annotate, a.HPA_AT_MAX, ["warning"], {"namespace": ns, "horizontalpodautoscaler": SERVICE}, 10)}]},
        {"name": f"{a.DEAD_LETTERS}: a message in the dead-letter queue fires, the busy request queue does not",
         "interval": f"{INTERVAL_MINUTES}m",
         "input_series": [
             {"series": f'{m.SQS_VISIBLE}{{{m.QUEUE_LABEL}="{dead_letter_queue}"}}',
              "values": _gauge(0, 3, 2, dlq_eval + 5)},
             {"series": f'{m.SQS_VISIBLE}{{{m.QUEUE_LABEL}="{queue}"}}', "values": f"40x{dlq_eval + 5}"}],
         "alert_rule_test": [
             {"eval_time": "1m", "alertname": a.DEAD_LETTERS, "exp_alerts": []},
             {"eval_time": f"{dlq_eval}m", "alertname": a.DEAD_LETTERS, "exp_alerts": _expected(
                 annotate, a.DEAD_LETTERS, ["warning"], {m.QUEUE_LABEL: dead_letter_queue}, 3)}]},
        {"name": f"{a.QUEUE_AGE}: a message older than the limit fires only after it has held",
         "interval": f"{INTERVAL_MINUTES}m",
         "input_series": [{"series": f'{m.SQS_OLDEST_AGE}{{{m.QUEUE_LABEL}="{queue}"}}',
                           "values": _gauge(30, alerts_.queue_oldest_message_seconds * 2, 2, age_eval + 5)}],
         "alert_rule_test": [
             {"eval_time": "3m", "alertname": a.QUEUE_AGE, "exp_alerts": []},
             {"eval_time": f"{age_eval}m", "alertname": a.QUEUE_AGE, "exp_alerts": _expected(
                 annotate, a.QUEUE_AGE, ["warning"], {m.QUEUE_LABEL: queue}, alerts_.queue_oldest_message_seconds * 2)}]},
    ]


def rule_test_document(settings: ObservabilitySettings, rule_files: Sequence[str],
                       targets: a.AlertTargets = a.AlertTargets(),
                       queue: str = "agents-requests-queue-a1b2c3d",
                       dead_letter_queue: str = "agents-requests-dlq-e4f5a6b") -> dict[str, Any]:
    """The promtool test file for the rules in ``rule_files`` (paths relative to the test file).

    ``queue`` and ``dead_letter_queue`` are names the targets' patterns must match.
    """
    ns = targets.namespace
    annotate = annotator(a.rule_groups(settings, targets))
    return {
        "rule_files": list(rule_files),
        "evaluation_interval": f"{INTERVAL_MINUTES}m",
        "tests": [*error_rate_tests(settings, ns, annotate), *latency_tests(settings, ns, annotate),
                  *cost_tests(settings, ns, annotate),
                  *saturation_tests(settings, targets, queue, dead_letter_queue, annotate)],
    }
