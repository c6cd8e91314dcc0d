"""The offline policy gate: tierstack's rules over a plan's resources."""

from __future__ import annotations

from itertools import groupby
from typing import Any, Iterable, Optional

from pulumi.output import Unknown
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from tierstack.policy.model import PROFILES, Context, Evaluation, Resource
from tierstack.policy.rules import RESOURCE_RULES, STACK_RULES
from tierstack.policy.runner import evaluate
from tierstack.tooling.engine import PlannedResource
from tierstack.tooling.plan import Plan


class ContextError(ValueError):
    """Flags that contradict a tierstack stack's own config, or name an unknown profile."""


def is_tierstack_stack(values: dict[str, str]) -> bool:
    """Whether an engine config map (``namespace:key`` -> value) is a tierstack stack's."""
    from tierstack.config.loader import NAMESPACE

    return any(key.startswith(f"{NAMESPACE}:") for key in values)


def stack_context(values: dict[str, str], stack: str) -> Context:
    """A tierstack stack's policy context, from its config as ``tierstack.config`` builds it.

    Profile and production do not depend on the tier or on overrides, so when the stack file
    alone does not validate (a plan forced to another tier with extra assumptions) they are read
    with the loader's own defaults: production from ``tierstack:production``, else the
    environment (``tierstack:environment``, else the stack name) being prod/production.
    """
    from tierstack.config import StackConfigError, build_stack_config
    from tierstack.config.loader import PRODUCTION_ENVIRONMENTS, raw_from_engine_config

    raw = raw_from_engine_config(values)
    try:
        config = build_stack_config(raw, stack=stack, home_region=values.get("aws:region"))
        return Context(config.compliance_profile, config.production)
    except StackConfigError:
        environment = raw.get("environment", stack)
        production = raw.get("production", str(environment) in PRODUCTION_ENVIRONMENTS)
        return _context(str(raw.get("complianceProfile", "standard")), production)


def _context(profile: str, production: object) -> Context:
    if profile not in PROFILES:
        raise ContextError(f"unknown compliance profile '{profile}' (use one of {', '.join(PROFILES)})")
    if isinstance(production, str):
        production = production.strip().lower() in {"true", "1", "yes"}
    return Context(profile, bool(production))


def plan_context(plan: Plan, *, profile: Optional[str] = None, production: Optional[bool] = None) -> Context:
    """The policy context the gate judges a plan with: the same one the pack gets from its
    policy config, never the program's outputs.

    A tierstack stack's context is its own config (``tierstack:complianceProfile``,
    ``tierstack:production`` or a prod environment); ``profile``/``production`` may only restate
    it. Any other program's context is those flags, defaulting to standard, not production.
    """
    from tierstack.tooling.stackfiles import engine_config

    values, _ = engine_config(plan.project, plan.stack)
    if is_tierstack_stack(values):
        context = stack_context(values, plan.stack)
        if (profile is not None and profile != context.profile) or (production is not None and production != context.production):
            raise ContextError(
                f"stack '{plan.stack}' is a tierstack stack with profile {context.profile}"
                f"{', production' if context.production else ', not production'}; set tierstack:complianceProfile "
                "or tierstack:production in its stack file instead of overriding them")
        return context
    return _context(profile or "standard", bool(production))


def plan_resources(plan: Plan) -> list[Resource]:
    return resource_views(plan.resources)


def resource_views(recorded: Iterable[PlannedResource]) -> list[Resource]:
    """Recorded registrations (a plan's, or ``tierstack.testing``'s recorder's) as the policy
    engine shows them: custom resources only, their wiring, and values a preview run left unknown
    carried as the engine's unknown marker (the SDK hands the recorder ``Unknown`` objects)."""
    return [Resource(r.type, r.name, _engine_unknowns(r.inputs), r.urn, r.parent, r.protect, r.id or None,
                     _engine_unknowns(r.outputs),
                     {key: tuple(urns) for key, urns in r.property_dependencies.items()})
            for r in recorded if r.custom]


def _engine_unknowns(value: Any) -> Any:
    if isinstance(value, Unknown):
        return UNKNOWN_STRING_VALUE
    if isinstance(value, dict):
        return {k: _engine_unknowns(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_engine_unknowns(v) for v in value]
    return value


def check_plan(plan: Plan, context: Optional[Context] = None) -> Evaluation:
    return evaluate(plan_resources(plan), context or plan_context(plan), RESOURCE_RULES, STACK_RULES)


def render(evaluation: Evaluation, context: Context) -> str:
    rules = len(RESOURCE_RULES) + len(STACK_RULES)
    header = f"Policy: {rules} rules, profile {context.profile}{', production' if context.production else ''}"
    if not evaluation.violations:
        lines = [f"{header}: no violations"]
    else:
        mandatory = len(evaluation.mandatory_violations)
        lines = [f"{header}: {len(evaluation.violations)} violations ({mandatory} mandatory)"]
        for severity, group in groupby(evaluation.violations, key=lambda v: v.severity):
            found = list(group)
            lines.append(f"  {severity.value.upper()} ({len(found)})")
            lines.extend(f"    - {v.rule} [{'mandatory' if v.mandatory else 'advisory'}] "
                         f"{v.resource_type} {v.resource_name}: {v.message}" for v in found)
    if evaluation.undecided:
        lines.append(f"  undecided until deploy ({len(evaluation.undecided)}): "
                     + "; ".join(f"{rule} on {name}" for rule, name, _ in evaluation.undecided))
    return "\n".join(lines)


__all__ = ["ContextError", "check_plan", "is_tierstack_stack", "plan_context", "render", "resource_views",
           "stack_context"]
