"""StackConfig: good configs load, and every kind of bad value is reported with its key,
its value and a fix, before anything is created."""

import json

import pytest
import yaml

from tierstack.config import StackConfigError, Tier, build_stack_config
from tierstack.config.loader import raw_from_engine_config
from tierstack.config.merge import deep_merge
from tierstack.config.tiers import SEED_SERVICE_NAMES
from tierstack.tooling import cli
from tierstack.tooling.stackfiles import StackFileError, Project, engine_config, find_project

from conftest import ROOT, STACKS, project

# What a production stack must add to the presets before it can deploy: its own images (the
# demo image exports no metrics) and, with two regions, an API the deploy runner can reach.
PRODUCTION_READY = {
    "services": {name: {"image": f"ghcr.io/acme/agent-{name}:1.4.2"} for name in (*SEED_SERVICE_NAMES, "worker")},
    "cluster": {"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.10/32"]},
}


def _stack_raw(stack: str) -> tuple[dict, dict]:
    values, _ = engine_config(project(), stack)
    raw = raw_from_engine_config(values)
    if stack == "prod":  # the file's own images and CIDRs win; these only fill what it lacks
        raw["overrides"] = deep_merge(PRODUCTION_READY, raw.get("overrides") or {})
    return raw, values


@pytest.mark.parametrize("stack", STACKS)
def test_stack_files_load(stack):
    raw, values = _stack_raw(stack)
    config = build_stack_config(raw, stack=stack, home_region=values.get("aws:region"), deployment=True)
    assert config.environment == stack
    assert config.production is (stack == "prod")


def test_prod_stack_spans_two_regions_with_its_own_overrides():
    raw, _ = _stack_raw("prod")
    config = build_stack_config(raw, stack="prod")
    assert config.tier is Tier.SCALE and config.regions == ["us-east-1", "eu-west-1"]
    assert config.cluster.log_retention_days == 365 and config.tags["DataClassification"] == "confidential"


def test_engine_strings_are_read_as_the_types_they_spell():
    overrides = deep_merge({"network": {"azCount": "2"}}, {"services": PRODUCTION_READY["services"]})
    values = {"tierstack:tier": "growth", "tierstack:production": "true",
              "tierstack:overrides": json.dumps(overrides), "aws:region": "eu-west-1"}
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
    # Environment names end up in RDS and ElastiCache identifiers.
    ("environment-trailing-hyphen", {"tier": "pilot", "environment": "dev-"}, "tierstack:environment",
     ["end with a hyphen", "single hyphens", "'dev'"]),
    ("environment-double-hyphen", {"tier": "pilot", "environment": "dev--eu"}, "tierstack:environment",
     ["two in a row", "'dev-eu'"]),
    # kubernetesVersion: 1.30 unquoted in YAML arrives as 1.3.
    ("kubernetes-version-float", {"tier": "pilot", "overrides": {"cluster": {"kubernetesVersion": 1.3}}},
     "tierstack:overrides.cluster.kubernetesVersion", ["number 1.3", "1.30", "quote it"]),
    ("kubernetes-version-supported-float", {"tier": "pilot", "overrides": {"cluster": {"kubernetesVersion": 1.35}}},
     "tierstack:overrides.cluster.kubernetesVersion", ["quote it", '"1.35"']),
    ("kubernetes-version-stripped-zero", {"tier": "pilot", "overrides": {"cluster": {"kubernetesVersion": "1.3"}}},
     "tierstack:overrides.cluster.kubernetesVersion", ["1.30", "trailing zero", "quote"]),
    ("db-version-float", {"tier": "pilot", "overrides": {"data": {"database": {"engineVersion": 16.1}}}},
     "tierstack:overrides.data.database.engineVersion", ["1.30 becomes 1.3", "quote"]),
    # Tags: AWS's 50 per resource minus tierstack's reserve, AWS's characters, tierstack's own keys.
    ("too-many-tags", {"tier": "pilot", "tags": {f"Team{i}": "x" for i in range(41)}}, "tierstack:tags",
     ["41 tags", "reserves 10", "40 or fewer"]),
    ("tag-key-bad-character", {"tier": "pilot", "tags": {"cost#center": "x"}}, "tierstack:tags",
     ["'cost#center'", "'#'", "letters, digits, spaces"]),
    ("tag-value-bad-character", {"tier": "pilot", "tags": {"Owner": "a&b"}}, "tierstack:tags", ["'&'", "Owner"]),
    ("tag-key-collides-environment", {"tier": "pilot", "tags": {"Environment": "prod"}}, "tierstack:tags",
     ["tierstack sets itself", "overwritten", "rename it"]),
    ("tag-key-collides-prefix", {"tier": "pilot", "tags": {"tierstack.io/cluster": "x"}}, "tierstack:tags",
     ["tierstack sets itself", "tierstack.io/"]),
    ("tag-key-collides-tier", {"tier": "pilot", "tags": {"tierstack:tier": "x"}}, "tierstack:tags", ["overwritten"]),
    # A production stack must not run the demo image.
    ("production-demo-image", {"tier": "growth", "production": True}, "services.auth.image",
     ["demo image", "http_requests_per_second", "never scale in", "tierstack:overrides.services.auth.image",
      "pinned image"]),
    ("production-demo-worker", {"tier": "growth", "production": True, "overrides": deep_merge(
        PRODUCTION_READY, {"services": {"worker": {"image": "hashicorp/http-echo:1.0.0"}}})},
     "tierstack:overrides.services.worker.image", ["demo image", "tierstack:overrides.services.worker.image"]),
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


