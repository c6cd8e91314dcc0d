"""Regenerate the price snapshot from the AWS Price List Query API.

``refresh_snapshot`` asks the ``pricing`` endpoint (served from us-east-1) for the products
behind each key family, reads each product's on-demand price, and writes a new snapshot dated
``today``. A key whose product it cannot find (a family the API names differently, a service the
API does not list, a region that does not offer it) keeps the previous snapshot's figure and
source and is reported as not refreshed, so a refresh never silently loses a price. A figure
that moved by more than ``PLAUSIBLE_CHANGE`` against the previous snapshot is held back and
reported too: list prices do not double overnight, a product matched by mistake does.

The Price List API reports every price per its own unit (per hour, per GB-month, per request,
per I/O); each rule below says how that unit converts into the snapshot's unit.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

from tierstack.catalog.models import BEDROCK_MODELS
from tierstack.cost.prices import BUNDLED_SNAPSHOT, GLOBAL_REGION, Price, PriceBook, load_price_book

# Global keys (one price everywhere) are read from this region's products.
HOME_REGION = "us-east-1"
# The largest ratio, either way, between a refreshed figure and the previous one that is taken
# without question.
PLAUSIBLE_CHANGE = 2.0

# (key, multiplier from the API's per-unit price to the snapshot's unit), or None to skip.
Match = tuple[str, float] | None
Rule = Callable[[Mapping[str, str]], Match]


@dataclass(frozen=True)
class ProductQuery:
    """One GetProducts query and how its products become snapshot keys.

    ``scope`` is "each" (one query per region, filtered by regionCode), "home" (one query in
    HOME_REGION, for keys stored globally) or "none" (no region filter: Route 53, CloudFront).
    """

    service_code: str
    filters: Mapping[str, str]
    scope: str
    rule: Rule


# A usage type's region prefix: USE1-, EU- (eu-west-1), APN1-, EUC1-...; us-east-1 often has none.
_REGION_PREFIX = r"(?:[A-Z]{2,4}[0-9]?-)?"


def _usage(attributes: Mapping[str, str], name: str) -> bool:
    """usagetype is exactly ``name`` after an optional region prefix (so "Request" is not "BotControl-Request")."""
    return re.fullmatch(_REGION_PREFIX + re.escape(name), attributes.get("usagetype", "")) is not None


def _ec2_instance(a: Mapping[str, str]) -> Match:
    if a.get("licenseModel", "No License required") != "No License required" or "instanceType" not in a:
        return None
    return f"ec2.{a['instanceType']}.hour", 1.0


def _nat(a: Mapping[str, str]) -> Match:
    if _usage(a, "NatGateway-Hours"):
        return "nat.hour", 1.0
    if _usage(a, "NatGateway-Bytes"):
        return "nat.gb", 1.0
    return None


def _ebs(a: Mapping[str, str]) -> Match:
    volume = a.get("volumeApiName")
    if volume in ("gp2", "gp3") and _usage(a, f"EBS:VolumeUsage.{volume}"):
        return f"ebs.{volume}.gb-month", 1.0
    return None


def _vpc(a: Mapping[str, str]) -> Match:
    if _usage(a, "VpcEndpoint-Hours"):
        return "vpce.interface.hour", 1.0
    if _usage(a, "VpcEndpoint-Bytes"):
        return "vpce.gb", 1.0
    if _usage(a, "PublicIPv4:InUseAddress"):
        return "ec2.public-ipv4.hour", 1.0
    return None


def _eks(a: Mapping[str, str]) -> Match:
    if _usage(a, "AmazonEKS-Hours:perCluster"):
        return "eks.cluster.hour", 1.0
    if _usage(a, "AmazonEKS-Hours:extendedSupport"):
        return "eks.cluster.extended-support.hour", 1.0
    return None


def _alb(a: Mapping[str, str]) -> Match:
    if _usage(a, "LoadBalancerUsage"):
        return "alb.hour", 1.0
    if _usage(a, "LCUUsage"):
        return "alb.lcu-hour", 1.0
    return None


def _aurora(a: Mapping[str, str]) -> Match:
    usage = a.get("usagetype", "")
    # Aurora Standard instance hours; the I/O-Optimized configuration bills under its own usage type.
    if "InstanceUsage:" in usage and "IOOptimized" not in usage and a.get("instanceType", "").startswith("db."):
        return f"aurora.{a['instanceType']}.hour", 1.0
    if _usage(a, "Aurora:StorageUsage"):
        return "aurora.storage.gb-month", 1.0
    if _usage(a, "Aurora:StorageIOUsage"):
        return "aurora.io.1m-requests", 1_000_000.0
    if _usage(a, "Aurora:BackupUsage"):
        return "aurora.backup.gb-month", 1.0
    if _usage(a, "Aurora:ServerlessV2Usage"):
        return "aurora.serverless.acu-hour", 1.0
    if _usage(a, "Aurora:GlobalDbReplicatedWriteIO"):
        return "aurora.global.replicated-write-io.1m", 1_000_000.0
    return None


_CACHE_ENGINES = {"Redis": "redis", "Valkey": "valkey"}


def _elasticache(a: Mapping[str, str]) -> Match:
    engine = _CACHE_ENGINES.get(a.get("cacheEngine", ""))
    if engine is None or "NodeUsage:" not in a.get("usagetype", "") or "ExtendedSupport" in a.get("usagetype", ""):
        return None
    return f"elasticache.{engine}.{a['instanceType']}.hour", 1.0


def _cloudwatch(a: Mapping[str, str]) -> Match:
    if _usage(a, "DataProcessing-Bytes"):
        return "cloudwatch.logs.ingest.gb", 1.0
    if _usage(a, "TimedStorage-ByteHrs"):
        return "cloudwatch.logs.storage.gb-month", 1.0
    if _usage(a, "CW:AlarmMonitorUsage"):
        return "cloudwatch.alarm.month", 1.0
    if _usage(a, "CW:MetricMonitorUsage"):
        return "cloudwatch.metric.month", 1.0
    if _usage(a, "DashboardsUsageHour-Basic"):
        return "cloudwatch.dashboard.month", 1.0
    return None


def _s3(a: Mapping[str, str]) -> Match:
    if _usage(a, "TimedStorage-ByteHrs"):
        return "s3.storage.gb-month", 1.0
    if _usage(a, "Requests-Tier1"):
        return "s3.put.1k", 1_000.0
    if _usage(a, "Requests-Tier2"):
        return "s3.get.1k", 1_000.0
    return None


def _cloudfront(a: Mapping[str, str]) -> Match:
    if a.get("usagetype") == "US-DataTransfer-Out-Bytes":
        return "cloudfront.egress.gb", 1.0
    if a.get("usagetype") == "US-Requests-Tier2-HTTPS":
        return "cloudfront.https.10k-requests", 10_000.0
    return None


_ROUTE53 = {
    "HostedZone": ("route53.zone.month", 1.0),
    "DNS-Queries": ("route53.query.1m", 1_000_000.0),
    "LBR-Queries": ("route53.latency-query.1m", 1_000_000.0),
    "Geo-Queries": ("route53.geo-query.1m", 1_000_000.0),
    "Health-Check-AWS": ("route53.healthcheck.month", 1.0),
}


def _route53(a: Mapping[str, str]) -> Match:
    return _ROUTE53.get(a.get("usagetype", ""))


def _waf(a: Mapping[str, str]) -> Match:
    if _usage(a, "WebACL"):
        return "waf.acl.month", 1.0
    if _usage(a, "Rule"):
        return "waf.rule.month", 1.0
    if _usage(a, "Request"):
        return "waf.request.1m", 1_000_000.0
    return None


def _kms(a: Mapping[str, str]) -> Match:
    if _usage(a, "KMS-Keys"):
        return "kms.key.month", 1.0
    if _usage(a, "KMS-Requests"):
        return "kms.request.10k", 10_000.0
    return None


def _secrets(a: Mapping[str, str]) -> Match:
    if _usage(a, "AWSSecretsManager-Secrets"):
        return "secretsmanager.secret.month", 1.0
    if _usage(a, "AWSSecretsManager-APIRequest"):
        return "secretsmanager.api.10k", 10_000.0
    return None


def _sqs(a: Mapping[str, str]) -> Match:
    if _usage(a, "Requests-Tier1"):
        return "sqs.request.1m", 1_000_000.0
    return None


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


# Bedrock lists a model under its display name without the vendor ("Claude Sonnet 4.5").
_BEDROCK_BY_NAME = {_normalise(m.name.split(" ", 1)[1]): m.slug for m in BEDROCK_MODELS}


def _bedrock(a: Mapping[str, str]) -> Match:
    slug = _BEDROCK_BY_NAME.get(_normalise(a.get("model", "")))
    kind = a.get("inferenceType", "").lower()
    if slug is None or "batch" in kind or "cache" in kind:
        return None
    if kind.startswith("input"):
        return f"bedrock.{slug}.input.1k-tokens", 1.0
    if kind.startswith("output"):
        return f"bedrock.{slug}.output.1k-tokens", 1.0
    return None


QUERIES: tuple[ProductQuery, ...] = (
    ProductQuery("AmazonEC2", {"productFamily": "Compute Instance", "operatingSystem": "Linux", "tenancy": "Shared",
                               "preInstalledSw": "NA", "capacitystatus": "Used"}, "each", _ec2_instance),
    ProductQuery("AmazonEC2", {"productFamily": "NAT Gateway"}, "each", _nat),
    ProductQuery("AmazonEC2", {"productFamily": "Storage"}, "each", _ebs),
    ProductQuery("AmazonVPC", {}, "each", _vpc),
    ProductQuery("AmazonEKS", {}, "home", _eks),
    ProductQuery("AWSELB", {"productFamily": "Load Balancer-Application"}, "each", _alb),
    ProductQuery("AmazonRDS", {"databaseEngine": "Aurora PostgreSQL"}, "each", _aurora),
    ProductQuery("AmazonElastiCache", {"productFamily": "Cache Instance"}, "each", _elasticache),
    ProductQuery("AmazonCloudWatch", {}, "each", _cloudwatch),
    ProductQuery("AmazonS3", {}, "each", _s3),
    ProductQuery("AmazonCloudFront", {}, "none", _cloudfront),
    ProductQuery("AmazonRoute53", {}, "none", _route53),
    ProductQuery("awswaf", {}, "home", _waf),
    ProductQuery("awskms", {}, "home", _kms),
    ProductQuery("AWSSecretsManager", {}, "home", _secrets),
    ProductQuery("AWSQueueService", {}, "home", _sqs),
    ProductQuery("AmazonBedrock", {}, "each", _bedrock),
)


@dataclass(frozen=True)
class FoundPrice:
    usd: float
    source: str


@dataclass(frozen=True)
class RefreshReport:
    refreshed: tuple[tuple[str, str], ...]
    not_refreshed: tuple[tuple[str, str], ...]  # kept the previous snapshot's figure
    implausible: tuple[tuple[str, str, float, float], ...]  # (region, key, previous, offered): kept previous
    missing: tuple[tuple[str, str], ...]  # a new region's keys the API did not price: absent

    def summary(self) -> str:
        lines = [f"refreshed {len(self.refreshed)} prices; kept {len(self.not_refreshed)} from the previous snapshot"
                 f"{f'; {len(self.missing)} missing for new regions' if self.missing else ''}."]
        for title, rows in (("not refreshed (previous figure kept)", self.not_refreshed),
                            ("missing (no figure at all)", self.missing)):
            if rows:
                lines.append(f"{title}:")
                by_key: dict[str, list[str]] = {}
                for region, key in rows:
                    by_key.setdefault(key, []).append(region)
                lines += [f"  {key}: {', '.join(sorted(regions))}" for key, regions in sorted(by_key.items())]
        for region, key, before, offered in self.implausible:
            lines.append(f"held back {key} in {region}: API offered ${offered:g} against ${before:g}; check the rule "
                         "in tierstack.cost.refresh and the product the API returned.")
        return "\n".join(lines)


class RefreshedPriceBook(PriceBook):
    """A refreshed snapshot and the report of what it could and could not refresh."""

    def __init__(self, price_date: str, prices: Mapping[str, Mapping[str, Price]], notes: str, report: RefreshReport):
        super().__init__(price_date, prices, notes)
        self.report = report


def iter_products(client: Any, service_code: str, filters: Mapping[str, str]) -> Iterator[dict[str, Any]]:
    """Every product matching the TERM_MATCH filters, across NextToken pages."""
    request: dict[str, Any] = {
        "ServiceCode": service_code,
        "Filters": [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in filters.items()],
        "FormatVersion": "aws_v1",
        "MaxResults": 100,
    }
    while True:
        page = client.get_products(**request)
        for item in page.get("PriceList", []):
            yield json.loads(item) if isinstance(item, str) else item
        token = page.get("NextToken")
        if not token:
            return
        request["NextToken"] = token


def on_demand_price(product: Mapping[str, Any]) -> tuple[float, str] | None:
    """The first paid tier of the product's on-demand terms: (USD per API unit, its description).

    Tiered prices (S3 storage, CloudFront egress, free-tier requests) list one dimension per tier;
    the snapshot keeps the first tier that costs anything.
    """
    tiers = []
    for term in product.get("terms", {}).get("OnDemand", {}).values():
        for dimension in term.get("priceDimensions", {}).values():
            usd = float(dimension.get("pricePerUnit", {}).get("USD", "nan"))
            if usd > 0:
                tiers.append((float(dimension.get("beginRange", "0") or 0), usd, dimension.get("description", "")))
    if not tiers:
        return None
    _, usd, description = min(tiers)
    return usd, description


def collect(client: Any, regions: Sequence[str], today: str,
            queries: Sequence[ProductQuery] = QUERIES) -> dict[tuple[str, str], FoundPrice]:
    """Prices found per (region, key); region is GLOBAL_REGION for "home" and "none" queries."""
    found: dict[tuple[str, str], FoundPrice] = {}
    for query in queries:
        targets = {"each": list(regions), "home": [HOME_REGION], "none": [None]}[query.scope]
        for region in targets:
            filters = dict(query.filters) if region is None else {**query.filters, "regionCode": region}
            store_as = GLOBAL_REGION if query.scope != "each" else region
            for product in iter_products(client, query.service_code, filters):
                match = query.rule(product.get("product", {}).get("attributes", {}))
                price = on_demand_price(product) if match else None
                if match is None or price is None:
                    continue
                key, factor = match
                usd, description = price
                sku = product.get("product", {}).get("sku", "?")
                found.setdefault((store_as, key), FoundPrice(
                    round(usd * factor, 10),
                    f"AWS Price List API, {query.service_code} SKU {sku}: {description} (refreshed {today})"))
    return found


def refresh_snapshot(pricing_client: Any, regions: Sequence[str], out_path: Path, today: datetime.date | str,
                     base: PriceBook | None = None) -> RefreshedPriceBook:
    """Refresh ``base`` (default: the bundled snapshot) for ``regions`` and write it to ``out_path``."""
    today_text = today.isoformat() if isinstance(today, datetime.date) else datetime.date.fromisoformat(today).isoformat()
    base = base or load_price_book()
    found = collect(pricing_client, regions, today_text)

    units = {key: price.unit for _, key, price in base.entries()}
    regional_keys = sorted({key for region, key, _ in base.entries() if region != GLOBAL_REGION})
    targets: list[tuple[str, str, Price | None]] = [
        (region, key, price) for region, key, price in base.entries() if region == GLOBAL_REGION or region in regions]
    for region in regions:
        if region not in base.regions:
            targets += [(region, key, None) for key in regional_keys]

    updates: dict[tuple[str, str], Price] = {}
    refreshed, kept, implausible, missing = [], [], [], []
    for region, key, previous in targets:
        offer = found.get((region, key))
        if offer is None:
            (kept if previous else missing).append((region, key))
            continue
        if previous and previous.usd > 0 and not (1 / PLAUSIBLE_CHANGE <= offer.usd / previous.usd <= PLAUSIBLE_CHANGE):
            implausible.append((region, key, previous.usd, offer.usd))
            kept.append((region, key))
            continue
        updates[(region, key)] = Price(offer.usd, units[key], offer.source)
        refreshed.append((region, key))

    notes = (f"Refreshed from the AWS Price List API on {today_text} for {', '.join(regions)}: {len(refreshed)} "
             f"prices refreshed, {len(kept)} kept from the snapshot of {base.price_date} (each entry's source says "
             "which). Entries whose source starts with 'derived:' or 'estimate:' were computed, and say from what.")
    report = RefreshReport(tuple(refreshed), tuple(kept), tuple(implausible), tuple(missing))
    book = RefreshedPriceBook(today_text, base.updated(updates), notes, report)
    Path(out_path).parent.mkdir(parents=True, exist_ok=True)
    book.write(Path(out_path))
    return book


def main_refresh(argv: Sequence[str] | None = None) -> int:
    """``tierstack cost refresh-prices``: returns the process exit code."""
    parser = argparse.ArgumentParser(
        prog="tierstack cost refresh-prices",
        description="Regenerate the on-demand price snapshot from the AWS Price List API (needs AWS credentials "
                    "allowed pricing:GetProducts).")
    parser.add_argument("--regions", help="comma-separated regions to refresh (default: the snapshot's regions)")
    parser.add_argument("--output", type=Path, default=BUNDLED_SNAPSHOT,
                        help="where to write the snapshot (default: the one bundled with tierstack)")
    parser.add_argument("--base", type=Path, default=None,
                        help="snapshot whose figures are kept where the API has none (default: --output if it "
                             "exists, else the bundled one)")
    args = parser.parse_args(list(argv) if argv is not None else None)

    import boto3
    import botocore.exceptions

    base_path = args.base or (args.output if args.output.exists() else BUNDLED_SNAPSHOT)
    base = load_price_book(base_path)
    regions = [r.strip() for r in args.regions.split(",") if r.strip()] if args.regions else list(base.regions)
    session = boto3.Session()
    if session.get_credentials() is None:
        print("error: no AWS credentials found. The Price List API needs credentials (any IAM identity allowed "
              "pricing:GetProducts): set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run "
              "`aws sso login`. The bundled snapshot is unchanged.", file=sys.stderr)
        return 2
    client = session.client("pricing", region_name="us-east-1")
    try:
        book = refresh_snapshot(client, regions, args.output, datetime.date.today(), base=base)
    except (botocore.exceptions.NoCredentialsError, botocore.exceptions.ClientError,
            botocore.exceptions.EndpointConnectionError) as error:
        print(f"error: the Price List API call failed: {error}. The snapshot at {args.output} is unchanged.",
              file=sys.stderr)
        return 2
    print(book.report.summary())
    print(f"wrote {args.output} (price date {book.price_date}).")
    return 0
