"""The CrossGuard pack builds from the same rules, with every policy at its enforcement level.

PolicyPack() normally starts a gRPC server and blocks; the test swaps in a server that only
records the analyzer servicer, then stops the wait loop, so the real policy/__main__.py runs
(with its vendored copy of the rules; tests/test_policy_export.py checks that copy is current)."""

import runpy

import pulumi_policy.policy as policy_module
import pytest
from pulumi_policy import EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy
from pulumi_policy.policy import PolicyResourceOptions
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from tierstack.policy.pack import PACK_NAME, build_policies
from tierstack.policy.rules import ALL_RULES

from conftest import ROOT


class _FakeServer:
    def add_insecure_port(self, address):
        return 0

    def start(self):
        pass

    def stop(self, grace):
        pass


@pytest.fixture
def built_pack(monkeypatch):
    captured = {}
    monkeypatch.setattr(policy_module.grpc, "server", lambda *a, **k: _FakeServer())
    monkeypatch.setattr(policy_module.analyzer_pb2_grpc, "add_AnalyzerServicer_to_server",
                        lambda servicer, server: captured.setdefault("servicer", servicer))

    def stop_waiting(_seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(policy_module.time, "sleep", stop_waiting)
    # As the analyzer runs it: the pack directory (with its vendored rules) on the path.
    monkeypatch.syspath_prepend(str(ROOT / "policy"))
    runpy.run_path(str(ROOT / "policy" / "__main__.py"), run_name="__main__")
    return captured["servicer"]


def test_pack_lists_every_rule_with_its_enforcement_level(built_pack):
    info = built_pack.GetAnalyzerInfo(None, None)
    assert info.name == PACK_NAME
    listed = {p.name: p for p in info.policies}
    assert set(listed) == {rule.name for rule in ALL_RULES}
    mandatory = policy_module.proto.MANDATORY
    for rule in ALL_RULES:
        assert (listed[rule.name].enforcementLevel == mandatory) == rule.mandatory, rule.name
        assert listed[rule.name].remediation_steps == rule.remediation and listed[rule.name].severity
    assert len(listed) >= 40


def test_a_pack_policy_reports_through_the_engine_callback():
    policies = {p.name: p for p in build_policies()}
    endpoint = policies["eks-private-endpoint"]
    assert isinstance(endpoint, ResourceValidationPolicy)
    assert endpoint.enforcement_level == EnforcementLevel.MANDATORY
    reported = []
    props = unknown_checking_proxy({"vpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": True,
                                                  "publicAccessCidrs": ["203.0.113.0/24"],
                                                  "subnetIds": [UNKNOWN_STRING_VALUE]}})
    options = PolicyResourceOptions(protect=False, ignore_changes=[], delete_before_replace=False, aliases=[],
                                    custom_timeouts=None, additional_secret_outputs=[])
    args = ResourceValidationArgs("aws:eks/cluster:Cluster", props, "urn:x", "c", options, None, config={"profile": "hipaa"})
    endpoint.validate(args, lambda message, urn=None: reported.append((message, urn)))
    assert reported == [("HIPAA profile: the API endpoint must not be public", "urn:x")]
    standard = ResourceValidationArgs("aws:eks/cluster:Cluster", props, "urn:x", "c", options, None, config={})
    reported.clear()
    endpoint.validate(standard, lambda message, urn=None: reported.append(message))
    assert reported == []
