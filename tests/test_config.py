"""StackConfig: good configs load, and every kind of bad value is reported with its key,
its value and a fix, before anything is created."""

import json

import pytest

from tierstack.config import StackConfigError, Tier, build_stack_config
from tierstack.config.loader import raw_from_engine_config
from tierstack.config.merge import deep_merge
from tierstack.tooling.stackfiles import engine_config

from conftest import STACKS, project


@pytest.mark.parametrize("stack", STACKS)
def test_stack_files_load(stack):
    values, _ = engine_config(project(), stack)
    config = build_stack_config(raw_from_engine_config(values), stack=stack, home_region=values.get("aws:region"))
    assert config.environment == stack
    assert config.production is (stack == "prod")


def test_prod_stack_spans_two_regions_with_its_own_overrides():
    values, _ = engine_config(project(), "prod")
    config = build_stack_config(raw_from_engine_config(values), stack="prod")
    assert config.tier is Tier.SCALE and config.regions == ["us-east-1", "eu-west-1"]
    assert config.cluster.log_retention_days == 365 and config.tags["DataClassification"] == "confidential"


def test_engine_strings_are_read_as_the_types_they_spell():
    values = {"tierstack:tier": "growth", "tierstack:production": "true",
              "tierstack:overrides": json.dumps({"network": {"azCount": "2"}}), "aws:region": "eu-west-1"}
    config = build_stack_config(raw_from_engine_config(values), stack="test")
    assert config.production is True and config.network.az_count == 2


def test_overrides_deep_merge_and_null_removes_a_preset_entry():
    config = build_stack_config({"tier": "enterprise", "overrides": {
        "cluster": {"nodeGroups": {"memory": None, "workers": {"maxSize": 40}}}}}, stack="test")
    assert set(config.cluster.node_groups) == {"system", "workers"}
    workers = config.cluster.node_groups["workers"]
    assert workers.max_size == 40 and workers.instance_types == ["m6i.4xlarge"]  # the rest of the preset stays


def test_deep_merge_replaces_lists_rather_than_merging_them():
    assert deep_merge({"a": {"b": [1, 2, 3], "c": 1}}, {"a": {"b": [9]}}) == {"a": {"b": [9], "c": 1}}


def test_default_regions_start_at_the_home_region():
    config = build_stack_config({"tier": "scale"}, stack="test", home_region="eu-west-1")
    assert config.regions == ["eu-west-1", "us-east-1"]


def test_a_public_endpoint_with_scoped_cidrs_is_accepted():
    config = build_stack_config({"tier": "growth", "overrides": {"cluster": {
        "endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.10/32"]}}}, stack="test")
    assert [str(c) for c in config.cluster.public_access_cidrs] == ["203.0.113.10/32"]


