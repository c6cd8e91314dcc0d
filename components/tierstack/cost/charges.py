"""What AWS charges each kind of resource for: the pricing functions both estimates share.

Each function takes the price book, the region and plain quantities (sizes, counts, GB, request
counts) and returns the charge lines. The plan-based estimate (``estimate``) reads the quantities
from recorded resource inputs; the config-based one (``configured``) from the settings that
produce those inputs. One function per kind of charge is what keeps the two in agreement.

A line carries a low and a high quantity: they differ only where the plan sets a range (node
groups between their minimum and maximum size, Aurora readers between the provisioned count and
the autoscaling ceiling).

How AWS meters each charge (the pages named are AWS's pricing pages, read 2026-05):
- EKS, EC2, NAT gateways, load balancers, Aurora and ElastiCache instances: per hour running.
- EBS, Aurora storage and backups, S3, CloudWatch Logs storage: per GB-month stored.
- Application Load Balancer LCUs: per hour, the largest of four dimensions averaged over the
  hour; for IP/instance targets one LCU is 25 new connections/s, 3,000 active connections/min,
  1 GB processed per hour or 1,000 rule evaluations/s (Elastic Load Balancing pricing, "LCU
  details"). The first 10 rules are free, and the public API's Ingress has fewer.
- CloudWatch alarms: per metric an alarm evaluates (a metric-math alarm over 3 metrics bills 3;
  CloudWatch pricing, "Alarms").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from tierstack.cost.prices import PriceBook, aurora_instance_key, cache_node_key, ec2_instance_key
from tierstack.cost.usage import DAYS_PER_MONTH, HOURS_PER_MONTH, LOG_STORAGE_COMPRESSION

# CloudFront keeps connections to origins open and reuses them (CloudFront Developer Guide,
# "Persistent connections"); one new connection per ten origin requests is the guess.
ORIGIN_REQUESTS_PER_CONNECTION = 10
NEW_CONNECTIONS_PER_LCU = 25  # per second
PROCESSED_GB_PER_LCU = 1  # per hour, for instance and IP targets
# Log groups that never expire are priced as if they held a year, the longest finite
# retention any tier sets; the real figure keeps growing.
UNBOUNDED_RETENTION_DAYS = 365
# CloudFront delivers standard logs as files "up to several times an hour" per edge location
# (CloudFront Developer Guide, "Standard logging"); 100 files an hour is the guess for a
# distribution served from many locations.
CLOUDFRONT_LOG_FILES_PER_HOUR = 100


class MissingPrice(KeyError):
    """The snapshot has no price for a key in a region (a size or region it does not cover)."""

    def __str__(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class Line:
    """One charge: quantity (low and high) of a unit at a unit price."""

    description: str
    key: str
    unit: str
    unit_price: float
    quantity: float
    quantity_high: Optional[float] = None

    @property
    def high_quantity(self) -> float:
        return self.quantity if self.quantity_high is None else self.quantity_high

    @property
    def monthly(self) -> float:
        return self.quantity * self.unit_price

    @property
    def monthly_high(self) -> float:
        return self.high_quantity * self.unit_price

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {"description": self.description, "unit": self.unit, "quantity": self.quantity,
                                   "unitPrice": self.unit_price, "monthly": self.monthly, "priceKey": self.key}
        if self.quantity_high is not None and self.quantity_high != self.quantity:
            data["quantityHigh"] = self.quantity_high
            data["monthlyHigh"] = self.monthly_high
        return data


def line(book: PriceBook, key: str, region: str, description: str, quantity: float,
         quantity_high: Optional[float] = None) -> Line:
    try:
        price = book.get(key, region)
    except KeyError as error:
        raise MissingPrice(error.args[0]) from None
    return Line(description, key, price.unit, price.usd, float(quantity),
                None if quantity_high is None else float(quantity_high))


# -- compute ---------------------------------------------------------------------------------

def eks_control_plane(book: PriceBook, region: str) -> list[Line]:
    return [line(book, "eks.cluster.hour", region, "EKS control plane (standard support)", HOURS_PER_MONTH)]


def node_group(book: PriceBook, region: str, *, instance_type: str, min_size: int, max_size: int,
               disk_gib: float, volume_type: str = "gp3") -> list[Line]:
    """Nodes at the group's minimum (low) and maximum (high), each with its root volume."""
    return [
        line(book, ec2_instance_key(instance_type), region, f"{instance_type} nodes ({min_size} to {max_size})",
             min_size * HOURS_PER_MONTH, max_size * HOURS_PER_MONTH),
        line(book, f"ebs.{volume_type}.gb-month", region, f"{volume_type} root volumes ({disk_gib:g} GiB per node)",
             disk_gib * min_size, disk_gib * max_size),
    ]


def ebs_volumes(book: PriceBook, region: str, *, gib: float, count: int, volume_type: str, description: str) -> list[Line]:
    return [line(book, f"ebs.{volume_type}.gb-month", region, f"{description} ({count} x {gib:g} GiB {volume_type})",
                 gib * count)]


# -- network ---------------------------------------------------------------------------------

def nat_gateway(book: PriceBook, region: str, *, processed_gb: float) -> list[Line]:
    return [
        line(book, "nat.hour", region, "NAT gateway", HOURS_PER_MONTH),
        line(book, "nat.gb", region, "NAT data processed", processed_gb),
    ]


