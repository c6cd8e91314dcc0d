"""The offline plan: every stack file and every tier plans, counts grow with the tier, the
outputs other tools read are complete, and config errors stop the program cleanly."""

import json
import shutil

import pytest
import yaml

from tierstack.tooling import cli
from tierstack.tooling.plan import PlanConfigError, plan_stack
from tierstack.tooling.stackfiles import find_project

from conftest import ROOT, STACKS, TIERS, cached_plan


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_file_plans(stack):
    plan = cached_plan(stack)
    assert plan.custom_resources and plan.regions
    (cluster_count,) = {len(plan.run.of_type("aws:eks/cluster:Cluster"))}
    assert cluster_count == len(plan.regions)


@pytest.mark.parametrize("tier", TIERS)
def test_every_tier_plans(tier):
    plan = cached_plan("dev", tier)
    assert plan.tier == tier
    assert len(plan.run.of_type("aws:ec2/vpc:Vpc")) == len(plan.regions)


def test_resource_counts_grow_with_the_tier():
    counts = [len(cached_plan("dev", tier).custom_resources) for tier in TIERS]
    assert counts == sorted(counts) and len(set(counts)) == len(counts), counts


def test_each_cell_uses_its_own_regional_provider():
    plan = cached_plan("dev", "hyperscale")
    providers = {f"{r.urn}::{r.id}": r.inputs["region"] for r in plan.providers
                 if r.type == "pulumi:providers:aws" and not r.name.endswith("-edge-aws")}
    assert sorted(providers.values()) == sorted(plan.regions)
    for vpc in plan.run.of_type("aws:ec2/vpc:Vpc"):
        region = providers[vpc.provider]
        assert vpc.name.startswith("tierstack-dev-") and vpc.inputs["tags"]["tierstack:region"] == region
    cidrs = sorted(v.inputs["cidrBlock"] for v in plan.run.of_type("aws:ec2/vpc:Vpc"))
    assert len(set(cidrs)) == 5  # distinct blocks keep later peering possible


def test_node_groups_cover_every_az_of_their_region():
    plan = cached_plan("prod")
    zone_of_subnet = {s.id: s.inputs["availabilityZoneId"] for s in plan.run.of_type("aws:ec2/subnet:Subnet")}
    pools: dict = {}
    for group in plan.run.of_type("aws:eks/nodeGroup:NodeGroup"):
        zones = {zone_of_subnet[s] for s in group.inputs["subnetIds"]}
        if group.inputs["labels"].get("tierstack.io/zonal") == "true":
            assert len(zones) == 1, (group.name, zones)  # one group per AZ ...
            pool = (group.provider, group.inputs["labels"]["tierstack.io/node-group"])
            pools.setdefault(pool, set()).update(zones)
        else:
            assert len(zones) == 3, (group.name, zones)
    assert pools and all(len(zones) == 3 for zones in pools.values())  # ... covering them all


def test_production_stack_protects_stateful_resources():
    from tierstack.policy.rules.platform import STATEFUL_TYPES

    stateful = [r for r in cached_plan("prod").resources if r.type in STATEFUL_TYPES]
    assert {r.type for r in stateful} >= {"aws:eks/cluster:Cluster", "aws:rds/cluster:Cluster", "aws:kms/key:Key",
                                          "aws:elasticache/replicationGroup:ReplicationGroup", "aws:sqs/queue:Queue"}
    assert [r.name for r in stateful if not r.protect] == []
    assert not [r for r in cached_plan("dev").resources if r.protect]


def test_nat_gateway_per_az_in_every_production_tier_cell():
    for tier in TIERS[1:]:
        plan = cached_plan("dev", tier)
        assert len(plan.run.of_type("aws:ec2/natGateway:NatGateway")) == 3 * len(plan.regions), tier
    assert len(cached_plan("dev", "pilot").run.of_type("aws:ec2/natGateway:NatGateway")) == 1


