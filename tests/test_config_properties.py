"""Property test: whatever overrides a user writes, loading either returns a valid config or
raises a clean StackConfigError. Never a TypeError, KeyError or a half-valid config."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tierstack.config import StackConfig, StackConfigError, build_stack_config
from tierstack.config.tiers import TIER_ORDER, preset

# Real keys (so the generator reaches deep into the schema) mixed with junk ones.
KEYS = sorted({
    "network", "cluster", "services", "regionCount", "vpcCidr", "azCount", "natGateways", "flowLogRetentionDays",
    "interfaceEndpoints", "kubernetesVersion", "endpointPublicAccess", "publicAccessCidrs", "controlPlaneLogTypes",
    "logRetentionDays", "adminRoleArns", "nodeGroups", "workers", "system", "general", "instanceTypes", "minSize",
    "maxSize", "desiredSize", "diskSizeGiB", "capacityType", "amiType", "labels", "taints", "auth", "model",
    "memory", "replicas", "cpu", "autoscaling", "minReplicas", "maxReplicas", "enabled", "bogus", "x",
})
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 1000), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["single", "perAz", "1.35", "m6i.large", "m7g.large", "10.0.0.0/16", "0.0.0.0/0", "4Gi", "500m",
                     "ON_DEMAND", "AL2023_ARM_64_STANDARD", "", "ünïcode"]),
    st.text(max_size=12),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)),
    max_leaves=20,
)
OVERRIDES = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=5)
TOP_LEVEL = st.fixed_dictionaries(
    {"tier": st.sampled_from([t.value for t in TIER_ORDER] + ["mega", 3])},
    optional={
        "regions": st.one_of(st.lists(st.sampled_from(["us-east-1", "eu-west-1", "us-west-1", "mars-1", ""]), max_size=4),
                             SCALARS),
        "production": SCALARS,
        "environment": st.one_of(st.sampled_from(["dev", "prod", "X"]), SCALARS),
        "tags": st.one_of(st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=3), SCALARS),
        "bogus": SCALARS,
    },
)


def _check(raw):
    try:
        config = build_stack_config(raw, stack="fuzz")
    except StackConfigError as error:
        assert error.issues, "an error must list at least one problem"
        for issue in error.issues:
            assert issue.path and issue.problem and issue.fix
        return
    assert isinstance(config, StackConfig)
    for group in config.cluster.node_groups.values():
        assert group.min_size <= group.max_size
    for _, service in config.services.items():
        if service.autoscaling.enabled:
            assert service.autoscaling.min_replicas <= service.replicas <= service.autoscaling.max_replicas


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(top=TOP_LEVEL, overrides=OVERRIDES)
def test_random_overrides_never_escape_validation(top, overrides):
    _check({**top, "overrides": overrides})


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tier=st.sampled_from(TIER_ORDER), data=st.data())
def test_random_edits_of_real_presets_never_escape_validation(tier, data):
    """Start from a real preset and change one leaf: exercises the rules on near-valid input."""
    document = preset(tier)
    section = data.draw(st.sampled_from(["network", "cluster"]))
    key = data.draw(st.sampled_from(sorted(document[section])))
    document[section][key] = data.draw(VALUES)
    _check({"tier": tier.value, "overrides": {section: document[section]}})
