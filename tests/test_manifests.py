"""Every Kubernetes object in every tier's plan validates against the official schema of the
cluster's Kubernetes version, in strict mode (unknown fields are errors)."""

import functools
import re

import jsonschema
import kubernetes_validate
import pytest
from kubernetes_validate import utils as kv_utils
from referencing import Registry, Resource

from tierstack.tooling.manifests import to_manifest

from conftest import STACKS, TIERS, cached_plan
from schemas.keda import SCHEMAS as KEDA_SCHEMAS
from schemas.monitoring import SCHEMAS as MONITORING_SCHEMAS

# Custom resources are checked against tierstack's own strict schemas (see schemas/keda.py);
# everything else against the official schema of the cluster's Kubernetes version.
CUSTOM_KINDS = {"keda.sh/v1alpha1": KEDA_SCHEMAS, "monitoring.coreos.com/v1": MONITORING_SCHEMAS}


@functools.lru_cache(maxsize=None)
def _definitions(schema_dir: str):
    return Resource.from_contents(kv_utils.schema_contents(f"kubernetes-json-schema/{schema_dir}/_definitions.json", ""))


@functools.lru_cache(maxsize=None)
def _official_validator(version: str, kind: str, api_version: str):
    """kubernetes_validate's strict check, with each schema parsed once instead of per object."""
    schema_dir = f"v{version}.0-local-strict"
    group_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    schema = kv_utils.schema_contents(f"kubernetes-json-schema/{schema_dir}/{kind.lower()}-{group_version}.json", version)
    registry = _definitions(schema_dir) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.validators.Draft202012Validator(schema, registry=registry)


def validate(manifest, version):
    custom = CUSTOM_KINDS.get(manifest["apiVersion"])
    if custom is not None:
        jsonschema.validate(manifest, custom[manifest["kind"]])
    else:
        _official_validator(version, manifest["kind"], manifest["apiVersion"]).validate(manifest)


def test_cached_validator_agrees_with_kubernetes_validate():
    for resource in cached_plan("dev").kubernetes_objects():
        manifest = to_manifest(resource)
        if manifest["apiVersion"] not in CUSTOM_KINDS:
            kubernetes_validate.validate(manifest, "1.35.0", strict=True)  # raises on any difference in verdict
            validate(manifest, "1.35")


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
