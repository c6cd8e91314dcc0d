"""The estimate as text: by component and region (largest first), the AI levers, the assumptions,
what is not priced; and the five tiers side by side."""

from __future__ import annotations

from collections import defaultdict
from typing import Sequence

from tierstack.cost.estimate import UNMODELLED_CHARGES, Estimate, ResourceCost, TierCost


def money(amount: float) -> str:
    """Dollars with cents for small sums, whole dollars for large ones, four significant digits below a dollar."""
    if amount == 0:
        return "$0"
    if abs(amount) >= 1000:
        return f"${amount:,.0f}"
    if abs(amount) >= 1:
        return f"${amount:,.2f}"
    digits = f"{amount:.6f}".rstrip("0")
    whole, _, fraction = digits.partition(".")
    significant = len(fraction) - len(fraction.lstrip("0")) + 4  # four significant digits
    return f"${whole}.{fraction[:max(2, significant)].ljust(2, '0')}"


def _span(low: float, high: float) -> str:
    return money(low) if round(high, 2) == round(low, 2) else f"{money(low)} .. {money(high)}"


def _count(value: float) -> str:
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if value >= limit:
            return f"{value / limit:.3g}{suffix}"
    return f"{value:,.0f}" if value == int(value) else f"{value:.3g}"


def _quantity(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")


def _lines_by_price(resources: Sequence[ResourceCost]) -> list[tuple[str, str, float, float, float, float, int]]:
    """Lines of several resources summed per price key: (key, unit, unit price, quantity, low, high, resources)."""
    sums: dict[tuple[str, str, float], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0])
    for resource in resources:
        for line in resource.lines:
            entry = sums[(line.key, line.unit, line.unit_price)]
            entry[0] += line.quantity
            entry[1] += line.monthly
            entry[2] += line.monthly_high
            entry[3] += 1
    rows = [(key, unit, price, q, low, high, int(n)) for (key, unit, price), (q, low, high, n) in sums.items()]
    return sorted(rows, key=lambda r: (-r[4], -r[5], r[0]))


def render_estimate(estimate: Estimate, *, expand: bool = False) -> str:
    usage, ai = estimate.usage, estimate.ai
    regions = len(estimate.regions)
    out = [
        f"Cost estimate for stack '{estimate.stack}' (tier {estimate.tier}, {regions} region{'s' if regions != 1 else ''}): "
        f"on-demand list prices of {estimate.price_date}, USD a month",
        "",
        f"Infrastructure  {money(estimate.total_monthly)} at minimum size, up to {money(estimate.total_monthly_high)} "
        "with every node group and Aurora reader pool at its maximum",
        f"AI (Bedrock)    {money(ai.monthly)} with caching and routing ({money(ai.baseline.monthly)} without)",
        f"Together        {money(estimate.total_monthly + ai.monthly)} .. "
        f"{money(estimate.total_monthly_high + ai.monthly)} for {_count(usage.requests_per_month)} requests "
        f"({money((estimate.total_monthly + ai.monthly) / usage.requests_per_month * 1000)} per 1,000)",
        "",
        "By component and region (largest first; low .. high where the plan sets a range):",
    ]
    by_component: dict[str, list[ResourceCost]] = defaultdict(list)
    for resource in estimate.resources:
        by_component[resource.component].append(resource)
    ordered = sorted(by_component.items(), key=lambda kv: (-sum(r.monthly for r in kv[1]), kv[0]))
    for component, resources in ordered:
        low, high = sum(r.monthly for r in resources), sum(r.monthly_high for r in resources)
        out.append(f"  {component:<38} {_span(low, high):>24}")
        per_region: dict[str, list[ResourceCost]] = defaultdict(list)
        for resource in resources:
            per_region[resource.region].append(resource)
        for region, in_region in sorted(per_region.items(), key=lambda kv: (-sum(r.monthly for r in kv[1]), kv[0])):
            r_low, r_high = sum(r.monthly for r in in_region), sum(r.monthly_high for r in in_region)
            out.append(f"    {region:<36} {_span(r_low, r_high):>24}")
            if expand:
                for resource in sorted(in_region, key=lambda r: (-r.monthly, r.name)):
                    out.append(f"      {resource.name} [{resource.type}]  {_span(resource.monthly, resource.monthly_high)}")
                    out.extend(f"        {line.description}: {_quantity(line.quantity)}"
                               f"{'' if line.quantity_high is None else ' .. ' + _quantity(line.quantity_high)}"
                               f" {line.unit} x {money(line.unit_price)} = {_span(line.monthly, line.monthly_high)}"
                               for line in resource.lines)
                continue
            for key, unit, price, quantity, l_low, l_high, count in _lines_by_price(in_region):
                if l_high < 0.005:
                    continue
                out.append(f"      {key:<44} {_quantity(quantity):>10} {unit:<16} x {money(price):<9} "
                           f"{_span(l_low, l_high):>20}")
    out.append("")
    out.append("By region:")
    out.extend(f"  {s.region:<38} {_span(s.monthly, s.monthly_high):>24}" for s in estimate.by_region())
    out.append("")
    out.extend(render_ai(estimate))
    out.append("")
    out.append("Assumptions (set under tierstack:usage; 'default' and 'tier default' values can be overridden):")
    out.extend(f"  {a.key:<30} {_assumed(a.value) + ' ' + a.unit:<56} [{a.source}]" for a in estimate.assumptions())
    out.append("")
    out.append("Not priced:")
    out.extend(f"  - {n.what} ({n.count}): {n.reason}" for n in estimate.not_priced)
    out.extend(f"  - {what}: {reason}" for what, reason in UNMODELLED_CHARGES)
    return "\n".join(out)


