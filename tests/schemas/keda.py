"""Strict JSON schemas for the KEDA custom resources tierstack creates (keda.sh/v1alpha1).

kubernetes-validate bundles only built-in kinds. These schemas are written from KEDA's
documented ScaledObject and TriggerAuthentication fields, closed (additionalProperties false)
at every level tierstack writes, so a misspelt field fails the same way strict mode would.
"""

from schemas.common import STRING_MAP, custom_resource


_SCALING_POLICY = {
    "type": "object", "required": ["type", "value", "periodSeconds"], "additionalProperties": False,
    "properties": {"type": {"enum": ["Pods", "Percent"]}, "value": {"type": "integer", "minimum": 1},
                   "periodSeconds": {"type": "integer", "minimum": 1, "maximum": 1800}},
}
_SCALING_RULES = {
    "type": "object", "additionalProperties": False,
    "properties": {"stabilizationWindowSeconds": {"type": "integer", "minimum": 0, "maximum": 3600},
                   "selectPolicy": {"enum": ["Max", "Min", "Disabled"]},
                   "policies": {"type": "array", "items": _SCALING_POLICY}},
}


def _resource(kind: str, spec: dict) -> dict:
    return custom_resource("keda.sh/v1alpha1", kind, spec)


SCALED_OBJECT = _resource("ScaledObject", {
    "type": "object",
    "required": ["scaleTargetRef", "triggers"],
    "additionalProperties": False,
    "properties": {
        "scaleTargetRef": {"type": "object", "required": ["name"], "additionalProperties": False, "properties": {
            "name": {"type": "string"}, "kind": {"type": "string"}, "apiVersion": {"type": "string"}}},
        "minReplicaCount": {"type": "integer", "minimum": 0},
        "maxReplicaCount": {"type": "integer", "minimum": 1},
        "pollingInterval": {"type": "integer", "minimum": 1},
        "cooldownPeriod": {"type": "integer", "minimum": 0},
        "advanced": {"type": "object", "additionalProperties": False, "properties": {
            "horizontalPodAutoscalerConfig": {"type": "object", "additionalProperties": False, "properties": {
                "name": {"type": "string"},
                "behavior": {"type": "object", "additionalProperties": False,
                             "properties": {"scaleUp": _SCALING_RULES, "scaleDown": _SCALING_RULES}}}},
            "restoreToOriginalReplicaCount": {"type": "boolean"}}},
        "triggers": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["type", "metadata"], "additionalProperties": False,
            "properties": {"type": {"type": "string"}, "name": {"type": "string"},
                           "metadata": STRING_MAP,
                           "authenticationRef": {"type": "object", "required": ["name"], "additionalProperties": False,
                                                 "properties": {"name": {"type": "string"},
                                                                "kind": {"enum": ["TriggerAuthentication",
                                                                                  "ClusterTriggerAuthentication"]}}}}}},
    },
})

TRIGGER_AUTHENTICATION = _resource("TriggerAuthentication", {
    "type": "object",
    "additionalProperties": False,
    "properties": {"podIdentity": {
        "type": "object", "required": ["provider"], "additionalProperties": False,
        "properties": {"provider": {"enum": ["none", "azure-workload", "gcp", "aws", "aws-eks"]},
                       "identityOwner": {"enum": ["keda", "workload"]}, "roleArn": {"type": "string"}}}},
})

SCHEMAS = {"ScaledObject": SCALED_OBJECT, "TriggerAuthentication": TRIGGER_AUTHENTICATION}