def lcu_hours(processed_gb: float, origin_requests: float) -> float:
    """LCU-hours a month: each hour bills its largest dimension; traffic is spread over the month."""
    per_hour_gb = processed_gb / HOURS_PER_MONTH
    new_connections_per_second = origin_requests / ORIGIN_REQUESTS_PER_CONNECTION / (HOURS_PER_MONTH * 3600)
    lcus = max(per_hour_gb / PROCESSED_GB_PER_LCU, new_connections_per_second / NEW_CONNECTIONS_PER_LCU)
    return lcus * HOURS_PER_MONTH


def load_balancer(book: PriceBook, region: str, *, processed_gb: float, origin_requests: float,
                  description: str = "Application Load Balancer") -> list[Line]:
    return [
        line(book, "alb.hour", region, description, HOURS_PER_MONTH),
        line(book, "alb.lcu-hour", region, "load balancer capacity units", lcu_hours(processed_gb, origin_requests)),
    ]


def cloudfront(book: PriceBook, region: str, *, egress_gb: float, requests: float) -> list[Line]:
    return [
        line(book, "cloudfront.egress.gb", region, "CloudFront data transfer out to viewers", egress_gb),
        line(book, "cloudfront.https.10k-requests", region, "CloudFront HTTPS requests", requests / 10_000),
    ]


def web_acl(book: PriceBook, region: str, *, rules: int, requests: float) -> list[Line]:
    return [
        line(book, "waf.acl.month", region, "WAF web ACL", 1),
        line(book, "waf.rule.month", region, f"WAF rules and managed rule groups ({rules})", rules),
        line(book, "waf.request.1m", region, "WAF requests inspected", requests / 1_000_000),
    ]


def hosted_zone(book: PriceBook, region: str) -> list[Line]:
    return [line(book, "route53.zone.month", region, "Route 53 hosted zone", 1)]


def health_check(book: PriceBook, region: str) -> list[Line]:
    return [line(book, "route53.healthcheck.month", region, "Route 53 health check", 1)]


# -- data ------------------------------------------------------------------------------------

def aurora_instances(book: PriceBook, region: str, *, instance_class: str, count: int,
                     count_high: Optional[int] = None, role: str = "instance") -> list[Line]:
    high = count if count_high is None else count_high
    span = f"{count}" if high == count else f"{count} to {high}"
    return [line(book, aurora_instance_key(instance_class), region, f"Aurora {role} {instance_class} ({span})",
                 count * HOURS_PER_MONTH, None if count_high is None else high * HOURS_PER_MONTH)]


def aurora_storage(book: PriceBook, region: str, *, storage_gb: float, ios: float, backup_gb: float) -> list[Line]:
    return [
        line(book, "aurora.storage.gb-month", region, "Aurora storage", storage_gb),
        line(book, "aurora.io.1m-requests", region, "Aurora I/O requests", ios / 1_000_000),
        line(book, "aurora.backup.gb-month", region, "Aurora backups beyond the free copy", backup_gb),
    ]


def cache_nodes(book: PriceBook, region: str, *, engine: str, node_type: str, nodes: int) -> list[Line]:
    return [line(book, cache_node_key(engine, node_type), region, f"ElastiCache {engine} {node_type} nodes ({nodes})",
                 nodes * HOURS_PER_MONTH)]


def queue(book: PriceBook, region: str, *, requests: float) -> list[Line]:
    return [line(book, "sqs.request.1m", region, "SQS requests", requests / 1_000_000)]


def bucket(book: PriceBook, region: str, *, stored_gb: float, puts: float, description: str) -> list[Line]:
    return [
        line(book, "s3.storage.gb-month", region, f"S3 storage ({description})", stored_gb),
        line(book, "s3.put.1k", region, "S3 PUT requests", puts / 1000),
    ]


# -- security and operations -----------------------------------------------------------------

def kms_key(book: PriceBook, region: str) -> list[Line]:
    return [line(book, "kms.key.month", region, "KMS customer managed key", 1)]


def secret(book: PriceBook, region: str) -> list[Line]:
    return [line(book, "secretsmanager.secret.month", region, "Secrets Manager secret", 1)]


def alarm(book: PriceBook, region: str, *, metrics: int) -> list[Line]:
    return [line(book, "cloudwatch.alarm.month", region, f"CloudWatch alarm ({metrics} metric{'s' if metrics != 1 else ''})",
                 metrics)]


def dashboard(book: PriceBook, region: str) -> list[Line]:
    return [line(book, "cloudwatch.dashboard.month", region, "CloudWatch dashboard", 1)]


def budget(book: PriceBook, region: str) -> list[Line]:
    return [line(book, "budgets.budget.month", region, "AWS Budgets budget", 1)]


def retained_months(retention_days: Optional[float]) -> float:
    days = UNBOUNDED_RETENTION_DAYS if not retention_days else retention_days
    return days / DAYS_PER_MONTH


def log_group(book: PriceBook, region: str, *, ingest_gb: float, retention_days: Optional[float],
              description: str) -> list[Line]:
    """Ingestion, and storage once the group holds its whole retention window (compressed)."""
    stored = ingest_gb * retained_months(retention_days) * LOG_STORAGE_COMPRESSION
    kept = f"{retention_days:g} days" if retention_days else f"never expires, priced at {UNBOUNDED_RETENTION_DAYS} days"
    return [
        line(book, "cloudwatch.logs.ingest.gb", region, f"log ingestion: {description}", ingest_gb),
        line(book, "cloudwatch.logs.storage.gb-month", region, f"log storage ({kept})", stored),
    ]


def cloudfront_log_puts() -> float:
    return CLOUDFRONT_LOG_FILES_PER_HOUR * HOURS_PER_MONTH
