"""Turn a stack's raw ``tierstack:*`` config into a validated ``StackConfig``.

``build_stack_config`` is pure: it takes plain values (as the Pulumi engine hands them over,
or as a test writes them) and either returns a ``StackConfig`` or raises ``StackConfigError``
listing every problem at once. With ``deployment=True`` it also checks what the account and the
deploy runner must allow (service quotas, API reachability); the program always asks for that.
``load_from_pulumi`` is the only function here that touches Pulumi, and only to read the config
the engine passed in.
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Optional

from pydantic import BaseModel, ValidationError

from tierstack.catalog import aws as catalog
from tierstack.config import rules
from tierstack.config.errors import MISSING, ConfigIssue, StackConfigError, did_you_mean
from tierstack.config.merge import deep_merge, get_path, has_path
from tierstack.config.model import StackConfig
from tierstack.config.tiers import PRESETS, Tier, preset
from tierstack.settings_base import entry_model

NAMESPACE = "tierstack"
TOP_LEVEL_KEYS: tuple[str, ...] = (
    "tier", "environment", "production", "complianceProfile", "regions", "tags", "quotas", "usage", "overrides",
)
# Top-level settings no preset carries: whether set or defaulted, the place to change them is
# tierstack:<key> itself, so errors name that key.
_OWN_TOP_LEVEL = frozenset({"quotas", "usage"})
PRESET_SECTIONS: tuple[str, ...] = tuple(PRESETS[Tier.PILOT])
PRODUCTION_ENVIRONMENTS = frozenset({"prod", "production"})
DEFAULT_HOME_REGION = "us-east-1"


def build_stack_config(
    raw: Mapping[str, Any],
    *,
    stack: str,
    home_region: Optional[str] = None,
    tier_override: Optional[str] = None,
    deployment: bool = False,
) -> StackConfig:
    """Validate one stack's config (keys without the ``tierstack:`` prefix).

    ``tier_override`` replaces the stack's tier, which is how ``tierstack plan --tier`` plans
    any stack file at any tier. ``deployment`` adds the checks that depend on the account and
    the deploy runner rather than on the stack's shape (``rules.DEPLOYMENT_RULES``).
    """
    raw = dict(raw)
    if tier_override is not None:
        raw["tier"] = tier_override
    issues: list[ConfigIssue] = []

    for key in raw:
        if key not in TOP_LEVEL_KEYS:
            issues.append(ConfigIssue(
                f"{NAMESPACE}:{key}", raw[key],
                f"'{NAMESPACE}:{key}' is not a tierstack setting{did_you_mean(key, TOP_LEVEL_KEYS)}.",
                f"use one of {', '.join(NAMESPACE + ':' + k for k in TOP_LEVEL_KEYS)}; "
                "component settings go under tierstack:overrides.",
            ))

    tier = _read_tier(raw.get("tier", MISSING), issues)
    overrides = raw.get("overrides", {})
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, Mapping):
        issues.append(ConfigIssue(
            f"{NAMESPACE}:overrides", overrides, "overrides must be a mapping of preset sections.",
            f"write a mapping whose keys are among {', '.join(PRESET_SECTIONS)}.",
        ))
        overrides = {}
    if tier is None or issues:
        raise StackConfigError(stack, issues)

    document = deep_merge(preset(tier), overrides)
    document["tier"] = tier.value
    document["environment"] = raw.get("environment", stack)
    document["production"] = raw.get("production", str(document["environment"]) in PRODUCTION_ENVIRONMENTS)
    document["tags"] = raw.get("tags", {})
    document["complianceProfile"] = raw.get("complianceProfile", "standard")
    document["quotas"] = {} if raw.get("quotas") is None else raw["quotas"]
    document["usage"] = {} if raw.get("usage") is None else raw["usage"]
    document["regions"] = raw["regions"] if "regions" in raw else _default_regions(document, home_region)
    explicit = {k for k in TOP_LEVEL_KEYS if k in raw and k != "overrides"}

    try:
        config = StackConfig.model_validate(document)
    except ValidationError as error:
        raise StackConfigError(stack, _translate(error, document, overrides, explicit, tier)) from None

    findings = rules.check(config, deployment=deployment)
    if findings:
        raise StackConfigError(stack, [
            ConfigIssue(_user_path(path, overrides, explicit, tier), value, problem, fix)
            for path, value, problem, fix in findings
        ])
    return config


def _read_tier(value: Any, issues: list[ConfigIssue]) -> Optional[Tier]:
    allowed = [t.value for t in Tier]
    if value is MISSING:
        issues.append(ConfigIssue(f"{NAMESPACE}:tier", MISSING, "every stack must choose a scale tier.",
                                  f"set {NAMESPACE}:tier to one of {', '.join(allowed)}."))
        return None
    try:
        return Tier(value)
    except ValueError:
        issues.append(ConfigIssue(f"{NAMESPACE}:tier", value,
                                  f"'{value}' is not a scale tier{did_you_mean(value, allowed)}.",
                                  f"use one of {', '.join(allowed)}."))
        return None


def _default_regions(document: Mapping[str, Any], home_region: Optional[str]) -> list[str]:
    """The stack's home region first, then the seed regions in order, as many as the tier wants."""
    home = home_region or DEFAULT_HOME_REGION
    count = document.get("regionCount", 1)
    count = count if isinstance(count, int) and not isinstance(count, bool) and count > 0 else 1
    ordered = [home] + [r for r in catalog.SEED_REGIONS if r != home]
    return ordered[:count]


