"""tierstack.testing: the public mocks answer every invoke the components make, and the README's
examples (the component example, and the unit-test example) run under them as written."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import textwrap
from pathlib import Path

import pulumi
import pytest

from conftest import ROOT, project

from tierstack import testing
from tierstack.tooling import mocks as tooling_mocks
from tierstack.tooling.plan import plan_stack

README = (ROOT / "README.md").read_text()
COMPONENTS = ROOT / "components" / "tierstack"
_INVOKE_TOKEN = re.compile(r"""invoke\w*\(\s*['"]([^'"]+)['"]""")


def _python_block(marker: str) -> str:
    (block,) = [b for b in re.findall(r"```python\n(.*?)```", README, re.S) if marker in b]
    return block


def _run_test_functions(namespace: dict) -> list[str]:
    """Call every ``test_*`` function an exec'd snippet defined, as pytest would."""
    names = [name for name, value in namespace.items() if name.startswith("test_") and callable(value)]
    for name in names:
        namespace[name]()
    return names


# -- invoke coverage ---------------------------------------------------------------------------

def _pulumi_package_aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted module/attribute path, for names bound to ``pulumi_*`` packages."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0].startswith("pulumi_"):
                    aliases[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0].startswith("pulumi_"):
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _dotted(node: ast.expr) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(parts)]


def _resolve(path: str):
    """The object a dotted path names, importing modules as needed (``pulumi_aws.route53.get_zone_output``)."""
    parts = path.split(".")
    obj = importlib.import_module(parts[0])
    for index, part in enumerate(parts[1:], start=1):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            obj = importlib.import_module(".".join(parts[: index + 1]))
    return obj


def invoked_by_components(root: Path = COMPONENTS) -> dict[str, list[str]]:
    """Every invoke token a function call in the component sources can reach -> where it is called.

    Each call through a ``pulumi_*`` package (``aws.route53.get_zone_output(...)``) is resolved
    to the SDK function, and the SDK function's source names its token
    (``pulumi.runtime.invoke_output('aws:route53/getZone:getZone', ...)``). This sees call sites
    no stack or tier happens to run (existing-VPC placements, existing zones...).
    """
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        aliases = _pulumi_package_aliases(tree)
        if not aliases:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            dotted = _dotted(node.func)
            if not dotted or dotted[0] not in aliases:
                continue
            try:
                target = _resolve(".".join([aliases[dotted[0]], *dotted[1:]]))
            except (ImportError, AttributeError):
                continue
            if not inspect.isfunction(target):
                continue  # resource constructors and the like register, they do not invoke
            try:
                source = inspect.getsource(target)
            except (OSError, TypeError):
                continue
            where = f"{path.relative_to(root)}:{node.lineno}"
            for token in _INVOKE_TOKEN.findall(source):
                found.setdefault(token, []).append(where)
    return found


def test_every_invoke_the_components_make_has_a_mock_answer():
    invoked = invoked_by_components()
    assert invoked, "the scan found no invokes at all; it is broken"
    unanswered = {token: sites for token, sites in invoked.items() if token not in testing.answered_invokes()}
    assert not unanswered, (
        "components call invokes tierstack.testing cannot answer (add them to tierstack.tooling.mocks._INVOKES): "
        f"{unanswered}")


def test_the_scan_finds_invokes_however_the_sdk_is_imported(tmp_path):
    (tmp_path / "component.py").write_text(
        "import pulumi_aws as aws\n"
        "from pulumi_aws import ec2\n"
        "from pulumi_aws.iam import get_policy_document\n"
        "def build(parent):\n"
        "    aws.ec2.get_vpc_output(default=True)\n"
        "    ec2.get_subnets(filters=[])\n"
        "    get_policy_document(statements=[])\n"
        "    aws.ec2.Vpc('not-an-invoke')\n")
    assert set(invoked_by_components(tmp_path)) == {
        "aws:ec2/getVpc:getVpc", "aws:ec2/getSubnets:getSubnets", "aws:iam/getPolicyDocument:getPolicyDocument"}


