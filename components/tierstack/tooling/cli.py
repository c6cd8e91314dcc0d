"""``tierstack``: the offline plan and the tier table, from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

from tierstack.config.tiers import Tier

EXIT_CONFIG = 2
EXIT_POLICY = 3
EXIT_DEPLOY = 4
EXIT_UNSAFE = 5


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tierstack", description="Plan and inspect tierstack stacks offline.")
    commands = parser.add_subparsers(dest="command", required=True)

    plan = commands.add_parser("plan", help="show what `pulumi up` would create, with no CLI or cloud account")
    plan.add_argument("--stack", "-s", required=True, help="stack name: reads Pulumi.<stack>.yaml")
    plan.add_argument("--tier", choices=[t.value for t in Tier], help="plan the stack at this tier instead of its own")
    plan.add_argument("--json", type=Path, metavar="FILE", help="write every resource (type, name, parent, inputs, options)")
    plan.add_argument("--manifests", type=Path, metavar="DIR", help="write the Kubernetes objects as YAML")
    plan.add_argument("--expand", action="store_true", help="list every resource instead of counts per type")
    plan.add_argument("--policy-gate", action="store_true",
                      help=f"exit {EXIT_POLICY} if any mandatory policy rule is violated")
    plan.add_argument("--deploy-gate", action="store_true",
                      help=f"exit {EXIT_DEPLOY} if the plan could not be applied as recorded (ordering, names, "
                           "controllers, provider inputs)")
    plan.add_argument("--deploy-order", action="store_true",
                      help="simulate the first `pulumi up`: estimated wall time and the critical path")
    plan.add_argument("--parallel", type=int, metavar="N",
                      help="with --deploy-order: as `pulumi up --parallel N` (default: unbounded)")
    plan.add_argument("--project", type=Path, help="project directory (default: nearest Pulumi.yaml)")

    policy = commands.add_parser(
        "policy-config", help="write the --policy-pack-config file for a stack or any program",
        description="A tierstack stack's context comes from its stack file (-s); for any other program "
                    "give --profile and --production (defaults: standard, not production).")
    policy.add_argument("--stack", "-s", help="a tierstack stack: its profile and production come from Pulumi.<stack>.yaml")
    policy.add_argument("--profile", choices=["standard", "hipaa"], help="compliance profile (not with a tierstack stack)")
    policy.add_argument("--production", action=argparse.BooleanOptionalAction, default=None,
                        help="turn on the production-only rules (not with a tierstack stack)")
    policy.add_argument("--output", "-o", type=Path, help="file to write (default: stdout)")
    policy.add_argument("--project", type=Path, help="project directory (default: nearest Pulumi.yaml)")

    pack = commands.add_parser("policy-pack", help="the CrossGuard pack as a self-contained directory")
    pack_commands = pack.add_subparsers(dest="pack_command", required=True)
    pack_export = pack_commands.add_parser(
        "export", help="write the pack (rules vendored, PyPI-only requirements.txt) into DIR")
    pack_export.add_argument("directory", type=Path, metavar="DIR")
    pack_check = pack_commands.add_parser("check", help=f"exit {EXIT_CONFIG} if DIR is not a current export")
    pack_check.add_argument("directory", type=Path, metavar="DIR")

    commands.add_parser("tiers", help="print the five scale-tier presets side by side")

    package = commands.add_parser("package", help="the Pulumi package other languages use (provider/)")
    package.add_subparsers(dest="package_command", required=True).add_parser(
        "schema", help="print the package schema, as `pulumi package get-schema provider/` would").add_argument(
        "--output", "-o", type=Path, metavar="FILE", help="write it to FILE instead")

    reference = commands.add_parser("reference", help="print the configuration reference (every key) as markdown")
    reference.add_argument("--write", type=Path, metavar="FILE", help="write it to FILE, e.g. docs/configuration.md")

    inventory = commands.add_parser("inventory", help="list the URNs a stack's plan registers (the identity contract)")
    inventory.add_argument("--stack", "-s", required=True, help="stack name: reads Pulumi.<stack>.yaml")
    inventory.add_argument("--tier", choices=[t.value for t in Tier],
                           help="plan the stack at this tier, with the account assumptions any tier needs")
    inventory.add_argument("--write", action="store_true",
                           help="write inventory/<stack>.txt (or <stack>@<tier>.txt) instead of printing")
    inventory.add_argument("--project", type=Path, help="project directory (default: nearest Pulumi.yaml)")

    diff = commands.add_parser(
        "diff", help="compare the stack with a target and say whether applying it to a live stack is safe",
        description="Before is the stack as configured (or --from-plan); after is the target. "
                    f"Exit 0 when safe, {EXIT_UNSAFE} when a change would lose data or fail, {EXIT_CONFIG} on "
                    "config errors.")
    diff.add_argument("--stack", "-s", required=True, help="stack name: reads Pulumi.<stack>.yaml")
    diff.add_argument("--tier", choices=[t.value for t in Tier], help="target: the same stack at this tier")
    diff.add_argument("--to-stack", metavar="OTHER", help="target: another stack file of this project")
    diff.add_argument("--to-config", type=Path, metavar="FILE",
                      help="target: the stack with these 'namespace:key: value' overrides (YAML) deep-merged in")
    diff.add_argument("--from-plan", type=Path, metavar="BEFORE.json",
                      help="before: an earlier `tierstack plan --json` (the stack as configured is then after)")
    diff.add_argument("--json", type=Path, metavar="FILE", help="write the classified changes as JSON")
    diff.add_argument("--expand", action="store_true", help="list every change instead of counts per type")
    diff.add_argument("--project", type=Path, help="project directory (default: nearest Pulumi.yaml)")

    cost = commands.add_parser(
        "cost", help="what a stack will cost a month, from its offline plan and usage profile",
        description="`tierstack cost -s STACK [--tier T] [--json FILE] [--expand]` prices the offline plan; "
                    "`tierstack cost -s STACK --tiers` prices it at each of the five tiers; "
                    "`tierstack cost refresh-prices [--regions R,R] [--output FILE]` regenerates the price snapshot "
                    "from the AWS Price List API (needs credentials).")
    cost.add_argument("action", nargs="?", choices=["refresh-prices"], help="regenerate the price snapshot instead")
    cost.add_argument("--stack", "-s", help="stack name: reads Pulumi.<stack>.yaml")
    cost.add_argument("--tier", choices=[t.value for t in Tier], help="price the stack at this tier instead of its own")
    cost.add_argument("--tiers", action="store_true", help="price the stack at each of the five tiers, side by side")
    cost.add_argument("--json", type=Path, metavar="FILE", help="write the estimate (every resource's lines) as JSON")
    cost.add_argument("--expand", action="store_true", help="list every resource and line instead of sums per price")
    cost.add_argument("--project", type=Path, help="project directory (default: nearest Pulumi.yaml)")
    cost.add_argument("refresh_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "tiers":
        from tierstack.tooling.tiers_table import render

        print(render())
        return 0
    if args.command == "reference":
        from tierstack.tooling.reference import run as run_reference

        return run_reference(args.write)
    if args.command == "package":
        from tierstack.package.schema import run as run_package_schema

        return run_package_schema(args.output)
    if args.command == "policy-config":
        return _policy_config(args)
    if args.command == "policy-pack":
        return _policy_pack(args)
    if args.command == "inventory":
        return _inventory(args)
    if args.command == "diff":
        return _diff(args)
    if args.command == "cost":
        return _cost(args)
    return _plan(args)


def _plan(args: argparse.Namespace) -> int:
    from tierstack.tooling.manifests import write_manifests
    from tierstack.tooling.plan import PlanConfigError, plan_stack, render_counts, render_tree, write_json
    from tierstack.tooling.stackfiles import StackFileError, find_project

    try:
        project = find_project(args.project)
        plan = plan_stack(args.stack, project=project, tier=args.tier)
    except (PlanConfigError, StackFileError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG

    from tierstack.tooling.deployability import assess, render as render_deployability

    assessment = assess(plan, parallel=args.parallel)
    print(render_tree(plan, expand=args.expand))
    print()
    print(render_counts(plan))
    print()
    if args.json:
        write_json(plan, args.json, extra={"deployability": assessment.to_json()})
        print(f"wrote {len(plan.resources)} resources to {args.json}")
    if args.manifests:
        written = write_manifests(plan.kubernetes_objects(), args.manifests)
        print(f"wrote {len(written)} Kubernetes manifests to {args.manifests}/")
    from tierstack.tooling.gate import check_plan, plan_context, render as render_policy

    evaluation = check_plan(plan)
    print(render_policy(evaluation, plan_context(plan)))
    print(render_deployability(assessment, order=args.deploy_order))
    print(plan.summary())
    if args.policy_gate and evaluation.mandatory_violations:
        print(f"policy gate: {len(evaluation.mandatory_violations)} mandatory violation(s); failing.", file=sys.stderr)
        return EXIT_POLICY
    if args.deploy_gate and assessment.problems:
        print(f"deploy gate: {len(assessment.problems)} problem(s) would fail `pulumi up`; failing.", file=sys.stderr)
        return EXIT_DEPLOY
    return 0


def _policy_config(args: argparse.Namespace) -> int:
    import json

    from tierstack.config import StackConfigError, build_stack_config
    from tierstack.config.loader import raw_from_engine_config
    from tierstack.policy.model import Context
    from tierstack.policy.pack import policy_config
    from tierstack.tooling.gate import is_tierstack_stack
    from tierstack.tooling.stackfiles import StackFileError, engine_config, find_project

    flags = args.profile is not None or args.production is not None
    context = Context(args.profile or "standard", bool(args.production))
    if args.stack:
        try:
            values, _ = engine_config(find_project(args.project), args.stack)
            if is_tierstack_stack(values):
                if flags:
                    print(f"error: stack '{args.stack}' is a tierstack stack: its profile and production come from "
                          "its stack file (tierstack:complianceProfile, tierstack:production); drop --profile/--production",
                          file=sys.stderr)
                    return EXIT_CONFIG
                config = build_stack_config(raw_from_engine_config(values), stack=args.stack,
                                            home_region=values.get("aws:region"))
                context = Context(config.compliance_profile, config.production)
            else:
                print(f"note: stack '{args.stack}' has no tierstack config; profile {context.profile}, "
                      f"{'production' if context.production else 'not production'} (from flags or defaults)",
                      file=sys.stderr)
        except (StackFileError, StackConfigError) as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_CONFIG
    document = json.dumps(policy_config(context), indent=2)
    if args.output:
        args.output.write_text(document + "\n")
    else:
        print(document)
    return 0


def _policy_pack(args: argparse.Namespace) -> int:
    from tierstack.policy.export import ExportError, export_pack, stale_files

    if args.pack_command == "check":
        stale = stale_files(args.directory)
        if stale:
            print(f"{args.directory} is not a current export ({', '.join(stale)}); "
                  f"run `tierstack policy-pack export {args.directory}`", file=sys.stderr)
            return EXIT_CONFIG
        print(f"{args.directory} is a current export of the pack")
        return 0
    try:
        written = export_pack(args.directory)
    except ExportError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    print(f"wrote {len(written)} files to {args.directory}/: "
          f"pulumi preview --policy-pack {args.directory} --policy-pack-config <tierstack policy-config ...>")
    return 0


def _inventory(args: argparse.Namespace) -> int:
    from tierstack.tooling.inventory import inventory, inventory_path, render, write_inventory
    from tierstack.tooling.plan import ANY_TIER_ASSUMPTIONS, PlanConfigError, plan_stack
    from tierstack.tooling.stackfiles import StackFileError, find_project

    try:
        project = find_project(args.project)
        plan = plan_stack(args.stack, project=project, tier=args.tier,
                          config_overrides=ANY_TIER_ASSUMPTIONS if args.tier else None)
    except (PlanConfigError, StackFileError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    if args.write:
        path = inventory_path(project.root, args.stack, args.tier)
        urns = write_inventory(plan, path)
        print(f"wrote {len(urns)} URNs to {path}")
    else:
        sys.stdout.write(render(inventory(plan)))
    return 0


def _diff(args: argparse.Namespace) -> int:
    import json

    from tierstack.tooling.diff import DiffInputError, describe, diff_plans, plan_sides, render
    from tierstack.tooling.plan import PlanConfigError
    from tierstack.tooling.stackfiles import StackFileError, find_project

    try:
        project = find_project(args.project)
        before, after = plan_sides(project, args.stack, tier=args.tier, to_stack=args.to_stack,
                                   to_config=args.to_config, from_plan=args.from_plan)
    except (PlanConfigError, StackFileError, DiffInputError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    result = diff_plans(before.resources, after.resources)
    print(render(result, header=describe(before, after), expand=args.expand))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"before": before.to_json(), "after": after.to_json(), **result.to_json()},
                                        indent=2, default=str) + "\n")
        print(f"wrote {len(result.changes)} changes to {args.json}")
    if result.unsafe:
        print(f"diff: {len(result.unsafe_changes)} unsafe change(s); failing.", file=sys.stderr)
        return EXIT_UNSAFE
    return 0


def _cost(args: argparse.Namespace) -> int:
    import json

    if args.action == "refresh-prices":
        from tierstack.cost.refresh import main_refresh

        return main_refresh(args.refresh_args)
    if not args.stack or args.refresh_args:
        print("error: `tierstack cost` needs --stack (or the refresh-prices action)", file=sys.stderr)
        return EXIT_CONFIG
    from tierstack.config import StackConfigError
    from tierstack.cost.charges import MissingPrice
    from tierstack.cost.render import render_estimate, render_tiers
    from tierstack.cost.estimate import tier_cost
    from tierstack.tooling.cost import price_stack, price_tiers
    from tierstack.tooling.plan import PlanConfigError
    from tierstack.tooling.stackfiles import StackFileError, find_project

    try:
        project = find_project(args.project)
        if args.tiers:
            priced = price_tiers(project, args.stack)
        else:
            priced = [price_stack(project, args.stack, tier=args.tier)]
    except (PlanConfigError, StackFileError, StackConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except MissingPrice as error:
        print(f"error: {error} Refresh the snapshot (`tierstack cost refresh-prices`) or pick a priced size or "
              "region.", file=sys.stderr)
        return EXIT_CONFIG
    estimates = [p.estimate for p in priced]
    if args.tiers:
        costs = [tier_cost(e) for e in estimates]
        print(render_tiers(args.stack, estimates[0].price_date, costs))
        document = {"stack": args.stack, "priceDate": estimates[0].price_date, "tiers": [c.to_json() for c in costs],
                    "estimates": [e.to_json() for e in estimates]}
    else:
        print(render_estimate(estimates[0], expand=args.expand))
        document = estimates[0].to_json()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(document, indent=2) + "\n")
        print(f"wrote the estimate to {args.json}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