BAD = [
    # (case id, raw config, expected path, words expected in the problem or fix)
    ("unknown-top-level-key", {"tier": "pilot", "overide": {}}, "tierstack:overide", ["did you mean 'overrides'"]),
    ("missing-tier", {}, "tierstack:tier", ["pilot, growth"]),
    ("misspelled-tier", {"tier": "hyperscal"}, "tierstack:tier", ["did you mean 'hyperscale'"]),
    ("unknown-nested-key", {"tier": "pilot", "overrides": {"network": {"natGateway": "single"}}},
     "tierstack:overrides.network.natGateway", ["did you mean 'natGateways'"]),
    ("az-count-out-of-range", {"tier": "pilot", "overrides": {"network": {"azCount": 9}}},
     "tierstack:overrides.network.azCount", ["at most 6"]),
    ("az-count-region-lacks", {"tier": "pilot", "regions": ["us-west-1"], "overrides": {"network": {"azCount": 3}}},
     "tierstack:overrides.network.azCount", ["us-west-1", "only 2"]),
    ("az-count-in-a-later-region", {"tier": "hyperscale", "overrides": {"network": {"azCount": 4}}},
     "tierstack:overrides.network.azCount", ["eu-west-1"]),
    ("single-nat-in-production-tier", {"tier": "enterprise", "overrides": {"network": {"natGateways": "single"}}},
     "tierstack:overrides.network.natGateways", ["production tier"]),
    ("node-min-above-max", {"tier": "growth", "overrides": {"cluster": {"nodeGroups": {"workers": {"maxSize": 2}}}}},
     "tierstack:overrides.cluster.nodeGroups.workers.maxSize", ["below minSize (3)", "at least 3"]),
    ("node-max-over-quota", {"tier": "growth", "overrides": {"cluster": {"nodeGroups": {"workers": {"maxSize": 500}}}}},
     "tierstack:overrides.cluster.nodeGroups.workers.maxSize", ["450"]),
    ("desired-outside-bounds", {"tier": "growth", "overrides": {"cluster": {"nodeGroups": {"workers": {"desiredSize": 99}}}}},
     "tierstack:overrides.cluster.nodeGroups.workers.desiredSize", ["between minSize"]),
    ("instance-type-typo", {"tier": "pilot", "overrides": {"cluster": {"nodeGroups": {"general": {"instanceTypes": ["m6i.xlarg"]}}}}},
     "tierstack:overrides.cluster.nodeGroups.general.instanceTypes[0]", ["did you mean 'm6i.xlarge'"]),
    ("arm-type-on-x86-ami", {"tier": "pilot", "overrides": {"cluster": {"nodeGroups": {"general": {"instanceTypes": ["m7g.xlarge"]}}}}},
     "tierstack:overrides.cluster.nodeGroups.general.instanceTypes[0]", ["arm64", "amiType"]),
    ("public-endpoint-without-cidrs", {"tier": "pilot", "overrides": {"cluster": {"endpointPublicAccess": True}}},
     "cluster.publicAccessCidrs", ["open to the internet"]),
    ("public-endpoint-to-world", {"tier": "pilot", "overrides": {"cluster": {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}}},
     "tierstack:overrides.cluster.publicAccessCidrs", ["whole internet"]),
    ("unsupported-kubernetes", {"tier": "pilot", "overrides": {"cluster": {"kubernetesVersion": "1.29"}}},
     "tierstack:overrides.cluster.kubernetesVersion", ["1.35"]),
    ("log-retention-not-allowed", {"tier": "pilot", "overrides": {"cluster": {"logRetentionDays": 45}}},
     "tierstack:overrides.cluster.logRetentionDays", ["nearest"]),
    ("unknown-region", {"tier": "pilot", "regions": ["us-east-9"]}, "tierstack:regions", ["not an AWS region"]),
    ("duplicate-region", {"tier": "scale", "regions": ["us-east-1", "us-east-1"]}, "tierstack:regions", ["twice"]),
    ("bad-environment-name", {"tier": "pilot", "environment": "Prod_EU"}, "tierstack:environment", ["lowercase"]),
    ("reserved-tag-prefix", {"tier": "pilot", "tags": {"aws:owner": "me"}}, "tierstack:tags", ["reserved"]),
    ("memory-quantity", {"tier": "pilot", "overrides": {"services": {"model": {"memory": "4GB"}}}},
     "tierstack:overrides.services.model.memory", ["Gi"]),
    ("service-min-above-max", {"tier": "pilot", "overrides": {"services": {"auth": {"autoscaling": {"maxReplicas": 1}}}}},
     "tierstack:overrides.services.auth.autoscaling.maxReplicas", ["below minReplicas"]),
    ("public-vpc-range", {"tier": "pilot", "overrides": {"network": {"vpcCidr": "8.8.0.0/16"}}},
     "tierstack:overrides.network.vpcCidr", ["RFC 1918"]),
    ("vpc-too-small", {"tier": "pilot", "overrides": {"network": {"vpcCidr": "10.0.0.0/24"}}},
     "tierstack:overrides.network.vpcCidr", ["/20"]),
    ("wrong-type", {"tier": "pilot", "overrides": {"network": {"azCount": "three"}}},
     "tierstack:overrides.network.azCount", ["whole number"]),
    ("overrides-not-a-mapping", {"tier": "pilot", "overrides": ["network"]}, "tierstack:overrides", ["mapping"]),
]


@pytest.mark.parametrize("raw, path, words", [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_bad_values_name_the_key_value_and_fix(raw, path, words):
    with pytest.raises(StackConfigError) as caught:
        build_stack_config(raw, stack="dev")
    issues = caught.value.issues
    matching = [i for i in issues if i.path.startswith(path)]
    assert matching, f"no issue at {path}; got {[i.path for i in issues]}"
    text = " ".join(f"{i.problem} {i.fix}" for i in matching)
    for word in words:
        assert word in text, f"{word!r} not in {text!r}"
    rendered = str(caught.value)
    assert rendered.startswith("Stack 'dev' has") and "nothing was created" in rendered
    assert all(i.fix for i in issues) and "Fix:" in rendered


def test_all_problems_are_reported_together():
    with pytest.raises(StackConfigError) as caught:
        build_stack_config({"tier": "pilot", "overrides": {"network": {"azCount": 1, "natGateways": "one"},
                                                           "cluster": {"logRetentionDays": 2}}}, stack="dev")
    assert {i.path for i in caught.value.issues} == {
        "tierstack:overrides.network.azCount", "tierstack:overrides.network.natGateways",
        "tierstack:overrides.cluster.logRetentionDays"}


def test_preset_values_are_attributed_to_the_preset():
    with pytest.raises(StackConfigError) as caught:
        build_stack_config({"tier": "growth", "regions": ["us-west-1"]}, stack="dev")
    (issue,) = caught.value.issues
    assert issue.path == "network.azCount (from the 'growth' preset; override under tierstack:overrides)"
    assert issue.value == 3
