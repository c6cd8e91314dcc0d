"""``StackConfig``: the validated shape of one stack, a tier preset merged with its overrides.

Field names are snake_case in Python and camelCase in YAML (Pulumi's convention), so errors
point at the key the user typed. Checks a settings model can make from its own fields live here,
so a program building the settings in Python gets them too; checks that need the rest of the
stack (AZs a region can give, NAT layout per tier, the edge's origin) live in ``rules``.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal, Mapping, Optional, Sequence

from pydantic import AfterValidator, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from tierstack.catalog import aws as catalog
from tierstack.catalog import data_services
from tierstack.catalog.quotas import SERVICE_QUOTAS
from tierstack.config.errors import did_you_mean
from tierstack.settings_base import LogRetentionDays, UrlPath
from tierstack.settings_base import Settings as _Settings
from tierstack.settings_base import fail as _fail
from tierstack.config.edge import EdgeSettings
from tierstack.config.observability import ObservabilitySettings
from tierstack.config.tiers import DEFAULT_POOLS, DEMO_IMAGE, POOL_LABEL, Tier
from tierstack.config.usage import UsageSettings
from tierstack.naming import PLATFORM_NAME_BUDGET
from tierstack.sizing.subnets import region_vpc_cidr

SUPPORTED_KUBERNETES_VERSIONS: tuple[str, ...] = ("1.33", "1.34", "1.35", "1.36")

# The presets' stand-in image (DEMO_IMAGE, shared with tiers.py so the two cannot drift): any tag
# of this repository means a team has not set its own image yet.
DEMO_IMAGE_REPOSITORY = DEMO_IMAGE.split(":", 1)[0]

# Tags tierstack writes on top of the stack's own: Environment, ManagedBy, tierstack:tier,
# tierstack:region and Name on every resource, and up to four more a component adds (a subnet:
# kubernetes.io/role/elb, kubernetes.io/cluster/<name>, tierstack.io/subnet-tier; a shard:
# tierstack.io/shard-set, tierstack.io/shard, tierstack.io/db-role; a node group:
# tierstack.io/node-group...). Ten leaves a spare so a new component tag does not push a stack
# that validated today over AWS's per-resource limit tomorrow.
RESERVED_TAG_BUDGET = 10
MAX_USER_TAGS = catalog.MAX_TAGS_PER_RESOURCE - RESERVED_TAG_BUDGET
# Keys tierstack sets itself: a user tag with one of these would be silently overwritten.
TIERSTACK_TAG_KEYS = frozenset({"Environment", "ManagedBy", "Name"})
TIERSTACK_TAG_PREFIXES: tuple[str, ...] = ("tierstack:", "tierstack.io/", "kubernetes.io/")

# Who may open connections to a service besides the stack's other services: the queue worker,
# and the public load balancer ("ingress").
WORKLOAD_CALLERS: tuple[str, ...] = ("worker", "ingress")
# The longest service name whose physical names all fit. A service's IAM role is autonamed from
# "<cell>-agents-<service>" plus pulumi-aws's "-" and 7 random characters, and IAM allows 64
# characters (IAM API Reference, CreateRole RoleName). A cell name is the platform name
# (tierstack.naming), "-" and a region code of at most 5 characters ("apse1").
_IAM_ROLE_NAME_MAX, _AUTONAME_SUFFIX = 64, 8
_CELL_NAME_MAX = PLATFORM_NAME_BUDGET + len("-apse1")
SERVICE_NAME_MAX = _IAM_ROLE_NAME_MAX - _AUTONAME_SUFFIX - _CELL_NAME_MAX - len("-agents-")
# Names no service may take: Kubernetes objects AgentServices names itself in the services'
# namespace (the queue workers, the DatabaseUsers Job's service account and pods, the default-deny
# NetworkPolicy), and the keys beside the services under ``services``.
RESERVED_SERVICE_NAMES = frozenset({"worker", "ingress", "queue", "namespace", "db-users", "default-deny-ingress"})

InterfaceEndpoint = Literal[
    "ecr.api", "ecr.dkr", "sts", "logs", "ec2", "elasticloadbalancing", "autoscaling",
    "ssm", "ssmmessages", "ec2messages", "kms", "secretsmanager", "sqs", "monitoring",
    "eks", "eks-auth", "xray", "aps-workspaces",
]
ControlPlaneLogType = Literal["api", "audit", "authenticator", "controllerManager", "scheduler"]
AddonName = Literal["vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent", "aws-ebs-csi-driver"]

_CPU = re.compile(r"^(?:[1-9]\d*m|\d+(?:\.\d{1,3})?)$")
_MEMORY = re.compile(r"^[1-9]\d*(?:Mi|Gi)$")
# RDS and ElastiCache identifiers (which embed the environment) refuse a trailing hyphen and
# two hyphens in a row.
_ENVIRONMENT = re.compile(r"^(?=.{2,15}$)[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
_DATABASE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_NODE_GROUP_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
_IMAGE = re.compile(r"^[a-z0-9][a-z0-9._/:-]*[a-z0-9](:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ACM_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$")
_DNS_LABEL = re.compile(r"^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")


def _version_text(value: object, example: str) -> object:
    """Reject a version YAML parsed as a number: unquoted 1.30 arrives as 1.3, 16.10 as 16.1."""
    if isinstance(value, float):
        raise _fail(
            f"the version was written as the number {value!r}, not a string; YAML drops trailing zeros "
            f"from unquoted numbers (1.30 becomes 1.3), so the version tierstack sees may not be the one you wrote.",
            f"quote the version in the stack file, e.g. \"{example}\".",
        )
    return value


def _cpu(value: str) -> str:
    if not _CPU.match(value):
        raise _fail(f"'{value}' is not a Kubernetes CPU quantity.", "write millicores like '500m' or cores like '2'.")
    return value


def _memory(value: str) -> str:
    if not _MEMORY.match(value):
        raise _fail(f"'{value}' is not a memory size tierstack accepts.", "write a whole number of Mi or Gi, like '512Mi' or '4Gi'.")
    return value


def _instance_type(value: str) -> str:
    known = catalog.ec2_instance_types()
    if value not in known:
        raise _fail(
            f"'{value}' is not an EC2 instance type{did_you_mean(value, known)}.",
            "use a type from botocore's EC2 model, e.g. 'm6i.xlarge'.",
        )
    return value


def _pinned_image(value: str) -> str:
    if not _IMAGE.match(value) or value.endswith(":latest"):
        raise _fail(
            f"'{value}' is not a pinned image reference.",
            "name an explicit version tag or digest, e.g. 'ghcr.io/acme/agent-auth:1.4.2' (never ':latest').",
        )
    return value


PinnedImage = Annotated[str, AfterValidator(_pinned_image)]
CpuQuantity = Annotated[str, AfterValidator(_cpu)]
MemoryQuantity = Annotated[str, AfterValidator(_memory)]
InstanceType = Annotated[str, AfterValidator(_instance_type)]


def _pool_preferences(pools: list[str]) -> list[str]:
    for pool in pools:
        if not _LABEL_VALUE.match(pool):
            raise _fail(f"'{pool}' is not a Kubernetes label value, so no node can carry it as its pool.",
                        "use the tierstack.io/pool label of a node group, e.g. 'workers' or 'memory'.")
    if len(set(pools)) != len(pools):
        raise _fail("the list names a pool twice.", "list each pool once, most preferred first.")
    return pools


# Node pools (tierstack.io/pool label values) a workload prefers, most preferred first.
PoolPreferences = Annotated[list[str], AfterValidator(_pool_preferences)]


class NetworkSettings(_Settings):
    vpc_cidr: ipaddress.IPv4Network = ipaddress.IPv4Network("10.0.0.0/16")
    az_count: int = Field(3, ge=2, le=6)
    nat_gateways: Literal["single", "perAz"] = "perAz"
    flow_log_retention_days: LogRetentionDays = 90
    interface_endpoints: list[InterfaceEndpoint] = Field(default_factory=list)
    # Explicit VPC blocks by region, for regions whose block must not follow vpcCidr's layout
    # (an existing addressing plan). Others take vpcCidr offset by the region's fixed slot.
    vpc_cidrs: dict[str, ipaddress.IPv4Network] = Field(default_factory=dict)

    def vpc_cidr_for(self, region: str) -> ipaddress.IPv4Network:
        """The region's VPC block, keyed by its name so adding regions never readdresses another."""
        return self.vpc_cidrs.get(region) or region_vpc_cidr(self.vpc_cidr, catalog.region_slot(region))

    @field_validator("vpc_cidr")
    @classmethod
    def _private_and_sized(cls, cidr: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        if not cidr.is_private:
            raise _fail(f"{cidr} is not a private (RFC 1918) range.", "use a block inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16.")
        if not 16 <= cidr.prefixlen <= 20:
            raise _fail(
                f"a /{cidr.prefixlen} VPC is outside what tierstack lays out subnets for.",
                "use a prefix between /16 (AWS's largest VPC) and /20 (the smallest that leaves each subnet room).",
            )
        return cidr

    @field_validator("interface_endpoints")
    @classmethod
    def _unique(cls, endpoints: list[str]) -> list[str]:
        if len(set(endpoints)) != len(endpoints):
            raise _fail("the list names an endpoint twice.", "list each endpoint once.")
        return endpoints


class Taint(_Settings):
    key: str = Field(min_length=1, max_length=63)
    value: str = Field("", max_length=63)
    effect: Literal["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"]


class NodeGroupSettings(_Settings):
    instance_types: list[InstanceType] = Field(min_length=1, max_length=20)
    capacity_type: Literal["ON_DEMAND", "SPOT"] = "ON_DEMAND"
    ami_type: Literal[
        "AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD", "BOTTLEROCKET_x86_64", "BOTTLEROCKET_ARM_64",
    ] = "AL2023_x86_64_STANDARD"
    min_size: int = Field(ge=1)
    desired_size: Optional[int] = Field(None, ge=1)
    max_size: int = Field(ge=1)
    disk_size_gib: int = Field(50, ge=20, le=16384, alias="diskSizeGiB")
    labels: dict[str, str] = Field(default_factory=dict)
    taints: list[Taint] = Field(default_factory=list)
    # One node group per AZ instead of one spanning them all (sizes split evenly, rounded up). Pods
    # on zonal EBS volumes (Prometheus, Alertmanager, Jaeger) can then always get a node in their
    # volume's AZ: the Cluster Autoscaler cannot choose the AZ a multi-AZ group scales into.
    zonal: bool = False

    @field_validator("labels")
    @classmethod
    def _label_keys(cls, labels: dict[str, str]) -> dict[str, str]:
        for key in labels:
            if not _LABEL_KEY.match(key):
                raise _fail(f"'{key}' is not a valid Kubernetes label key.", "use an optional DNS prefix and a name of letters, digits, '-', '_' or '.'.")
        return labels


def _quote_version_fix(typed: str) -> str:
    if typed in SUPPORTED_KUBERNETES_VERSIONS:
        return f"quote it: kubernetesVersion: \"{typed}\"."
    return (f"quote it (kubernetesVersion: \"{typed}\" keeps the zero) and pick a version tierstack supports: "
            f"{', '.join(SUPPORTED_KUBERNETES_VERSIONS)}, e.g. \"{SUPPORTED_KUBERNETES_VERSIONS[-2]}\".")


class ClusterSettings(_Settings):
    kubernetes_version: str = "1.35"
    endpoint_public_access: bool = False
    public_access_cidrs: list[ipaddress.IPv4Network] = Field(default_factory=list)
    control_plane_log_types: list[ControlPlaneLogType] = Field(
        default_factory=lambda: ["api", "audit", "authenticator", "controllerManager", "scheduler"]
    )
    log_retention_days: LogRetentionDays = 90
    admin_role_arns: list[str] = Field(default_factory=list)
    autoscaler_expander: Literal["least-waste", "random", "most-pods", "priority"] = "least-waste"
    addon_versions: dict[AddonName, str] = Field(default_factory=dict)
    node_groups: dict[str, NodeGroupSettings] = Field(min_length=1)

    @field_validator("kubernetes_version", mode="before")
    @classmethod
    def _supported_version(cls, version: object) -> str:
        if isinstance(version, float):
            raise _fail(
                f"kubernetesVersion was written as the number {version!r}; YAML reads an unquoted 1.30 as 1.3, "
                "so a number cannot say which Kubernetes minor you meant.",
                _quote_version_fix(f"{version:.2f}"),
            )
        text = str(version)
        if re.fullmatch(r"\d+\.\d", text) and text not in SUPPORTED_KUBERNETES_VERSIONS:
            raise _fail(
                f"EKS version '{text}' looks like {text}0 with its trailing zero dropped: YAML reads an unquoted "
                f"{text}0 as the number {text}.",
                _quote_version_fix(f"{text}0"),
            )
        if text not in SUPPORTED_KUBERNETES_VERSIONS:
            raise _fail(
                f"EKS version '{text}' is not one tierstack supports{did_you_mean(text, SUPPORTED_KUBERNETES_VERSIONS)}.",
                f"use one of {', '.join(SUPPORTED_KUBERNETES_VERSIONS)} (a quoted string, e.g. \"1.35\").",
            )
        return text

    @field_validator("admin_role_arns")
    @classmethod
    def _role_arns(cls, arns: list[str]) -> list[str]:
        for arn in arns:
            if not _ROLE_ARN.match(arn):
                raise _fail(f"'{arn}' is not an IAM role ARN.", "use arn:aws:iam::<12-digit account>:role/<name>.")
        return arns

    @property
    def zonal_capacity(self) -> bool:
        """Whether some node group is split per AZ, where stateful pods are then confined."""
        return any(group.zonal for group in self.node_groups.values())

    @property
    def node_pools(self) -> list[str]:
        """The pool each node group serves: its pool label, else the group's name."""
        return [group.labels.get(POOL_LABEL, name) for name, group in self.node_groups.items()]

    @field_validator("node_groups")
    @classmethod
    def _group_names(cls, groups: dict[str, NodeGroupSettings]) -> dict[str, NodeGroupSettings]:
        for name in groups:
            if not _NODE_GROUP_NAME.match(name):
                raise _fail(f"node group name '{name}' is not usable in AWS names.", "use lowercase letters, digits and '-', starting with a letter, at most 31 characters.")
        return groups


class AutoscalingSettings(_Settings):
    enabled: bool = True
    min_replicas: int = Field(2, ge=1, le=1000)
    max_replicas: int = Field(10, ge=1, le=1000)
    target_cpu_percent: int = Field(70, ge=10, le=100)
    target_memory_percent: int = Field(80, ge=10, le=100)
    # Per-pod request rate the HPA holds each replica to (served by the Prometheus adapter).
    target_requests_per_second: int = Field(100, ge=1, le=100_000)
    # Seconds of calm before scaling in: the seed's 300 s cooldown on the CPU policy.
    scale_down_stabilization_seconds: int = Field(300, ge=0, le=3600)


class _ContainerSettings(_Settings):
    """What every workload's container takes: image, command line, port, health path, env."""

    image: PinnedImage = DEMO_IMAGE
    args: list[str] = Field(default_factory=list)
    # Unprivileged containers cannot bind below 1024.
    port: int = Field(8080, ge=1024, le=65535)
    health_path: UrlPath = "/healthz"
    env: dict[str, str] = Field(default_factory=dict)

    @field_validator("env")
    @classmethod
    def _env_names(cls, env: dict[str, str]) -> dict[str, str]:
        for key in env:
            if not _ENV_NAME.match(key):
                raise _fail(f"'{key}' is not a valid environment variable name.", "use letters, digits and '_', not starting with a digit.")
        return env


class ServiceSettings(_ContainerSettings):
    """One agent service: its container, size and scaling, who may call it, and what it reaches.

    What a service reaches is stated here, not derived from its name, so a service of one's own
    gets exactly the access it declares (none by default) and the seed's five state theirs in
    the presets.
    """

    replicas: int = Field(ge=1, le=1000)
    cpu: CpuQuantity
    memory: MemoryQuantity
    autoscaling: AutoscalingSettings = Field(default_factory=AutoscalingSettings)
    # The only workloads its NetworkPolicy admits: other services of the stack, "worker" (the queue
    # workers) or "ingress" (the public load balancer).
    callers: list[str] = Field(default_factory=list)
    # Path prefix on the public HTTPS ingress; None keeps the service cluster-internal.
    ingress_path: Optional[UrlPath] = None
    # Signs in to the database shards as its own IAM-authenticated PostgreSQL user (svc_<name>, in
    # DB_USER) and reads the shard map (SHARD_MAP_PATH).
    database: bool = False
    # Gets the cache's endpoint (CACHE_HOST, CACHE_PORT) and read access to its auth token.
    cache: bool = False
    # Hands long work to the queue workers: QUEUE_URL, and permission to send to the queue.
    enqueues: bool = False
    # May call Bedrock models in its region.
    invokes_models: bool = False
    # May publish CloudWatch metrics under the services' namespace (tierstack/agents).
    publishes_metrics: bool = False
    # Node pools (tierstack.io/pool labels) to prefer, most preferred first; pools the cluster does
    # not have are skipped, and pods still schedule elsewhere when the preferred ones are full.
    pools: PoolPreferences = Field(default_factory=lambda: list(DEFAULT_POOLS))

    @field_validator("callers")
    @classmethod
    def _caller_labels(cls, callers: list[str]) -> list[str]:
        # Which callers exist is the stack's to say (ServicesSettings); here only their spelling.
        for caller in callers:
            if not _DNS_LABEL.match(caller):
                raise _fail(f"caller '{caller}' cannot name a workload: workloads are named by DNS labels.",
                            "name another service of the stack, 'worker' or 'ingress' (lowercase).")
        return callers

    @model_validator(mode="after")
    def _replicas_within_autoscaling(self) -> "ServiceSettings":
        scaling = self.autoscaling
        if not scaling.enabled:
            return self
        if scaling.min_replicas > scaling.max_replicas:
            raise _fail(f"maxReplicas is below minReplicas ({scaling.min_replicas}).",
                        f"raise maxReplicas to at least {scaling.min_replicas} or lower minReplicas.",
                        field="autoscaling.maxReplicas")
        if scaling.min_replicas < 2:
            raise _fail("an autoscaled service with one replica goes down with its pod.",
                        "use minReplicas of 2 or more, or disable autoscaling for a deliberate singleton.",
                        field="autoscaling.minReplicas")
        if not scaling.min_replicas <= self.replicas <= scaling.max_replicas:
            raise _fail(f"the starting replica count must lie between minReplicas ({scaling.min_replicas}) and "
                        f"maxReplicas ({scaling.max_replicas}).",
                        "choose replicas inside the autoscaling bounds.", field="replicas")
        return self

    @model_validator(mode="after")
    def _published_service_admits_the_load_balancer(self) -> "ServiceSettings":
        if self.ingress_path is not None and "ingress" not in self.callers:
            raise _fail(f"the service is published at {self.ingress_path} but its NetworkPolicy would not admit "
                        "the load balancer.",
                        "add 'ingress' to callers, or remove ingressPath to keep the service internal.",
                        field="callers")
        return self


class IngressSettings(_Settings):
    # The public API's DNS name: the load balancer controller finds the ACM certificate for it.
    host: Optional[str] = None
    # Pin a certificate instead of discovery by host.
    certificate_arn: Optional[str] = None
    # TLS 1.3 with 1.2 fallback; ALB's recommended policy.
    ssl_policy: str = "ELBSecurityPolicy-TLS13-1-2-2021-06"

    @field_validator("host")
    @classmethod
    def _hostname(cls, host: Optional[str]) -> Optional[str]:
        if host is not None and not _HOSTNAME.match(host):
            raise _fail(f"'{host}' is not a DNS name.", "use a lowercase fully qualified name such as 'api.example.com'.")
        return host

    @field_validator("certificate_arn")
    @classmethod
    def _acm_arn(cls, arn: Optional[str]) -> Optional[str]:
        if arn is not None and not _ACM_ARN.match(arn):
            raise _fail(f"'{arn}' is not an ACM certificate ARN.", "use arn:aws:acm:<region>:<account>:certificate/<uuid>.")
        return arn


class QueueSettings(_Settings):
    # The seed retries a request three times before parking it in the dead-letter queue.
    max_receive_count: int = Field(3, ge=1, le=1000)
    visibility_timeout_seconds: int = Field(120, ge=0, le=43_200)
    message_retention_seconds: int = Field(345_600, ge=60, le=1_209_600)


class WorkerSettings(_ContainerSettings):
    """The queue workers: their container, KEDA scaling on the queue's depth, and what they reach.

    The workers always read the queue (QUEUE_URL, and permission to receive and delete); the rest
    of their access is stated like a service's, defaulting to the long work the seed's services
    enqueue: the shards and the cache, on the general workers.
    """

    cpu: CpuQuantity = "500m"
    memory: MemoryQuantity = "1Gi"
    min_replicas: int = Field(2, ge=0, le=1000)
    max_replicas: int = Field(10, ge=1, le=1000)
    # Visible messages per replica KEDA aims for.
    messages_per_replica: int = Field(5, ge=1, le=10_000)
    # Signs in to the database shards as its own IAM-authenticated PostgreSQL user (svc_worker, in
    # DB_USER) and reads the shard map (SHARD_MAP_PATH).
    database: bool = True
    # Gets the cache's endpoint (CACHE_HOST, CACHE_PORT) and read access to its auth token.
    cache: bool = True
    # May call Bedrock models in its region.
    invokes_models: bool = False
    # May publish CloudWatch metrics under the services' namespace (tierstack/agents).
    publishes_metrics: bool = False
    # Node pools (tierstack.io/pool labels) to prefer, most preferred first; pools the cluster does
    # not have are skipped, and pods still schedule elsewhere when the preferred ones are full.
    pools: PoolPreferences = Field(default_factory=lambda: list(DEFAULT_POOLS))

    @model_validator(mode="after")
    def _scaling_bounds(self) -> "WorkerSettings":
        if self.min_replicas > self.max_replicas:
            raise _fail(f"maxReplicas is below minReplicas ({self.min_replicas}).",
                        f"raise maxReplicas to at least {self.min_replicas} or lower minReplicas.",
                        field="maxReplicas")
        return self


class ServicesSettings(_Settings):
    """The agent services, each under `services.<name>` (every key but the settings below), and
    the queue workers, queue, ingress and namespace they share.

    The presets define the seed's five services (auth, conversation, model, memory,
    monitoring); a stack adds its own beside them and drops one with ``null``. In Python,
    services are keyword arguments (``ServicesSettings(search=ServiceSettings(...))``) and
    ``with_services`` adds, replaces or drops services of a preset's settings, validated.
    """

    model_config = ConfigDict(extra="allow")
    # The services, by name (pydantic validates each entry beside the fields as a ServiceSettings).
    __pydantic_extra__: dict[str, ServiceSettings] = Field(init=False)

    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    queue: QueueSettings = Field(default_factory=QueueSettings)
    ingress: IngressSettings = Field(default_factory=IngressSettings)
    namespace: str = "agents"
    # Where the Prometheus adapter reads request rates (the observability stack's Prometheus).
    prometheus_url: str = "http://kube-prometheus-stack-prometheus.monitoring.svc"

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, name: str) -> str:
        if not _DNS_LABEL.match(name) or name.startswith("kube-"):
            raise _fail(f"'{name}' cannot be the agents' namespace.", "use a DNS label such as 'agents' (not a kube-* namespace).")
        return name

    @model_validator(mode="before")
    @classmethod
    def _service_entries(cls, data: Any) -> Any:
        """Check each service's name before its settings, and drop services set to None."""
        if not isinstance(data, Mapping):
            return data
        settings = cls._setting_keys()
        for key, value in data.items():
            if key not in settings and value is not None:
                _check_service_entry(key, value, settings)
        return {key: value for key, value in data.items() if key in settings or value is not None}

    @model_validator(mode="after")
    def _services_fit_together(self) -> "ServicesSettings":
        services = self.services
        if not services:
            raise _fail("no services are defined: the queue workers would be the only workload.",
                        "define at least one service under services.<name> (replicas, cpu and memory), or keep "
                        "a preset's.")
        known = (*services, *WORKLOAD_CALLERS)
        published: dict[str, str] = {}
        for name, service in services.items():
            path = service.ingress_path
            if path is not None:
                if path in published:
                    raise _fail(f"{published[path]} already serves {path} on the public ingress.",
                                "give each public service its own path prefix.", field=f"{name}.ingressPath")
                published[path] = name
            for caller in service.callers:
                if caller not in known:
                    raise _fail(
                        f"{name}'s callers name '{caller}', which is not a service of this stack"
                        f"{did_you_mean(caller, known)}.",
                        f"list only this stack's services ({', '.join(services)}), 'worker' or 'ingress'; if "
                        f"{caller} was dropped, remove it from services.{name}.callers.",
                        field=f"{name}.callers")
        if not any(service.ingress_path for service in services.values()):
            for key, value in (("host", self.ingress.host), ("certificateArn", self.ingress.certificate_arn)):
                if value:
                    raise _fail("a public API is configured but no service has an ingressPath, so its load "
                                "balancer would route nothing.",
                                f"give the public services an ingressPath, or remove services.ingress.{key}.",
                                field=f"ingress.{key}")
        return self

    @classmethod
    def _setting_keys(cls) -> frozenset[str]:
        return frozenset(key for name, info in cls.model_fields.items() for key in (name, info.alias or name))

    @property
    def services(self) -> dict[str, ServiceSettings]:
        """The services by name, in the order they were given (the presets': the seed's order)."""
        return dict(self.__pydantic_extra__ or {})

    def items(self) -> list[tuple[str, ServiceSettings]]:
        return list(self.services.items())

    def with_services(self, **services: Optional[ServiceSettings]) -> "ServicesSettings":
        """A validated copy with these services added or replaced; None drops one.

        ``preset_settings("growth", "services").with_services(search=ServiceSettings(...))``
        """
        fields = {name: getattr(self, name) for name in type(self).model_fields}
        return type(self).model_validate({**fields, **self.services, **services})


