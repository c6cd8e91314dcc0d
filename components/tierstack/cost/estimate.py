"""Price a recorded offline plan: every chargeable resource, by its type and recorded inputs.

The plan (``tierstack.tooling.plan``) knows each resource's type, inputs, parent and provider,
so it knows sizes and counts exactly: node groups and their scaling bounds, Aurora instance
classes, cache node types and shard layout, NAT gateways, the Ingresses the load balancer
controller turns into ALBs. The usage profile supplies what no plan can know (requests, bytes,
log volumes), spread over the resources that carry it: a region's NAT traffic over its NAT
gateways, its origin traffic over its public load balancers, and so on.

Each resource gets lines (``charges.Line``) with a low and a high quantity; the low total prices
every node group at its minimum and Aurora at its provisioned readers, the high total at the
maximums. Resources that cost nothing by themselves (IAM, security groups, subnets, route
tables, Kubernetes objects other than Ingresses and volume claims) get no lines. What costs
money but is not priced is listed in ``not_priced`` with the reason, never silently dropped.

This module reads recorded resources only (the ``RecordedResource`` protocol the deployability
checks use), so it prices any Pulumi program's plan, not just tierstack's, and runs in
milliseconds: one pass to index the plan, one to price it.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

from tierstack.cost import charges
from tierstack.cost.ai import AiEstimate, estimate_stack_ai
from tierstack.cost.charges import Line
from tierstack.cost.prices import PriceBook, aurora_instance_key
from tierstack.cost.usage import HOURS_PER_MONTH, Assumption, UsageProfile, stack_usage_profile
from tierstack.deploy.graph import DeployGraph, RecordedResource

if TYPE_CHECKING:
    from tierstack.config.model import StackConfig

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
ALB_GROUP_ANNOTATION = "alb.ingress.kubernetes.io/group.name"
ALB_SCHEME_ANNOTATION = "alb.ingress.kubernetes.io/scheme"
# Suffixes of the AWS resources an alias record can point at for free: Route 53 does not charge
# for queries to alias records mapped to CloudFront, Elastic Load Balancing, S3 websites, API
# Gateway, VPC endpoints or Global Accelerator (Route 53 pricing, "Queries").
FREE_ALIAS_SUFFIXES = (".cloudfront.net", ".amazonaws.com", ".amazonaws.com.cn", ".awsglobalaccelerator.com")
EKS_CONTROL_PLANE_LOG = re.compile(r"^/aws/eks/(?P<cluster>[^/]+)/cluster$")
RDS_LOG = re.compile(r"^/aws/rds/cluster/(?P<cluster>[^/]+)/\w+$")
WAF_LOG_PREFIX = "aws-waf-logs-"
# EKS gives a node group without a launch template a 20 GiB root volume (EKS API reference,
# CreateNodegroup ``diskSize``); priced as gp2, the older and dearer type, to err high.
EKS_DEFAULT_DISK_GIB = 20
# An internet-facing ALB holds a public IPv4 address in each of at least two AZs.
ALB_MIN_ZONES = 2

# Charges no line prices, and why. Shown with every estimate.
UNMODELLED_CHARGES: tuple[tuple[str, str], ...] = (
    ("data transfer between AZs and regions", "depends on placement and replication traffic the plan cannot see "
     "(Aurora global replication bytes, cross-AZ pod, cache and database traffic)"),
    ("data transfer from load balancers to CloudFront", "free: AWS origins to CloudFront"),
    ("interface endpoint data processed", "image pulls and AWS API calls through endpoints are not modelled"),
    ("KMS and Secrets Manager API requests", "data keys are cached and secrets read at start-up; "
     "expected within KMS's 20,000 free requests a month"),
    ("CloudWatch API requests (GetMetricData by the CloudWatch exporter), SNS notifications", "not modelled"),
    ("ElastiCache snapshot storage", "one snapshot per cache is free; longer retention is not modelled"),
    ("Performance Insights beyond 7 days, EKS extended support", "priced at the free 7 days and standard support"),
    ("Savings Plans, Reserved Instances, Spot discounts, tax and support plans", "on-demand list prices only"),
    ("free tiers", "ignored: they are per account, not per stack (CloudWatch's 10 alarms, 3 dashboards and 5 GB "
     "of logs, SQS's 1M requests, KMS's 20,000 requests, CloudFront's 1 TB and 10M requests, 2 free budgets)"),
)


@dataclass
class ResourceCost:
    urn: str
    type: str
    name: str
    region: str
    component: str
    lines: list[Line]

    @property
    def monthly(self) -> float:
        return sum(line.monthly for line in self.lines)

    @property
    def monthly_high(self) -> float:
        return sum(line.monthly_high for line in self.lines)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"urn": self.urn, "type": self.type, "name": self.name, "region": self.region,
                                "component": self.component, "monthly": self.monthly,
                                "lines": [line.to_json() for line in self.lines]}
        if self.monthly_high != self.monthly:
            data["monthlyHigh"] = self.monthly_high
        return data


@dataclass(frozen=True)
class NotPriced:
    what: str
    count: int
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"what": self.what, "count": self.count, "reason": self.reason}


@dataclass(frozen=True)
class Subtotal:
    component: str
    region: str
    monthly: float
    monthly_high: float

    def to_json(self) -> dict[str, Any]:
        return {"component": self.component, "region": self.region, "monthly": self.monthly,
                "monthlyHigh": self.monthly_high}


@dataclass
class Estimate:
    stack: str
    tier: str
    price_date: str
    regions: list[str]
    resources: list[ResourceCost]
    usage: UsageProfile
    ai: AiEstimate
    not_priced: list[NotPriced] = field(default_factory=list)

    @property
    def total_monthly(self) -> float:
        """Infrastructure at every node group's minimum: what the stack costs at rest."""
        return sum(r.monthly for r in self.resources)

    @property
    def total_monthly_high(self) -> float:
        return sum(r.monthly_high for r in self.resources)

    def by_component(self) -> list[Subtotal]:
        """Subtotals per component and region, largest first."""
        low: dict[tuple[str, str], float] = defaultdict(float)
        high: dict[tuple[str, str], float] = defaultdict(float)
        for resource in self.resources:
            low[(resource.component, resource.region)] += resource.monthly
            high[(resource.component, resource.region)] += resource.monthly_high
        subtotals = [Subtotal(component, region, low[(component, region)], high[(component, region)])
                     for component, region in low]
        return sorted(subtotals, key=lambda s: (-s.monthly, -s.monthly_high, s.component, s.region))

    def by_region(self) -> list[Subtotal]:
        low: dict[str, float] = defaultdict(float)
        high: dict[str, float] = defaultdict(float)
        for resource in self.resources:
            low[resource.region] += resource.monthly
            high[resource.region] += resource.monthly_high
        return sorted((Subtotal("", region, low[region], high[region]) for region in low),
                      key=lambda s: (-s.monthly, s.region))

    def assumptions(self) -> list[Assumption]:
        return self.usage.assumptions() + self.ai.profile.assumptions()

    def per_thousand_requests(self) -> float:
        return self.total_monthly / self.usage.requests_per_month * 1000 if self.usage.requests_per_month else 0.0

    def to_json(self) -> dict[str, Any]:
        components: dict[str, dict[str, Any]] = {}
        for subtotal in self.by_component():
            entry = components.setdefault(subtotal.component, {"component": subtotal.component, "monthly": 0.0,
                                                                "monthlyHigh": 0.0, "regions": {}})
            entry["monthly"] += subtotal.monthly
            entry["monthlyHigh"] += subtotal.monthly_high
            entry["regions"][subtotal.region] = {"monthly": subtotal.monthly, "monthlyHigh": subtotal.monthly_high}
        return {
            "stack": self.stack,
            "tier": self.tier,
            "currency": "USD",
            "priceDate": self.price_date,
            "totalMonthly": self.total_monthly,
            "totalMonthlyRange": {"low": self.total_monthly, "high": self.total_monthly_high},
            "withAiMonthlyRange": {"low": self.total_monthly + self.ai.monthly,
                                   "high": self.total_monthly_high + self.ai.monthly},
            "requestsPerMonth": self.usage.requests_per_month,
            "infrastructurePer1000Requests": self.per_thousand_requests(),
            "resources": [r.to_json() for r in sorted(self.resources, key=lambda r: -r.monthly)],
            "components": sorted(components.values(), key=lambda c: -c["monthly"]),
            "regions": [{"region": s.region, "monthly": s.monthly, "monthlyHigh": s.monthly_high}
                        for s in self.by_region()],
            "assumptions": [a.to_json() for a in self.usage.assumptions()],
            "ai": self.ai.to_json(),
            "notPriced": [n.to_json() for n in self.not_priced]
                         + [{"what": what, "count": None, "reason": reason} for what, reason in UNMODELLED_CHARGES],
        }


