"""AgentPlatform: one cell per region on that region's provider, and the global edge in front."""

import json
import pytest

from tierstack.catalog.aws import SEED_REGIONS, region_code
from tierstack.edge import naming

from conftest import cached_plan, project
from tierstack.cost.budgets import with_derived_budgets
from tierstack.tooling.cost import stack_config


def _aws_providers(plan):
    return {f"{p.urn}::{p.id}": p for p in plan.providers if p.type == "pulumi:providers:aws"}


@pytest.mark.parametrize("stack, tier, regions", [
    ("prod", None, ["us-east-1", "eu-west-1"]),
    ("dev", "hyperscale", list(SEED_REGIONS)),
])
def test_every_cell_resource_is_bound_to_its_regions_provider(stack, tier, regions):
    plan = cached_plan(stack, tier)
    assert plan.regions == regions
    providers = _aws_providers(plan)
    for region in regions:
        cell = f"tierstack-{plan.run.outputs['cells'][region]['clusterName'].split('-')[1]}-{region_code(region)}"
        in_cell = [r for r in plan.custom_resources if r.type.startswith("aws:") and r.name.startswith(cell + "-")
                   and "-db-dr-" not in r.name]
        assert len(in_cell) > 50
        assert {providers[r.provider].inputs["region"] for r in in_cell} == {region}, region


def test_edge_resources_live_in_us_east_1():
    plan = cached_plan("prod")
    providers = _aws_providers(plan)
    for type_ in ("aws:cloudfront/distribution:Distribution", "aws:wafv2/webAcl:WebAcl"):
        (resource,) = plan.run.of_type(type_)
        assert providers[resource.provider].inputs["region"] == "us-east-1"


def test_distribution_origins_and_failover_match_the_cells():
    plan = cached_plan("prod")
    (distribution,) = plan.run.of_type("aws:cloudfront/distribution:Distribution")
    api = "api.agents.example.com"
    origins = {o["originId"]: o["domainName"] for o in distribution.inputs["origins"]}
    for region in plan.regions:
        assert origins[naming.origin_id(region)] == naming.regional_origin_host(api, region)
    (group,) = distribution.inputs["originGroups"]
    members = [m["originId"] for m in group["members"]]
    assert members == [naming.origin_id("us-east-1"), naming.origin_id("eu-west-1")]  # home first
    assert distribution.inputs["aliases"] == [api]


ALB = "alb.ingress.kubernetes.io/"


def test_each_load_balancer_serves_its_regions_issued_origin_certificate():
    plan = cached_plan("prod")
    ingresses = [r for r in plan.kubernetes_objects() if r.inputs["kind"] == "Ingress"]
    assert len(ingresses) == 2
    api = "api.agents.example.com"
    certificates = plan.run.of_type("aws:acm/certificate:Certificate")
    validations = {v.outputs["certificateArn"]: v for v in plan.run.of_type(
        "aws:acm/certificateValidation:CertificateValidation")}
    for ingress in ingresses:
        region = next(r for r in plan.regions if f"-{region_code(r)}-" in ingress.name)
        arn = ingress.inputs["metadata"]["annotations"][f"{ALB}certificate-arn"]
        (certificate,) = [c for c in certificates if c.outputs["arn"] == arn]
        assert arn.startswith(f"arn:aws:acm:{region}:")
        assert [certificate.inputs["domainName"], *certificate.inputs["subjectAlternativeNames"]] == \
            [naming.origin_host(api), naming.regional_origin_host(api, region)]
        # Named by the validation's output: the Ingress waits until ACM has issued it.
        assert validations[arn].urn in ingress.dependencies
        assert "host" not in ingress.inputs["spec"]["rules"][0] and "tls" not in ingress.inputs["spec"]
    # CloudFront's own certificate covers the public name only, so no host has two certificates.
    edge = [c for c in certificates if c.inputs["domainName"] == api]
    assert len(edge) == 1 and not edge[0].inputs.get("subjectAlternativeNames")


