"""``Observability``, ``AlertTopic`` and ``CostBudgets`` for other languages."""

from typing import Any, Optional

import pulumi
from typing_extensions import NotRequired, TypedDict

from tierstack.config.tiers import Tier
from tierstack.observability import AlertTopic as BuiltAlertTopic
from tierstack.observability import AlertTopicArgs as BuiltAlertTopicArgs
from tierstack.observability import CostBudgets as BuiltCostBudgets
from tierstack.observability import CostBudgetsArgs as BuiltCostBudgetsArgs
from tierstack.observability import Observability as BuiltObservability
from tierstack.observability import ObservabilityArgs as BuiltObservabilityArgs
from tierstack.observability.component import WatchedResources as BuiltWatchedResources
from tierstack.package.base import PackageComponent, listed, same_as
from tierstack.package.cluster import ClusterContext, built_context
from tierstack.package.settings import component_settings


class WatchedResources(TypedDict):
    """The AWS resources the saturation alerts and dashboards select, by name; each list left out falls back to a name pattern."""

    queue_names: NotRequired[list[pulumi.Input[str]]]
    """SQS request queues to watch; left out, tierstack's queue name pattern."""
    dead_letter_queue_names: NotRequired[list[pulumi.Input[str]]]
    """SQS dead-letter queues to watch; left out, tierstack's dead-letter queue name pattern."""
    cache_node_ids: NotRequired[list[pulumi.Input[str]]]
    """ElastiCache node ids to watch; left out, any cache node."""
    db_cluster_identifiers: NotRequired[list[pulumi.Input[str]]]
    """Aurora cluster identifiers to watch; left out, any Aurora cluster."""


def _watched(watched: Optional[WatchedResources]) -> BuiltWatchedResources:
    given = watched or {}
    return BuiltWatchedResources(**{key: tuple(listed(value, f"watched.{key}")) for key, value in given.items()})


class ObservabilityArgs(TypedDict):
    tier: Tier
    """The scale tier whose preset sizes this component: pilot, growth, scale, enterprise or hyperscale."""
    overrides: NotRequired[dict[str, Any]]
    """Observability settings that differ from the tier's preset, in camelCase as under tierstack:overrides.observability in a stack file (docs/configuration.md), e.g. {"tracing": {"backend": "xray"}}; checked as a stack file's are."""
    cluster: ClusterContext
    """The cluster being observed: its name labels the alerts, its region is the alert topic's and the CloudWatch exporter's."""
    agents_namespace: NotRequired[str]
    """Where the agent services run (AgentServices' namespace); "agents" unless given."""
    node_pools: NotRequired[list[str]]
    """The node pools (tierstack.io/pool labels) the cluster has, for soft placement."""
    zonal_capacity: NotRequired[bool]
    """The cluster has zonal node groups: pods on EBS volumes (Prometheus, Alertmanager, Jaeger) are confined to them, so a node can always be added in their volume's AZ."""
    watched: NotRequired[WatchedResources]
    """The AWS resources the alerts and dashboards select; the default uses name patterns."""
    protect: NotRequired[bool]
    """Production stacks: keep the alert topic and its key from being deleted."""
    tags: NotRequired[dict[str, str]]
    """Tags added to every AWS resource the component creates."""


class Observability(PackageComponent):
    """A cluster's metrics, alerting, dashboards and traces: kube-prometheus-stack, tierstack's alert rules, Grafana dashboards, the CloudWatch exporter, the OpenTelemetry collector and Jaeger or X-Ray, sized by a tier."""

    alert_topic_arn: pulumi.Output[str]
    """The encrypted SNS topic every alert goes to: subscribe e-mail, chat or incident tooling to it."""

    def __init__(self, name: str, args: ObservabilityArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, opts)
        cluster = args["cluster"]
        optional = {key: args[key] for key in ("agents_namespace", "zonal_capacity") if key in args}
        built = BuiltObservability(name, BuiltObservabilityArgs(
            settings=component_settings(args["tier"], "observability", args.get("overrides"), name=name,
                                        region=cluster["region"]),
            cluster=built_context(name, cluster, self),
            node_pools=tuple(args.get("node_pools") or ()),
            watched=_watched(args.get("watched")),
            protect=bool(args.get("protect", False)),
            **optional,
        ), opts=self._inner(args.get("tags")))
        self.alert_topic_arn = built.alert_topic_arn
        self._publish()


