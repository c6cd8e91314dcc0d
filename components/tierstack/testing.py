"""Public Pulumi mocks for unit-testing programs that use tierstack components.

The components ask AWS a few questions at deploy (availability zones, instance type offerings,
the caller's account, Route 53 zones, managed CloudFront policies...). Plain
``pulumi.runtime.Mocks`` answer those invokes with nothing, and the components then fail on
``None``. :class:`TierstackMocks` answers every invoke the components make with plausible,
region-aware values (the same answers tierstack's own offline plan uses), and gives every
resource the computed outputs its consumers read (ARNs, ids, the EKS endpoint and OIDC issuer...).
Under a preview they answer as ``pulumi preview`` does instead: see :func:`set_mocks`.

:func:`set_mocks` installs them and returns a :class:`Recorder` holding every resource the
program registers, so a test can assert on types, names, inputs and options::

    import pulumi
    from tierstack import testing
    from tierstack.config import NetworkSettings
    from tierstack.network import Network, NetworkArgs


    def test_network_has_one_vpc():
        recorder = testing.set_mocks(region="eu-west-1")

        @pulumi.runtime.test
        def program():
            Network("agents", NetworkArgs(settings=NetworkSettings(az_count=3), region="eu-west-1"))

        program()  # runs the program and waits for every registration
        (vpc,) = recorder.of_type("aws:ec2/vpc:Vpc")
        assert vpc.inputs["enableDnsHostnames"] is True

The implementation lives in ``tierstack.tooling.mocks``; this module is its supported face.
"""

from __future__ import annotations

from typing import Mapping, Optional, Union

import pulumi
from pulumi.runtime import mocks as _pulumi_mocks

from tierstack.tooling import mocks as _mocks
from tierstack.tooling.engine import PlannedResource, RecordingMonitor
from tierstack.tooling.mocks import ACCOUNT_ID, ProviderRegions, UnmockedInvoke

__all__ = [
    "ACCOUNT_ID",
    "ProviderRegions",
    "RecordedResource",
    "Recorder",
    "TierstackMocks",
    "UnmockedInvoke",
    "answered_invokes",
    "set_mocks",
]

#: One registration the program made: ``type``, ``name``, ``urn``, ``id`` (empty at preview),
#: ``inputs``, ``outputs`` (inputs plus what the mocks computed; the inputs alone at preview),
#: ``parent`` and ``provider`` (URNs), ``dependencies``, ``property_dependencies`` (per input, the
#: URNs whose outputs flowed into it), ``protect``, ``ignore_changes``, ``aliases``, ``secret_inputs``...
RecordedResource = PlannedResource


def answered_invokes() -> frozenset[str]:
    """Every invoke token the mocks answer (``aws:index/getAvailabilityZones:getAvailabilityZones``...).

    Any other invoke raises :class:`UnmockedInvoke`, so a data source cannot slip in unanswered::

        import pulumi
        from tierstack import testing

        def test_every_lookup_is_answered():
            recorder = testing.set_mocks()

            @pulumi.runtime.test
            def program():
                build_my_program()  # your program: components, resources, exports

            program()
            assert set(recorder.invokes) <= testing.answered_invokes()
            assert "aws:route53/getZone:getZone" in testing.answered_invokes()
    """
    return frozenset(_mocks._INVOKES)  # noqa: SLF001 - the table is this module's to publish


class TierstackMocks(_mocks.TierstackMocks):
    """``pulumi.runtime.Mocks`` that answer every invoke tierstack's components make.

    ``region`` is the default AWS region (the one ``aws:region`` config would give); a resource
    or invoke under an explicit ``aws.Provider(region=...)`` is answered for that provider's
    region when the monitor records providers (as :func:`set_mocks`'s does). ``invokes`` lists
    the invoke tokens called, in order. They follow the runtime's ``preview`` flag: at preview a
    new resource gets no id and no computed outputs (see :func:`set_mocks`). Use :func:`set_mocks`
    unless you need your own monitor::

        import pulumi
        import pulumi_aws as aws
        from tierstack import testing

        def test_zones_are_answered_for_the_region():
            mocks = testing.TierstackMocks(region="eu-west-1")
            pulumi.runtime.set_mocks(mocks, project="tierstack", stack="test", preview=False)

            @pulumi.runtime.test
            def program():
                def check(zones):
                    assert zones.names == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
                return aws.get_availability_zones_output().apply(check)

            program()
            assert mocks.invokes == ["aws:index/getAvailabilityZones:getAvailabilityZones"]
    """

    def __init__(self, region: Union[str, ProviderRegions] = "us-east-1"):
        regions = region if isinstance(region, ProviderRegions) else ProviderRegions(default_region=region)
        super().__init__(regions)
        self.invokes: list[str] = []

    def call(self, args: pulumi.runtime.MockCallArgs):
        self.invokes.append(args.token)
        return super().call(args)


