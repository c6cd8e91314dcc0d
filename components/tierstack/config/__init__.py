"""Stack configuration: tier presets, the ``StackConfig`` model, and loading with clear errors."""

from tierstack.config.errors import ConfigIssue, StackConfigError
from tierstack.config.loader import build_stack_config, load_from_pulumi
from tierstack.config.model import (
    CacheSettings,
    ClusterSettings,
    DatabaseSettings,
    NetworkSettings,
    NodeGroupSettings,
    QuotaSettings,
    ServiceSettings,
    ServicesSettings,
    StackConfig,
)
from tierstack.config.tiers import TIER_ORDER, Tier

__all__ = [
    "CacheSettings", "ClusterSettings", "ConfigIssue", "DatabaseSettings", "NetworkSettings", "NodeGroupSettings",
    "QuotaSettings", "ServiceSettings", "ServicesSettings",
    "StackConfig", "StackConfigError", "TIER_ORDER", "Tier", "build_stack_config", "load_from_pulumi",
]
