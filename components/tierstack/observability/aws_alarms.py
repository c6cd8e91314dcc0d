"""CloudWatch alarms on the managed services, a CloudWatch dashboard, and AWS Budgets for spend.

``ManagedServiceAlarms`` watches what Prometheus cannot scrape: Aurora (CPU, connections,
replica lag per cluster), ElastiCache (engine CPU, memory, evictions per replication group,
per shard in cluster mode), SQS (dead letters, oldest message), the controller-made ALB (target
5xx, p95 response time) and CloudFront (5xx rate, in us-east-1 where its metrics live). Every
alarm notifies the alert topic when it fires and when it recovers.

``CostBudgets`` sets a daily and a monthly COST budget notifying the same topic. AWS Budgets
allows several notifications per budget, each with an absolute or percentage threshold, so the
seed's two daily levels are one budget: its limit is the critical amount and it notifies at the
warning amount and at the critical amount (ABSOLUTE_VALUE), both on actual spend (AWS does not
forecast daily budgets). Budgets refresh a few times a day; the Prometheus daily cost alert on
the services' own spend counter is the fast signal, the budget the account-wide backstop.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

import pulumi
import pulumi_aws as aws

from tierstack.config.observability import ObservabilitySettings
# Re-exported: the components that own these resources describe them; the alarms read them.
from tierstack.monitored import AuroraCluster, CacheGroup, QueuePair  # noqa: F401

# CloudFront publishes its metrics in us-east-1 only, under Region=Global.
CLOUDFRONT_REGION = "us-east-1"
# A metric-math alarm reads at most ten metrics.
MAX_ALARM_METRICS = 10


def controller_load_balancer_tags(cluster_name: str, namespace: str, ingress_name: str) -> dict[str, str]:
    """The tags the AWS Load Balancer Controller puts on the ALB of an Ingress (outside an IngressGroup).

    Look the ALB up by them (``aws.lb.get_load_balancer_output(tags=...)``) and pass its
    ``arn_suffix`` ("app/<name>/<id>") as a load balancer to alarm on.
    """
    return {"elbv2.k8s.aws/cluster": cluster_name, "ingress.k8s.aws/stack": f"{namespace}/{ingress_name}"}


@dataclass(frozen=True)
class EdgeAlarms:
    """CloudFront's alarms live in us-east-1: a provider there and a topic there to notify."""

    distribution_id: pulumi.Input[str]
    topic_arn: pulumi.Input[str]
    provider: aws.Provider


@dataclass(frozen=True)
class AlarmSpec:
    """One alarm, provider-agnostic: a single metric, or the max over several (``members``)."""

    key: str  # unique within the component: the resource name suffix
    name: Sequence[pulumi.Input[str]]  # parts of the alarm name, after the prefix
    description: str
    namespace: str
    metric: str
    threshold: float
    dimensions: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    statistic: Optional[str] = "Maximum"
    extended_statistic: Optional[str] = None
    members: Sequence[Mapping[str, pulumi.Input[str]]] = ()
    period: int = 300
    evaluation_periods: int = 3


def aurora_alarms(index: int, cluster: AuroraCluster, settings: ObservabilitySettings) -> list[AlarmSpec]:
    alarms, cid = settings.alarms, cluster.identifier
    dims = {"DBClusterIdentifier": cid}
    common = dict(namespace="AWS/RDS", dimensions=dims, period=alarms.period_seconds,
                  evaluation_periods=alarms.evaluation_periods)
    return [
        AlarmSpec(f"aurora-{index}-cpu", ["aurora-cpu-", cid], f"Aurora CPU above {alarms.db_cpu_percent:g}%",
                  metric="CPUUtilization", threshold=alarms.db_cpu_percent, **common),
        AlarmSpec(f"aurora-{index}-connections", ["aurora-connections-", cid],
                  f"Aurora connections above {alarms.db_connections}", metric="DatabaseConnections",
                  threshold=alarms.db_connections, **common),
        # Milliseconds; the maximum over the cluster's readers.
        AlarmSpec(f"aurora-{index}-replica-lag", ["aurora-replica-lag-", cid],
                  f"Aurora replica lag above {settings.alerts.db_replica_lag_seconds:g} s", metric="AuroraReplicaLag",
                  threshold=settings.alerts.db_replica_lag_seconds * 1000, **common),
        # Milliseconds a secondary region trails the primary (AWS/RDS, per secondary cluster): the
        # data a regional failover would lose.
        *([AlarmSpec(f"aurora-{index}-global-lag", ["aurora-global-lag-", cid],
                     f"Aurora global replication lag above {settings.alerts.db_replica_lag_seconds:g} s",
                     metric="AuroraGlobalDBReplicationLag",
                     threshold=settings.alerts.db_replica_lag_seconds * 1000, **common)]
          if cluster.global_secondary else []),
    ]


