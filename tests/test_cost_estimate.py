"""The cost estimate's arithmetic: usage profile, AI levers, and pricing recorded resources.

Exact figures use a small price book with round prices, so every expectation can be checked by
hand; the property tests price synthetic plans against the bundled snapshot.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any, Optional

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tierstack.config.errors import StackConfigError
from tierstack.config.loader import build_stack_config
from tierstack.config.tiers import CONCURRENT_USERS, Tier
from tierstack.cost.ai import AI_TIER_DEFAULTS, ai_profile, estimate_ai
from tierstack.cost.charges import MissingPrice, lcu_hours
from tierstack.cost.estimate import UNMODELLED_CHARGES, estimate_plan
from tierstack.cost.prices import GLOBAL_REGION, Price, PriceBook, load_price_book
from tierstack.config.usage import AiUsageSettings, UsageSettings
from tierstack.cost.usage import DAYS_PER_MONTH, HOURS_PER_MONTH, usage_profile
from tierstack.tooling.engine import PlannedResource

H = HOURS_PER_MONTH


def _book(regional: dict[str, float], shared: Optional[dict[str, float]] = None,
          other_region: Optional[dict[str, float]] = None) -> PriceBook:
    """A price book of round figures: ``regional`` in us-east-1 (and eu-west-1 at double), ``shared`` global."""
    def prices(entries: dict[str, float]) -> dict[str, Price]:
        return {key: Price(usd, "unit", "test figure") for key, usd in entries.items()}

    return PriceBook("2026-01-01", {
        "us-east-1": prices(regional),
        "eu-west-1": prices(other_region if other_region is not None else {k: v * 2 for k, v in regional.items()}),
        GLOBAL_REGION: prices(shared or {}),
    })


ROUND = _book({
    "ec2.m6i.large.hour": 0.1, "ec2.m6i.xlarge.hour": 0.2, "ebs.gp3.gb-month": 0.1, "ebs.gp2.gb-month": 0.2,
    "nat.hour": 0.05, "nat.gb": 0.05, "alb.hour": 0.02, "alb.lcu-hour": 0.01, "ec2.public-ipv4.hour": 0.005,
    "aurora.db.r7g.large.hour": 0.3, "aurora.storage.gb-month": 0.1, "aurora.io.1m-requests": 0.2,
    "aurora.backup.gb-month": 0.02, "aurora.global.replicated-write-io.1m": 0.2,
    "elasticache.valkey.cache.r7g.large.hour": 0.2, "elasticache.redis.cache.r7g.large.hour": 0.25,
    "cloudwatch.logs.ingest.gb": 0.5, "cloudwatch.logs.storage.gb-month": 0.03, "vpce.interface.hour": 0.01,
    "s3.storage.gb-month": 0.02, "s3.put.1k": 0.005,
    "bedrock.anthropic.claude-sonnet-4-5.input.1k-tokens": 0.003,
    "bedrock.anthropic.claude-sonnet-4-5.output.1k-tokens": 0.015,
    "bedrock.anthropic.claude-haiku-4-5.input.1k-tokens": 0.001,
    "bedrock.anthropic.claude-haiku-4-5.output.1k-tokens": 0.005,
}, {
    "eks.cluster.hour": 0.1, "sqs.request.1m": 0.4, "kms.key.month": 1, "secretsmanager.secret.month": 0.4,
    "cloudwatch.alarm.month": 0.1, "cloudwatch.dashboard.month": 3, "budgets.budget.month": 0.6,
    "cloudfront.egress.gb": 0.085, "cloudfront.https.10k-requests": 0.01, "waf.acl.month": 5, "waf.rule.month": 1,
    "waf.request.1m": 0.6, "route53.zone.month": 0.5, "route53.healthcheck.month": 0.5,
    "route53.healthcheck-https.month": 1.5, "route53.healthcheck-option.month": 1,
})


class FakePlan:
    """Recorded resources as the offline plan records them: providers, components and custom resources."""

    def __init__(self) -> None:
        self.resources: list[PlannedResource] = []
        self.providers: dict[str, str] = {}

    def provider(self, region: str) -> str:
        if region not in self.providers:
            urn = f"urn:pulumi:test::proj::pulumi:providers:aws::aws-{region}"
            self.resources.append(PlannedResource(urn, "pulumi:providers:aws", f"aws-{region}", "", True,
                                                  f"id-{region}", {"region": region}))
            self.providers[region] = f"{urn}::id-{region}"
        return self.providers[region]

    def component(self, type_: str, name: str, parent: str = "") -> str:
        urn = f"urn:pulumi:test::proj::{type_}::{name}"
        self.resources.append(PlannedResource(urn, type_, name, parent, False, "", {}))
        return urn

    def add(self, type_: str, name: str, inputs: dict[str, Any], *, region: str = "us-east-1", parent: str = "",
            outputs: Optional[dict[str, Any]] = None, id_: str = "", provider: Optional[str] = None) -> PlannedResource:
        resource = PlannedResource(f"urn:pulumi:test::proj::{type_}::{name}", type_, name, parent, True,
                                   id_ or f"id-{name}", inputs, outputs or {},
                                   provider=self.provider(region) if provider is None else provider)
        self.resources.append(resource)
        return resource


def _usage(**given: Any):
    return usage_profile(Tier.GROWTH, UsageSettings(**given), regions=1)


def _ai(usage, book: PriceBook = ROUND, semantic: bool = False, regions=("us-east-1",)):
    return estimate_ai(ai_profile(Tier.GROWTH, semantic_cache_enabled=semantic), usage.requests_per_month, book,
                       list(regions))


def _price(plan: FakePlan, usage=None, book: PriceBook = ROUND, regions=("us-east-1",)):
    usage = usage or _usage()
    return estimate_plan(plan.resources, usage=usage, ai=_ai(usage, book), book=book, regions=list(regions))


def _only(estimate, type_: str):
    found = [r for r in estimate.resources if r.type == type_]
    assert len(found) == 1, [r.name for r in found]
    return found[0]


# -- usage profile ---------------------------------------------------------------------------

def test_usage_profile_derives_traffic_from_the_tiers_concurrent_users():
    usage = usage_profile(Tier.SCALE, UsageSettings(), regions=2)
    assert usage.concurrent_users == CONCURRENT_USERS[Tier.SCALE] == 10_000
    assert usage.daily_users == 100_000
    assert usage.requests_per_month == pytest.approx(100_000 * 20 * 730 / 24)
    assert usage.requests_per_region_month == pytest.approx(usage.requests_per_month / 2)
    assert usage.peak_requests_per_second == pytest.approx(3 * usage.requests_per_month / (730 * 3600))
    # Every response leaves CloudFront; only the misses reach a region's load balancers, both ways.
    assert usage.cdn_egress_gb_per_month == pytest.approx(usage.requests_per_month * 8_000 / 1e9)
    assert usage.origin_gb_per_region_month == pytest.approx(usage.requests_per_region_month * 0.95 * 10_000 / 1e9)


def test_usage_overrides_replace_the_tier_defaults_and_are_labelled():
    usage = usage_profile(Tier.PILOT, UsageSettings(concurrent_users=250, requests_per_user_per_day=40), regions=1)
    assert usage.requests_per_month == pytest.approx(250 * 10 * 40 * DAYS_PER_MONTH)
    sources = {a.key: a.source for a in usage.assumptions()}
    assert sources["concurrentUsers"] == sources["requestsPerUserPerDay"] == "tierstack:usage"
    assert sources["responseKB"] == "default"


def test_every_usage_setting_is_printed_as_an_assumption():
    printed = {a.key for a in usage_profile(Tier.PILOT).assumptions()}
    settable = {f.alias or n for n, f in UsageSettings.model_fields.items()} - {"ai"}
    assert settable <= printed
    assert {"hoursPerMonth", "logStorageCompression", "requestsPerMonth", "peakRequestsPerSecond"} <= printed
    ai_printed = {a.key for a in ai_profile(Tier.PILOT, semantic_cache_enabled=False).assumptions()}
    assert {f"ai.{f.alias or n}" for n, f in AiUsageSettings.model_fields.items()} == ai_printed


def test_backups_cost_only_beyond_the_free_copy_of_the_volume():
    usage = _usage(database_daily_change_percent=5)
    assert usage.backup_gb(100, 7) == 0  # 35 GB of changes fit in the free 100 GB
    assert usage.backup_gb(100, 35) == pytest.approx(75)


def test_usage_settings_in_the_stack_file_are_validated_with_the_key_and_the_fix():
    with pytest.raises(StackConfigError) as raised:
        build_stack_config({"tier": "pilot", "usage": {"requestsPerUserPerDy": 40, "cdnHitRatio": 1.5,
                                                       "ai": {"primaryModel": "anthropic.claude-sonet-4-5"}}},
                           stack="dev")
    text = str(raised.value)
    assert "tierstack:usage.requestsPerUserPerDy" in text and "did you mean 'requestsPerUserPerDay'" in text
    assert "tierstack:usage.cdnHitRatio = 1.5" in text
    assert "tierstack:usage.ai.primaryModel" in text and "did you mean 'anthropic.claude-sonnet-4-5'" in text
    with pytest.raises(StackConfigError, match="tierstack:usage.ai.economyModel"):
        build_stack_config({"tier": "pilot", "usage": {"ai": {"primaryModel": "amazon.nova-pro",
                                                              "economyModel": "amazon.nova-pro"}}}, stack="dev")
    config = build_stack_config({"tier": "pilot", "usage": {"requestsPerUserPerDay": 40, "ai": {"routingShare": 0.6}}},
                                stack="dev")
    assert config.usage.requests_per_user_per_day == 40 and config.usage.ai.routing_share == 0.6


# -- AI --------------------------------------------------------------------------------------

def test_ai_levers_price_each_scenario():
    usage = _usage()  # growth: exact 10%, semantic 15% of misses, routing 30%
    ai = _ai(usage)
    primary = 1.5 * 0.003 + 0.3 * 0.015  # 1,500 input and 300 output tokens
    economy = 1.5 * 0.001 + 0.3 * 0.005
    scenarios = {s.name: s for s in ai.scenarios}
    assert scenarios["no caching, no routing"].per_request == pytest.approx(primary)
    assert scenarios["caching only"].per_request == pytest.approx(0.9 * primary)  # semantic cache off
    assert scenarios["routing only"].per_request == pytest.approx(0.7 * primary + 0.3 * economy)
    assert ai.planned.per_request == pytest.approx(0.9 * (0.7 * primary + 0.3 * economy))
    assert ai.monthly == pytest.approx(ai.planned.per_request * usage.requests_per_month)
    on = _ai(usage, semantic=True)
    assert on.planned.per_request == pytest.approx((1 - (0.1 + 0.9 * 0.15)) * (0.7 * primary + 0.3 * economy))
    assert ai.semantic_cache_would_save == pytest.approx(ai.monthly - on.monthly)
    assert on.semantic_cache_would_save == 0


def test_ai_defaults_follow_the_tier_and_overrides_win():
    assert AI_TIER_DEFAULTS[Tier.HYPERSCALE].routing_share > AI_TIER_DEFAULTS[Tier.PILOT].routing_share
    profile = ai_profile(Tier.SCALE, AiUsageSettings(routing_share=0.6, input_tokens_per_request=800),
                         semantic_cache_enabled=True)
    assert (profile.routing_share, profile.input_tokens_per_request) == (0.6, 800)
    assert profile.exact_hit_ratio == AI_TIER_DEFAULTS[Tier.SCALE].exact_hit_ratio
    assert profile.sources["routingShare"] == "tierstack:usage"
    assert profile.sources["exactHitRatio"] == "tier default (scale)"


def test_a_model_missing_in_a_region_is_priced_in_the_home_region():
    book = _book({"bedrock.anthropic.claude-sonnet-4-5.input.1k-tokens": 0.003,
                  "bedrock.anthropic.claude-sonnet-4-5.output.1k-tokens": 0.015,
                  "bedrock.anthropic.claude-haiku-4-5.input.1k-tokens": 0.001,
                  "bedrock.anthropic.claude-haiku-4-5.output.1k-tokens": 0.005}, other_region={})
    ai = _ai(_usage(), book, regions=("us-east-1", "eu-west-1"))
    assert [p.region for p in ai.primary] == ["us-east-1", "us-east-1"]


# -- pricing recorded resources --------------------------------------------------------------

def _node_group(plan: FakePlan, name: str, *, instance: str, low: int, high: int, disk: Optional[int] = 50,
                region: str = "us-east-1", parent: str = "") -> None:
    inputs: dict[str, Any] = {"instanceTypes": [instance], "scalingConfig": {"minSize": low, "maxSize": high}}
    if disk is not None:
        template = plan.add("aws:ec2/launchTemplate:LaunchTemplate", f"{name}-lt", {
            "blockDeviceMappings": [{"ebs": {"volumeSize": disk, "volumeType": "gp3"}}]}, region=region, parent=parent)
        inputs["launchTemplate"] = {"id": template.id, "version": "1"}
    plan.add("aws:eks/nodeGroup:NodeGroup", name, inputs, region=region, parent=parent)


def test_node_groups_are_priced_at_their_minimum_and_their_maximum():
    plan = FakePlan()
    _node_group(plan, "workers", instance="m6i.xlarge", low=2, high=5)
    group = _only(_price(plan), "aws:eks/nodeGroup:NodeGroup")
    assert group.monthly == pytest.approx(2 * H * 0.2 + 2 * 50 * 0.1)
    assert group.monthly_high == pytest.approx(5 * H * 0.2 + 5 * 50 * 0.1)
    # Without a launch template EKS gives each node 20 GiB, priced as gp2.
    bare = FakePlan()
    _node_group(bare, "bare", instance="m6i.large", low=1, high=1, disk=None)
    assert _only(_price(bare), "aws:eks/nodeGroup:NodeGroup").monthly == pytest.approx(H * 0.1 + 20 * 0.2)


def test_a_resource_is_priced_in_its_region_input_else_its_providers():
    plan = FakePlan()
    plan.add("aws:eks/cluster:Cluster", "home", {"name": "home"})
    plan.add("aws:ec2/natGateway:NatGateway", "pinned", {"region": "eu-west-1"})
    plan.add("aws:ec2/natGateway:NatGateway", "provided", {}, region="eu-west-1")
    estimate = _price(plan, _usage(nat_kb_per_request=0), regions=("us-east-1", "eu-west-1"))
    regions = {r.name: r.region for r in estimate.resources}
    assert regions == {"home": "us-east-1", "pinned": "eu-west-1", "provided": "eu-west-1"}
    assert {r.name: r.monthly for r in estimate.resources}["pinned"] == pytest.approx(H * 0.05 * 2)


def test_one_load_balancer_per_ingress_group_and_per_ungrouped_alb_ingress():
    plan = FakePlan()
    k8s = "urn:pulumi:test::proj::pulumi:providers:kubernetes::cluster::id-k8s"

    def ingress(name: str, group: Optional[str], ingress_class: str = "alb") -> None:
        annotations = {"alb.ingress.kubernetes.io/scheme": "internet-facing"}
        if group:
            annotations["alb.ingress.kubernetes.io/group.name"] = group
        plan.add("kubernetes:networking.k8s.io/v1:Ingress", name, {
            "metadata": {"name": name, "annotations": annotations}, "spec": {"ingressClassName": ingress_class}},
            provider=k8s)

    ingress("api", "public")
    ingress("admin", "public")
    ingress("docs", None)
    ingress("nginx-only", None, ingress_class="nginx")
    estimate = _price(plan, _usage(concurrent_users=1))
    balancers = [r for r in estimate.resources if r.type.endswith(":Ingress")]
    assert sorted(r.name for r in balancers) == ["api", "docs"]
    for balancer in balancers:
        hours = next(line for line in balancer.lines if line.key == "alb.hour")
        ips = next(line for line in balancer.lines if line.key == "ec2.public-ipv4.hour")
        assert hours.quantity == H and ips.quantity == 2 * H  # no public subnets in the plan: ALB's minimum of 2 AZs


def test_lcu_hours_take_the_larger_of_bytes_and_new_connections():
    assert lcu_hours(processed_gb=730, origin_requests=0) == pytest.approx(730)  # 1 GB an hour is one LCU
    # 25 new connections a second for the whole month, at one connection per ten requests, is one LCU.
    assert lcu_hours(processed_gb=0, origin_requests=25 * 10 * 730 * 3600) == pytest.approx(730)


def test_cache_nodes_are_shards_times_replicas_plus_one_of_the_engines_node_type():
    plan = FakePlan()
    plan.add("aws:elasticache/replicationGroup:ReplicationGroup", "cache", {
        "engine": "valkey", "nodeType": "cache.r7g.large", "clusterMode": "enabled", "numNodeGroups": 3,
        "replicasPerNodeGroup": 2})
    plan.add("aws:elasticache/replicationGroup:ReplicationGroup", "legacy", {
        "engine": "redis", "nodeType": "cache.r7g.large", "numCacheClusters": 2})
    costs = {r.name: r.monthly for r in _price(plan).resources}
    assert costs == {"cache": pytest.approx(9 * H * 0.2), "legacy": pytest.approx(2 * H * 0.25)}


def _shard(plan: FakePlan, name: str, *, readers: int, max_readers: int, region: str = "us-east-1",
           secondary: bool = False, instance_class: str = "db.r7g.large") -> None:
    inputs: dict[str, Any] = {"clusterIdentifier": name, "backupRetentionPeriod": 7}
    inputs.update({"globalClusterIdentifier": "global"} if secondary else {"masterUsername": "admin"})
    cluster = plan.add("aws:rds/cluster:Cluster", f"{name}-cluster", inputs, region=region)
    for index in range(readers + (0 if secondary else 1)):
        plan.add("aws:rds/clusterInstance:ClusterInstance", f"{name}-{index}",
                 {"clusterIdentifier": cluster.id, "instanceClass": instance_class}, region=region)
    plan.add("aws:appautoscaling/target:Target", f"{name}-readers", {
        "scalableDimension": "rds:cluster:ReadReplicaCount", "resourceId": f"cluster:{name}",
        "minCapacity": readers, "maxCapacity": max_readers}, region=region)


def test_aurora_prices_instances_storage_and_the_reader_autoscaling_ceiling():
    plan = FakePlan()
    _shard(plan, "db-00", readers=2, max_readers=5)
    usage = _usage(concurrent_users=100, database_mb_per_user=1000, database_ios_per_request=0)
    estimate = _price(plan, usage)
    instances = [r for r in estimate.resources if r.type.endswith("ClusterInstance")]
    assert len(instances) == 3 and all(r.monthly == pytest.approx(H * 0.3) for r in instances)
    readers = _only(estimate, "aws:appautoscaling/target:Target")
    assert (readers.monthly, readers.monthly_high) == (0, pytest.approx(3 * H * 0.3))
    storage = _only(estimate, "aws:rds/cluster:Cluster")
    assert storage.monthly == pytest.approx(usage.database_gb * 0.1)  # 1,000 users x 1 GB, backups within the free copy


def test_global_secondaries_store_their_primarys_data_and_pay_replicated_writes():
    plan = FakePlan()
    _shard(plan, "db-00", readers=1, max_readers=1)
    _shard(plan, "db-00-dr", readers=2, max_readers=2, region="eu-west-1", secondary=True)
    usage = _usage(concurrent_users=100)
    estimate = _price(plan, usage, regions=("us-east-1", "eu-west-1"))
    secondary = next(r for r in estimate.resources if r.name == "db-00-dr-cluster")
    assert {line.key for line in secondary.lines} == {"aurora.storage.gb-month", "aurora.global.replicated-write-io.1m"}
    assert secondary.lines[0].quantity == pytest.approx(usage.database_gb)  # one primary: the whole data set
    assert sum(1 for r in estimate.resources if r.region == "eu-west-1" and r.type.endswith("ClusterInstance")) == 2


def test_dead_letter_queues_carry_no_traffic_and_work_queues_share_theirs():
    plan = FakePlan()
    dlq = plan.add("aws:sqs/queue:Queue", "dlq", {}, outputs={"arn": "arn:aws:sqs:us-east-1:1:dlq"})
    plan.add("aws:sqs/queue:Queue", "work", {"redrivePolicy": json.dumps({"deadLetterTargetArn": dlq.outputs["arn"]})})
    usage = _usage()
    estimate = _price(plan, usage)
    assert [r.name for r in estimate.resources] == ["work"]
    assert estimate.resources[0].monthly == pytest.approx(usage.requests_per_month * 0.2 * 3 / 1e6 * 0.4)


def test_alarms_bill_every_metric_they_evaluate():
    plan = FakePlan()
    plan.add("aws:cloudwatch/metricAlarm:MetricAlarm", "simple", {"metricName": "CPUUtilization"})
    plan.add("aws:cloudwatch/metricAlarm:MetricAlarm", "worst-node", {"metricQueries": [
        {"id": "m0", "metric": {"metricName": "a"}}, {"id": "m1", "metric": {"metricName": "b"}},
        {"id": "worst", "expression": "MAX([m0, m1])"}]})
    assert {r.name: r.monthly for r in _price(plan).resources} == {"simple": pytest.approx(0.1), "worst-node": pytest.approx(0.2)}


def test_route53_charges_health_check_options_and_no_queries_to_aws_aliases():
    plan = FakePlan()
    plan.add("aws:route53/healthCheck:HealthCheck", "origin", {"type": "HTTPS", "measureLatency": True,
                                                              "requestInterval": 10})
    plan.add("aws:route53/healthCheck:HealthCheck", "basic", {"type": "HTTP"})
    plan.add("aws:route53/record:Record", "api", {"name": "api.example.com", "aliases": [
        {"name": "d123.cloudfront.net", "zoneId": "Z2FDTNDATAQYW2"}]})
    plan.add("aws:route53/record:Record", "validation", {"name": "_abc.api.example.com", "records": ["x"]})
    plan.add("aws:route53/record:Record", "www", {"name": "www.example.com", "records": ["192.0.2.1"]})
    estimate = _price(plan)
    assert {r.name: r.monthly for r in estimate.resources} == {"origin": pytest.approx(1.5 + 2), "basic": pytest.approx(0.5)}
    assert [n.what for n in estimate.not_priced] == ["Route 53 queries to non-alias records"]


def test_log_groups_take_the_volume_of_their_source_and_keep_their_retention():
    plan = FakePlan()
    plan.add("aws:eks/cluster:Cluster", "eks", {"name": "cell", "enabledClusterLogTypes": ["api", "audit"]})
    plan.add("aws:cloudwatch/logGroup:LogGroup", "control-plane", {"name": "/aws/eks/cell/cluster", "retentionInDays": 365})
    flow = plan.add("aws:cloudwatch/logGroup:LogGroup", "flow", {"name": "/vpc/flow", "retentionInDays": 30},
                    outputs={"arn": "arn:aws:logs:us-east-1:1:log-group:/vpc/flow"})
    plan.add("aws:ec2/flowLog:FlowLog", "flow-log", {"logDestination": flow.outputs["arn"]})
    plan.add("aws:cloudwatch/logGroup:LogGroup", "slow", {"name": "/cache/slow-log"})
    usage = _usage()
    groups = {r.name: r for r in _price(plan, usage).resources if r.type.endswith("LogGroup")}
    ingest = groups["control-plane"].lines[0]
    assert ingest.quantity == pytest.approx(1 + 10)  # api 1 GB + audit 10 GB a month by default
    assert groups["control-plane"].lines[1].quantity == pytest.approx(11 * 365 / DAYS_PER_MONTH * 0.15)
    assert groups["flow"].lines[0].quantity == pytest.approx(usage.flow_log_gb_per_region_month)
    assert "slow" not in groups


def test_chart_volume_claims_count_once_per_replica():
    plan = FakePlan()
    k8s = "urn:pulumi:test::proj::pulumi:providers:kubernetes::cluster::id-k8s"
    plan.add("kubernetes:storage.k8s.io/v1:StorageClass", "gp3", {
        "metadata": {"name": "gp3-encrypted", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3"}}, provider=k8s)
    plan.add("kubernetes:helm.sh/v3:Release", "monitoring", {"chart": "kube-prometheus-stack", "values": {
        "prometheus": {"prometheusSpec": {"replicas": 2, "storageSpec": {"volumeClaimTemplate": {"spec": {
            "storageClassName": "gp3-encrypted", "resources": {"requests": {"storage": "100Gi"}}}}}}},
        "alertmanager": {"alertmanagerSpec": {"replicas": 3, "storage": {"volumeClaimTemplate": {"spec": {
            "resources": {"requests": {"storage": "2Gi"}}}}}}}}}, provider=k8s)
    plan.add("kubernetes:core/v1:PersistentVolumeClaim", "traces", {"metadata": {"name": "traces"}, "spec": {
        "storageClassName": "standard", "resources": {"requests": {"storage": "512Mi"}}}}, provider=k8s)
    costs = {r.name: r.monthly for r in _price(plan).resources}
    # Default class gp3 for the template without a class; an unknown class is priced as gp2.
    assert costs == {"monitoring": pytest.approx((2 * 100 + 3 * 2) * 0.1), "traces": pytest.approx(0.5 * 0.2)}


def test_chargeable_types_without_a_price_are_listed_never_dropped():
    plan = FakePlan()
    plan.add("aws:lambda/function:Function", "fn", {})
    plan.add("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", {"vpcEndpointType": "Gateway"})
    plan.add("aws:ec2/vpcEndpoint:VpcEndpoint", "ecr", {"vpcEndpointType": "Interface", "subnetIds": ["a", "b", "c"],
                                                        "serviceName": "com.amazonaws.us-east-1.ecr.api"})
    plan.add("aws:iam/role:Role", "role", {})
    estimate = _price(plan)
    assert [(r.name, r.monthly) for r in estimate.resources] == [("ecr", pytest.approx(3 * H * 0.01))]
    assert [(n.what, n.count) for n in estimate.not_priced] == [("aws:lambda/function:Function", 1)]
    listed = {entry["what"] for entry in estimate.to_json()["notPriced"]}
    assert {what for what, _ in UNMODELLED_CHARGES} <= listed


def test_a_missing_price_names_the_key_and_the_region():
    plan = FakePlan()
    _node_group(plan, "workers", instance="c7i.large", low=1, high=1)
    with pytest.raises(MissingPrice, match=r"ec2\.c7i\.large\.hour.*us-east-1"):
        _price(plan)


def test_json_contract_totals_components_and_regions_add_up():
    plan = FakePlan()
    cluster = plan.component("tierstack:cluster:KubernetesCluster", "cluster")
    _node_group(plan, "workers", instance="m6i.large", low=1, high=3, parent=cluster)
    plan.add("aws:eks/cluster:Cluster", "eks", {"name": "eks"}, parent=cluster)
    plan.add("aws:ec2/natGateway:NatGateway", "nat", {}, region="eu-west-1")
    document = _price(plan, regions=("us-east-1", "eu-west-1")).to_json()
    assert document["priceDate"] == "2026-01-01"
    resources = document["resources"]
    for resource in resources:
        assert {"urn", "type", "name", "region", "monthly", "lines"} <= set(resource)
        for line in resource["lines"]:
            assert {"description", "unit", "quantity", "unitPrice", "monthly"} <= set(line)
            assert line["monthly"] == pytest.approx(line["quantity"] * line["unitPrice"])
        assert resource["monthly"] == pytest.approx(sum(line["monthly"] for line in resource["lines"]))
    assert document["totalMonthly"] == pytest.approx(sum(r["monthly"] for r in resources))
    assert document["totalMonthlyRange"]["low"] == document["totalMonthly"]
    assert document["totalMonthlyRange"]["high"] > document["totalMonthly"]
    assert sum(c["monthly"] for c in document["components"]) == pytest.approx(document["totalMonthly"])
    assert sum(r["monthly"] for r in document["regions"]) == pytest.approx(document["totalMonthly"])
    assert {c["component"] for c in document["components"]} == {"KubernetesCluster", "(stack)"}
    assert {"assumptions", "ai", "notPriced"} <= set(document)


# -- the total grows with every count and size -----------------------------------------------

INSTANCE_SIZES = ("m6i.large", "m6i.xlarge", "m6i.2xlarge", "m6i.4xlarge")
DB_CLASSES = ("db.r7g.large", "db.r7g.xlarge", "db.r7g.2xlarge", "db.r7g.4xlarge")
CACHE_NODES = ("cache.r7g.large", "cache.r7g.xlarge", "cache.r7g.2xlarge")
RETENTION = (7, 30, 90, 365)


@dataclass(frozen=True)
class Shape:
    """A stack's counts and sizes; every field is one the total must grow with."""

    regions: int = 1
    node_min: int = 2
    node_max: int = 4
    node_size: int = 0
    disk_gib: int = 50
    nat_gateways: int = 1
    db_shards: int = 1
    db_readers: int = 1
    db_max_readers: int = 2
    db_class: int = 0
    cache_shards: int = 1
    cache_replicas: int = 1
    cache_node: int = 0
    load_balancers: int = 1
    log_retention: int = 0
    volume_gib: int = 10
    kms_keys: int = 1
    concurrent_users: int = 100
    requests_per_user_per_day: int = 20
    response_kb: int = 8


