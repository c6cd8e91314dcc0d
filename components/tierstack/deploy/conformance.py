"""Input conformance: would the real pulumi-aws provider accept the inputs the plan recorded?

The offline plan records every AWS resource's inputs exactly as the SDK put them on the wire
(camelCase keys, numbers as floats). The mocks accept anything, so a misspelt nested key, an
object where the provider wants a list or a string where it wants a number only shows up at
``pulumi up``. This module checks each recorded input against the installed ``pulumi_aws``
SDK's own type information, by introspection only (no network, no engine):

* the resource class comes from the SDK's resource-module registry (the ``type token -> class``
  map each ``pulumi_aws`` module registers with ``pulumi.runtime.register_resource_module``);
* the accepted properties, their wire names and types come from the class's ``*Args`` input
  type (``@pulumi.getter(name="camelCase")`` properties and their type hints), recursively
  through nested ``*Args`` types, ``Sequence[...]``, ``Mapping[str, ...]`` and ``Union``;
* required properties come from the generated ``_internal_init`` (the properties it raises
  ``Missing required property`` for) and, for nested types, from hints that do not admit None;
* enums are the SDK's ``str``/number ``Enum`` classes: a property typed ``Union[str, SomeEnum]``
  takes any string, one typed ``SomeEnum`` alone takes only a member's value.

Values the plan could not know (None, Pulumi's unknown sentinel, resource references) are
accepted; keys starting with ``__`` are engine plumbing and ignored. Provider inputs travel as
JSON-encoded strings, so for ``pulumi:providers:aws`` a string is decoded before it is checked.
"""

from __future__ import annotations

import collections.abc
import difflib
import enum
import functools
import importlib
import inspect
import json
import re
import typing
from dataclasses import dataclass
from typing import Any, Iterable, Optional

import pulumi
from pulumi import _types as pulumi_types
from pulumi.runtime import rpc

__all__ = ["Mismatch", "check_resource_inputs", "check_plan_inputs", "is_checked_type"]

AWS_PROVIDER_TYPE = "pulumi:providers:aws"
_UNKNOWN = rpc.UNKNOWN
_MAX_LISTED = 15


@dataclass(frozen=True)
class Mismatch:
    """One input the provider would reject: where (``inputs.vpcConfig.subnetIdz``), why, and the fix."""

    path: str
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem} Fix: {self.fix}"


def is_checked_type(type_token: str) -> bool:
    """Whether ``check_plan_inputs`` checks resources of this type (AWS resources and the AWS provider)."""
    return type_token.startswith("aws:") or type_token == AWS_PROVIDER_TYPE


# -- shapes: what a property accepts, normalised from the SDK's type hints ------------------------

@dataclass(frozen=True)
class _Scalar:
    py: type  # str, int, float or bool

@dataclass(frozen=True)
class _Enum:
    cls: type

@dataclass(frozen=True)
class _Object:
    cls: type  # a @pulumi.input_type class

@dataclass(frozen=True)
class _List:
    items: tuple

@dataclass(frozen=True)
class _Map:
    values: tuple

@dataclass(frozen=True)
class _AnyValue:
    pass

@dataclass(frozen=True)
class _AssetOrArchive:
    pass


_ANY = _AnyValue()
_SCALARS = (str, int, float, bool)
_SEQUENCE_ORIGINS = {list, tuple, collections.abc.Sequence, typing.Sequence, typing.List}
_MAPPING_ORIGINS = {dict, collections.abc.Mapping, typing.Mapping, typing.Dict}
_AWAITABLE_ORIGINS = {collections.abc.Awaitable, typing.Awaitable}


def _is_union(hint: Any) -> bool:
    return pulumi_types._is_union_type(hint)  # noqa: SLF001 - typing.Union and X | Y alike


