"""``AgentServices``: the stack's services, the request queue and its workers, and ingress.

Each service scales on its own (HPA on CPU, memory and request rate), runs under its own IAM
role, and accepts connections only from the services that call it. What a service reaches (the
shards, the cache, the queue, Bedrock, CloudWatch metrics) and where it prefers to run come from
its settings, never from its name; the presets give the seed's five theirs. Services that
enqueue hand long work to an encrypted SQS queue that KEDA-scaled workers drain; the public API
is an HTTPS-only ALB in front of the services with an ingress path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

import pulumi
import pulumi_kubernetes as k8s

from tierstack.aws import policies
from tierstack.aws.context import aws_context
from tierstack.config.model import ServicesSettings, ServiceSettings, WorkerSettings
from tierstack.config.tiers import DEFAULT_POOLS
from tierstack.data import DatabaseUsers, DatabaseUsersArgs, ShardedDatabase, database_user
from tierstack.documented import documented
from tierstack.kube import ClusterContext
from tierstack.services import manifests
from tierstack.services.controllers import ControllerInstalls, ServiceControllers, ServiceControllersArgs
from tierstack.services.manifests import EdgeOrigin, Workload
from tierstack.services.queue import RequestQueue, RequestQueueArgs
from tierstack.services.workload import AgentService, AgentServiceArgs

METRICS_NAMESPACE = "tierstack/agents"
SHARD_MAP_CONFIG_MAP, SHARD_MAP_DIRECTORY, SHARD_MAP_FILE = "shard-map", "/etc/tierstack", "shard-map.json"
WORKER = "worker"
PSA_RESTRICTED = {f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")}


@dataclass(frozen=True)
class WorkloadAccess:
    """Which of the cell's stores a workload uses, and the node pools it prefers, most preferred first."""

    database: bool
    cache: bool
    pools: Sequence[str] = DEFAULT_POOLS

    @classmethod
    def of(cls, workload: ServiceSettings | WorkerSettings) -> "WorkloadAccess":
        return cls(database=workload.database, cache=workload.cache, pools=tuple(workload.pools))


@documented
@dataclass(frozen=True)
class DataAccess:
    """How the services reach the data tier of their cell."""

    # The shard map document (JSON) the services read to route tenants to shards.
    shard_map_json: pulumi.Input[str]
    # The cell's shards: services connect with IAM tokens for their own database user.
    database: ShardedDatabase
    # The cache's primary (or configuration) endpoint host.
    cache_endpoint: pulumi.Input[str]
    # The cache's port.
    cache_port: int
    # The Secrets Manager secret holding the cache's auth token.
    cache_secret_arn: pulumi.Input[str]
    # IAM policy document granting a workload read of the cache's auth secret and key.
    cache_policy: pulumi.Input[dict]
    # Default expiry the services give cache entries, in seconds.
    cache_default_ttl_seconds: int
    # Where semantic (vector) matches live: "none", "valkey-search" or "pgvector".
    semantic_cache: str


@documented
@dataclass(frozen=True)
class Telemetry:
    """Where the workloads send traces (OTLP) and the resource attributes every span carries.

    The OpenTelemetry SDKs read these from the standard OTEL_* variables, so an image gets its
    traces into the cell's tail-sampling collector without code that knows the cluster.
    """

    # The collector's OTLP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT).
    otlp_endpoint: str
    # Extra resource attributes every span carries; {} adds only the region.
    resource_attributes: Mapping[str, str] = field(default_factory=dict)
    # The OTLP transport: "grpc" (default) or "http/protobuf".
    protocol: str = "grpc"


@documented
@dataclass(frozen=True)
class AgentServicesArgs:
    # The services' settings: which services run, their sizes, queue and namespace.
    settings: ServicesSettings
    # The cluster the services run on (KubernetesCluster.context, or one built for an existing cluster).
    cluster: ClusterContext
    # Public subnet blocks: where the ALB's nodes live, admitted by the public services' policies.
    load_balancer_cidrs: Sequence[str]
    # The node pools (tierstack.io/pool labels) the cluster has, for soft placement.
    node_pools: Sequence[str] = ()
    # Production tiers keep workers warm; only pilot may scale them to zero.
    allow_scale_to_zero: bool = False
    # Production stacks: keep the request queue (and its key) from being deleted.
    protect: bool = False
    # The cell's data tier; None runs the services without database or cache wiring.
    data: Optional[DataAccess] = None
    # Behind the global edge: how this cell's load balancer serves as its origin.
    edge_origin: Optional[EdgeOrigin] = None
    # The cell's trace collector; None leaves the OTEL_* variables unset.
    telemetry: Optional[Telemetry] = None
    # Which controllers to install; turn off the ones the cluster already runs.
    controllers: ControllerInstalls = field(default_factory=ControllerInstalls)
    # What the Kubernetes objects must wait for (e.g. node groups); () waits for nothing extra.
    depends_on: Sequence[pulumi.Resource] = ()