def test_the_scan_sees_every_invoke_a_plan_makes(monkeypatch):
    """Guards the scanner: every invoke the dev plan actually makes is one the source scan found."""
    called: set[str] = set()
    answer = tooling_mocks.TierstackMocks.call

    def recording_call(self, args):
        called.add(args.token)
        return answer(self, args)

    monkeypatch.setattr(tooling_mocks.TierstackMocks, "call", recording_call)
    plan_stack("dev", project=project())
    assert called, "the plan made no invokes; the recording hook is not in the path"
    assert called <= set(invoked_by_components()), called - set(invoked_by_components())


def test_an_unanswered_invoke_fails_loudly():
    testing.set_mocks()

    @pulumi.runtime.test
    def program():
        import pulumi_aws as aws
        return aws.ec2.get_vpc_output(default=True).id

    with pytest.raises(Exception, match="no mock answer for invoke aws:ec2/getVpc:getVpc"):
        program()


# -- the public API ----------------------------------------------------------------------------

def test_set_mocks_records_resources_and_invokes():
    recorder = testing.set_mocks(region="eu-west-1")

    @pulumi.runtime.test
    def program():
        from tierstack.config import NetworkSettings
        from tierstack.network import Network, NetworkArgs
        Network("agents", NetworkArgs(settings=NetworkSettings(az_count=2), region="eu-west-1"))

    program()
    network = recorder.named("agents", "tierstack:network:Network")
    (vpc,) = recorder.of_type("aws:ec2/vpc:Vpc")
    assert vpc.parent == network.urn and vpc in recorder.children_of(network)
    assert recorder.named("agents-vpc") is vpc and vpc.outputs["arn"].startswith("arn:aws:ec2:eu-west-1:")
    assert "aws:index/getAvailabilityZones:getAvailabilityZones" in recorder.invokes
    assert recorder.named("agents") is network
    with pytest.raises(LookupError, match="expected one resource named 'agents-vpc' of type aws:ec2/subnet:Subnet, found 0"):
        recorder.named("agents-vpc", "aws:ec2/subnet:Subnet")
    assert pulumi.runtime.get_config("aws:region") == "eu-west-1"


def test_each_set_mocks_starts_a_fresh_record():
    first = testing.set_mocks()
    pulumi.runtime.test(lambda: pulumi.CustomResource("test:index:Thing", "one", {}))()
    second = testing.set_mocks(config={"tierstack:tier": "pilot"})
    assert [r.name for r in first.resources] == ["one"] and second.resources == []
    assert pulumi.runtime.get_config("tierstack:tier") == "pilot"


def test_the_public_mocks_are_the_tooling_mocks():
    assert issubclass(testing.TierstackMocks, tooling_mocks.TierstackMocks)
    assert testing.answered_invokes() == frozenset(tooling_mocks._INVOKES)


def test_every_public_function_documents_a_pytest_example():
    for name in testing.__all__:
        obj = getattr(testing, name)
        if not (inspect.isfunction(obj) or inspect.isclass(obj)) or obj.__module__ != testing.__name__:
            continue
        # A class's own public members; overrides of the Pulumi ``Mocks`` protocol are documented there.
        members = [obj] + [m for n, m in vars(obj).items() if not n.startswith("_")
                           and not any(hasattr(base, n) for base in obj.__mro__[1:])] if inspect.isclass(obj) else [obj]
        for member in members:
            doc = inspect.getdoc(member.fget if isinstance(member, property) else member) or ""
            assert "def test_" in doc and "@pulumi.runtime.test" in doc, f"{name}.{getattr(member, '__name__', member)}"


