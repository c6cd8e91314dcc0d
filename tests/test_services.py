"""AgentServices: each of the five services, the queue and its workers, and the public ingress."""

import json

import pulumi
import pulumi_kubernetes as k8s
import pytest

from tierstack import charts
from tierstack.aws.iam import OidcIssuer
from tierstack.config import build_stack_config
from tierstack.config.tiers import CALL_GRAPH, SEED_SERVICE_NAMES
from tierstack.tooling.tiers_table import preset_configs, service_rows
from tierstack.services import AgentServices, AgentServicesArgs
from tierstack.services.manifests import selector_labels
from tierstack.kube import ClusterContext

from conftest import TIERS, cached_plan, children_of, install_mocks, record

ISSUER = "https://oidc.eks.us-east-1.amazonaws.com/id/ABC"
OIDC = OidcIssuer(provider_arn="arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/ABC",
                  issuer_url=ISSUER)
PUBLIC_CIDRS = ["10.0.192.0/22", "10.0.196.0/22", "10.0.200.0/22"]


def _services(tier="growth", **overrides):
    # A public name to serve: without one (and no edge or certificate) there is no public Ingress.
    overrides = {"ingress": {"host": "api.example.com"}, **overrides}
    config = build_stack_config({"tier": tier, "overrides": {"services": overrides}}, stack="test")
    provider = k8s.Provider("k8s", kubeconfig="{}")
    return AgentServices("agents", AgentServicesArgs(
        settings=config.services, cluster=ClusterContext(name="c1", region="us-east-1", vpc_id="vpc-1", oidc=OIDC, provider=provider),
        load_balancer_cidrs=PUBLIC_CIDRS, node_pools=["system", "workers"],
        allow_scale_to_zero=tier == "pilot"))


def _kind(resources, kind, name=None):
    found = [r for r in resources if r.type.startswith("kubernetes:") and r.inputs.get("kind") == kind
             and (name is None or r.inputs["metadata"]["name"] == name)]
    return found


@pytest.fixture(scope="module")
def growth():
    return record(lambda: _services("growth"))


@pytest.mark.parametrize("service", SEED_SERVICE_NAMES)
def test_pods_are_probed_sized_restricted_and_spread(growth, service):
    (deployment,) = _kind(growth, "Deployment", service)
    pod = deployment.inputs["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert set(container["resources"]["requests"]) == {"cpu", "memory"}
    assert container["resources"]["limits"]["memory"] == container["resources"]["requests"]["memory"]
    assert container["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                            "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}}
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert pod["automountServiceAccountToken"] is False and pod["serviceAccountName"] == service
    zone = [c for c in pod["topologySpreadConstraints"] if c["topologyKey"] == "topology.kubernetes.io/zone"]
    assert zone and zone[0]["labelSelector"]["matchLabels"] == selector_labels(service)


@pytest.mark.parametrize("service", ["auth", "conversation", "model", "memory"])
def test_hpa_targets_the_deployment_with_the_seed_signals(growth, service):
    config = build_stack_config({"tier": "growth"}, stack="test")
    scaling = getattr(config.services, service).autoscaling
    (hpa,) = _kind(growth, "HorizontalPodAutoscaler", service)
    (deployment,) = _kind(growth, "Deployment", service)
    spec = hpa.inputs["spec"]
    assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": service}
    assert "replicas" not in deployment.inputs["spec"]  # the HPA owns the count
    assert (spec["minReplicas"], spec["maxReplicas"]) == (scaling.min_replicas, scaling.max_replicas) and spec["minReplicas"] >= 2
    targets = {m.get("resource", m.get("pods", {})).get("name") or m["pods"]["metric"]["name"]: m for m in spec["metrics"]}
    assert targets["cpu"]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}
    assert targets["memory"]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 80}
    assert targets["http_requests_per_second"]["pods"]["target"]["averageValue"] == str(scaling.target_requests_per_second)
    behavior = spec["behavior"]
    assert behavior["scaleUp"]["stabilizationWindowSeconds"] == 0
    assert all(p["periodSeconds"] == 60 for p in behavior["scaleUp"]["policies"])  # the seed's 60 s cooldown
    assert behavior["scaleDown"]["stabilizationWindowSeconds"] == 300  # the seed's 300 s cooldown


def test_monitoring_is_a_fixed_singleton_without_an_autoscaler(growth):
    (deployment,) = _kind(growth, "Deployment", "monitoring")
    assert deployment.inputs["spec"]["replicas"] == 1
    assert not _kind(growth, "HorizontalPodAutoscaler", "monitoring")
    assert not _kind(growth, "PodDisruptionBudget", "monitoring")


