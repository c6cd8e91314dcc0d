"""docs/configuration.md is generated from the settings models and must match a fresh render."""

import re
import typing

from conftest import ROOT
from pydantic import BaseModel

from tierstack.config.model import NetworkSettings, StackConfig
from tierstack.config.tiers import PRESETS, TIER_ORDER
from tierstack.settings_base import entry_model
from tierstack.tooling import reference
from tierstack.tooling.cli import main
from tierstack.tooling.tiers_table import preset_configs, rows

DOC = ROOT / "docs" / "configuration.md"
STALE = "docs/configuration.md is stale: run `tierstack reference --write docs/configuration.md`"


def _stale(text: str) -> bool:
    return not DOC.exists() or DOC.read_text() != text


def test_checked_in_reference_is_current():
    assert not _stale(reference.render()), STALE


def test_staleness_check_can_fail(monkeypatch):
    current = reference.render()
    info = NetworkSettings.model_fields["az_count"]
    monkeypatch.setattr(info, "default", info.default + 1)
    changed = reference.render()
    assert changed != current and _stale(changed)
    assert f"`{info.default}`" in next(line for line in changed.splitlines() if line.startswith("| `network.azCount`"))


def test_staleness_check_sees_a_new_field_and_a_new_comment():
    class Fake(BaseModel):
        # Explained in a comment.
        documented: int = 3
        other: str = "x"

    text = reference.render(Fake, presets={})
    assert "| `tierstack:overrides` |" in text
    (documented,) = [e for e in reference.entries(Fake, presets={}) if e.shown == "documented"]
    assert documented.description == "Explained in a comment." and documented.default == "`3`"
    (other,) = [e for e in reference.entries(Fake, presets={}) if e.shown == "other"]
    assert other.description == reference.UNDOCUMENTED and not other.documented


def test_cli_prints_and_writes(tmp_path, capsys):
    assert main(["reference"]) == 0
    assert capsys.readouterr().out == reference.render()
    target = tmp_path / "docs" / "configuration.md"
    assert main(["reference", "--write", str(target)]) == 0
    assert target.read_text() == reference.render()
    assert f"wrote {len(reference.entries())} keys" in capsys.readouterr().out


# --- What the reference must contain ----------------------------------------------------------

def _keys() -> set[str]:
    return set(reference.reference_keys())


def _model_of(annotation):
    """The model a field nests and how (".<name>" for a map, "[]" for a list), independently of the renderer."""
    while True:
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin is typing.Annotated:
            annotation = args[0]
        elif origin is typing.Union:
            annotation = next(a for a in args if a is not type(None))
        else:
            break
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "", annotation
    if origin is dict and isinstance(args[1], type) and issubclass(args[1], BaseModel):
        return ".<name>", args[1]
    if origin is list and isinstance(args[0], type) and issubclass(args[0], BaseModel):
        return "[]", args[0]
    return None


def _leaves(model: type[BaseModel], prefix: str):
    for name, info in model.model_fields.items():
        path = f"{prefix}.{info.alias or name}" if prefix else (info.alias or name)
        nested = _model_of(info.annotation)
        if nested is None:
            yield path
        else:
            yield from _leaves(nested[1], path + nested[0])
    entry = entry_model(model)  # named entries beside the fields: the services
    if entry is not None:
        yield from _leaves(entry, f"{prefix}.<name>")


def _full(path: str) -> str:
    top = path.split(".", 1)[0].split("[", 1)[0]
    from tierstack.config.loader import TOP_LEVEL_KEYS

    return f"tierstack:{path}" if top in TOP_LEVEL_KEYS else f"tierstack:overrides.{path}"


def test_every_leaf_of_stack_config_is_listed():
    leaves = [_full(path) for path in _leaves(StackConfig, "")]
    assert len(leaves) > 100
    missing = sorted(set(leaves) - _keys())
    assert not missing, f"keys missing from the reference: {missing}"


