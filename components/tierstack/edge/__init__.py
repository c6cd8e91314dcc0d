"""The global edge: Route 53, ACM, CloudFront and WAFv2 in front of every regional cell.

Its settings model lives in the config layer (``tierstack.config.edge``); it is re-exported here
so a program that uses the edge imports one module.
"""

from tierstack.config.edge import EdgeSettings
from tierstack.edge.component import GlobalEdge, GlobalEdgeArgs, RegionalOrigin

__all__ = ["EdgeSettings", "GlobalEdge", "GlobalEdgeArgs", "RegionalOrigin"]
