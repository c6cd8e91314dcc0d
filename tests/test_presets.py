"""Library users get a tier's settings for any one component, validated like a stack file's."""

import pytest
from pydantic import ValidationError

from tierstack.config import CacheSettings, ClusterSettings, DatabaseSettings, ServicesSettings
from tierstack.config.tiers import TIER_ORDER
from tierstack.presets import COMPONENTS, preset_settings


@pytest.mark.parametrize("tier", [t.value for t in TIER_ORDER])
def test_every_component_has_validated_preset_settings_at_every_tier(tier):
    kinds = {"cache": CacheSettings, "database": DatabaseSettings, "services": ServicesSettings,
             "cluster": ClusterSettings}
    for component in COMPONENTS:
        settings = preset_settings(tier, component)
        assert type(settings).model_validate(settings.model_dump()) == settings
        if component in kinds:
            assert isinstance(settings, kinds[component])


def test_presets_differ_by_tier_and_unknown_components_are_named():
    assert preset_settings("pilot", "database").shards < preset_settings("hyperscale", "database").shards
    with pytest.raises(ValueError, match="'queue' is not a component"):
        preset_settings("pilot", "queue")


def test_settings_built_in_code_get_the_cross_field_checks_a_stack_file_gets():
    with pytest.raises(ValidationError, match="more than one shard needs cluster mode"):
        CacheSettings(cluster_mode=False, shards=4, replicas_per_shard=1)
    with pytest.raises(ValidationError, match="nothing to fail over to"):
        CacheSettings(replicas_per_shard=0)
    with pytest.raises(ValidationError, match="autoscaling ceiling"):
        DatabaseSettings(readers_per_shard=4, reader_autoscaling={"maxReaders": 2})
    assert CacheSettings(shards=4).cluster_mode is True


def test_a_global_database_on_burstable_instances_is_refused_before_aws_refuses_it():
    from tierstack.config import StackConfigError, build_stack_config

    with pytest.raises(ValidationError, match="memory-optimized"):
        DatabaseSettings(global_database=True, instance_class="db.t4g.medium")
    assert DatabaseSettings(global_database=True, instance_class="db.r7g.large").global_database
    # Pilot's preset is burstable: turning disaster recovery on there names the key to change.
    with pytest.raises(StackConfigError) as caught:
        build_stack_config({"tier": "pilot", "regions": ["us-east-1", "us-west-2"],
                            "overrides": {"data": {"database": {"globalDatabase": True}}}}, stack="dev")
    (issue,) = [i for i in caught.value.issues if "memory-optimized" in i.problem]
    assert issue.path == "data.database.instanceClass (from the 'pilot' preset; override under tierstack:overrides)"
    assert issue.value == "db.t4g.medium"