_SERVICE_REQUIRED = tuple(
    info.alias or name for name, info in ServiceSettings.model_fields.items() if info.is_required())


def _check_service_entry(name: str, value: Any, settings: frozenset[str]) -> None:
    """Refuse a key under ``services`` that cannot be a service, naming the key."""
    hint = did_you_mean(name, sorted(key for key in settings if "_" not in key))
    missing = [key for key in _SERVICE_REQUIRED if isinstance(value, Mapping) and key not in value]
    if not isinstance(value, (Mapping, ServiceSettings)) or (hint and missing):
        raise _fail(
            f"'{name}' is not a setting of services{hint}, and a service is a mapping with at least "
            f"{', '.join(_SERVICE_REQUIRED)}.",
            "correct the key, or define the service with replicas, cpu and memory.", field=name)
    if missing:
        # Said here, at the service, because no preset can have left these out of a service of one's own.
        raise _fail(f"service '{name}' does not say its {' and '.join(missing)}; a service states its size.",
                    f"add {', '.join(missing)} under services.{name} (e.g. replicas: 2, cpu: 250m, memory: 512Mi).",
                    field=name)
    if not _DNS_LABEL.match(name):
        raise _fail(
            f"service name '{name}' is not a DNS label; it names the service's Deployment, Service and "
            "NetworkPolicy.",
            "use lowercase letters, digits and '-', starting with a letter, e.g. 'search'.", field=name)
    if len(name) > SERVICE_NAME_MAX:
        raise _fail(
            f"service name '{name}' is {len(name)} characters; its IAM role is named '<cell>-agents-{name}' plus "
            f"Pulumi's 8-character suffix, over IAM's {_IAM_ROLE_NAME_MAX} characters at the longest cell names.",
            f"use at most {SERVICE_NAME_MAX} characters, e.g. '{name[:SERVICE_NAME_MAX].rstrip('-')}'.", field=name)
    if name in RESERVED_SERVICE_NAMES:
        raise _fail(
            f"'{name}' is a name tierstack gives its own workloads and settings in the services' namespace.",
            f"pick another name; {', '.join(sorted(RESERVED_SERVICE_NAMES))} are taken.", field=name)