# -- the plan, indexed once ------------------------------------------------------------------

def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _num(value: Any, default: float = 0.0) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else default


def _tags(resource: RecordedResource) -> Mapping[str, Any]:
    return resource.inputs.get("tags") or {}


def _annotations(resource: RecordedResource) -> Mapping[str, str]:
    return (resource.inputs.get("metadata") or {}).get("annotations") or {}


def _gib(quantity: Any) -> float:
    """A Kubernetes storage quantity ('50Gi', '1Ti', '500Mi', '10G') in GiB."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?", str(quantity).strip())
    if not match:
        return 0.0
    number, suffix = float(match.group(1)), match.group(2) or ""
    binary = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50}
    decimal = {"k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15}
    return number * binary.get(suffix, decimal.get(suffix, 1)) / 2**30


class PlanIndex:
    """Lookups the pricing of one resource needs about the others (regions, owners, siblings)."""

    def __init__(self, resources: Sequence[RecordedResource], home_region: str):
        self.graph = DeployGraph(resources, home_region)
        self.by_urn = {r.urn: r for r in resources}
        self.priced = [r for r in resources if r.custom and not r.type.startswith("pulumi:providers:")]
        self.by_type: dict[str, list[RecordedResource]] = defaultdict(list)
        for resource in self.priced:
            self.by_type[resource.type].append(resource)
        self.by_id = {r.id: r for r in self.priced if r.id}
        self._component: dict[str, str] = {}
        self._region: dict[str, str] = {}

        self.rds_clusters = {}
        for cluster in self.of("aws:rds/cluster:Cluster"):
            self.rds_clusters[cluster.id] = cluster
            if _str(cluster.inputs.get("clusterIdentifier")):
                self.rds_clusters[cluster.inputs["clusterIdentifier"]] = cluster
        self.rds_instances: dict[str, list[RecordedResource]] = defaultdict(list)
        for instance in self.of("aws:rds/clusterInstance:ClusterInstance"):
            cluster = self.rds_clusters.get(_str(instance.inputs.get("clusterIdentifier")))
            if cluster is not None:
                self.rds_instances[cluster.urn].append(instance)
        self.primary_clusters = [c for c in self.of("aws:rds/cluster:Cluster") if not self.is_secondary(c)]

        self.dead_letter_arns = set()
        for queue in self.of("aws:sqs/queue:Queue"):
            target = _redrive_target(queue.inputs.get("redrivePolicy"))
            if target:
                self.dead_letter_arns.add(target)
        self.albs = self._load_balancer_groups()
        self.flow_log_destinations = {_str(f.inputs.get("logDestination")) or _str(f.inputs.get("logGroupName"))
                                      for f in self.of("aws:ec2/flowLog:FlowLog")}
        self.eks_clusters = {_str(c.inputs.get("name")): c for c in self.of("aws:eks/cluster:Cluster")}
        self.lifecycle_days = {}
        for rule_set in self.of("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"):
            days = [_num((rule.get("expiration") or {}).get("days")) for rule in rule_set.inputs.get("rules") or []
                    if rule.get("status") == "Enabled"]
            if any(days):
                self.lifecycle_days[_str(rule_set.inputs.get("bucket"))] = min(d for d in days if d)
        self.access_log_buckets = {
            _str((d.inputs.get("loggingConfig") or {}).get("bucket")) for d in self.of("aws:cloudfront/distribution:Distribution")
        } - {""}
        self.storage_classes: dict[tuple[str, str], str] = {}
        self.default_storage_class: dict[str, str] = {}
        for storage_class in self.of("kubernetes:storage.k8s.io/v1:StorageClass"):
            cluster = self.graph.cluster_of(storage_class)
            metadata = storage_class.inputs.get("metadata") or {}
            volume_type = _str((storage_class.inputs.get("parameters") or {}).get("type"))
            if not volume_type:
                # The EBS CSI driver creates gp3 by default; the in-tree provisioner gp2.
                volume_type = "gp3" if storage_class.inputs.get("provisioner") == "ebs.csi.aws.com" else "gp2"
            self.storage_classes[(cluster, _str(metadata.get("name")))] = volume_type
            if (metadata.get("annotations") or {}).get("storageclass.kubernetes.io/is-default-class") == "true":
                self.default_storage_class[cluster] = volume_type

    def of(self, type_token: str) -> list[RecordedResource]:
        return self.by_type.get(type_token, [])

    def region(self, resource: RecordedResource) -> str:
        region = self._region.get(resource.urn)
        if region is None:
            region = self._region[resource.urn] = self.graph.region_of(resource)
        return region

    def count_in_region(self, resources: Iterable[RecordedResource], region: str) -> int:
        return sum(1 for r in resources if self.region(r) == region)

    def component(self, resource: RecordedResource) -> str:
        """The concern a resource belongs to: the component just below the platform (or the topmost one)."""
        parent = resource.parent
        if parent in self._component:
            return self._component[parent]
        chain = []
        urn = parent
        while urn in self.by_urn:
            chain.append(self.by_urn[urn])
            urn = self.by_urn[urn].parent
        owner = next((c for c in chain if c.parent not in self.by_urn
                      or self.by_urn[c.parent].type.startswith("tierstack:platform:")), None)
        label = owner.type.rsplit(":", 1)[-1] if owner is not None else "(stack)"
        self._component[parent] = label
        return label

    def is_secondary(self, cluster: RecordedResource) -> bool:
        """A global database's secondary: joined to a global cluster without its own master user."""
        return bool(cluster.inputs.get("globalClusterIdentifier")) and not cluster.inputs.get("masterUsername")

    def is_work_queue(self, queue: RecordedResource) -> bool:
        return _str(queue.outputs.get("arn")) not in self.dead_letter_arns

    def volume_type(self, claim: RecordedResource, class_name: str) -> str:
        cluster = self.graph.cluster_of(claim)
        if class_name:
            return self.storage_classes.get((cluster, class_name), "gp2")
        return self.default_storage_class.get(cluster, "gp2")

    def public_zones(self, region: str) -> int:
        subnets = [s for s in self.of("aws:ec2/subnet:Subnet")
                   if str(_tags(s).get("kubernetes.io/role/elb")) == "1" and self.region(s) == region]
        return max(ALB_MIN_ZONES, len({_str(s.inputs.get("availabilityZone")) or s.urn for s in subnets}))

    def _load_balancer_groups(self) -> dict[str, tuple[str, bool]]:
        """Ingress URN -> (group key, internet-facing) for the Ingress that stands for each ALB.

        The AWS Load Balancer Controller makes one ALB per IngressGroup (the group.name
        annotation) and one per Ingress without a group, per cluster.
        """
        leaders: dict[str, tuple[str, bool]] = {}
        seen: set[tuple[str, str]] = set()
        for ingress in self.of(INGRESS):
            annotations = _annotations(ingress)
            spec = ingress.inputs.get("spec") or {}
            ingress_class = _str(spec.get("ingressClassName")) or _str(annotations.get("kubernetes.io/ingress.class"))
            if ingress_class != "alb":
                continue
            group = _str(annotations.get(ALB_GROUP_ANNOTATION)) or ingress.urn
            key = (self.graph.cluster_of(ingress), group)
            if key in seen:
                continue
            seen.add(key)
            leaders[ingress.urn] = (group, annotations.get(ALB_SCHEME_ANNOTATION) == "internet-facing")
        return leaders

    def public_load_balancers(self, region: str) -> int:
        count = sum(1 for urn, (_, public) in self.albs.items() if public and self.region(self.by_urn[urn]) == region)
        count += sum(1 for lb in self.of("aws:lb/loadBalancer:LoadBalancer")
                     if _is_application(lb) and not lb.inputs.get("internal") and self.region(lb) == region)
        return count


