"""The example programs (examples/*, each a Pulumi project of its own) plan under the offline
mocks, pass the policy gate and the deployability checks, and build what they promise."""

from pathlib import Path

import pytest

from tierstack.deploy import check_deployability
from tierstack.policy.model import Context
from tierstack.policy.rules import RESOURCE_RULES, STACK_RULES
from tierstack.policy.runner import evaluate
from tierstack.tooling.gate import plan_resources
from tierstack.tooling.plan import plan_stack
from tierstack.tooling.stackfiles import find_project

from conftest import ROOT

EXAMPLES = sorted(p.parent.name for p in (ROOT / "examples").glob("*/Pulumi.yaml"))


def plan_example(name: str):
    return plan_stack("example", project=find_project(ROOT / "examples" / name))


def test_there_are_at_least_three_examples():
    assert len(EXAMPLES) >= 3, EXAMPLES


@pytest.mark.parametrize("name", EXAMPLES)
def test_each_example_plans_passes_the_gates_and_is_deployable(name):
    plan = plan_example(name)
    assert plan.custom_resources
    evaluation = evaluate(plan_resources(plan), Context(), RESOURCE_RULES, STACK_RULES)
    assert evaluation.mandatory_violations == [], [(v.rule, v.resource_name, v.message)
                                                   for v in evaluation.mandatory_violations]
    problems = check_deployability(plan.resources, "us-east-1")
    assert problems == [], [p.render() for p in problems]


def test_the_data_tier_lands_in_the_existing_vpc():
    plan = plan_example("data-tier-on-existing-vpc")
    assert not plan.run.of_type("aws:ec2/vpc:Vpc")  # nothing new to route or peer
    (group,) = plan.run.of_type("aws:elasticache/subnetGroup:SubnetGroup")
    assert group.inputs["subnetIds"] == ["subnet-0aa11bb22cc33dd44", "subnet-0ee55ff66aa77bb88",
                                         "subnet-0cc99dd00ee11ff22"]
    assert {g.inputs["vpcId"] for g in plan.run.of_type("aws:ec2/securityGroup:SecurityGroup")} == {"vpc-0a1b2c3d4e5f60789"}
    rules = plan.run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert {r.inputs["referencedSecurityGroupId"] for r in rules} == {"sg-0123456789abcdef0"}
    assert len(plan.run.of_type("aws:rds/cluster:Cluster")) == 2  # growth: two shards


def test_the_services_use_the_clusters_own_controllers():
    plan = plan_example("services-on-existing-cluster")
    assert plan.run.of_type("kubernetes:helm.sh/v3:Release") == []
    assert not plan.run.of_type("aws:eks/cluster:Cluster")
    assert plan.run.of_type("kubernetes:keda.sh/v1alpha1:ScaledObject")
    roles = plan.run.of_type("aws:iam/role:Role")
    assert roles and all("oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF" in r.inputs["assumeRolePolicy"]
                         for r in roles)


def test_the_edge_fronts_the_given_load_balancers():
    plan = plan_example("edge-for-existing-origins")
    (distribution,) = plan.run.of_type("aws:cloudfront/distribution:Distribution")
    assert distribution.inputs["aliases"] == ["api.agents.example.com"]
    aliases = {a["name"] for r in plan.run.of_type("aws:route53/record:Record") for a in r.inputs.get("aliases", [])}
    assert {"k8s-agents-publicap-0123456789-1234567890.us-east-1.elb.amazonaws.com",
            "k8s-agents-publicap-0abcdef012-0987654321.eu-west-1.elb.amazonaws.com"} <= aliases
    regions = {c.outputs["arn"].split(":")[3] for c in plan.run.of_type("aws:acm/certificate:Certificate")}
    assert regions == {"us-east-1", "eu-west-1"}
