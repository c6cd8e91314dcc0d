"""Every Kubernetes object in every tier's plan validates against the official schema of the
cluster's Kubernetes version, in strict mode (unknown fields are errors)."""

import kubernetes_validate
import pytest

from tierstack.tooling.manifests import to_manifest

from conftest import STACKS, TIERS, cached_plan


def _validate_all(plan):
    version = plan.run.of_type("aws:eks/cluster:Cluster")[0].inputs["version"]
    objects = plan.kubernetes_objects()
    assert objects, "the plan should contain Kubernetes objects"
    for resource in objects:
        manifest = to_manifest(resource)
        kubernetes_validate.validate(manifest, f"{version}.0", strict=True)
    return objects


@pytest.mark.parametrize("tier", TIERS)
def test_every_object_of_every_tier_is_schema_valid(tier):
    _validate_all(cached_plan("dev", tier))


@pytest.mark.parametrize("stack", STACKS)
def test_every_object_of_every_stack_is_schema_valid(stack):
    _validate_all(cached_plan(stack))


def test_strict_validation_rejects_an_unknown_field():
    """Guards the check itself: a typo'd field must fail, or the tests above prove nothing."""
    resource = cached_plan("dev").kubernetes_objects()[0]
    manifest = to_manifest(resource)
    manifest["volumeBindingMod"] = "Immediate"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(manifest, "1.35.0", strict=True)


def test_numbers_come_back_as_integers():
    manifest = to_manifest(cached_plan("dev").kubernetes_objects()[0])
    assert not any(isinstance(v, float) for v in _leaves(manifest))


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value