def _synthetic(shape: Shape) -> list[PlannedResource]:
    plan = FakePlan()
    k8s = "urn:pulumi:test::proj::pulumi:providers:kubernetes::cluster::id-k8s"
    for region in ("us-east-1", "eu-west-1", "us-west-2")[:shape.regions]:
        plan.add("aws:eks/cluster:Cluster", f"eks-{region}", {"name": f"cell-{region}",
                                                             "enabledClusterLogTypes": ["api", "audit"]}, region=region)
        plan.add("aws:cloudwatch/logGroup:LogGroup", f"logs-{region}", {
            "name": f"/aws/eks/cell-{region}/cluster", "retentionInDays": RETENTION[shape.log_retention]}, region=region)
        plan.add("aws:eks/nodeGroup:NodeGroup", f"workers-{region}", {
            "instanceTypes": [INSTANCE_SIZES[shape.node_size]], "diskSize": shape.disk_gib,
            "scalingConfig": {"minSize": shape.node_min, "maxSize": shape.node_max}}, region=region)
        for index in range(shape.nat_gateways):
            plan.add("aws:ec2/natGateway:NatGateway", f"nat-{region}-{index}", {}, region=region)
        for shard in range(shape.db_shards):
            _shard(plan, f"db-{region}-{shard}", readers=shape.db_readers, max_readers=shape.db_max_readers,
                   region=region, instance_class=DB_CLASSES[shape.db_class])
        plan.add("aws:elasticache/replicationGroup:ReplicationGroup", f"cache-{region}", {
            "engine": "valkey", "nodeType": CACHE_NODES[shape.cache_node], "clusterMode": "enabled",
            "numNodeGroups": shape.cache_shards, "replicasPerNodeGroup": shape.cache_replicas}, region=region)
        for index in range(shape.load_balancers):
            plan.add("aws:lb/loadBalancer:LoadBalancer", f"alb-{region}-{index}", {"subnets": ["a", "b"]}, region=region)
        for index in range(shape.kms_keys):
            plan.add("aws:kms/key:Key", f"key-{region}-{index}", {}, region=region)
        plan.add("kubernetes:core/v1:PersistentVolumeClaim", f"data-{region}", {"metadata": {"name": "data"}, "spec": {
            "resources": {"requests": {"storage": f"{shape.volume_gib}Gi"}}}}, provider=k8s)
    plan.add("aws:cloudfront/distribution:Distribution", "cdn", {})
    return plan.resources


