"""Strict JSON schemas for the Prometheus Operator resources tierstack creates (monitoring.coreos.com/v1).

Written from the operator's ServiceMonitor and PrometheusRule API (v0.94), closed
(additionalProperties false) at every level tierstack writes, so a misspelt field fails the
way strict validation of a built-in kind would.
"""

from schemas.common import STRING_MAP, custom_resource


_DURATION = {"type": "string", "pattern": "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"}
_LABEL_SELECTOR = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "matchLabels": STRING_MAP,
        "matchExpressions": {"type": "array", "items": {
            "type": "object", "required": ["key", "operator"], "additionalProperties": False,
            "properties": {"key": {"type": "string"}, "operator": {"enum": ["In", "NotIn", "Exists", "DoesNotExist"]},
                           "values": {"type": "array", "items": {"type": "string"}}}}},
    },
}


def _resource(kind: str, spec: dict) -> dict:
    return custom_resource("monitoring.coreos.com/v1", kind, spec)


_ENDPOINT = {
    "type": "object", "additionalProperties": False,
    "properties": {"port": {"type": "string"}, "targetPort": {"type": ["string", "integer"]},
                   "path": {"type": "string"}, "scheme": {"enum": ["http", "https", "HTTP", "HTTPS"]},
                   "interval": _DURATION, "scrapeTimeout": _DURATION, "honorLabels": {"type": "boolean"}},
    "anyOf": [{"required": ["port"]}, {"required": ["targetPort"]}],
}

SERVICE_MONITOR = _resource("ServiceMonitor", {
    "type": "object",
    "required": ["selector", "endpoints"],
    "additionalProperties": False,
    "properties": {
        "jobLabel": {"type": "string"},
        "targetLabels": {"type": "array", "items": {"type": "string"}},
        "namespaceSelector": {"type": "object", "additionalProperties": False, "properties": {
            "any": {"type": "boolean"}, "matchNames": {"type": "array", "items": {"type": "string"}}}},
        "selector": _LABEL_SELECTOR,
        "endpoints": {"type": "array", "minItems": 1, "items": _ENDPOINT},
    },
})

POD_MONITOR = _resource("PodMonitor", {
    "type": "object",
    "required": ["selector", "podMetricsEndpoints"],
    "additionalProperties": False,
    "properties": {
        "jobLabel": {"type": "string"},
        "namespaceSelector": {"type": "object", "additionalProperties": False, "properties": {
            "any": {"type": "boolean"}, "matchNames": {"type": "array", "items": {"type": "string"}}}},
        "selector": _LABEL_SELECTOR,
        "podMetricsEndpoints": {"type": "array", "minItems": 1, "items": _ENDPOINT},
    },
})

_RULE = {
    "type": "object", "additionalProperties": False,
    "required": ["expr"],
    "properties": {"record": {"type": "string", "pattern": "^[a-zA-Z_:][a-zA-Z0-9_:]*$"},
                   "alert": {"type": "string", "pattern": "^[a-zA-Z_][a-zA-Z0-9_]*$"},
                   "expr": {"type": ["string", "integer"], "minLength": 1},
                   "for": _DURATION, "keep_firing_for": _DURATION,
                   "labels": STRING_MAP, "annotations": STRING_MAP},
    # A rule records or alerts, never both; only alerts have "for" and annotations.
    "oneOf": [{"required": ["record"], "not": {"anyOf": [{"required": ["alert"]}, {"required": ["for"]},
                                                         {"required": ["annotations"]}]}},
              {"required": ["alert"], "not": {"required": ["record"]}}],
}

PROMETHEUS_RULE = _resource("PrometheusRule", {
    "type": "object",
    "required": ["groups"],
    "additionalProperties": False,
    "properties": {"groups": {"type": "array", "minItems": 1, "items": {
        "type": "object", "required": ["name", "rules"], "additionalProperties": False,
        "properties": {"name": {"type": "string", "minLength": 1}, "interval": _DURATION,
                       "labels": STRING_MAP, "limit": {"type": "integer"}, "query_offset": _DURATION,
                       "rules": {"type": "array", "minItems": 1, "items": _RULE}}}}},
})

SCHEMAS = {"ServiceMonitor": SERVICE_MONITOR, "PodMonitor": POD_MONITOR, "PrometheusRule": PROMETHEUS_RULE}
