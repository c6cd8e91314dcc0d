"""The base every settings model shares: camelCase keys, closed schemas, errors with a fix.

A leaf module (it imports only pydantic and the AWS catalog) so that the settings of the edge
and observability packages can build on it without importing the config package, whose
StackConfig in turn includes them.
"""

from __future__ import annotations

import typing
from typing import Annotated, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from tierstack.catalog import aws as catalog


def fail(problem: str, fix: str, field: str = "") -> PydanticCustomError:
    """A validation error the config loader reports with the key, the value and this fix.

    ``field`` (camelCase, dotted for nested keys) names the key a model-level check is about, so
    the error points at ``...cache.shards`` rather than at the whole ``cache`` section.
    """
    context = {"problem": problem, "fix": fix}
    if field:
        context["field"] = field
    return PydanticCustomError("tierstack", "{problem}", context)


def _log_retention(days: int) -> int:
    if days not in catalog.LOG_RETENTION_DAYS:
        nearest = min(catalog.LOG_RETENTION_DAYS, key=lambda allowed: abs(allowed - days))
        raise fail(
            f"CloudWatch Logs does not accept a retention of {days} days.",
            f"use one of {', '.join(map(str, catalog.LOG_RETENTION_DAYS))} (nearest: {nearest}).",
        )
    return days


def _url_path(value: str) -> str:
    if not value.startswith("/") or " " in value:
        raise fail(f"'{value}' is not a URL path.", "start the path with '/', e.g. '/healthz'.")
    return value


LogRetentionDays = Annotated[int, AfterValidator(_log_retention)]
UrlPath = Annotated[str, AfterValidator(_url_path)]


class Settings(BaseModel):
    model_config = ConfigDict(
        extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True,
    )


def entry_model(model: type[BaseModel]) -> Optional[type[BaseModel]]:
    """The model of the named entries ``model`` takes beside its fields (typed extras), if any.

    ``ServicesSettings`` is one: every key that is not one of its settings is a service. Walkers
    of the models (the loader's key suggestions, the configuration reference) descend through it.
    """
    if model.model_config.get("extra") != "allow":
        return None
    args = typing.get_args(typing.get_type_hints(model).get("__pydantic_extra__"))
    entry = args[1] if len(args) == 2 else None
    return entry if isinstance(entry, type) and issubclass(entry, BaseModel) else None
