"""The package's Pulumi schema, produced in-process: what `pulumi package get-schema provider/` returns.

It is built by the same ``ComponentProvider`` that ``component_provider_host`` runs in
``provider/__main__.py`` (Pulumi's analyzer reading the package components' annotations and
docstrings), so no Pulumi CLI is needed to see or test it.
"""

import json
import sys
from pathlib import Path
from typing import Any, Optional

from pulumi.provider.experimental.component import ComponentProvider

from tierstack import __version__
from tierstack.package import COMPONENTS, PACKAGE


def package_schema(version: str = __version__) -> dict[str, Any]:
    """The schema document (``resources``, ``types``...) as Pulumi would generate SDKs from it."""
    return json.loads(ComponentProvider(list(COMPONENTS), PACKAGE, None, version).schema)


def schema_text(version: str = __version__) -> str:
    """The schema as stable, indented JSON (what ``tierstack package schema`` prints or writes)."""
    return json.dumps(package_schema(version), indent=2, sort_keys=True) + "\n"


def run(output: Optional[Path]) -> int:
    """``tierstack package schema [-o FILE]``."""
    text = schema_text()
    if output is None:
        sys.stdout.write(text)
        return 0
    output.write_text(text)
    print(f"wrote the {PACKAGE} package schema ({len(json.loads(text)['resources'])} components) to {output}")
    return 0
