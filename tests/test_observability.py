"""Observability: settings, alert rules (with promtool), dashboards, the in-cluster stack, alarms and budgets."""

import json
import shutil
import subprocess

import jsonschema
import kubernetes_validate
import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest
import yaml
from pydantic import ValidationError

from tierstack import charts
from tierstack.aws.iam import OidcIssuer
from tierstack.config.model import ServicesSettings
from tierstack.observability import ObservabilitySettings
from tierstack.observability import alerts, dashboards, manifests, metrics, rule_tests
from tierstack.observability.alerts import AlertTargets
from tierstack.observability.aws_alarms import (
    AuroraCluster, CacheGroup, CostBudgets, CostBudgetsArgs, EdgeAlarms, ManagedServiceAlarms,
    ManagedServiceAlarmsArgs, QueuePair, controller_load_balancer_tags,
)
from tierstack.observability.component import Observability, ObservabilityArgs, WatchedResources
from tierstack.observability.topic import AlertTopic, AlertTopicArgs
from tierstack.policy.model import Context, Resource
from tierstack.policy.rules import RESOURCE_RULES, STACK_RULES
from tierstack.policy.runner import evaluate
from tierstack.services.manifests import Workload, service_spec
from tierstack.tooling.manifests import to_manifest
from tierstack.kube import ClusterContext

from conftest import children_of, record
from schemas.monitoring import SCHEMAS as MONITORING_SCHEMAS

ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/ABC"
OIDC = OidcIssuer(provider_arn="arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
                  issuer_url=ISSUER)
RELEASE = "kubernetes:helm.sh/v3:Release"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
BUDGET = "aws:budgets/budget:Budget"
QUEUE, DLQ = "tierstack-dev-use1-agents-requests-queue-a1b2c3d", "tierstack-dev-use1-agents-requests-dlq-e4f5a6b"
WATCHED = WatchedResources(queue_names=[QUEUE], dead_letter_queue_names=[DLQ],
                           cache_node_ids=["cache-rg-abc-001", "cache-rg-abc-002"],
                           db_cluster_identifiers=["tierstack-dev-use1-db-00", "tierstack-dev-use1-db-01"])
RECEIVERS = {"alertmanager": {"slackWebhookSecret": "tierstack/alerts/slack", "slackChannel": "#agents-alerts",
                              "pagerdutyRoutingKeySecret": "tierstack/alerts/pagerduty"}}


def _settings(**raw) -> ObservabilitySettings:
    return ObservabilitySettings.model_validate(raw)


def _observability(settings=None, watched=WATCHED, protect=False, pools=("system", "workers")):
    provider = k8s.Provider("k8s", kubeconfig="{}")
    return Observability("obs", ObservabilityArgs(
        settings=settings or ObservabilitySettings(),
        cluster=ClusterContext(name="tierstack-dev-use1", region="us-east-1", oidc=OIDC, provider=provider),
        agents_namespace="agents", node_pools=list(pools), watched=watched, protect=protect))


def _kind(resources, kind, name=None):
    return [r for r in resources if r.type.startswith("kubernetes:") and r.inputs.get("kind") == kind
            and (name is None or r.inputs["metadata"]["name"] == name)]


def _release(resources, chart):
    (release,) = [r for r in children_of(resources, RELEASE) if r.inputs["chart"] == chart]
    return release


def _provider_ref(resources, name):
    provider = next(r for r in resources if r.is_provider and r.name == name)
    return f"{provider.urn}::{provider.id}"


@pytest.fixture(scope="module")
def stack():
    """Jaeger backend, Slack and PagerDuty receivers, exact resource names to watch."""
    return record(lambda: _observability(_settings(**RECEIVERS)))


@pytest.fixture(scope="module")
def xray_stack():
    return record(lambda: _observability(_settings(tracing={"backend": "xray"}), watched=WatchedResources()))


# --- settings ------------------------------------------------------------------------------------

def test_settings_defaults_are_the_seed():
    settings = ObservabilitySettings()
    alerts_ = settings.alerts
    assert (alerts_.error_rate_percent.warning, alerts_.error_rate_percent.critical) == (5, 15)
    assert (alerts_.p95_latency_seconds.warning, alerts_.p95_latency_seconds.critical) == (2, 5)
    assert (settings.cost.daily_usd.warning, settings.cost.daily_usd.critical) == (500, 1000)
    assert settings.tracing.backend == "jaeger" and settings.tracing.retention_days == 30
    assert settings.slow_trace_seconds == 2  # slow traces: over the p95 warning
    assert settings.alertmanager.secret_names == ()  # SNS only until a secret is named


def _error(raw):
    with pytest.raises(ValidationError) as caught:
        ObservabilitySettings.model_validate(raw)
    (error,) = caught.value.errors(include_url=False)
    return error


@pytest.mark.parametrize(("raw", "loc", "words"), [
    ({"alerts": {"errorRatePercent": {"warning": 15, "critical": 5}}}, ("alerts", "errorRatePercent"),
     "critical level (5) is not above the warning level (15)"),
    ({"alerts": {"errorRatePercent": {"warning": 50, "critical": 150}}}, ("alerts", "errorRatePercent"),
     "150% is more than every request"),
    ({"alerts": {"p95LatencySeconds": {"warning": 2, "critical": 5, "warningFor": "ten minutes"}}},
     ("alerts", "p95LatencySeconds", "warningFor"), "'ten minutes' is not a Prometheus duration"),
    ({"alertmanager": {"slackWebhookSecret": "https://hooks.slack.com/services/T0/B0/XYZ"}},
     ("alertmanager", "slackWebhookSecret"), "looks like a credential itself"),
    ({"alertmanager": {"pagerdutyRoutingKeySecret": "arn:aws:secretsmanager:us-east-1:1:secret:x"}},
     ("alertmanager", "pagerdutyRoutingKeySecret"), "is an ARN"),
    ({"alertmanager": {"slackChannel": "#alerts"}}, ("alertmanager",), "slackChannel is set but no slackWebhookSecret"),
    ({"tracing": {"backend": "xray", "retentionDays": 90}}, ("tracing",), "X-Ray keeps traces for 30 days"),
    ({"alerts": {"runbookBaseUrl": "http://runbooks"}}, ("alerts", "runbookBaseUrl"), "is not an https URL"),
])
def test_settings_errors_name_the_key_the_problem_and_the_fix(raw, loc, words):
    error = _error(raw)
    assert error["loc"] == loc and error["type"] == "tierstack"
    assert words in error["msg"] and error["ctx"]["fix"]


