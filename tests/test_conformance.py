"""Input conformance: every AWS input the offline plan records is one pulumi-aws would accept.

The plan gates run the checker over every shipped stack and every tier; the canaries take real
recorded inputs, break them the ways a component edit could, and prove the checker notices.
"""

from __future__ import annotations

import copy
import time

import pytest
from pulumi.runtime import rpc

from conftest import STACKS, TIERS, cached_plan
from tierstack.deploy.conformance import Mismatch, check_plan_inputs, check_resource_inputs, is_checked_type

EKS_CLUSTER = "aws:eks/cluster:Cluster"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
AWS_PROVIDER = "pulumi:providers:aws"


def _report(mismatches: list[tuple[str, Mismatch]]) -> str:
    lines = [f"{len(mismatches)} input(s) pulumi-aws would reject:"]
    lines += [f"  - {urn}\n      {m}" for urn, m in mismatches]
    return "\n".join(lines)


def _assert_conforms(plan) -> None:
    checked = [r for r in plan.resources if is_checked_type(r.type)]
    assert checked, "the plan has no AWS resources to check"
    mismatches = check_plan_inputs(plan.resources)
    assert not mismatches, _report(mismatches)


# -- the gates ----------------------------------------------------------------------------------

@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_plans_inputs_the_provider_accepts(stack):
    _assert_conforms(cached_plan(stack))


@pytest.mark.parametrize("tier", TIERS)
def test_every_tier_plans_inputs_the_provider_accepts(tier):
    _assert_conforms(cached_plan("dev", tier))


def test_checking_the_largest_plan_is_fast():
    plan = cached_plan("dev", "hyperscale")
    started = time.perf_counter()
    check_plan_inputs(plan.resources)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"checking {len(plan.resources)} resources took {elapsed:.2f}s"


# -- canaries: real recorded inputs, broken on purpose ------------------------------------------

def _recorded(type_token: str) -> dict:
    """A deep copy of the first recorded inputs of ``type_token`` in the dev plan."""
    resources = cached_plan("dev").run.of_type(type_token)
    assert resources, f"the dev plan records no {type_token}; pick another canary"
    inputs = copy.deepcopy(resources[0].inputs)
    assert check_resource_inputs(type_token, inputs) == [], "the canary must start from conforming inputs"
    return inputs


def _at(mismatches: list[Mismatch], path: str) -> Mismatch:
    found = [m for m in mismatches if m.path == path]
    assert found, f"no mismatch at {path}; got {mismatches}"
    return found[0]


def test_a_misspelt_nested_key_is_caught_with_a_suggestion():
    inputs = _recorded(EKS_CLUSTER)
    inputs["vpcConfig"]["subnetIdz"] = inputs["vpcConfig"].pop("subnetIds")
    mismatches = check_resource_inputs(EKS_CLUSTER, inputs)
    misspelt = _at(mismatches, "inputs.vpcConfig.subnetIdz")
    assert "not an input of ClusterVpcConfig" in misspelt.problem
    assert "did you mean 'subnetIds'" in misspelt.fix
    # subnetIds is required inside vpcConfig, so its absence is reported too.
    assert "missing" in _at(mismatches, "inputs.vpcConfig.subnetIds").problem


def test_a_python_name_on_the_wire_points_at_the_wire_name():
    inputs = _recorded(RDS_CLUSTER)
    inputs["backup_retention_period"] = 7
    mismatch = _at(check_resource_inputs(RDS_CLUSTER, inputs), "inputs.backup_retention_period")
    assert "did you mean 'backupRetentionPeriod'" in mismatch.fix


@pytest.mark.parametrize("value", ["postgresql", {"postgresql": True}])
def test_a_string_or_object_where_a_list_is_expected_is_caught(value):
    inputs = _recorded(RDS_CLUSTER)
    inputs["enabledCloudwatchLogsExports"] = value
    mismatch = _at(check_resource_inputs(RDS_CLUSTER, inputs), "inputs.enabledCloudwatchLogsExports")
    assert "a list of strings" in mismatch.problem


def test_a_list_where_an_object_is_expected_is_caught():
    inputs = _recorded(EKS_CLUSTER)
    inputs["vpcConfig"] = [inputs["vpcConfig"]]
    mismatch = _at(check_resource_inputs(EKS_CLUSTER, inputs), "inputs.vpcConfig")
    assert "an object (ClusterVpcConfig)" in mismatch.problem


def test_an_element_of_the_wrong_type_inside_a_list_is_caught():
    inputs = _recorded(EKS_CLUSTER)
    inputs["vpcConfig"]["subnetIds"] = list(inputs["vpcConfig"]["subnetIds"]) + [{"id": "subnet-1"}]
    index = len(inputs["vpcConfig"]["subnetIds"]) - 1
    _at(check_resource_inputs(EKS_CLUSTER, inputs), f"inputs.vpcConfig.subnetIds[{index}]")


