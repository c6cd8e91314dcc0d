"""The offline policy gate over real plans: the shipped stacks pass, unsafe ones fail naming
the rule and the resource."""

import copy
import shutil

import pytest
import yaml

from tierstack.tooling import cli
from tierstack.tooling.gate import ContextError, check_plan, plan_context
from tierstack.tooling.plan import plan_stack
from tierstack.tooling.stackfiles import find_project

from conftest import ROOT, STACKS, TIERS, cached_plan


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_stacks_pass_the_gate(stack):
    evaluation = check_plan(cached_plan(stack))
    assert evaluation.mandatory_violations == [], [v.render() for v in evaluation.mandatory_violations]
    assert evaluation.undecided == []


@pytest.mark.parametrize("tier", TIERS)
def test_every_tier_passes_the_gate(tier):
    assert check_plan(cached_plan("dev", tier)).mandatory_violations == []


def test_context_comes_from_the_stacks_config_not_its_outputs():
    plan = copy.deepcopy(cached_plan("prod"))
    context = plan_context(plan)
    assert context.production is True and context.profile == "standard"
    # A production stack whose program exports nothing still gets the production rules.
    plan.run.outputs.pop("production", None)
    plan.run.outputs.pop("complianceProfile", None)
    assert plan_context(plan) == context
    unprotected = copy.deepcopy(plan)
    next(r for r in unprotected.resources if r.type == "aws:kms/key:Key").protect = False
    assert "stateful-resources-protected" in {v.rule for v in check_plan(unprotected).mandatory_violations}
    with pytest.raises(ContextError, match="tierstack stack"):
        plan_context(plan, production=False)


@pytest.fixture
def minimal_project(tmp_path):
    """The one config every stack needs, and nothing else: no edge zone, no ingress host."""
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copytree(ROOT / "infra", tmp_path / "infra")
    (tmp_path / "Pulumi.minimal.yaml").write_text(yaml.safe_dump({"config": {
        "aws:region": "us-east-1", "tierstack:tier": "pilot"}}))
    return tmp_path


