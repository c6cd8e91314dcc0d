"""``tierstack reference``: the configuration reference (``docs/configuration.md``), from the models.

Every key a stack can set is read from ``StackConfig`` and the settings models it nests: its
camelCase path, a readable type, the model's default, what each tier preset (``PRESETS``) sets
it to, and a description. A description is the field's pydantic ``description`` if it has one,
else the ``#`` comment lines directly above the field in the model's source, else (for a nested
object) the first paragraph of its model's docstring; a key with none reads "(undocumented)".

The output depends only on the models and the presets, so ``tests/test_reference.py`` can
compare the checked-in document with a fresh render.
"""

from __future__ import annotations

import enum
import inspect
import ipaddress
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping, Optional, Sequence

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from tierstack.documented import field_comments
from tierstack.settings_base import entry_model

NAMESPACE = "tierstack"
UNDOCUMENTED = "(undocumented)"
DEFAULT_PATH = Path("docs/configuration.md")
ABSENT = "-"
NAME = "<name>"
MAX_CELL = 48
GENERAL = "stack-wide"

# Readable names for the constrained string and number types the models share, keyed by their
# validator's function name (an unknown validator just shows the base type).
_VALIDATOR_NAMES: dict[str, str] = {
    "_log_retention": "CloudWatch log retention days",
    "_url_path": "URL path",
    "_pinned_image": "pinned image reference",
    "_cpu": "CPU quantity",
    "_memory": "memory quantity",
    "_instance_type": "EC2 instance type",
    "_duration": "Prometheus duration",
    "_secret_name": "Secrets Manager secret name",
}

# Defaults the stack loader (not the model) gives the top-level keys.
_LOADER_DEFAULTS: dict[str, str] = {
    "environment": "the stack name",
    "production": "true for `prod`/`production`",
    "regions": "`aws:region`, then the seed regions, `regionCount` in all",
    "tags": "`{}`",
    "quotas": "`{}`",
}


@dataclass(frozen=True)
class Entry:
    """One row of the reference."""

    key: str                      # full key, e.g. "tierstack:overrides.network.azCount"
    shown: str                    # as shown in its table (relative to the section)
    type: str
    default: str
    tiers: tuple[str, ...]
    description: str
    documented: bool
    leaf: bool
    section: str = field(default="")


# --- Types -----------------------------------------------------------------------------------

def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1 and len(args) != len(typing.get_args(annotation)):
            return args[0], True
    return annotation, False


def _unannotated(annotation: Any) -> tuple[Any, list[Any]]:
    metadata: list[Any] = []
    while typing.get_origin(annotation) is typing.Annotated:
        metadata.extend(annotation.__metadata__)
        annotation = typing.get_args(annotation)[0]
    return annotation, metadata


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _literal(values: Sequence[Any]) -> str:
    return "one of " + " | ".join(repr(v) if isinstance(v, str) else str(v) for v in values)


def type_name(annotation: Any, metadata: Sequence[Any] = ()) -> str:
    """A readable name for a field's type: int, list of str, map of str to int, one of 'a' | 'b'."""
    annotation, extra = _unannotated(annotation)
    metadata = [*metadata, *extra]
    annotation, optional = _strip_optional(annotation)
    annotation, extra = _unannotated(annotation)
    metadata = [*metadata, *extra]
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        text = _literal(args)
    elif origin in (list, tuple, set, frozenset, Sequence) and args:
        text = f"list of {type_name(args[0])}"
    elif origin in (dict, Mapping) and len(args) == 2:
        text = f"map of {type_name(args[0])} to {type_name(args[1])}"
    elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        text = _literal([m.value for m in annotation])
    elif _is_model(annotation):
        text = "object"
    elif annotation is ipaddress.IPv4Network:
        text = "IPv4 network"
    elif annotation is ipaddress.IPv4Address:
        text = "IPv4 address"
    elif isinstance(annotation, type):
        text = annotation.__name__
    else:
        text = str(annotation).replace("typing.", "")
    hints = [
        _VALIDATOR_NAMES[fn.__name__] for fn in (getattr(m, "func", None) for m in metadata)
        if fn is not None and getattr(fn, "__name__", "") in _VALIDATOR_NAMES
    ]
    if hints:
        text = f"{text} ({', '.join(hints)})"
    return f"{text} or null" if optional else text


def _inner(annotation: Any) -> Any:
    annotation, _ = _unannotated(annotation)
    annotation, _ = _strip_optional(annotation)
    annotation, _ = _unannotated(annotation)
    return annotation


