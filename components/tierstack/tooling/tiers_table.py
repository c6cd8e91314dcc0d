"""The five presets side by side, for ``tierstack tiers``."""

from __future__ import annotations

from tierstack.config.loader import build_stack_config
from tierstack.config.model import StackConfig
from tierstack.config.tiers import CONCURRENT_USERS, TIER_ORDER


def preset_configs() -> list[StackConfig]:
    return [build_stack_config({"tier": tier.value}, stack="tiers") for tier in TIER_ORDER]


def rows(configs: list[StackConfig]) -> list[tuple[str, list[str]]]:
    table: list[tuple[str, list[str]]] = [
        ("concurrent users", [f"~{CONCURRENT_USERS[c.tier]:,}" for c in configs]),
        ("regions", [str(len(c.regions)) for c in configs]),
        ("AZs per region", [str(c.network.az_count) for c in configs]),
        ("NAT gateways", ["1 shared" if c.network.nat_gateways == "single" else "1 per AZ" for c in configs]),
        ("interface endpoints", [str(len(c.network.interface_endpoints)) for c in configs]),
        ("Kubernetes", [c.cluster.kubernetes_version for c in configs]),
        ("control-plane logs", [str(len(c.cluster.control_plane_log_types)) + " types" for c in configs]),
        ("log retention (days)", [str(c.cluster.log_retention_days) for c in configs]),
    ]
    group_names = sorted({g for c in configs for g in c.cluster.node_groups})
    for group in group_names:
        cells = []
        for c in configs:
            settings = c.cluster.node_groups.get(group)
            cells.append(f"{settings.instance_types[0]} {settings.min_size}-{settings.max_size}" if settings else "-")
        table.append((f"nodes: {group}", cells))
    table.extend(service_rows(configs))
    return table


def service_rows(configs: list[StackConfig]) -> list[tuple[str, list[str]]]:
    """Per service: starting replicas, HPA bounds and memory per pod, one cell per tier ("-" where absent)."""
    names = list(dict.fromkeys(name for c in configs for name in c.services.services))
    table = []
    for service in names:
        cells = []
        for c in configs:
            s = c.services.services.get(service)
            if s is None:
                cells.append("-")
                continue
            bounds = f"{s.autoscaling.min_replicas}-{s.autoscaling.max_replicas}" if s.autoscaling.enabled else "fixed"
            cells.append(f"{s.replicas} ({bounds}) {s.memory}")
        table.append((f"svc {service}", cells))
    return table


def render() -> str:
    configs = preset_configs()
    header = ["", *[c.tier.value for c in configs]]
    body = [[label, *cells] for label, cells in rows(configs)]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(header)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in body)
    lines.append("services: replicas (HPA min-max) memory per pod")
    return "\n".join(lines)