@pytest.mark.parametrize("service", ["auth", "conversation", "model", "memory"])
def test_pdb_selects_the_deployment_and_allows_a_disruption(growth, service):
    (pdb,) = _kind(growth, "PodDisruptionBudget", service)
    (deployment,) = _kind(growth, "Deployment", service)
    selector = pdb.inputs["spec"]["selector"]["matchLabels"]
    pod_labels = deployment.inputs["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= pod_labels.items()
    assert pdb.inputs["spec"]["maxUnavailable"] >= 1


@pytest.mark.parametrize("service", SEED_SERVICE_NAMES)
def test_network_policy_admits_exactly_the_call_graph(growth, service):
    (policy,) = _kind(growth, "NetworkPolicy", service)
    (rule,) = policy.inputs["spec"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8080}]
    callers = {peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for peer in rule["from"] if "podSelector" in peer}
    blocks = [peer["ipBlock"]["cidr"] for peer in rule["from"] if "ipBlock" in peer]
    expected = set(CALL_GRAPH[service]) - {"ingress"}
    assert callers == expected
    assert blocks == (PUBLIC_CIDRS if "ingress" in CALL_GRAPH[service] else [])
    # Everything else in the namespace is denied by default.
    (deny,) = _kind(growth, "NetworkPolicy", "default-deny-ingress")
    assert deny.inputs["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}


@pytest.mark.parametrize("service", [*SEED_SERVICE_NAMES, "worker"])
def test_each_service_account_has_its_own_role_scoped_to_it(growth, service):
    (account,) = _kind(growth, "ServiceAccount", service)
    role = next(r for r in growth if r.type == "aws:iam/role:Role" and r.name == f"agents-{service}")
    assert account.inputs["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == role.outputs["arn"]
    condition = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
    assert condition[f"{ISSUER.removeprefix('https://')}:sub"] == f"system:serviceaccount:agents:{service}"


def test_roles_carry_only_what_each_service_calls(growth):
    policies = {r.name.removeprefix("agents-").removesuffix("-policy"): json.loads(r.inputs["policy"])
                for r in growth if r.type == "aws:iam/rolePolicy:RolePolicy" and r.name.endswith("-policy")}
    actions = {name: {a for s in doc["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
               for name, doc in policies.items()}
    assert "sqs:SendMessage" in actions["conversation"] and "sqs:ReceiveMessage" not in actions["conversation"]
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage"} <= actions["worker"] and "sqs:SendMessage" not in actions["worker"]
    assert actions["model"] == {"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"}
    assert actions["monitoring"] == {"cloudwatch:PutMetricData"}
    assert "auth" not in policies and "memory" not in policies  # nothing in AWS to call yet


def test_request_queue_dead_letters_after_three_receives_and_is_encrypted(growth):
    queues = {r.inputs["tags"]["tierstack.io/queue-role"]: r for r in children_of(growth, "aws:sqs/queue:Queue")}
    redrive = json.loads(queues["requests"].inputs["redrivePolicy"])
    assert redrive == {"deadLetterTargetArn": queues["dead-letter"].outputs["arn"], "maxReceiveCount": 3}
    for queue in queues.values():
        assert queue.inputs["kmsMasterKeyId"].startswith("arn:aws:kms:")
    tls = [json.loads(p.inputs["policy"]) for p in children_of(growth, "aws:sqs/queuePolicy:QueuePolicy")]
    assert len(tls) == 2 and all(d["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for d in tls)


def test_workers_scale_on_queue_depth_through_keda_with_irsa(growth):
    (scaler,) = _kind(growth, "ScaledObject")
    (auth,) = _kind(growth, "TriggerAuthentication")
    spec = scaler.inputs["spec"]
    (trigger,) = spec["triggers"]
    queue = next(r for r in children_of(growth, "aws:sqs/queue:Queue") if r.inputs["tags"]["tierstack.io/queue-role"] == "requests")
    assert trigger["type"] == "aws-sqs-queue" and trigger["metadata"]["queueURL"] == queue.outputs["url"]
    assert trigger["authenticationRef"]["name"] == auth.inputs["metadata"]["name"]
    assert auth.inputs["spec"]["podIdentity"] == {"provider": "aws", "identityOwner": "keda"}
    assert spec["scaleTargetRef"] == {"name": "worker"} and spec["minReplicaCount"] == 2
    (worker,) = _kind(growth, "Deployment", "worker")
    assert "replicas" not in worker.inputs["spec"]
    keda = next(r for r in growth if r.type == "kubernetes:helm.sh/v3:Release" and r.inputs["chart"] == "keda")
    assert keda.inputs["version"] == charts.KEDA.version
    assert keda.inputs["values"]["podIdentity"]["aws"]["irsa"]["enabled"] is True


@pytest.mark.parametrize("tier", TIERS)
def test_workers_never_scale_to_zero_in_production_tiers(tier):
    plan = cached_plan("dev", tier)
    scalers = _kind(plan.resources, "ScaledObject")
    assert len(scalers) == len(plan.regions)  # one worker pool per regional cell
    for scaler in scalers:
        floor = scaler.inputs["spec"]["minReplicaCount"]
        assert floor == 0 if tier == "pilot" else floor >= 2


def test_public_api_is_https_only_through_the_pinned_load_balancer_controller(growth):
    (ingress,) = _kind(growth, "Ingress")
    annotations = ingress.inputs["metadata"]["annotations"]
    assert annotations["alb.ingress.kubernetes.io/listen-ports"] == '[{"HTTPS": 443}]'
    assert annotations["alb.ingress.kubernetes.io/ssl-policy"].startswith("ELBSecurityPolicy-TLS13")
    routes = {p["path"]: p["backend"]["service"]["name"] for p in ingress.inputs["spec"]["rules"][0]["http"]["paths"]}
    assert routes == {"/auth": "auth", "/": "conversation"}
    assert list(routes)[0] == "/auth"  # longest prefix first
    lbc = next(r for r in growth if r.type == "kubernetes:helm.sh/v3:Release" and r.inputs["chart"] == "aws-load-balancer-controller")
    assert lbc.inputs["version"] == charts.AWS_LOAD_BALANCER_CONTROLLER.version and lbc.urn in ingress.dependencies
    assert lbc.inputs["values"]["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")
    internal = [r for r in _kind(growth, "Service") if r.inputs["spec"]["type"] != "ClusterIP"]
    assert internal == []  # nothing else leaves the cluster


# The actions the pinned controller's published IAM policy (docs/install/iam_policy.json at v3.4.2)
# grants that an earlier copy of ours lacked: reordering rules, subnet and IPAM discovery.
LBC_ACTIONS_ADDED_SINCE_V2_12 = ("elasticloadbalancing:SetRulePriorities", "ec2:DescribeRouteTables",
                                 "ec2:DescribeIpamPools")


def test_the_load_balancer_controller_has_its_published_permissions_and_no_service_webhook():
    from tierstack.aws import policies

    actions = {a for s in policies.load_balancer_controller("aws")["Statement"]
               for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert set(LBC_ACTIONS_ADDED_SINCE_V2_12) <= actions
    resources = record(lambda: _services("growth"))
    lbc = next(r for r in resources if r.type == "kubernetes:helm.sh/v3:Release"
               and r.inputs["chart"] == "aws-load-balancer-controller")
    # Nothing here is a LoadBalancer Service, and the mutator fails closed on every Service.
    assert lbc.inputs["values"]["enableServiceMutatorWebhook"] is False


def test_workloads_are_told_where_the_trace_collector_is():
    from tierstack.services import Telemetry

    def build():
        config = build_stack_config({"tier": "growth"}, stack="test")
        return AgentServices("agents", AgentServicesArgs(
            settings=config.services, cluster=ClusterContext(name="c1", region="eu-west-1", vpc_id="vpc-1", oidc=OIDC,
                                   provider=k8s.Provider("k8s", kubeconfig="{}")), load_balancer_cidrs=PUBLIC_CIDRS,
            telemetry=Telemetry(otlp_endpoint="http://otel-collector.monitoring.svc.cluster.local:4317",
                                resource_attributes={"deployment.environment": "test"})))

    resources = record(build)
    for deployment in _kind(resources, "Deployment"):
        name = deployment.inputs["metadata"]["name"]
        env = {e["name"]: e.get("value") for e in deployment.inputs["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector.monitoring.svc.cluster.local:4317"
        assert env["OTEL_SERVICE_NAME"] == name and env["OTEL_EXPORTER_OTLP_PROTOCOL"] == "grpc"
        attributes = dict(pair.split("=", 1) for pair in env["OTEL_RESOURCE_ATTRIBUTES"].split(","))
        assert attributes == {"deployment.environment": "test", "cloud.region": "eu-west-1",
                              "k8s.cluster.name": "c1", "k8s.namespace.name": "agents"}


def test_the_platform_points_every_workload_at_its_cells_collector():
    from tierstack.observability.manifests import COLLECTOR_NAME, NAMESPACE, OTLP_GRPC_PORT

    plan = cached_plan("dev")
    collector = next(r for r in plan.run.of_type("kubernetes:helm.sh/v3:Release")
                     if r.inputs["chart"] == charts.OPENTELEMETRY_COLLECTOR.chart)
    assert collector.inputs["values"]["fullnameOverride"] == COLLECTOR_NAME and collector.inputs["namespace"] == NAMESPACE
    endpoints = {e["value"] for d in plan.kubernetes_objects() if d.inputs.get("kind") == "Deployment"
                 for e in d.inputs["spec"]["template"]["spec"]["containers"][0]["env"]
                 if e["name"] == "OTEL_EXPORTER_OTLP_ENDPOINT"}
    assert endpoints == {f"http://{COLLECTOR_NAME}.{NAMESPACE}.svc.cluster.local:{OTLP_GRPC_PORT}"}


def test_ingress_host_drives_certificate_discovery():
    resources = record(lambda: _services("growth", ingress={"host": "api.example.com"}))
    (ingress,) = _kind(resources, "Ingress")
    assert ingress.inputs["spec"]["tls"] == [{"hosts": ["api.example.com"]}]
    assert ingress.inputs["spec"]["rules"][0]["host"] == "api.example.com"


@pulumi.runtime.test
def test_conversation_gets_the_queue_url():
    install_mocks()
    services = _services("pilot")

    def check(args):
        env, url = args
        assert {"name": "QUEUE_URL", "value": url} in env

    container_env = services.services["conversation"].deployment.spec.apply(lambda s: s.template.spec.containers[0].env)
    return pulumi.Output.all(container_env.apply(lambda env: [{"name": e.name, "value": e.value} for e in env]),
                             services.queue.url).apply(check)


def test_replica_table_holds_the_seed_at_hyperscale_and_shrinks_below(capsys):
    configs = preset_configs()
    lines = [f"{'':<17}" + "".join(f"{c.tier.value:>17}" for c in configs)]
    lines += [f"{label:<17}" + "".join(f"{cell:>17}" for cell in cells) for label, cells in service_rows(configs)]
    with capsys.disabled():
        print("\nreplicas (HPA min-max) memory per pod\n" + "\n".join(lines))
    seed = {"auth": (3, "1Gi"), "conversation": (10, "2Gi"), "model": (5, "4Gi"), "memory": (2, "8Gi"), "monitoring": (1, "1Gi")}
    hyperscale = configs[-1].services
    assert {n: (getattr(hyperscale, n).replicas, getattr(hyperscale, n).memory) for n in SEED_SERVICE_NAMES} == seed
    for name in SEED_SERVICE_NAMES:
        replicas = [getattr(c.services, name).replicas for c in configs]
        ceilings = [getattr(c.services, name).autoscaling.max_replicas for c in configs]
        assert replicas == sorted(replicas) and ceilings == sorted(ceilings), name
    assert max(getattr(hyperscale, n).autoscaling.max_replicas for n in SEED_SERVICE_NAMES) == 100


def test_controllers_the_cluster_already_runs_can_be_left_out():
    from tierstack.services import ControllerInstalls

    def build():
        config = build_stack_config({"tier": "growth", "overrides": {"services": {"ingress": {"host": "api.example.com"}}}},
                                    stack="test")
        return AgentServices("agents", AgentServicesArgs(
            settings=config.services, cluster=ClusterContext(name="c1", region="us-east-1", vpc_id="vpc-1", oidc=OIDC,
                                   provider=k8s.Provider("k8s", kubeconfig="{}")), load_balancer_cidrs=PUBLIC_CIDRS,
            controllers=ControllerInstalls(load_balancer_controller=False, keda=False, prometheus_adapter=False)))

    resources = record(build)
    assert [r for r in resources if r.type == "kubernetes:helm.sh/v3:Release"] == []
    assert not [r for r in resources if r.type == "aws:iam/role:Role" and ("lbc" in r.name or "keda" in r.name)]
    # The objects those controllers serve are still created, for the cluster's own controllers.
    assert _kind(resources, "ScaledObject") and _kind(resources, "Ingress")
    from tierstack.deploy import check_deployability
    assert check_deployability(resources, classes=("ordering",)) == []