CacheEngine = Literal["valkey", "redis"]
# Parameter-group family per engine and version; ElastiCache rejects a mismatched family.
CACHE_FAMILIES = data_services.ELASTICACHE_ENGINE_VERSIONS


class CacheSettings(_Settings):
    engine: CacheEngine = "valkey"
    engine_version: str = "8.2"
    node_type: str = "cache.t4g.medium"
    # Cluster mode shards the keyspace (one shard is fine). On from the start: switching a live
    # group from disabled to enabled is a staged one-way migration that changes its endpoint.
    cluster_mode: bool = True
    shards: int = Field(1, ge=1, le=500)
    replicas_per_shard: int = Field(1, ge=0)
    snapshot_retention_days: int = Field(1, ge=0, le=35)
    # The seed's Redis TTL, handed to the services as their default expiry.
    default_ttl_seconds: int = Field(3600, ge=1, le=2_592_000)
    # Where semantic (vector) matches live: Valkey's vector search, pgvector on the shards, or neither.
    semantic_cache: Literal["none", "valkey-search", "pgvector"] = "none"

    @field_validator("engine_version", mode="before")
    @classmethod
    def _quoted_version(cls, version: object) -> object:
        return _version_text(version, "8.2")

    @field_validator("engine_version")
    @classmethod
    def _offered_version(cls, version: str, info: ValidationInfo) -> str:
        engine = info.data.get("engine")
        if engine is None:  # the engine itself is invalid and reported on its own
            return version
        offered = data_services.cache_engine_versions(engine)
        if version not in offered:
            raise _fail(
                f"'{version}' is not a {engine} version tierstack can deploy on ElastiCache{did_you_mean(version, offered)}.",
                f"use one of {', '.join(offered)} (quoted, e.g. \"{offered[-1]}\"), or add the version and its "
                "parameter-group family to tierstack.catalog.data_services.ELASTICACHE_ENGINE_VERSIONS.",
            )
        return version

    @property
    def version(self) -> tuple[int, int]:
        major, minor = self.engine_version.split(".")
        return int(major), int(minor)

    @field_validator("node_type")
    @classmethod
    def _cache_node(cls, node_type: str, info: ValidationInfo) -> str:
        engine = info.data.get("engine") or "valkey"
        offered = data_services.ELASTICACHE_NODE_TYPES[engine]
        if node_type not in offered:
            other = "valkey" if engine == "redis" else "redis"
            only_other = node_type in data_services.ELASTICACHE_NODE_TYPES[other]
            raise _fail(
                f"'{node_type}' is not an ElastiCache node type for {engine}"
                + (f" (it is offered for {other} only)" if only_other else did_you_mean(node_type, offered)) + ".",
                "use a current-generation type such as 'cache.r7g.large' or 'cache.t4g.medium' (see the ElastiCache "
                "supported node types), or add it to tierstack.catalog.data_services if AWS has added it.",
            )
        return node_type

    @field_validator("replicas_per_shard")
    @classmethod
    def _replicas_fit_a_shard(cls, replicas: int) -> int:
        limit = data_services.ELASTICACHE_MAX_REPLICAS_PER_SHARD
        if replicas > limit:
            raise _fail(
                f"an ElastiCache shard holds one primary and at most {limit} replicas, not {replicas}.",
                f"use at most {limit} replicasPerShard; for more read capacity add shards (clusterMode: true).",
            )
        return replicas

    @property
    def family(self) -> Optional[str]:
        return data_services.cache_parameter_family(self.engine, self.engine_version)

    @model_validator(mode="after")
    def _a_shape_elasticache_accepts(self) -> "CacheSettings":
        # Here rather than in the stack rules, so a program building CacheSettings itself gets
        # the same refusal instead of a group AWS rejects.
        if not self.cluster_mode and self.shards > 1:
            raise _fail("more than one shard needs cluster mode.", "set clusterMode to true, or shards to 1.",
                        field="shards")
        if self.replicas_per_shard < 1:
            raise _fail("without a replica there is nothing to fail over to when the primary's AZ fails "
                        "(automatic failover and multi-AZ need one).", "keep at least one replica per shard.",
                        field="replicasPerShard")
        if self.semantic_cache == "valkey-search" and (self.engine != "valkey" or self.version < (8, 2)):
            raise _fail("vector search on ElastiCache needs Valkey 8.2 or later.",
                        "set engine to valkey with engineVersion '8.2', or use semanticCache 'pgvector'.",
                        field="semanticCache")
        return self