def test_new_checks_accept_good_values():
    config = build_stack_config({"tier": "growth", "environment": "prod-eu-1", "production": True,
                                 "tags": {**{f"Team{i}": "x" for i in range(39)}, "Cost Center": "Ünïcode_.:/=+-@ 1"},
                                 "overrides": deep_merge(PRODUCTION_READY, {"cluster": {"kubernetesVersion": "1.36"}})},
                                stack="dev")
    assert config.environment == "prod-eu-1" and config.cluster.kubernetes_version == "1.36"
    assert len(config.tags) == 40
    assert config.services.auth.image == "ghcr.io/acme/agent-auth:1.4.2"


def test_demo_image_is_fine_outside_production():
    config = build_stack_config({"tier": "growth"}, stack="dev")
    assert config.production is False and config.services.auth.image.startswith("hashicorp/http-echo:")


def test_multi_region_private_endpoints_need_a_reachable_api():
    raw = {"tier": "scale"}
    with pytest.raises(StackConfigError) as caught:
        build_stack_config(raw, stack="dev", deployment=True)
    (issue,) = [i for i in caught.value.issues if "endpointPublicAccess" in i.path]
    assert issue.path.startswith("cluster.endpointPublicAccess") and issue.value is False
    assert "no single deploy runner" in issue.problem
    assert "publicAccessCidrs" in issue.fix and "one stack per region" in issue.fix
    # Set explicitly, the key is the user's own.
    with pytest.raises(StackConfigError) as caught:
        build_stack_config({"tier": "scale", "overrides": {"cluster": {"endpointPublicAccess": False}}},
                           stack="dev", deployment=True)
    assert "tierstack:overrides.cluster.endpointPublicAccess" in {i.path for i in caught.value.issues}
    # Open to the runners, or a single private region, deploys.
    opened = {"tier": "scale", "overrides": {"cluster": PRODUCTION_READY["cluster"]}}
    assert build_stack_config(opened, stack="dev", deployment=True).cluster.endpoint_public_access
    single = build_stack_config({"tier": "scale", "regions": ["eu-west-1"], "overrides": {"regionCount": 1}},
                                stack="dev", deployment=True)
    assert single.cluster.endpoint_public_access is False


# -- Stack files that are not mappings where Pulumi expects one ----------------------------------

def _scratch(tmp_path, stack_text: str, name: str = "broken") -> str:
    (tmp_path / "Pulumi.yaml").write_text(yaml.safe_dump(
        {"name": "tierstack", "runtime": "python", "main": str(ROOT / "infra")}))
    (tmp_path / f"Pulumi.{name}.yaml").write_text(stack_text)
    return str(tmp_path)


STACK_FILE_ERRORS = [
    ("top-level-list", "- config\n- tierstack:tier\n", ["Pulumi.broken.yaml", "mapping at the top level"]),
    ("config-is-a-list", "config:\n  - tierstack:tier: pilot\n",
     ["Pulumi.broken.yaml", "'config'", "a list", "namespace:key"]),
    ("config-is-a-scalar", "config: pilot\n", ["Pulumi.broken.yaml", "'config'", "a string"]),
    ("config-key-not-a-string", "config:\n  1: pilot\n", ["Pulumi.broken.yaml", "1", "namespace:key"]),
    ("overrides-is-a-list", "config:\n  tierstack:tier: pilot\n  tierstack:overrides:\n    - network\n",
     ["tierstack:overrides = [\"network\"]", "Fix: write a mapping"]),
    ("overrides-is-a-scalar", "config:\n  tierstack:tier: pilot\n  tierstack:overrides: network\n",
     ["tierstack:overrides = \"network\"", "Fix: write a mapping"]),
    ("kubernetes-version-unquoted", "config:\n  tierstack:tier: pilot\n  tierstack:overrides:\n"
     "    cluster:\n      kubernetesVersion: 1.30\n",
     ["tierstack:overrides.cluster.kubernetesVersion = 1.3", "quote it"]),
]


@pytest.mark.parametrize("text, words", [c[1:] for c in STACK_FILE_ERRORS], ids=[c[0] for c in STACK_FILE_ERRORS])
def test_malformed_stack_files_exit_2_with_a_message_not_a_traceback(tmp_path, capsys, text, words):
    code = cli.main(["plan", "-s", "broken", "--project", _scratch(tmp_path, text)])
    captured = capsys.readouterr()
    assert code == cli.EXIT_CONFIG and captured.out == ""
    assert captured.err.startswith("error: ") and "Traceback" not in captured.err
    for word in words:
        assert word in captured.err, (word, captured.err)


def test_project_file_without_a_name_is_a_clean_error(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("runtime: python\n")
    with pytest.raises(StackFileError, match="Pulumi.yaml.*'name'"):
        find_project(tmp_path)


def test_project_config_defaults_must_be_a_mapping(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: tierstack\nruntime: python\nconfig: [a, b]\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  tierstack:tier: pilot\n")
    with pytest.raises(StackFileError, match="Pulumi.yaml.*'config'.*a list"):
        engine_config(find_project(tmp_path), "dev")


def test_well_formed_scratch_stack_reads(tmp_path):
    root = _scratch(tmp_path, "config:\n  tierstack:tier: pilot\n", name="ok")
    values, secrets = engine_config(find_project(tmp_path), "ok")
    assert values["tierstack:tier"] == "pilot" and secrets == [] and root == str(tmp_path)
    assert isinstance(find_project(tmp_path), Project)