class Recorder:
    """What a program registered under :func:`set_mocks`: every resource, in registration order.

    Registrations are asynchronous: read the recorder after the ``@pulumi.runtime.test``
    function has returned (the decorator waits for every registration), not inside it::

        import pulumi
        from tierstack import testing
        from tierstack.config import NetworkSettings
        from tierstack.network import Network, NetworkArgs

        def test_subnets_belong_to_the_network():
            recorder = testing.set_mocks()

            @pulumi.runtime.test
            def program():
                Network("agents", NetworkArgs(settings=NetworkSettings(az_count=2), region="us-east-1"))

            program()
            network = recorder.named("agents", "tierstack:network:Network")
            assert recorder.children_of(network)
            assert all(s.inputs["vpcId"] for s in recorder.of_type("aws:ec2/subnet:Subnet"))
    """

    def __init__(self, monitor: RecordingMonitor, mocks: TierstackMocks):
        self.monitor = monitor
        self.mocks = mocks

    @property
    def resources(self) -> list[RecordedResource]:
        """Every registered resource (providers included, the root stack excluded)::

            def test_everything_is_tagged():
                recorder = testing.set_mocks()

                @pulumi.runtime.test
                def program():
                    build_my_program()  # your program: components, resources, exports

                program()
                assert all("tags" in r.inputs for r in recorder.resources if r.type == "aws:ec2/vpc:Vpc")
        """
        return list(self.monitor.recorded)

    @property
    def invokes(self) -> list[str]:
        """The invoke tokens the program called, in order::

            def test_zones_are_looked_up():
                recorder = testing.set_mocks()

                @pulumi.runtime.test
                def program():
                    build_my_program()  # your program: components, resources, exports

                program()
                assert "aws:index/getAvailabilityZones:getAvailabilityZones" in recorder.invokes
        """
        return list(self.mocks.invokes)

    def of_type(self, type_token: str) -> list[RecordedResource]:
        """The resources of one type token, in registration order::

            def test_one_eks_cluster():
                recorder = testing.set_mocks()

                @pulumi.runtime.test
                def program():
                    build_my_program()  # your program: components, resources, exports

                program()
                (cluster,) = recorder.of_type("aws:eks/cluster:Cluster")
                assert cluster.inputs["name"] == "agents-euw1"
        """
        return [r for r in self.monitor.recorded if r.type == type_token]

    def named(self, name: str, type_token: Optional[str] = None) -> RecordedResource:
        """The one resource with this logical name (and type token, when given).

        Raises ``LookupError`` when none or several match; pass ``type_token`` to tell apart a
        component and its children that share a name::

            def test_cluster_name():
                recorder = testing.set_mocks()

                @pulumi.runtime.test
                def program():
                    build_my_program()  # your program: components, resources, exports

                program()
                cluster = recorder.named("agents", "tierstack:cluster:KubernetesCluster")
                assert recorder.children_of(cluster)
        """
        matches = [r for r in self.monitor.recorded
                   if r.name == name and (type_token is None or r.type == type_token)]
        if len(matches) != 1:
            what = f"{name!r}" + (f" of type {type_token}" if type_token else "")
            found = ", ".join(sorted(r.type for r in matches)) or "none"
            raise LookupError(f"expected one resource named {what}, found {len(matches)}: {found}")
        return matches[0]

    def children_of(self, parent: Union[RecordedResource, str]) -> list[RecordedResource]:
        """The resources whose parent is ``parent`` (a recorded resource or its ``urn``)::

            def test_network_children():
                recorder = testing.set_mocks()

                @pulumi.runtime.test
                def program():
                    build_my_program()  # your program: components, resources, exports

                program()
                network = recorder.named("agents", "tierstack:network:Network")
                assert any(c.type == "aws:ec2/vpc:Vpc" for c in recorder.children_of(network))
        """
        urn = parent if isinstance(parent, str) else parent.urn
        return [r for r in self.monitor.recorded if r.parent == urn]