def cache_alarms(index: int, group: CacheGroup, settings: ObservabilitySettings) -> list[AlarmSpec]:
    alarms, rg = settings.alarms, group.replication_group_id
    specs = []
    shards = group.node_suffixes()
    for shard_index, suffixes in enumerate(shards):
        if len(suffixes) > MAX_ALARM_METRICS:
            raise ValueError(f"a shard of {len(suffixes)} nodes exceeds the {MAX_ALARM_METRICS} metrics an alarm reads")
        members = [{"CacheClusterId": pulumi.Output.concat(rg, suffix)} for suffix in suffixes]
        shard = f"-shard-{shard_index + 1}" if group.cluster_mode else ""
        for metric, short, threshold, statistic, what, period, periods in (
                ("EngineCPUUtilization", "engine-cpu", alarms.cache_engine_cpu_percent, "Maximum",
                 f"engine CPU above {alarms.cache_engine_cpu_percent:g}%", alarms.period_seconds,
                 alarms.evaluation_periods),
                ("DatabaseMemoryUsagePercentage", "memory", alarms.cache_memory_percent, "Maximum",
                 f"memory above {alarms.cache_memory_percent:g}%", alarms.period_seconds, alarms.evaluation_periods),
                # Evictions per 5-minute period on any one node, as the Prometheus alert counts them.
                ("Evictions", "evictions", settings.alerts.cache_evictions, "Sum",
                 f"more than {settings.alerts.cache_evictions} evictions in 5 minutes on a node", 300,
                 alarms.evaluation_periods)):
            specs.append(AlarmSpec(
                f"cache-{index}{shard}-{short}", [f"cache-{short}-", rg, shard], f"ElastiCache {what}",
                namespace="AWS/ElastiCache", metric=metric, threshold=threshold, statistic=statistic,
                members=members, period=period, evaluation_periods=periods))
    return specs


def queue_alarms(index: int, pair: QueuePair, settings: ObservabilitySettings) -> list[AlarmSpec]:
    age = settings.alerts.queue_oldest_message_seconds
    return [
        AlarmSpec(f"queue-{index}-dead-letters", ["dead-letters-", pair.dead_letter_queue_name],
                  "Messages in the dead-letter queue: requests that failed every retry", namespace="AWS/SQS",
                  metric="ApproximateNumberOfMessagesVisible", threshold=0,
                  dimensions={"QueueName": pair.dead_letter_queue_name}, period=300, evaluation_periods=1),
        AlarmSpec(f"queue-{index}-oldest-message", ["queue-oldest-message-", pair.queue_name],
                  f"Oldest queued request older than {age} s", namespace="AWS/SQS",
                  metric="ApproximateAgeOfOldestMessage", threshold=age, dimensions={"QueueName": pair.queue_name},
                  period=settings.alarms.period_seconds, evaluation_periods=settings.alarms.evaluation_periods),
    ]


