"""Deployability: each check class fails on a broken graph, passes on the fixed one, and every
shipped stack and tier passes them all; the deploy simulation walks the graph as the engine does."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tierstack.deploy import check_deployability
from tierstack.deploy.graph import DeployGraph
from tierstack.deploy.names import NAME_RULES, physical_name
from tierstack.deploy.simulate import CREATE_SECONDS, simulate
from tierstack.naming import PLATFORM_NAME_BUDGET, platform_name
from tierstack.tooling import cli
from tierstack.tooling.plan import ANY_TIER_ASSUMPTIONS, plan_stack
from tierstack.tooling.stackfiles import find_project

from conftest import ROOT, STACKS, TIERS, cached_plan

K8S = "pulumi:providers:kubernetes"
PROVIDER_URN = "urn:pulumi:t::p::pulumi:providers:kubernetes::k8s"
PROVIDER = f"{PROVIDER_URN}::id-k8s"
OTHER_PROVIDER_URN = "urn:pulumi:t::p::pulumi:providers:kubernetes::other"


@dataclass
class Fake:
    """A recorded registration, as the checks read it."""

    type: str
    name: str
    inputs: dict[str, Any] = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)
    provider: str = PROVIDER
    outputs: dict[str, Any] = field(default_factory=dict)
    parent: str = ""
    custom: bool = True
    id: str = "id"

    @property
    def urn(self) -> str:
        return f"urn:pulumi:t::p::{self.type}::{self.name}"


def k8s_provider(name="k8s") -> Fake:
    return Fake(K8S, name, provider="", id=f"id-{name}")


def obj(type_token, name, namespace=None, deps=(), **inputs) -> Fake:
    metadata = {"name": name, **({"namespace": namespace} if namespace else {})}
    return Fake(type_token, name, {"metadata": metadata, **inputs}, [d.urn for d in deps])


def release(name, chart, namespace="default", deps=(), values=None, create_namespace=False) -> Fake:
    return Fake("kubernetes:helm.sh/v3:Release", name,
                {"name": name, "chart": chart, "namespace": namespace, "values": values or {},
                 "createNamespace": create_namespace}, [d.urn for d in deps])


def problems(*resources, classes=("ordering", "names", "controllers")):
    return check_deployability([k8s_provider(), *resources], classes=classes)


def names_of(found):
    return sorted(p.name for p in found)


# --- ordering: namespaces ------------------------------------------------------------------------

NAMESPACE = "kubernetes:core/v1:Namespace"
SERVICE = "kubernetes:core/v1:Service"
ACCOUNT = "kubernetes:core/v1:ServiceAccount"


def test_an_object_created_before_its_namespace_fails_and_waiting_for_it_passes():
    space = obj(NAMESPACE, "agents")
    unordered = obj(ACCOUNT, "auth", "agents")
    found = problems(space, unordered)
    assert names_of(found) == ["auth"] and found[0].check == "ordering"
    assert "namespace 'agents'" in found[0].reason and "31 s" in found[0].reason
    assert "depends_on=[agents]" in found[0].fix
    assert problems(space, obj(ACCOUNT, "auth", "agents", deps=[space])) == []


def test_waiting_for_the_namespace_through_another_resource_is_enough():
    space = obj(NAMESPACE, "agents")
    account = obj(ACCOUNT, "auth", "agents", deps=[space])
    assert problems(space, account, obj(SERVICE, "auth-svc", "agents", deps=[account])) == []


def test_a_namespace_nothing_creates_is_reported_and_builtin_ones_are_not():
    assert "created by nothing" in problems(obj(ACCOUNT, "x", "nowhere"))[0].reason
    assert problems(obj(ACCOUNT, "x", "kube-system"), obj("kubernetes:storage.k8s.io/v1:StorageClass", "gp3")) == []


def test_a_release_must_wait_for_its_namespace_unless_it_creates_it():
    space = obj(NAMESPACE, "monitoring")
    assert names_of(problems(space, release("stack", "jaeger", "monitoring"))) == ["stack"]
    assert problems(space, release("stack", "jaeger", "monitoring", deps=[space])) == []
    assert problems(release("keda", "keda", "keda", create_namespace=True)) == []


def test_the_same_namespace_name_in_another_cluster_does_not_count():
    other = k8s_provider("other")
    space = obj(NAMESPACE, "agents")
    space.provider = f"{OTHER_PROVIDER_URN}::id-other"
    assert names_of(check_deployability([k8s_provider(), other, space, obj(ACCOUNT, "auth", "agents")],
                                        classes=("ordering",))) == ["auth"]


# --- ordering: CRDs --------------------------------------------------------------------------------

def test_a_custom_resource_waits_for_the_release_that_installs_its_crd():
    keda = release("keda", "keda", "keda", create_namespace=True)
    space = obj(NAMESPACE, "agents")
    early = obj("kubernetes:keda.sh/v1alpha1:ScaledObject", "worker", "agents", deps=[space])
    found = problems(space, keda, early)
    assert names_of(found) == ["worker"] and "keda.sh/ScaledObject" in found[0].reason
    assert problems(space, keda, obj("kubernetes:keda.sh/v1alpha1:ScaledObject", "worker", "agents",
                                     deps=[space, keda])) == []
    # Without any release for it, the cluster is expected to run the controller already.
    assert problems(space, early) == []


def test_a_release_that_creates_a_custom_resource_waits_for_its_crd():
    space = obj(NAMESPACE, "monitoring")
    stack = release("kps", "kube-prometheus-stack", "monitoring", deps=[space])
    exporter = release("yace", "prometheus-yet-another-cloudwatch-exporter", "monitoring", deps=[space],
                       values={"serviceMonitor": {"enabled": True}})
    assert names_of(problems(space, stack, exporter)) == ["yace"]
    exporter.dependencies.append(stack.urn)
    assert problems(space, stack, exporter) == []
    quiet = release("yace", "prometheus-yet-another-cloudwatch-exporter", "monitoring", deps=[space],
                    values={"serviceMonitor": {"enabled": False}})
    assert problems(space, stack, quiet) == []


# --- ordering: fail-closed webhooks ----------------------------------------------------------------

def lbc(values=None) -> Fake:
    return release("lbc", "aws-load-balancer-controller", "kube-system", values=values)


def test_a_release_racing_the_load_balancer_controllers_service_webhook_fails():
    controller = lbc()
    adapter = release("adapter", "prometheus-adapter", "kube-system")
    found = problems(controller, adapter)
    assert names_of(found) == ["adapter"]
    assert "mservice.elbv2.k8s.aws" in found[0].reason and "enableServiceMutatorWebhook: false" in found[0].fix


def test_ordering_either_way_or_turning_the_webhook_off_removes_the_race():
    controller = lbc()
    after = release("adapter", "prometheus-adapter", "kube-system", deps=[controller])
    assert problems(controller, after) == []
    before = release("adapter", "prometheus-adapter", "kube-system")
    controller_after = release("lbc", "aws-load-balancer-controller", "kube-system")
    controller_after.dependencies.append(before.urn)
    assert problems(before, controller_after) == []
    assert problems(lbc({"enableServiceMutatorWebhook": False}), release("adapter", "prometheus-adapter", "kube-system")) == []


def test_a_plain_service_races_the_webhook_too_and_an_ignore_webhook_does_not_count():
    space = obj(NAMESPACE, "agents")
    assert names_of(problems(space, lbc(), obj(SERVICE, "auth", "agents", deps=[space]))) == ["auth"]
    # KEDA's webhooks fail open: nothing needs to wait for them.
    keda = release("keda", "keda", "keda", create_namespace=True, values={})
    assert problems(space, keda, lbc({"enableServiceMutatorWebhook": False}),
                    obj("kubernetes:keda.sh/v1alpha1:TriggerAuthentication", "t", "agents", deps=[space, keda])) == []


# --- controllers: certificates ----------------------------------------------------------------------

AWS_USE1 = "urn:pulumi:t::p::pulumi:providers:aws::use1"


def aws_provider() -> Fake:
    return Fake("pulumi:providers:aws", "use1", {"region": "us-east-1"}, provider="", id="id-use1")


def cluster() -> Fake:
    return Fake("aws:eks/cluster:Cluster", "eks", {"name": "eks"}, provider=f"{AWS_USE1}::id-use1")


def certificate(name, *names, region_provider=f"{AWS_USE1}::id-use1") -> tuple[Fake, Fake]:
    arn = f"arn:aws:acm:us-east-1:1:certificate/{name}"
    cert = Fake("aws:acm/certificate:Certificate", name, {"domainName": names[0], "subjectAlternativeNames": list(names[1:])},
                provider=region_provider, outputs={"arn": arn})
    validation = Fake("aws:acm/certificateValidation:CertificateValidation", f"{name}-validation",
                      {"certificateArn": arn}, [cert.urn], provider=region_provider)
    return cert, validation


def ingress(hosts=(), arn=None, deps=()) -> Fake:
    annotations = {"alb.ingress.kubernetes.io/certificate-arn": arn} if arn else {}
    return Fake("kubernetes:networking.k8s.io/v1:Ingress", "public-api",
                {"metadata": {"name": "public-api", "namespace": "kube-system", "annotations": annotations},
                 "spec": {"tls": [{"hosts": list(hosts)}] if hosts else []}}, [d.urn for d in deps])


def certificate_problems(*resources):
    provider = k8s_provider()
    provider.dependencies = [cluster().urn]
    return check_deployability([aws_provider(), cluster(), provider, *resources], classes=("controllers",))


def test_two_issued_certificates_for_one_host_stop_discovery():
    edge, edge_ok = certificate("edge", "api.example.com", "origin.api.example.com")
    origin, origin_ok = certificate("origin", "origin.api.example.com", "use1.origin.api.example.com")
    found = certificate_problems(edge, edge_ok, origin, origin_ok,
                                 ingress(["origin.api.example.com"], deps=[edge_ok, origin_ok]))
    assert len(found) == 1 and "2 certificates in us-east-1 cover 'origin.api.example.com'" in found[0].reason
    assert "certificate-arn" in found[0].fix


def test_a_wildcard_counts_as_a_match_and_one_certificate_in_another_region_does_not():
    wildcard, wildcard_ok = certificate("wild", "*.api.example.com")
    origin, origin_ok = certificate("origin", "origin.api.example.com")
    elsewhere, elsewhere_ok = certificate("eu", "origin.api.example.com", region_provider="urn:x::id-euw1")
    eu = Fake("pulumi:providers:aws", "euw1", {"region": "eu-west-1"}, provider="", id="id-euw1")
    eu_urn = eu.urn
    elsewhere.provider = elsewhere_ok.provider = f"{eu_urn}::id-euw1"
    assert len(certificate_problems(wildcard, wildcard_ok, origin, origin_ok,
                                    ingress(["origin.api.example.com"], deps=[wildcard_ok, origin_ok]))) == 1
    assert certificate_problems(eu, elsewhere, elsewhere_ok, origin, origin_ok,
                                ingress(["origin.api.example.com"], deps=[origin_ok])) == []


def test_a_pinned_certificate_must_be_issued_before_the_ingress():
    origin, origin_ok = certificate("origin", "origin.api.example.com")
    arn = origin.outputs["arn"]
    found = certificate_problems(origin, origin_ok, ingress(arn=arn, deps=[origin]))
    assert len(found) == 1 and "issued" in found[0].reason and "origin-validation" in found[0].fix
    assert certificate_problems(origin, origin_ok, ingress(arn=arn, deps=[origin_ok])) == []


# --- names ----------------------------------------------------------------------------------------

def test_an_autoname_over_the_providers_limit_fails_like_the_preview_would():
    group = Fake("aws:elasticache/replicationGroup:ReplicationGroup", "x" * 33, outputs={"replicationGroupId": "x" * 41},
                 provider="")
    (found,) = check_deployability([group], classes=("names",))
    assert "41 characters, over the provider's maximum of 40" in found.reason


def test_explicit_names_break_aws_rules():
    bad = [
        Fake("aws:rds/cluster:Cluster", "db", {"clusterIdentifier": "dev--eu-db"}, provider=""),
        Fake("aws:rds/cluster:Cluster", "db2", {"clusterIdentifier": "dev-db-"}, provider=""),
        Fake("aws:rds/clusterInstance:ClusterInstance", "i", {"identifier": "a" * 64}, provider=""),
        Fake("aws:iam/role:Role", "r", {"name": "r" * 65}, provider=""),
        Fake("aws:s3/bucket:Bucket", "b", {"bucket": "Upper_Case"}, provider=""),
    ]
    assert names_of(check_deployability(bad, classes=("names",))) == ["b", "db", "db2", "i", "r"]
    good = Fake("aws:rds/cluster:Cluster", "db", {"clusterIdentifier": "prod-use1-db-00"}, provider="")
    assert check_deployability([good], classes=("names",)) == []


def test_the_platform_name_fits_its_budget_for_any_project_and_environment():
    assert platform_name("tierstack", "dev") == "tierstack-dev"
    long_name = platform_name("Agent_Platform.North", "production-euro")
    assert len(long_name) <= PLATFORM_NAME_BUDGET and long_name.endswith("-production-euro")
    assert long_name[0].isalpha() and "--" not in long_name and long_name == long_name.lower()
    # Two long projects that share a prefix stay distinct.
    assert platform_name("agent-platform-north", "prod") != platform_name("agent-platform-south", "prod")
    assert platform_name("9lives", "dev").startswith("p")


LONG_PROJECT = "agent-platform-north"  # 20 characters, as teams name their projects
LONGEST_ENVIRONMENT = "production-euro"  # 15: the longest tierstack:environment the validator accepts


@pytest.fixture(scope="module")
def long_named_enterprise(tmp_path_factory):
    directory = tmp_path_factory.mktemp("long")
    (directory / "Pulumi.yaml").write_text(f"name: {LONG_PROJECT}\nruntime: python\nmain: {ROOT / 'infra'}\n")
    (directory / "Pulumi.longest.yaml").write_text(textwrap.dedent(f"""\
        config:
          aws:region: ap-southeast-1
          tierstack:environment: {LONGEST_ENVIRONMENT}
          tierstack:tier: enterprise
          tierstack:overrides:
            edge: {{zoneName: agents.example.com}}
        """))
    return plan_stack("longest", project=find_project(directory), config_overrides=ANY_TIER_ASSUMPTIONS)


def test_a_long_project_and_the_longest_environment_plan_at_enterprise_within_every_limit(long_named_enterprise):
    plan = long_named_enterprise
    assert plan.tier == "enterprise" and len(plan.regions) == 3
    assert check_deployability(plan.resources, plan.regions[0], classes=("names",)) == []
    named = [r for r in plan.custom_resources if r.type in NAME_RULES and physical_name(r)]
    # Every constrained type is exercised, and the tightest ones come close to their limits.
    assert {"aws:iam/role:Role", "aws:elasticache/replicationGroup:ReplicationGroup",
            "aws:rds/clusterInstance:ClusterInstance", "aws:s3/bucket:Bucket"} <= {r.type for r in named}
    tightest = max(len(physical_name(r)) / NAME_RULES[r.type].max_length for r in named)
    assert 0.8 < tightest <= 1.0


# --- every shipped stack and every tier --------------------------------------------------------------

@pytest.mark.parametrize("stack", STACKS)
def test_every_shipped_stack_is_deployable(stack):
    plan = cached_plan(stack)
    assert check_deployability(plan.resources, plan.regions[0]) == []


@pytest.mark.parametrize("tier", TIERS)
def test_every_tier_is_deployable(tier):
    plan = cached_plan("dev", tier)
    found = check_deployability(plan.resources, plan.regions[0])
    assert found == [], "\n".join(p.render() for p in found[:10])


# --- the deploy simulation ----------------------------------------------------------------------------

def chain_graph():
    vpc = Fake("aws:ec2/vpc:Vpc", "vpc", provider="")
    eks = Fake("aws:eks/cluster:Cluster", "eks", dependencies=[vpc.urn], provider="")
    nodes = Fake("aws:eks/nodeGroup:NodeGroup", "nodes", dependencies=[eks.urn], provider="")
    queue = Fake("aws:sqs/queue:Queue", "queue", provider="")
    return [vpc, eks, nodes, queue]


def test_the_simulation_runs_independent_work_in_parallel_and_reports_the_critical_path():
    simulation = simulate(DeployGraph(chain_graph()))
    expected = sum(CREATE_SECONDS[t].seconds for t in ("aws:ec2/vpc:Vpc", "aws:eks/cluster:Cluster",
                                                        "aws:eks/nodeGroup:NodeGroup"))
    assert simulation.total_seconds == expected
    assert [s.name for s in simulation.critical_path] == ["vpc", "eks", "nodes"]
    assert simulation.steps[Fake("aws:sqs/queue:Queue", "queue").urn].start == 0


def test_with_one_at_a_time_the_simulation_adds_every_duration_up():
    simulation = simulate(DeployGraph(chain_graph()), parallel=1)
    assert simulation.total_seconds == sum(s.seconds for s in simulation.steps.values())


def test_a_cycle_is_reported_instead_of_hanging():
    a = Fake("aws:sqs/queue:Queue", "a", provider="")
    b = Fake("aws:sqs/queue:Queue", "b", dependencies=[a.urn], provider="")
    a.dependencies.append(b.urn)
    with pytest.raises(ValueError, match="cycle"):
        simulate(DeployGraph([a, b]))


def test_the_prod_plan_waits_for_the_eks_control_plane_and_reports_its_path():
    plan = cached_plan("prod")
    simulation = simulate(DeployGraph(plan.resources, plan.regions[0]))
    assert 15 * 60 < simulation.total_seconds < 40 * 60
    path = simulation.critical_path
    assert "aws:eks/cluster:Cluster" in {s.type for s in path}
    # A chain: each step waits for the one before it, and the last one ends the deploy.
    graph = DeployGraph(plan.resources, plan.regions[0])
    for earlier, later in zip(path, path[1:]):
        assert earlier.urn in graph.direct_dependencies(later.urn) and later.start == pytest.approx(earlier.end)
    assert path[-1].end == pytest.approx(simulation.total_seconds)


# --- the command line -----------------------------------------------------------------------------------

UNORDERED_PROGRAM = '''
import pulumi_kubernetes as k8s
provider = k8s.Provider("k8s", kubeconfig="{}")
k8s.core.v1.Namespace("agents", metadata={"name": "agents"}, opts=__import__("pulumi").ResourceOptions(provider=provider))
k8s.core.v1.ConfigMap("settings", metadata={"name": "settings", "namespace": "agents"}, data={"a": "b"},
                      opts=__import__("pulumi").ResourceOptions(provider=provider))
'''


def test_the_deploy_gate_fails_a_program_that_would_not_apply(tmp_path, capsys):
    (tmp_path / "Pulumi.yaml").write_text("name: broken\nruntime: python\nmain: prog/\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    (tmp_path / "prog").mkdir()
    (tmp_path / "prog" / "__main__.py").write_text(UNORDERED_PROGRAM)
    assert cli.main(["plan", "-s", "dev", "--project", str(tmp_path)]) == 0
    assert cli.main(["plan", "-s", "dev", "--project", str(tmp_path), "--deploy-gate"]) == cli.EXIT_DEPLOY
    out = capsys.readouterr()
    assert "kubernetes:core/v1:ConfigMap settings" in out.out and "namespace 'agents'" in out.out
    assert "deploy gate: 1 problem(s)" in out.err


def test_deploy_order_prints_the_path_and_the_json_carries_it(tmp_path, capsys):
    target = tmp_path / "plan.json"
    assert cli.main(["plan", "-s", "dev", "--project", str(ROOT), "--deploy-order", "--deploy-gate",
                     "--json", str(target)]) == 0
    out = capsys.readouterr().out
    assert "Critical path" in out and "aws:eks/cluster:Cluster" in out
    document = json.loads(target.read_text())["deployability"]
    assert document["problems"] == [] and document["firstDeploy"]["estimatedSeconds"] > 600
    assert document["firstDeploy"]["criticalPath"][-1]["start"] > 0
