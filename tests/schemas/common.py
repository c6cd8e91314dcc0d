"""Schema pieces every closed custom-resource schema here shares."""

STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
METADATA = {
    "type": "object",
    "required": ["name", "namespace"],
    "properties": {"name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
                   "namespace": {"type": "string"}, "labels": STRING_MAP, "annotations": STRING_MAP},
    "additionalProperties": False,
}


def custom_resource(api_version: str, kind: str, spec: dict) -> dict:
    """A closed schema for one custom resource: apiVersion, kind, metadata and the given spec."""
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "additionalProperties": False,
        "properties": {"apiVersion": {"const": api_version}, "kind": {"const": kind},
                       "metadata": METADATA, "spec": spec},
    }