def test_the_minimal_stack_passes_the_gate(minimal_project, capsys):
    code = cli.main(["plan", "--stack", "minimal", "--project", str(minimal_project), "--policy-gate"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "profile standard: no violations" in out
    # No certificate to serve it with (no edge, host or certificateArn): no public Ingress.
    plan = plan_stack("minimal", project=find_project(minimal_project))
    assert not plan.run.of_type("kubernetes:networking.k8s.io/v1:Ingress")


def _mutated(stack, type_token, mutate):
    plan = copy.deepcopy(cached_plan(stack))
    target = next(r for r in plan.resources if r.type == type_token)
    mutate(target)
    return plan, target


def test_a_mutated_public_cluster_fails_naming_rule_and_resource():
    plan, cluster = _mutated("dev", "aws:eks/cluster:Cluster",
                             lambda r: r.inputs["vpcConfig"].update(endpointPublicAccess=True))
    (violation,) = check_plan(plan).mandatory_violations
    assert violation.rule == "eks-private-endpoint" and violation.resource_name == cluster.name
    assert "whole internet" in violation.message


def test_an_unprotected_production_key_fails():
    plan, key = _mutated("prod", "aws:kms/key:Key", lambda r: setattr(r, "protect", False))
    violations = check_plan(plan).mandatory_violations
    assert [(v.rule, v.resource_name) for v in violations] == [("stateful-resources-protected", key.name)]


def _group(pool):
    return lambda r: r.type == "aws:eks/nodeGroup:NodeGroup" and r.inputs["labels"]["tierstack.io/node-group"] == pool


def test_a_single_subnet_node_group_fails():
    plan = copy.deepcopy(cached_plan("staging"))
    group = next(filter(_group("workers"), plan.resources))
    group.inputs.update(subnetIds=group.inputs["subnetIds"][:1])
    assert ("eks-node-groups-multi-az", group.name) in {(v.rule, v.resource_name) for v in check_plan(plan).mandatory_violations}


def test_zonal_node_groups_that_collapse_into_one_az_fail():
    plan = copy.deepcopy(cached_plan("staging"))
    zonal = [r for r in plan.resources if _group("system")(r)]
    assert len(zonal) == 3 and all(len(r.inputs["subnetIds"]) == 1 for r in zonal)
    assert not check_plan(plan).mandatory_violations
    for group in zonal:
        group.inputs.update(subnetIds=zonal[0].inputs["subnetIds"])
    assert "eks-zonal-node-groups-span-azs" in {v.rule for v in check_plan(plan).mandatory_violations}


@pytest.fixture
def unsafe_project(tmp_path):
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copytree(ROOT / "infra", tmp_path / "infra")
    # Valid config, unsafe for its profile: a HIPAA stack on pilot defaults (30-day logs, three
    # control-plane log types) with the API opened to an office network.
    (tmp_path / "Pulumi.unsafe.yaml").write_text(yaml.safe_dump({"config": {
        "aws:region": "us-east-1", "tierstack:tier": "pilot", "tierstack:complianceProfile": "hipaa",
        "tierstack:overrides": {"cluster": {"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]}},
    }}))
    return tmp_path


def test_an_unsafe_stack_fails_the_gate(unsafe_project, capsys):
    evaluation = check_plan(plan_stack("unsafe", project=find_project(unsafe_project)))
    failed = {v.rule for v in evaluation.mandatory_violations}
    assert {"eks-private-endpoint", "eks-control-plane-logging"} <= failed
    assert "cloudwatch-log-retention" in {v.rule for v in evaluation.violations}

    code = cli.main(["plan", "--stack", "unsafe", "--project", str(unsafe_project), "--policy-gate"])
    captured = capsys.readouterr()
    assert code == cli.EXIT_POLICY
    assert "CRITICAL" in captured.out and "eks-private-endpoint [mandatory] aws:eks/cluster:Cluster tierstack-unsafe-use1" in captured.out
    assert "mandatory violation(s); failing." in captured.err


def test_without_the_gate_flag_violations_are_reported_but_do_not_fail(unsafe_project, capsys):
    assert cli.main(["plan", "--stack", "unsafe", "--project", str(unsafe_project)]) == 0
    assert "eks-private-endpoint" in capsys.readouterr().out


def test_policy_config_file_carries_the_stack_context(capsys, tmp_path):
    out = tmp_path / "prod-policy.json"
    assert cli.main(["policy-config", "--stack", "prod", "--project", str(ROOT), "--output", str(out)]) == 0
    document = yaml.safe_load(out.read_text())
    assert document["stateful-resources-protected"] == {"profile": "standard", "production": True}


def test_policy_config_for_a_program_that_is_not_tierstack(capsys, tmp_path):
    assert cli.main(["policy-config", "--profile", "hipaa", "--production"]) == 0
    document = yaml.safe_load(capsys.readouterr().out)
    assert document["rds-storage-encrypted"] == {"profile": "hipaa", "production": True}
    assert len(document) >= 40
    # A foreign project's stack file (no tierstack: keys) takes the flags, defaults standard/false.
    (tmp_path / "Pulumi.yaml").write_text("name: orders\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n  orders:size: small\n")
    assert cli.main(["policy-config", "-s", "dev", "--project", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert yaml.safe_load(captured.out)["rds-storage-encrypted"] == {"profile": "standard", "production": False}
    assert "no tierstack config" in captured.err
    assert cli.main(["policy-config", "-s", "dev", "--project", str(tmp_path), "--no-production",
                     "--profile", "hipaa"]) == 0
    assert yaml.safe_load(capsys.readouterr().out)["rds-storage-encrypted"] == {"profile": "hipaa", "production": False}


def test_policy_config_flags_cannot_contradict_a_tierstack_stack(capsys):
    assert cli.main(["policy-config", "--stack", "prod", "--project", str(ROOT), "--no-production"]) == cli.EXIT_CONFIG
    assert "tierstack stack" in capsys.readouterr().err
