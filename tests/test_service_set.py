"""The open service set: a stack (or a program building ServicesSettings) defines its own services
beside the seed's five or instead of them, and what each service reaches comes from its settings."""

import json
import re

import pytest
import yaml
from pydantic import ValidationError

from tierstack.config import StackConfigError, build_stack_config
from tierstack.config.model import (SERVICE_NAME_MAX, AutoscalingSettings, ServiceSettings, ServicesSettings,
                                    WorkerSettings)
from tierstack.config.tiers import SEED_SERVICE_NAMES
from tierstack.presets import preset_settings
from tierstack.tooling.deployability import assess
from tierstack.tooling.gate import check_plan
from tierstack.tooling.plan import plan_stack
from tierstack.tooling.stackfiles import find_project

from conftest import ROOT, record
from test_services import _kind, _services

SIZE = {"replicas": 2, "cpu": "250m", "memory": "512Mi"}
# A cache-backed search service only conversation calls, and a ledger with its own database user.
SEARCH = {**SIZE, "database": False, "cache": True, "callers": ["conversation"]}
LEDGER = {**SIZE, "database": True, "callers": ["conversation", "worker"]}


def _plan_with(tmp_path, stack: str, services: dict, *, project: str = "tierstack", config: dict | None = None):
    """Plan the shipped dev stack file, its services changed as a stack file would change them."""
    document = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())
    settings = document["config"]
    settings.update(config or {})
    overrides = settings.setdefault("tierstack:overrides", {})
    overrides["services"] = {**overrides.get("services", {}), **services}
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(document))
    manifest = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "Pulumi.yaml").write_text(yaml.safe_dump({**manifest, "name": project, "main": str(ROOT / "infra")}))
    return plan_stack(stack, project=find_project(tmp_path))


def _objects(plan, kind: str, name: str):
    return [r for r in plan.kubernetes_objects() if r.inputs.get("kind") == kind and r.inputs["metadata"]["name"] == name]


def _role_policy(plan, service: str) -> dict:
    (policy,) = [r for r in plan.run.of_type("aws:iam/rolePolicy:RolePolicy") if r.name.endswith(f"-agents-{service}-policy")]
    return json.loads(policy.inputs["policy"])