def test_the_origin_answers_only_cloudfront_with_its_secret_header():
    plan = cached_plan("prod")
    distribution = plan.run.of_type("aws:cloudfront/distribution:Distribution")[0]
    headers = {h["name"]: h["value"] for o in distribution.inputs["origins"] for h in o["customHeaders"]}
    (secret,) = plan.run.of_type("random:index/randomPassword:RandomPassword")
    assert headers == {"X-Origin-Verify": secret.outputs["result"]}
    groups = {g.outputs["id"] if "id" in g.outputs else g.id: g for g in plan.run.of_type("aws:ec2/securityGroup:SecurityGroup")}
    by_id = {g.id: g for g in plan.run.of_type("aws:ec2/securityGroup:SecurityGroup")}
    for ingress in (r for r in plan.kubernetes_objects() if r.inputs["kind"] == "Ingress"):
        annotations = ingress.inputs["metadata"]["annotations"]
        attached = [by_id[i] for i in annotations[f"{ALB}security-groups"].split(",")]
        sources = [rule["prefixListIds"] for g in attached for rule in g.inputs["ingress"]]
        assert len(attached) == 2 and all(len(s) == 1 for s in sources)
        assert all("cidrBlocks" not in rule for g in attached for rule in g.inputs["ingress"])
        assert annotations[f"{ALB}manage-backend-security-group-rules"] == "true"
        routed = {p["backend"]["service"]["name"] for p in ingress.inputs["spec"]["rules"][0]["http"]["paths"]}
        for service in routed - {"health-check"}:
            (condition,) = json.loads(annotations[f"{ALB}conditions.{service}"])
            assert condition["httpHeaderConfig"] == {"httpHeaderName": "X-Origin-Verify",
                                                     "values": [secret.outputs["result"]]}
        # Route 53's health checkers cannot send the header: only the health path skips it.
        health = ingress.inputs["spec"]["rules"][0]["http"]["paths"][0]
        assert health["path"] == "/healthz" and health["pathType"] == "Exact"
        action = json.loads(annotations[f"{ALB}actions.health-check"])
        assert action["forwardConfig"]["targetGroups"][0]["serviceName"] in routed


def test_regional_dns_points_at_each_cells_load_balancer():
    plan = cached_plan("prod")
    hostnames = {r.name: r.outputs["status"]["loadBalancer"]["ingress"][0]["hostname"]
                 for r in plan.kubernetes_objects() if r.inputs["kind"] == "Ingress"}
    records = plan.run.of_type("aws:route53/record:Record")
    alias_targets = {a["name"] for r in records for a in r.inputs.get("aliases", [])}
    assert set(hostnames.values()) <= alias_targets
    routed = [r for r in records if r.inputs.get("latencyRoutingPolicies")]
    assert sorted(r.inputs["latencyRoutingPolicies"][0]["region"] for r in routed) == sorted(plan.regions)
    assert all(r.inputs["healthCheckId"] and r.inputs["setIdentifier"] for r in routed)


def test_resources_grow_from_one_region_to_five():
    counts = {tier: (len(cached_plan("dev", tier).regions), len(cached_plan("dev", tier).custom_resources))
              for tier in ("pilot", "scale", "hyperscale")}
    assert counts["pilot"][0] == 1 and counts["hyperscale"][0] == 5
    assert counts["pilot"][1] < counts["scale"][1] < counts["hyperscale"][1]


def _alarm_subjects(plan):
    """(namespace, dimension value) for every alarm, including metric-math ones."""
    subjects = {}
    for alarm in plan.run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm"):
        dimensions = dict(alarm.inputs.get("dimensions") or {})
        for query in alarm.inputs.get("metricQueries") or []:
            dimensions.update(query.get("metric", {}).get("dimensions") or {})
        subjects[alarm.name] = (alarm, dimensions)
    return subjects


def test_every_managed_resource_has_alarms_that_notify():
    plan = cached_plan("prod")
    subjects = _alarm_subjects(plan)
    topics = {t.outputs["arn"] for t in plan.run.of_type("aws:sns/topic:Topic")}
    for alarm, _ in subjects.values():
        assert alarm.inputs["alarmActions"] and set(alarm.inputs["alarmActions"]) <= topics, alarm.name
    watched = [dims for _, dims in subjects.values()]

    def alarmed(key, value):
        return sum(1 for dims in watched if dims.get(key) == value)

    for cluster in plan.run.of_type("aws:rds/cluster:Cluster"):
        assert alarmed("DBClusterIdentifier", cluster.outputs["clusterIdentifier"]) == 3  # CPU, connections, lag
    for queue in plan.run.of_type("aws:sqs/queue:Queue"):
        assert alarmed("QueueName", queue.outputs["name"]) == 1  # DLQ depth, or the main queue's oldest message
    for group in plan.run.of_type("aws:elasticache/replicationGroup:ReplicationGroup"):
        assert sum(1 for dims in watched if str(dims.get("CacheClusterId", "")).startswith(group.id)) == 6
    (distribution,) = plan.run.of_type("aws:cloudfront/distribution:Distribution")
    assert alarmed("DistributionId", distribution.id) == 1
    assert sum(1 for dims in watched if "LoadBalancer" in dims) == 2 * len(plan.regions)


