"""A tier's settings for one component, for programs that compose components themselves.

    from tierstack.presets import preset_settings
    cache = preset_settings("growth", "cache")            # a validated CacheSettings
    bigger = cache.model_copy(update={"shards": 2})        # then change what differs

The values are exactly what a stack file at that tier gets (the tier presets, validated by the
same models), so a component built from them behaves as it does in tierstack's own platform.
"""

from __future__ import annotations

from typing import Any

from tierstack.config.loader import build_stack_config
from tierstack.config.tiers import Tier

COMPONENTS = ("network", "cluster", "services", "cache", "database", "edge", "observability")


def preset_settings(tier: str | Tier, component: str) -> Any:
    """The ``tier`` preset's settings model for ``component`` (one of ``COMPONENTS``)."""
    if component not in COMPONENTS:
        raise ValueError(f"'{component}' is not a component with preset settings; use one of {', '.join(COMPONENTS)}.")
    config = build_stack_config({"tier": Tier(tier).value}, stack="preset")
    sections = {"network": config.network, "cluster": config.cluster, "services": config.services,
                "cache": config.data.cache, "database": config.data.database, "edge": config.edge,
                "observability": config.observability}
    return sections[component]
