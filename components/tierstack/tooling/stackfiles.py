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
            main = directory / str(document.get("main", "."))
            return Project(root=directory, name=str(document["name"]), main=main)
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
    defaults = _read_yaml(project.root / "Pulumi.yaml").get("config") or {}
    for key, spec in defaults.items():
        if isinstance(spec, dict) and "default" in spec:
            values[_qualify(project.name, key)] = _encode(spec["default"])
        elif not isinstance(spec, dict):
            values[_qualify(project.name, key)] = _encode(spec)
    for key, value in (_read_yaml(path).get("config") or {}).items():
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


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise StackFileError(f"{path.name} is not valid YAML: {error}") from None
    if not isinstance(document, dict):
        raise StackFileError(f"{path.name} must be a mapping at the top level")
    return document
