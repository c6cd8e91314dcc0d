"""The agent services: five autoscaled microservices, the request queue and its workers, ingress."""

from tierstack.services.component import AgentServices, AgentServicesArgs, DataAccess, Telemetry

__all__ = ["AgentServices", "AgentServicesArgs", "DataAccess", "Telemetry"]