def _redrive_target(policy: Any) -> str:
    if isinstance(policy, str) and policy:
        try:
            policy = json.loads(policy)
        except json.JSONDecodeError:
            return ""
    return _str((policy or {}).get("deadLetterTargetArn")) if isinstance(policy, Mapping) else ""


def _is_application(load_balancer: RecordedResource) -> bool:
    return (_str(load_balancer.inputs.get("loadBalancerType")) or "application") == "application"


# -- pricing each type -----------------------------------------------------------------------

@dataclass
class _Context:
    plan: PlanIndex
    book: PriceBook
    usage: UsageProfile
    not_priced: Counter = field(default_factory=Counter)

    def skip(self, what: str, reason: str) -> list[Line]:
        self.not_priced[(what, reason)] += 1
        return []


Pricer = Callable[[RecordedResource, str, _Context], list[Line]]


def _eks_cluster(r: RecordedResource, region: str, c: _Context) -> list[Line]:
    return charges.eks_control_plane(c.book, region)


def _node_group(r: RecordedResource, region: str, c: _Context) -> list[Line]:
    scaling = r.inputs.get("scalingConfig") or {}
    instance_types = r.inputs.get("instanceTypes") or ["t3.medium"]  # EKS's default type when none is given
    disk, volume_type = float(_num(r.inputs.get("diskSize"), EKS_DEFAULT_DISK_GIB)), "gp2"
    template = c.plan.by_id.get(_str((r.inputs.get("launchTemplate") or {}).get("id")))
    if template is not None:
        for mapping in template.inputs.get("blockDeviceMappings") or []:
            ebs = mapping.get("ebs") or {}
            if ebs.get("volumeSize"):
                disk, volume_type = _num(ebs["volumeSize"]), _str(ebs.get("volumeType")) or "gp2"
                break
    lines = charges.node_group(c.book, region, instance_type=instance_types[0],
                               min_size=int(_num(scaling.get("minSize"), 1)), max_size=int(_num(scaling.get("maxSize"), 1)),
                               disk_gib=disk, volume_type=volume_type)
    if r.inputs.get("capacityType") == "SPOT":
        lines[0] = Line(lines[0].description + ", Spot priced at on-demand (upper bound)", lines[0].key, lines[0].unit,
                        lines[0].unit_price, lines[0].quantity, lines[0].quantity_high)
    return lines


