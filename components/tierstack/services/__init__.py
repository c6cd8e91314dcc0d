"""The agent services (the seed's five or a team's own), the request queue and its workers, ingress."""

from tierstack.services.component import AgentServices, AgentServicesArgs, DataAccess, Telemetry
from tierstack.services.controllers import ControllerInstalls

__all__ = ["AgentServices", "AgentServicesArgs", "ControllerInstalls", "DataAccess", "Telemetry"]
