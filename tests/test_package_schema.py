"""The Pulumi package other languages use (tierstack.package, provider/): its schema and its components.

The schema is generated offline by Pulumi's own ``ComponentProvider``, the class
``component_provider_host`` runs in ``provider/__main__.py``; each component is constructed through
that provider's ``construct`` (schema names in, as a TypeScript or YAML program sends them) under
``tierstack.testing``'s mocks, to show it builds the Python component and its resources.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Optional, get_args

import grpc
import pulumi
import pytest
import yaml
from pulumi.errors import InputPropertyError
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.server import ComponentInitError
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc
from typing_extensions import is_typeddict

from tierstack import __version__, testing
from tierstack.config.tiers import Tier
from tierstack.documented import field_comments
from tierstack.package import COMPONENTS, DESCRIBED_BY, NOT_PACKAGED, PACKAGE, PACKAGED, type_token
from tierstack.package.schema import package_schema, schema_text
from tierstack.package.settings import SECTIONS, component_settings
from tierstack.presets import COMPONENTS as PRESET_COMPONENTS
from tierstack.presets import preset_settings
from tierstack.tooling.cli import main as cli

ROOT = Path(__file__).resolve().parents[1]
PROVIDER_DIR = ROOT / "provider"
README = (ROOT / "README.md").read_text()
# Where the README and the docstrings say the public components live.
PUBLIC_MODULES = ("tierstack.network", "tierstack.cluster", "tierstack.services", "tierstack.data", "tierstack.edge",
                  "tierstack.edge.origins", "tierstack.observability", "tierstack.platform")


@functools.lru_cache(maxsize=None)
def schema() -> dict[str, Any]:
    return package_schema()


@functools.lru_cache(maxsize=None)
def provider() -> ComponentProvider:
    return ComponentProvider(list(COMPONENTS), PACKAGE, None, __version__)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def args_type(component: type) -> type:
    return inspect.get_annotations(component.__init__)["args"]


def nested_typed_dicts(annotation: Any) -> set[type]:
    """Every TypedDict an annotation reaches (through NotRequired, Input, list and dict)."""
    if is_typeddict(annotation):
        found = {annotation}
        for field in inspect.get_annotations(annotation).values():
            found |= nested_typed_dicts(field)
        return found
    return set().union(*(nested_typed_dicts(arg) for arg in get_args(annotation))) if get_args(annotation) else set()


def public_components() -> set[type]:
    """ComponentResource classes the public modules export (``__all__``, else the module's own classes)."""
    found: set[type] = set()
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        names = getattr(module, "__all__", None) or [
            name for name, value in vars(module).items()
            if inspect.isclass(value) and value.__module__ == module_name and not name.startswith("_")]
        found |= {value for value in (getattr(module, name) for name in names)
                  if inspect.isclass(value) and issubclass(value, pulumi.ComponentResource)}
    return found


def schema_type(ref: str) -> dict[str, Any]:
    return schema()["types"][ref.removeprefix("#/types/")]


# --- what the schema lists ---------------------------------------------------------------------


def test_every_public_component_is_packaged_or_left_out_with_a_reason():
    packaged = [p.builds for p in PACKAGED]
    assert len(set(packaged)) == len(packaged), "two package components build the same Python component"
    assert not set(packaged) & set(NOT_PACKAGED)
    assert all(reason.strip() for reason in NOT_PACKAGED.values())
    public = public_components()
    missing = {c.__name__ for c in public - set(packaged) - set(NOT_PACKAGED)}
    assert not missing, ("public components with no package component (add one to tierstack.package, or say why "
                         f"not in NOT_PACKAGED): {sorted(missing)}")
    assert set(packaged) | set(NOT_PACKAGED) <= public, "the registry names a component no public module exports"


def test_the_schema_lists_each_packaged_component_under_its_token():
    resources = schema()["resources"]
    assert set(resources) == {type_token(c) for c in COMPONENTS}
    for component in COMPONENTS:
        resource = resources[f"tierstack:index:{component.__name__}"]
        assert resource["isComponent"] is True
        assert resource["description"] and "See " not in resource["description"]
        assert resource["inputProperties"] and resource["properties"], component.__name__
    assert schema()["name"] == "tierstack" and schema()["version"] == __version__


def _properties() -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for token, resource in schema()["resources"].items():
        found += [(token, f"input {name}", spec) for name, spec in resource["inputProperties"].items()]
        found += [(token, f"output {name}", spec) for name, spec in resource["properties"].items()]
    for token, spec in schema()["types"].items():
        found += [(token, f"property {name}", prop) for name, prop in spec.get("properties", {}).items()]
    return found


def test_every_input_and_output_has_a_type_and_a_description():
    for where, what, spec in _properties():
        assert spec.get("type") or spec.get("$ref"), f"{where} {what} has no type"
        assert (spec.get("description") or "").strip(), f"{where} {what} has no description"
        assert "None" not in spec["description"].split(), f"{where} {what} speaks Python: {spec['description']}"
        if spec.get("$ref", "").startswith("#/types/"):
            assert spec["$ref"].removeprefix("#/types/") in schema()["types"]


def test_the_tier_input_is_the_stack_files_tier_everywhere():
    tier = schema()["types"]["tierstack:index:Tier"]
    assert [value["value"] for value in tier["enum"]] == [t.value for t in Tier]
    for token, resource in schema()["resources"].items():
        if "tier" in resource["inputProperties"]:
            spec = resource["inputProperties"]["tier"]
            assert spec["$ref"] == "#/types/tierstack:index:Tier" and spec["plain"] is True, token
            assert all(t.value in spec["description"] for t in Tier), token
            assert "tier" in resource["requiredInputs"], token


def test_what_decides_the_resources_is_plain_and_what_ids_may_be_outputs():
    """Settings and list shapes are known while the program runs (plain); ids inside may be outputs."""
    resources, types = schema()["resources"], schema()["types"]
    for token, resource in resources.items():
        overrides = resource["inputProperties"].get("overrides")
        if overrides is not None:
            assert overrides["plain"] is True and overrides["additionalProperties"]["$ref"] == "pulumi.json#/Any", token
    every_array = [(where, what, spec) for where, what, spec in _properties()
                   if spec.get("type") == "array" and not what.startswith("output")]
    assert every_array
    for where, what, spec in every_array:
        assert spec.get("plain") is True, f"{where} {what}: the provider must be able to count its entries"
    cluster_inputs = resources["tierstack:index:KubernetesCluster"]["inputProperties"]
    subnet_ids = cluster_inputs["subnetIds"]
    assert subnet_ids["items"] == {"type": "string", "description": subnet_ids["description"]}
    assert "plain" not in cluster_inputs["vpcId"]
    placement = types["tierstack:index:Placement"]["properties"]
    assert all("plain" not in placement[name]["items"] for name in ("subnetIds", "availabilityZones",
                                                                     "clientSecurityGroupIds"))


def test_required_inputs_are_the_args_required_keys():
    for component in COMPONENTS:
        args = args_type(component)
        resource = schema()["resources"][type_token(component)]
        assert sorted(resource["inputProperties"]) == sorted(camel(k) for k in inspect.get_annotations(args))
        assert sorted(resource.get("requiredInputs", [])) == sorted(camel(k) for k in args.__required_keys__), \
            component.__name__
        for nested in nested_typed_dicts(args) - {args}:
            spec = schema()["types"][f"tierstack:index:{nested.__name__}"]
            assert sorted(spec.get("required", [])) == sorted(camel(k) for k in nested.__required_keys__), \
                nested.__name__


@pytest.mark.parametrize("component", COMPONENTS, ids=lambda c: c.__name__)
def test_a_missing_required_input_is_refused_by_name(component):
    inputs = CASES[component.__name__][0]
    for name in schema()["resources"][type_token(component)]["requiredInputs"]:
        incomplete = {key: value for key, value in inputs.items() if key != name}
        with pytest.raises(InputPropertyError) as error:
            provider().construct("missing", type_token(component), incomplete, pulumi.ResourceOptions())
        assert error.value.property_path == name


def test_descriptions_repeat_the_documented_python_fields():
    """Where a package input is a Python Args or settings field, it says what that field's comment says."""
    assert DESCRIBED_BY
    args_of = {args_type(c): c for c in COMPONENTS}
    for (package_type, name), (source, source_name) in DESCRIBED_BY.items():
        expected = field_comments(source).get(source_name)
        assert expected, f"{source.__name__}.{source_name} has no comment to repeat"
        if package_type in args_of:
            spec = schema()["resources"][type_token(args_of[package_type])]["inputProperties"][camel(name)]
        else:
            spec = schema()["types"][f"tierstack:index:{package_type.__name__}"]["properties"][camel(name)]
        assert spec["description"] == expected, \
            f"{package_type.__name__}.{name} drifted from {source.__name__}.{source_name}"


@pytest.mark.parametrize("component", PRESET_COMPONENTS)
def test_a_tier_without_overrides_gives_the_preset(component):
    """SECTIONS places each component's overrides where its preset lives (and knows every component)."""
    assert set(SECTIONS) == set(PRESET_COMPONENTS)
    for tier in Tier:
        assert component_settings(tier, component, name="agents") == preset_settings(tier, component)


def test_the_cell_and_the_platform_describe_the_stack_keys_alike():
    cell = schema()["resources"]["tierstack:index:RegionalCell"]["inputProperties"]
    platform = schema()["resources"]["tierstack:index:AgentPlatform"]["inputProperties"]
    shared = (set(cell) & set(platform)) - {"regions"}
    assert {"tier", "environment", "production", "complianceProfile", "tags", "quotas", "overrides"} <= shared
    for key in shared:
        assert cell[key] == platform[key], key


# --- each component, built ---------------------------------------------------------------------

OIDC_ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF"
CLUSTER = {"name": "agents-euw1", "region": "eu-west-1", "kubeconfig": '{"apiVersion": "v1"}',
           "oidcProviderArn": f"arn:aws:iam::123456789012:oidc-provider/{OIDC_ISSUER}",
           "oidcIssuerUrl": f"https://{OIDC_ISSUER}", "vpcId": "vpc-0a1b2c3d"}
PLACEMENT = {"vpcId": "vpc-0a1b2c3d", "subnetIds": ["subnet-a", "subnet-b"],
             "availabilityZones": ["eu-west-1a", "eu-west-1b"], "clientSecurityGroupIds": ["sg-nodes", "sg-jobs"]}


class Built:
    """One construct's record: the resources registered and the outputs the provider returned."""

    def __init__(self, recorder: testing.Recorder, state: dict[str, Any]):
        self.recorder, self.state = recorder, state

    def of_type(self, token: str) -> list:
        return self.recorder.of_type(token)


def _network(built: Built) -> None:
    private = [subnet for subnet in built.of_type("aws:ec2/subnet:Subnet")
               if subnet.inputs["tags"]["tierstack.io/subnet-tier"] == "private"]
    assert len(private) == 2 == len(built.state["privateSubnetIds"])  # overrides.azCount
    (vpc,) = built.of_type("aws:ec2/vpc:Vpc")
    assert vpc.inputs["tags"]["Team"] == "agents"
    assert all(zone.startswith("eu-west-1") for zone in built.state["availabilityZones"])


def _cluster(built: Built) -> None:
    (cluster,) = built.of_type("aws:eks/cluster:Cluster")
    assert cluster.inputs["name"] == "agents-euw1"
    assert cluster.inputs["vpcConfig"]["subnetIds"] == ["subnet-a", "subnet-b", "subnet-c"]
    assert cluster.inputs["version"] == "1.34" == built.state["kubernetesVersion"]  # overrides.kubernetesVersion
    assert "agents-euw1" in built.state["kubeconfig"] and built.state["oidcIssuerUrl"].startswith("https://")


def _autoscaling(built: Built) -> None:
    charts = {r.inputs["chart"]: r for r in built.of_type("kubernetes:helm.sh/v3:Release")}
    assert set(charts) == {"cluster-autoscaler", "metrics-server"}
    assert charts["cluster-autoscaler"].inputs["values"]["autoDiscovery"]["clusterName"] == "agents-euw1"
    assert charts["metrics-server"].inputs["values"]["replicas"] == 3
    assert built.state["roleArn"].startswith("arn:aws:iam::")


def _services(built: Built) -> None:
    (k8s_provider,) = built.of_type("pulumi:providers:kubernetes")
    assert k8s_provider.inputs["kubeconfig"] == CLUSTER["kubeconfig"]
    charts = {r.inputs["chart"] for r in built.of_type("kubernetes:helm.sh/v3:Release")}
    assert charts == {"aws-load-balancer-controller"}  # controllers: keda and prometheusAdapter off
    deployments = built.of_type("kubernetes:apps/v1:Deployment")
    assert deployments and all(k8s_provider.name in d.provider for d in deployments)
    assert built.state["queueUrl"].startswith("https://sqs.eu-west-1.") and built.state["namespace"] == "agents"


def _cache(built: Built) -> None:
    (group,) = built.of_type("aws:elasticache/replicationGroup:ReplicationGroup")
    assert group.inputs["numNodeGroups"] == 3  # overrides.shards
    rules = built.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert sorted(r.inputs["referencedSecurityGroupId"] for r in rules) == ["sg-jobs", "sg-nodes"]
    assert json.loads(built.state["accessPolicy"])["Statement"] and built.state["port"] == 6379


def _database(built: Built) -> None:
    assert len(built.of_type("aws:rds/cluster:Cluster")) == 2 == len(built.state["writerEndpoints"])
    shard_map = json.loads(built.state["shardMap"])
    assert len(shard_map["shards"]) == 2 and shard_map["region"] == "eu-west-1"


def _edge_origins(built: Built) -> None:
    regions = {p.inputs["region"] for p in built.of_type("pulumi:providers:aws")}
    assert {"eu-west-1", "ap-southeast-1"} <= regions
    assert len(built.of_type("aws:acm/certificate:Certificate")) == 2
    assert set(built.state["certificateArns"]) == {"eu-west-1", "ap-southeast-1"}
    assert built.state["verifyHeader"] and built.state["verifyValue"]


def _origin_groups(built: Built) -> None:
    groups = built.of_type("aws:ec2/securityGroup:SecurityGroup")
    assert len(groups) == 2 == len(built.state["ids"]) and all(g.inputs["vpcId"] == "vpc-0a1b2c3d" for g in groups)


def _global_edge(built: Built) -> None:
    (distribution,) = built.of_type("aws:cloudfront/distribution:Distribution")
    assert distribution.inputs["aliases"] == ["api.agents.example.com"] == [built.state["apiHostname"]]
    assert set(built.state["healthCheckIds"]) == {"eu-west-1"}


def _observability(built: Built) -> None:
    charts = {r.inputs["chart"] for r in built.of_type("kubernetes:helm.sh/v3:Release")}
    assert "kube-prometheus-stack" in charts
    assert built.state["alertTopicArn"].startswith("arn:aws:sns:eu-west-1:")


def _alert_topic(built: Built) -> None:
    (topic,) = built.of_type("aws:sns/topic:Topic")
    assert topic.inputs["displayName"] == "agents on call"


def _budgets(built: Built) -> None:
    names = sorted(b.inputs["name"] for b in built.of_type("aws:budgets/budget:Budget"))
    assert names == ["agents-daily", "agents-monthly"] == sorted(built.state.values())


def _cell(built: Built) -> None:
    assert len(built.of_type("tierstack:cluster:KubernetesCluster")) == 1
    assert len(built.of_type("tierstack:data:CacheTier")) == 1
    (vpc,) = built.of_type("aws:ec2/vpc:Vpc")
    assert vpc.inputs["tags"]["Environment"] == "test" and vpc.inputs["tags"]["Team"] == "agents"
    assert vpc.inputs["tags"]["tierstack:region"] == "eu-west-1"


def _platform(built: Built) -> None:
    assert len(built.of_type("tierstack:platform:RegionalCell")) == 1
    assert built.state["regions"] == ["eu-west-1"] and set(built.state["clusterNames"]) == {"eu-west-1"}
    assert built.state["apiHostname"] == ""  # no edge.zoneName, no edge


# Sample inputs (schema names, as another language sends them) and what each must then have built.
CASES: dict[str, tuple[dict[str, Any], Callable[[Built], None]]] = {
    "Network": ({"tier": "growth", "region": "eu-west-1", "overrides": {"azCount": 2}, "tags": {"Team": "agents"}},
                _network),
    "KubernetesCluster": ({"tier": "growth", "clusterName": "agents-euw1", "region": "eu-west-1",
                           "vpcId": "vpc-0a1b2c3d", "subnetIds": ["subnet-a", "subnet-b", "subnet-c"],
                           "overrides": {"kubernetesVersion": "1.34"}}, _cluster),
    "ClusterAutoscaling": ({"cluster": {**CLUSTER, "kubernetesVersion": "1.34"}, "metricsServerReplicas": 3},
                           _autoscaling),
    "AgentServices": ({"tier": "growth", "cluster": CLUSTER, "loadBalancerCidrs": ["10.0.192.0/22"],
                       "controllers": {"keda": False, "prometheusAdapter": False}}, _services),
    "CacheTier": ({"tier": "growth", "placement": PLACEMENT, "overrides": {"shards": 3}}, _cache),
    "ShardedDatabase": ({"tier": "growth", "region": "eu-west-1", "placement": PLACEMENT,
                         "overrides": {"shards": 2}}, _database),
    "EdgeOrigins": ({"apiHost": "api.agents.example.com", "zoneName": "agents.example.com",
                     "regions": ["eu-west-1", "ap-southeast-1"]}, _edge_origins),
    "OriginSecurityGroups": ({"vpcId": "vpc-0a1b2c3d", "vpcCidr": "10.0.0.0/16", "region": "eu-west-1"},
                             _origin_groups),
    "GlobalEdge": ({"tier": "growth", "zoneName": "agents.example.com", "namePrefix": "agents-edge",
                    "origins": [{"region": "eu-west-1",
                                 "loadBalancerHostname": "k8s-agents.eu-west-1.elb.amazonaws.com"}],
                    "verifyHeader": "X-Origin-Verify", "verifyValue": "secret-value"}, _global_edge),
    "Observability": ({"tier": "growth", "cluster": CLUSTER}, _observability),
    "AlertTopic": ({"region": "eu-west-1", "displayName": "agents on call"}, _alert_topic),
    "CostBudgets": ({"tier": "growth", "namePrefix": "agents",
                     "topicArn": "arn:aws:sns:eu-west-1:123456789012:agents-alerts"}, _budgets),
    "RegionalCell": ({"tier": "pilot", "region": "eu-west-1", "tags": {"Team": "agents"}}, _cell),
    "AgentPlatform": ({"tier": "pilot", "regions": ["eu-west-1"]}, _platform),
}


def construct(component_name: str, inputs: dict[str, Any], name: str = "agents") -> Built:
    """Construct through the provider, as `pulumi up` of another language's program would, under the mocks."""
    recorder = testing.set_mocks(region="eu-west-1")
    state: dict[str, Any] = {}

    @pulumi.runtime.test
    def program():
        result = provider().construct(name, f"tierstack:index:{component_name}", inputs, pulumi.ResourceOptions())
        return pulumi.Output.all(**result.state).apply(state.update)

    program()
    return Built(recorder, state)


def test_every_component_has_a_case():
    assert set(CASES) == {c.__name__ for c in COMPONENTS}


@pytest.mark.parametrize("packaged", PACKAGED, ids=lambda p: p.component.__name__)
def test_each_component_builds_the_python_component(packaged):
    inputs, check = CASES[packaged.component.__name__]
    built = construct(packaged.component.__name__, inputs)
    outer = built.recorder.named("agents", type_token(packaged.component))
    inner = [r for r in built.recorder.children_of(outer) if r.type.rsplit(":", 1)[-1] == packaged.builds.__name__]
    assert len(inner) == 1, f"{packaged.component.__name__} did not build a {packaged.builds.__name__}"
    assert built.recorder.children_of(inner[0]), "the Python component registered nothing"
    outputs = schema()["resources"][type_token(packaged.component)]["properties"]
    assert set(built.state) == set(outputs)
    assert all(value is not None for value in built.state.values())
    check(built)


def test_overrides_are_checked_as_a_stack_file_is():
    inputs = {**CASES["CacheTier"][0], "overrides": {"shardz": 2}}
    with pytest.raises(ComponentInitError) as error:
        construct("CacheTier", inputs)
    assert "tierstack:overrides.data.cache.shardz" in str(error.value)
    assert "did you mean 'shards'" in str(error.value)


def test_a_list_that_is_one_output_is_refused_with_the_fix():
    inputs = {**CASES["KubernetesCluster"][0], "subnetIds": pulumi.Output.from_input(["subnet-a", "subnet-b"])}
    with pytest.raises(ComponentInitError) as error:
        construct("KubernetesCluster", inputs)
    assert "subnetIds must be a list whose entries may be outputs" in str(error.value)


def test_a_platform_name_that_cannot_start_aws_names_is_refused():
    with pytest.raises(ComponentInitError) as error:
        construct("AgentPlatform", CASES["AgentPlatform"][0], name="Agents_Platform")
    assert "lowercase letters" in str(error.value)


# --- the provider Pulumi runs ------------------------------------------------------------------


def test_the_provider_entry_serves_this_schema():
    """What `pulumi package add provider/` reads: start the entry point and ask for its schema over gRPC."""
    process = subprocess.Popen([sys.executable, "__main__.py", "127.0.0.1:0"], cwd=PROVIDER_DIR,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        port = process.stdout.readline().decode().strip()
        assert port.isdigit(), process.stderr.read().decode() if process.poll() is not None else port
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            response = provider_pb2_grpc.ResourceProviderStub(channel).GetSchema(
                provider_pb2.GetSchemaRequest(version=0), timeout=60)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert json.loads(response.schema) == schema()


def test_the_plugin_is_a_python_plugin_that_installs_this_checkout():
    assert yaml.safe_load((PROVIDER_DIR / "PulumiPlugin.yaml").read_text()) == {"runtime": "python"}
    lines = (PROVIDER_DIR / "requirements.txt").read_text().splitlines()
    requirements = [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]
    # pip runs in the plugin's directory, so ".." is the repository the plugin came with.
    (editable,) = [line for line in requirements if line.startswith("-e ")]
    source = (PROVIDER_DIR / editable.removeprefix("-e ").strip()).resolve()
    assert source == ROOT and 'name = "tierstack"' in (source / "pyproject.toml").read_text()
    (pulumi_pin,) = [line for line in requirements if line.startswith("pulumi")]
    minimum = re.search(r">=([\d.]+)", pulumi_pin).group(1)
    installed = importlib.metadata.version("pulumi")
    assert tuple(map(int, installed.split("."))) >= tuple(map(int, minimum.split(".")))
    assert "venv/" in (PROVIDER_DIR / ".gitignore").read_text().split()


def test_the_cli_writes_the_schema(tmp_path, capsys):
    target = tmp_path / "schema.json"
    assert cli(["package", "schema", "-o", str(target)]) == 0
    assert target.read_text() == schema_text() and json.loads(target.read_text()) == schema()
    assert f"({len(COMPONENTS)} components)" in capsys.readouterr().out


# --- the README's examples ---------------------------------------------------------------------


def readme_section() -> str:
    start = README.index("### From TypeScript, Go, .NET, Java or YAML")
    return README[start:README.index("\n## ", start)]


def readme_block(language: str) -> str:
    (block,) = re.findall(rf"```{language}\n(.*?)```", readme_section(), re.S)
    return block


def test_the_readme_names_every_packaged_and_left_out_component():
    section = readme_section()
    for component in COMPONENTS:
        assert f"`{component.__name__}`" in section or f"`tierstack:index:{component.__name__}`" in section
    for component in NOT_PACKAGED:
        assert f"`{component.__name__}`" in section


_REFERENCE = re.compile(r"^\$\{([A-Za-z_]\w*)(?:\.(\w+))?(?:\[(\d+)\])?\}$")


def _resolve(value: Any, names: dict[str, Any], states: dict[str, dict[str, Any]]) -> Any:
    """A Pulumi YAML value with whole-value ${name}, ${resource.output} and ${resource.output[i]} references."""
    if isinstance(value, dict):
        return {k: _resolve(v, names, states) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, names, states) for v in value]
    if isinstance(value, str) and "${" in value:
        match = _REFERENCE.match(value)
        assert match, f"the evaluator reads whole-value references only: {value}"
        name, prop, index = match.groups()
        if prop is None:
            return names[name]
        output = states[name][prop]
        return output if index is None else output.apply(lambda v: v[int(index)])
    return value


def _yaml_program(program: dict[str, Any], config: dict[str, Any]) -> tuple[testing.Recorder, dict[str, Any]]:
    """Run a Pulumi YAML program's tierstack resources through the provider, in dependency order."""
    recorder = testing.set_mocks(region="eu-west-1")
    outputs: dict[str, Any] = {}

    @pulumi.runtime.test
    def run():
        names = dict(config)
        names.update({key: _resolve(value, names, {}) for key, value in (program.get("variables") or {}).items()})
        states: dict[str, dict[str, Any]] = {}
        pending = dict(program["resources"])
        while pending:
            ready = [n for n, r in pending.items()
                     if not (set(re.findall(r"\$\{(\w+)\.", json.dumps(r.get("properties")))) - set(states))]
            assert ready, f"unresolvable references among {sorted(pending)}"
            for name in ready:
                resource = pending.pop(name)
                properties = _resolve(resource.get("properties") or {}, names, states)
                states[name] = provider().construct(name, resource["type"], properties, pulumi.ResourceOptions()).state
        resolved = {key: _resolve(value, names, states) for key, value in program["outputs"].items()}
        return pulumi.Output.all(**resolved).apply(outputs.update)

    run()
    return recorder, outputs


def test_the_readme_yaml_example_runs_under_the_public_mocks():
    program = yaml.safe_load(readme_block("yaml"))
    for name, resource in program["resources"].items():
        spec = schema()["resources"][resource["type"]]
        assert set(resource["properties"]) <= set(spec["inputProperties"]), name
        assert set(spec.get("requiredInputs", [])) <= set(resource["properties"]), name
    config = {"vpcId": "vpc-0a1b2c3d", "dataSubnetIds": ["subnet-a", "subnet-b", "subnet-c"],
              "availabilityZones": ["eu-west-1a", "eu-west-1b", "eu-west-1c"], "clusterSecurityGroupId": "sg-nodes"}
    assert set(program["config"]) == set(config)
    recorder, outputs = _yaml_program(program, config)
    clusters = recorder.of_type("aws:rds/cluster:Cluster")
    assert len(clusters) == 4 and all(c.inputs["deletionProtection"] is True for c in clusters)  # shards, protect
    assert len(recorder.of_type("aws:rds/clusterInstance:ClusterInstance")) == 4 * (1 + 2)  # readersPerShard
    (group,) = recorder.of_type("aws:elasticache/replicationGroup:ReplicationGroup")
    assert group.inputs["subnetGroupName"]
    assert outputs["cacheEndpoint"] and outputs["cacheAuthSecretArn"].startswith("arn:aws:secretsmanager:")
    assert len(json.loads(outputs["shardMap"])["shards"]) == 4


def _object_literal(text: str, start: int) -> tuple[dict[str, Optional[dict]], int]:
    """The keys of the TypeScript object literal opening at ``text[start]``; nested literals recursively."""
    assert text[start] == "{"
    keys: dict[str, Optional[dict]] = {}
    i = start + 1
    while True:
        while text[i] in " \n,":
            i += 1
        if text[i:i + 2] == "//":
            i = text.index("\n", i)
            continue
        if text[i] == "}":
            return keys, i + 1
        key = re.match(r"\w+", text[i:]).group(0)
        i += len(key)
        while text[i] == " ":
            i += 1
        if text[i] != ":":  # shorthand property: { region }
            keys[key] = None
            continue
        i += 1
        while text[i] == " ":
            i += 1
        if text[i] == "{":
            keys[key], i = _object_literal(text, i)
            continue
        depth = 0
        while depth or text[i] not in ",}":
            depth += text[i] in "([{"
            depth -= text[i] in ")]}"
            i += 1
        keys[key] = None


def _check_keys(keys: dict[str, Optional[dict]], properties: dict[str, Any], required: list[str], where: str) -> None:
    assert set(keys) <= set(properties), f"{where}: {sorted(set(keys) - set(properties))} are not inputs"
    assert set(required) <= set(keys), f"{where}: required {sorted(set(required) - set(keys))} missing"
    for key, nested in keys.items():
        ref = properties[key].get("$ref", "")
        if nested is not None and ref.startswith("#/types/"):
            spec = schema_type(ref)
            _check_keys(nested, spec["properties"], spec.get("required", []), f"{where}.{key}")


def test_the_readme_typescript_example_uses_the_schemas_names():
    code = readme_block("typescript")
    assert 'import * as tierstack from "@pulumi/tierstack";' in code
    constructed = {}
    for match in re.finditer(r"const (\w+) = new tierstack\.(\w+)\(\"[^\"]+\", ", code):
        variable, component = match.groups()
        token = f"tierstack:index:{component}"
        assert token in schema()["resources"], component
        resource = schema()["resources"][token]
        keys, _ = _object_literal(code, match.end())
        _check_keys(keys, resource["inputProperties"], resource.get("requiredInputs", []), component)
        constructed[variable] = resource
    built = set(re.findall(r"new tierstack\.(\w+)", code))
    assert {"Network", "KubernetesCluster", "CacheTier", "AgentServices"} <= built
    used = re.findall(rf"\b({'|'.join(constructed)})\.(\w+)\b", code)
    assert used
    for variable, output in used:
        assert output in constructed[variable]["properties"], f"{variable}.{output} is not an output"
