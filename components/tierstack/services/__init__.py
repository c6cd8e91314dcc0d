"""The agent services: five autoscaled microservices, the request queue and its workers, ingress."""

from tierstack.services.component import AgentServices, AgentServicesArgs

__all__ = ["AgentServices", "AgentServicesArgs"]