def _children(annotation: Any) -> Optional[tuple[str, type[BaseModel]]]:
    """How a field nests a model: ("", Model), ("<name>", Model) for a map, ("[]", Model) for a list."""
    annotation = _inner(annotation)
    if _is_model(annotation):
        return "", annotation
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (dict, Mapping) and len(args) == 2 and _is_model(_inner(args[1])):
        return f".{NAME}", _inner(args[1])
    if origin in (list, tuple, Sequence) and args and _is_model(_inner(args[0])):
        return "[]", _inner(args[0])
    return None


# --- Descriptions ----------------------------------------------------------------------------

def _docstring(cls: type) -> str:
    doc = cls.__dict__.get("__doc__")
    if not doc:
        return ""
    first = inspect.cleandoc(doc).split("\n\n", 1)[0]
    return " ".join(first.split())


def describe(model: type[BaseModel], name: str, info: FieldInfo) -> str:
    """The field's description, its comment in the source, its model's docstring, or ''."""
    if info.description:
        return " ".join(info.description.split())
    for cls in model.__mro__:
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or name not in cls.__dict__.get("__annotations__", {}):
            continue
        text = field_comments(cls).get(name)
        if text:
            return text
        break
    nested = _children(info.annotation)
    if nested is not None:
        return _docstring(nested[1])
    return ""


# --- Values ----------------------------------------------------------------------------------