def _nat_gateway(r: RecordedResource, region: str, c: _Context) -> list[Line]:
    gateways = c.plan.count_in_region(c.plan.of(r.type), region)
    return charges.nat_gateway(c.book, region, processed_gb=c.usage.nat_gb_per_region_month / gateways)


def _elastic_ip(r: RecordedResource, region: str, c: _Context) -> list[Line]:
    return [charges.line(c.book, "ec2.public-ipv4.hour", region, "public IPv4 address (Elastic IP)", HOURS_PER_MONTH)]


def _vpc_endpoint(r: RecordedResource, region: str, c: _Context) -> list[Line]:
    kind = _str(r.inputs.get("vpcEndpointType")) or "Gateway"
    if kind == "Gateway":
        return []  # S3 and DynamoDB gateway endpoints are free
    if kind != "Interface":
        return c.skip(f"VPC endpoints of type {kind}", "no price key")
    zones = max(1, len(r.inputs.get("subnetIds") or []))
    service = _str(r.inputs.get("serviceName")).split(f".{region}.", 1)[-1]
    return [charges.line(c.book, "vpce.interface.hour", region, f"interface endpoint {service} ({zones} AZs)",
                         zones * HOURS_PER_MONTH)]


def _public_traffic_share(region: str, c: _Context) -> tuple[float, float]:
    balancers = max(1, c.plan.public_load_balancers(region))
    return (c.usage.origin_gb_per_region_month / balancers, c.usage.origin_requests_per_region_month / balancers)


