"""Refreshing the snapshot from the AWS Price List API, against botocore's Stubber on a real client."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any, Iterable

import boto3
import pytest
from botocore.stub import ANY, Stubber

from tierstack.cost import refresh
from tierstack.cost.prices import GLOBAL_REGION, PriceBook, load_price_book
from tierstack.cost.refresh import QUERIES, main_refresh, on_demand_price, refresh_snapshot

TODAY = datetime.date(2026, 12, 1)


def _product(service: str, sku: str, attributes: dict[str, str],
             tiers: Iterable[tuple[str, str, str, str, str]]) -> str:
    """One PriceList item as the API returns it: a JSON string with product and terms.

    ``tiers`` are (beginRange, endRange, unit, USD, description). A Reserved term is included so
    the parser has to pick the on-demand one.
    """
    dimensions = {
        f"{sku}.JRTCKXETXF.{index}": {
            "unit": unit, "endRange": end, "description": description, "appliesTo": [],
            "rateCode": f"{sku}.JRTCKXETXF.{index}", "beginRange": begin, "pricePerUnit": {"USD": usd},
        }
        for index, (begin, end, unit, usd, description) in enumerate(tiers)
    }
    return json.dumps({
        "product": {"productFamily": attributes.get("productFamily", ""), "attributes": attributes, "sku": sku},
        "serviceCode": service,
        "terms": {
            "OnDemand": {f"{sku}.JRTCKXETXF": {"priceDimensions": dimensions, "sku": sku,
                                                "effectiveDate": "2026-11-01T00:00:00Z",
                                                "offerTermCode": "JRTCKXETXF", "termAttributes": {}}},
            "Reserved": {f"{sku}.4NA7Y494T4": {"priceDimensions": {f"{sku}.4NA7Y494T4.6YS6EN2CT7": {
                "unit": "Hrs", "endRange": "Inf", "description": "reserved", "appliesTo": [], "rateCode": "r",
                "beginRange": "0", "pricePerUnit": {"USD": "0.0010000000"}}}, "sku": sku,
                "effectiveDate": "2026-11-01T00:00:00Z", "offerTermCode": "4NA7Y494T4",
                "termAttributes": {"LeaseContractLength": "1yr", "OfferingClass": "standard",
                                   "PurchaseOption": "No Upfront"}}},
        },
        "version": "20261120000000",
        "publicationDate": "2026-11-20T00:00:00Z",
    })


def _hourly(usd: str, description: str) -> list[tuple[str, str, str, str, str]]:
    return [("0", "Inf", "Hrs", usd, description)]


def _linux(instance_type: str, usd: str, license_model: str = "No License required") -> dict[str, str]:
    return {"productFamily": "Compute Instance", "instanceType": instance_type, "operatingSystem": "Linux",
            "tenancy": "Shared", "preInstalledSw": "NA", "capacitystatus": "Used", "licenseModel": license_model,
            "regionCode": "us-east-1", "usagetype": f"BoxUsage:{instance_type}", "price": usd}


def _ec2_pages() -> list[dict[str, Any]]:
    m6i = _linux("m6i.large", "0.0970000000")
    byol = _linux("m6i.xlarge", "0.0010000000", license_model="Bring your own license")
    m7i = _linux("m7i.xlarge", "0.2016000000")
    return [
        {"FormatVersion": "aws_v1", "NextToken": "page-2", "PriceList": [
            _product("AmazonEC2", "SKUM6ILARGE", m6i, _hourly(m6i["price"], "$0.097 per On Demand Linux m6i.large Instance Hour")),
            _product("AmazonEC2", "SKUBYOL", byol, _hourly(byol["price"], "$0.001 per BYOL m6i.xlarge Instance Hour")),
        ]},
        {"FormatVersion": "aws_v1", "PriceList": [
            _product("AmazonEC2", "SKUM7IXL", m7i, _hourly(m7i["price"], "$0.2016 per On Demand Linux m7i.xlarge Instance Hour")),
        ]},
    ]


# Per service code, the pages GetProducts returns; services not listed answer one empty page.
def _responses() -> dict[str, list[dict[str, Any]]]:
    aurora_standard = {"productFamily": "Database Instance", "instanceType": "db.r7g.large",
                       "databaseEngine": "Aurora PostgreSQL", "usagetype": "InstanceUsage:db.r7g.large"}
    aurora_io_optimized = {**aurora_standard, "usagetype": "InstanceUsageIOOptimized:db.r7g.large"}
    return {
        "AmazonEC2/Compute Instance": _ec2_pages(),
        "AmazonEKS": [{"FormatVersion": "aws_v1", "PriceList": [
            _product("AmazonEKS", "SKUEKS", {"usagetype": "USE1-AmazonEKS-Hours:perCluster", "regionCode": "us-east-1"},
                     _hourly("0.1000000000", "Amazon EKS cluster usage in US East (N. Virginia)")),
        ]}],
        "AWSELB/Load Balancer-Application": [{"FormatVersion": "aws_v1", "PriceList": [
            # A tenfold jump is far more likely a mismatched product than a price change: held back.
            _product("AWSELB", "SKUALB", {"usagetype": "LoadBalancerUsage", "regionCode": "us-east-1"},
                     _hourly("0.2250000000", "$0.225 per Application LoadBalancer-hour")),
            _product("AWSELB", "SKULCU", {"usagetype": "LCUUsage", "regionCode": "us-east-1"},
                     [("0", "Inf", "LCU-Hrs", "0.0080000000", "$0.008 per used Application load balancer capacity unit-hour")]),
        ]}],
        "AmazonRDS": [{"FormatVersion": "aws_v1", "PriceList": [
            _product("AmazonRDS", "SKUR7G", aurora_standard, _hourly("0.2800000000", "$0.28 per RDS db.r7g.large instance hour")),
            _product("AmazonRDS", "SKUR7GIO", aurora_io_optimized,
                     _hourly("0.3600000000", "$0.36 per RDS db.r7g.large IO-Optimized instance hour")),
            _product("AmazonRDS", "SKUIO", {"usagetype": "Aurora:StorageIOUsage", "databaseEngine": "Aurora PostgreSQL"},
                     [("0", "Inf", "IOs", "0.0000002000", "$0.20 per 1 million I/O requests")]),
        ]}],
        "AmazonRoute53": [{"FormatVersion": "aws_v1", "PriceList": [
            _product("AmazonRoute53", "SKUZONE", {"usagetype": "HostedZone"},
                     [("25", "Inf", "HostedZone", "0.1000000000", "$0.10 per Hosted Zone beyond 25"),
                      ("0", "25", "HostedZone", "0.5000000000", "$0.50 per Hosted Zone for the first 25")]),
        ]}],
        "AWSQueueService": [{"FormatVersion": "aws_v1", "PriceList": [
            _product("AWSQueueService", "SKUSQS", {"usagetype": "USE1-Requests-Tier1", "regionCode": "us-east-1"},
                     [("0", "1000000", "Requests", "0.0000000000", "First 1,000,000 Amazon SQS Requests per month are free"),
                      ("1000000", "100000000000", "Requests", "0.0000004000", "$0.40 per 1,000,000 Requests")]),
        ]}],
    }


def _stub_all(stubber: Stubber, regions: list[str]) -> None:
    """Queue the responses in the order refresh_snapshot asks, checking each request's shape."""
    responses = _responses()
    for query in QUERIES:
        targets = {"each": regions, "home": [refresh.HOME_REGION], "none": [None]}[query.scope]
        name = "/".join(filter(None, [query.service_code, query.filters.get("productFamily")]))
        for region in targets:
            filters = [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in query.filters.items()]
            if region:
                filters.append({"Type": "TERM_MATCH", "Field": "regionCode", "Value": region})
            pages = responses.get(name, [{"FormatVersion": "aws_v1", "PriceList": []}])
            for index, page in enumerate(pages):
                expected = {"ServiceCode": query.service_code, "Filters": filters, "FormatVersion": "aws_v1",
                            "MaxResults": 100}
                if index:
                    expected["NextToken"] = pages[index - 1]["NextToken"]
                stubber.add_response("get_products", page, expected)


