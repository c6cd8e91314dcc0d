"""Observability of a regional cell: metrics, alerts, dashboards, traces, alarms and budgets.

Its settings model lives in the config layer (``tierstack.config.observability``); it is
re-exported here so a program that uses these components imports one module.
"""

from tierstack.config.observability import ObservabilitySettings
from tierstack.observability.aws_alarms import (
    CostBudgets,
    CostBudgetsArgs,
    ManagedServiceAlarms,
    ManagedServiceAlarmsArgs,
)
from tierstack.observability.component import Observability, ObservabilityArgs
from tierstack.observability.topic import AlertTopic, AlertTopicArgs

__all__ = ["ObservabilitySettings", "Observability", "ObservabilityArgs", "AlertTopic", "AlertTopicArgs",
           "ManagedServiceAlarms", "ManagedServiceAlarmsArgs", "CostBudgets", "CostBudgetsArgs"]