def load_balancer_alarms(index: int, load_balancer: pulumi.Input[str], settings: ObservabilitySettings) -> list[AlarmSpec]:
    """``load_balancer``: the ALB's CloudWatch dimension, "app/<name>/<id>" (the ARN's suffix)."""
    alarms, p95 = settings.alarms, settings.alerts.p95_latency_seconds.warning
    dims = {"LoadBalancer": load_balancer}
    return [
        AlarmSpec(f"alb-{index}-target-5xx", ["alb-target-5xx-", load_balancer],
                  f"More than {alarms.alb_target_5xx_per_period} target 5xx responses per period",
                  namespace="AWS/ApplicationELB", metric="HTTPCode_Target_5XX_Count",
                  threshold=alarms.alb_target_5xx_per_period, statistic="Sum", dimensions=dims,
                  period=alarms.period_seconds, evaluation_periods=alarms.evaluation_periods),
        AlarmSpec(f"alb-{index}-response-time-p95", ["alb-response-time-p95-", load_balancer],
                  f"ALB target response time p95 above {p95:g} s", namespace="AWS/ApplicationELB",
                  metric="TargetResponseTime", threshold=p95, statistic=None, extended_statistic="p95",
                  dimensions=dims, period=alarms.period_seconds, evaluation_periods=alarms.evaluation_periods),
    ]


def cloudfront_alarms(distribution_id: pulumi.Input[str], settings: ObservabilitySettings) -> list[AlarmSpec]:
    warning = settings.alerts.error_rate_percent.warning
    return [AlarmSpec("cloudfront-5xx-rate", ["cloudfront-5xx-rate-", distribution_id],
                      f"CloudFront 5xx error rate above {warning:g}%", namespace="AWS/CloudFront",
                      metric="5xxErrorRate", threshold=warning, statistic="Average",
                      dimensions={"DistributionId": distribution_id, "Region": "Global"},
                      period=settings.alarms.period_seconds, evaluation_periods=settings.alarms.evaluation_periods)]


