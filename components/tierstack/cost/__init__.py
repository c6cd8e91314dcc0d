"""What a stack will cost before it is deployed: prices, usage, and the estimate built from them.

``prices`` holds the dated on-demand price snapshot and its lookup; ``refresh`` rewrites the
snapshot from the AWS Price List API.
"""

from tierstack.catalog.models import BEDROCK_MODELS, BedrockModel
from tierstack.cost.prices import (
    Price,
    PriceBook,
    SnapshotError,
    aurora_instance_key,
    bedrock_token_key,
    cache_node_key,
    ec2_instance_key,
    load_price_book,
)
from tierstack.cost.refresh import main_refresh, refresh_snapshot

__all__ = [
    "BEDROCK_MODELS",
    "BedrockModel",
    "Price",
    "PriceBook",
    "SnapshotError",
    "aurora_instance_key",
    "bedrock_token_key",
    "cache_node_key",
    "ec2_instance_key",
    "load_price_book",
    "main_refresh",
    "refresh_snapshot",
]
