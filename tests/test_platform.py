"""AgentPlatform: one cell per region on that region's provider, and the global edge in front."""

import pytest

from tierstack.catalog.aws import SEED_REGIONS, region_code
from tierstack.edge import naming

from conftest import cached_plan


def _aws_providers(plan):
    return {f"{p.urn}::{p.id}": p for p in plan.providers if p.type == "pulumi:providers:aws"}


@pytest.mark.parametrize("stack, tier, regions", [
    ("prod", None, ["us-east-1", "eu-west-1"]),
    ("dev", "hyperscale", list(SEED_REGIONS)),
])
def test_every_cell_resource_is_bound_to_its_regions_provider(stack, tier, regions):
    plan = cached_plan(stack, tier)
    assert plan.regions == regions
    providers = _aws_providers(plan)
    for region in regions:
        cell = f"tierstack-{plan.run.outputs['cells'][region]['clusterName'].split('-')[1]}-{region_code(region)}"
        in_cell = [r for r in plan.custom_resources if r.type.startswith("aws:") and r.name.startswith(cell + "-")
                   and "-db-dr-" not in r.name]
        assert len(in_cell) > 50
        assert {providers[r.provider].inputs["region"] for r in in_cell} == {region}, region


def test_edge_resources_live_in_us_east_1():
    plan = cached_plan("prod")
    providers = _aws_providers(plan)
    for type_ in ("aws:cloudfront/distribution:Distribution", "aws:wafv2/webAcl:WebAcl"):
        (resource,) = plan.run.of_type(type_)
        assert providers[resource.provider].inputs["region"] == "us-east-1"


def test_distribution_origins_and_failover_match_the_cells():
    plan = cached_plan("prod")
    (distribution,) = plan.run.of_type("aws:cloudfront/distribution:Distribution")
    api = "api.agents.example.com"
    origins = {o["originId"]: o["domainName"] for o in distribution.inputs["origins"]}
    for region in plan.regions:
        assert origins[naming.origin_id(region)] == naming.regional_origin_host(api, region)
    (group,) = distribution.inputs["originGroups"]
    members = [m["originId"] for m in group["members"]]
    assert members == [naming.origin_id("us-east-1"), naming.origin_id("eu-west-1")]  # home first
    assert distribution.inputs["aliases"] == [api]


def test_each_load_balancer_answers_the_edges_origin_names():
    plan = cached_plan("prod")
    ingresses = [r for r in plan.kubernetes_objects() if r.inputs["kind"] == "Ingress"]
    assert len(ingresses) == 2
    api = "api.agents.example.com"
    for ingress in ingresses:
        region = next(r for r in plan.regions if f"-{region_code(r)}-" in ingress.name)
        (tls,) = ingress.inputs["spec"]["tls"]
        assert tls["hosts"] == [naming.origin_host(api), naming.regional_origin_host(api, region)]
        assert "host" not in ingress.inputs["spec"]["rules"][0]  # any Host the edge sends


def test_regional_dns_points_at_each_cells_load_balancer():
    plan = cached_plan("prod")
    hostnames = {r.name: r.outputs["status"]["loadBalancer"]["ingress"][0]["hostname"]
                 for r in plan.kubernetes_objects() if r.inputs["kind"] == "Ingress"}
    records = plan.run.of_type("aws:route53/record:Record")
    alias_targets = {a["name"] for r in records for a in r.inputs.get("aliases", [])}
    assert set(hostnames.values()) <= alias_targets
    routed = [r for r in records if r.inputs.get("latencyRoutingPolicies")]
    assert sorted(r.inputs["latencyRoutingPolicies"][0]["region"] for r in routed) == sorted(plan.regions)
    assert all(r.inputs["healthCheckId"] and r.inputs["setIdentifier"] for r in routed)


def test_resources_grow_from_one_region_to_five():
    counts = {tier: (len(cached_plan("dev", tier).regions), len(cached_plan("dev", tier).custom_resources))
              for tier in ("pilot", "scale", "hyperscale")}
    assert counts["pilot"][0] == 1 and counts["hyperscale"][0] == 5
    assert counts["pilot"][1] < counts["scale"][1] < counts["hyperscale"][1]