def _derived_cost(stack):
    """The stack's cost settings with the budgets it leaves unset derived from its estimate."""
    return with_derived_budgets(stack_config(project(), stack))[0].observability.cost


def test_budgets_carry_the_estimates_limits_and_notify_the_alert_topic():
    plan = cached_plan("prod")
    budgets = {b.inputs["timeUnit"]: b for b in plan.run.of_type("aws:budgets/budget:Budget")}
    cost = _derived_cost("prod")  # prod sets no budget: both follow its estimate plus headroom
    # The daily budget is a day of the tagged infrastructure, notified at 80% and 100% of it.
    assert float(budgets["DAILY"].inputs["limitAmount"]) == cost.daily_budget_usd
    assert [(n["threshold"], n["thresholdType"]) for n in budgets["DAILY"].inputs["notifications"]] == [
        (80, "PERCENTAGE"), (100, "PERCENTAGE")]
    assert float(budgets["MONTHLY"].inputs["limitAmount"]) == cost.monthly_budget_usd
    topics = {t.outputs["arn"] for t in plan.run.of_type("aws:sns/topic:Topic")}
    for budget in budgets.values():
        for notification in budget.inputs["notifications"]:
            assert set(notification["subscriberSnsTopicArns"]) <= topics
    dev = {b.inputs["timeUnit"]: b for b in cached_plan("dev").run.of_type("aws:budgets/budget:Budget")}
    assert float(dev["DAILY"].inputs["limitAmount"]) == _derived_cost("dev").daily_budget_usd


def test_each_cell_runs_its_monitoring_stack_and_splits_the_cost_alerts():
    plan = cached_plan("prod")
    daily = _derived_cost("prod").daily_usd
    rules = [r for r in plan.kubernetes_objects() if r.inputs["kind"] == "PrometheusRule"]
    assert len(rules) == len(plan.regions)
    charts = [r.inputs["chart"] for r in plan.run.of_type("kubernetes:helm.sh/v3:Release")]
    assert charts.count("kube-prometheus-stack") == len(plan.regions)
    assert charts.count("opentelemetry-collector") == len(plan.regions)
    for rule in rules:
        cost = {r["labels"]["severity"]: r["expr"] for g in rule.inputs["spec"]["groups"] for r in g["rules"]
                if r.get("alert") == "AgentDailyCostHigh"}
        # The stack's daily levels (derived from its estimate), shared by the two regions.
        assert cost["warning"].endswith(f"> {daily.warning / 2:g}") and cost["critical"].endswith(
            f"> {daily.critical / 2:g}"), cost


def test_every_dr_secondary_is_watched_in_its_own_region_for_how_far_it_trails():
    plan = cached_plan("dev", "enterprise")
    secondaries = [r for r in plan.custom_resources if r.type == "aws:rds/cluster:Cluster" and "-db-dr-" in r.name]
    assert secondaries
    alarms = {r.inputs["dimensions"]["DBClusterIdentifier"]: r for r in plan.custom_resources
              if r.type == "aws:cloudwatch/metricAlarm:MetricAlarm"
              and r.inputs.get("metricName") == "AuroraGlobalDBReplicationLag"}
    topics = {r.provider: r.outputs["arn"] for r in plan.custom_resources
              if r.type == "aws:sns/topic:Topic" and "-obs-alerts" in r.name}
    for cluster in secondaries:
        alarm = alarms[cluster.inputs["clusterIdentifier"]]
        assert alarm.provider == cluster.provider  # the secondary's region
        assert alarm.inputs["alarmActions"] == [topics[cluster.provider]]
    # Primaries have no secondary to trail.
    assert len(alarms) == len(secondaries)