def dashboard_body(region: str, aurora_ids: Sequence[str], cache_nodes: Sequence[str], queues: Sequence[str],
                   dead_letter_queues: Sequence[str], load_balancers: Sequence[str],
                   distribution_id: Optional[str]) -> dict[str, Any]:
    """The CloudWatch dashboard: one time-series widget per signal the alarms watch."""
    def widget(title: str, metrics: list[list], stat: str = "Maximum", widget_region: str = region) -> dict[str, Any]:
        return {"type": "metric", "width": 12, "height": 6,
                "properties": {"title": title, "region": widget_region, "view": "timeSeries", "stat": stat,
                               "period": 300, "metrics": metrics}}

    widgets = []
    if aurora_ids:
        widgets += [widget(f"Aurora {metric}", [["AWS/RDS", metric, "DBClusterIdentifier", cid] for cid in aurora_ids])
                    for metric in ("CPUUtilization", "DatabaseConnections", "AuroraReplicaLag")]
    if cache_nodes:
        widgets += [widget(f"ElastiCache {metric}", [["AWS/ElastiCache", metric, "CacheClusterId", n] for n in cache_nodes],
                           "Sum" if metric == "Evictions" else "Maximum")
                    for metric in ("EngineCPUUtilization", "DatabaseMemoryUsagePercentage", "Evictions")]
    if queues or dead_letter_queues:
        widgets += [widget("SQS visible messages", [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", q]
                                                     for q in [*queues, *dead_letter_queues]]),
                    widget("SQS oldest message age", [["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", q]
                                                       for q in queues])]
    if load_balancers:
        widgets += [widget("ALB target 5xx", [["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", lb]
                                              for lb in load_balancers], "Sum"),
                    widget("ALB target response time p95", [["AWS/ApplicationELB", "TargetResponseTime",
                                                             "LoadBalancer", lb] for lb in load_balancers], "p95")]
    if distribution_id:
        widgets.append(widget("CloudFront 5xx error rate", [["AWS/CloudFront", "5xxErrorRate", "DistributionId",
                                                             distribution_id, "Region", "Global"]],
                              "Average", CLOUDFRONT_REGION))
    for position, item in enumerate(widgets):
        item["x"], item["y"] = (position % 2) * 12, (position // 2) * 6
    return {"widgets": widgets}


@dataclass(frozen=True)
class ManagedServiceAlarmsArgs:
    settings: ObservabilitySettings
    region: str
    # Prefixes alarm and dashboard names, e.g. the cell's name.
    name_prefix: str
    # The alert topic in this region (AlertTopic.arn).
    topic_arn: pulumi.Input[str]
    aurora_clusters: Sequence[AuroraCluster] = ()
    cache_groups: Sequence[CacheGroup] = ()
    queues: Sequence[QueuePair] = ()
    # ALB dimensions ("app/<name>/<id>"); the load balancer controller creates the ALB.
    load_balancers: Sequence[pulumi.Input[str]] = ()
    edge: Optional[EdgeAlarms] = None
    # A CloudWatch dashboard of these resources; False where the region's own alarms already have one.
    dashboard: bool = True


class ManagedServiceAlarms(pulumi.ComponentResource):
    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    dashboard: Optional[aws.cloudwatch.Dashboard]

    def __init__(self, name: str, args: ManagedServiceAlarmsArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("tierstack:observability:ManagedServiceAlarms", name, None, opts)
        settings = args.settings
        regional = [
            *(spec for i, c in enumerate(args.aurora_clusters) for spec in aurora_alarms(i, c, settings)),
            *(spec for i, g in enumerate(args.cache_groups) for spec in cache_alarms(i, g, settings)),
            *(spec for i, q in enumerate(args.queues) for spec in queue_alarms(i, q, settings)),
            *(spec for i, lb in enumerate(args.load_balancers) for spec in load_balancer_alarms(i, lb, settings)),
        ]
        self.alarms = {spec.key: self._alarm(name, args, spec, args.topic_arn, pulumi.ResourceOptions(parent=self))
                       for spec in regional}
        if args.edge is not None:
            edge_opts = pulumi.ResourceOptions(parent=self, provider=args.edge.provider)
            self.alarms.update({spec.key: self._alarm(name, args, spec, args.edge.topic_arn, edge_opts)
                                for spec in cloudfront_alarms(args.edge.distribution_id, settings)})

        self.dashboard = self._dashboard(name, args) if args.dashboard else None
        self.register_outputs({"alarm_count": len(self.alarms)})

    @staticmethod
    def _alarm(name: str, args: ManagedServiceAlarmsArgs, spec: AlarmSpec, topic_arn: pulumi.Input[str],
               opts: pulumi.ResourceOptions) -> aws.cloudwatch.MetricAlarm:
        if spec.members:
            queries = [aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id=f"m{i}", return_data=False, metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                    namespace=spec.namespace, metric_name=spec.metric, dimensions=dict(dims),
                    period=spec.period, stat=spec.statistic))
                for i, dims in enumerate(spec.members)]
            queries.append(aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id="worst", expression=f"MAX([{', '.join(q.id for q in queries)}])",
                label=f"{spec.metric} (worst node)", return_data=True))
            metric = dict(metric_queries=queries)
        else:
            metric = dict(namespace=spec.namespace, metric_name=spec.metric, dimensions=dict(spec.dimensions),
                          period=spec.period, statistic=spec.statistic, extended_statistic=spec.extended_statistic)
        return aws.cloudwatch.MetricAlarm(
            f"{name}-{spec.key}",
            name=pulumi.Output.concat(args.name_prefix, "-", *spec.name),
            alarm_description=spec.description,
            comparison_operator="GreaterThanThreshold",
            threshold=spec.threshold,
            evaluation_periods=spec.evaluation_periods,
            # No data (an idle queue, a cluster without readers) is not an incident.
            treat_missing_data="notBreaching",
            actions_enabled=True,
            alarm_actions=[topic_arn],
            ok_actions=[topic_arn],
            tags={"tierstack.io/alarm": spec.key},
            opts=opts,
            **metric,
        )

    def _dashboard(self, name: str, args: ManagedServiceAlarmsArgs) -> aws.cloudwatch.Dashboard:
        groups: list[Sequence[pulumi.Input[str]]] = [
            [c.identifier for c in args.aurora_clusters],
            [node for g in args.cache_groups for node in g.node_ids()],
            [q.queue_name for q in args.queues],
            [q.dead_letter_queue_name for q in args.queues],
            list(args.load_balancers),
            [args.edge.distribution_id] if args.edge else [],
        ]
        sizes = [len(g) for g in groups]

        def body(values: list) -> str:
            split, offset = [], 0
            for size in sizes:
                split.append(values[offset:offset + size])
                offset += size
            aurora, nodes, queues, dead_letters, load_balancers, edge = split
            return json.dumps(dashboard_body(args.region, aurora, nodes, queues, dead_letters, load_balancers,
                                             edge[0] if edge else None), sort_keys=True)

        return aws.cloudwatch.Dashboard(
            f"{name}-dashboard", dashboard_name=f"{args.name_prefix}-managed-services",
            dashboard_body=pulumi.Output.all(*[v for g in groups for v in g]).apply(body),
            opts=pulumi.ResourceOptions(parent=self))