def _installed(release: Optional[pulumi.Resource]) -> list[pulumi.Resource]:
    """What to wait for: the release when AgentServices installs it; nothing when the cluster has its own."""
    return [release] if release is not None else []


class AgentServices(pulumi.ComponentResource):
    """The agent services (each with its IAM role, HPA, PDB and NetworkPolicy), the request queue and its KEDA-scaled workers, the controllers they need (each can be left out) and the public Ingress. See AgentServicesArgs."""

    services: dict[str, AgentService]
    worker: AgentService
    queue: RequestQueue
    # None when there is no certificate to serve it with (no edge, host or certificateArn).
    ingress: Optional[k8s.networking.v1.Ingress]

    def __init__(self, name: str, args: AgentServicesArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("tierstack:services:AgentServices", name, None, opts)
        settings, namespace = args.settings, args.settings.namespace
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.cluster.provider, depends_on=list(args.depends_on))
        context = aws_context(self)

        space = k8s.core.v1.Namespace(f"{name}-namespace", metadata={
            "name": namespace, "labels": {**PSA_RESTRICTED, "app.kubernetes.io/part-of": manifests.PART_OF}}, opts=k8s_opts)
        in_namespace = pulumi.ResourceOptions(parent=self, provider=args.cluster.provider, depends_on=[space])
        k8s.networking.v1.NetworkPolicy(f"{name}-default-deny", metadata=manifests.metadata(
            "default-deny-ingress", namespace, {"app.kubernetes.io/part-of": manifests.PART_OF}),
            spec=manifests.default_deny_spec(), opts=in_namespace)

        self.queue = RequestQueue(f"{name}-requests", RequestQueueArgs(
            settings=settings.queue, protect=args.protect), opts=pulumi.ResourceOptions(parent=self))
        controllers = ServiceControllers(f"{name}-controllers", ServiceControllersArgs(
            cluster=args.cluster, queue_arn=self.queue.arn, prometheus_url=settings.prometheus_url,
            installs=args.controllers, depends_on=args.depends_on,
        ), opts=pulumi.ResourceOptions(parent=self))

        queue_producer = pulumi.Output.all(self.queue.arn, self.queue.key_arn).apply(
            lambda v: policies.queue_producer(v[0], v[1]))
        model_invoker = pulumi.Output.all(context.partition, context.account_id).apply(
            lambda v: policies.model_invocation(v[0], args.cluster.region, v[1]))
        metrics_publisher = policies.metrics_publisher(METRICS_NAMESPACE)
        queue_consumer = pulumi.Output.all(self.queue.arn, self.queue.key_arn).apply(
            lambda v: policies.queue_consumer(v[0], v[1]))

        def own_grants(service: ServiceSettings) -> list:
            """The AWS calls the service declares it makes, beyond the stores it uses."""
            return [grant for wanted, grant in ((service.enqueues, queue_producer), (service.invokes_models, model_invoker),
                                                (service.publishes_metrics, metrics_publisher)) if wanted]

        def worker_grants(worker: WorkerSettings) -> list:
            """The workers always drain the queue; the rest is what their settings declare."""
            return [queue_consumer, *(grant for wanted, grant in (
                (worker.invokes_models, model_invoker), (worker.publishes_metrics, metrics_publisher)) if wanted)]

        data_ready = self._shard_map(name, args, space)
        queue_env = [{"name": "QUEUE_URL", "value": self.queue.url}]
        self.services = {}
        for service_name, service in settings.items():
            env = queue_env if service.enqueues else []
            self.services[service_name] = AgentService(f"{name}-{service_name}", AgentServiceArgs(
                workload=self._workload(service_name, service, args, env),
                cluster=args.cluster, callers=service.callers,
                load_balancer_cidrs=args.load_balancer_cidrs, autoscaling=service.autoscaling,
                iam_policy=self._policy(service_name, own_grants(service), WorkloadAccess.of(service), args),
                depends_on=[space, *data_ready],
            ), opts=pulumi.ResourceOptions(parent=self))

        worker = settings.worker
        worker_access = WorkloadAccess.of(worker)
        self.worker = AgentService(f"{name}-{WORKER}", AgentServiceArgs(
            workload=Workload(
                name=WORKER, namespace=namespace, role="worker", image=worker.image, port=worker.port,
                health_path=worker.health_path, cpu=worker.cpu, memory=worker.memory, args=worker.args,
                env=[*self._env(args, worker.env, WORKER, worker_access), *queue_env], replicas=None,
                preferred_pools=self._pools(worker_access, args),
                config_mount=self._config_mount(worker_access, args)),
            cluster=args.cluster, callers=[], expose=False,
            iam_policy=self._policy(WORKER, worker_grants(worker), worker_access, args),
            depends_on=[space, *data_ready],
        ), opts=pulumi.ResourceOptions(parent=self))
        self._queue_scaling(name, args, controllers, space)

        routes = [(s.ingress_path, n) for n, s in settings.items() if s.ingress_path]
        # The public Ingress is HTTPS only, so it needs a certificate: the edge's, a pinned
        # certificateArn, or one the controller discovers by host. With none of those there is
        # no public Ingress (no load balancer); the services stay reachable inside the cluster.
        # Nor is there one when no service has an ingress path: it would route nothing.
        self.ingress = None
        self.load_balancer_hostname = pulumi.Output.from_input("")
        if routes and (args.edge_origin is not None or settings.ingress.host or settings.ingress.certificate_arn):
            self.ingress = k8s.networking.v1.Ingress(
                f"{name}-public-api",
                metadata=manifests.metadata("public-api", namespace, {"app.kubernetes.io/part-of": manifests.PART_OF},
                                            manifests.ingress_annotations(settings.ingress, routes, args.edge_origin)),
                spec=manifests.ingress_spec(routes, settings.ingress, args.edge_origin),
                opts=pulumi.ResourceOptions(parent=self, provider=args.cluster.provider, depends_on=[
                    *_installed(controllers.load_balancer_controller), *[self.services[n].service for _, n in routes]]),
            )
            # The controller writes the ALB's name into the Ingress status; Pulumi waits for it.
            self.load_balancer_hostname = self.ingress.status.apply(
                lambda status: status.load_balancer.ingress[0].hostname if status and status.load_balancer
                and status.load_balancer.ingress else "")
        self.register_outputs({"queue_url": self.queue.url, "namespace": namespace,
                               "load_balancer_hostname": self.load_balancer_hostname})

    def _queue_scaling(self, name: str, args: AgentServicesArgs, controllers: ServiceControllers, space) -> None:
        worker, namespace = args.settings.worker, args.settings.namespace
        crd_opts = pulumi.ResourceOptions(parent=self, provider=args.cluster.provider,
                                          depends_on=[*_installed(controllers.keda), space])
        auth_name = "aws-irsa"
        k8s.apiextensions.CustomResource(
            f"{name}-trigger-auth", api_version="keda.sh/v1alpha1", kind="TriggerAuthentication",
            metadata=manifests.metadata(auth_name, namespace, {"app.kubernetes.io/part-of": manifests.PART_OF}),
            spec=manifests.trigger_authentication_spec(), opts=crd_opts)
        floor = worker.min_replicas if args.allow_scale_to_zero else max(worker.min_replicas, 1)
        k8s.apiextensions.CustomResource(
            f"{name}-worker-scaler", api_version="keda.sh/v1alpha1", kind="ScaledObject",
            metadata=manifests.metadata(WORKER, namespace, {**manifests.selector_labels(WORKER),
                                                             "app.kubernetes.io/part-of": manifests.PART_OF}),
            spec=manifests.scaled_object_spec(
                WORKER, queue_url=self.queue.url, region=args.cluster.region, min_replicas=floor,
                max_replicas=worker.max_replicas, messages_per_replica=worker.messages_per_replica,
                trigger_auth=auth_name),
            opts=pulumi.ResourceOptions(parent=self, provider=args.cluster.provider,
                                        depends_on=[*_installed(controllers.keda), space, self.worker.deployment]))

    def _shard_map(self, name: str, args: AgentServicesArgs, space) -> list[pulumi.Resource]:
        """The shard map as a ConfigMap the database users mount; created before they start."""
        if args.data is None:
            return []
        config_map = k8s.core.v1.ConfigMap(
            f"{name}-shard-map",
            metadata=manifests.metadata(SHARD_MAP_CONFIG_MAP, args.settings.namespace,
                                        {"app.kubernetes.io/part-of": manifests.PART_OF}),
            data={SHARD_MAP_FILE: args.data.shard_map_json},
            opts=pulumi.ResourceOptions(parent=self, provider=args.cluster.provider, depends_on=[space]))
        workloads = self._database_users(args.settings)
        if not workloads:
            # No workload signs in to the shards, so there is no user to create.
            return [config_map]
        # The services' database users (IAM authentication) exist before any service starts.
        users = DatabaseUsers(f"{name}-db-users", DatabaseUsersArgs(
            cluster=args.cluster, namespace=args.settings.namespace, shards=args.data.database,
            users=[database_user(n) for n in sorted(workloads)],
            depends_on=[space]), opts=pulumi.ResourceOptions(parent=self))
        return [config_map, users.job]

    @staticmethod
    def _database_users(settings: ServicesSettings) -> list[str]:
        """The workloads that sign in to the shards, each as a PostgreSQL user of its own."""
        services = [name for name, service in settings.items() if service.database]
        return [*services, WORKER] if settings.worker.database else services

    @staticmethod
    def _policy(service_name: str, own: Sequence[pulumi.Input[dict]], access: WorkloadAccess,
                args: AgentServicesArgs) -> Optional[pulumi.Output[str]]:
        """The workload's own grants plus read access to the stores it uses, as one document."""
        parts: list = list(own)
        if args.data is not None:
            if access.database:
                parts.append(args.data.database.connect_policy([database_user(service_name)]))
            if access.cache:
                parts.append(args.data.cache_policy)
        if not parts:
            return None
        return pulumi.Output.all(*parts).apply(lambda documents: json.dumps(policies.merge(*documents)))

    @staticmethod
    def _config_mount(access: WorkloadAccess, args: AgentServicesArgs) -> Optional[tuple[str, str]]:
        if args.data is not None and access.database:
            return SHARD_MAP_CONFIG_MAP, SHARD_MAP_DIRECTORY
        return None

    @staticmethod
    def _env(args: AgentServicesArgs, env: Mapping[str, str], service_name: str, access: WorkloadAccess) -> list[dict]:
        wiring: list[dict] = [{"name": "AWS_REGION", "value": args.cluster.region}]
        if args.telemetry is not None:
            attributes = {**args.telemetry.resource_attributes, "cloud.region": args.cluster.region,
                          "k8s.cluster.name": args.cluster.name, "k8s.namespace.name": args.settings.namespace}
            wiring += [{"name": "OTEL_SERVICE_NAME", "value": service_name},
                       {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": args.telemetry.otlp_endpoint},
                       {"name": "OTEL_EXPORTER_OTLP_PROTOCOL", "value": args.telemetry.protocol},
                       {"name": "OTEL_RESOURCE_ATTRIBUTES",
                        "value": ",".join(f"{k}={v}" for k, v in sorted(attributes.items()))}]
        data = args.data
        if data is not None and access.database:
            wiring += [{"name": "SHARD_MAP_PATH", "value": f"{SHARD_MAP_DIRECTORY}/{SHARD_MAP_FILE}"},
                       {"name": "DB_USER", "value": database_user(service_name)},
                       {"name": "DB_IAM_AUTH", "value": "true"}]
        if data is not None and access.cache:
            wiring += [{"name": "CACHE_HOST", "value": data.cache_endpoint},
                       {"name": "CACHE_PORT", "value": str(data.cache_port)},
                       {"name": "CACHE_TLS", "value": "true"},
                       {"name": "CACHE_AUTH_SECRET_ARN", "value": data.cache_secret_arn},
                       {"name": "CACHE_DEFAULT_TTL_SECONDS", "value": str(data.cache_default_ttl_seconds)},
                       {"name": "SEMANTIC_CACHE", "value": data.semantic_cache}]
        return [*wiring, *({"name": key, "value": value} for key, value in sorted(env.items()))]

    @staticmethod
    def _pools(access: WorkloadAccess, args: AgentServicesArgs) -> tuple[str, ...]:
        """The preferred pools the cluster has, in the workload's order."""
        return tuple(pool for pool in access.pools if pool in args.node_pools)

    def _workload(self, service_name: str, service: ServiceSettings, args: AgentServicesArgs, extra_env) -> Workload:
        scaled, access = service.autoscaling.enabled, WorkloadAccess.of(service)
        return Workload(
            name=service_name, namespace=args.settings.namespace, role="api", image=service.image,
            port=service.port, health_path=service.health_path, cpu=service.cpu, memory=service.memory,
            args=service.args, env=[*self._env(args, service.env, service_name, access), *extra_env],
            replicas=None if scaled else service.replicas, preferred_pools=self._pools(access, args),
            config_mount=self._config_mount(access, args),
        )