class ReaderAutoscalingSettings(_Settings):
    max_readers: int = Field(3, ge=1, le=15)
    target_cpu_percent: int = Field(70, ge=10, le=90)


class DatabaseSettings(_Settings):
    engine_version: str = "16.13"
    instance_class: str = "db.r7g.large"
    shards: int = Field(1, ge=1, le=64)
    # How many shards users are routed to: shards 0..activeShards-1 are active, the rest are
    # created and receive copies but route nobody ("provisioning"). Unset means every shard.
    # To add a shard, raise shards with this pinned to the old count, copy, then raise this.
    active_shards: Optional[int] = None
    # Aurora allows 15 readers per cluster.
    readers_per_shard: int = Field(1, ge=0, le=15)
    reader_autoscaling: ReaderAutoscalingSettings = Field(default_factory=ReaderAutoscalingSettings)
    backup_retention_days: int = Field(7, ge=1, le=35)
    performance_insights_retention_days: Literal[7, 31, 93, 186, 372, 731] = 7
    # A secondary cluster per shard in a partner region, for disaster recovery.
    global_database: bool = False
    # The partner region of each region (its secondaries live there); unset regions take the
    # nearest other stack region (tierstack.catalog.aws.dr_partner), which no reordering moves.
    dr_regions: dict[str, str] = Field(default_factory=dict)

    database_name: str = "agents"

    def dr_region_for(self, region: str, regions: Sequence[str]) -> str:
        """The region holding ``region``'s disaster-recovery secondaries."""
        return self.dr_regions.get(region) or catalog.dr_partner(region, list(regions))

    @model_validator(mode="after")
    def _readers_fit_their_ceiling(self) -> "DatabaseSettings":
        if self.reader_autoscaling.max_readers < self.readers_per_shard:
            raise _fail(f"the autoscaling ceiling is below the {self.readers_per_shard} provisioned readers.",
                        f"raise maxReaders to at least {self.readers_per_shard}.", field="readerAutoscaling.maxReaders")
        # Aurora User Guide, "Configuration requirements of an Amazon Aurora global database": a
        # global database needs memory-optimized instance classes; CreateGlobalCluster refuses
        # a source cluster on burstable (db.t*) instances.
        if self.global_database and self.instance_class.startswith("db.t"):
            raise _fail(f"a global database needs memory-optimized instances; {self.instance_class} is burstable.",
                        "use a db.r* or db.x2g class (e.g. db.r7g.large), or set globalDatabase to false.",
                        field="instanceClass")
        return self

    @field_validator("instance_class")
    @classmethod
    def _db_class(cls, instance_class: str) -> str:
        offered = data_services.AURORA_POSTGRES_INSTANCE_CLASSES
        if instance_class not in offered:
            raise _fail(
                f"'{instance_class}' is not an Aurora PostgreSQL DB instance class{did_you_mean(instance_class, offered)}.",
                "use a class such as 'db.r7g.large', 'db.t4g.medium' or 'db.serverless', or add it to "
                "tierstack.catalog.data_services.AURORA_POSTGRES_INSTANCE_CLASSES if AWS has added it.",
            )
        return instance_class

    @field_validator("active_shards")
    @classmethod
    def _routes_somewhere(cls, active: Optional[int]) -> Optional[int]:
        # That it does not exceed shards is a cross-field rule (rules.active_shards_exist).
        if active is not None and not 1 <= active <= 64:
            raise _fail(
                f"activeShards {active} is outside 1..64: users are routed to shards 0..activeShards-1, so at "
                "least one shard must be active and at most the 64 a stack can have.",
                "set activeShards between 1 and data.database.shards, or remove the key to route to every shard.",
            )
        return active

    @field_validator("engine_version", mode="before")
    @classmethod
    def _quoted_version(cls, version: object) -> object:
        return _version_text(version, "16.13")

    @field_validator("engine_version")
    @classmethod
    def _pg_version(cls, version: str) -> str:
        if version in data_services.ALL_AURORA_POSTGRES_VERSIONS:
            return version
        major = version.split(".", 1)[0]
        same_major = data_services.AURORA_POSTGRES_VERSIONS.get(major)
        offered = same_major or data_services.ALL_AURORA_POSTGRES_VERSIONS
        scope = f"Aurora PostgreSQL {major} offers {', '.join(same_major)}" if same_major else (
            f"tierstack supports Aurora PostgreSQL {', '.join(data_services.AURORA_POSTGRES_VERSIONS)}")
        raise _fail(
            f"'{version}' is not an Aurora PostgreSQL version AWS offers"
            f"{did_you_mean(version, same_major) if same_major else ''}.",
            f"{scope}; use one of those, quoted (e.g. \"{offered[-1]}\"), or add a newer minor to "
            "tierstack.catalog.data_services.AURORA_POSTGRES_VERSIONS.",
        )

    @field_validator("database_name")
    @classmethod
    def _aurora_database_name(cls, name: str) -> str:
        limit = data_services.AURORA_DATABASE_NAME_MAX
        suggestion = re.sub(r"[^A-Za-z0-9_]", "_", name).strip("_") or "agents"
        if not suggestion[0].isalpha():
            suggestion = f"db_{suggestion}"
        suggestion = suggestion[:limit]
        if "-" in name:
            raise _fail(f"'{name}' has a hyphen, which Aurora PostgreSQL does not allow in a database name.",
                        f"use letters, digits and underscores, e.g. '{suggestion}'.")
        if not 1 <= len(name) <= limit or not _DATABASE_NAME.match(name):
            raise _fail(
                f"'{name}' is not an Aurora PostgreSQL database name: 1 to {limit} letters, digits or underscores, "
                "starting with a letter.",
                f"use a name like '{suggestion}'.",
            )
        lowered = name.lower()
        if lowered in data_services.POSTGRES_EXISTING_DATABASES:
            raise _fail(f"'{name}' is a database every Aurora PostgreSQL cluster already has.",
                        "pick a name of your own, such as 'agents'.")
        if lowered in data_services.POSTGRES_RESERVED_WORDS:
            raise _fail(f"'{name}' is a PostgreSQL reserved word, which Aurora refuses as a database name.",
                        f"pick another name, such as '{name}_db' or 'agents'.")
        return name

    @property
    def family(self) -> str:
        return f"aurora-postgresql{self.engine_version.split('.')[0]}"


