"""The global edge: Route 53, ACM, CloudFront and WAFv2 in front of every regional cell.

``EdgeSettings`` is imported eagerly and the component lazily, so the config layer can use
the settings without loading pulumi_aws (and without an import cycle through the component).
"""

from typing import Any

from tierstack.edge.settings import EdgeSettings

__all__ = ["EdgeSettings", "GlobalEdge", "GlobalEdgeArgs", "RegionalOrigin"]
_COMPONENT = ("GlobalEdge", "GlobalEdgeArgs", "RegionalOrigin")


def __getattr__(name: str) -> Any:
    if name in _COMPONENT:
        from tierstack.edge import component

        return getattr(component, name)
    raise AttributeError(f"module 'tierstack.edge' has no attribute '{name}'")