@functools.lru_cache(maxsize=None)
def _shape(hint: Any) -> tuple:
    """The alternatives a hint accepts on the wire, with Input/Awaitable/Output/Optional stripped."""
    if hint is Any or hint is object:
        return (_ANY,)
    if _is_union(hint):
        alternatives: list = []
        for member in typing.get_args(hint):
            for alt in _shape(member):
                if alt not in alternatives:
                    alternatives.append(alt)
        if any(isinstance(a, _Object) for a in alternatives):
            # InputType[T] = Union[T, Mapping[str, Any]]: the mapping is T written as a dict.
            alternatives = [a for a in alternatives if not (isinstance(a, _Map) and a.values == (_ANY,))]
        return tuple(alternatives)
    if hint is type(None):
        return ()
    origin = typing.get_origin(hint)
    if origin is pulumi.Output or origin in _AWAITABLE_ORIGINS or hint is pulumi.Output:
        return ()  # the plain alternative of Input[T] is always listed beside these
    if origin in _SEQUENCE_ORIGINS:
        args = typing.get_args(hint)
        return (_List(_shape(args[0]) if args else (_ANY,)),)
    if origin in _MAPPING_ORIGINS:
        args = typing.get_args(hint)
        return (_Map(_shape(args[1]) if len(args) == 2 else (_ANY,)),)
    if origin is not None:
        return (_ANY,)
    if isinstance(hint, type):
        if issubclass(hint, enum.Enum):
            return (_Enum(hint),)
        if hint in _SCALARS:
            return (_Scalar(hint),)
        if pulumi_types.is_input_type(hint):
            return (_Object(hint),)
        if pulumi_types.is_output_type(hint) or typing.is_typeddict(hint):
            return ()  # output types and *ArgsDict mirror an input type listed beside them
        if issubclass(hint, (pulumi.Asset, pulumi.Archive)):
            return (_AssetOrArchive(),)
        if hint in (dict, list):
            return (_Map((_ANY,)),) if hint is dict else (_List((_ANY,)),)
    return (_ANY,)  # a hint we do not model: accept rather than guess


# -- schemas: the properties of a resource or nested input type ----------------------------------

@dataclass(frozen=True)
class _Schema:
    owner: str                     # for messages: a type token or an input type's name
    props: dict                    # wire name -> shape alternatives
    required: frozenset            # wire names
    py_to_wire: dict               # snake_case -> camelCase, for did-you-mean


def _hints(cls: type) -> dict[str, Any]:
    """Wire name -> resolved return hint of each property of an input type class."""
    return dict(pulumi_types._raw_return_hints(cls))  # noqa: SLF001 - the SDK's own hint resolution


def _py_to_wire(cls: type) -> dict[str, str]:
    return {py: wire for py, wire, _ in pulumi_types._py_properties(cls)}  # noqa: SLF001


def _admits_none(hint: Any) -> bool:
    return _is_union(hint) and type(None) in typing.get_args(hint)


@functools.lru_cache(maxsize=None)
def _object_schema(cls: type) -> _Schema:
    hints = _hints(cls)
    name = cls.__name__.removesuffix("Args")
    return _Schema(
        owner=name,
        props={wire: _shape(hint) for wire, hint in hints.items()},
        required=frozenset(wire for wire, hint in hints.items() if not _admits_none(hint)),
        py_to_wire=_py_to_wire(cls),
    )


_ARGS_CLASS = re.compile(r"__props__\s*=\s*(\w+)\.__new__\(")
_REQUIRED = re.compile(r"Missing required property '(\w+)'")


@functools.lru_cache(maxsize=None)
def _resource_class(type_token: str) -> Optional[type]:
    """The SDK class for a type token, from the registry pulumi_aws fills on import."""
    importlib.import_module("pulumi_aws")
    if type_token.startswith("pulumi:providers:"):
        for package in rpc._RESOURCE_PACKAGES.get(type_token.split(":")[2], []):  # noqa: SLF001
            info = getattr(package, "pkg_info", None)
            if info and info.get("token") == type_token:
                return getattr(importlib.import_module(info["fqn"]), info["class"])
        return None
    try:
        package, module, _ = type_token.split(":")
    except ValueError:
        return None
    resource_module = rpc.get_resource_module(package, module, "")
    info = getattr(resource_module, "mod_info", None)
    class_name = info and info.get("classes", {}).get(type_token)
    if not class_name:
        return None
    return getattr(importlib.import_module(info["fqn"]), class_name, None)


@functools.lru_cache(maxsize=None)
def _resource_schema(type_token: str) -> Optional[_Schema]:
    cls = _resource_class(type_token)
    if cls is None:
        return None
    source = inspect.getsource(cls._internal_init)  # noqa: SLF001 - generated code is the spec
    args_match = _ARGS_CLASS.search(source)
    args_cls = getattr(inspect.getmodule(cls), args_match.group(1)) if args_match else None
    if args_cls is None or not pulumi_types.is_input_type(args_cls):
        args_cls = getattr(inspect.getmodule(cls), f"{cls.__name__}Args")
    py_to_wire = _py_to_wire(args_cls)
    hints = _hints(args_cls)
    # _internal_init names a parameter that clashes with its own (resource_name) with a
    # trailing underscore; the Args property keeps the plain name.
    required = frozenset(py_to_wire.get(py) or py_to_wire.get(py.rstrip("_"), py)
                         for py in _REQUIRED.findall(source))
    return _Schema(owner=type_token, props={wire: _shape(h) for wire, h in hints.items()},
                   required=required, py_to_wire=py_to_wire)


