"""User-routing throughput: shard lookups per second for the pure routing function.

Run: .venv/bin/python benchmarks/bench_routing.py [--ids 1000000]
"""

from __future__ import annotations

import argparse
import sys
import time

from tierstack.sharding import ShardEndpoint, ShardMap, shard_for


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ids", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    ids = [f"user-{i}" for i in range(args.ids)]
    print(f"{'shards':>6} {'lookups/s':>12} {'ns/lookup':>10}")
    for shards in (1, 10, 16, 64, 1024):
        runs = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            for user in ids:
                shard_for(user, shards)
            runs.append(time.perf_counter() - started)
        best = min(runs)
        print(f"{shards:>6} {args.ids / best:>12,.0f} {best / args.ids * 1e9:>10.0f}")
    sample = ids[:200_000]
    steady = ShardMap("us-east-1", tuple(ShardEndpoint(i, "w", "r", 5432, "agents") for i in range(10)))
    # Mid-way through adding shard 10: routed over the 10 active shards, shard 10 provisioning.
    growing = ShardMap("us-east-1", tuple(
        ShardEndpoint(i, "w", "r", 5432, "agents", state="active" if i < 10 else "provisioning") for i in range(11)))
    for label, call in (("ShardMap.route, 10 active", steady.route),
                        ("ShardMap.route, 10 active + 1 provisioning", growing.route),
                        ("ShardMap.copy_target, 10 active + 1 provisioning", growing.copy_target)):
        started = time.perf_counter()
        for user in sample:
            call(user)
        elapsed = time.perf_counter() - started
        print(f"{label}: {len(sample) / elapsed:,.0f} lookups/s")
    print(f"(best of {args.repeat}; single core, Python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