def _ingress(r: RecordedResource, region: str, c: _Context) -> list[Line]:
    if r.urn not in c.plan.albs:
        return []
    group, public = c.plan.albs[r.urn]
    label = "Application Load Balancer" + (f" (IngressGroup {group})" if group != r.urn else "")
    return _alb_lines(region, c, public, label)


def _load_balancer(r: RecordedResource, region: str, c: _Context) -> list[Line]:
    if not _is_application(r):
        return c.skip(f"{r.inputs.get('loadBalancerType')} load balancers", "no price key")
    return _alb_lines(region, c, not r.inputs.get("internal"), "Application Load Balancer",
                      zones=len(r.inputs.get("subnets") or r.inputs.get("subnetMappings") or []))


def _alb_lines(region: str, c: _Context, public: bool, label: str, zones: int = 0) -> list[Line]:
    if not public:
        return charges.load_balancer(c.book, region, processed_gb=0, origin_requests=0, description=label + ", internal")
    processed_gb, requests = _public_traffic_share(region, c)
    zones = max(ALB_MIN_ZONES, zones or c.plan.public_zones(region))
    return [*charges.load_balancer(c.book, region, processed_gb=processed_gb, origin_requests=requests, description=label),
            charges.line(c.book, "ec2.public-ipv4.hour", region, f"public IPv4 addresses (one per AZ, {zones})",
                         zones * HOURS_PER_MONTH)]


def _distribution(r: RecordedResource, region: str, c: _Context) -> list[Line]:
    count = len(c.plan.of(r.type))
    return charges.cloudfront(c.book, region, egress_gb=c.usage.cdn_egress_gb_per_month / count,
                              requests=c.usage.requests_per_month / count)


def _web_acl(r: RecordedResource, region: str, c: _Context) -> list[Line]:
    acls = c.plan.of(r.type)
    if r.inputs.get("scope") == "CLOUDFRONT":
        requests = c.usage.requests_per_month / sum(1 for a in acls if a.inputs.get("scope") == "CLOUDFRONT")
    else:
        regional = [a for a in acls if a.inputs.get("scope") != "CLOUDFRONT"]
        requests = c.usage.origin_requests_per_region_month / c.plan.count_in_region(regional, region)
    return charges.web_acl(c.book, region, rules=len(r.inputs.get("rules") or []), requests=requests)


def _zone(r: RecordedResource, region: str, c: _Context) -> list[Line]:
    return charges.hosted_zone(c.book, region)


def _health_check(r: RecordedResource, region: str, c: _Context) -> list[Line]:
    kind = _str(r.inputs.get("type"))
    https = kind.startswith("HTTPS")
    options = [name for name, on in (
        ("latency measurement", bool(r.inputs.get("measureLatency"))),
        ("string matching", kind.endswith("STR_MATCH")),
        ("fast interval", _num(r.inputs.get("requestInterval"), 30) < 30),
    ) if on]
    lines = [charges.line(c.book, "route53.healthcheck-https.month" if https else "route53.healthcheck.month", region,
                          f"Route 53 health check ({'HTTPS' if https else kind or 'basic'})", 1)]
    if options:
        lines.append(charges.line(c.book, "route53.healthcheck-option.month", region,
                                  f"health check options ({', '.join(options)})", len(options)))
    return lines


def _record(r: RecordedResource, region: str, c: _Context) -> list[Line]:
    aliases = r.inputs.get("aliases") or []
    if aliases and all(_str(a.get("name")).rstrip(".").endswith(FREE_ALIAS_SUFFIXES) for a in aliases):
        return []  # queries to aliases of AWS resources are free
    if _str(r.inputs.get("name")).startswith("_"):
        return []  # verification records (ACM, DKIM) see a handful of queries
    return c.skip("Route 53 queries to non-alias records", "query volume per record is not modelled")


