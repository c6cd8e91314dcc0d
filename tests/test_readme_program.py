"""A fourth program, written only from what the README documents (presets, the data tier's
Placement, ControllerInstalls, tierstack.testing), runs under the public mocks and the gates."""

import pulumi
import pulumi_kubernetes as k8s

from tierstack import testing
from tierstack.aws.iam import OidcIssuer
from tierstack.config import NetworkSettings
from tierstack.data import CacheTier, CacheTierArgs, Placement
from tierstack.deploy import check_deployability
from tierstack.network import Network, NetworkArgs
from tierstack.policy.model import Context, Resource
from tierstack.policy.rules import RESOURCE_RULES, STACK_RULES
from tierstack.policy.runner import evaluate
from tierstack.presets import preset_settings
from tierstack.services import AgentServices, AgentServicesArgs, ControllerInstalls
from tierstack.cluster import ClusterContext


def test_a_program_built_from_the_readme_alone():
    recorder = testing.set_mocks(region="eu-west-1")

    @pulumi.runtime.test
    def program():
        network = Network("team", NetworkArgs(settings=NetworkSettings(az_count=3), region="eu-west-1"))
        CacheTier("team-cache", CacheTierArgs(
            settings=preset_settings("growth", "cache"),
            placement=Placement(vpc_id=network.vpc_id, subnet_ids=network.data_subnet_ids,
                                availability_zones=network.availability_zones,
                                client_security_group_ids=["sg-0123456789abcdef0"])))
        AgentServices("team", AgentServicesArgs(
            settings=preset_settings("growth", "services"),
            cluster=ClusterContext(
                name="platform-euw1", region="eu-west-1",
                oidc=OidcIssuer(provider_arn="arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/AB",
                                issuer_url="https://oidc.eks.eu-west-1.amazonaws.com/id/AB"),
                provider=k8s.Provider("platform", kubeconfig="{}")),
            load_balancer_cidrs=network.public_subnet_cidrs,
            controllers=ControllerInstalls(load_balancer_controller=False, keda=False, prometheus_adapter=False)))

    program()
    resources = recorder.resources
    (group,) = recorder.of_type("aws:elasticache/replicationGroup:ReplicationGroup")
    assert group.inputs["clusterMode"] == "enabled"
    assert recorder.of_type("kubernetes:apps/v1:Deployment") and not recorder.of_type("kubernetes:helm.sh/v3:Release")
    viewed = [Resource(r.type, r.name, r.inputs, r.urn, r.parent, r.protect) for r in resources if r.custom]
    evaluation = evaluate(viewed, Context(), RESOURCE_RULES, STACK_RULES)
    assert evaluation.mandatory_violations == [], [(v.rule, v.resource_name) for v in evaluation.mandatory_violations]
    assert check_deployability(resources, "eu-west-1") == []