def _assumed(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def render_ai(estimate: Estimate) -> list[str]:
    ai = estimate.ai
    profile = ai.profile
    primary, economy = ai.primary[0], ai.economy[0]
    out = [
        f"AI: {_count(ai.requests_per_month)} requests a month, {profile.input_tokens_per_request:,} input and "
        f"{profile.output_tokens_per_request:,} output tokens each",
        f"  primary {primary.name}: {money(primary.input_per_1k)} / {money(primary.output_per_1k)} per 1K input/output "
        f"tokens = {money(primary.per_request(profile.input_tokens_per_request, profile.output_tokens_per_request))} a call",
        f"  economy {economy.name}: {money(economy.input_per_1k)} / {money(economy.output_per_1k)} per 1K input/output "
        f"tokens = {money(economy.per_request(profile.input_tokens_per_request, profile.output_tokens_per_request))} a call",
        f"  caches answer {profile.cache_hit_ratio():.1%} of requests (exact {profile.exact_hit_ratio:.0%}"
        + (f", semantic {profile.semantic_hit_ratio:.0%} of the misses)" if profile.semantic_cache_enabled
           else ", semantic cache off)")
        + f"; the router sends {profile.routing_share:.0%} of model calls to the economy model",
        f"  {'':<38} {'per request':>12} {'a month':>14} {'saved':>14}",
    ]
    baseline = ai.baseline.monthly
    for scenario in ai.scenarios:
        saved = baseline - scenario.monthly
        out.append(f"  {scenario.name:<38} {money(scenario.per_request):>12} {money(scenario.monthly):>14} "
                   f"{(money(saved) + f' ({saved / baseline:.0%})') if saved and baseline else '-':>14}")
    if ai.semantic_cache_would_save:
        out.append(f"  a semantic cache (data.cache.semanticCache) hitting {profile.semantic_hit_ratio:.0%} of the misses "
                   f"would save another {money(ai.semantic_cache_would_save)} a month")
    return out


def render_tiers(stack: str, price_date: str, costs: Sequence[TierCost]) -> str:
    header = ["", *[c.tier for c in costs]]
    rows: list[list[str]] = [
        ["regions", *[str(len(c.regions)) for c in costs]],
        ["concurrent users", *[f"{c.concurrent_users:,}" for c in costs]],
        ["requests a month", *[_count(c.requests_per_month) for c in costs]],
        ["infrastructure, minimum", *[money(c.infrastructure_low) for c in costs]],
        ["infrastructure, maximum", *[money(c.infrastructure_high) for c in costs]],
        ["AI, caching + routing", *[money(c.ai_monthly) for c in costs]],
        ["AI, neither", *[money(c.ai_without_levers) for c in costs]],
        ["total (minimum infra + AI)", *[money(c.total_low) for c in costs]],
        ["per 1,000 requests: infra", *[money(c.per_thousand_requests(c.infrastructure_low)) for c in costs]],
        ["per 1,000 requests: AI", *[money(c.per_thousand_requests(c.ai_monthly)) for c in costs]],
        ["per 1,000 requests: total", *[money(c.per_thousand_requests(c.total_low)) for c in costs]],
        ["per concurrent user: infra", *[money(c.per_concurrent_user(c.infrastructure_low)) for c in costs]],
        ["per concurrent user: AI", *[money(c.per_concurrent_user(c.ai_monthly)) for c in costs]],
        ["per concurrent user: total", *[money(c.per_concurrent_user(c.total_low)) for c in costs]],
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def fmt(row: list[str]) -> str:
        return "  ".join(cell.ljust(widths[0]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row)).rstrip()

    return "\n".join([
        f"Stack '{stack}' at each tier: USD a month, on-demand list prices of {price_date}, each tier's usage profile "
        "and AI defaults (tierstack:usage overrides apply to every tier)",
        fmt(header), *(fmt(row) for row in rows),
        "regions: " + "; ".join(f"{c.tier} {', '.join(c.regions)}" for c in costs),
    ])