def _rds_cluster(r: RecordedResource, region: str, c: _Context) -> list[Line]:
    primaries = c.plan.primary_clusters
    storage = c.usage.database_gb / max(1, len(primaries))
    if c.plan.is_secondary(r):
        # A secondary holds a copy of its primary's volume and is billed the writes it replicates.
        region_primaries = max(1, c.plan.count_in_region(primaries, region))
        writes = c.usage.database_ios_per_region_month / region_primaries
        return [charges.line(c.book, "aurora.storage.gb-month", region, "Aurora storage (global secondary)", storage),
                charges.line(c.book, "aurora.global.replicated-write-io.1m", region, "replicated write I/Os",
                             writes / 1_000_000)]
    region_primaries = max(1, c.plan.count_in_region(primaries, region))
    retention = _num(r.inputs.get("backupRetentionPeriod"), 1)
    return charges.aurora_storage(c.book, region, storage_gb=storage,
                                  ios=c.usage.database_ios_per_region_month / region_primaries,
                                  backup_gb=c.usage.backup_gb(storage, retention))


def _rds_instance(r: RecordedResource, region: str, c: _Context) -> list[Line]:
    instance_class = _str(r.inputs.get("instanceClass"))
    if instance_class == "db.serverless":
        cluster = c.plan.rds_clusters.get(_str(r.inputs.get("clusterIdentifier")))
        scaling = (cluster.inputs.get("serverlessv2ScalingConfiguration") or {}) if cluster else {}
        low, high = _num(scaling.get("minCapacity"), 0.5), _num(scaling.get("maxCapacity"), 0.5)
        return [charges.line(c.book, "aurora.serverless.acu-hour", region, f"Aurora Serverless v2 ({low:g} to {high:g} ACU)",
                             low * HOURS_PER_MONTH, high * HOURS_PER_MONTH)]
    return charges.aurora_instances(c.book, region, instance_class=instance_class, count=1)


def _scaling_target(r: RecordedResource, region: str, c: _Context) -> list[Line]:
    if r.inputs.get("scalableDimension") != "rds:cluster:ReadReplicaCount":
        return []
    cluster = c.plan.rds_clusters.get(_str(r.inputs.get("resourceId")).removeprefix("cluster:"))
    if cluster is None:
        return c.skip("Aurora reader autoscaling of clusters outside the plan", "the cluster's instance class is unknown")
    instances = c.plan.rds_instances.get(cluster.urn, [])
    # Every instance of a primary but its writer is a reader; a secondary has no writer.
    provisioned_readers = len(instances) - (0 if c.plan.is_secondary(cluster) else 1)
    extra = max(0, int(_num(r.inputs.get("maxCapacity"))) - max(0, provisioned_readers))
    if not instances or not extra:
        return []
    instance_class = _str(instances[-1].inputs.get("instanceClass"))
    return [charges.line(c.book, aurora_instance_key(instance_class), region,
                         f"Aurora autoscaled readers {instance_class} (0 to {extra} beyond the provisioned)",
                         0, extra * HOURS_PER_MONTH)]


def _replication_group(r: RecordedResource, region: str, c: _Context) -> list[Line]:
    if r.inputs.get("numNodeGroups") is not None or r.inputs.get("clusterMode") == "enabled":
        nodes = int(_num(r.inputs.get("numNodeGroups"), 1)) * (int(_num(r.inputs.get("replicasPerNodeGroup"), 0)) + 1)
    else:
        nodes = int(_num(r.inputs.get("numCacheClusters"), 1))
    engine = _str(r.inputs.get("engine")) or "redis"
    return charges.cache_nodes(c.book, region, engine=engine, node_type=_str(r.inputs.get("nodeType")), nodes=nodes)


def _queue(r: RecordedResource, region: str, c: _Context) -> list[Line]:
    if not c.plan.is_work_queue(r):
        return []  # a dead-letter queue receives only the requests that failed every attempt
    work_queues = [q for q in c.plan.of(r.type) if c.plan.is_work_queue(q)]
    return charges.queue(c.book, region, requests=c.usage.queue_requests_per_region_month
                         / c.plan.count_in_region(work_queues, region))


def _kms_key(r: RecordedResource, region: str, c: _Context) -> list[Line]:
    return charges.kms_key(c.book, region)


def _secret(r: RecordedResource, region: str, c: _Context) -> list[Line]:
    return charges.secret(c.book, region)


def _alarm(r: RecordedResource, region: str, c: _Context) -> list[Line]:
    queries = r.inputs.get("metricQueries") or []
    metrics = sum(1 for q in queries if q.get("metric")) if queries else 1
    return charges.alarm(c.book, region, metrics=max(1, metrics))


def _dashboard(r: RecordedResource, region: str, c: _Context) -> list[Line]:
    return charges.dashboard(c.book, region)


def _budget(r: RecordedResource, region: str, c: _Context) -> list[Line]:
    return charges.budget(c.book, region)