def set_mocks(
    region: str = "us-east-1",
    project: str = "tierstack",
    stack: str = "test",
    preview: bool = False,
    *,
    config: Optional[Mapping[str, str]] = None,
) -> Recorder:
    """Install :class:`TierstackMocks` as the Pulumi runtime's mocks; return a :class:`Recorder`.

    Call it at the start of each test (every call starts a fresh record). It sets the engine
    config to ``aws:region`` = ``region`` plus ``config`` (keys as ``"project:key"``), which
    replaces any config installed before. By default the program runs as ``pulumi up`` would, with
    every id and computed output known (the answers ``tierstack plan`` uses)::

        import pulumi
        from tierstack import testing
        from tierstack.config import ClusterSettings, NodeGroupSettings
        from tierstack.cluster import KubernetesCluster, KubernetesClusterArgs

        def test_node_group_instance_types():
            recorder = testing.set_mocks(region="eu-west-1")

            @pulumi.runtime.test
            def program():
                KubernetesCluster("agents", KubernetesClusterArgs(
                    settings=ClusterSettings(node_groups={"workers": NodeGroupSettings(
                        instance_types=["m6i.xlarge"], min_size=3, max_size=12)}),
                    cluster_name="agents-euw1", region="eu-west-1",
                    vpc_id="vpc-123", subnet_ids=["subnet-a", "subnet-b", "subnet-c"]))

            program()
            (group,) = recorder.of_type("aws:eks/nodeGroup:NodeGroup")
            assert group.inputs["instanceTypes"] == ["m6i.xlarge"]

    ``preview=True`` answers as the engine does at ``pulumi preview`` of a stack whose resources do
    not exist yet. Every new resource's id is unknown, and its outputs are its inputs only: computed
    outputs (ARNs, endpoints, the ids other resources take as inputs) are unknown, and ``apply``
    callbacks on them do not run. An unset physical name is the exception, as with the engine:
    pulumi-aws generates it while checking the inputs, before preview. Invokes are still answered
    (the engine runs them at preview too), and a read (``Resource.get``) or an import is answered
    as without preview, since that resource exists. The recorder shows a new resource with ``id == ""`` and its inputs as ``outputs``; an
    input fed by another resource's unknown output holds ``pulumi.output.Unknown``, and
    ``property_dependencies`` still says which resources it came from::

        import pulumi
        import pulumi_aws as aws
        from tierstack import testing

        def test_queue_policy_is_wired_to_the_queue_at_preview():
            recorder = testing.set_mocks(preview=True)

            @pulumi.runtime.test
            def program():
                queue = aws.sqs.Queue("jobs", visibility_timeout_seconds=60)
                aws.sqs.QueuePolicy("jobs", queue_url=queue.url, policy="{}")

            program()
            queue = recorder.named("jobs", "aws:sqs/queue:Queue")
            policy = recorder.named("jobs", "aws:sqs/queuePolicy:QueuePolicy")
            assert queue.id == "" and "arn" not in queue.outputs
            assert queue.outputs["visibilityTimeoutSeconds"] == 60  # an input: known
            assert isinstance(policy.inputs["queueUrl"], pulumi.output.Unknown)  # computed by AWS
            assert policy.property_dependencies["queueUrl"] == [queue.urn]
    """
    mocks = TierstackMocks(region)
    monitor = RecordingMonitor(mocks, mocks.regions)
    monitor.stack_outputs = {}
    pulumi.runtime.set_all_config({"aws:region": region, **dict(config or {})})
    _pulumi_mocks.set_mocks(mocks, project=project, stack=stack, preview=preview, monitor=monitor)
    return Recorder(monitor, mocks)
