"""Config errors that name the key as the user wrote it, the bad value, and the fix."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any, Iterable


@dataclass(frozen=True)
class ConfigIssue:
    path: str
    value: Any
    problem: str
    fix: str

    def render(self) -> str:
        return f"  - {self.path} = {_show(self.value)}\n      {self.problem}\n      Fix: {self.fix}"


class StackConfigError(ValueError):
    """Raised before any resource is registered when a stack's config cannot be used."""

    def __init__(self, stack: str, issues: Iterable[ConfigIssue]):
        self.stack = stack
        self.issues: tuple[ConfigIssue, ...] = tuple(issues)
        super().__init__(self.render())

    def render(self) -> str:
        count = len(self.issues)
        noun = "problem" if count == 1 else "problems"
        lines = [f"Stack '{self.stack}' has {count} configuration {noun}; nothing was created."]
        lines.extend(issue.render() for issue in self.issues)
        return "\n".join(lines)


MISSING = object()


def _show(value: Any) -> str:
    if value is MISSING:
        return "(not set)"
    try:
        return json.dumps(value, default=str)
    except (TypeError, ValueError):
        return repr(value)


def did_you_mean(word: Any, choices: Iterable[str]) -> str:
    """' (did you mean X?)' when a close match exists, else ''."""
    if not isinstance(word, str):
        return ""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not matches:
        lowered = {c.lower(): c for c in choices}
        match = lowered.get(word.lower())
        matches = [match] if match else []
    return f" (did you mean '{matches[0]}'?)" if matches else ""