def _log_group(r: RecordedResource, region: str, c: _Context) -> list[Line]:
    name = _str(r.inputs.get("name"))
    arn = _str(r.outputs.get("arn"))
    retention = _num(r.inputs.get("retentionInDays")) or None
    usage = c.usage
    if arn in c.plan.flow_log_destinations or name in c.plan.flow_log_destinations:
        groups = [g for g in c.plan.of(r.type)
                  if _str(g.outputs.get("arn")) in c.plan.flow_log_destinations
                  or _str(g.inputs.get("name")) in c.plan.flow_log_destinations]
        ingest, what = usage.flow_log_gb_per_region_month / c.plan.count_in_region(groups, region), "VPC flow logs"
    elif name.startswith(WAF_LOG_PREFIX):
        waf_groups = sum(1 for g in c.plan.of(r.type) if _str(g.inputs.get("name")).startswith(WAF_LOG_PREFIX))
        ingest, what = usage.waf_log_gb_per_month / waf_groups, "WAF logs"
    elif (match := EKS_CONTROL_PLANE_LOG.match(name)) is not None:
        cluster = c.plan.eks_clusters.get(match.group("cluster"))
        log_types = list(cluster.inputs.get("enabledClusterLogTypes") or []) if cluster else []
        ingest, what = usage.control_plane_log_gb(log_types), f"EKS control plane ({', '.join(log_types) or 'none'})"
    elif RDS_LOG.match(name):
        ingest, what = usage.settings.database_log_gb_per_cluster, "Aurora PostgreSQL log"
    else:
        return c.skip("log groups of unmodelled sources (e.g. cache slow logs)", "their volume is not modelled")
    return charges.log_group(c.book, region, ingest_gb=ingest, retention_days=retention, description=what)


def _bucket(r: RecordedResource, region: str, c: _Context) -> list[Line]:
    name = _str(r.outputs.get("bucket")) or _str(r.inputs.get("bucket"))
    domain = _str(r.outputs.get("bucketDomainName"))
    if not ({name, domain, f"{name}.s3.amazonaws.com"} & c.plan.access_log_buckets):
        return c.skip("S3 buckets other than CloudFront access logs", "their contents are not modelled")
    retention = c.plan.lifecycle_days.get(r.id) or c.plan.lifecycle_days.get(name)
    stored = c.usage.access_log_gb_per_month * charges.retained_months(retention)
    return charges.bucket(c.book, region, stored_gb=stored, puts=charges.cloudfront_log_puts(),
                          description=f"CloudFront access logs, kept {retention:g} days" if retention
                          else "CloudFront access logs, never expire")


def _ssm_parameter(r: RecordedResource, region: str, c: _Context) -> list[Line]:
    if r.inputs.get("tier") in ("Advanced", "Intelligent-Tiering"):
        return c.skip("SSM Advanced parameters ($0.05 a month each)", "no price key in the snapshot")
    return []


def _volume_claim(r: RecordedResource, region: str, c: _Context) -> list[Line]:
    spec = r.inputs.get("spec") or {}
    gib = _gib(((spec.get("resources") or {}).get("requests") or {}).get("storage", 0))
    volume_type = c.plan.volume_type(r, _str(spec.get("storageClassName")))
    name = _str((r.inputs.get("metadata") or {}).get("name")) or r.name
    return charges.ebs_volumes(c.book, region, gib=gib, count=1, volume_type=volume_type, description=f"volume {name}")


def _release(r: RecordedResource, region: str, c: _Context) -> list[Line]:
    """Volumes a chart's StatefulSets claim: each volumeClaimTemplate times its nearest replicas count."""
    lines = []
    for path, template, replicas in _claim_templates(r.inputs.get("values") or {}):
        spec = template.get("spec") or {}
        gib = _gib(((spec.get("resources") or {}).get("requests") or {}).get("storage", 0))
        if gib:
            volume_type = c.plan.volume_type(r, _str(spec.get("storageClassName")))
            lines.extend(charges.ebs_volumes(c.book, region, gib=gib, count=replicas, volume_type=volume_type,
                                             description=f"{_str(r.inputs.get('chart')) or r.name} {path} volumes"))
    return lines


def _claim_templates(values: Any, path: str = "", replicas: int = 1) -> Iterable[tuple[str, Mapping[str, Any], int]]:
    if isinstance(values, Mapping):
        if isinstance(values.get("replicas"), (int, float)) and not isinstance(values.get("replicas"), bool):
            replicas = int(values["replicas"])
        for key, value in values.items():
            if key == "volumeClaimTemplate" and isinstance(value, Mapping):
                yield path or key, value, replicas
            else:
                yield from _claim_templates(value, f"{path}.{key}" if path else key, replicas)
    elif isinstance(values, list):
        for item in values:
            yield from _claim_templates(item, path, replicas)


PRICERS: dict[str, Pricer] = {
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _node_group,
    "aws:ec2/natGateway:NatGateway": _nat_gateway,
    "aws:ec2/eip:Eip": _elastic_ip,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    INGRESS: _ingress,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:alb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:cloudfront/distribution:Distribution": _distribution,
    "aws:wafv2/webAcl:WebAcl": _web_acl,
    "aws:route53/zone:Zone": _zone,
    "aws:route53/healthCheck:HealthCheck": _health_check,
    "aws:route53/record:Record": _record,
    "aws:rds/cluster:Cluster": _rds_cluster,
    "aws:rds/clusterInstance:ClusterInstance": _rds_instance,
    "aws:appautoscaling/target:Target": _scaling_target,
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    "aws:sqs/queue:Queue": _queue,
    "aws:kms/key:Key": _kms_key,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _alarm,
    "aws:cloudwatch/dashboard:Dashboard": _dashboard,
    "aws:budgets/budget:Budget": _budget,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketV2:BucketV2": _bucket,
    "aws:ssm/parameter:Parameter": _ssm_parameter,
    "kubernetes:core/v1:PersistentVolumeClaim": _volume_claim,
    "kubernetes:helm.sh/v3:Release": _release,
}

