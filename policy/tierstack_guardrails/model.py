"""The shapes every rule shares: severity, context, the resource view, and the rule records."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence


class Severity(str, Enum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return ("critical", "high", "medium", "low").index(self.value)


PROFILES = ("standard", "hipaa")


@dataclass(frozen=True)
class Context:
    """What a rule knows about the stack: its compliance profile and whether it is production."""

    profile: str = "standard"
    production: bool = False

    @property
    def hipaa(self) -> bool:
        return self.profile == "hipaa"


@dataclass(frozen=True)
class Resource:
    """One resource as a rule sees it, from the plan or from the policy engine alike."""

    type: str
    name: str
    props: Mapping[str, Any]
    urn: str = ""
    parent: str = ""
    protect: bool = False
    # The resource's own id and computed outputs where the caller knows them (the offline plan
    # does; the policy engine gives neither). Graph rules treat an absent id as unknown.
    id: Any = None
    outputs: Optional[Mapping[str, Any]] = None
    # For each top-level property, the URNs of the resources whose outputs flowed into it (the
    # engine's propertyDependencies). It is the wiring between resources, and it is known at
    # preview even when the value it carries is not.
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def depends_on(self, path: str) -> tuple[str, ...]:
        """The URNs whose outputs flowed into the property at ``path`` (its top-level key's)."""
        return tuple(self.property_dependencies.get(path.split(".", 1)[0], ()))


ResourceCheck = Callable[[Resource, Context], Iterable[str]]
StackCheck = Callable[[Sequence[Resource], Context], Iterable[tuple[Resource, str]]]


@dataclass(frozen=True)
class Rule:
    """A check of one resource at a time. ``check`` yields a message per violation."""

    name: str
    description: str
    severity: Severity
    remediation: str
    resource_types: tuple[str, ...]
    check: ResourceCheck
    profiles: tuple[str, ...] = PROFILES

    @property
    def mandatory(self) -> bool:
        return self.severity in (Severity.CRITICAL, Severity.HIGH)

    def applies_to(self, resource_type: str) -> bool:
        return resource_type in self.resource_types


@dataclass(frozen=True)
class StackRule:
    """A check that needs the whole resource graph. ``check`` yields (resource, message)."""

    name: str
    description: str
    severity: Severity
    remediation: str
    check: StackCheck
    profiles: tuple[str, ...] = PROFILES

    @property
    def mandatory(self) -> bool:
        return self.severity in (Severity.CRITICAL, Severity.HIGH)


@dataclass(frozen=True)
class Violation:
    rule: str
    severity: Severity
    mandatory: bool
    resource_type: str
    resource_name: str
    urn: str
    message: str

    def render(self) -> str:
        level = "mandatory" if self.mandatory else "advisory"
        return f"[{self.severity.value}/{level}] {self.rule}: {self.resource_type} {self.resource_name}: {self.message}"


@dataclass
class Evaluation:
    violations: list[Violation] = field(default_factory=list)
    # (rule, resource name, unknown property path) for checks preview could not decide.
    undecided: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def mandatory_violations(self) -> list[Violation]:
        return [v for v in self.violations if v.mandatory]


def rule(name: str, description: str, severity: Severity, remediation: str, *types: str,
         profiles: Sequence[str] = PROFILES) -> Callable[[ResourceCheck], Rule]:
    """Decorator: turn a check function into a ``Rule``."""
    def wrap(check: ResourceCheck) -> Rule:
        return Rule(name, description, severity, remediation, tuple(types), check, tuple(profiles))
    return wrap


def stack_rule(name: str, description: str, severity: Severity, remediation: str,
               profiles: Sequence[str] = PROFILES) -> Callable[[StackCheck], StackRule]:
    def wrap(check: StackCheck) -> StackRule:
        return StackRule(name, description, severity, remediation, check, tuple(profiles))
    return wrap