@pytest.fixture
def pricing_client():
    client = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


@pytest.fixture(scope="module")
def base() -> PriceBook:
    return load_price_book()


def test_refresh_reads_on_demand_prices_across_pages(pricing_client, base: PriceBook, tmp_path: Path) -> None:
    client, stubber = pricing_client
    _stub_all(stubber, ["us-east-1"])
    out = tmp_path / "prices.json"
    book = refresh_snapshot(client, ["us-east-1"], out, TODAY, base=base)

    assert book.get("ec2.m6i.large.hour", "us-east-1").usd == pytest.approx(0.097)  # page 1
    assert book.get("ec2.m7i.xlarge.hour", "us-east-1").usd == pytest.approx(0.2016)  # page 2, after NextToken
    assert "SKUM6ILARGE" in book.get("ec2.m6i.large.hour", "us-east-1").source
    assert "refreshed 2026-12-01" in book.get("ec2.m6i.large.hour", "us-east-1").source
    # A bring-your-own-license product is not the on-demand Linux rate.
    assert book.get("ec2.m6i.xlarge.hour", "us-east-1") == base.get("ec2.m6i.xlarge.hour", "us-east-1")
    # Aurora Standard, not I/O-Optimized; per-I/O price converted to per million.
    assert book.get("aurora.db.r7g.large.hour", "us-east-1").usd == pytest.approx(0.28)
    assert book.get("aurora.io.1m-requests", "us-east-1").usd == pytest.approx(0.20)
    # Global keys: the first paid tier, converted to the snapshot's unit.
    assert book.get("route53.zone.month", "eu-west-1").usd == pytest.approx(0.50)
    assert book.get("sqs.request.1m", "us-east-1").usd == pytest.approx(0.40)
    assert book.get("sqs.request.1m", "us-east-1").unit == base.get("sqs.request.1m", "us-east-1").unit
    assert book.get("eks.cluster.hour", "ap-northeast-1").usd == pytest.approx(0.10)
    assert book.get("alb.lcu-hour", "us-east-1").usd == pytest.approx(0.008)

    report = book.report
    assert ("us-east-1", "ec2.m6i.large.hour") in report.refreshed
    assert (GLOBAL_REGION, "route53.zone.month") in report.refreshed