@functools.lru_cache(maxsize=None)
def _resource_types() -> tuple[str, ...]:
    """Every AWS resource type token the SDK registers (for did-you-mean on unknown types)."""
    importlib.import_module("pulumi_aws")
    tokens: list[str] = []
    for key, modules in rpc._RESOURCE_MODULES.items():  # noqa: SLF001
        if key.startswith("aws:"):
            for module in modules:
                tokens.extend(getattr(module, "mod_info", {}).get("classes", {}))
    return tuple(sorted(tokens))


# -- describing shapes and values for messages ---------------------------------------------------

_SCALAR_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "a boolean"}


def _enum_values(cls: type) -> list:
    return [member.value for member in cls]  # type: ignore[attr-defined]


def _describe_alt(alt: Any) -> str:
    if isinstance(alt, _Scalar):
        return _SCALAR_NAMES[alt.py]
    if isinstance(alt, _Enum):
        values = _enum_values(alt.cls)
        listed = ", ".join(repr(v) for v in values[:_MAX_LISTED]) + (", ..." if len(values) > _MAX_LISTED else "")
        return f"one of {alt.cls.__name__} ({listed})"
    if isinstance(alt, _Object):
        return f"an object ({alt.cls.__name__.removesuffix('Args')})"
    if isinstance(alt, _List):
        return f"a list of {_describe(alt.items, plural=True)}"
    if isinstance(alt, _Map):
        return f"a map of {_describe(alt.values, plural=True)}"
    if isinstance(alt, _AssetOrArchive):
        return "an asset or archive"
    return "any value"


def _describe(alts: tuple, plural: bool = False) -> str:
    if not alts:
        return "nothing"
    if any(isinstance(a, _Scalar) and a.py is str for a in alts):
        alts = tuple(a for a in alts if not isinstance(a, _Enum))  # Union[str, Enum]: any string
    text = " or ".join(_describe_alt(a) for a in alts)
    if plural:
        text = re.sub(r"^(a|an) (\w+)", lambda m: m.group(2) + ("s" if not m.group(2).endswith("s") else ""), text)
    return text


def _describe_value(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {value!r}"
    if isinstance(value, (int, float)):
        return f"the number {value:g}" if isinstance(value, float) else f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return f"the string {shown!r}"
    if isinstance(value, dict):
        keys = ", ".join(list(map(str, value))[:5]) + (", ..." if len(value) > 5 else "")
        return f"an object {{{keys}}}"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'s' if len(value) != 1 else ''}"
    return f"a {type(value).__name__}"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) else f"{path}[{json.dumps(key)}]"


# -- checking -----------------------------------------------------------------------------------

def _is_unknown(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value == _UNKNOWN) or isinstance(value, pulumi.Resource)


def _scalar_ok(value: Any, alt: Any) -> bool:
    if isinstance(alt, _Enum):
        if isinstance(value, bool):
            return False
        return any(value == v and type(value) is not bool for v in _enum_values(alt.cls))
    py = alt.py
    if py is str:
        return isinstance(value, str)
    if py is bool:
        return isinstance(value, bool)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    if py is int:  # numbers cross the wire as floats; an integral one is an int
        return isinstance(value, int) or float(value).is_integer()
    return True


def _scalar_fix(value: Any, alts: tuple) -> str:
    wanted = _describe(alts)
    enums = [a for a in alts if isinstance(a, _Enum)]
    if enums and isinstance(value, str):
        guesses = difflib.get_close_matches(value, [str(v) for e in enums for v in _enum_values(e.cls)], n=1)
        if guesses:
            return f"use {guesses[0]!r} (did you mean {guesses[0]!r}?)."
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if parsed is not None and not isinstance(parsed, str) and any(
                _scalar_ok(parsed, a) for a in alts if isinstance(a, (_Scalar, _Enum))):
            return f"pass {json.dumps(parsed)} unquoted, not the string {value!r}."
    if isinstance(value, (int, float)) and not isinstance(value, bool) and any(
            isinstance(a, _Scalar) and a.py is str for a in alts):
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        return f"pass it as a string ({shown!r})."
    return f"pass {wanted}."


