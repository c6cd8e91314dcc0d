"""Tags are applied once, by a transformation, to every AWS resource under the tagged resource."""

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from tierstack import testing
from tierstack.deploy.conformance import _resource_schema
from tierstack.tagging import tagged
from tierstack.tooling.plan import plan_stack
from tierstack.tooling.stackfiles import find_project


class Outer(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("test:index:Outer", name, None, opts)
        aws.sqs.Queue(f"{name}-plain", opts=pulumi.ResourceOptions(parent=self))
        aws.sqs.Queue(f"{name}-own", tags={"Team": "own", "Name": "q"}, opts=pulumi.ResourceOptions(parent=self))
        aws.sqs.Queue(f"{name}-later", tags=pulumi.Output.from_input({"Name": "later"}),
                      opts=pulumi.ResourceOptions(parent=self))
        Inner(f"{name}-inner", opts=tagged({"Team": "inner", "Tier": "inner"}, pulumi.ResourceOptions(parent=self)))
        # No tags input: passes untouched.
        aws.iam.RolePolicyAttachment(f"{name}-attach", role="r", policy_arn="arn:aws:iam::aws:policy/P",
                                     opts=pulumi.ResourceOptions(parent=self))
        k8s.core.v1.ConfigMap(f"{name}-cm", metadata={"name": "cm"}, opts=pulumi.ResourceOptions(parent=self))
        aws.ec2.LaunchTemplate(f"{name}-lt", tags={"Name": "lt"}, tag_specifications=[
            aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type="instance", tags={"Name": "node"})],
            opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


class Inner(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("test:index:Inner", name, None, opts)
        aws.sqs.Queue(f"{name}-q", tags={"Name": "inner"}, opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


def test_nearest_tags_win_and_only_aws_tag_maps_change():
    recorder = testing.set_mocks()

    @pulumi.runtime.test
    def program():
        Outer("o", opts=tagged({"Team": "platform", "Environment": "prod"}))

    program()
    tags = {r.name: r.inputs.get("tags") for r in recorder.resources if r.custom}
    assert tags["o-plain"] == {"Team": "platform", "Environment": "prod"}
    assert tags["o-own"] == {"Team": "own", "Environment": "prod", "Name": "q"}
    assert tags["o-later"] == {"Team": "platform", "Environment": "prod", "Name": "later"}
    assert tags["o-inner-q"] == {"Team": "inner", "Tier": "inner", "Environment": "prod", "Name": "inner"}
    assert tags["o-attach"] is None
    assert "tags" not in recorder.named("o-cm").inputs.get("metadata", {})
    template = recorder.named("o-lt").inputs
    assert template["tags"] == {"Team": "platform", "Environment": "prod", "Name": "lt"}
    assert template["tagSpecifications"] == [{"resourceType": "instance",
                                              "tags": {"Team": "platform", "Environment": "prod", "Name": "node"}}]


def test_every_taggable_resource_of_the_stack_carries_the_platform_and_region_tags():
    plan = plan_stack("staging", project=find_project())
    untagged, unregioned = [], []
    for resource in plan.custom_resources:
        if not resource.type.startswith("aws:"):
            continue
        schema = _resource_schema(resource.type)
        if schema is None or "tags" not in schema.props:
            continue
        tags = resource.inputs.get("tags") or {}
        if not {"Environment", "ManagedBy", "tierstack:tier"} <= set(tags):
            untagged.append(resource.name)
        in_cell = "RegionalCell" in resource.urn or "ShardedDatabaseReplica" in resource.urn
        if in_cell and "tierstack:region" not in tags:
            unregioned.append(resource.name)
    assert untagged == []
    assert unregioned == []