def _user_path(path: tuple[Any, ...], overrides: Mapping[str, Any], explicit: set[str], tier: Tier) -> str:
    dotted = _dotted(path)
    if path and (path[0] in explicit or path[0] in _OWN_TOP_LEVEL):
        return f"{NAMESPACE}:{dotted}"
    derived = {
        "regions": f"derived from the {tier.value} tier's regionCount",
        "environment": "defaulted from the stack name",
        "production": "defaulted from the environment name",
        "tags": "default",
    }
    if path and path[0] in derived:
        return f"{NAMESPACE}:{dotted} ({derived[path[0]]})"
    if has_path(overrides, path):
        return f"{NAMESPACE}:overrides.{dotted}"
    return f"{dotted} (from the '{tier.value}' preset; override under {NAMESPACE}:overrides)"


def _dotted(path: tuple[Any, ...]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _translate(error: ValidationError, document: Mapping[str, Any], overrides: Mapping[str, Any],
               explicit: set[str], tier: Tier) -> list[ConfigIssue]:
    issues = []
    for item in error.errors(include_url=False):
        path = tuple(item["loc"])
        kind = item["type"]
        ctx = item.get("ctx") or {}
        value = item.get("input") if kind != "missing" else MISSING
        if kind == "extra_forbidden":
            allowed = _allowed_keys(StackConfig, path[:-1])
            problem = f"'{path[-1]}' is not a setting here{did_you_mean(path[-1], allowed)}."
            fix = f"use one of: {', '.join(sorted(allowed))}." if allowed else "remove the key."
        elif kind == "tierstack":
            problem, fix = ctx["problem"], ctx["fix"]
            if ctx.get("field"):
                path = path + tuple(ctx["field"].split("."))
                value = get_path(document, path, value)
        else:
            problem = item["msg"].rstrip(".") + "."
            fix = _generic_fix(kind, ctx)
        if isinstance(value, (BaseModel,)) or kind in ("model_type",):
            value = get_path(document, path, value)
        issues.append(ConfigIssue(_user_path(path, overrides, explicit, tier), value, problem, fix))
    return issues


def _generic_fix(kind: str, ctx: Mapping[str, Any]) -> str:
    bounds = {
        "greater_than_equal": ("at least", "ge"), "less_than_equal": ("at most", "le"),
        "greater_than": ("more than", "gt"), "less_than": ("less than", "lt"),
    }
    if kind in bounds:
        words, key = bounds[kind]
        return f"use a value {words} {ctx.get(key)}."
    if kind in ("literal_error", "enum"):
        return f"use one of {ctx.get('expected')}."
    if kind == "missing":
        return "add this key (the tier preset defines it unless an override removed it with null)."
    if kind in ("too_short", "too_long"):
        return f"give between {ctx.get('min_length', 1)} and {ctx.get('max_length', 'the allowed number of')} entries."
    if kind.startswith("int") or kind.startswith("float"):
        return "use a whole number."
    if kind.startswith("bool"):
        return "use true or false."
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "write a mapping (key: value pairs) here."
    if kind in ("list_type",):
        return "write a list here."
    if kind.startswith("string") or kind == "str_type":
        return "use a string."
    if kind.startswith("ip_") or "network" in kind:
        return "use a network in CIDR notation with no host bits set, e.g. 10.0.0.0/16."
    return "correct the value as described."


def _allowed_keys(model: type[BaseModel], path: tuple[Any, ...]) -> list[str]:
    """Aliases accepted at ``path`` inside ``model``, walking dict and list fields."""
    import typing

    current: Any = model
    for part in path:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next((f for name, f in current.model_fields.items() if (f.alias or name) == part or name == part), None)
            if field is None:
                # A named entry beside the fields (a service under services) has the entries' keys.
                current = entry_model(current)
                if current is None:
                    return []
                continue
            current = field.annotation
        else:
            origin = typing.get_origin(current)
            args = typing.get_args(current)
            if origin is dict and len(args) == 2:
                current = args[1]
            elif origin is list and args:
                current = args[0]
            else:
                return []
        while typing.get_origin(current) is typing.Union:
            current = next(a for a in typing.get_args(current) if a is not type(None))
    if typing.get_origin(current) is dict:
        current = typing.get_args(current)[1]
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


# --- Reading the engine's config ------------------------------------------------------------

def raw_from_engine_config(values: Mapping[str, Any]) -> dict[str, Any]:
    """The ``tierstack:*`` entries of the engine's config map, structured values decoded.

    The engine passes every value as a string; objects and arrays arrive JSON-encoded (that is
    what ``Config.get_object`` decodes). Scalars stay strings and pydantic's lax mode reads
    "true" or "3" where a bool or int is expected.
    """
    raw: dict[str, Any] = {}
    prefix = f"{NAMESPACE}:"
    for key, value in values.items():
        if not key.startswith(prefix):
            continue
        name = key[len(prefix):]
        if name.startswith("config:"):  # the legacy "tierstack:config:key" spelling
            name = name[len("config:"):]
        raw[name] = _decode(value)
    return raw


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def load_from_pulumi() -> StackConfig:
    """Build the running stack's ``StackConfig`` from the config the engine passed in."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    values = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    home_region = values.get("aws:region")
    return build_stack_config(raw_from_engine_config(values), stack=pulumi.get_stack(), home_region=home_region,
                              deployment=True)