def _docstring_examples() -> list[tuple[str, str]]:
    docs = [("tierstack.testing", testing.__doc__)]
    for name in testing.__all__:
        obj = getattr(testing, name)
        if getattr(obj, "__module__", None) != testing.__name__:
            continue
        docs.append((name, obj.__doc__))
        for member_name, member in vars(obj).items() if inspect.isclass(obj) else ():
            target = member.fget if isinstance(member, property) else member
            if not member_name.startswith("_") and getattr(target, "__doc__", None):
                docs.append((f"{name}.{member_name}", target.__doc__))
    examples = []
    for where, doc in docs:
        lines = (doc or "").splitlines()
        for start, line in enumerate(lines):
            if not line.rstrip().endswith("::"):
                continue
            block = lines[start + 1:]
            first = next((b for b in block if b.strip()), "")
            indent = len(first) - len(first.lstrip())
            taken = []
            for b in block:
                if b.strip() and len(b) - len(b.lstrip()) < indent:
                    break
                taken.append(b)
            examples.append((where, textwrap.dedent("\n".join(taken))))
    return examples


@pytest.mark.parametrize("where,example", _docstring_examples(), ids=lambda v: v if "\n" not in v else "")
def test_docstring_examples_run(where, example):
    """Every example in the module's docs runs; ``build_my_program`` stands for the README's program."""
    readme_program = _python_block("KubernetesCluster(")
    namespace = {"pulumi": pulumi, "testing": testing,
                 "build_my_program": lambda: exec(compile(readme_program, "README.md", "exec"), {})}
    exec(compile(example, f"<{where} docstring>", "exec"), namespace)
    assert _run_test_functions(namespace), f"{where}: the example defines no test"


# -- the README --------------------------------------------------------------------------------

def test_readme_component_example_runs_under_the_public_mocks():
    example = _python_block("KubernetesCluster(")
    recorder = testing.set_mocks()

    @pulumi.runtime.test
    def program():
        exec(compile(example, "README.md", "exec"), {})

    program()
    (cluster,) = recorder.of_type("aws:eks/cluster:Cluster")
    assert cluster.inputs["name"] == "agents-euw1"
    (vpc,) = recorder.of_type("aws:ec2/vpc:Vpc")
    subnets = set(cluster.inputs["vpcConfig"]["subnetIds"])
    assert len(subnets) == 3
    assert all(recorder.named(s.name).inputs["vpcId"] == vpc.id
               for s in recorder.of_type("aws:ec2/subnet:Subnet") if s.id in subnets)
    groups = recorder.of_type("aws:eks/nodeGroup:NodeGroup")
    assert groups and all(g.inputs["instanceTypes"] == ["m6i.xlarge"] for g in groups)
    assert {(g.inputs["scalingConfig"]["minSize"], g.inputs["scalingConfig"]["maxSize"]) for g in groups} == {(3, 12)}
    assert recorder.named("agents", "tierstack:cluster:KubernetesCluster")
    assert recorder.named("agents", "tierstack:network:Network")


def test_readme_unit_test_example_runs():
    example = _python_block("testing.set_mocks(")
    namespace: dict = {"__name__": "test_readme_example"}
    exec(compile(example, "README.md", "exec"), namespace)
    assert _run_test_functions(namespace) == ["test_network_spans_three_zones"]


# -- preview -----------------------------------------------------------------------------------

QUEUE = "aws:sqs/queue:Queue"


def _queue_program(seen: dict, applied: list):
    """A queue, a policy fed its URL, and an invoke; notes which outputs are known and which
    apply callbacks ran."""
    import pulumi_aws as aws

    def program():
        queue = aws.sqs.Queue("jobs", visibility_timeout_seconds=60)
        aws.sqs.QueuePolicy("jobs", queue_url=queue.url, policy="{}")
        queue.arn.apply(applied.append)
        zones = aws.get_availability_zones_output()

        async def observe():
            for label, output in {"id": queue.id, "arn": queue.arn, "url": queue.url, "name": queue.name,
                                  "visibility": queue.visibility_timeout_seconds, "zones": zones.names}.items():
                seen[label] = await output.is_known()
            seen["zone names"] = await zones.names.future()

        return observe()

    return program


