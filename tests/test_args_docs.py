"""Every public Args dataclass documents every field where ``help()`` and doc tools see it."""

from __future__ import annotations

import dataclasses
import pydoc
from dataclasses import dataclass, field
from typing import Optional

import pytest

from tierstack.aws.iam import IrsaRoleArgs, OidcIssuer
from tierstack.aws.kms import KmsKeyArgs
from tierstack.cluster.autoscaling import ClusterAutoscalingArgs
from tierstack.cluster.eks import KubernetesClusterArgs
from tierstack.data.bootstrap import DatabaseUsersArgs
from tierstack.data.cache import CacheTierArgs
from tierstack.data.database import ShardedDatabaseArgs, ShardedDatabaseReplicaArgs
from tierstack.data.placement import Placement
from tierstack.documented import documented, field_docs
from tierstack.kube import ClusterContext
from tierstack.edge.component import GlobalEdgeArgs, RegionalOrigin
from tierstack.edge.origins import EdgeOriginsArgs, OriginSecurityGroupsArgs
from tierstack.network import NetworkArgs
from tierstack.observability.component import ObservabilityArgs, WatchedResources
from tierstack.observability.topic import AlertTopicArgs
from tierstack.platform import AgentPlatformArgs, CellOrigin, RegionalCellArgs
from tierstack.services.component import AgentServicesArgs, DataAccess, Telemetry
from tierstack.services.controllers import ControllerInstalls, ServiceControllersArgs
from tierstack.services.queue import RequestQueueArgs
from tierstack.services.workload import AgentServiceArgs

PUBLIC_ARGS = [
    NetworkArgs, KubernetesClusterArgs, ClusterAutoscalingArgs,
    AgentServicesArgs, DataAccess, Telemetry, ServiceControllersArgs, ControllerInstalls, AgentServiceArgs,
    RequestQueueArgs, CacheTierArgs, ShardedDatabaseArgs, ShardedDatabaseReplicaArgs, Placement, DatabaseUsersArgs,
    GlobalEdgeArgs, RegionalOrigin, EdgeOriginsArgs, OriginSecurityGroupsArgs,
    ObservabilityArgs, WatchedResources, AlertTopicArgs,
    RegionalCellArgs, CellOrigin, AgentPlatformArgs, IrsaRoleArgs, OidcIssuer, KmsKeyArgs, ClusterContext,
]


@pytest.mark.parametrize("cls", PUBLIC_ARGS, ids=lambda c: c.__name__)
def test_help_shows_every_field_with_its_description(cls):
    assert cls.__dict__.get("__undocumented__") == (), f"{cls.__name__}: fields without a # comment"
    text = pydoc.render_doc(cls, renderer=pydoc.plaintext)
    assert "Arguments:" in text
    rows = field_docs(cls)
    assert [name for name, *_ in rows] == [f.name for f in dataclasses.fields(cls)]
    for name, annotation, default, description in rows:
        assert description, f"{cls.__name__}.{name} has no description"
        assert f"{name} ({annotation}, {default}): {description}" in text, f"{cls.__name__}.{name}"


def test_arguments_section_format():
    doc = pydoc.render_doc(KmsKeyArgs, renderer=pydoc.plaintext)
    assert "description (str, required): The key's description" in doc
    assert "grants (Sequence[GrantBuilder], default ()):" in doc
    assert "protect (bool, default False): Production stacks" in doc
    assert "deletion_window_days (int, default 30): Thirty days is KMS's maximum" in doc
    # A hand-written docstring stays, ahead of the section.
    controllers = pydoc.render_doc(ControllerInstalls, renderer=pydoc.plaintext)
    assert controllers.index("Which in-cluster controllers") < controllers.index("Arguments:")
    assert "installs (ControllerInstalls, default ControllerInstalls()):" in pydoc.render_doc(
        ServiceControllersArgs, renderer=pydoc.plaintext)


@documented
@dataclass(frozen=True)
class _Canary:
    # Described.
    named: str
    silent: int = 0
    # A comment block
    # over two lines.
    later: Optional[str] = None

    other: dict = field(default_factory=dict)


def test_an_uncommented_field_is_reported_undocumented():
    assert _Canary.__undocumented__ == ("silent", "other")
    doc = pydoc.render_doc(_Canary, renderer=pydoc.plaintext)
    assert "named (str, required): Described." in doc
    assert "later (Optional[str], default None): A comment block over two lines." in doc
    assert "silent (int, default 0): (undocumented)" in doc


def test_documented_needs_a_dataclass():
    with pytest.raises(TypeError):
        documented(type("Plain", (), {}))


def test_decorated_classes_behave_as_before():
    # Same class, still a frozen dataclass with the same fields.
    assert dataclasses.is_dataclass(Placement) and Placement.__dataclass_params__.frozen
    assert [f.name for f in dataclasses.fields(Placement)] == [
        "vpc_id", "subnet_ids", "availability_zones", "client_security_group_ids"]
    placement = Placement(vpc_id="vpc-1", subnet_ids=("a", "b"), availability_zones=("az1", "az2"),
                          client_security_group_ids=("sg-1",))
    assert placement == Placement("vpc-1", ("a", "b"), ("az1", "az2"), ("sg-1",))
    assert placement != dataclasses.replace(placement, vpc_id="vpc-2")
    with pytest.raises(dataclasses.FrozenInstanceError):
        placement.vpc_id = "vpc-3"  # type: ignore[misc]

    installs = ControllerInstalls(keda=False)
    assert installs == ControllerInstalls(load_balancer_controller=True, keda=False, prometheus_adapter=True)
    assert installs != ControllerInstalls()
    assert hash(installs) == hash(ControllerInstalls(keda=False))
    assert repr(installs) == "ControllerInstalls(load_balancer_controller=True, keda=False, prometheus_adapter=True)"
    assert ServiceControllersArgs.__dataclass_fields__["installs"].default_factory is ControllerInstalls