def test_settings_reject_unknown_keys_and_out_of_range_values():
    assert _error({"prometheus": {"retentionDay": 7}})["type"] == "extra_forbidden"
    assert _error({"tracing": {"sampling": {"samplePercent": 0}}})["type"] == "greater_than"
    assert _error({"tracing": {"backend": "tempo"}})["type"] == "literal_error"


# --- alert rules ---------------------------------------------------------------------------------

def _rules(settings=None, targets=AlertTargets()):
    return alerts.rule_groups(settings or ObservabilitySettings(), targets)


def _levels(groups, name):
    return {r["labels"]["severity"]: r for r in alerts.alerts_named(groups, name)}


@pytest.mark.parametrize(("name", "series", "warning", "critical"), [
    (alerts.ERROR_RATE, metrics.ERROR_RATIO, "0.05", "0.15"),
    (alerts.LATENCY, metrics.LATENCY_P95, "2", "5"),
    (alerts.DAILY_COST, metrics.COST_24H, "500", "1000"),
])
def test_every_seed_alert_has_a_warning_and_a_critical_rule_at_the_seed_thresholds(name, series, warning, critical):
    levels = _levels(_rules(), name)
    assert set(levels) == {"warning", "critical"}
    assert levels["warning"]["expr"] == f'{series}{{namespace="agents"}} > {warning}'
    assert levels["critical"]["expr"] == f'{series}{{namespace="agents"}} > {critical}'
    assert levels["warning"]["for"] and levels["critical"]["for"]


def test_latency_is_the_p95_of_the_request_histogram():
    recorded = {r["record"]: r["expr"] for r in alerts.recording_rules(AlertTargets())}
    assert recorded[metrics.LATENCY_P95] == (
        'histogram_quantile(0.95, sum by (namespace, service, le) '
        '(rate(http_request_duration_seconds_bucket{namespace="agents"}[5m])))')
    assert 'code=~"5.."}[5m]))' in recorded[metrics.ERROR_RATE] and recorded[metrics.ERROR_RATE].endswith("* 0")


def test_overrides_change_thresholds_and_durations():
    settings = _settings(alerts={"errorRatePercent": {"warning": 2, "critical": 10, "warningFor": "20m"},
                                 "p95LatencySeconds": {"warning": 1.5, "critical": 3}},
                         cost={"dailyUsd": {"warning": 200, "critical": 400}})
    groups = _rules(settings, AlertTargets(namespace="bots"))
    errors = _levels(groups, alerts.ERROR_RATE)
    assert errors["warning"]["expr"].endswith('{namespace="bots"} > 0.02') and errors["warning"]["for"] == "20m"
    assert errors["critical"]["expr"].endswith("> 0.1") and errors["critical"]["for"] == "5m"
    assert _levels(groups, alerts.LATENCY)["warning"]["expr"].endswith("> 1.5")
    assert _levels(groups, alerts.DAILY_COST)["critical"]["expr"].endswith("> 400")


def test_every_alert_has_for_a_severity_and_the_three_annotations():
    groups = _rules()
    rules = [r for g in groups for r in g["rules"] if "alert" in r]
    assert {r["alert"] for r in rules} == {*alerts.SEED_ALERTS, *alerts.SATURATION_ALERTS}
    for rule in rules:
        assert rule["for"] and rule["labels"]["severity"] in ("warning", "critical")
        assert set(rule["annotations"]) == {"summary", "description", "runbook_url"}
        assert rule["annotations"]["runbook_url"].startswith("https://runbooks.tierstack.example.com/agent-")
    assert [g["name"] for g in groups][0] == alerts.RECORDING_GROUP  # recorded before read


def test_saturation_alerts_select_the_watched_resources_exactly():
    targets = AlertTargets(queues=alerts.any_of([QUEUE]), dead_letter_queues=alerts.any_of([DLQ]),
                           db_clusters=alerts.any_of(["db.00", "db-01"]))
    groups = _rules(targets=targets)
    (dlq,) = alerts.alerts_named(groups, alerts.DEAD_LETTERS)
    assert dlq["expr"] == f'max by (dimension_QueueName) ({metrics.SQS_VISIBLE}{{dimension_QueueName=~"{DLQ}"}}) > 0'
    (lag,) = alerts.alerts_named(groups, alerts.REPLICA_LAG)
    assert 'dimension_DBClusterIdentifier=~"db\\\\.00|db-01"' in lag["expr"] and lag["expr"].endswith("> 1000")
    (hpa,) = alerts.alerts_named(groups, alerts.HPA_AT_MAX)
    assert metrics.HPA_CURRENT in hpa["expr"] and metrics.HPA_MAX in hpa["expr"] and ">=" in hpa["expr"]
    assert alerts.any_of([]) == "$^"  # no names: match nothing


def test_rule_test_scenarios_are_the_seeds_examples():
    settings = ObservabilitySettings()
    assert [(s.value, s.fires) for s in rule_tests.error_rate_scenarios(settings)] == [
        (4, ()), (6, ("warning",)), (16, ("warning", "critical"))]
    assert [(s.value, s.fires) for s in rule_tests.latency_scenarios(settings)] == [
        (1, ()), (3, ("warning",)), (6, ("warning", "critical"))]
    assert rule_tests.p95_estimate(3) == pytest.approx(2.95) and rule_tests.p95_estimate(6) == pytest.approx(7.375)
    assert rule_tests.minutes("1h30m") == 90


# --- promtool -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def promtool():
    path = shutil.which("promtool")
    if path is None:
        pytest.skip("promtool not installed: apt-get install prometheus")
    return path