def _actions(document: dict) -> set[str]:
    return {a for s in document["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}


def _env(deployment) -> dict:
    return {e["name"]: e.get("value") for e in deployment.inputs["spec"]["template"]["spec"]["containers"][0]["env"]}


def _gates_pass(plan):
    evaluation = check_plan(plan)
    assert evaluation.mandatory_violations == [], [(v.rule, v.resource_name, v.message)
                                                   for v in evaluation.mandatory_violations]
    problems = assess(plan).problems
    assert problems == [], [p.render() for p in problems]


@pytest.fixture(scope="module")
def with_own_services(tmp_path_factory):
    return _plan_with(tmp_path_factory.mktemp("own"), "dev", {"search": SEARCH, "ledger": LEDGER})


def test_a_stack_with_services_of_its_own_passes_both_gates(with_own_services):
    _gates_pass(with_own_services)


@pytest.mark.parametrize("service", ["search", "ledger"])
def test_a_service_of_ones_own_gets_every_object_a_seed_service_gets(with_own_services, service):
    plan = with_own_services
    for kind in ("Deployment", "Service", "ServiceAccount", "HorizontalPodAutoscaler", "PodDisruptionBudget",
                 "NetworkPolicy"):
        assert len(_objects(plan, kind, service)) == len(plan.regions), (kind, service)
    roles = [r for r in plan.run.of_type("aws:iam/role:Role") if r.name.endswith(f"-agents-{service}")]
    assert len(roles) == len(plan.regions)
    assert all(f"system:serviceaccount:agents:{service}" in r.inputs["assumeRolePolicy"] for r in roles)


def test_only_callers_it_names_reach_a_service_of_ones_own(with_own_services):
    (policy, *_) = _objects(with_own_services, "NetworkPolicy", "search")
    (rule,) = policy.inputs["spec"]["ingress"]
    callers = {p["podSelector"]["matchLabels"]["app.kubernetes.io/name"] for p in rule["from"] if "podSelector" in p}
    assert callers == {"conversation"} and not [p for p in rule["from"] if "ipBlock" in p]


def test_a_database_user_exists_only_for_services_that_say_database(with_own_services):
    plan = with_own_services
    (job, *_) = [r for r in plan.kubernetes_objects() if r.inputs.get("kind") == "Job"]
    sql = json.dumps(job.inputs)
    assert "svc_ledger" in sql and "svc_search" not in sql
    assert all(f"svc_{name}" in sql for name in ("auth", "conversation", "memory", "worker"))

    ledger, search = _objects(plan, "Deployment", "ledger")[0], _objects(plan, "Deployment", "search")[0]
    assert _env(ledger)["DB_USER"] == "svc_ledger" and "CACHE_HOST" not in _env(ledger)
    assert "DB_USER" not in _env(search) and "SHARD_MAP_PATH" not in _env(search) and _env(search)["CACHE_HOST"]
    assert "rds-db:connect" in _actions(_role_policy(plan, "ledger"))
    assert "rds-db:connect" not in _actions(_role_policy(plan, "search"))
    assert "secretsmanager:GetSecretValue" in _actions(_role_policy(plan, "search"))


def test_a_program_of_only_its_own_services_has_no_seed_service(tmp_path):
    services = {name: None for name in SEED_SERVICE_NAMES} | {
        "gateway": {**SIZE, "callers": ["ingress"], "ingressPath": "/", "enqueues": True},
        "ledger": {**LEDGER, "callers": ["gateway", "worker"]},
    }
    plan = _plan_with(tmp_path, "dev", services)
    _gates_pass(plan)
    deployments = {r.inputs["metadata"]["name"] for r in plan.kubernetes_objects() if r.inputs.get("kind") == "Deployment"}
    assert deployments == {"gateway", "ledger", "worker"}
    (ingress,) = [r for r in plan.kubernetes_objects() if r.inputs.get("kind") == "Ingress"]
    backends = {p["backend"]["service"]["name"] for p in ingress.inputs["spec"]["rules"][0]["http"]["paths"]}
    assert backends == {"gateway", "health-check"}  # the edge's health path, answered by the gateway
    (job,) = [r for r in plan.kubernetes_objects() if r.inputs.get("kind") == "Job"]
    assert "svc_ledger" in json.dumps(job.inputs) and "svc_auth" not in json.dumps(job.inputs)
    assert "QUEUE_URL" in _env(_objects(plan, "Deployment", "gateway")[0])


def test_the_longest_name_allowed_fits_every_physical_name_at_the_longest_cell_name(tmp_path):
    name = "retrieval-ranker"
    assert len(name) == SERVICE_NAME_MAX
    # A long project and a 15-character environment fill the platform name's 26 characters, and
    # ap-southeast-1's code (apse1) is among the longest, so the cell name takes its full budget of 32.
    plan = _plan_with(tmp_path, "dev", {name: {**SIZE, "callers": ["conversation"]}},
                      project="agent-platform-for-everyone",
                      config={"aws:region": "ap-southeast-1", "tierstack:environment": "integration-env"})
    _gates_pass(plan)
    (role,) = [r for r in plan.run.of_type("aws:iam/role:Role") if r.name.endswith(f"-agents-{name}")]
    assert len(role.outputs["name"]) == 64  # IAM's limit exactly: one character more would not fit


BAD_SERVICES = [
    ({"search": {**SIZE, "callers": ["conversation", "serch"]}}, "services.search.callers",
     ["'serch'", "not a service of this stack", "did you mean 'search'"]),
    ({"auth": None}, "services.monitoring.callers", ["'auth'", "remove it from services.monitoring.callers"]),
    ({"db-users": SIZE}, "services.db-users", ["tierstack gives its own workloads", "pick another name"]),
    ({"retrieval-rankers": SIZE}, "services.retrieval-rankers",
     ["17 characters", f"at most {SERVICE_NAME_MAX} characters", "'retrieval-ranker'"]),
    ({"Search": SIZE}, "services.Search", ["not a DNS label", "lowercase"]),
    ({"search": {"replicas": 2, "cpu": "250m"}}, "services.search", ["does not say its memory", "add memory"]),
    ({"wroker": {"minReplicas": 3}}, "services.wroker", ["did you mean 'worker'"]),
    ({"search": {**SIZE, "pools": ["memory", "memory"]}}, "services.search.pools", ["names a pool twice"]),
    ({name: None for name in SEED_SERVICE_NAMES}, "services", ["no services are defined"]),
    # Checks of one service's own settings, made by the settings model (not only by the stack loader).
    ({"auth": {"autoscaling": {"maxReplicas": 1}}}, "services.auth.autoscaling.maxReplicas",
     ["below minReplicas (2)", "raise maxReplicas to at least 2"]),
    ({"search": {**SIZE, "autoscaling": {"minReplicas": 1}}}, "services.search.autoscaling.minReplicas",
     ["goes down with its pod", "disable autoscaling for a deliberate singleton"]),
    ({"search": {**SIZE, "autoscaling": {"minReplicas": 3}}}, "services.search.replicas",
     ["between minReplicas (3) and maxReplicas (10)", "inside the autoscaling bounds"]),
    ({"search": {**SIZE, "ingressPath": "/search", "callers": ["conversation"]}}, "services.search.callers",
     ["published at /search", "would not admit the load balancer", "add 'ingress' to callers"]),
    # Needs every service at once, so ServicesSettings makes it: conversation serves / in the presets.
    ({"search": {**SIZE, "ingressPath": "/", "callers": ["ingress"]}}, "services.search.ingressPath",
     ["conversation already serves / on the public ingress", "its own path prefix"]),
]


@pytest.mark.parametrize("services,path,phrases", BAD_SERVICES, ids=[b[1] for b in BAD_SERVICES])
def test_a_stack_file_gets_the_key_the_value_and_the_fix(services, path, phrases):
    with pytest.raises(StackConfigError) as caught:
        build_stack_config({"tier": "growth", "overrides": {"services": services}}, stack="test")
    (issue,) = caught.value.issues
    assert issue.path.split(" ")[0].removeprefix("tierstack:overrides.") == path, issue.path
    text = f"{issue.problem} {issue.fix}"
    assert all(phrase in text for phrase in phrases), text


@pytest.mark.parametrize("services,path,phrases", BAD_SERVICES, ids=[b[1] for b in BAD_SERVICES])
def test_a_program_building_the_settings_gets_the_same_errors(services, path, phrases):
    preset = preset_settings("growth", "services").model_dump(by_alias=True)
    merged = {**preset, **{name: ({**preset.get(name, {}), **value} if isinstance(value, dict) and name in preset
                                  else value) for name, value in services.items()}}
    with pytest.raises(ValidationError) as caught:
        ServicesSettings.model_validate(merged)
    (error,) = caught.value.errors()
    context = error.get("ctx") or {}
    assert ".".join(map(str, ("services", *error["loc"], *filter(None, [context.get("field")])))) == path
    text = f"{context.get('problem')} {context.get('fix')}"
    assert all(phrase in text for phrase in phrases), text


def test_a_program_adds_and_drops_services_of_a_preset():
    search = ServiceSettings(replicas=2, cpu="250m", memory="512Mi", cache=True, callers=["conversation"])
    settings = preset_settings("growth", "services").with_services(search=search)
    assert list(settings.services) == [*SEED_SERVICE_NAMES, "search"] and settings.search == search
    assert settings.search.database is False and settings.search.pools == ["workers", "general"]
    monitored = settings.monitoring.model_copy(update={"callers": [*settings.monitoring.callers, "search"]})
    assert "search" in settings.with_services(monitoring=monitored).monitoring.callers
    with pytest.raises(ValidationError, match="monitoring's callers name 'search'"):
        settings.with_services(search=None, monitoring=monitored)
    only_search = ServicesSettings(search=search.model_copy(update={"callers": ["worker"]}))
    assert list(only_search.services) == ["search"]


def test_what_a_service_reaches_comes_from_its_settings_not_its_name():
    # conversation without enqueues, model without Bedrock, and a service of one's own with both.
    resources = record(lambda: _services(
        "enterprise", conversation={"enqueues": False}, model={"invokesModels": False, "pools": []},
        planner={**SIZE, "enqueues": True, "invokesModels": True, "publishesMetrics": True,
                 "pools": ["memory", "system"], "callers": ["conversation"]}))
    policies = {r.name.removeprefix("agents-").removesuffix("-policy"): _actions(json.loads(r.inputs["policy"]))
                for r in resources if r.type == "aws:iam/rolePolicy:RolePolicy"}
    assert {"sqs:SendMessage", "bedrock:InvokeModel", "cloudwatch:PutMetricData"} <= policies["planner"]
    assert "conversation" not in policies and "model" not in policies  # nothing to call without the data tier
    (conversation,) = _kind(resources, "Deployment", "conversation")
    (planner,) = _kind(resources, "Deployment", "planner")
    assert "QUEUE_URL" not in _env(conversation) and "QUEUE_URL" in _env(planner)
    # Preferred pools in the service's order, limited to the pools the cluster has (system, workers).
    affinity = planner.inputs["spec"]["template"]["spec"]["affinity"]["nodeAffinity"]
    pools = [term["preference"]["matchExpressions"][0]["values"][0]
             for term in affinity["preferredDuringSchedulingIgnoredDuringExecution"]]
    assert pools == ["system"]
    (model,) = _kind(resources, "Deployment", "model")
    assert "affinity" not in model.inputs["spec"]["template"]["spec"]


def test_the_readmes_service_set_example_is_a_valid_stack():
    readme = (ROOT / "README.md").read_text().split("## The agent services", 1)[1].split("\n## ", 1)[0]
    (example,) = [block for block in re.findall(r"```yaml\n(.*?)```", readme, re.S) if "services:" in block]
    overrides = yaml.safe_load(example)["tierstack:overrides"]
    config = build_stack_config({"tier": "growth", "overrides": overrides}, stack="test")
    assert list(config.services.services) == ["conversation", "model", "memory", "monitoring", "search"]
    assert config.services.search.cache and not config.services.search.database


def _only_error(caught) -> tuple[str, str]:
    """The one error's key (the model's location plus the key the check names) and its text."""
    (error,) = caught.value.errors()
    context = error.get("ctx") or {}
    key = ".".join(map(str, (*error["loc"], *filter(None, [context.get("field")]))))
    return key, f"{error['msg']} {context.get('fix')}"


@pytest.mark.parametrize("settings,key,phrases", [
    ({**SIZE, "replicas": 1}, "replicas", ["between minReplicas (2) and maxReplicas (10)"]),
    ({**SIZE, "autoscaling": {"minReplicas": 4, "maxReplicas": 3}}, "autoscaling.maxReplicas",
     ["below minReplicas (4)"]),
    ({**SIZE, "autoscaling": {"minReplicas": 1}}, "autoscaling.minReplicas", ["goes down with its pod"]),
    ({**SIZE, "ingressPath": "/search"}, "callers", ["published at /search", "add 'ingress' to callers"]),
], ids=["replicas-outside-bounds", "max-below-min", "autoscaled-singleton", "published-but-closed"])
def test_a_service_built_in_python_is_checked_on_its_own(settings, key, phrases):
    with pytest.raises(ValidationError) as caught:
        ServiceSettings(**settings)
    where, text = _only_error(caught)
    assert where == key, where
    assert all(phrase in text for phrase in phrases), text


def test_a_deliberate_singleton_or_a_public_service_open_to_the_load_balancer_is_accepted():
    singleton = ServiceSettings(**{**SIZE, "replicas": 1}, autoscaling=AutoscalingSettings(enabled=False))
    assert singleton.replicas == 1
    public = ServiceSettings(**SIZE, ingress_path="/search", callers=["ingress"])
    assert public.ingress_path == "/search"


def test_services_built_in_python_may_not_share_a_public_path():
    public = ServiceSettings(**SIZE, ingress_path="/api", callers=["ingress"])
    with pytest.raises(ValidationError) as caught:
        ServicesSettings(search=public, ledger=public)
    where, text = _only_error(caught)
    assert where == "ledger.ingressPath" and "search already serves /api" in text, (where, text)
    with pytest.raises(ValidationError, match="search already serves /api"):
        preset_settings("growth", "services").with_services(search=public, ledger=public)


def test_the_workers_reach_the_shards_and_the_cache_unless_they_say_otherwise():
    worker = WorkerSettings()
    assert (worker.database, worker.cache, worker.invokes_models, worker.publishes_metrics) == (True, True, False, False)
    assert worker.pools == ["workers", "general"]
    assert preset_settings("pilot", "services").worker.database and preset_settings("hyperscale", "services").worker.cache


def _config_maps_mounted(deployment) -> list[str]:
    volumes = deployment.inputs["spec"]["template"]["spec"].get("volumes", [])
    return [volume["configMap"]["name"] for volume in volumes if "configMap" in volume]


@pytest.fixture(scope="module")
def with_stateless_workers(tmp_path_factory):
    return _plan_with(tmp_path_factory.mktemp("workers"), "dev", {"worker": {"database": False, "cache": False}})


def test_workers_without_the_database_get_no_user_and_no_connect_grant(with_stateless_workers, with_own_services):
    plan = with_stateless_workers
    (job,) = [r for r in plan.kubernetes_objects() if r.inputs.get("kind") == "Job"]
    sql = json.dumps(job.inputs)
    assert "svc_worker" not in sql and all(f"svc_{name}" in sql for name in ("auth", "conversation", "memory"))
    worker = _role_policy(plan, "worker")
    assert "rds-db:connect" not in _actions(worker)
    env = _env(_objects(plan, "Deployment", "worker")[0])
    assert not {"DB_USER", "SHARD_MAP_PATH", "DB_IAM_AUTH"} & set(env)
    assert not _config_maps_mounted(_objects(plan, "Deployment", "worker")[0])  # no shard map
    # The same plan with the default workers has all of it (so the assertions above can fail).
    default = _objects(with_own_services, "Deployment", "worker")[0]
    assert _env(default)["DB_USER"] == "svc_worker" and _config_maps_mounted(default) == ["shard-map"]
    assert "rds-db:connect" in _actions(_role_policy(with_own_services, "worker"))


def test_workers_without_the_cache_get_no_cache_wiring_and_no_secret_grant(with_stateless_workers, with_own_services):
    plan = with_stateless_workers
    env = _env(_objects(plan, "Deployment", "worker")[0])
    assert not [name for name in env if name.startswith("CACHE_")] and "SEMANTIC_CACHE" not in env
    worker = _actions(_role_policy(plan, "worker"))
    assert "secretsmanager:GetSecretValue" not in worker
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage", "kms:Decrypt"} <= worker  # they still drain the queue
    assert env["QUEUE_URL"]
    default = _env(_objects(with_own_services, "Deployment", "worker")[0])
    assert default["CACHE_HOST"] and "secretsmanager:GetSecretValue" in _actions(_role_policy(with_own_services, "worker"))


def test_a_stack_where_no_workload_uses_the_database_creates_no_database_users(tmp_path):
    services = {name: {"database": False} for name in SEED_SERVICE_NAMES} | {"worker": {"database": False}}
    plan = _plan_with(tmp_path, "dev", services)
    assert not [r for r in plan.kubernetes_objects() if r.inputs.get("kind") == "Job"]
    assert not [r for r in plan.run.resources if "db-users" in r.name]
    assert not any("rds-db:connect" in _actions(json.loads(r.inputs["policy"]))
                   for r in plan.run.of_type("aws:iam/rolePolicy:RolePolicy") if "-agents-" in r.name)


def test_workers_call_models_publish_metrics_and_prefer_pools_they_state():
    resources = record(lambda: _services("enterprise", worker={"invokesModels": True, "publishesMetrics": True,
                                                               "pools": ["system", "workers"]}))
    (policy,) = [r for r in resources if r.type == "aws:iam/rolePolicy:RolePolicy" and r.name == "agents-worker-policy"]
    actions = _actions(json.loads(policy.inputs["policy"]))
    assert {"bedrock:InvokeModel", "cloudwatch:PutMetricData", "sqs:ReceiveMessage"} <= actions
    (worker,) = _kind(resources, "Deployment", "worker")
    affinity = worker.inputs["spec"]["template"]["spec"]["affinity"]["nodeAffinity"]
    pools = [term["preference"]["matchExpressions"][0]["values"][0]
             for term in affinity["preferredDuringSchedulingIgnoredDuringExecution"]]
    assert pools == ["system", "workers"]
    defaults = record(lambda: _services("enterprise"))
    (plain,) = [r for r in defaults if r.type == "aws:iam/rolePolicy:RolePolicy" and r.name == "agents-worker-policy"]
    assert not {"bedrock:InvokeModel", "cloudwatch:PutMetricData"} & _actions(json.loads(plain.inputs["policy"]))


def test_the_stack_loader_still_refuses_an_edge_with_no_public_service():
    # Needs the edge settings beside the services, so it stays a rule of the whole stack.
    internal = {name: {"ingressPath": None, "callers": ["worker"]} for name in ("auth", "conversation")}
    with pytest.raises(StackConfigError) as caught:
        build_stack_config({"tier": "growth", "overrides": {"edge": {"zoneName": "example.com"},
                                                            "services": internal}}, stack="test")
    (issue,) = caught.value.issues
    assert issue.path == "tierstack:overrides.edge.zoneName" and issue.value == "example.com"
    assert "no service has an ingressPath" in issue.problem
    assert build_stack_config({"tier": "growth", "overrides": {"edge": {"zoneName": "example.com"}}}, stack="test")


def test_worker_bounds_are_the_models_own_check():
    import pydantic

    from tierstack.config.model import WorkerSettings

    with pytest.raises(pydantic.ValidationError, match="maxReplicas is below minReplicas"):
        WorkerSettings(min_replicas=5, max_replicas=2)
    with pytest.raises(StackConfigError, match=r"services\.worker\.maxReplicas"):
        build_stack_config({"tier": "growth", "overrides": {"services": {"worker": {"minReplicas": 5, "maxReplicas": 2}}}},
                           stack="test")