def test_program_exports_what_operators_need():
    outputs = cached_plan("prod").run.outputs
    assert outputs["tier"] == "scale" and outputs["regions"] == ["us-east-1", "eu-west-1"]
    cell = outputs["cells"]["eu-west-1"]
    assert cell["clusterName"] == "tierstack-prod-euw1" and len(cell["privateSubnetIds"]) == 3
    assert outputs["kubeconfigs"]["eu-west-1"] == "[secret]"  # never printed in the clear


def test_cli_plan_prints_tree_counts_and_summary(capsys, tmp_path):
    code = cli.main(["plan", "--stack", "dev", "--project", str(ROOT),
                     "--json", str(tmp_path / "plan.json"), "--manifests", str(tmp_path / "k8s")])
    out = capsys.readouterr().out
    assert code == 0
    assert "tierstack-dev [tierstack:platform:AgentPlatform]" in out
    assert "aws:eks/cluster:Cluster" in out and "total" in out
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("Plan for stack 'dev' (tier pilot, 1 region):")

    document = json.loads((tmp_path / "plan.json").read_text())
    assert len(document["resources"]) == len(cached_plan("dev").resources)
    eks = next(r for r in document["resources"] if r["type"] == "aws:eks/cluster:Cluster")
    assert set(eks) == {"urn", "type", "name", "parent", "custom", "provider", "inputs", "propertyDependencies",
                        "options"}
    assert eks["parent"].endswith("tierstack-dev-use1-cluster") and "protect" in eks["options"]
    by_urn = {r["urn"]: r for r in document["resources"]}
    (role,) = eks["propertyDependencies"]["roleArn"]
    assert by_urn[role]["type"] == "aws:iam/role:Role"
    assert all("propertyDependencies" not in r for r in document["resources"] if not r["custom"])  # only when wired

    manifests = sorted((tmp_path / "k8s").glob("*.yaml"))
    assert manifests and all(yaml.safe_load(p.read_text())["apiVersion"] for p in manifests)


def test_cli_tiers(capsys):
    assert cli.main(["tiers"]) == 0
    assert "hyperscale" in capsys.readouterr().out


@pytest.fixture
def scratch_project(tmp_path):
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copytree(ROOT / "infra", tmp_path / "infra")
    return tmp_path


def test_bad_config_stops_before_any_resource_with_a_clear_error(scratch_project, capsys):
    (scratch_project / "Pulumi.unsafe.yaml").write_text(yaml.safe_dump({"config": {
        "aws:region": "us-east-1", "tierstack:tier": "enterprise",
        "tierstack:overrides": {"network": {"azCount": 1}}}}))
    with pytest.raises(PlanConfigError) as caught:
        plan_stack("unsafe", project=find_project(scratch_project))
    assert caught.value.resources_registered == 0
    assert "tierstack:overrides.network.azCount = 1" in str(caught.value)

    code = cli.main(["plan", "--stack", "unsafe", "--project", str(scratch_project)])
    captured = capsys.readouterr()
    assert code == cli.EXIT_CONFIG and captured.out == ""
    assert "Traceback" not in captured.err and "Fix: use a value at least 2." in captured.err


def test_missing_stack_file_is_a_clean_error(capsys):
    assert cli.main(["plan", "--stack", "nope", "--project", str(ROOT)]) == cli.EXIT_CONFIG
    assert "stacks here: dev, prod, staging" in capsys.readouterr().err


def test_secure_config_values_plan_with_a_masked_value(scratch_project):
    (scratch_project / "Pulumi.sec.yaml").write_text(yaml.safe_dump({"config": {
        "tierstack:tier": "pilot", "tierstack:alertWebhook": {"secure": "v1:abc"}}}))
    with pytest.raises(PlanConfigError) as caught:  # unknown key is still caught, secret or not
        plan_stack("sec", project=find_project(scratch_project))
    assert "tierstack:alertWebhook = \"[secret]\"" in str(caught.value)