def _promtool(promtool, directory, rules_settings, test_settings, targets=AlertTargets()):
    (directory / "rules.yaml").write_text(alerts.rules_file_yaml(alerts.rule_groups(rules_settings, targets)))
    document = rule_tests.rule_test_document(test_settings, ["rules.yaml"], targets, QUEUE, DLQ)
    (directory / "tests.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    check = subprocess.run([promtool, "check", "rules", "rules.yaml"], cwd=directory, capture_output=True, text=True)
    test = subprocess.run([promtool, "test", "rules", "tests.yaml"], cwd=directory, capture_output=True, text=True)
    return check, test, document


@pytest.mark.parametrize("raw", [{}, {"alerts": {"errorRatePercent": {"warning": 1, "critical": 3},
                                                 "p95LatencySeconds": {"warning": 0.5, "critical": 2.5,
                                                                       "criticalFor": "2m"}},
                                      "cost": {"dailyUsd": {"warning": 50, "critical": 80}}}])
def test_promtool_checks_the_rules_and_their_unit_tests_pass(promtool, tmp_path, raw):
    settings = _settings(**raw)
    targets = AlertTargets(queues=alerts.any_of([QUEUE]), dead_letter_queues=alerts.any_of([DLQ]))
    check, test, document = _promtool(promtool, tmp_path, settings, settings, targets)
    assert check.returncode == 0, check.stdout + check.stderr
    assert f"SUCCESS: {sum(len(g['rules']) for g in alerts.rule_groups(settings, targets))} rules found" in check.stdout
    assert test.returncode == 0, test.stdout + test.stderr
    names = [t["name"] for t in document["tests"]]
    assert len(names) == 12  # three levels for each of the three seed alerts, three saturation cases
    assert any("DeadLetter" in n for n in names) and any("HPAAtMax" in n for n in names)


def test_promtool_tests_fail_when_the_rules_drift_from_the_settings(promtool, tmp_path):
    """Guards the guard: rules at other thresholds than the tests expect must fail promtool."""
    drifted = _settings(alerts={"errorRatePercent": {"warning": 7, "critical": 15}})
    _, test, _ = _promtool(promtool, tmp_path, drifted, ObservabilitySettings())
    assert test.returncode != 0 and "AgentHighErrorRate" in test.stdout + test.stderr


# --- dashboards -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def models():
    return dashboards.dashboards(ObservabilitySettings())


def test_dashboards_are_grafana_json_with_panels_and_targets(models):
    assert set(models) == {dashboards.OVERVIEW_UID, dashboards.CAPACITY_UID}
    for uid, model in models.items():
        json.loads(json.dumps(model))  # plain JSON
        assert model["title"] and model["uid"] == uid and model["schemaVersion"] >= 39
        graphs = [p for p in model["panels"] if p["type"] != "row"]
        assert graphs and all(p["targets"] for p in graphs)
        for panel in graphs:
            for target in panel["targets"]:
                assert target["expr"] and target["refId"] and target["datasource"]["uid"] == dashboards.DATASOURCE_UID
        assert len({p["id"] for p in model["panels"]}) == len(model["panels"])


def test_dashboards_cover_every_required_view(models):
    titles = {p["title"] for model in models.values() for p in model["panels"]}
    assert {"Request rate", "Error rate", "Latency percentiles", "Cost per request", "Queue depth",
            "Replicas against autoscaler bounds", "Cache hit ratio", "Database replica lag"} <= titles


def test_every_metric_a_dashboard_queries_is_produced(models):
    used = dashboards.dashboard_metrics(models)
    assert all(used.values())
    for uid, names in used.items():
        assert names <= metrics.KNOWN_METRICS, (uid, names - metrics.KNOWN_METRICS)
    recorded = {r["record"] for r in alerts.recording_rules(AlertTargets())}
    assert recorded == metrics.RECORDED_METRICS
    assert {metrics.HPA_CURRENT, metrics.HPA_MIN, metrics.HPA_MAX} <= used[dashboards.CAPACITY_UID]


def test_metric_names_reads_only_metrics():
    assert dashboards.metric_names(
        'sum by (service, le) (rate(http_request_duration_seconds_bucket{code=~"5..", service="a"}[5m])) '
        "/ on (service) group_left max without (pod) (up offset 5m)") == {"http_request_duration_seconds_bucket", "up"}
    assert dashboards.metric_names('label_values(service:http_requests:rate5m{namespace="agents"}, service)') == \
        {"service:http_requests:rate5m"}


def test_panel_thresholds_follow_the_alert_settings():
    settings = _settings(alerts={"errorRatePercent": {"warning": 2, "critical": 8}})
    overview = dashboards.dashboards(settings)[dashboards.OVERVIEW_UID]
    errors = next(p for p in overview["panels"] if p["title"] == "Error rate")
    steps = errors["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert [s["value"] for s in steps] == [None, 0.02, 0.08]


# --- the in-cluster stack ------------------------------------------------------------------------

def test_releases_are_pinned_and_registered(stack):
    for pin in (charts.KUBE_PROMETHEUS_STACK, charts.OPENTELEMETRY_COLLECTOR, charts.JAEGER):
        release = _release(stack, pin.chart)
        assert release.inputs["version"] == pin.version and release.inputs["repositoryOpts"]["repo"] == pin.repository
        assert release.inputs["namespace"] == "monitoring" and release.inputs["atomic"] is True
        assert pin in charts.ALL_CHARTS
    collector = _release(stack, "opentelemetry-collector")
    assert collector.inputs["values"]["image"]["tag"] == charts.OPENTELEMETRY_COLLECTOR.app_version


def test_prometheus_keeps_its_retention_on_encrypted_gp3_and_is_where_the_adapter_looks(stack):
    spec = _release(stack, "kube-prometheus-stack").inputs["values"]["prometheus"]["prometheusSpec"]
    assert (spec["retention"], spec["retentionSize"]) == ("15d", "45GB")
    claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
    assert claim["storageClassName"] == "gp3-encrypted" and claim["resources"]["requests"]["storage"] == "50Gi"
    assert spec["ruleSelectorNilUsesHelmValues"] is False and spec["serviceMonitorSelectorNilUsesHelmValues"] is False
    # The services' Prometheus adapter reads this release's Prometheus service.
    assert ServicesSettings.model_fields["prometheus_url"].default == \
        f"http://{manifests.PROMETHEUS_SERVICE}.{manifests.NAMESPACE}.svc"
    from tierstack.cluster.eks import DEFAULT_STORAGE_CLASS
    assert manifests.STORAGE_CLASS == DEFAULT_STORAGE_CLASS


def test_prometheus_overrides_change_retention_and_storage():
    resources = record(lambda: _observability(_settings(prometheus={"retentionDays": 30, "storageGiB": 200})))
    spec = _release(resources, "kube-prometheus-stack").inputs["values"]["prometheus"]["prometheusSpec"]
    assert (spec["retention"], spec["retentionSize"]) == ("30d", "180GB")
    assert spec["storageSpec"]["volumeClaimTemplate"]["spec"]["resources"]["requests"]["storage"] == "200Gi"


def _alertmanager(resources):
    return _release(resources, "kube-prometheus-stack").inputs["values"]["alertmanager"]


def test_alertmanager_routes_to_the_encrypted_sns_topic_with_sigv4(stack):
    topic = next(r for r in children_of(stack, "aws:sns/topic:Topic"))
    key = next(r for r in children_of(stack, "aws:kms/key:Key"))
    assert topic.inputs["kmsMasterKeyId"] == key.outputs["arn"]
    config = _alertmanager(stack)["config"]
    receivers = {r["name"]: r for r in config["receivers"]}
    for name in (manifests.WARNING_RECEIVER, manifests.CRITICAL_RECEIVER):
        (sns,) = receivers[name]["sns_configs"]
        assert sns == {"topic_arn": topic.outputs["arn"], "sigv4": {"region": "us-east-1"}, "send_resolved": True}
    assert config["route"]["receiver"] == manifests.WARNING_RECEIVER
    critical = next(r for r in config["route"]["routes"] if r["receiver"] == manifests.CRITICAL_RECEIVER)
    assert critical["matchers"] == ['severity = "critical"']
    assert config["inhibit_rules"][0]["source_matchers"] == ['severity = "critical"']


def test_alertmanager_role_publishes_only_to_the_topic(stack):
    topic = next(r for r in children_of(stack, "aws:sns/topic:Topic"))
    key = next(r for r in children_of(stack, "aws:kms/key:Key"))
    role = next(r for r in children_of(stack, "aws:iam/role:Role") if r.name == "obs-alertmanager")
    assert _alertmanager(stack)["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"] == role.outputs["arn"]
    condition = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
    assert condition[f"{ISSUER.removeprefix('https://')}:sub"] == "system:serviceaccount:monitoring:alertmanager"
    policy = next(r for r in children_of(stack, "aws:iam/rolePolicy:RolePolicy") if r.name == "obs-alertmanager-policy")
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    assert statements["PublishAlerts"] == {"Sid": "PublishAlerts", "Effect": "Allow", "Action": "sns:Publish",
                                           "Resource": topic.outputs["arn"]}
    assert statements["EncryptAlerts"]["Resource"] == key.outputs["arn"]
    assert statements["ReadReceiverCredentials"]["Resource"] == [
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:tierstack/alerts/slack-??????",
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:tierstack/alerts/pagerduty-??????"]


def test_slack_and_pagerduty_read_their_credentials_from_secrets_manager_at_start(stack):
    am = _alertmanager(stack)
    receivers = {r["name"]: r for r in am["config"]["receivers"]}
    assert receivers[manifests.WARNING_RECEIVER]["slack_configs"][0]["api_url_file"].startswith(manifests.RECEIVER_SECRETS_DIR)
    assert receivers[manifests.WARNING_RECEIVER]["slack_configs"][0]["channel"] == "#agents-alerts"
    assert "pagerduty_configs" not in receivers[manifests.WARNING_RECEIVER]
    assert receivers[manifests.CRITICAL_RECEIVER]["pagerduty_configs"][0]["routing_key_file"] == \
        f"{manifests.RECEIVER_SECRETS_DIR}/{manifests.PAGERDUTY_KEY_FILE}"
    (init,) = am["alertmanagerSpec"]["initContainers"]
    assert init["image"] == manifests.AWS_CLI_IMAGE and ":latest" not in init["image"]
    assert "--secret-id tierstack/alerts/slack" in init["args"][0] and "--secret-id tierstack/alerts/pagerduty" in init["args"][0]
    volume = next(v for v in am["alertmanagerSpec"]["volumes"] if v["name"] == "receiver-secrets")
    assert volume["emptyDir"]["medium"] == "Memory"
    # No credential value anywhere: only secret names and file paths.
    rendered = json.dumps([r.inputs for r in stack])
    assert "hooks.slack.com" not in rendered and "routing_key\"" not in rendered


def test_without_receiver_secrets_alertmanager_sends_only_to_sns():
    resources = record(lambda: _observability(ObservabilitySettings()))
    am = _alertmanager(resources)
    for receiver in am["config"]["receivers"]:
        assert set(receiver) <= {"name", "sns_configs"}
    assert "initContainers" not in am["alertmanagerSpec"]
    policy = next(r for r in children_of(resources, "aws:iam/rolePolicy:RolePolicy") if r.name == "obs-alertmanager-policy")
    assert "ReadReceiverCredentials" not in policy.inputs["policy"]


def test_topic_accepts_cloudwatch_alarms_and_budgets_and_its_key_lets_them_encrypt(stack):
    topic = next(r for r in children_of(stack, "aws:sns/topic:Topic"))
    (policy,) = children_of(stack, "aws:sns/topicPolicy:TopicPolicy")
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    assert statements["Budgets"]["Principal"] == {"Service": "budgets.amazonaws.com"}
    assert statements["Budgets"]["Action"] == "sns:Publish" and statements["Budgets"]["Resource"] == topic.outputs["arn"]
    assert statements["CloudWatchAlarms"]["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert statements["DenyInsecureTransport"]["Effect"] == "Deny"
    key = next(r for r in children_of(stack, "aws:kms/key:Key"))
    principals = {s["Principal"].get("Service") for s in json.loads(key.inputs["policy"])["Statement"]}
    assert {"cloudwatch.amazonaws.com", "budgets.amazonaws.com"} <= principals
    assert key.inputs["enableKeyRotation"] is True


def test_service_monitor_selects_the_agent_services(stack):
    (monitor,) = _kind(stack, "ServiceMonitor")
    spec = monitor.inputs["spec"]
    assert spec["namespaceSelector"] == {"matchNames": ["agents"]}
    workload = Workload(name="conversation", namespace="agents", role="api", image="x:1", port=8080,
                        health_path="/healthz", cpu="1", memory="1Gi")
    assert spec["selector"]["matchLabels"].items() <= workload.labels.items()
    assert {p["name"] for p in service_spec(workload)["ports"]} == {spec["endpoints"][0]["port"]} == {"http"}
    assert spec["endpoints"][0]["path"] == "/metrics" and spec["jobLabel"] == "app.kubernetes.io/name"
    kps = _release(stack, "kube-prometheus-stack")
    assert kps.urn in monitor.dependencies  # the CRDs come with the chart


def test_prometheus_rule_carries_the_rules_for_the_watched_resources(stack):
    (rule,) = _kind(stack, "PrometheusRule")
    targets = AlertTargets(namespace="agents", queues=alerts.any_of([QUEUE]), dead_letter_queues=alerts.any_of([DLQ]),
                           cache_nodes=alerts.any_of(["cache-rg-abc-001", "cache-rg-abc-002"]),
                           db_clusters=alerts.any_of(["tierstack-dev-use1-db-00", "tierstack-dev-use1-db-01"]))
    assert to_manifest(rule)["spec"] == alerts.prometheus_rule_spec(_settings(**RECEIVERS), targets)


def test_dashboards_are_config_maps_for_the_grafana_sidecar(stack):
    maps = {r.inputs["metadata"]["name"]: r for r in _kind(stack, "ConfigMap")}
    assert set(maps) == {dashboards.OVERVIEW_UID, dashboards.CAPACITY_UID}
    sidecar = _release(stack, "kube-prometheus-stack").inputs["values"]["grafana"]["sidecar"]
    for uid, config_map in maps.items():
        assert config_map.inputs["metadata"]["labels"]["grafana_dashboard"] == "1"
        assert config_map.inputs["metadata"]["namespace"] == sidecar["dashboards"]["searchNamespace"] == "monitoring"
        model = json.loads(config_map.inputs["data"][f"{uid}.json"])
        assert model["uid"] == uid
    assert (sidecar["dashboards"]["label"], sidecar["dashboards"]["labelValue"]) == ("grafana_dashboard", "1")
    assert sidecar["datasources"]["uid"] == dashboards.DATASOURCE_UID
    capacity = json.loads(maps[dashboards.CAPACITY_UID].inputs["data"][f"{dashboards.CAPACITY_UID}.json"])
    assert any(QUEUE in t["expr"] for p in capacity["panels"] for t in p.get("targets", []))


def test_collector_tail_samples_errors_slow_traces_and_a_share_into_jaeger(stack):
    values = _release(stack, "opentelemetry-collector").inputs["values"]
    assert "config" not in values  # the complete config, unmerged with the chart's default pipelines
    config = values["alternateConfig"]
    assert set(config["service"]["pipelines"]) == {"traces"} and config["service"]["extensions"] == ["health_check"]
    policies = {p["type"]: p for p in config["processors"]["tail_sampling"]["policies"]}
    assert policies["status_code"]["status_code"] == {"status_codes": ["ERROR"]}
    assert policies["latency"]["latency"] == {"threshold_ms": 2000}
    assert policies["probabilistic"]["probabilistic"]["sampling_percentage"] == 10
    traces = config["service"]["pipelines"]["traces"]
    assert traces["processors"] == ["memory_limiter", "tail_sampling", "batch"]
    (exporter,) = traces["exporters"]
    assert config["exporters"][exporter]["endpoint"] == "jaeger.monitoring.svc.cluster.local:4317"


def test_jaeger_keeps_30_days_of_traces_on_an_encrypted_volume(stack):
    (claim,) = _kind(stack, "PersistentVolumeClaim")
    assert claim.inputs["spec"]["storageClassName"] == "gp3-encrypted"
    jaeger = _release(stack, "jaeger")
    values = jaeger.inputs["values"]
    badger = values["userconfig"]["extensions"]["jaeger_storage"]["backends"]["traces"]["badger"]
    assert badger["ttl"]["spans"] == "720h" and badger["ephemeral"] is False
    (volume,) = values["jaeger"]["extraVolumes"]
    assert volume["persistentVolumeClaim"]["claimName"] == claim.inputs["metadata"]["name"]
    assert values["jaeger"]["extraVolumeMounts"][0]["mountPath"] == manifests.JAEGER_DATA_DIR
    assert badger["directories"]["keys"].startswith(manifests.JAEGER_DATA_DIR)
    assert values["jaeger"]["securityContext"]["readOnlyRootFilesystem"] is True
    assert claim.urn in jaeger.dependencies and jaeger.inputs["name"] == "jaeger"


def test_xray_backend_exports_with_its_own_role_and_no_jaeger(xray_stack):
    assert not [r for r in children_of(xray_stack, RELEASE) if r.inputs["chart"] == "jaeger"]
    assert not _kind(xray_stack, "PersistentVolumeClaim")
    values = _release(xray_stack, "opentelemetry-collector").inputs["values"]
    assert values["alternateConfig"]["exporters"] == {"awsxray": {"region": "us-east-1"}}
    role = next(r for r in children_of(xray_stack, "aws:iam/role:Role") if r.name == "obs-collector")
    assert values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"] == role.outputs["arn"]
    condition = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
    assert condition[f"{ISSUER.removeprefix('https://')}:sub"] == "system:serviceaccount:monitoring:otel-collector"
    policy = next(r for r in children_of(xray_stack, "aws:iam/rolePolicy:RolePolicy") if r.name == "obs-collector-policy")
    assert "xray:PutTraceSegments" in json.loads(policy.inputs["policy"])["Statement"][0]["Action"]


def test_without_watched_names_the_rules_fall_back_to_tierstack_patterns(xray_stack):
    (rule,) = _kind(xray_stack, "PrometheusRule")
    (dlq,) = alerts.alerts_named(rule.inputs["spec"]["groups"], alerts.DEAD_LETTERS)
    assert 'dimension_QueueName=~".+-dlq-.+"' in dlq["expr"]


def test_every_child_is_parented_and_kubernetes_children_use_the_cluster_provider(stack):
    by_urn = {r.urn: r for r in stack}
    (component,) = [r for r in stack if r.type == "tierstack:observability:Observability"]
    k8s_provider = _provider_ref(stack, "k8s")
    for resource in stack:
        if resource.is_provider or resource is component:
            continue
        chain, node = [], resource
        while node.parent in by_urn:
            chain.append(node.parent)
            node = by_urn[node.parent]
        assert component.urn in chain, resource.name
        if resource.type.startswith("kubernetes:"):
            assert resource.provider == k8s_provider, resource.name


def _validate(resource):
    manifest = to_manifest(resource)
    schema = MONITORING_SCHEMAS.get(manifest["kind"]) if manifest["apiVersion"] == "monitoring.coreos.com/v1" else None
    if schema is not None:
        jsonschema.validate(manifest, schema)
    else:
        kubernetes_validate.validate(manifest, "1.35.0", strict=True)


@pytest.mark.parametrize("which", ["stack", "xray_stack"])
def test_every_kubernetes_object_is_schema_valid(request, which):
    resources = request.getfixturevalue(which)
    objects = [r for r in resources if r.type.startswith("kubernetes:") and not r.is_provider and r.type != RELEASE]
    assert {r.inputs["kind"] for r in objects} >= {"Namespace", "ConfigMap", "ServiceMonitor", "PrometheusRule"}
    for resource in objects:
        _validate(resource)


@pytest.mark.parametrize(("kind", "path"), [
    ("ServiceMonitor", ("spec", "endpoints", 0, "scrapeInterval")),
    ("PrometheusRule", ("spec", "groups", 0, "rules", 0, "recrod")),
    ("PersistentVolumeClaim", ("spec", "storageClass")),
])
def test_strict_validation_rejects_an_unknown_field(stack, kind, path):
    (resource,) = _kind(stack, kind)
    manifest = to_manifest(resource)
    node = manifest
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = "x"
    schema = MONITORING_SCHEMAS.get(kind)
    with pytest.raises((kubernetes_validate.ValidationError, jsonschema.ValidationError)):
        if schema is not None:
            jsonschema.validate(manifest, schema)
        else:
            kubernetes_validate.validate(manifest, "1.35.0", strict=True)


# --- managed-service alarms and budgets ---------------------------------------------------------

CELL_REGION = "eu-west-1"


def _alarms_and_budgets(settings=None, edge=True):
    settings = settings or ObservabilitySettings()
    cell = aws.Provider("cell", region=CELL_REGION)
    edge_provider = aws.Provider("edge", region="us-east-1")
    topic = AlertTopic("cell-alerts", AlertTopicArgs(region=CELL_REGION),
                       opts=pulumi.ResourceOptions(providers={"aws": cell}))
    edge_topic = AlertTopic("edge-alerts", AlertTopicArgs(region="us-east-1"),
                            opts=pulumi.ResourceOptions(providers={"aws": edge_provider}))
    ManagedServiceAlarms("alarms", ManagedServiceAlarmsArgs(
        settings=settings, region=CELL_REGION, name_prefix="tierstack-dev-euw1", topic_arn=topic.arn,
        aurora_clusters=[AuroraCluster("tierstack-dev-euw1-db-00"), AuroraCluster("tierstack-dev-euw1-db-01")],
        cache_groups=[CacheGroup("cache-rg-abc", cluster_mode=True, shards=2, replicas_per_shard=1)],
        queues=[QueuePair(QUEUE, DLQ)],
        load_balancers=["app/k8s-agents-publicapi-0123456789/0123456789abcdef"],
        edge=EdgeAlarms("E2EXAMPLE123", edge_topic.arn, edge_provider) if edge else None,
        ), opts=pulumi.ResourceOptions(providers={"aws": cell}))
    CostBudgets("budgets", CostBudgetsArgs(settings=settings, name_prefix="tierstack-dev", topic_arn=topic.arn,
                                           cost_filter_tags={"Environment": "dev"}),
                opts=pulumi.ResourceOptions(providers={"aws": cell}))


@pytest.fixture(scope="module")
def managed():
    return record(lambda: _alarms_and_budgets())


def _topic_arn(resources, region):
    return next(r.outputs["arn"] for r in children_of(resources, "aws:sns/topic:Topic") if f":{region}:" in r.outputs["arn"])


def _alarm(resources, key):
    (alarm,) = [r for r in children_of(resources, ALARM) if r.inputs["tags"]["tierstack.io/alarm"] == key]
    return alarm


def test_every_managed_resource_has_its_alarms_with_actions(managed):
    keys = {r.inputs["tags"]["tierstack.io/alarm"] for r in children_of(managed, ALARM)}
    assert keys == {
        *(f"aurora-{i}-{m}" for i in (0, 1) for m in ("cpu", "connections", "replica-lag")),
        *(f"cache-0-shard-{s}-{m}" for s in (1, 2) for m in ("engine-cpu", "memory", "evictions")),
        "queue-0-dead-letters", "queue-0-oldest-message", "alb-0-target-5xx", "alb-0-response-time-p95",
        "cloudfront-5xx-rate"}
    cell_topic, edge_topic = _topic_arn(managed, CELL_REGION), _topic_arn(managed, "us-east-1")
    for alarm in children_of(managed, ALARM):
        topic = edge_topic if alarm.inputs["tags"]["tierstack.io/alarm"] == "cloudfront-5xx-rate" else cell_topic
        assert alarm.inputs["alarmActions"] == [topic] and alarm.inputs["okActions"] == [topic]
        assert alarm.inputs["actionsEnabled"] is True and alarm.inputs["name"].startswith("tierstack-dev-euw1-")


@pytest.mark.parametrize(("key", "namespace", "metric", "dimensions", "threshold"), [
    ("aurora-0-cpu", "AWS/RDS", "CPUUtilization", {"DBClusterIdentifier": "tierstack-dev-euw1-db-00"}, 80),
    ("aurora-1-connections", "AWS/RDS", "DatabaseConnections", {"DBClusterIdentifier": "tierstack-dev-euw1-db-01"}, 1000),
    ("aurora-0-replica-lag", "AWS/RDS", "AuroraReplicaLag", {"DBClusterIdentifier": "tierstack-dev-euw1-db-00"}, 1000),
    ("queue-0-dead-letters", "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": DLQ}, 0),
    ("queue-0-oldest-message", "AWS/SQS", "ApproximateAgeOfOldestMessage", {"QueueName": QUEUE}, 300),
    ("alb-0-target-5xx", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count",
     {"LoadBalancer": "app/k8s-agents-publicapi-0123456789/0123456789abcdef"}, 50),
    ("cloudfront-5xx-rate", "AWS/CloudFront", "5xxErrorRate", {"DistributionId": "E2EXAMPLE123", "Region": "Global"}, 5),
])
def test_single_metric_alarms_watch_the_right_metric(managed, key, namespace, metric, dimensions, threshold):
    alarm = _alarm(managed, key)
    assert (alarm.inputs["namespace"], alarm.inputs["metricName"]) == (namespace, metric)
    assert alarm.inputs["dimensions"] == dimensions and alarm.inputs["threshold"] == threshold
    assert alarm.inputs["comparisonOperator"] == "GreaterThanThreshold"


def test_alb_latency_alarm_uses_the_p95_and_cloudfront_alarms_in_us_east_1(managed):
    p95 = _alarm(managed, "alb-0-response-time-p95")
    assert p95.inputs["extendedStatistic"] == "p95" and "statistic" not in p95.inputs and p95.inputs["threshold"] == 2
    assert _alarm(managed, "cloudfront-5xx-rate").provider == _provider_ref(managed, "edge")
    assert _alarm(managed, "aurora-0-cpu").provider == _provider_ref(managed, "cell")


def test_cache_alarms_take_the_worst_node_of_each_shard(managed):
    alarm = _alarm(managed, "cache-0-shard-2-evictions")
    queries = {q["id"]: q for q in alarm.inputs["metricQueries"]}
    assert [q["metric"]["dimensions"]["CacheClusterId"] for i, q in sorted(queries.items()) if i.startswith("m")] == \
        ["cache-rg-abc-0002-001", "cache-rg-abc-0002-002"]
    assert queries["worst"]["expression"] == "MAX([m0, m1])" and queries["worst"]["returnData"] is True
    assert queries["m0"]["metric"]["stat"] == "Sum" and alarm.inputs["threshold"] == 1000
    assert CacheGroup("rg", cluster_mode=False, replicas_per_shard=2).node_suffixes() == [["-001", "-002", "-003"]]


def test_the_alb_dimension_can_come_from_a_lookup_of_the_controllers_load_balancer():
    def build():
        tags = controller_load_balancer_tags("tierstack-dev-use1", "agents", "public-api")
        load_balancer = aws.lb.get_load_balancer_output(tags=tags)
        topic = AlertTopic("alerts", AlertTopicArgs(region="us-east-1"))
        ManagedServiceAlarms("alarms", ManagedServiceAlarmsArgs(
            settings=ObservabilitySettings(), region="us-east-1", name_prefix="tierstack-dev-use1", topic_arn=topic.arn,
            load_balancers=[load_balancer.arn_suffix]))

    resources = record(build)
    dimension = _alarm(resources, "alb-0-target-5xx").inputs["dimensions"]["LoadBalancer"]
    assert dimension.startswith("app/k8s-") and dimension.count("/") == 2


def test_alarm_thresholds_follow_the_settings():
    settings = _settings(alerts={"queueOldestMessageSeconds": 900, "dbReplicaLagSeconds": 2.5},
                         alarms={"dbCpuPercent": 65})
    resources = record(lambda: _alarms_and_budgets(settings, edge=False))
    assert _alarm(resources, "queue-0-oldest-message").inputs["threshold"] == 900
    assert _alarm(resources, "aurora-0-replica-lag").inputs["threshold"] == 2500
    assert _alarm(resources, "aurora-0-cpu").inputs["threshold"] == 65
    assert not [r for r in children_of(resources, ALARM) if "cloudfront" in r.inputs["tags"]["tierstack.io/alarm"]]


def test_cloudwatch_dashboard_shows_every_watched_resource(managed):
    (dashboard,) = children_of(managed, "aws:cloudwatch/dashboard:Dashboard")
    body = json.loads(dashboard.inputs["dashboardBody"])
    dimensions = {value for widget in body["widgets"] for metric in widget["properties"]["metrics"] for value in metric[3::2]}
    assert {"tierstack-dev-euw1-db-00", "cache-rg-abc-0001-001", QUEUE, DLQ, "E2EXAMPLE123"} <= dimensions
    cloudfront = next(w for w in body["widgets"] if "CloudFront" in w["properties"]["title"])
    assert cloudfront["properties"]["region"] == "us-east-1"
    assert dashboard.inputs["dashboardName"] == "tierstack-dev-euw1-managed-services"


def test_budgets_carry_the_daily_levels_and_the_monthly_limit(managed):
    budgets = {r.inputs["timeUnit"]: r for r in children_of(managed, BUDGET)}
    topic = _topic_arn(managed, CELL_REGION)
    daily, monthly = budgets["DAILY"], budgets["MONTHLY"]
    assert (daily.inputs["budgetType"], daily.inputs["limitAmount"], daily.inputs["limitUnit"]) == ("COST", "1000", "USD")
    assert sorted((n["threshold"], n["thresholdType"], n["notificationType"]) for n in daily.inputs["notifications"]) == [
        (500, "ABSOLUTE_VALUE", "ACTUAL"), (1000, "ABSOLUTE_VALUE", "ACTUAL")]
    assert monthly.inputs["limitAmount"] == "15000"
    assert sorted((n["threshold"], n["notificationType"]) for n in monthly.inputs["notifications"]) == [
        (80, "ACTUAL"), (100, "ACTUAL"), (100, "FORECASTED")]
    for budget in (daily, monthly):
        assert all(n["subscriberSnsTopicArns"] == [topic] for n in budget.inputs["notifications"])
        assert budget.inputs["costFilters"] == [{"name": "TagKeyValue", "values": ["user:Environment$dev"]}]


def test_budget_overrides_change_the_limits():
    settings = _settings(cost={"dailyUsd": {"warning": 100, "critical": 250.5}, "monthlyBudgetUsd": 4000})
    resources = record(lambda: _alarms_and_budgets(settings, edge=False))
    budgets = {r.inputs["timeUnit"]: r for r in children_of(resources, BUDGET)}
    assert (budgets["DAILY"].inputs["limitAmount"], budgets["MONTHLY"].inputs["limitAmount"]) == ("250.5", "4000")
    assert {n["threshold"] for n in budgets["DAILY"].inputs["notifications"]} == {100, 250.5}


# --- policy --------------------------------------------------------------------------------------

def _evaluate(resources, context):
    views = [Resource(r.type, r.name, r.inputs, r.urn, r.parent, r.protect)
             for r in resources if r.custom and not r.is_provider]
    return evaluate(views, context, RESOURCE_RULES, STACK_RULES)


@pytest.mark.parametrize("profile", ["standard", "hipaa"])
def test_no_mandatory_policy_violations(stack, xray_stack, managed, profile):
    for resources in (stack, xray_stack, managed, [*stack, *managed]):
        evaluation = _evaluate(resources, Context(profile=profile, production=False))
        assert [v.render() for v in evaluation.mandatory_violations] == []
        assert evaluation.undecided == []
    production = record(lambda: _observability(protect=True))
    evaluation = _evaluate(production, Context(profile=profile, production=True))
    assert [v.render() for v in evaluation.mandatory_violations] == []


def test_alarms_and_budgets_satisfy_the_advisory_rules_too(managed):
    evaluation = _evaluate(managed, Context())
    assert {v.rule for v in evaluation.violations} & {"cloudwatch-alarm-actions", "budgets-present"} == set()


# -- the CloudWatch exporter feeding the saturation alerts -----------------------------------------

def test_cloudwatch_exporter_produces_exactly_the_series_the_alerts_read():
    from tierstack.observability import metrics as m

    produced = {m.exported_name(*series) for series in m.CLOUDWATCH_SERIES}
    assert produced == {m.SQS_VISIBLE, m.SQS_OLDEST_AGE, m.CACHE_EVICTIONS, m.DB_REPLICA_LAG}
    config = yaml.safe_load(m.cloudwatch_exporter_config("eu-west-1", {"Environment": "prod", "tierstack:region": "eu-west-1"}))
    jobs = {job["type"]: job for job in config["discovery"]["jobs"]}
    assert set(jobs) == {"AWS/SQS", "AWS/ElastiCache", "AWS/RDS"}
    for job in jobs.values():
        assert job["regions"] == ["eu-west-1"]
        assert {"key": "Environment", "value": "^prod$"} in job["searchTags"]
    configured = {m.exported_name(t, metric["name"], stat) for t, job in jobs.items()
                  for metric in job["metrics"] for stat in metric["statistics"]}
    assert configured == produced


def test_cloudwatch_exporter_release_is_pinned_scraped_and_least_privileged():
    from tierstack import charts

    resources = record(lambda: _observability())
    release = next(r for r in resources if r.type == "kubernetes:helm.sh/v3:Release"
                   and r.inputs["chart"] == charts.CLOUDWATCH_EXPORTER.chart)
    values = release.inputs["values"]
    assert release.inputs["version"] == charts.CLOUDWATCH_EXPORTER.version
    assert isinstance(values["config"], str)  # the chart renders it into its own ConfigMap
    # Keys the pinned chart does not have (it always renders its Service) are not sent.
    assert "configMapName" not in values and "service" not in values
    assert values["serviceMonitor"]["enabled"] is True
    role = next(r for r in resources if r.type == "aws:iam/role:Role" and "cloudwatch-exporter" in r.name)
    assert values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"] == role.outputs["arn"]
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
    assert any(v == "system:serviceaccount:monitoring:cloudwatch-exporter" for v in trust.values())
    policy = next(r for r in resources if r.type == "aws:iam/rolePolicy:RolePolicy" and "cloudwatch-exporter" in r.name)
    actions = json.loads(policy.inputs["policy"])["Statement"][0]["Action"]
    assert all(a.startswith(("tag:Get", "cloudwatch:Get", "cloudwatch:List")) for a in actions)


def test_queue_workers_are_scraped_through_a_pod_monitor():
    from tierstack.services.manifests import Workload

    resources = record(lambda: _observability())
    (monitor,) = [r for r in resources if r.type == "kubernetes:monitoring.coreos.com/v1:PodMonitor"]
    selector = monitor.inputs["spec"]["selector"]["matchLabels"]
    worker_labels = Workload(name="worker", namespace="agents", role="worker", image="x:1", port=8080,
                             health_path="/", cpu="1", memory="1Gi").labels
    assert selector.items() <= worker_labels.items()
    assert monitor.inputs["spec"]["podMetricsEndpoints"][0]["port"] == "http"


def test_pods_on_zonal_volumes_are_confined_to_zonal_node_groups_where_the_cluster_has_them():
    from tierstack import charts

    required = {"nodeSelectorTerms": [{"matchExpressions": [
        {"key": "tierstack.io/zonal", "operator": "In", "values": ["true"]}]}]}

    def placements(resources):
        stack = next(r for r in children_of(resources, RELEASE) if r.inputs["chart"] == charts.KUBE_PROMETHEUS_STACK.chart)
        jaeger = next(r for r in children_of(resources, RELEASE) if r.inputs["chart"] == charts.JAEGER.chart)
        values = stack.inputs["values"]
        return [values["prometheus"]["prometheusSpec"].get("affinity", {}),
                values["alertmanager"]["alertmanagerSpec"].get("affinity", {}),
                jaeger.inputs["values"]["jaeger"].get("affinity", {})]

    def build(zonal):
        provider = k8s.Provider("k8s", kubeconfig="{}")
        return Observability("obs", ObservabilityArgs(
            settings=ObservabilitySettings(),
            cluster=ClusterContext(name="tierstack-dev-use1", region="us-east-1", oidc=OIDC, provider=provider),
            node_pools=["system", "workers"], zonal_capacity=zonal))

    for affinity in placements(record(lambda: build(True))):
        assert affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] == required
        assert affinity["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"]  # still prefers system
    for affinity in placements(record(lambda: build(False))):
        assert "requiredDuringSchedulingIgnoredDuringExecution" not in affinity.get("nodeAffinity", {})


def test_nothing_scrapes_or_alerts_on_control_plane_parts_eks_hides():
    from tierstack import charts

    resources = record(lambda: _observability())
    values = next(r for r in children_of(resources, RELEASE)
                  if r.inputs["chart"] == charts.KUBE_PROMETHEUS_STACK.chart).inputs["values"]
    # Otherwise KubeSchedulerDown and KubeControllerManagerDown page as critical forever on EKS.
    for component in ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"):
        assert values[component] == {"enabled": False}
    rules = values["defaultRules"]["rules"]
    assert {k for k, v in rules.items() if v is False} == {
        "kubeControllerManager", "kubeSchedulerAlerting", "kubeSchedulerRecording", "etcd", "kubeProxy"}
