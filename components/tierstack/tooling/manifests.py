"""Kubernetes objects from a plan, as the manifests the provider would apply."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any, Iterable

import yaml

from tierstack.tooling.engine import PlannedResource

# Inputs the Pulumi SDK adds that are not part of the Kubernetes object.
_PULUMI_ONLY_KEYS = {"__inputs", "urn", "id"}


def to_manifest(resource: PlannedResource) -> dict[str, Any]:
    """The object as the provider would send it: apiVersion, kind, metadata and the rest.

    A resource without metadata.name gets the Pulumi resource name, standing in for the
    random suffix the provider would add at deploy time.
    """
    manifest = {k: _restore_integers(copy.deepcopy(v)) for k, v in resource.inputs.items() if k not in _PULUMI_ONLY_KEYS}
    metadata = manifest.setdefault("metadata", {})
    metadata.setdefault("name", resource.name)
    return manifest


def _restore_integers(value: Any) -> Any:
    """Pulumi's wire format carries every number as a double; Kubernetes wants integers back."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _restore_integers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore_integers(v) for v in value]
    return value


def write_manifests(resources: Iterable[PlannedResource], directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for resource in resources:
        manifest = to_manifest(resource)
        filename = re.sub(r"[^a-z0-9.-]+", "-", f"{resource.name}-{manifest.get('kind', 'object')}".lower())
        path = directory / f"{filename}.yaml"
        path.write_text(yaml.safe_dump(manifest, sort_keys=False))
        written.append(path)
    return written