# Chargeable types tierstack does not create, named so a foreign plan says what it left out.
KNOWN_UNPRICED: dict[str, str] = {
    "aws:ec2/instance:Instance": "stand-alone EC2 instances are not priced (node groups are)",
    "aws:rds/instance:Instance": "non-Aurora RDS instances are not priced",
    "aws:elasticache/cluster:Cluster": "stand-alone ElastiCache clusters are not priced (replication groups are)",
    "aws:elasticache/serverlessCache:ServerlessCache": "ElastiCache Serverless is not priced",
    "aws:dynamodb/table:Table": "DynamoDB is not priced",
    "aws:lambda/function:Function": "Lambda is not priced",
    "aws:ebs/volume:Volume": "stand-alone EBS volumes are not priced",
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": "Kinesis Data Firehose is not priced",
}


def estimate_plan(resources: Sequence[RecordedResource], *, usage: UsageProfile, ai: AiEstimate, book: PriceBook,
                  regions: Sequence[str], stack: str = "", tier: str = "") -> Estimate:
    """Every chargeable resource of the plan, priced; ``regions`` (home first) as the stack configures them."""
    plan = PlanIndex(resources, regions[0] if regions else "us-east-1")
    context = _Context(plan, book, usage)
    priced: list[ResourceCost] = []
    for resource in plan.priced:
        pricer = PRICERS.get(resource.type)
        if pricer is None:
            if resource.type in KNOWN_UNPRICED:
                context.skip(resource.type, KNOWN_UNPRICED[resource.type])
            continue
        region = plan.region(resource)
        lines = pricer(resource, region, context)
        if lines:
            priced.append(ResourceCost(resource.urn, resource.type, resource.name, region, plan.component(resource), lines))
    not_priced = [NotPriced(what, count, reason) for (what, reason), count in sorted(context.not_priced.items())]
    return Estimate(stack=stack, tier=tier, price_date=book.price_date, regions=list(regions), resources=priced,
                    usage=usage, ai=ai, not_priced=not_priced)


def estimate_stack_plan(resources: Sequence[RecordedResource], config: "StackConfig", book: PriceBook, *,
                        stack: str) -> Estimate:
    """A tierstack stack's plan priced with the usage and AI profile its config implies."""
    usage = stack_usage_profile(config)
    return estimate_plan(resources, usage=usage, ai=estimate_stack_ai(config, usage.requests_per_month, book), book=book,
                         regions=config.regions, stack=stack, tier=config.tier.value)


@dataclass(frozen=True)
class TierCost:
    """One tier's bill, and what it comes to per request and per concurrent user."""

    tier: str
    regions: tuple[str, ...]
    concurrent_users: int
    requests_per_month: float
    infrastructure_low: float
    infrastructure_high: float
    ai_monthly: float
    ai_without_levers: float

    @property
    def total_low(self) -> float:
        return self.infrastructure_low + self.ai_monthly

    def per_thousand_requests(self, amount: float) -> float:
        return amount / self.requests_per_month * 1000 if self.requests_per_month else 0.0

    def per_concurrent_user(self, amount: float) -> float:
        return amount / self.concurrent_users

    def to_json(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "regions": list(self.regions),
            "concurrentUsers": self.concurrent_users,
            "requestsPerMonth": self.requests_per_month,
            "infrastructureMonthly": {"low": self.infrastructure_low, "high": self.infrastructure_high},
            "aiMonthly": self.ai_monthly,
            "aiMonthlyWithoutCachingOrRouting": self.ai_without_levers,
            "totalMonthly": self.total_low,
            "per1000Requests": {"infrastructure": self.per_thousand_requests(self.infrastructure_low),
                                "ai": self.per_thousand_requests(self.ai_monthly),
                                "total": self.per_thousand_requests(self.total_low)},
            "perConcurrentUserMonthly": {"infrastructure": self.per_concurrent_user(self.infrastructure_low),
                                         "ai": self.per_concurrent_user(self.ai_monthly),
                                         "total": self.per_concurrent_user(self.total_low)},
        }


def tier_cost(estimate: Estimate) -> TierCost:
    return TierCost(estimate.tier, tuple(estimate.regions), estimate.usage.concurrent_users,
                    estimate.usage.requests_per_month, estimate.total_monthly, estimate.total_monthly_high,
                    estimate.ai.monthly, estimate.ai.baseline.monthly)
