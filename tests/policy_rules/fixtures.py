"""Fixture records for policy rules: each rule gets compliant, violating and unknown cases.

A ``Case`` is a list of resources (one for resource rules, several for stack rules) plus the
stack context. ``unknown`` cases carry pulumi_policy's unknown sentinels where ``pulumi
preview`` would not yet know a value: the rule must then neither crash nor report a violation
(it may be undecided, which the engine reports as "can't run during preview").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from pulumi_policy.proxy import (  # noqa: F401 - re-exported for fixture modules
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)

from tierstack.policy.model import Context, Resource

STANDARD = Context()
HIPAA = Context(profile="hipaa")
PRODUCTION = Context(production=True)


def R(type_: str, props: dict[str, Any], name: str = "r", parent: str = "urn:parent", protect: bool = False) -> Resource:
    return Resource(type=type_, name=name, props=props, urn=f"urn:pulumi:test::tierstack::{type_}::{name}",
                    parent=parent, protect=protect)


@dataclass(frozen=True)
class Case:
    resources: list[Resource]
    context: Context = STANDARD
    # For violating cases: a substring expected in at least one violation message.
    expect: Optional[str] = None
    label: str = ""


@dataclass(frozen=True)
class RuleFixtures:
    compliant: list[Case]
    violating: list[Case]
    unknown: list[Case] = field(default_factory=list)
