"""``@documented``: an Args dataclass's ``#`` field comments, made visible to ``help()`` and doc tools.

The components' Args are frozen dataclasses whose fields are described by the ``#`` comment lines
directly above each field. Comments are invisible at run time, so this decorator reads the class
source once, at import, and appends an ``Arguments`` section to the class docstring (Google style,
which Sphinx's napoleon and pdoc understand)::

    Arguments:
        region (str, required): The region the topic is created in.
        protect (bool, default False): Production stacks: keep it from being deleted.

Apply it outermost, above ``@dataclass``::

    @documented
    @dataclass(frozen=True)
    class AlertTopicArgs:
        # The region the topic is created in.
        region: str

The class is returned unchanged apart from ``__doc__`` and ``__undocumented__``: the names of
fields without a comment (a test asserts it is empty; import never fails on it).
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import textwrap
from typing import Any, TypeVar

__all__ = ["documented", "field_comments", "field_docs"]

T = TypeVar("T", bound=type)

_FACTORIES = (dict, list, set, tuple, frozenset)


def _source_fields(cls: type) -> dict[str, tuple[str, str]]:
    """Each annotated field in ``cls``'s own source: (annotation text, comment block above it)."""
    try:
        source = textwrap.dedent(inspect.getsource(cls))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, IndentationError):
        return {}
    lines = source.splitlines()
    body = next((node.body for node in tree.body
                 if isinstance(node, ast.ClassDef) and node.name == cls.__name__), [])
    found: dict[str, tuple[str, str]] = {}
    for node in body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        block: list[str] = []
        index = node.lineno - 2  # the line above the field (lineno is 1-based)
        while index >= 0 and lines[index].strip().startswith("#"):
            block.append(lines[index].strip().lstrip("#").strip())
            index -= 1
        text = " ".join(line for line in reversed(block) if line and not line.startswith(("noqa", "type:")))
        annotation = ast.get_source_segment(source, node.annotation) or ast.unparse(node.annotation)
        found[node.target.id] = (" ".join(annotation.split()), text)
    return found


_COMMENTS: dict[type, dict[str, str]] = {}


def field_comments(cls: type) -> dict[str, str]:
    """The ``#`` comment block above each annotated field in ``cls``'s own source (fields with one only).

    Dataclasses and pydantic models alike: the configuration reference reads the settings models'
    comments through this too. Cached per class; the source is read once.
    """
    if cls not in _COMMENTS:
        _COMMENTS[cls] = {name: text for name, (_, text) in _source_fields(cls).items() if text}
    return _COMMENTS[cls]


def _default(f: dataclasses.Field) -> str:
    if f.default is not dataclasses.MISSING:
        return f"default {f.default!r}"
    factory: Any = f.default_factory
    if factory is not dataclasses.MISSING:
        if factory in _FACTORIES:
            return f"default {factory()!r}"
        return f"default {getattr(factory, '__qualname__', repr(factory))}()"
    return "required"


def field_docs(cls: type) -> list[tuple[str, str, str, str]]:
    """(name, type, default, description) for every dataclass field of ``cls``, in order.

    A field's comment is looked up in the class that defines it (or, failing that, any base);
    the description is "" when it has none.
    """
    sources: dict[str, tuple[str, str]] = {}
    for klass in reversed(cls.__mro__[:-1]):  # bases first, so a subclass's own comment wins
        for name, (annotation, text) in _source_fields(klass).items():
            if text or name not in sources:
                sources[name] = (annotation, text)
    rows = []
    for f in dataclasses.fields(cls):
        annotation, text = sources.get(f.name, ("", ""))
        if not annotation:
            annotation = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", repr(f.type))
        rows.append((f.name, annotation, _default(f), text))
    return rows


def _own_docstring(cls: type) -> str:
    doc = cls.__dict__.get("__doc__") or ""
    # ``@dataclass`` fills a missing docstring with the constructor's signature; help() shows that anyway.
    if doc.startswith(f"{cls.__name__}("):
        return ""
    return inspect.cleandoc(doc)


def documented(cls: T) -> T:
    """Append an ``Arguments`` section built from the fields' ``#`` comments to ``cls.__doc__``.

    Records the fields that have no comment in ``cls.__undocumented__`` (a tuple of names).
    """
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"@documented goes above @dataclass: {cls.__name__} is not a dataclass")
    rows = field_docs(cls)
    section = ["Arguments:"]
    for name, annotation, default, text in rows:
        section.append(f"    {name} ({annotation}, {default}): {text or '(undocumented)'}")
    head = _own_docstring(cls)
    # Without a summary the doc starts on a blank line, so cleandoc (help()) keeps the field indent.
    cls.__doc__ = "\n".join(([head, ""] if head else [""]) + section)
    setattr(cls, "__undocumented__", tuple(name for name, _, _, text in rows if not text))
    return cls
