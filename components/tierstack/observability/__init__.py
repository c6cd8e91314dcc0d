"""Observability of a regional cell: metrics, alerts, dashboards, traces, alarms and budgets.

``ObservabilitySettings`` and the pure generators (alerts, rule tests, dashboards) are imported
without pulumi; the components load lazily, as ``tierstack.edge`` does, so the config layer can
use the settings without an import cycle through the components.
"""

from typing import Any

from tierstack.observability.settings import ObservabilitySettings

__all__ = ["ObservabilitySettings", "Observability", "ObservabilityArgs", "AlertTopic", "AlertTopicArgs",
           "ManagedServiceAlarms", "ManagedServiceAlarmsArgs", "CostBudgets", "CostBudgetsArgs"]
_COMPONENTS = {
    "Observability": "component", "ObservabilityArgs": "component",
    "AlertTopic": "topic", "AlertTopicArgs": "topic",
    "ManagedServiceAlarms": "aws_alarms", "ManagedServiceAlarmsArgs": "aws_alarms",
    "CostBudgets": "aws_alarms", "CostBudgetsArgs": "aws_alarms",
}


def __getattr__(name: str) -> Any:
    module = _COMPONENTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tierstack.observability' has no attribute '{name}'")
    from importlib import import_module

    return getattr(import_module(f"tierstack.observability.{module}"), name)
