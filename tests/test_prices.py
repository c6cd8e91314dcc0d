"""The bundled price snapshot: published figures, coverage of every shipped shape, and lookups."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tierstack.config.errors import StackConfigError
from tierstack.config.loader import build_stack_config, raw_from_engine_config
from tierstack.config.tiers import Tier
from tierstack.catalog.models import BEDROCK_MODELS
from tierstack.cost.prices import (
    GLOBAL_REGION,
    Price,
    PriceBook,
    SnapshotError,
    aurora_instance_key,
    bedrock_token_key,
    cache_node_key,
    ec2_instance_key,
    load_price_book,
    parse_snapshot,
)
from tierstack.tooling.stackfiles import engine_config, find_project

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def book() -> PriceBook:
    return load_price_book()


# Published on-demand list prices. Each row: key, region, USD, and beside it the page the figure
# is published on and when it was read. "rate card" figures are AWS's public pricing pages as
# known when the snapshot was assembled (2026-11-30); EC2 us-east-1 comes from the Price List API.
PINNED = [
    ("eks.cluster.hour", "us-east-1", 0.10),  # aws.amazon.com/eks/pricing/ (standard support), rate card 2026-11-30
    ("eks.cluster.hour", "eu-west-1", 0.10),  # same page: one rate in every commercial region, 2026-11-30
    ("nat.hour", "us-east-1", 0.045),  # aws.amazon.com/vpc/pricing/ NAT gateway hour, rate card 2026-11-30
    ("nat.gb", "us-east-1", 0.045),  # same page, data processed per GB, 2026-11-30
    ("nat.hour", "eu-west-1", 0.048),  # same page, EU (Ireland), 2026-11-30
    ("alb.hour", "us-east-1", 0.0225),  # aws.amazon.com/elasticloadbalancing/pricing/ ALB-hour, 2026-11-30
    ("alb.lcu-hour", "us-east-1", 0.008),  # same page, LCU-hour, 2026-11-30
    ("alb.hour", "eu-west-1", 0.0252),  # same page, EU (Ireland), 2026-11-30
    ("route53.zone.month", "us-east-1", 0.50),  # aws.amazon.com/route53/pricing/ first 25 zones, 2026-11-30
    ("route53.query.1m", "eu-west-1", 0.40),  # same page, standard queries (global service), 2026-11-30
    ("kms.key.month", "us-east-1", 1.00),  # aws.amazon.com/kms/pricing/ customer managed key, 2026-11-30
    ("kms.request.10k", "us-east-1", 0.03),  # same page, symmetric requests, 2026-11-30
    ("secretsmanager.secret.month", "us-east-1", 0.40),  # aws.amazon.com/secrets-manager/pricing/, 2026-11-30
    ("sqs.request.1m", "us-east-1", 0.40),  # aws.amazon.com/sqs/pricing/ standard queue, 2026-11-30
    ("cloudwatch.alarm.month", "us-east-1", 0.10),  # aws.amazon.com/cloudwatch/pricing/ standard alarm, 2026-11-30
    ("cloudwatch.metric.month", "us-east-1", 0.30),  # same page, first 10,000 metrics, 2026-11-30
    ("cloudwatch.logs.ingest.gb", "us-east-1", 0.50),  # same page, Logs standard ingestion, 2026-11-30
    ("cloudwatch.logs.ingest.gb", "eu-west-1", 0.57),  # same page, EU (Ireland), 2026-11-30
    ("cloudwatch.logs.storage.gb-month", "us-east-1", 0.03),  # same page, Logs storage, 2026-11-30
    ("s3.storage.gb-month", "us-east-1", 0.023),  # aws.amazon.com/s3/pricing/ Standard first 50 TB, 2026-11-30
    ("ebs.gp3.gb-month", "us-east-1", 0.08),  # aws.amazon.com/ebs/pricing/ gp3, 2026-11-30
    ("ebs.gp3.gb-month", "eu-west-1", 0.088),  # same page, EU (Ireland), 2026-11-30
    ("waf.acl.month", "us-east-1", 5.00),  # aws.amazon.com/waf/pricing/ web ACL, 2026-11-30
    ("waf.rule.month", "us-east-1", 1.00),  # same page, rule, 2026-11-30
    ("waf.request.1m", "us-east-1", 0.60),  # same page, 1M requests, 2026-11-30
    ("aurora.storage.gb-month", "us-east-1", 0.10),  # aws.amazon.com/rds/aurora/pricing/ Standard storage, 2026-11-30
    ("aurora.io.1m-requests", "us-east-1", 0.20),  # same page, I/O per 1M requests, 2026-11-30
    ("aurora.storage.gb-month", "eu-west-1", 0.11),  # same page, EU (Ireland), 2026-11-30
    ("aurora.db.r7g.large.hour", "us-east-1", 0.276),  # same page, Aurora PostgreSQL db.r7g.large, 2026-11-30
    ("elasticache.redis.cache.r7g.large.hour", "us-east-1", 0.219),  # aws.amazon.com/elasticache/pricing/, 2026-11-30
    ("ec2.m6i.large.hour", "us-east-1", 0.096),  # AWS Price List API (karpenter extraction 2026-07-20)
    ("ec2.m6i.xlarge.hour", "us-east-1", 0.192),  # AWS Price List API (karpenter extraction 2026-07-20)
    ("ec2.r6g.large.hour", "us-east-1", 0.1008),  # AWS Price List API (karpenter extraction 2026-07-20)
    ("ec2.m6i.large.hour", "eu-west-1", 0.107),  # aws.amazon.com/ec2/pricing/on-demand/ EU (Ireland), 2026-11-30
    ("ec2.r6i.large.hour", "eu-west-1", 0.141),  # same page, EU (Ireland), 2026-11-30
    ("ec2.m6i.large.hour", "ap-northeast-1", 0.124),  # same page, Asia Pacific (Tokyo), 2026-11-30
]


@pytest.mark.parametrize(("key", "region", "usd"), PINNED, ids=[f"{k}@{r}" for k, r, _ in PINNED])
def test_published_list_prices_are_pinned(book: PriceBook, key: str, region: str, usd: float) -> None:
    price = book.get(key, region)
    assert price.usd == pytest.approx(usd, abs=1e-9)
    assert not price.derived, f"{key} in {region} should be a published figure, not {price.source}"


def test_snapshot_is_dated_and_every_entry_says_where_it_comes_from(book: PriceBook) -> None:
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", book.price_date)
    for region, key, price in book.entries():
        assert price.usd > 0, (region, key)
        assert price.unit and price.source, (region, key)
        if price.source.startswith("derived:"):
            # A derived figure names what it was derived from: a base figure and a ratio.
            assert re.search(r"\$[0-9.]+ x [0-9.]+ \(", price.source), price.source


def _shipped_configurations():
    """Every StackConfig a tier preset or a shipped stack file can produce (any tier over any file)."""
    configs = [build_stack_config({"tier": tier.value}, stack="preset") for tier in Tier]
    project = find_project(REPO)
    for stack in project.stacks():
        values, _ = engine_config(project, stack)
        raw = raw_from_engine_config(values)
        for tier in Tier:
            try:
                configs.append(build_stack_config(raw, stack=stack, home_region=values.get("aws:region"),
                                                  tier_override=tier.value))
            except StackConfigError:
                continue  # a stack's overrides that do not fit a tier are refused before anything is priced
    return configs


def _priced_shapes(config) -> set[str]:
    keys = {ec2_instance_key(t) for group in config.cluster.node_groups.values() for t in group.instance_types}
    keys.add(aurora_instance_key(config.data.database.instance_class))
    keys.add(cache_node_key(config.data.cache.engine, config.data.cache.node_type))
    return keys


def test_every_shipped_shape_has_a_price_in_every_region_it_runs_in(book: PriceBook) -> None:
    configs = _shipped_configurations()
    assert len(configs) > len(Tier), "the shipped stack files produced no configuration"
    missing = sorted({(key, region) for config in configs for key in _priced_shapes(config)
                      for region in config.regions if not book.has(key, region)})
    assert not missing, f"shipped configurations would hit unpriced keys: {missing}"
    used_regions = {region for config in configs for region in config.regions}
    assert {"us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1", "ap-northeast-1"} <= used_regions


def test_every_region_prices_the_same_infrastructure_keys(book: PriceBook) -> None:
    # Bedrock models are offered in some regions only; everything else must be priced everywhere.
    per_region = {r: {k for rr, k, _ in book.entries() if rr == r and not k.startswith("bedrock.")}
                  for r in book.regions}
    reference = per_region["us-east-1"]
    for region, keys in per_region.items():
        assert keys == reference, f"{region} differs: {sorted(keys ^ reference)[:10]}"
    assert {"eu-central-1", "us-west-2", "ap-southeast-1", "ap-northeast-1", "eu-west-1"} <= set(book.regions)


def test_catalog_offers_are_all_priced(book: PriceBook) -> None:
    from tierstack.catalog.data_services import AURORA_POSTGRES_INSTANCE_CLASSES, ELASTICACHE_NODE_TYPES

    for region in book.regions:
        for db_class in AURORA_POSTGRES_INSTANCE_CLASSES - {"db.serverless"}:
            assert book.has(aurora_instance_key(db_class), region), (db_class, region)
        for engine, node_types in ELASTICACHE_NODE_TYPES.items():
            for node_type in node_types:
                assert book.has(cache_node_key(engine, node_type), region), (engine, node_type, region)
        assert book.has("aurora.serverless.acu-hour", region)


_SIZE = re.compile(r"^(?:(\d+)xlarge|xlarge|large|medium|small|micro|nano)$")
_SIZE_ORDER = {"nano": 1, "micro": 2, "small": 4, "medium": 8, "large": 16, "xlarge": 32}


def _size_rank(size: str) -> int:
    match = _SIZE.match(size)
    assert match, size
    return int(match.group(1)) * 32 if match.group(1) else _SIZE_ORDER[size]


def _families(book: PriceBook, region: str) -> dict[str, list[tuple[str, float]]]:
    """Sized keys grouped by family: 'ec2.m6i' -> [(size, usd), ...]."""
    families: dict[str, list[tuple[str, float]]] = {}
    for key in book.keys():
        if not key.endswith(".hour") or not book.has(key, region):
            continue
        *family, size, _ = key.split(".")
        if _SIZE.match(size) and len(family) >= 2:
            families.setdefault(".".join(family), []).append((size, book.get(key, region).usd))
    return families


def test_bigger_sizes_cost_more_within_every_family(book: PriceBook) -> None:
    for region in book.regions:
        families = _families(book, region)
        assert {"ec2.m6i", "aurora.db.r7g", "elasticache.valkey.cache.r7g"} <= set(families)
        for family, sized in families.items():
            ordered = [usd for _, usd in sorted(sized, key=lambda item: _size_rank(item[0]))]
            assert ordered == sorted(ordered) and len(set(ordered)) == len(ordered), (region, family, sorted(sized))


@pytest.mark.parametrize(("cheaper", "dearer"), [
    ("m6g", "m6i"), ("m7g", "m7i"), ("r6g", "r6i"), ("r7g", "r7i"), ("c6g", "c6i"), ("c7g", "c7i"),  # Graviton < Intel
    ("m6a", "m6i"), ("r6a", "r6i"),  # AMD < Intel
    ("t4g", "t3"),
])
def test_family_price_relations_hold_in_every_region(book: PriceBook, cheaper: str, dearer: str) -> None:
    for region in book.regions:
        for size in ("medium", "large", "xlarge", "2xlarge", "4xlarge"):
            low, high = ec2_instance_key(f"{cheaper}.{size}"), ec2_instance_key(f"{dearer}.{size}")
            if book.has(low, region) and book.has(high, region):
                assert book.get(low, region).usd < book.get(high, region).usd, (region, size, cheaper, dearer)


def test_valkey_nodes_cost_less_than_redis_nodes(book: PriceBook) -> None:
    for region in book.regions:
        for key in book.keys():
            if key.startswith("elasticache.redis.") and book.has(key, region):
                valkey = key.replace(".redis.", ".valkey.")
                assert book.get(valkey, region).usd < book.get(key, region).usd, (region, key)


def test_us_east_1_is_never_dearer_than_the_other_regions_for_compute(book: PriceBook) -> None:
    for key in ("ec2.m6i.xlarge.hour", "ec2.r6i.2xlarge.hour", "aurora.db.r7g.xlarge.hour", "nat.hour"):
        home = book.get(key, "us-east-1").usd
        assert all(book.get(key, region).usd >= home for region in book.regions), key


def test_bedrock_models_are_priced_per_1k_tokens(book: PriceBook) -> None:
    assert {m.role for m in BEDROCK_MODELS} == {"primary", "economy"}
    assert len({m.slug for m in BEDROCK_MODELS}) == len(BEDROCK_MODELS)
    for model in BEDROCK_MODELS:
        for region in ("us-east-1", "us-west-2"):
            tokens_in = book.get(bedrock_token_key(model.slug, "input"), region)
            tokens_out = book.get(bedrock_token_key(model.slug, "output"), region)
            assert tokens_in.unit == "1K input tokens" and tokens_out.unit == "1K output tokens"
            assert tokens_out.usd >= tokens_in.usd
    # A primary model is dearer than an economy one from the same vendor.
    sonnet = book.get(bedrock_token_key("anthropic.claude-sonnet-4-5", "output"), "eu-west-1").usd
    haiku = book.get(bedrock_token_key("anthropic.claude-haiku-4-5", "output"), "eu-west-1").usd
    assert haiku < sonnet
    with pytest.raises(ValueError, match="'input' or 'output'"):
        bedrock_token_key("amazon.nova-lite", "cached")


def test_global_prices_answer_in_any_region(book: PriceBook) -> None:
    assert book.get("route53.zone.month", "ap-southeast-1") == book.get("route53.zone.month", "us-east-1")
    assert book.has("waf.acl.month", "sa-east-1")  # a global price does not depend on the snapshot's regions
    assert GLOBAL_REGION not in book.regions


def test_unknown_key_names_key_region_and_closest_keys(book: PriceBook) -> None:
    with pytest.raises(KeyError) as typo:
        book.get("ec2.m6i.xlargee.hour", "eu-west-1")
    message = str(typo.value)
    assert "'ec2.m6i.xlargee.hour'" in message and "eu-west-1" in message
    assert "ec2.m6i.xlarge.hour" in message

    # The DB class written without AWS's "db." prefix still leads to the right key.
    with pytest.raises(KeyError, match=r"closest keys: aurora\.db\.r7g\.large\.hour"):
        book.get("aurora.r7g.large.hour", "us-east-1")


def test_key_priced_elsewhere_and_unknown_region_are_explained(book: PriceBook) -> None:
    with pytest.raises(KeyError, match=r"'bedrock\.amazon\.nova-pro\.input\.1k-tokens' in eu-west-1; it is priced only in us-east-1"):
        book.get(bedrock_token_key("amazon.nova-pro", "input"), "eu-west-1")
    with pytest.raises(KeyError) as unknown_region:
        book.get("ec2.m6i.large.hour", "sa-east-1")
    assert "sa-east-1" in str(unknown_region.value) and "priced only in" in str(unknown_region.value)
    with pytest.raises(KeyError, match="priced regions"):
        book.get("ec2.m6i.larg.hour", "sa-east-1")


def test_load_is_cached_and_round_trips(book: PriceBook, tmp_path: Path) -> None:
    assert load_price_book() is book
    copy = tmp_path / "prices.json"
    book.write(copy)
    again = load_price_book(copy)
    assert again is not book
    assert list(again.entries()) == list(book.entries()) and again.price_date == book.price_date
    assert load_price_book(copy) is again


def _snapshot(entry: dict, date: str = "2026-11-30") -> dict:
    return {"format": 1, "priceDate": date, "prices": {"us-east-1": {"nat.hour": entry}}}


@pytest.mark.parametrize(("entry", "date", "problem"), [
    ({"usd": -1, "unit": "hour", "source": "x"}, "2026-11-30", "us-east-1 nat.hour: usd must be a non-negative"),
    ({"usd": "0.045", "unit": "hour", "source": "x"}, "2026-11-30", "usd must be a non-negative number"),
    ({"usd": 0.045, "unit": "", "source": "x"}, "2026-11-30", "unit and source must be non-empty"),
    ({"usd": 0.045, "unit": "hour", "source": "x"}, "30/11/2026", "not an ISO date"),
])
def test_a_broken_snapshot_is_refused_with_the_entry_named(entry: dict, date: str, problem: str) -> None:
    with pytest.raises(SnapshotError, match=re.escape(problem)):
        parse_snapshot(_snapshot(entry, date), "prices.json")


def test_parse_accepts_a_well_formed_snapshot() -> None:
    parsed = parse_snapshot(_snapshot({"usd": 0.045, "unit": "hour", "source": "vpc pricing"}), "x")
    assert parsed.get("nat.hour", "us-east-1") == Price(0.045, "hour", "vpc pricing")
    assert parsed.regions == ("us-east-1",)
    assert json.loads(json.dumps(parsed.to_json()))["priceDate"] == "2026-11-30"