def test_a_string_where_an_integer_is_expected_is_caught():
    inputs = _recorded(RDS_CLUSTER)
    inputs["backupRetentionPeriod"] = "seven"
    mismatch = _at(check_resource_inputs(RDS_CLUSTER, inputs), "inputs.backupRetentionPeriod")
    assert "the string 'seven'" in mismatch.problem and "an integer" in mismatch.problem


def test_numbers_are_checked_as_the_wire_carries_them():
    inputs = _recorded(RDS_CLUSTER)
    inputs["backupRetentionPeriod"] = 7.0  # every number crosses the wire as a float
    assert check_resource_inputs(RDS_CLUSTER, inputs) == []
    inputs["backupRetentionPeriod"] = 7.5
    assert _at(check_resource_inputs(RDS_CLUSTER, inputs), "inputs.backupRetentionPeriod")
    inputs["backupRetentionPeriod"] = "7"
    assert "unquoted" in _at(check_resource_inputs(RDS_CLUSTER, inputs), "inputs.backupRetentionPeriod").fix
    inputs["backupRetentionPeriod"] = True
    assert _at(check_resource_inputs(RDS_CLUSTER, inputs), "inputs.backupRetentionPeriod")


def test_an_unknown_top_level_key_is_caught():
    inputs = _recorded(RDS_CLUSTER)
    inputs["deletionProtecton"] = True
    inputs["frobnicate"] = "yes"
    mismatches = check_resource_inputs(RDS_CLUSTER, inputs)
    assert "did you mean 'deletionProtection'" in _at(mismatches, "inputs.deletionProtecton").fix
    bogus = _at(mismatches, "inputs.frobnicate")
    assert f"not an input of {RDS_CLUSTER}" in bogus.problem and bogus.fix.startswith("remove it")


@pytest.mark.parametrize("type_token, key", [(RDS_CLUSTER, "engine"), (EKS_CLUSTER, "roleArn")])
def test_a_missing_required_property_is_caught(type_token, key):
    inputs = _recorded(type_token)
    del inputs[key]
    mismatch = _at(check_resource_inputs(type_token, inputs), f"inputs.{key}")
    assert "is missing" in mismatch.problem


def test_an_enum_only_property_takes_only_member_values():
    # ClusterInstance.engine is typed EngineType alone (the cluster's takes Union[str, EngineType]).
    inputs = _recorded(RDS_INSTANCE)
    inputs["engine"] = "aurora-postgres"
    mismatch = _at(check_resource_inputs(RDS_INSTANCE, inputs), "inputs.engine")
    assert "one of EngineType" in mismatch.problem
    assert "did you mean 'aurora-postgresql'" in mismatch.fix


def test_a_property_typed_string_or_enum_takes_any_string():
    inputs = _recorded(RDS_CLUSTER)
    inputs["engine"] = "aurora-postgres-next"
    assert check_resource_inputs(RDS_CLUSTER, inputs) == []


def test_unknown_values_and_engine_plumbing_are_accepted():
    inputs = _recorded(RDS_CLUSTER)
    inputs["backupRetentionPeriod"] = None
    inputs["kmsKeyId"] = rpc.UNKNOWN
    inputs["__defaults"] = ["backupRetentionPeriod"]
    assert check_resource_inputs(RDS_CLUSTER, inputs) == []


def test_an_unknown_type_token_is_reported():
    [mismatch] = check_resource_inputs("aws:rds/clustr:Cluster", {})
    assert mismatch.path == "type" and "did you mean 'aws:rds/cluster:Cluster'" in mismatch.fix


def test_provider_inputs_are_checked_through_their_json_encoding():
    provider = next(r for r in cached_plan("dev").resources if r.type == AWS_PROVIDER)
    inputs = copy.deepcopy(provider.inputs)
    assert check_resource_inputs(AWS_PROVIDER, inputs) == []
    inputs["skipCredentialsValidation"] = "maybe"
    inputs["defaultTags"] = '{"tagz": {"team": "agents"}}'
    mismatches = check_resource_inputs(AWS_PROVIDER, inputs)
    assert _at(mismatches, "inputs.skipCredentialsValidation")
    assert "did you mean 'tags'" in _at(mismatches, "inputs.defaultTags.tagz").fix


def test_check_plan_inputs_names_the_resource():
    plan = cached_plan("dev")
    broken = copy.deepcopy(plan.run.of_type(RDS_CLUSTER)[0])
    broken.inputs["backupRetentionPeriod"] = "seven"
    [(urn, mismatch)] = check_plan_inputs([broken])
    assert urn == broken.urn and mismatch.path == "inputs.backupRetentionPeriod"
