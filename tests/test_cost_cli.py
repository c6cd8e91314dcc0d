"""`tierstack cost`: the shipped stacks' plans priced, the JSON contract, the tier table, the refresh action."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ROOT, cached_plan, project
from tierstack.config.tiers import Tier
from tierstack.cost import refresh
from tierstack.cost.estimate import estimate_stack_plan, tier_cost
from tierstack.cost.prices import aurora_instance_key, load_price_book
from tierstack.cost.render import money, render_tiers
from tierstack.tooling.cost import stack_config, tier_overrides
from tierstack.cost.usage import HOURS_PER_MONTH
from tierstack.tooling.cli import EXIT_CONFIG, main
from tierstack.tooling.plan import ANY_TIER_ASSUMPTIONS


def _estimate(stack: str, tier: str | None = None):
    overrides = tier_overrides(project(), stack, Tier(tier)) if tier else None
    assert overrides in (None, ANY_TIER_ASSUMPTIONS)  # so the cached plan is the one `cost --tiers` prices
    config = stack_config(project(), stack, tier=tier, config_overrides=overrides)
    return config, estimate_stack_plan(cached_plan(stack, tier).resources, config, load_price_book(), stack=stack)


def test_cost_prints_components_regions_ai_and_every_assumption(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(["cost", "-s", "dev", "--json", str(tmp_path / "dev.json")]) == 0
    out = capsys.readouterr().out
    document = json.loads((tmp_path / "dev.json").read_text())
    for heading in ("Infrastructure", "AI (Bedrock)", "By component and region", "By region:", "Assumptions",
                    "Not priced:", "caching and routing (as configured)"):
        assert heading in out
    for assumption in document["assumptions"] + document["ai"]["assumptions"]:
        assert f"  {assumption['key']} " in out
    assert f"Infrastructure  {money(document['totalMonthly'])} at minimum size" in out


def test_the_json_contract_prices_the_recorded_plan(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(ROOT)
    assert main(["cost", "-s", "prod", "--json", str(tmp_path / "prod.json")]) == 0
    document = json.loads((tmp_path / "prod.json").read_text())
    plan = cached_plan("prod")
    urns = {r.urn for r in plan.resources}
    assert document["priceDate"] == load_price_book().price_date
    assert document["totalMonthly"] == pytest.approx(sum(r["monthly"] for r in document["resources"]))
    assert document["totalMonthlyRange"]["low"] == document["totalMonthly"] < document["totalMonthlyRange"]["high"]
    for resource in document["resources"]:
        assert resource["urn"] in urns
        assert resource["region"] in ("us-east-1", "eu-west-1")
        assert all({"description", "unit", "quantity", "unitPrice", "monthly"} <= set(line) for line in resource["lines"])
    assert {r["region"] for r in document["regions"]} == {"us-east-1", "eu-west-1"}
    assert {"ShardedDatabase", "KubernetesCluster", "CacheTier", "Network", "GlobalEdge", "AgentServices"} <= {
        c["component"] for c in document["components"]}


def test_counts_and_sizes_come_from_the_plan():
    config, estimate = _estimate("prod")
    plan = cached_plan("prod")
    priced = {r.urn: r for r in estimate.resources}
    by_type = lambda t: [priced[r.urn] for r in plan.resources if r.type == t and r.urn in priced]  # noqa: E731
    assert len(by_type("aws:ec2/natGateway:NatGateway")) == config.network.az_count * len(config.regions)
    albs = by_type("kubernetes:networking.k8s.io/v1:Ingress")
    assert sorted(r.region for r in albs) == sorted(config.regions)  # one public ALB per cell
    cache = config.data.cache
    for group in by_type("aws:elasticache/replicationGroup:ReplicationGroup"):
        assert group.lines[0].quantity == cache.shards * (cache.replicas_per_shard + 1) * HOURS_PER_MONTH
        assert group.lines[0].key == f"elasticache.{cache.engine}.{cache.node_type}.hour"
    database = config.data.database
    instances = by_type("aws:rds/clusterInstance:ClusterInstance")
    assert len(instances) == database.shards * (1 + database.readers_per_shard) * len(config.regions)
    # The high end adds each shard's readers up to the autoscaling ceiling.
    ceiling = sum(r.monthly_high - r.monthly for r in by_type("aws:appautoscaling/target:Target"))
    book, extra = load_price_book(), database.reader_autoscaling.max_readers - database.readers_per_shard
    assert ceiling == pytest.approx(sum(extra * database.shards * HOURS_PER_MONTH
                                        * book.get(aurora_instance_key(database.instance_class), region).usd
                                        for region in config.regions))
    workers = config.cluster.node_groups["workers"]
    groups = [r for r in by_type("aws:eks/nodeGroup:NodeGroup") if r.name.endswith("-workers")]
    assert [g.lines[0].quantity for g in groups] == [workers.min_size * HOURS_PER_MONTH] * len(config.regions)
    assert [g.lines[0].quantity_high for g in groups] == [workers.max_size * HOURS_PER_MONTH] * len(config.regions)


def test_usage_overrides_in_the_stack_file_move_the_usage_lines(tmp_path: Path, capsys):
    (tmp_path / "Pulumi.yaml").write_text(f"name: tierstack\nruntime: python\nmain: {ROOT / 'infra'}\n")
    base = (ROOT / "Pulumi.dev.yaml").read_text()
    (tmp_path / "Pulumi.dev.yaml").write_text(base)
    (tmp_path / "Pulumi.busy.yaml").write_text(base + "  tierstack:usage:\n    requestsPerUserPerDay: 40\n"
                                               "    ai: {routingShare: 0.6}\n")
    (tmp_path / "Pulumi.typo.yaml").write_text(base + "  tierstack:usage: {requestsPerUserPerDy: 40}\n")
    documents = {}
    for stack in ("dev", "busy"):
        assert main(["cost", "-s", stack, "--project", str(tmp_path), "--json", str(tmp_path / f"{stack}.json")]) == 0
        documents[stack] = json.loads((tmp_path / f"{stack}.json").read_text())
    assert documents["busy"]["requestsPerMonth"] == pytest.approx(2 * documents["dev"]["requestsPerMonth"])
    assert documents["busy"]["ai"]["routingShare"] == 0.6
    assert documents["busy"]["totalMonthly"] > documents["dev"]["totalMonthly"]
    capsys.readouterr()
    assert main(["cost", "-s", "typo", "--project", str(tmp_path)]) == EXIT_CONFIG
    assert "tierstack:usage.requestsPerUserPerDy" in capsys.readouterr().err


def test_a_region_the_snapshot_does_not_price_is_an_error_naming_it(tmp_path: Path, capsys):
    (tmp_path / "Pulumi.yaml").write_text(f"name: tierstack\nruntime: python\nmain: {ROOT / 'infra'}\n")
    (tmp_path / "Pulumi.london.yaml").write_text("config:\n  tierstack:tier: pilot\n  tierstack:regions: [eu-west-2]\n")
    assert "eu-west-2" not in load_price_book().regions
    assert main(["cost", "-s", "london", "--project", str(tmp_path)]) == EXIT_CONFIG
    error = capsys.readouterr().err
    assert "eu-west-2" in error and "tierstack cost refresh-prices" in error


def test_tiers_side_by_side_per_month_per_thousand_requests_and_per_user():
    costs = [tier_cost(_estimate("dev", tier)[1]) for tier in ("pilot", "growth")]
    table = render_tiers("dev", load_price_book().price_date, costs)
    assert table.splitlines()[1].split() == ["pilot", "growth"]
    for cost in costs:
        assert cost.per_thousand_requests(cost.total_low) == pytest.approx(
            (cost.infrastructure_low + cost.ai_monthly) / cost.requests_per_month * 1000)
        assert cost.per_concurrent_user(cost.ai_monthly) == pytest.approx(cost.ai_monthly / cost.concurrent_users)
        assert cost.to_json()["infrastructureMonthly"]["high"] >= cost.infrastructure_low
    assert costs[1].infrastructure_low > costs[0].infrastructure_low and costs[1].ai_monthly > costs[0].ai_monthly
    for label in ("per 1,000 requests: total", "per concurrent user: AI", "infrastructure, maximum"):
        assert label in table


def test_tiers_extend_a_stacks_listed_regions_to_what_each_tier_asks_for():
    assert tier_overrides(project(), "prod", Tier.SCALE) == ANY_TIER_ASSUMPTIONS
    assert tier_overrides(project(), "prod", Tier.ENTERPRISE)["tierstack:regions"] == ["us-east-1", "eu-west-1", "us-west-2"]
    assert tier_overrides(project(), "dev", Tier.HYPERSCALE) == ANY_TIER_ASSUMPTIONS  # regions follow the tier


def test_refresh_prices_is_delegated_with_its_arguments(monkeypatch):
    seen = []
    monkeypatch.setattr(refresh, "main_refresh", lambda argv: seen.append(list(argv)) or 7)
    assert main(["cost", "refresh-prices", "--regions", "us-east-1,eu-west-1", "--output", "/tmp/p.json"]) == 7
    assert seen == [["--regions", "us-east-1,eu-west-1", "--output", "/tmp/p.json"]]


def test_cost_without_a_stack_says_what_it_needs(capsys):
    assert main(["cost"]) == EXIT_CONFIG
    assert "--stack" in capsys.readouterr().err
