"""The Bedrock text models tierstack knows how to price and route to: facts, no Pulumi.

The stack's usage settings (``tierstack:usage.ai``) name models by these slugs, and the price
snapshot keys their token prices by them (``bedrock.<slug>.input.1k-tokens``).
"""

from __future__ import annotations

from typing import NamedTuple


class BedrockModel(NamedTuple):
    slug: str  # the key segment: bedrock.<slug>.input.1k-tokens
    name: str
    role: str  # "primary" (answers users) or "economy" (the cheaper model routing sends work to)


# The on-demand text models the price snapshot covers. Which regions offer each is whatever the
# snapshot holds: ask ``PriceBook.has`` before routing a region's traffic to a model.
BEDROCK_MODELS: tuple[BedrockModel, ...] = (
    BedrockModel("anthropic.claude-sonnet-4-5", "Anthropic Claude Sonnet 4.5", "primary"),
    BedrockModel("anthropic.claude-sonnet-4", "Anthropic Claude Sonnet 4", "primary"),
    BedrockModel("anthropic.claude-haiku-4-5", "Anthropic Claude Haiku 4.5", "economy"),
    BedrockModel("anthropic.claude-3-5-haiku", "Anthropic Claude 3.5 Haiku", "economy"),
    BedrockModel("amazon.nova-pro", "Amazon Nova Pro", "primary"),
    BedrockModel("amazon.nova-lite", "Amazon Nova Lite", "economy"),
    BedrockModel("amazon.nova-micro", "Amazon Nova Micro", "economy"),
    BedrockModel("meta.llama3-3-70b-instruct", "Meta Llama 3.3 70B Instruct", "economy"),
)