class AlertTopicArgs(TypedDict):
    region: str
    """The region the topic is created in (its provider's); scopes the CloudWatch grant."""
    display_name: NotRequired[str]
    """The SNS topic's display name (shown in e-mail and SMS alerts)."""
    protect: NotRequired[bool]
    """Production stacks: keep the topic and its key from being deleted."""
    tags: NotRequired[dict[str, str]]
    """Tags added to every AWS resource the component creates."""


class AlertTopic(PackageComponent):
    """An SNS topic for alerts, encrypted with its own KMS key, whose key and topic policies let Alertmanager, CloudWatch alarms and AWS Budgets publish to it."""

    arn: pulumi.Output[str]
    """The topic's ARN."""
    key_arn: pulumi.Output[str]
    """The KMS key that encrypts the topic."""

    def __init__(self, name: str, args: AlertTopicArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, opts)
        optional = {key: args[key] for key in ("display_name",) if key in args}
        built = BuiltAlertTopic(name, BuiltAlertTopicArgs(
            region=args["region"], protect=bool(args.get("protect", False)), **optional,
        ), opts=self._inner(args.get("tags")))
        self.arn = built.arn
        self.key_arn = built.key_arn
        self._publish()


class CostBudgetsArgs(TypedDict):
    tier: Tier
    """The scale tier whose cost thresholds (observability.cost) the budgets start from: pilot, growth, scale, enterprise or hyperscale."""
    overrides: NotRequired[dict[str, Any]]
    """Observability settings that differ from the tier's preset, in camelCase as under tierstack:overrides.observability in a stack file (docs/configuration.md), e.g. {"cost": {"monthlyBudgetUsd": 20000}}; checked as a stack file's are."""
    name_prefix: str
    """Budget names: "<prefix>-daily", "<prefix>-monthly"."""
    topic_arn: pulumi.Input[str]
    """The SNS topic the budgets notify (an AlertTopic's arn)."""
    cost_filter_tags: NotRequired[dict[str, str]]
    """Limit the budgets to resources with these cost allocation tags (activated in Billing); empty budgets the whole account."""
    tags: NotRequired[dict[str, str]]
    """Tags added to every AWS resource the component creates."""


class CostBudgets(PackageComponent):
    """A daily and a monthly AWS cost budget that notify an SNS topic at the tier's warning and critical spend."""

    daily_budget_name: pulumi.Output[str]
    """The daily budget's name."""
    monthly_budget_name: pulumi.Output[str]
    """The monthly budget's name."""

    def __init__(self, name: str, args: CostBudgetsArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, opts)
        built = BuiltCostBudgets(name, BuiltCostBudgetsArgs(
            settings=component_settings(args["tier"], "observability", args.get("overrides"), name=name),
            name_prefix=args["name_prefix"], topic_arn=args["topic_arn"],
            cost_filter_tags=dict(args.get("cost_filter_tags") or {}),
        ), opts=self._inner(args.get("tags")))
        self.daily_budget_name = built.daily.name
        self.monthly_budget_name = built.monthly.name
        self._publish()


DESCRIBED_BY = {
    **same_as(ObservabilityArgs, BuiltObservabilityArgs, "cluster", "node_pools", "watched", "protect"),
    **same_as(AlertTopicArgs, BuiltAlertTopicArgs, "region", "display_name", "protect"),
    **same_as(CostBudgetsArgs, BuiltCostBudgetsArgs, "name_prefix", "cost_filter_tags"),
}