# -- budgets --------------------------------------------------------------------------------------

def _amount(usd: float) -> str:
    return f"{usd:.2f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class CostBudgetsArgs:
    settings: ObservabilitySettings
    # Budget names: "<prefix>-daily", "<prefix>-monthly".
    name_prefix: str
    topic_arn: pulumi.Input[str]
    # Limit the budgets to resources with these cost allocation tags (activated in Billing);
    # empty budgets the whole account.
    cost_filter_tags: Mapping[str, str] = field(default_factory=dict)


class CostBudgets(pulumi.ComponentResource):
    daily: aws.budgets.Budget
    monthly: aws.budgets.Budget

    def __init__(self, name: str, args: CostBudgetsArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("tierstack:observability:CostBudgets", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        daily, monthly = args.settings.cost.daily_usd, args.settings.cost.monthly_budget_usd
        filters = ([aws.budgets.BudgetCostFilterArgs(
            name="TagKeyValue", values=[f"user:{key}${value}" for key, value in sorted(args.cost_filter_tags.items())])]
            if args.cost_filter_tags else None)

        def notify(threshold: float, kind: str, threshold_type: str) -> aws.budgets.BudgetNotificationArgs:
            return aws.budgets.BudgetNotificationArgs(
                comparison_operator="GREATER_THAN", threshold=threshold, threshold_type=threshold_type,
                notification_type=kind, subscriber_sns_topic_arns=[args.topic_arn])

        daily_budget = args.settings.cost.daily_budget_usd
        # A daily budget of its own (what the tagged resources should cost a day), or the seed's
        # two levels as one budget when only those are given.
        daily_limit, daily_notifications = (
            (daily_budget, [notify(80, "ACTUAL", "PERCENTAGE"), notify(100, "ACTUAL", "PERCENTAGE")])
            if daily_budget is not None else
            (daily.critical, [notify(daily.warning, "ACTUAL", "ABSOLUTE_VALUE"),
                              notify(daily.critical, "ACTUAL", "ABSOLUTE_VALUE")]))
        self.daily = aws.budgets.Budget(
            f"{name}-daily", name=f"{args.name_prefix}-daily", budget_type="COST", time_unit="DAILY",
            limit_amount=_amount(daily_limit), limit_unit="USD", cost_filters=filters,
            notifications=daily_notifications, opts=child)
        self.monthly = aws.budgets.Budget(
            f"{name}-monthly", name=f"{args.name_prefix}-monthly", budget_type="COST", time_unit="MONTHLY",
            limit_amount=_amount(monthly), limit_unit="USD", cost_filters=filters,
            notifications=[notify(80, "ACTUAL", "PERCENTAGE"), notify(100, "ACTUAL", "PERCENTAGE"),
                           notify(100, "FORECASTED", "PERCENTAGE")], opts=child)
        self.register_outputs({})
