"""Every Kubernetes object in every tier's plan validates against the official schema of the
cluster's Kubernetes version, in strict mode (unknown fields are errors)."""

import jsonschema
import kubernetes_validate
import pytest

from tierstack.tooling.manifests import to_manifest

from conftest import STACKS, TIERS, cached_plan
from schemas.keda import SCHEMAS as KEDA_SCHEMAS

# Custom resources are checked against tierstack's own strict schemas (see schemas/keda.py);
# everything else against the official schema of the cluster's Kubernetes version.
CUSTOM_KINDS = {"keda.sh/v1alpha1": KEDA_SCHEMAS}


def validate(manifest, version):
    custom = CUSTOM_KINDS.get(manifest["apiVersion"])
    if custom is not None:
        jsonschema.validate(manifest, custom[manifest["kind"]])
    else:
        kubernetes_validate.validate(manifest, f"{version}.0", strict=True)


def _validate_all(plan):
    version = plan.run.of_type("aws:eks/cluster:Cluster")[0].inputs["version"]
    objects = plan.kubernetes_objects()
    assert objects, "the plan should contain Kubernetes objects"
    for resource in objects:
        validate(to_manifest(resource), version)
    return objects


@pytest.mark.parametrize("tier", TIERS)
def test_every_object_of_every_tier_is_schema_valid(tier):
    _validate_all(cached_plan("dev", tier))


@pytest.mark.parametrize("stack", STACKS)
def test_every_object_of_every_stack_is_schema_valid(stack):
    _validate_all(cached_plan(stack))


def _object(kind):
    return to_manifest(next(r for r in cached_plan("dev").kubernetes_objects() if r.inputs["kind"] == kind))


def test_the_plan_holds_every_kind_the_services_need():
    kinds = {r.inputs["kind"] for r in cached_plan("dev").kubernetes_objects()}
    assert {"Namespace", "ServiceAccount", "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget",
            "NetworkPolicy", "Ingress", "StorageClass", "ScaledObject", "TriggerAuthentication"} <= kinds


@pytest.mark.parametrize("kind, path", [
    ("StorageClass", ("volumeBindingMod",)),
    ("Deployment", ("spec", "template", "spec", "containers", 0, "readinesProbe")),
    ("HorizontalPodAutoscaler", ("spec", "behaviour")),
    ("ScaledObject", ("spec", "triggers", 0, "authRef")),
    ("TriggerAuthentication", ("spec", "podIdentity", "identityowner")),
])
def test_strict_validation_rejects_an_unknown_field(kind, path):
    """Guards the check itself: a misspelt field must fail, or the tests above prove nothing."""
    manifest = _object(kind)
    node = manifest
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = "x"
    with pytest.raises((kubernetes_validate.ValidationError, jsonschema.ValidationError)):
        validate(manifest, "1.35")


def test_numbers_come_back_as_integers():
    manifest = _object("Deployment")
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
