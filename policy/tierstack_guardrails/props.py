"""Reading resource properties safely, including through pulumi_policy's unknown-checking proxy.

During ``pulumi preview`` some inputs are unknown; reading one through the proxy raises
``UnknownValueError``, which the engine reports as "can't run during preview" instead of a
violation. Helpers here read only what a rule asks for, so a rule that needs only whether a
key is present never trips over an unknown value it did not need.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping, Sequence



class _Undecided:
    """A value preview does not know yet; prints as such in messages."""

    def __repr__(self) -> str:
        return "(unknown until deploy)"

    __str__ = __repr__


UNDECIDED = _Undecided()


def get(props: Any, path: str, default: Any = None) -> Any:
    """``props["a"]["b"][0]`` for path "a.b.0"; ``default`` if any step is missing."""
    node = props
    for part in path.split("."):
        if isinstance(node, Mapping):
            if part not in node:
                return default
            node = node[part]
        elif isinstance(node, Sequence) and not isinstance(node, str) and part.isdigit():
            index = int(part)
            if index >= len(node):
                return default
            node = node[index]
        else:
            return default
    return node


def raw(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    """The plain dict behind an unknown-checking proxy (or the mapping itself).

    Membership tests on the proxy go through its lookup, which raises on unknown values, so
    questions about presence must be asked of the dict underneath.
    """
    try:
        target = mapping["__target"]
    except (KeyError, TypeError):
        return mapping
    return target if isinstance(target, dict) else mapping


def has(props: Any, path: str) -> bool:
    """True if the key at ``path`` is set to something (an unknown value counts as set)."""
    parent_path, _, key = path.rpartition(".")
    parent = get(props, parent_path) if parent_path else props
    if not isinstance(parent, Mapping):
        return False
    underlying = raw(parent)
    if key not in underlying:
        return False
    value = underlying[key]
    if value is None or value == "":
        return False
    if isinstance(value, (Mapping, Sequence)) and not isinstance(value, str):
        return len(value) > 0  # proxied lists and dicts never compare equal to [] or {}
    return True


def items(props: Any, path: str) -> Iterator[Any]:
    value = get(props, path, [])
    if isinstance(value, Sequence) and not isinstance(value, str):
        yield from value
    elif value not in (None, [], ""):
        yield value


def tags(props: Any) -> Mapping[str, Any]:
    value = get(props, "tags", {})
    return value if isinstance(value, Mapping) else {}


def truthy(value: Any) -> bool:
    """Booleans may arrive as strings ("true") from some providers' nested inputs."""
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def known(props: Any, path: str, default: Any = None) -> Any:
    """The value at ``path``, or ``UNDECIDED`` while preview does not know it.

    For graph rules, which must keep judging the resources they can while one value is
    unknown, instead of letting the unknown abort the whole check.
    """
    from pulumi_policy.proxy import UnknownValueError

    try:
        return get(props, path, default)
    except UnknownValueError:
        return UNDECIDED