def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (ipaddress.IPv4Network, ipaddress.IPv6Network, ipaddress.IPv4Address)):
        return str(value)
    if isinstance(value, Mapping):
        return {str(_plain(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    return value


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value == "":
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _short(value: Any) -> str:
    """A value as a table cell: scalars as they are, long lists and maps collapsed."""
    value = _plain(value)
    if isinstance(value, list):
        if not value:
            return "`[]`"
        if all(not isinstance(v, (list, dict)) for v in value):
            text = ", ".join(_scalar(v) for v in value)
            if len(text) <= MAX_CELL:
                return f"`[{text}]`"
            return f"`[{_scalar(value[0])}, …]` ({len(value)} items)"
        return f"{len(value)} items"
    if isinstance(value, dict):
        if not value:
            return "`{}`"
        if all(not isinstance(v, (list, dict)) for v in value.values()):
            text = ", ".join(f"{k}: {_scalar(v)}" for k, v in sorted(value.items()))
            if len(text) <= MAX_CELL:
                return f"`{{{text}}}`"
        count = f"{len(value)} {'entry' if len(value) == 1 else 'entries'}"
        return f"{count} ({', '.join(sorted(value))})" if len(value) <= 4 else count
    return f"`{_scalar(value)}`"


def _default(info: FieldInfo, parent_default: Any) -> tuple[bool, Any]:
    """The field's effective default: the enclosing default object's value, else the field's own."""
    if parent_default is not None:
        return True, parent_default
    if info.default is not PydanticUndefined:
        return True, info.default
    if info.default_factory is not None and not getattr(info, "default_factory_takes_data", False):
        try:
            return True, info.default_factory()  # type: ignore[call-arg]
        except Exception:  # a factory that needs context: show no default rather than fail
            return False, None
    return False, None


_MISSING = object()


def _preset_values(node: Any, parts: Sequence[str],
                   settings_beside: Optional[Mapping[str, frozenset[str]]] = None) -> list[tuple[str, Any]]:
    """The values at ``parts`` in a preset mapping, as (instance name, value); ``<name>`` fans out.

    ``settings_beside`` maps the path of a model whose named entries sit beside its fields (the
    services) to those fields' keys, which are not entries and are skipped when fanning out.
    """
    found: list[tuple[str, Any]] = []
    beside = settings_beside or {}

    def walk(current: Any, rest: Sequence[str], label: str, at: str) -> None:
        if not rest:
            found.append((label, current))
            return
        part = rest[0]
        if part == NAME:
            if isinstance(current, Mapping):
                for key in sorted(current, key=str):
                    if key not in beside.get(at, ()):
                        walk(current[key], rest[1:], f"{label}.{key}" if label else str(key), f"{at}.{NAME}")
            return
        if part.endswith("[]"):
            items = current.get(part[:-2], _MISSING) if isinstance(current, Mapping) else _MISSING
            if isinstance(items, list):
                for item in items:
                    walk(item, rest[1:], label, f"{at}.{part}" if at else part)
            return
        if isinstance(current, Mapping) and part in current:
            walk(current[part], rest[1:], label, f"{at}.{part}" if at else part)

    walk(node, parts, "", "")
    return found


def _tier_cell(values: list[tuple[str, Any]]) -> str:
    if not values:
        return ABSENT
    if len(values) == 1 and not values[0][0]:
        return _short(values[0][1])
    cells = [f"{label}: {_short(value)}" if label else _short(value) for label, value in values]
    return "; ".join(cells)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# --- Walking the models ----------------------------------------------------------------------

def _split_path(path: str) -> list[str]:
    return [p for p in path.replace(f".{NAME}", f"\0{NAME}").replace(".", "\0").split("\0") if p]


def _walk(model: type[BaseModel], prefix: str, parent_default: Optional[BaseModel],
          settings_beside: Optional[dict[str, frozenset[str]]] = None) -> Iterator[tuple[str, type[BaseModel], str, FieldInfo, Any, bool]]:
    """Every (path, model, field name, info, default, has default) under ``model``, in field order.

    A model with named entries beside its fields (the services) is walked as a map after them,
    ``<prefix>.<name>``; its fields' keys are recorded in ``settings_beside`` under ``prefix``.
    """
    for name, info in model.model_fields.items():
        key = info.alias or name
        path = f"{prefix}.{key}" if prefix else key
        inherited = getattr(parent_default, name, None) if parent_default is not None else None
        has_default, default = _default(info, inherited)
        yield path, model, name, info, default, has_default
        nested = _children(info.annotation)
        if nested is None:
            continue
        suffix, child = nested
        child_default = default if (suffix == "" and isinstance(default, BaseModel)) else None
        yield from _walk(child, f"{path}{suffix}", child_default, settings_beside)
    entry = entry_model(model)
    if entry is not None:
        if settings_beside is not None:
            settings_beside[prefix] = frozenset(info.alias or name for name, info in model.model_fields.items())
        yield from _walk(entry, f"{prefix}.{NAME}" if prefix else NAME, None, settings_beside)


def entries(model: Optional[type[BaseModel]] = None, presets: Optional[Mapping[Any, Mapping[str, Any]]] = None,
            top_level: Optional[Sequence[str]] = None) -> list[Entry]:
    """Every row of the reference, top-level keys first, then ``tierstack:overrides.*``."""
    from tierstack.config.loader import TOP_LEVEL_KEYS
    from tierstack.config.model import StackConfig
    from tierstack.config.tiers import PRESETS, TIER_ORDER

    model = model or StackConfig
    presets = PRESETS if presets is None else presets
    top_level = TOP_LEVEL_KEYS if top_level is None else top_level
    tiers = [presets.get(t, {}) for t in TIER_ORDER]
    # Filled by _walk as it meets models with named entries beside their fields; rows are built
    # after their model's fields were walked, so the map is complete when they are read.
    settings_beside: dict[str, frozenset[str]] = {}

    def row(full: str, shown: str, section: str, model_: type[BaseModel], name: str, info: FieldInfo,
            default: Any, has_default: bool, preset_path: Optional[str], loader_default: Optional[str] = None) -> Entry:
        nested = _children(info.annotation)
        leaf = nested is None
        if loader_default is not None:
            default_text = loader_default
        elif not has_default:
            default_text = "required"
        elif not leaf and isinstance(_plain(default), dict) and nested[0] == "":
            default_text = ""
        else:
            default_text = _short(default)
        if preset_path is None or (not leaf and nested[0] == ""):
            cells = tuple(ABSENT if leaf or preset_path is None else "" for _ in tiers)
        else:
            parts = _split_path(preset_path)
            cells = tuple(_tier_cell(_preset_values(t, parts, settings_beside)) for t in tiers)
        description = describe(model_, name, info)
        return Entry(full, shown, type_name(info.annotation, info.metadata), default_text, cells,
                     description or UNDOCUMENTED, bool(description), leaf, section)

    rows: list[Entry] = []
    fields = {(info.alias or name): (name, info) for name, info in model.model_fields.items()}
    for key in top_level:
        if key == "overrides":
            rows.append(Entry(f"{NAMESPACE}:overrides", f"{NAMESPACE}:overrides", "object", "`{}`",
                              tuple("" for _ in tiers),
                              "Deep-merged into the tier preset: any key below can be changed, `null` removes "
                              "a preset entry.", True, False, "top"))
            continue
        if key not in fields:
            continue
        name, info = fields[key]
        has_default, default = _default(info, None)
        loader = _LOADER_DEFAULTS.get(key)
        rows.append(row(f"{NAMESPACE}:{key}", f"{NAMESPACE}:{key}", "top", model, name, info, default, has_default,
                        None, loader))
        nested = _children(info.annotation)
        if nested is not None:
            child_default = default if isinstance(default, BaseModel) else None
            for path, sub, sub_name, sub_info, sub_default, sub_has in _walk(nested[1], f"{key}{nested[0]}", child_default,
                                                                             settings_beside):
                rows.append(row(f"{NAMESPACE}:{path}", f"{NAMESPACE}:{path}", "top", sub, sub_name, sub_info,
                                sub_default, sub_has, None))

    for name, info in model.model_fields.items():
        key = info.alias or name
        if key in top_level:
            continue
        has_default, default = _default(info, None)
        nested = _children(info.annotation)
        section = key if nested is not None else GENERAL
        rows.append(row(f"{NAMESPACE}:overrides.{key}", key, section, model, name, info, default, has_default, key))
        if nested is None:
            continue
        child_default = default if isinstance(default, BaseModel) else None
        for path, sub, sub_name, sub_info, sub_default, sub_has in _walk(nested[1], f"{key}{nested[0]}", child_default,
                                                                         settings_beside):
            rows.append(row(f"{NAMESPACE}:overrides.{path}", path, key, sub, sub_name, sub_info, sub_default, sub_has,
                            path))
    return rows


# --- Rendering -------------------------------------------------------------------------------

def _table(rows: Sequence[Entry], tier_names: Sequence[str]) -> list[str]:
    header = ["key", "type", "default", *tier_names, "description"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    for entry in rows:
        cells = [f"`{entry.shown}`", entry.type, entry.default or " ", *(c or " " for c in entry.tiers),
                 entry.description]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


def render(model: Optional[type[BaseModel]] = None, presets: Optional[Mapping[Any, Mapping[str, Any]]] = None) -> str:
    """The whole reference as markdown."""
    from tierstack.config.tiers import TIER_ORDER

    rows = entries(model, presets)
    tier_names = [t.value for t in TIER_ORDER]
    undocumented = sum(1 for e in rows if not e.documented)
    out = [
        "# Configuration reference",
        "",
        "<!-- Generated by `tierstack reference --write docs/configuration.md` from the settings models",
        "     (tierstack.config.model and the settings they nest) and the tier presets",
        "     (tierstack.config.tiers.PRESETS). Do not edit by hand; tests/test_reference.py fails when it is stale. -->",
        "",
        "Every key a stack file can set, with its type, the model's default, the value each tier",
        "preset gives it (`-` where the preset leaves the model default), and what it does. Keys are",
        "camelCase, as written in `Pulumi.<stack>.yaml`. `<name>` stands for an entry of a map you",
        "name yourself (a node group, a service), `[]` for each item of a list; preset cells for a map",
        "list each entry as `name: value`. Long lists and maps are shortened to their first item or their",
        "size.",
        "",
        f"{len(rows)} keys; {undocumented} without a description.",
        "",
        "## Top-level keys",
        "",
        "Set directly as `tierstack:<key>` in the stack's `config:`.",
        "",
        *_table([e for e in rows if e.section == "top"], tier_names),
    ]
    sections: list[str] = [GENERAL] if any(e.section == GENERAL for e in rows) else []
    for entry in rows:
        if entry.section != "top" and entry.section not in sections:
            sections.append(entry.section)
    out += ["", "## Overrides (`tierstack:overrides`)", "",
            "Deep-merged into the tier preset, so each key below is written under `tierstack:overrides`, e.g.",
            "`tierstack:overrides: {network: {azCount: 3}}`."]
    for section in sections:
        out += ["", f"### {section}", "", *_table([e for e in rows if e.section == section], tier_names)]
    return "\n".join(out) + "\n"


def reference_keys(model: Optional[type[BaseModel]] = None) -> list[str]:
    """Every full key the reference lists, e.g. ``tierstack:overrides.network.azCount``."""
    return [e.key for e in entries(model)]


def run(write: Optional[Path]) -> int:
    """``tierstack reference [--write PATH]``."""
    text = render()
    if write is None:
        print(text, end="")
        return 0
    rows = entries()
    write.parent.mkdir(parents=True, exist_ok=True)
    write.write_text(text)
    undocumented = sum(1 for e in rows if not e.documented)
    print(f"wrote {len(rows)} keys ({undocumented} undocumented) to {write}")
    return 0