class DataSettings(_Settings):
    cache: CacheSettings = Field(default_factory=CacheSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)


def _quota(key: str) -> int:
    return SERVICE_QUOTAS[key].default


class QuotaSettings(_Settings):
    """The account's per-region service quotas, which the stack's demand must fit.

    Defaults are what a new AWS account gets. Set the values Service Quotas shows for your
    account (less what other stacks in the same account and region already use).
    """

    # RDS "DB instances", L-7B6409FD, default 40 (AWS General Reference, Amazon RDS quotas).
    rds_db_instances: int = Field(_quota("rdsDbInstances"), ge=0)
    # RDS "DB clusters", L-952B80B8, default 40 (AWS General Reference, Amazon RDS quotas).
    rds_db_clusters: int = Field(_quota("rdsDbClusters"), ge=0)
    # ElastiCache "Nodes per Region", L-DFE45DF3, default 300 (AWS General Reference, ElastiCache
    # quotas; older copies of that page say 100, so check the account's value).
    elasticache_nodes: int = Field(_quota("elasticacheNodes"), ge=0)
    # ElastiCache "Nodes per cluster (cluster mode enabled)", L-AF354865, default 90, raisable to
    # 500 (ElastiCache User Guide, "Working with shards").
    elasticache_nodes_per_cluster: int = Field(_quota("elasticacheNodesPerCluster"), ge=0)
    # Amazon VPC "VPCs per Region", L-F678F1CE, default 5 (AWS General Reference, Amazon VPC quotas).
    vpcs: int = Field(_quota("vpcs"), ge=0)
    # Amazon EC2 "EC2-VPC Elastic IPs", L-0263D0A3, default 5 (AWS General Reference, Amazon EC2 quotas).
    elastic_ips: int = Field(_quota("elasticIps"), ge=0)
    # Amazon VPC "NAT gateways per Availability Zone", L-FE5A380F, default 5 (Amazon VPC quotas).
    nat_gateways_per_az: int = Field(_quota("natGatewaysPerAz"), ge=0)
    # Amazon EKS "Clusters", L-1194D53C, default 100 (AWS General Reference, Amazon EKS quotas).
    eks_clusters: int = Field(_quota("eksClusters"), ge=0)

    def value(self, key: str) -> int:
        """The configured quota for a camelCase key of SERVICE_QUOTAS."""
        name = next(n for n, f in type(self).model_fields.items() if (f.alias or n) == key)
        return getattr(self, name)


