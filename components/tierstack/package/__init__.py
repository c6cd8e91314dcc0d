"""tierstack's components as a Pulumi package, for programs in TypeScript, Go, .NET, Java and YAML.

A thin layer over the Python components: each package component takes inputs every language can
express (a tier and stack-file-style overrides instead of pydantic models, ids and a kubeconfig
instead of Python objects), validates them as a stack file is validated, builds the Python
component as its child and exposes its outputs. ``provider/`` hosts them with Pulumi's
component provider (``provider/PulumiPlugin.yaml``), which reads the schema from their
annotations; ``tierstack.package.schema`` produces that schema without the Pulumi CLI.

``PACKAGED`` pairs each package component with the Python component it builds; ``NOT_PACKAGED``
names the public components left out, and why. tests/test_package_schema.py fails when a public
component is in neither.
"""

from dataclasses import dataclass

import pulumi

from tierstack.data import DatabaseUsers, ShardedDatabaseReplica
from tierstack.observability import ManagedServiceAlarms
from tierstack.package import cluster, data, edge, network, observability, platform, services
from tierstack.package.base import PACKAGE, Described, type_token


@dataclass(frozen=True)
class Packaged:
    # What other languages construct, typed tierstack:index:<its class name>.
    component: type[pulumi.ComponentResource]
    # The Python component it builds as its child.
    builds: type[pulumi.ComponentResource]


PACKAGED: tuple[Packaged, ...] = (
    Packaged(network.Network, network.BuiltNetwork),
    Packaged(cluster.KubernetesCluster, cluster.BuiltKubernetesCluster),
    Packaged(cluster.ClusterAutoscaling, cluster.BuiltClusterAutoscaling),
    Packaged(services.AgentServices, services.BuiltAgentServices),
    Packaged(data.CacheTier, data.BuiltCacheTier),
    Packaged(data.ShardedDatabase, data.BuiltShardedDatabase),
    Packaged(edge.EdgeOrigins, edge.BuiltEdgeOrigins),
    Packaged(edge.OriginSecurityGroups, edge.BuiltOriginSecurityGroups),
    Packaged(edge.GlobalEdge, edge.BuiltGlobalEdge),
    Packaged(observability.Observability, observability.BuiltObservability),
    Packaged(observability.AlertTopic, observability.BuiltAlertTopic),
    Packaged(observability.CostBudgets, observability.BuiltCostBudgets),
    Packaged(platform.RegionalCell, platform.BuiltRegionalCell),
    Packaged(platform.AgentPlatform, platform.BuiltAgentPlatform),
)

COMPONENTS: tuple[type[pulumi.ComponentResource], ...] = tuple(p.component for p in PACKAGED)

# Public Python components with no package component, and where their work is available instead.
NOT_PACKAGED: dict[type[pulumi.ComponentResource], str] = {
    DatabaseUsers: "takes the ShardedDatabase object and a Kubernetes provider; RegionalCell and AgentPlatform "
                   "create the services' database users with the cell.",
    ShardedDatabaseReplica: "takes the primary ShardedDatabase object (its shards' global clusters); AgentPlatform "
                            "adds the secondaries when data.database.globalDatabase is on and there are two regions.",
    ManagedServiceAlarms: "takes the alarm specs the other Python components produce; RegionalCell and AgentPlatform "
                          "create the CloudWatch alarms with the cell and the edge.",
}

# Package inputs whose description repeats a documented field of the Python layer.
DESCRIBED_BY: Described = {
    **network.DESCRIBED_BY, **cluster.DESCRIBED_BY, **services.DESCRIBED_BY, **data.DESCRIBED_BY,
    **edge.DESCRIBED_BY, **observability.DESCRIBED_BY, **platform.DESCRIBED_BY,
}

__all__ = ["COMPONENTS", "DESCRIBED_BY", "NOT_PACKAGED", "PACKAGE", "PACKAGED", "Packaged", "type_token"]
