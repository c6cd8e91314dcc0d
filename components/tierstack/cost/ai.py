"""The AI side of the bill: model tokens per request, and what caching and model routing save.

The seed names three levers against cost explosion: caching (an exact-match cache with a 1 h
TTL and a semantic cache for near matches), batching, and routing simple requests to a cheaper
model. A request answered by a cache costs no tokens; a request the router keeps goes to the
primary model, the rest to the economy model. This module prices that mix per request and per
month, with each lever on and off, so the savings are numbers rather than claims. (Batching is
not modelled: Bedrock's batch inference suits offline jobs, not the interactive requests priced
here.)

Tier defaults, and why: larger tiers see more users asking the same things (the exact and
semantic caches hit more often) and can afford the engineering of a router that classifies
requests (a larger routed share). Prompts hold a system prompt, recent history and retrieved
memory (about 1,500 tokens) and answers are short chat turns (about 300 tokens) at every tier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Optional, Sequence

from tierstack.config.tiers import Tier
from tierstack.cost.charges import MissingPrice
from tierstack.catalog.models import BEDROCK_MODELS
from tierstack.cost.prices import PriceBook, bedrock_token_key
from tierstack.config.usage import AiUsageSettings
from tierstack.cost.usage import Assumption

if TYPE_CHECKING:
    from tierstack.config.model import StackConfig


@dataclass(frozen=True)
class AiDefaults:
    primary_model: str
    economy_model: str
    input_tokens_per_request: int
    output_tokens_per_request: int
    exact_hit_ratio: float
    semantic_hit_ratio: float
    routing_share: float


_PRIMARY = "anthropic.claude-sonnet-4-5"
_ECONOMY = "anthropic.claude-haiku-4-5"

AI_TIER_DEFAULTS: dict[Tier, AiDefaults] = {
    Tier.PILOT: AiDefaults(_PRIMARY, _ECONOMY, 1500, 300, 0.05, 0.10, 0.2),
    Tier.GROWTH: AiDefaults(_PRIMARY, _ECONOMY, 1500, 300, 0.10, 0.15, 0.3),
    Tier.SCALE: AiDefaults(_PRIMARY, _ECONOMY, 1500, 300, 0.15, 0.20, 0.4),
    Tier.ENTERPRISE: AiDefaults(_PRIMARY, _ECONOMY, 1500, 300, 0.20, 0.25, 0.5),
    Tier.HYPERSCALE: AiDefaults(_PRIMARY, _ECONOMY, 1500, 300, 0.25, 0.30, 0.6),
}

_MODEL_NAMES = {model.slug: model.name for model in BEDROCK_MODELS}


@dataclass(frozen=True)
class AiProfile(AiDefaults):
    """A stack's AI assumptions: the tier's defaults with its overrides, and where each came from."""

    # Whether the stack runs a semantic cache (data.cache.semanticCache is not 'none').
    semantic_cache_enabled: bool
    sources: dict[str, str]

    def cache_hit_ratio(self, *, semantic: Optional[bool] = None) -> float:
        """Share of requests a cache answers: the exact cache, then the semantic cache on its misses."""
        use_semantic = self.semantic_cache_enabled if semantic is None else semantic
        semantic_share = self.semantic_hit_ratio if use_semantic else 0.0
        return self.exact_hit_ratio + (1 - self.exact_hit_ratio) * semantic_share

    def assumptions(self) -> list[Assumption]:
        def item(key: str, value: float | str, unit: str) -> Assumption:
            return Assumption(f"ai.{key}", value, unit, self.sources[key])

        return [
            item("primaryModel", self.primary_model, _MODEL_NAMES.get(self.primary_model, "")),
            item("economyModel", self.economy_model, _MODEL_NAMES.get(self.economy_model, "")),
            item("inputTokensPerRequest", self.input_tokens_per_request, "tokens"),
            item("outputTokensPerRequest", self.output_tokens_per_request, "tokens"),
            item("exactHitRatio", self.exact_hit_ratio, "share of requests"),
            item("semanticHitRatio", self.semantic_hit_ratio,
                 "share of exact misses" + ("" if self.semantic_cache_enabled else " (semantic cache off: not counted)")),
            item("routingShare", self.routing_share, "share of model calls to the economy model"),
        ]


def ai_profile(tier: Tier | str, settings: Optional[AiUsageSettings] = None, *,
               semantic_cache_enabled: bool) -> AiProfile:
    tier = Tier(tier)
    settings = settings or AiUsageSettings()
    defaults = AI_TIER_DEFAULTS[tier]
    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    for name, field in AiUsageSettings.model_fields.items():
        given = getattr(settings, name)
        key = field.alias or name
        values[name] = given if given is not None else getattr(defaults, name)
        sources[key] = "tierstack:usage" if given is not None else f"tier default ({tier.value})"
    return AiProfile(semantic_cache_enabled=semantic_cache_enabled, sources=sources, **values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ModelPrice:
    slug: str
    name: str
    input_per_1k: float
    output_per_1k: float
    region: str
    source: str

    def per_request(self, input_tokens: int, output_tokens: int) -> float:
        return input_tokens / 1000 * self.input_per_1k + output_tokens / 1000 * self.output_per_1k


def model_price(book: PriceBook, slug: str, region: str, fallback_region: str) -> ModelPrice:
    """The model's token prices in ``region``, else in ``fallback_region`` (cross-region inference)."""
    where = region if book.has(bedrock_token_key(slug, "input"), region) else fallback_region
    try:
        input_price = book.get(bedrock_token_key(slug, "input"), where)
        output_price = book.get(bedrock_token_key(slug, "output"), where)
    except KeyError as error:
        raise MissingPrice(error.args[0]) from None
    return ModelPrice(slug, _MODEL_NAMES.get(slug, slug), input_price.usd, output_price.usd, where, input_price.source)