def _total(shape: Shape, book: PriceBook) -> tuple[float, float]:
    usage = usage_profile(Tier.SCALE, UsageSettings(concurrent_users=shape.concurrent_users,
                                                    requests_per_user_per_day=shape.requests_per_user_per_day,
                                                    response_kb=shape.response_kb), regions=shape.regions)
    regions = ["us-east-1", "eu-west-1", "us-west-2"][:shape.regions]
    ai = estimate_ai(ai_profile(Tier.SCALE, semantic_cache_enabled=False), usage.requests_per_month, book, regions)
    estimate = estimate_plan(_synthetic(shape), usage=usage, ai=ai, book=book, regions=regions)
    return estimate.total_monthly, estimate.total_monthly_high


def _grown(shape: Shape, field: str) -> Optional[Shape]:
    """``shape`` with one count or size a step larger, or None where that step is not a valid stack."""
    value = getattr(shape, field) + 1
    limits = {"regions": 3, "node_size": len(INSTANCE_SIZES) - 1, "db_class": len(DB_CLASSES) - 1,
              "cache_node": len(CACHE_NODES) - 1, "log_retention": len(RETENTION) - 1}
    if value > limits.get(field, 10**9):
        return None
    grown = dataclasses.replace(shape, **{field: value})
    if field == "node_min":
        grown = dataclasses.replace(grown, node_max=max(grown.node_max, value))
    if field == "db_readers":
        grown = dataclasses.replace(grown, db_max_readers=max(grown.db_max_readers, value))
    return grown