def _check_value(value: Any, alts: tuple, path: str, out: list[Mismatch], json_strings: bool = False) -> None:
    if _is_unknown(value) or _ANY in alts:
        return
    if json_strings and isinstance(value, str) and not any(isinstance(a, _Scalar) and a.py is str for a in alts):
        # Provider config travels JSON-encoded: "false", "3", '{"tags": ...}'.
        try:
            value = json.loads(value)
        except ValueError:
            pass
        else:
            if _is_unknown(value):
                return
    if isinstance(value, dict):
        candidates = [a for a in alts if isinstance(a, (_Object, _Map))]
    elif isinstance(value, list):
        candidates = [a for a in alts if isinstance(a, _List)]
    elif isinstance(value, (pulumi.Asset, pulumi.Archive)):
        candidates = [a for a in alts if isinstance(a, _AssetOrArchive)]
    else:
        scalar_alts = [a for a in alts if isinstance(a, (_Scalar, _Enum))]
        if any(_scalar_ok(value, a) for a in scalar_alts):
            return
        out.append(Mismatch(path, f"got {_describe_value(value)}, but the provider expects {_describe(alts)}.",
                            _scalar_fix(value, alts)))
        return
    if not candidates:
        fix = f"pass {_describe(alts)}"
        if isinstance(value, dict) and any(isinstance(a, _List) for a in alts):
            fix += " (wrap a single object in a list)" if any(
                isinstance(a, _List) and any(isinstance(i, _Object) for i in a.items) for a in alts) else ""
        elif isinstance(value, list) and any(isinstance(a, (_Object, _Map)) for a in alts):
            fix += " (not a list)"
        out.append(Mismatch(path, f"got {_describe_value(value)}, but the provider expects {_describe(alts)}.",
                            fix + "."))
        return
    best: Optional[list[Mismatch]] = None
    for alt in candidates:
        found: list[Mismatch] = []
        if isinstance(alt, _Object):
            _check_object(value, _object_schema(alt.cls), path, found)
        elif isinstance(alt, _Map):
            for key, item in value.items():
                _check_value(item, alt.values, _join(path, str(key)), found)
        elif isinstance(alt, _List):
            for index, item in enumerate(value):
                _check_value(item, alt.items, f"{path}[{index}]", found)
        if not found:
            return
        if best is None or len(found) < len(best):
            best = found
    out.extend(best or [])


def _did_you_mean(key: str, schema: _Schema) -> Optional[str]:
    if key in schema.py_to_wire:
        return schema.py_to_wire[key]
    by_lower = {wire.lower(): wire for wire in schema.props}
    if key.lower() in by_lower:
        return by_lower[key.lower()]
    camel = re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), key)
    if camel in schema.props:
        return camel
    guesses = difflib.get_close_matches(key, list(schema.props), n=1, cutoff=0.6)
    return guesses[0] if guesses else None


def _check_object(value: dict, schema: _Schema, path: str, out: list[Mismatch], json_strings: bool = False) -> None:
    for key, item in value.items():
        key = str(key)
        if key.startswith("__"):
            continue
        alts = schema.props.get(key)
        item_path = _join(path, key)
        if alts is None:
            guess = _did_you_mean(key, schema)
            if guess:
                fix = f"rename it to '{guess}' (did you mean '{guess}'?)."
            else:
                names = sorted(schema.props)
                listed = ", ".join(names[:_MAX_LISTED]) + (", ..." if len(names) > _MAX_LISTED else "")
                fix = f"remove it; {schema.owner} takes: {listed}."
            out.append(Mismatch(item_path, f"'{key}' is not an input of {schema.owner}.", fix))
            continue
        _check_value(item, alts, item_path, out, json_strings)
    for key in sorted(schema.required - value.keys()):
        out.append(Mismatch(_join(path, key), f"required input '{key}' of {schema.owner} is missing.",
                            f"set '{key}' ({_describe(schema.props.get(key, (_ANY,)))})."))


def check_resource_inputs(type_token: str, inputs: dict) -> list[Mismatch]:
    """Every way ``inputs`` (wire names, as recorded) would be rejected by pulumi-aws for ``type_token``."""
    schema = _resource_schema(type_token)
    if schema is None:
        guesses = difflib.get_close_matches(type_token, _resource_types(), n=1, cutoff=0.8)
        fix = f"use '{guesses[0]}' (did you mean '{guesses[0]}'?)." if guesses else \
            "use a type token pulumi_aws registers (package:module/resource:Class)."
        return [Mismatch("type", f"'{type_token}' is not a resource type in the installed pulumi_aws.", fix)]
    out: list[Mismatch] = []
    _check_object(dict(inputs or {}), schema, "inputs", out, json_strings=type_token.startswith("pulumi:providers:"))
    return out


def check_plan_inputs(resources: Iterable[Any]) -> list[tuple[str, Mismatch]]:
    """``(urn, mismatch)`` for every AWS resource (and AWS provider) among ``resources``.

    ``resources`` is anything with ``.type``, ``.urn`` and ``.inputs`` (a plan's
    ``PlannedResource`` list), or a ``Plan`` itself.
    """
    resources = getattr(resources, "resources", resources)
    found: list[tuple[str, Mismatch]] = []
    for resource in resources:
        if is_checked_type(resource.type):
            found.extend((resource.urn, m) for m in check_resource_inputs(resource.type, resource.inputs))
    return found
