"""On-demand list prices, read from a dated snapshot that ships with the package.

The estimate must run without a network or an AWS account, so prices come from
``prices.json`` beside this module; ``tierstack cost refresh-prices`` (``refresh.py``) rewrites
it from the AWS Price List API when credentials exist.

Keys are dot-separated and use AWS's own spelling for sizes, so a key can be built from a
config value verbatim: ``ec2.m6i.xlarge.hour``, ``aurora.db.r7g.large.hour``,
``elasticache.valkey.cache.r7g.large.hour``. Prices that do not vary by region (Route 53,
CloudFront, WAF, ...) are stored once under the ``global`` pseudo-region and answer a lookup in
any region. Each entry carries where its figure comes from; entries whose figure was derived
rather than published say so in ``source`` (it starts with ``derived:`` or ``estimate:``).
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping

GLOBAL_REGION = "global"
BUNDLED_SNAPSHOT = Path(__file__).with_name("prices.json")
SNAPSHOT_FORMAT = 1


@dataclass(frozen=True)
class Price:
    usd: float  # USD per one `unit`
    unit: str  # human unit: "hour", "GB-month", "1M requests", "1K input tokens", ...
    source: str  # where the figure comes from (Price List API SKU, pricing page, or how it was derived)

    @property
    def derived(self) -> bool:
        """True when the figure was computed from other published figures rather than read."""
        return self.source.startswith(("derived:", "estimate:"))


def ec2_instance_key(instance_type: str) -> str:
    return f"ec2.{instance_type}.hour"


def aurora_instance_key(instance_class: str) -> str:
    return f"aurora.{instance_class}.hour"


def cache_node_key(engine: str, node_type: str) -> str:
    return f"elasticache.{engine}.{node_type}.hour"


def bedrock_token_key(model_slug: str, direction: str) -> str:
    if direction not in ("input", "output"):
        raise ValueError(f"token direction must be 'input' or 'output', not {direction!r}")
    return f"bedrock.{model_slug}.{direction}.1k-tokens"


class PriceBook:
    """Prices by region and key, as of one date."""

    def __init__(self, price_date: str, prices: Mapping[str, Mapping[str, Price]], notes: str = ""):
        datetime.date.fromisoformat(price_date)
        self.price_date = price_date
        self.notes = notes
        self._prices: dict[str, dict[str, Price]] = {region: dict(entries) for region, entries in prices.items()}
        self.regions: tuple[str, ...] = tuple(sorted(r for r in self._prices if r != GLOBAL_REGION))
        self._keys = frozenset(key for entries in self._prices.values() for key in entries)

    def get(self, key: str, region: str) -> Price:
        price = self._lookup(key, region)
        if price is None:
            raise KeyError(self._missing_message(key, region))
        return price

    def has(self, key: str, region: str) -> bool:
        return self._lookup(key, region) is not None

    def keys(self) -> frozenset[str]:
        return self._keys

    def regions_for(self, key: str) -> tuple[str, ...]:
        """The regions ``key`` is priced in; every region for a global key."""
        if key in self._prices.get(GLOBAL_REGION, {}):
            return self.regions
        return tuple(r for r in self.regions if key in self._prices[r])

    def entries(self) -> Iterator[tuple[str, str, Price]]:
        """Every (region, key, price), ``global`` included, in a stable order."""
        for region in sorted(self._prices):
            for key in sorted(self._prices[region]):
                yield region, key, self._prices[region][key]

    def by_region(self) -> dict[str, dict[str, Price]]:
        """A copy of the prices, region (``global`` included) to key to price."""
        return {region: dict(entries) for region, entries in self._prices.items()}

    def updated(self, updates: Mapping[tuple[str, str], Price]) -> dict[str, dict[str, Price]]:
        """The prices with the given (region, key) entries set, ready for a new book."""
        prices = self.by_region()
        for (region, key), price in updates.items():
            prices.setdefault(region, {})[key] = price
        return prices

    def to_json(self) -> dict[str, Any]:
        return {
            "format": SNAPSHOT_FORMAT,
            "priceDate": self.price_date,
            "currency": "USD",
            "notes": self.notes,
            "prices": {
                region: {key: dataclasses.asdict(price) for key, price in sorted(entries.items())}
                for region, entries in sorted(self._prices.items())
            },
        }

    def write(self, path: Path) -> None:
        """Write the snapshot with one entry per line, so a refresh reads as a short diff."""
        data = self.to_json()
        header = {k: v for k, v in data.items() if k != "prices"}
        lines = ["{"] + [f" {json.dumps(k)}: {json.dumps(v)}," for k, v in header.items()] + [' "prices": {']
        regions = list(data["prices"].items())
        for r_index, (region, entries) in enumerate(regions):
            lines.append(f"  {json.dumps(region)}: {{")
            items = list(entries.items())
            for e_index, (key, entry) in enumerate(items):
                comma = "," if e_index < len(items) - 1 else ""
                lines.append(f"   {json.dumps(key)}: {json.dumps(entry)}{comma}")
            lines.append("  }" + ("," if r_index < len(regions) - 1 else ""))
        lines += [" }", "}"]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def _lookup(self, key: str, region: str) -> Price | None:
        global_price = self._prices.get(GLOBAL_REGION, {}).get(key)
        if global_price is not None:
            return global_price
        return self._prices.get(region, {}).get(key)

    def _missing_message(self, key: str, region: str) -> str:
        if key in self._keys:
            where = ", ".join(self.regions_for(key))
            return f"no price for '{key}' in {region}; it is priced only in {where}."
        if region not in self._prices:
            region_note = f" ({region} is not in the snapshot; priced regions: {', '.join(self.regions)})"
        else:
            region_note = ""
        close = self._closest_keys(key, region)
        hint = f"; closest keys: {', '.join(close)}" if close else f"; no key resembles it ({len(self._keys)} keys priced)"
        return f"no price for '{key}' in {region}{region_note}{hint}."


    def _closest_keys(self, key: str, region: str, limit: int = 5) -> list[str]:
        """Keys spelled like ``key``, then keys that contain its distinctive middle (a size like
        ``r7g.large`` written without its ``db.`` prefix), then the rest of its service family."""
        candidates = sorted((self._prices.get(region, {}).keys() | self._prices.get(GLOBAL_REGION, {}).keys()) or self._keys)
        found = difflib.get_close_matches(key, candidates, n=limit, cutoff=0.75)
        segments = key.split(".")
        middle = ".".join(segments[1:-1])
        if middle:
            found += [k for k in candidates if f".{middle}." in k and k.startswith(segments[0] + ".")]
        found += [k for k in candidates if k.startswith(segments[0] + ".")]
        return list(dict.fromkeys(found))[:limit]


class SnapshotError(ValueError):
    """A price snapshot that cannot be used, naming the file and the entry at fault."""


def parse_snapshot(data: Mapping[str, Any], origin: str) -> PriceBook:
    if data.get("format") != SNAPSHOT_FORMAT:
        raise SnapshotError(f"{origin}: unsupported snapshot format {data.get('format')!r} (expected {SNAPSHOT_FORMAT}).")
    try:
        datetime.date.fromisoformat(str(data.get("priceDate")))
    except ValueError:
        raise SnapshotError(f"{origin}: priceDate {data.get('priceDate')!r} is not an ISO date (YYYY-MM-DD).") from None
    prices: dict[str, dict[str, Price]] = {}
    for region, entries in data.get("prices", {}).items():
        for key, entry in entries.items():
            prices.setdefault(region, {})[key] = _parse_entry(entry, f"{origin}: {region} {key}")
    return PriceBook(data["priceDate"], prices, str(data.get("notes", "")))


def _parse_entry(entry: Mapping[str, Any], where: str) -> Price:
    usd, unit, source = entry.get("usd"), entry.get("unit"), entry.get("source")
    if isinstance(usd, bool) or not isinstance(usd, (int, float)) or not math.isfinite(usd) or usd < 0:
        raise SnapshotError(f"{where}: usd must be a non-negative number, not {usd!r}.")
    if not isinstance(unit, str) or not unit or not isinstance(source, str) or not source:
        raise SnapshotError(f"{where}: unit and source must be non-empty strings.")
    return Price(float(usd), unit, source)


def load_price_book(path: Path | None = None) -> PriceBook:
    """The snapshot at ``path`` (default: the bundled one), read once per file version."""
    resolved = Path(path or BUNDLED_SNAPSHOT).resolve()
    return _load_cached(resolved, resolved.stat().st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _load_cached(path: Path, _mtime_ns: int) -> PriceBook:
    return parse_snapshot(json.loads(path.read_text(encoding="utf-8")), str(path))
