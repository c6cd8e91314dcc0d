"""Every public module imports on its own, first, in a fresh interpreter (no hidden import order)."""

import subprocess
import sys

import pytest

MODULES = [
    "tierstack.config", "tierstack.network", "tierstack.cluster", "tierstack.services", "tierstack.data",
    "tierstack.edge", "tierstack.observability", "tierstack.platform", "tierstack.sharding",
    "tierstack.policy.rules", "tierstack.policy.pack", "tierstack.tooling.cli", "tierstack.package",
    "tierstack.addons", "tierstack.tagging", "tierstack.monitored", "tierstack.kube", "tierstack.cost",
    "tierstack.cost.budgets", "tierstack.cost.estimate", "tierstack.tooling.cost", "tierstack.config.demand",
]


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_first(module):
    # Touch the lazily exported names too, so their modules load in this order.
    code = f"import importlib; m = importlib.import_module({module!r}); [getattr(m, n) for n in getattr(m, '__all__', [])]"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


# The packages that create resources, and the ones built on them (cost, tooling). The config layer sits below all of them (DESIGN.md's
# layers), so a library user can validate settings without loading a provider SDK.
ABOVE_CONFIG = ("tierstack.network", "tierstack.cluster", "tierstack.services", "tierstack.data",
                      "tierstack.edge", "tierstack.observability", "tierstack.platform", "tierstack.aws",
                      "tierstack.kube", "tierstack.deploy", "tierstack.tooling", "tierstack.policy", "tierstack.cost")


def test_config_layer_loads_no_component_package_or_provider():
    code = ("import sys, tierstack.config; from tierstack.config import edge, observability; "
            "print('\\n'.join(sorted(m for m in sys.modules if m.startswith(('tierstack', 'pulumi')))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert "tierstack.config.model" in loaded
    leaked = [m for m in loaded if m.startswith(ABOVE_CONFIG) or m.split(".")[0].startswith("pulumi")]
    assert leaked == []


def test_config_sources_import_no_component_package_even_late():
    # A function-level import would not show above until that function runs: read the source.
    import ast
    from pathlib import Path

    import tierstack.config

    offenders = []
    for source in Path(tierstack.config.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            offenders += [f"{source.name}:{node.lineno} {n}" for n in names if n.startswith(ABOVE_CONFIG)]
    assert offenders == []
