"""Plan time and peak memory per tier, each tier in a fresh interpreter.

Run: .venv/bin/python benchmarks/bench_plan.py [--stack dev] [--repeat 3]

A fresh process per run keeps one tier's imports and caches from flattering the next; peak
memory is the child's max RSS, which includes the Pulumi SDK and provider packages. Every tier
is planned with the account assumptions any tier needs (tierstack.tooling.plan.ANY_TIER_ASSUMPTIONS).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIERS = ("pilot", "growth", "scale", "enterprise", "hyperscale")

_CHILD = r"""
import json, resource, sys, time
started = time.perf_counter()
from tierstack.tooling.plan import ANY_TIER_ASSUMPTIONS, plan_stack
from tierstack.tooling.stackfiles import find_project
from tierstack.tooling.deployability import assess
imported = time.perf_counter()
plan = plan_stack(sys.argv[1], project=find_project(__import__("pathlib").Path(sys.argv[3])), tier=sys.argv[2],
                  config_overrides=ANY_TIER_ASSUMPTIONS)
done = time.perf_counter()
assessment = assess(plan)
checked = time.perf_counter()
print(json.dumps({
    "problems": len(assessment.problems), "deploy_minutes": assessment.simulation.total_seconds / 60,
    "check_seconds": checked - done,
    "resources": len(plan.custom_resources), "components": len(plan.components), "regions": len(plan.regions),
    "plan_seconds": plan.run.seconds, "total_seconds": done - started, "import_seconds": imported - started,
    "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def measure(stack: str, tier: str) -> dict:
    result = subprocess.run([sys.executable, "-c", _CHILD, stack, tier, str(ROOT)],
                            capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'tier':<11} {'regions':>7} {'resources':>9} {'plan s':>7} {'checks s':>8} {'total s':>8} "
          f"{'peak MiB':>9} {'problems':>8} {'1st up min':>10}")
    for tier in TIERS:
        runs = [measure(args.stack, tier) for _ in range(args.repeat)]
        first = runs[0]
        print(f"{tier:<11} {first['regions']:>7} {first['resources']:>9} "
              f"{statistics.median(r['plan_seconds'] for r in runs):>7.2f} "
              f"{statistics.median(r['check_seconds'] for r in runs):>8.2f} "
              f"{statistics.median(r['total_seconds'] for r in runs):>8.2f} "
              f"{max(r['peak_rss_mib'] for r in runs):>9.0f} {first['problems']:>8} {first['deploy_minutes']:>10.1f}")
    print(f"(median of {args.repeat} runs; plan s = program under mocks, checks s = deployability checks and the "
          "deploy simulation, total s = imports + plan; 1st up min = simulated first `pulumi up`)")


if __name__ == "__main__":
    main()
