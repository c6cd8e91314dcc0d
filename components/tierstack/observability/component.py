"""``Observability``: one regional cell's metrics, alerting, dashboards and traces.

kube-prometheus-stack (pinned) runs Prometheus with retention on encrypted gp3 volumes,
Alertmanager routing to an encrypted SNS topic (SigV4 with an IRSA role; Slack and PagerDuty
optional, their credentials read from Secrets Manager at pod start) and Grafana, whose sidecar
loads the dashboards from labelled ConfigMaps. A ServiceMonitor scrapes the agent services and
a PrometheusRule carries tierstack's recording and alerting rules. The OpenTelemetry collector
(pinned) tail-samples traces (every error, every slow one, a share of the rest) and exports
them to Jaeger (pinned, 30-day Badger store on an encrypted volume) or to X-Ray.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

import pulumi
import pulumi_kubernetes as k8s

from tierstack import charts
from tierstack.addons import AddonIdentity, ChartAddon, install_addon, irsa_annotation
from tierstack.aws.context import AwsContext, aws_context
from tierstack.documented import documented
from tierstack.kube import ClusterContext
from tierstack.monitored import AuroraCluster, CacheGroup, QueuePair
from tierstack.observability import alerts, dashboards, manifests, metrics, policies
from tierstack.observability.alerts import AlertTargets
from tierstack.config.observability import ObservabilitySettings
from tierstack.observability.topic import AlertTopic, AlertTopicArgs

SERVICE_MONITOR_NAME = "tierstack-agents"
PROMETHEUS_RULE_NAME = "tierstack-agents"


@documented
@dataclass(frozen=True)
class WatchedResources:
    """The cell's AWS resources the saturation alerts and dashboards select, by name.

    Empty lists fall back to ``AlertTargets``'s patterns (tierstack's own queue names, any cache
    node, any cluster), which also match other stacks' resources in the account.
    """

    # SQS request queues to watch; () falls back to tierstack's queue name pattern.
    queue_names: Sequence[pulumi.Input[str]] = ()
    # SQS dead-letter queues to watch; () falls back to tierstack's pattern.
    dead_letter_queue_names: Sequence[pulumi.Input[str]] = ()
    # ElastiCache node ids to watch; () matches any cache node.
    cache_node_ids: Sequence[pulumi.Input[str]] = ()
    # Aurora cluster identifiers to watch; () matches any cluster.
    db_cluster_identifiers: Sequence[pulumi.Input[str]] = ()
    # Tags that pick out these resources for the CloudWatch exporter (e.g. Environment and
    # tierstack:region); {} reads every tagged queue, cache and database in the region.
    tags: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def covering(cls, *, clusters: Sequence[AuroraCluster] = (), cache_groups: Sequence[CacheGroup] = (),
                 queues: Sequence[QueuePair] = (), tags: Optional[Mapping[str, str]] = None) -> "WatchedResources":
        """What the components report as ``monitored`` (ShardedDatabase, CacheTier, RequestQueue)."""
        return cls(queue_names=[q.queue_name for q in queues],
                   dead_letter_queue_names=[q.dead_letter_queue_name for q in queues],
                   cache_node_ids=[node for group in cache_groups for node in group.node_ids()],
                   db_cluster_identifiers=[c.identifier for c in clusters], tags=dict(tags or {}))


@documented
@dataclass(frozen=True)
class ObservabilityArgs:
    # The observability settings (Prometheus, Alertmanager, alerts, tracing, AWS alarms).
    settings: ObservabilitySettings
    # The cluster being observed: its name labels the alerts, its region is the alert topic's and
    # the CloudWatch exporter's.
    cluster: ClusterContext
    # Where the agent services run (ServicesSettings.namespace).
    agents_namespace: str = "agents"
    # The node pools (tierstack.io/pool labels) the cluster has, for soft placement.
    node_pools: Sequence[str] = ()
    # The cluster has zonal node groups (ClusterSettings.zonal_capacity): pods on EBS volumes
    # (Prometheus, Alertmanager, Jaeger) are confined to them, so a node can always be added in
    # their volume's AZ.
    zonal_capacity: bool = False
    # The AWS resources the alerts and dashboards select; the default uses name patterns.
    watched: WatchedResources = field(default_factory=WatchedResources)
    # Production stacks: keep the alert topic and its key from being deleted.
    protect: bool = False
    # What the charts must wait for (e.g. node groups); () waits for nothing extra.
    depends_on: Sequence[pulumi.Resource] = ()


def _targets(namespace: str, watched: WatchedResources) -> pulumi.Output[AlertTargets]:
    groups = (watched.queue_names, watched.dead_letter_queue_names, watched.cache_node_ids,
              watched.db_cluster_identifiers)
    defaults = AlertTargets(namespace=namespace)

    def build(values: list) -> AlertTargets:
        names, offset = [], 0
        for group in groups:
            names.append(values[offset:offset + len(group)])
            offset += len(group)
        queues, dead_letters, nodes, clusters = names
        return AlertTargets(
            namespace=namespace,
            queues=alerts.any_of(queues) if queues else defaults.queues,
            dead_letter_queues=alerts.any_of(dead_letters) if dead_letters else defaults.dead_letter_queues,
            cache_nodes=alerts.any_of(nodes) if nodes else defaults.cache_nodes,
            db_clusters=alerts.any_of(clusters) if clusters else defaults.db_clusters,
        )

    return pulumi.Output.all(*[name for group in groups for name in group]).apply(build)


CLOUDWATCH_EXPORTER_ACCOUNT = "cloudwatch-exporter"
WORKER_POD_MONITOR_NAME = "tierstack-workers"


class Observability(pulumi.ComponentResource):
    """A cell's metrics, alerting, dashboards and traces: kube-prometheus-stack, the alert rules, Grafana dashboards, the CloudWatch exporter, the OpenTelemetry collector and Jaeger or X-Ray. See ObservabilityArgs."""

    alert_topic: AlertTopic
    prometheus_stack: k8s.helm.v3.Release
    collector: k8s.helm.v3.Release
    jaeger: Optional[k8s.helm.v3.Release]
    alert_topic_arn: pulumi.Output[str]

    def __init__(self, name: str, args: ObservabilityArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("tierstack:observability:Observability", name, None, opts)
        namespace = manifests.NAMESPACE
        context = aws_context(self)
        child = pulumi.ResourceOptions(parent=self)

        self.alert_topic = AlertTopic(f"{name}-alerts", AlertTopicArgs(
            region=args.cluster.region, display_name=f"tierstack alerts ({args.cluster.name})",
            protect=args.protect), opts=child)
        self.alert_topic_arn = self.alert_topic.arn

        space = k8s.core.v1.Namespace(f"{name}-namespace", metadata={"name": namespace, "labels": {
            "app.kubernetes.io/part-of": manifests.PART_OF,
            # node-exporter reads the host (hostNetwork, hostPID, hostPath): only "privileged" admits it.
            "pod-security.kubernetes.io/enforce": "privileged",
            "pod-security.kubernetes.io/warn": "baseline", "pod-security.kubernetes.io/audit": "baseline",
        }}, opts=pulumi.ResourceOptions(parent=self, provider=args.cluster.provider, depends_on=list(args.depends_on)))
        in_namespace = pulumi.ResourceOptions(parent=self, provider=args.cluster.provider, depends_on=[space])

        prometheus = install_addon(name, self._prometheus_stack(args, context), args.cluster, parent=self,
                                   depends_on=[space, *args.depends_on])
        self.prometheus_stack = prometheus.release

        targets = _targets(args.agents_namespace, args.watched)
        self._cloudwatch_exporter(name, args, space)
        self._monitoring_objects(name, args, targets)
        self._dashboards(name, args, targets, in_namespace)
        self._tracing(name, args, space)

        self.register_outputs({
            "alert_topic_arn": self.alert_topic_arn,
            "prometheus_url": f"http://{manifests.PROMETHEUS_SERVICE}.{namespace}.svc:9090",
            "trace_endpoint": manifests.collector_endpoint(),
        })

    def _prometheus_stack(self, args: ObservabilityArgs, context: AwsContext) -> ChartAddon:
        """kube-prometheus-stack; its Alertmanager publishes to the alert topic through its own role."""
        settings, region = args.settings, args.cluster.region
        policy = pulumi.Output.all(self.alert_topic.arn, self.alert_topic.key_arn, context.partition,
                                   context.account_id).apply(lambda v: json.dumps(policies.alertmanager(
                                       v[0], v[1], v[2], region, v[3], settings.alertmanager.secret_names)))
        return ChartAddon(
            pin=charts.KUBE_PROMETHEUS_STACK, namespace=manifests.NAMESPACE, release_suffix="kube-prometheus-stack",
            identity=AddonIdentity(manifests.ALERTMANAGER_SERVICE_ACCOUNT, policy, role_suffix="alertmanager"),
            values=lambda role_arn: manifests.kube_prometheus_stack_values(
                settings, cluster_name=args.cluster.name, region=region, alertmanager_role_arn=role_arn,
                topic_arn=self.alert_topic.arn, node_pools=args.node_pools, zonal_capacity=args.zonal_capacity))

    def _cloudwatch_exporter(self, name: str, args: ObservabilityArgs, space: k8s.core.v1.Namespace) -> None:
        """The AWS-side series the saturation alerts read (queue age, DLQ depth, evictions, lag)."""
        exporter = ChartAddon(
            pin=charts.CLOUDWATCH_EXPORTER, namespace=manifests.NAMESPACE, release_suffix="cloudwatch-exporter",
            release_name=CLOUDWATCH_EXPORTER_ACCOUNT,
            identity=AddonIdentity(CLOUDWATCH_EXPORTER_ACCOUNT, json.dumps(policies.cloudwatch_reader()),
                                   role_suffix="cloudwatch-exporter"),
            values=lambda role_arn: {
                # A string the chart renders into its own ConfigMap (configMap.enabled, the default).
                "config": metrics.cloudwatch_exporter_config(args.cluster.region, dict(args.watched.tags)),
                "serviceMonitor": {"enabled": True, "interval": "60s"},
                "serviceAccount": {"create": True, "name": CLOUDWATCH_EXPORTER_ACCOUNT,
                                   "annotations": irsa_annotation(role_arn)},
                "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
            })
        self.cloudwatch_exporter = install_addon(name, exporter, args.cluster, parent=self,
                                                 depends_on=[space, self.prometheus_stack]).release

    def _monitoring_objects(self, name: str, args: ObservabilityArgs, targets: pulumi.Output[AlertTargets]) -> None:
        """The ServiceMonitor and PrometheusRule, once the operator's CRDs exist."""
        namespace = manifests.NAMESPACE
        crd_opts = pulumi.ResourceOptions(parent=self, provider=args.cluster.provider, depends_on=[self.prometheus_stack])
        self.service_monitor = k8s.apiextensions.CustomResource(
            f"{name}-service-monitor", api_version="monitoring.coreos.com/v1", kind="ServiceMonitor",
            metadata=manifests.metadata(SERVICE_MONITOR_NAME, namespace),
            spec=manifests.service_monitor_spec(args.agents_namespace, args.settings.prometheus.scrape_interval_seconds),
            opts=crd_opts)
        self.worker_monitor = k8s.apiextensions.CustomResource(
            f"{name}-worker-pod-monitor", api_version="monitoring.coreos.com/v1", kind="PodMonitor",
            metadata=manifests.metadata(WORKER_POD_MONITOR_NAME, namespace),
            spec=manifests.worker_pod_monitor_spec(args.agents_namespace,
                                                   args.settings.prometheus.scrape_interval_seconds),
            opts=crd_opts)
        self.prometheus_rule = k8s.apiextensions.CustomResource(
            f"{name}-rules", api_version="monitoring.coreos.com/v1", kind="PrometheusRule",
            metadata=manifests.metadata(PROMETHEUS_RULE_NAME, namespace),
            spec=targets.apply(lambda t: alerts.prometheus_rule_spec(args.settings, t)),
            opts=crd_opts)

    def _dashboards(self, name: str, args: ObservabilityArgs, targets: pulumi.Output[AlertTargets],
                    opts: pulumi.ResourceOptions) -> None:
        """One ConfigMap per dashboard, labelled for Grafana's sidecar."""
        models = targets.apply(lambda t: dashboards.dashboards(args.settings, t))
        for uid in dashboards.dashboards(args.settings):
            k8s.core.v1.ConfigMap(
                f"{name}-dashboard-{uid.removeprefix('tierstack-')}",
                metadata=manifests.metadata(uid, manifests.NAMESPACE, manifests.DASHBOARD_LABEL),
                data=manifests.dashboard_config_map_data(
                    uid, models.apply(lambda all_models, uid=uid: json.dumps(all_models[uid], sort_keys=True))),
                opts=opts)

    def _tracing(self, name: str, args: ObservabilityArgs, space: k8s.core.v1.Namespace) -> None:
        settings, namespace = args.settings, manifests.NAMESPACE
        depends: list[pulumi.Resource] = [space]
        self.jaeger = None
        if settings.tracing.backend == "jaeger":
            claim = k8s.core.v1.PersistentVolumeClaim(
                f"{name}-jaeger-traces", metadata=manifests.metadata(manifests.JAEGER_VOLUME_CLAIM, namespace),
                spec=manifests.jaeger_volume_claim_spec(settings),
                opts=pulumi.ResourceOptions(parent=self, provider=args.cluster.provider, depends_on=[space]))
            self.jaeger = install_addon(name, ChartAddon(
                pin=charts.JAEGER, namespace=namespace, release_suffix="jaeger", release_name=manifests.JAEGER_NAME,
                values=lambda _: manifests.jaeger_values(settings, args.node_pools, args.zonal_capacity)),
                args.cluster, parent=self, depends_on=[space, claim]).release
            depends.append(self.jaeger)
        # X-Ray is an AWS API: without Jaeger the collector exports there, through its own role.
        identity = None if self.jaeger is not None else AddonIdentity(
            manifests.COLLECTOR_NAME, json.dumps(policies.xray_writer()), role_suffix="collector")
        self.collector = install_addon(name, ChartAddon(
            pin=charts.OPENTELEMETRY_COLLECTOR, namespace=namespace, release_suffix="otel-collector",
            release_name=manifests.COLLECTOR_NAME, identity=identity,
            values=lambda role_arn: manifests.collector_values(settings, args.cluster.region, role_arn, args.node_pools)),
            args.cluster, parent=self, depends_on=depends).release