def _preset_paths(node, prefix: str, model: type[BaseModel]):
    """Every leaf path a preset sets, map entries written as <name>."""
    fields = {(info.alias or name): info for name, info in model.model_fields.items()}
    entry = entry_model(model)
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else key
        if key not in fields and entry is not None and isinstance(value, dict):
            yield from _preset_paths(value, f"{prefix}.<name>", entry)
            continue
        nested = _model_of(fields[key].annotation) if key in fields else None
        if nested is None or not isinstance(value, (dict, list)):
            yield path
        elif nested[0] == ".<name>":
            for entry in value.values():
                yield from _preset_paths(entry, f"{path}.<name>", nested[1])
        elif nested[0] == "[]":
            for entry in value:
                yield from _preset_paths(entry, f"{path}[]", nested[1])
            if not value:
                yield path
        else:
            yield from _preset_paths(value, path, nested[1])


def test_every_key_the_presets_set_is_listed_with_its_tier_values():
    entries = {e.key: e for e in reference.entries()}
    for tier in TIER_ORDER:
        for path in _preset_paths(PRESETS[tier], "", StackConfig):
            key = f"tierstack:overrides.{path}"
            assert key in entries, f"{key} (set by the {tier.value} preset) is missing from the reference"
            assert entries[key].tiers[TIER_ORDER.index(tier)] != reference.ABSENT, key


# Each row of `tierstack tiers`, and the keys it shows.
TIERS_TABLE_KEYS = {
    "concurrent users": ["tierstack:tier"],
    "regions": ["tierstack:regions", "tierstack:overrides.regionCount"],
    "AZs per region": ["tierstack:overrides.network.azCount"],
    "NAT gateways": ["tierstack:overrides.network.natGateways"],
    "interface endpoints": ["tierstack:overrides.network.interfaceEndpoints"],
    "Kubernetes": ["tierstack:overrides.cluster.kubernetesVersion"],
    "control-plane logs": ["tierstack:overrides.cluster.controlPlaneLogTypes"],
    "log retention (days)": ["tierstack:overrides.cluster.logRetentionDays"],
    "nodes: ": ["tierstack:overrides.cluster.nodeGroups.<name>.instanceTypes",
                "tierstack:overrides.cluster.nodeGroups.<name>.minSize",
                "tierstack:overrides.cluster.nodeGroups.<name>.maxSize"],
    "svc ": ["tierstack:overrides.services.{name}.replicas", "tierstack:overrides.services.{name}.memory",
             "tierstack:overrides.services.{name}.autoscaling.enabled",
             "tierstack:overrides.services.{name}.autoscaling.minReplicas",
             "tierstack:overrides.services.{name}.autoscaling.maxReplicas"],
}


def test_every_key_tierstack_tiers_shows_is_listed():
    keys = _keys()
    for label, _ in rows(preset_configs()):
        prefix = next((p for p in TIERS_TABLE_KEYS if label == p or (p.endswith(" ") and label.startswith(p))), None)
        assert prefix is not None, f"`tierstack tiers` row {label!r}: add the keys it shows to TIERS_TABLE_KEYS"
        name = label[len(prefix):]
        for key in TIERS_TABLE_KEYS[prefix]:
            candidates = {key.format(name=name), key.format(name="<name>")}
            assert candidates & keys, f"`tierstack tiers` row {label!r} shows {key.format(name=name)}, not in the reference"


def test_every_key_the_readme_names_is_listed():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Configuring a stack", 1)[1].split("\n## ", 1)[0]
    named = re.findall(r"^\| `(tierstack:[A-Za-z.<>]+)` \|", section, re.M)
    assert len(named) >= 8
    keys = _keys()
    missing = [key for key in named if key not in keys]
    assert not missing, f"README keys missing from the reference: {missing}"
    quotas = re.search(r"`tierstack:quotas` \| [^|]*?\(([^)]*)\)", section)
    if quotas:
        for quota in re.findall(r"`(\w+)`", quotas.group(1)):
            assert f"tierstack:quotas.{quota}" in keys


def test_undocumented_keys_are_counted(capsys):
    entries = reference.entries()
    undocumented = [e.key for e in entries if not e.documented]
    with capsys.disabled():
        print(f"\nconfiguration reference: {len(entries)} keys, {len(undocumented)} undocumented")
    text = reference.render()
    assert f"{len(entries)} keys; {len(undocumented)} without a description." in text
    assert text.count(reference.UNDOCUMENTED) == len(undocumented)
