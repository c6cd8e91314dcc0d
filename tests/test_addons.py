"""Every Helm add-on is one ChartAddon installed by install_addon; none is built by hand."""

import ast
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s
import pytest

import tierstack
from tierstack import charts, testing
from tierstack.addons import AddonIdentity, ChartAddon, install_addon, irsa_annotation
from tierstack.aws.iam import OidcIssuer
from tierstack.kube import ClusterContext
from tierstack.services.controllers import ServiceControllers, ServiceControllersArgs

OIDC = OidcIssuer(provider_arn="arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/AB",
                  issuer_url="https://oidc.eks.us-east-1.amazonaws.com/id/AB")
PACKAGE = Path(tierstack.__file__).parent


def _calls(name: str) -> list[str]:
    found = []
    for source in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == name:
                found.append(str(source.relative_to(PACKAGE)))
    return sorted(set(found))


def test_only_install_addon_creates_releases():
    # A release anywhere else would be a hand-built copy of role + chart + values.
    assert _calls("pinned_release") == ["addons.py"]
    assert _calls("Release") == ["kube.py"]


def test_role_and_release_names_and_ordering():
    recorder = testing.set_mocks()

    class Holder(pulumi.ComponentResource):
        def __init__(self):
            super().__init__("test:index:Holder", "holder")
            cluster = ClusterContext(name="c1", region="us-east-1", oidc=OIDC, provider=k8s.Provider("k8s", kubeconfig="{}"))
            install_addon("holder", ChartAddon(
                pin=charts.KEDA, namespace="keda", release_suffix="keda", create_namespace=True,
                identity=AddonIdentity("keda-operator", '{"Version": "2012-10-17", "Statement": []}', role_suffix="k"),
                values=lambda role_arn: {"serviceAccount": {"annotations": irsa_annotation(role_arn)}}),
                cluster, parent=self)
            install_addon("holder", ChartAddon(pin=charts.METRICS_SERVER, namespace="kube-system",
                                               release_suffix="metrics-server", values=lambda role_arn: {"arn": role_arn}),
                          cluster, parent=self)
            self.register_outputs({})

    pulumi.runtime.test(Holder)()
    keda, metrics = recorder.named("holder-keda"), recorder.named("holder-metrics-server")
    (role,) = recorder.of_type("aws:iam/role:Role")
    assert role.name == "holder-k"
    assert keda.inputs["version"] == charts.KEDA.version and keda.inputs["createNamespace"] is True
    assert keda.inputs["values"]["serviceAccount"]["annotations"] == {"eks.amazonaws.com/role-arn": role.outputs["arn"]}
    trust = role.inputs["assumeRolePolicy"]
    assert "system:serviceaccount:keda:keda-operator" in trust
    assert any(role.name in dependency for dependency in keda.dependencies)
    # No identity: no role, so no ARN is handed to the values.
    assert metrics.inputs["values"].get("arn") is None and not any("role" in d for d in metrics.dependencies)


def test_a_controller_without_what_it_needs_names_the_field_and_the_fix():
    testing.set_mocks()

    def program():
        ServiceControllers("ctl", ServiceControllersArgs(
            cluster=ClusterContext(name="c1", region="us-east-1", oidc=OIDC,
                                   provider=k8s.Provider("k8s", kubeconfig="{}")),
            queue_arn="arn:aws:sqs:us-east-1:123456789012:q", prometheus_url="http://prometheus:9090"))

    with pytest.raises(ValueError, match=r"ClusterContext.vpc_id is None .* Fix: set ClusterContext\(vpc_id=...\)"):
        pulumi.runtime.test(program)()