SHAPES = st.builds(
    Shape, regions=st.integers(1, 3), node_min=st.integers(1, 4), node_max=st.integers(4, 8),
    node_size=st.integers(0, 3), disk_gib=st.integers(20, 200), nat_gateways=st.integers(1, 3),
    db_shards=st.integers(1, 3), db_readers=st.integers(0, 3), db_max_readers=st.integers(3, 6),
    db_class=st.integers(0, 3), cache_shards=st.integers(1, 3), cache_replicas=st.integers(0, 2),
    cache_node=st.integers(0, 2), load_balancers=st.integers(0, 2), log_retention=st.integers(0, 3),
    volume_gib=st.integers(1, 500), kms_keys=st.integers(0, 3), concurrent_users=st.integers(1, 100_000),
    requests_per_user_per_day=st.integers(1, 100), response_kb=st.integers(1, 64),
)


@pytest.fixture(scope="module")
def snapshot() -> PriceBook:
    return load_price_book()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape=SHAPES, field=st.sampled_from([f.name for f in dataclasses.fields(Shape)]))
def test_the_total_grows_with_every_count_and_size(snapshot: PriceBook, shape: Shape, field: str):
    grown = _grown(shape, field)
    if grown is None:
        return
    low, high = _total(shape, snapshot)
    new_low, new_high = _total(grown, snapshot)
    # Neither end of the range shrinks, and the range moves: a larger maximum raises only the
    # high end, a provisioned reader below the autoscaling ceiling only the low end.
    assert new_low >= low - 1e-9 and new_high >= high - 1e-9, (field, low, new_low, high, new_high)
    assert new_low + new_high > low + high, field


def test_every_shape_field_is_exercised_by_the_property():
    shape = Shape()
    for field in dataclasses.fields(Shape):
        grown = _grown(shape, field.name)
        assert grown is not None and sum(_total(grown, load_price_book())) > sum(_total(shape, load_price_book())), field.name