def test_keys_the_api_did_not_price_keep_their_figure_and_are_reported(pricing_client, base: PriceBook,
                                                                       tmp_path: Path) -> None:
    client, stubber = pricing_client
    _stub_all(stubber, ["us-east-1"])
    book = refresh_snapshot(client, ["us-east-1"], tmp_path / "prices.json", TODAY, base=base)

    for region, key in (("us-east-1", "nat.hour"), ("us-east-1", "transfer.internet.gb"), (GLOBAL_REGION, "budgets.budget.month")):
        assert book.get(key, "us-east-1") == base.get(key, "us-east-1")
        assert (region, key) in book.report.not_refreshed
    # The implausible ALB figure is held back, reported with both numbers, and the old one kept.
    assert book.get("alb.hour", "us-east-1") == base.get("alb.hour", "us-east-1")
    assert ("us-east-1", "alb.hour", 0.0225, 0.225) in book.report.implausible
    assert "held back alb.hour in us-east-1" in book.report.summary()
    assert "nat.hour: us-east-1" in book.report.summary()
    # Regions not asked for are left alone and not reported.
    assert book.get("ec2.m6i.large.hour", "eu-west-1") == base.get("ec2.m6i.large.hour", "eu-west-1")
    assert not any(region == "eu-west-1" for region, _ in book.report.not_refreshed)


def test_written_snapshot_loads_back_with_the_new_date(pricing_client, base: PriceBook, tmp_path: Path) -> None:
    client, stubber = pricing_client
    _stub_all(stubber, ["us-east-1"])
    out = tmp_path / "nested" / "prices.json"
    refresh_snapshot(client, ["us-east-1"], out, TODAY, base=base)

    reloaded = load_price_book(out)
    assert reloaded.price_date == "2026-12-01"
    assert reloaded.get("ec2.m6i.large.hour", "us-east-1").usd == pytest.approx(0.097)
    assert reloaded.keys() == base.keys() and reloaded.regions == base.regions
    assert "2026-12-01" in reloaded.notes


