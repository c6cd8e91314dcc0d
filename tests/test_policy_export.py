"""The CrossGuard pack on its own: exported, copied alone to an empty directory, it needs only
PyPI packages and evaluates a program that is not tierstack's, with tierstack not importable."""

import json
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

from tierstack.config.tiers import ZONAL_LABEL as CONFIG_ZONAL_LABEL
from tierstack.policy import export
from tierstack.policy.labels import ZONAL_LABEL
from tierstack.tooling import cli

from conftest import ROOT

# Run inside the copied pack: tierstack is made unimportable (and its source tree left off
# sys.path), then the pack's own __main__ starts with the gRPC server swapped out, and the
# vendored runner judges a foreign program's resources under each policy config.
_FOREIGN = textwrap.dedent('''
    import json, runpy, sys
    sys.path[:] = [p for p in sys.path if "components" not in p]
    sys.modules["tierstack"] = None  # any `import tierstack...` now raises ImportError

    import pulumi_policy.policy as policy_module

    class FakeServer:
        def add_insecure_port(self, address): return 0
        def start(self): pass
        def stop(self, grace): pass

    captured = {}
    policy_module.grpc.server = lambda *a, **k: FakeServer()
    policy_module.analyzer_pb2_grpc.add_AnalyzerServicer_to_server = lambda s, server: captured.setdefault("s", s)
    def stop_waiting(_seconds): raise KeyboardInterrupt
    policy_module.time.sleep = stop_waiting
    runpy.run_path("__main__.py", run_name="__main__")
    info = captured["s"].GetAnalyzerInfo(None, None)

    from tierstack_guardrails.model import Resource
    from tierstack_guardrails.pack import context_from_config
    from tierstack_guardrails.rules import RESOURCE_RULES, STACK_RULES
    from tierstack_guardrails.runner import evaluate

    # A team's own program: no tierstack components, names or outputs.
    bad = Resource("aws:rds/cluster:Cluster", "orders-db", {"engine": "aurora-postgresql", "storageEncrypted": False},
                   "urn:pulumi:dev::orders::aws:rds/cluster:Cluster::orders-db")
    good = Resource("aws:rds/cluster:Cluster", "billing-db",
                    {"engine": "aurora-postgresql", "storageEncrypted": True, "deletionProtection": True,
                     "backupRetentionPeriod": 35, "iamDatabaseAuthenticationEnabled": True,
                     "manageMasterUserPassword": True, "enabledCloudwatchLogsExports": ["postgresql"],
                     "skipFinalSnapshot": False, "finalSnapshotIdentifier": "billing-final"},
                    "urn:pulumi:dev::orders::aws:rds/cluster:Cluster::billing-db")
    results = {}
    for label, config in {"default": {}, "production": {"production": True}}.items():
        evaluation = evaluate([bad, good], context_from_config(config), RESOURCE_RULES, STACK_RULES)
        # Stack rules judge the whole program (it has no budget, say); these two are about resources.
        results[label] = sorted({(v.rule, v.resource_name) for v in evaluation.violations
                                 if v.rule in {r.name for r in RESOURCE_RULES}})
    print(json.dumps({"pack": info.name, "policies": len(info.policies),
                      "modules": sorted(m for m, module in sys.modules.items()
                                 if m.split(".")[0] == "tierstack" and module is not None),
                      "results": results}))
''')


@pytest.fixture(scope="module")
def copied_pack(tmp_path_factory):
    exported = tmp_path_factory.mktemp("export")
    export.export_pack(exported)
    alone = tmp_path_factory.mktemp("empty") / "pack"
    shutil.copytree(exported, alone)
    return alone


def test_the_checked_in_pack_is_a_current_export():
    assert export.stale_files(ROOT / "policy") == [], "run `tierstack policy-pack export policy`"


def test_requirements_name_only_pypi_packages(copied_pack):
    lines = [line.strip() for line in (copied_pack / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert lines == ["pulumi-policy>=1.21,<2"]
    for line in lines:  # no -e, paths, URLs or VCS references: each resolves from PyPI alone
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*(\[[\w,]+\])?([<>=!~]=?[\w.*]+,?)*", line), line
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"pulumi-policy>=1.21,<2"' in pyproject  # the range tierstack itself is tested with


def test_the_vendored_code_imports_nothing_from_tierstack(copied_pack):
    assert (copied_pack / "__main__.py").read_text().count("tierstack_guardrails.pack") == 1
    for path in copied_pack.rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(from|import)\s+tierstack(\.|\s)", text, re.M), path


def test_the_pack_copied_alone_evaluates_a_foreign_program(copied_pack):
    from tierstack.policy.rules import ALL_RULES

    run = subprocess.run([sys.executable, "-c", _FOREIGN], cwd=copied_pack, capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(copied_pack)}, timeout=120)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["pack"] == "tierstack-guardrails" and result["policies"] == len(ALL_RULES)
    assert result["modules"] == []  # tierstack_guardrails only; no tierstack module was loaded
    # No false negative: the unencrypted database fails; no false positive: the compliant one passes.
    assert ["rds-storage-encrypted", "orders-db"] in result["results"]["default"]
    assert not [name for _, name in result["results"]["default"] if name == "billing-db"]
    # Production comes from the policy config alone, not from anything the program exports.
    assert ["rds-deletion-protection", "orders-db"] in result["results"]["production"]
    assert ["rds-deletion-protection", "orders-db"] not in result["results"]["default"]


def test_an_import_from_outside_the_policy_package_stops_the_export(tmp_path, monkeypatch):
    source = tmp_path / "policy"
    shutil.copytree(export.SOURCE, source, ignore=shutil.ignore_patterns("__pycache__"))
    rule = source / "rules" / "network.py"
    rule.write_text(rule.read_text().replace("from __future__ import annotations\n",
                                             "from __future__ import annotations\n\nfrom tierstack.config.tiers import Tier\n", 1))
    monkeypatch.setattr(export, "SOURCE", source)
    with pytest.raises(export.ExportError, match="rules/network.py imports tierstack.config.tiers"):
        export.pack_files()


def test_the_zonal_label_the_rules_read_is_the_one_node_groups_carry():
    assert ZONAL_LABEL == CONFIG_ZONAL_LABEL


def test_policy_pack_export_and_check_commands(tmp_path, capsys):
    target = tmp_path / "pack"
    assert cli.main(["policy-pack", "export", str(target)]) == 0
    assert (target / "tierstack_guardrails" / "rules" / "cluster.py").is_file()
    assert cli.main(["policy-pack", "check", str(target)]) == 0
    (target / "tierstack_guardrails" / "rules" / "stale.py").write_text("")
    assert cli.main(["policy-pack", "check", str(target)]) == cli.EXIT_CONFIG
    assert "rules/stale.py" in capsys.readouterr().err
    assert cli.main(["policy-pack", "export", str(target)]) == 0  # a re-export drops the leftover
    assert cli.main(["policy-pack", "check", str(target)]) == 0
