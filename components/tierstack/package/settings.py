"""Settings for a package component: a tier's preset plus the caller's overrides, checked as a stack file.

A program in another language cannot build pydantic models, so each package component takes a
``tier`` and an ``overrides`` map written in the stack file's camelCase keys. They go through the
stack loader (``build_stack_config``) exactly as ``tierstack:tier`` and ``tierstack:overrides``
would, so the keys, the defaults, the cross-field rules and the error messages are the ones
``docs/configuration.md`` documents; an error names the key as a stack file would spell it
(``tierstack:overrides.data.cache.shards``).
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from tierstack.config.loader import build_stack_config
from tierstack.config.model import StackConfig
from tierstack.config.tiers import Tier

# Where each component's settings sit in a stack file's overrides (and in StackConfig).
SECTIONS: dict[str, tuple[str, ...]] = {
    "network": ("network",),
    "cluster": ("cluster",),
    "services": ("services",),
    "cache": ("data", "cache"),
    "database": ("data", "database"),
    "edge": ("edge",),
    "observability": ("observability",),
}


def _nested(path: tuple[str, ...], value: Mapping[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = dict(value)
    for key in reversed(path):
        document = {key: document}
    return document


def component_settings(tier: Tier | str, component: str, overrides: Optional[Mapping[str, Any]] = None, *,
                       name: str, region: Optional[str] = None) -> Any:
    """``component``'s settings at ``tier`` with ``overrides`` (camelCase, as under its stack-file section).

    ``region`` is the stack's home region for the checks that depend on one (zones a region
    offers...); ``name`` (the component's) heads the error message.
    """
    if component not in SECTIONS:
        raise ValueError(f"'{component}' has no settings section; use one of {', '.join(SECTIONS)}.")
    path = SECTIONS[component]
    config = build_stack_config({"tier": Tier(tier).value, "overrides": _nested(path, overrides or {})},
                                stack=name, home_region=region)
    return _section(config, path)


def _section(config: StackConfig, path: tuple[str, ...]) -> Any:
    node: Any = config
    for key in path:
        node = getattr(node, key)
    return node

