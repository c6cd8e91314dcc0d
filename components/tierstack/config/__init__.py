"""Stack configuration: tier presets, the ``StackConfig`` model, and loading with clear errors."""

from tierstack.config.errors import ConfigIssue, StackConfigError
from tierstack.config.loader import build_stack_config, load_from_pulumi
from tierstack.config.model import (
    ClusterSettings,
    NetworkSettings,
    NodeGroupSettings,
    ServiceSettings,
    StackConfig,
)
from tierstack.config.tiers import TIER_ORDER, Tier

__all__ = [
    "ClusterSettings", "ConfigIssue", "NetworkSettings", "NodeGroupSettings", "ServiceSettings",
    "StackConfig", "StackConfigError", "TIER_ORDER", "Tier", "build_stack_config", "load_from_pulumi",
]
