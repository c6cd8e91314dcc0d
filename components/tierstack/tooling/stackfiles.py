"""Read ``Pulumi.yaml`` and ``Pulumi.<stack>.yaml`` the way the Pulumi CLI hands config to a program."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import yaml

SECRET_PLACEHOLDER = "[secret]"


class StackFileError(Exception):
    pass


@dataclass(frozen=True)
class Project:
    root: Path
    name: str
    main: Path

    def stack_file(self, stack: str) -> Path:
        return self.root / f"Pulumi.{stack}.yaml"

    def stacks(self) -> list[str]:
        return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in self.root.glob("Pulumi.*.yaml"))


def find_project(start: Optional[Path] = None) -> Project:
    """The nearest directory at or above ``start`` holding a Pulumi.yaml."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        manifest = directory / "Pulumi.yaml"
        if manifest.is_file():
            document = _read_yaml(manifest)
            name = document.get("name")
            if not isinstance(name, str) or not name:
                raise StackFileError(f"{manifest.name} in {directory} has no 'name'; add the project name, "
                                     "e.g. 'name: tierstack'")
            main = directory / str(document.get("main", "."))
            return Project(root=directory, name=name, main=main)
    raise StackFileError(f"no Pulumi.yaml found at or above {here}; run from the project directory or pass --project")


def engine_config(project: Project, stack: str) -> tuple[dict[str, str], list[str]]:
    """The config map the engine would pass the program: ``namespace:key`` -> string value.

    Structured values are JSON-encoded and scalars stringified, exactly as the CLI does, so
    the program's own config parsing is what gets exercised. Secure values cannot be decrypted
    offline and become the marker SECRET_PLACEHOLDER, listed as secret keys.
    """
    path = project.stack_file(stack)
    if not path.is_file():
        available = ", ".join(project.stacks()) or "none"
        raise StackFileError(f"no stack file {path.name} in {project.root} (stacks here: {available})")
    values: dict[str, str] = {}
    secrets: list[str] = []
    defaults = _config_section(project.root / "Pulumi.yaml")
    for key, spec in defaults.items():
        if isinstance(spec, dict) and "default" in spec:
            values[_qualify(project.name, key)] = _encode(spec["default"])
        elif not isinstance(spec, dict):
            values[_qualify(project.name, key)] = _encode(spec)
    for key, value in _config_section(path).items():
        qualified = _qualify(project.name, key)
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[qualified] = SECRET_PLACEHOLDER
            secrets.append(qualified)
        else:
            values[qualified] = _encode(value)
    return values, secrets


def _qualify(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _encode(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _config_section(path: Path) -> dict[str, Any]:
    """The file's ``config:`` mapping; anything else is the user's mistake, said as such."""
    section = _read_yaml(path).get("config")
    if section is None:
        return {}
    if not isinstance(section, dict):
        kind = {list: "a list", str: "a string"}.get(type(section), f"a {type(section).__name__}")
        raise StackFileError(
            f"{path.name}: 'config' is {kind}, but Pulumi expects a mapping of 'namespace:key: value' entries; "
            "write it as, e.g.\n  config:\n    tierstack:tier: pilot")
    for key in section:
        if not isinstance(key, str):
            raise StackFileError(
                f"{path.name}: config key {key!r} is not a name; keys are 'namespace:key' strings such as "
                "'tierstack:tier'")
    return section


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise StackFileError(f"{path.name} is not valid YAML: {error}") from None
    if not isinstance(document, dict):
        raise StackFileError(f"{path.name} must be a mapping at the top level")
    return document


def merged_config_value(current: Optional[str], value: Any) -> str:
    """``value`` deep-merged over an encoded engine config value, re-encoded the way the CLI does."""
    from tierstack.config.merge import deep_merge

    if isinstance(value, dict) and current and current[:1] == "{":
        try:
            existing = json.loads(current)
        except json.JSONDecodeError:
            existing = None
        if isinstance(existing, dict):
            value = deep_merge(existing, value)
    return _encode(value)
