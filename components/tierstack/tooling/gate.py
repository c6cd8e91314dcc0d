"""The offline policy gate: tierstack's rules over a plan's resources."""

from __future__ import annotations

from itertools import groupby

from tierstack.policy.model import Context, Evaluation, Resource
from tierstack.policy.rules import RESOURCE_RULES, STACK_RULES
from tierstack.policy.runner import evaluate
from tierstack.tooling.plan import Plan


def plan_context(plan: Plan) -> Context:
    """The stack's policy context, as the program exported it."""
    outputs = plan.run.outputs
    return Context(profile=str(outputs.get("complianceProfile", "standard")), production=bool(outputs.get("production", False)))


def plan_resources(plan: Plan) -> list[Resource]:
    return [Resource(r.type, r.name, r.inputs, r.urn, r.parent, r.protect) for r in plan.resources if r.custom]


def check_plan(plan: Plan) -> Evaluation:
    return evaluate(plan_resources(plan), plan_context(plan), RESOURCE_RULES, STACK_RULES)


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


__all__ = ["check_plan", "plan_context", "render"]
