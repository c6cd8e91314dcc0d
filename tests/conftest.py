"""Shared fixtures: the project, cached offline plans, and mocks for component tests."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Callable, Optional

import pulumi
import pytest

from tierstack import testing
from tierstack.tooling.engine import PlannedResource, RecordingMonitor
from tierstack.tooling.plan import ANY_TIER_ASSUMPTIONS, Plan, plan_stack
from tierstack.tooling.stackfiles import Project, find_project

ROOT = Path(__file__).resolve().parents[1]
STACKS = ("dev", "staging", "prod")
TIERS = ("pilot", "growth", "scale", "enterprise", "hyperscale")


@functools.lru_cache(maxsize=None)
def project() -> Project:
    return find_project(ROOT)


@functools.lru_cache(maxsize=None)
def cached_plan(stack: str, tier: Optional[str] = None) -> Plan:
    """Plans are deterministic, so each (stack, tier) runs once per test session.

    A stack planned at another tier gets the account assumptions any tier needs (raised quotas,
    a reachable API endpoint), as a real stack at that tier would state them.
    """
    return plan_stack(stack, project=project(), tier=tier,
                      config_overrides=ANY_TIER_ASSUMPTIONS if tier is not None else None)


@pytest.fixture
def plan_of() -> Callable[..., Plan]:
    return cached_plan


def install_mocks(region: str = "us-east-1") -> RecordingMonitor:
    """Fresh mocks for one component test (the public ``tierstack.testing.set_mocks``); returns
    the monitor that records registrations."""
    return testing.set_mocks(region=region, project="tierstack", stack="test").monitor


def children_of(resources: list[PlannedResource], type_token: str) -> list[PlannedResource]:
    return [r for r in resources if r.type == type_token]


def record(build: Callable[[], object]) -> list[PlannedResource]:
    """Run ``build`` under fresh mocks as a ``@pulumi.runtime.test`` and return every registration.

    The decorator awaits whatever ``build`` returns (so asserts inside ``apply`` run and fail
    the test) and drains all outstanding registrations before we read them.
    """
    monitor = install_mocks()
    pulumi.runtime.test(build)()
    return list(monitor.recorded)