def test_a_new_region_reports_what_the_api_could_not_price(pricing_client, base: PriceBook, tmp_path: Path) -> None:
    client, stubber = pricing_client
    _stub_all(stubber, ["sa-east-1"])
    book = refresh_snapshot(client, ["sa-east-1"], tmp_path / "prices.json", TODAY, base=base)
    assert "sa-east-1" in book.regions
    assert ("sa-east-1", "nat.hour") in book.report.missing
    assert not book.has("nat.hour", "sa-east-1")


def test_on_demand_price_ignores_reserved_terms_and_free_tiers() -> None:
    product = json.loads(_product("AWSQueueService", "S", {}, [
        ("0", "1000000", "Requests", "0.0000000000", "free"),
        ("1000000", "Inf", "Requests", "0.0000004000", "paid")]))
    assert on_demand_price(product) == (4e-7, "paid")
    assert on_demand_price({"terms": {}}) is None


def test_cli_without_credentials_exits_2_with_a_clear_message(monkeypatch, tmp_path: Path, capsys) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    out = tmp_path / "prices.json"

    assert main_refresh(["--regions", "us-east-1", "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no AWS credentials" in err and "Traceback" not in err
    assert not out.exists()


class _SessionWith:
    """Stands in for boto3.Session: has credentials and hands out the stubbed client."""

    def __init__(self, client):
        self._client = client

    def __call__(self, *args, **kwargs):
        return self

    def get_credentials(self):
        return object()

    def client(self, service: str, region_name: str):
        assert (service, region_name) == ("pricing", "us-east-1")
        return self._client


def test_cli_refreshes_into_the_output_file(pricing_client, monkeypatch, tmp_path: Path, capsys) -> None:
    client, stubber = pricing_client
    _stub_all(stubber, ["us-east-1"])
    monkeypatch.setattr(boto3, "Session", _SessionWith(client))
    out = tmp_path / "prices.json"

    assert main_refresh(["--regions", "us-east-1", "--output", str(out), "--base",
                         str(Path(refresh.BUNDLED_SNAPSHOT))]) == 0
    printed = capsys.readouterr().out
    assert "refreshed" in printed and str(out) in printed
    assert load_price_book(out).get("ec2.m6i.large.hour", "us-east-1").usd == pytest.approx(0.097)


def test_cli_reports_an_api_refusal_without_a_traceback(pricing_client, monkeypatch, tmp_path: Path, capsys) -> None:
    client, stubber = pricing_client
    stubber.add_client_error("get_products", service_error_code="AccessDeniedException",
                             service_message="not authorized to perform: pricing:GetProducts", http_status_code=400,
                             expected_params={"ServiceCode": "AmazonEC2", "Filters": ANY, "FormatVersion": "aws_v1",
                                              "MaxResults": 100})
    monkeypatch.setattr(boto3, "Session", _SessionWith(client))
    out = tmp_path / "prices.json"

    assert main_refresh(["--regions", "us-east-1", "--output", str(out)]) == 2
    err = capsys.readouterr().err
    assert "pricing:GetProducts" in err and "unchanged" in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize(("service", "usagetype", "expected"), [
    ("AmazonEC2", "EU-NatGateway-Hours", ("nat.hour", 1.0)),  # eu-west-1's prefix is "EU-"
    ("AmazonEC2", "NatGateway-Bytes", ("nat.gb", 1.0)),  # us-east-1 usage types carry no prefix
    ("awswaf", "USE1-Request", ("waf.request.1m", 1_000_000.0)),
    ("awswaf", "USE1-BotControl-Request", None),  # a different product that merely ends alike
    ("awskms", "APN1-KMS-Requests", ("kms.request.10k", 10_000.0)),
    ("awskms", "APN1-KMS-Requests-Asymmetric", None),
    ("AmazonS3", "EUC1-TimedStorage-SIA-ByteHrs", None),  # Standard-IA is not S3 Standard
])
def test_usage_types_match_exactly_after_the_region_prefix(service: str, usagetype: str, expected) -> None:
    rules = [query.rule for query in QUERIES if query.service_code == service]
    matches = [rule({"usagetype": usagetype}) for rule in rules]
    assert (expected in matches) if expected else not any(matches)
