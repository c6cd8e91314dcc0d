"""Deep merge of a stack's overrides into a tier preset."""

from __future__ import annotations

import copy
from typing import Any, Mapping


def deep_merge(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``overrides`` into a copy of ``base``.

    Mappings merge key by key; anything else (scalars, lists) replaces the preset's value
    outright, because merging lists element-wise (node-group instance types, CIDRs) would
    leave users unable to shrink them. A ``null`` override removes the preset's key, which is
    how a stack drops a preset node group.
    """
    merged = copy.deepcopy(dict(base))
    for key, value in overrides.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


_ABSENT = object()


def get_path(document: Any, path: tuple[Any, ...], default: Any = None) -> Any:
    """The value at ``path`` (mapping keys and list indexes), or ``default``."""
    node = document
    for part in path:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return default
    return node


def has_path(document: Any, path: tuple[Any, ...]) -> bool:
    return get_path(document, path, _ABSENT) is not _ABSENT