def test_preview_leaves_new_ids_and_computed_outputs_unknown_and_inputs_known():
    recorder = testing.set_mocks(region="eu-west-1", preview=True)
    seen: dict = {}
    applied: list = []
    pulumi.runtime.test(_queue_program(seen, applied))()

    assert seen["id"] is False and seen["arn"] is False and seen["url"] is False
    assert applied == []  # an apply on an unknown value does not run, as at `pulumi preview`
    assert seen["visibility"] is True  # an input
    assert seen["name"] is True  # pulumi-aws autonames in its check, before preview
    assert seen["zones"] is True and seen["zone names"] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    queue = recorder.named("jobs", QUEUE)
    assert queue.id == "" and set(queue.outputs) == {"visibilityTimeoutSeconds", "name"}
    assert queue.outputs["name"].startswith("jobs-")
    policy = recorder.named("jobs", "aws:sqs/queuePolicy:QueuePolicy")
    assert isinstance(policy.inputs["queueUrl"], pulumi.output.Unknown)
    assert policy.property_dependencies == {"queueUrl": [queue.urn]}
    assert recorder.invokes == ["aws:index/getAvailabilityZones:getAvailabilityZones"]


def test_without_preview_every_id_and_computed_output_is_known():
    recorder = testing.set_mocks(region="eu-west-1")
    seen: dict = {}
    applied: list = []
    pulumi.runtime.test(_queue_program(seen, applied))()

    assert all(seen[label] is True for label in ("id", "arn", "url", "name", "visibility", "zones"))
    queue = recorder.named("jobs", QUEUE)
    expected_arn = f"arn:aws:sqs:eu-west-1:{testing.ACCOUNT_ID}:{queue.outputs['name']}"
    assert applied == [expected_arn] and queue.outputs["arn"] == expected_arn
    assert queue.id == f"id-{tooling_mocks._digest(QUEUE, 'jobs')}"  # noqa: SLF001 - the deterministic id
    assert recorder.named("jobs", "aws:sqs/queuePolicy:QueuePolicy").inputs["queueUrl"] == queue.outputs["url"]


def test_the_runtimes_preview_flag_switches_the_answer():
    """The same registration: the offline plan's full answer, or at preview the checked inputs alone."""
    args = pulumi.runtime.MockResourceArgs(typ=QUEUE, name="jobs", inputs={"visibilityTimeoutSeconds": 60})
    regions = testing.ProviderRegions(default_region="eu-west-1")
    testing.set_mocks(region="eu-west-1")
    answer = tooling_mocks.TierstackMocks(regions).new_resource(args)
    assert answer[0] and answer[1]["arn"] == f"arn:aws:sqs:eu-west-1:{testing.ACCOUNT_ID}:{answer[1]['name']}"
    testing.set_mocks(region="eu-west-1", preview=True)
    assert tooling_mocks.TierstackMocks(regions).new_resource(args) == ("", {"visibilityTimeoutSeconds": 60,
                                                                           "name": answer[1]["name"]})


def test_preview_answers_reads_in_full_and_routes_invokes_through_new_providers():
    import pulumi_aws as aws

    recorder = testing.set_mocks(region="us-east-1", preview=True)
    seen: dict = {}

    @pulumi.runtime.test
    def program():
        existing = aws.sqs.Queue.get("existing", "https://sqs.us-east-1.amazonaws.com/123456789012/legacy")
        euw1 = aws.Provider("euw1", region="eu-west-1")
        zones = aws.get_availability_zones_output(opts=pulumi.InvokeOutputOptions(provider=euw1))

        async def observe():
            seen["existing arn"] = await existing.arn.is_known()
            seen["zones"] = await zones.names.future()

        return observe()

    program()
    assert seen["existing arn"] is True  # it exists: a read is answered at preview too
    assert seen["zones"] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    (provider,) = recorder.of_type("pulumi:providers:aws")
    assert provider.id == pulumi.runtime.rpc.UNKNOWN  # the engine's id for a provider it has yet to create