class StackConfig(_Settings):
    tier: Tier
    environment: str
    production: bool
    # Which policy profile gates this stack: "hipaa" adds customer-managed keys everywhere,
    # longer retention, full audit logging and no public endpoints.
    compliance_profile: Literal["standard", "hipaa"] = "standard"
    regions: list[str] = Field(min_length=1, max_length=8)
    region_count: int = Field(ge=1, le=8)
    tags: dict[str, str] = Field(default_factory=dict)
    network: NetworkSettings
    cluster: ClusterSettings
    services: ServicesSettings
    data: DataSettings = Field(default_factory=DataSettings)
    # The global edge (CloudFront, WAF, Route 53) is built when edge.zoneName names a zone.
    edge: EdgeSettings = Field(default_factory=EdgeSettings)
    observability: ObservabilitySettings = Field(default_factory=ObservabilitySettings)
    # What the account lets each region hold; checked against the stack's demand before deploying.
    quotas: QuotaSettings = Field(default_factory=QuotaSettings)
    # What the cost estimate assumes about traffic and model calls (tierstack:usage); see tierstack.cost.
    usage: UsageSettings = Field(default_factory=UsageSettings)

    @field_validator("environment")
    @classmethod
    def _environment_name(cls, name: str) -> str:
        if not _ENVIRONMENT.match(name):
            if name.endswith("-") or "--" in name:
                why = "RDS and ElastiCache identifiers, which embed it, cannot end with a hyphen or contain two in a row"
                suggestion = re.sub(r"-+", "-", name).strip("-")
                example = f" (e.g. '{suggestion}')" if _ENVIRONMENT.match(suggestion) else ""
                raise _fail(f"'{name}' cannot be used in resource names: {why}.",
                            f"use single hyphens between letters or digits{example}.")
            raise _fail(
                f"'{name}' cannot be used in resource names.",
                "use 2-15 lowercase letters, digits or single hyphens, starting with a letter and not ending with "
                "a hyphen (e.g. 'dev', 'prod-eu').",
            )
        return name

    @field_validator("regions")
    @classmethod
    def _known_regions(cls, regions: list[str]) -> list[str]:
        for region in regions:
            if region not in catalog.known_regions():
                raise _fail(
                    f"'{region}' is not an AWS region{did_you_mean(region, catalog.known_regions())}.",
                    "use a region code such as 'us-east-1'.",
                )
            if region not in catalog.REGION_AZS:
                raise _fail(
                    f"tierstack has no availability-zone layout for '{region}'.",
                    f"use one of {', '.join(sorted(catalog.REGION_AZS))}, or add the region to tierstack.catalog.aws.REGION_AZS.",
                )
        if len(set(regions)) != len(regions):
            raise _fail("a region is listed twice.", "list each region once.")
        return regions

    @field_validator("tags")
    @classmethod
    def _aws_tag_rules(cls, tags: dict[str, str]) -> dict[str, str]:
        if len(tags) > MAX_USER_TAGS:
            raise _fail(
                f"{len(tags)} tags leave no room for tierstack's own: AWS allows {catalog.MAX_TAGS_PER_RESOURCE} per "
                f"resource and tierstack reserves {RESERVED_TAG_BUDGET} (Environment, ManagedBy, Name, tierstack:*, ...).",
                f"keep tierstack:tags to {MAX_USER_TAGS} or fewer, e.g. by folding related tags into one value.",
            )
        for key, value in tags.items():
            if key.lower().startswith("aws:"):
                raise _fail(f"tag key '{key}' uses the reserved 'aws:' prefix.", "choose a key without the 'aws:' prefix.")
            if key in TIERSTACK_TAG_KEYS or key.startswith(TIERSTACK_TAG_PREFIXES):
                raise _fail(
                    f"tag key '{key}' is one tierstack sets itself, so your value would be silently overwritten.",
                    f"rename it under a prefix of your own (e.g. 'acme:{key.split(':')[-1].split('/')[-1]}'); "
                    f"tierstack owns {', '.join(sorted(TIERSTACK_TAG_KEYS))} and the "
                    f"{', '.join(TIERSTACK_TAG_PREFIXES)} prefixes.",
                )
            if not 1 <= len(key) <= catalog.MAX_TAG_KEY_LENGTH or len(value) > catalog.MAX_TAG_VALUE_LENGTH:
                raise _fail(f"tag '{key}' is too long for AWS.",
                            f"keep keys within {catalog.MAX_TAG_KEY_LENGTH} characters and values within "
                            f"{catalog.MAX_TAG_VALUE_LENGTH}.")
            for part, text in (("key", key), ("value", value)):
                if not catalog.tag_text_is_valid(text):
                    bad = "".join(sorted({c for c in text if not catalog.tag_text_is_valid(c)}))
                    raise _fail(
                        f"tag {part} {text!r}{'' if part == 'key' else f' (tag {key!r})'} contains {bad!r}, "
                        "which AWS does not accept in tags.",
                        f"use letters, digits, spaces and {' '.join(catalog.TAG_PUNCTUATION)} only.",
                    )
        return tags

    @property
    def home_region(self) -> str:
        return self.regions[0]