@dataclass(frozen=True)
class AiScenario:
    name: str
    caching: bool
    routing: bool
    per_request: float
    monthly: float

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "caching": self.caching, "routing": self.routing,
                "perRequest": self.per_request, "monthly": self.monthly}


@dataclass(frozen=True)
class AiEstimate:
    profile: AiProfile
    requests_per_month: float
    # Token prices per region the requests are served from (traffic splits evenly).
    primary: tuple[ModelPrice, ...]
    economy: tuple[ModelPrice, ...]
    scenarios: tuple[AiScenario, ...]
    # What a semantic cache would save on top of the planned mix while the stack has none.
    semantic_cache_would_save: float

    @property
    def planned(self) -> AiScenario:
        """The mix the stack runs: its caches and its router."""
        return next(s for s in self.scenarios if s.caching and s.routing)

    @property
    def baseline(self) -> AiScenario:
        return next(s for s in self.scenarios if not s.caching and not s.routing)

    @property
    def monthly(self) -> float:
        return self.planned.monthly

    @property
    def per_request(self) -> float:
        return self.planned.per_request

    def to_json(self) -> dict[str, object]:
        def prices(models: Sequence[ModelPrice]) -> list[dict[str, object]]:
            return [{"model": m.slug, "name": m.name, "region": m.region, "inputPer1kTokens": m.input_per_1k,
                     "outputPer1kTokens": m.output_per_1k, "source": m.source} for m in models]

        return {
            "requestsPerMonth": self.requests_per_month,
            "primaryModel": prices(self.primary),
            "economyModel": prices(self.economy),
            "cacheHitRatio": self.profile.cache_hit_ratio(),
            "routingShare": self.profile.routing_share,
            "monthly": self.monthly,
            "perRequest": self.per_request,
            "scenarios": [s.to_json() for s in self.scenarios],
            "semanticCacheWouldSave": self.semantic_cache_would_save,
            "assumptions": [a.to_json() for a in self.profile.assumptions()],
        }


def estimate_ai(profile: AiProfile, requests_per_month: float, book: PriceBook, regions: Sequence[str]) -> AiEstimate:
    """Model cost per request and per month, each lever on and off, over ``regions`` (home first)."""
    home = regions[0]
    primary = tuple(model_price(book, profile.primary_model, region, home) for region in regions)
    economy = tuple(model_price(book, profile.economy_model, region, home) for region in regions)
    tokens = (profile.input_tokens_per_request, profile.output_tokens_per_request)
    primary_cost = sum(p.per_request(*tokens) for p in primary) / len(primary)
    economy_cost = sum(p.per_request(*tokens) for p in economy) / len(economy)

    def per_request(caching: bool, routing: bool, semantic: Optional[bool] = None) -> float:
        share = profile.routing_share if routing else 0.0
        model_call = (1 - share) * primary_cost + share * economy_cost
        answered_by_cache = profile.cache_hit_ratio(semantic=semantic) if caching else 0.0
        return (1 - answered_by_cache) * model_call

    scenarios = tuple(
        AiScenario(name, caching, routing, per_request(caching, routing), per_request(caching, routing) * requests_per_month)
        for name, caching, routing in (
            ("no caching, no routing", False, False),
            ("caching only", True, False),
            ("routing only", False, True),
            ("caching and routing (as configured)", True, True),
        )
    )
    would_save = 0.0
    if not profile.semantic_cache_enabled:
        would_save = (per_request(True, True) - per_request(True, True, semantic=True)) * requests_per_month
    return AiEstimate(profile, requests_per_month, primary, economy, scenarios, would_save)


def estimate_stack_ai(config: "StackConfig", requests_per_month: float, book: PriceBook) -> AiEstimate:
    """The AI bill a stack's config implies: its tier's profile with its tierstack:usage overrides."""
    profile = ai_profile(config.tier, config.usage.ai, semantic_cache_enabled=config.data.cache.semantic_cache != "none")
    return estimate_ai(profile, requests_per_month, book, config.regions)
