"""Every public module imports on its own, first, in a fresh interpreter (no hidden import order)."""

import subprocess
import sys

import pytest

MODULES = [
    "tierstack.config", "tierstack.network", "tierstack.cluster", "tierstack.services", "tierstack.data",
    "tierstack.edge", "tierstack.observability", "tierstack.platform", "tierstack.sharding",
    "tierstack.policy.rules", "tierstack.policy.pack", "tierstack.tooling.cli",
]


@pytest.mark.parametrize("module", MODULES)
def test_module_imports_first(module):
    # Touch the lazily exported names too, so their modules load in this order.
    code = f"import importlib; m = importlib.import_module({module!r}); [getattr(m, n) for n in getattr(m, '__all__', [])]"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
