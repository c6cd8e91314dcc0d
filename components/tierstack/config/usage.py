"""``UsageSettings``: what the cost estimate assumes about traffic and model calls (``tierstack:usage``).

Infrastructure prices come from the plan; what the plan cannot know is how the stack will be
used: how many people, how often they ask, how large the answers are, how much the caches and
the model router save. These settings say it. Every field has a default; the few left unset
(``None``) take the stack's tier default (``concurrentUsers`` and the AI mix, see
``tierstack.cost.usage`` and ``tierstack.cost.ai``), so a stack file writes only what it knows
better.

Part of the config layer like every settings model: it imports no component package, only
the catalog's list of models (pure data), so ``StackConfig`` can include it.
"""

from __future__ import annotations

from difflib import get_close_matches
from typing import Optional

from pydantic import Field, field_validator, model_validator

from tierstack.catalog.models import BEDROCK_MODELS
from tierstack.settings_base import Settings as _Settings
from tierstack.settings_base import fail as _fail

MODEL_SLUGS: tuple[str, ...] = tuple(model.slug for model in BEDROCK_MODELS)


class AiUsageSettings(_Settings):
    """The model side of a request. Unset fields take the tier's default (``tierstack.cost.ai``)."""

    # The model that answers the requests the router keeps.
    primary_model: Optional[str] = None
    # The cheaper model the router sends simple requests to.
    economy_model: Optional[str] = None
    # Prompt size: system prompt, conversation history, retrieved memory and the user's turn.
    input_tokens_per_request: Optional[int] = Field(None, ge=1, le=2_000_000)
    # Answer size: a chat turn, or the plan and tool calls of an agent step.
    output_tokens_per_request: Optional[int] = Field(None, ge=0, le=200_000)
    # Share of requests the exact-match cache (Valkey, the seed's 1 h TTL) answers without a model call.
    exact_hit_ratio: Optional[float] = Field(None, ge=0, le=1)
    # Share of the exact cache's misses the semantic (vector) cache answers. It saves money only
    # when data.cache.semanticCache is not 'none'; otherwise the estimate shows what it would save.
    semantic_hit_ratio: Optional[float] = Field(None, ge=0, le=1)
    # Share of the model calls the router sends to the economy model.
    routing_share: Optional[float] = Field(None, ge=0, le=1)

    @field_validator("primary_model", "economy_model")
    @classmethod
    def _priced_model(cls, slug: Optional[str]) -> Optional[str]:
        if slug is not None and slug not in MODEL_SLUGS:
            close = get_close_matches(slug, MODEL_SLUGS, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise _fail(f"'{slug}' is not a Bedrock model the price snapshot covers{hint}.",
                        f"use one of: {', '.join(MODEL_SLUGS)}.")
        return slug

    @model_validator(mode="after")
    def _distinct_models(self) -> "AiUsageSettings":
        if self.primary_model is not None and self.primary_model == self.economy_model:
            raise _fail(f"the primary and the economy model are both '{self.primary_model}', so routing saves nothing.",
                        "pick a cheaper economyModel, or set routingShare to 0.", field="economyModel")
        return self


class ControlPlaneLogVolumes(_Settings):
    """GB a month per EKS cluster of each control-plane log type (when the cluster enables it)."""

    # The API server's own log (requests at the default verbosity).
    api: float = Field(1, ge=0, le=1_000_000)
    # The audit log records every API request: by far the largest.
    audit: float = Field(10, ge=0, le=1_000_000)
    # One line per authenticated request (IAM identities mapped to Kubernetes users).
    authenticator: float = Field(1, ge=0, le=1_000_000)
    # Controller loops: grows with the number of objects (pods, endpoints, jobs).
    controller_manager: float = Field(1, ge=0, le=1_000_000)
    # One line per scheduling decision: grows with pod churn.
    scheduler: float = Field(0.5, ge=0, le=1_000_000)

    def gb(self, log_type: str) -> float:
        """The volume of ``log_type`` as EKS names it (``controllerManager``...); 0 for types not listed."""
        name = next((n for n, f in type(self).model_fields.items() if (f.alias or n) == log_type), None)
        return float(getattr(self, name)) if name else 0.0


class UsageSettings(_Settings):
    """Traffic per user, payload sizes, storage and log volumes the estimate prices."""

    # People using the service at the busiest moment; unset: the tier's (pilot 100 ... hyperscale 1,000,000).
    concurrent_users: Optional[int] = Field(None, ge=1, le=1_000_000_000)
    # Distinct people a day per concurrent user at the peak: how many users take turns in one
    # "seat" over a day.
    daily_users_per_concurrent_user: float = Field(10, gt=0, le=1000)
    # Requests each daily user makes (a chat turn, an agent task, a sign-in each count one).
    requests_per_user_per_day: float = Field(20, gt=0, le=100_000)
    # Busiest hour over the average hour; reported as peak requests per second (billing is by volume).
    peak_to_average: float = Field(3, ge=1, le=100)
    # Average request body and headers, in KB (1,000 bytes).
    request_kb: float = Field(2, ge=0, le=10_240, alias="requestKB")
    # Average response, in KB: what CloudFront sends to viewers and the load balancers process.
    response_kb: float = Field(8, ge=0, le=10_240, alias="responseKB")
    # Share of requests CloudFront answers from its cache: the API is dynamic and personalised
    # (the seed's 5 min dynamic and 1 min personalised TTLs), so little.
    cdn_hit_ratio: float = Field(0.05, ge=0, le=1)
    # Share of requests handed to the SQS queue for the workers.
    async_share: float = Field(0.2, ge=0, le=1)
    # KB per request that leave through the NAT gateways: model and third-party API calls.
    nat_kb_per_request: float = Field(16, ge=0, le=102_400, alias="natKBPerRequest")
    # Data kept per daily user in the database shards (history, memory, profile).
    database_mb_per_user: float = Field(5, ge=0, le=1_000_000, alias="databaseMBPerUser")
    # Aurora I/O operations per request that miss the buffer cache (mostly writes).
    database_ios_per_request: float = Field(10, ge=0, le=100_000)
    # Share of the data rewritten each day: what backups hold beyond the free first copy.
    database_daily_change_percent: float = Field(5, ge=0, le=100)
    control_plane_log_gb: ControlPlaneLogVolumes = Field(default_factory=ControlPlaneLogVolumes,
                                                         alias="controlPlaneLogGB")
    # VPC flow-log bytes per request (a record per flow per aggregation interval, so reused connections are cheap).
    flow_log_bytes_per_request: float = Field(300, ge=0, le=1_000_000)
    # WAF log bytes per request: one JSON record each, headers included.
    waf_log_bytes_per_request: float = Field(1500, ge=0, le=1_000_000)
    # PostgreSQL log GB a month per Aurora cluster (errors, slow statements, connections).
    database_log_gb_per_cluster: float = Field(1, ge=0, le=100_000, alias="databaseLogGBPerCluster")
    # CloudFront access-log bytes per request as stored in S3 (gzip-compressed).
    access_log_bytes_per_request: float = Field(60, ge=0, le=100_000)
    ai: AiUsageSettings = Field(default_factory=AiUsageSettings)
