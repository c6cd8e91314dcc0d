"""Managed node groups: a launch template and one EKS node group per configured group (or per AZ)."""

from __future__ import annotations

import math
from typing import Sequence

import pulumi
import pulumi_aws as aws

from tierstack.config.model import NodeGroupSettings
from tierstack.config.tiers import ZONAL_LABEL


def managed_node_groups(name: str, group_name: str, settings: NodeGroupSettings, *,
                        subnet_ids: Sequence[pulumi.Input[str]], **common) -> dict[str, aws.eks.NodeGroup]:
    """The node groups of one configured group: one across every subnet, or with ``zonal`` one per AZ.

    Zonal groups split the sizes evenly (rounded up, so the total never falls below the
    configured minimum) and carry the zonal label the stateful workloads require.
    """
    if not settings.zonal:
        return {group_name: managed_node_group(name, group_name, settings, subnet_ids=subnet_ids, **common)}
    zones = len(subnet_ids)
    per_zone = settings.model_copy(update={
        "min_size": math.ceil(settings.min_size / zones),
        "max_size": math.ceil(settings.max_size / zones),
        "desired_size": math.ceil(settings.desired_size / zones) if settings.desired_size else None,
        "labels": {**settings.labels, ZONAL_LABEL: "true"},
    })
    return {
        f"{group_name}-az{index}": managed_node_group(name, group_name, per_zone, subnet_ids=[subnet],
                                                      zone_suffix=f"az{index}", **common)
        for index, subnet in enumerate(subnet_ids)
    }


def managed_node_group(
    name: str,
    group_name: str,
    settings: NodeGroupSettings,
    *,
    cluster_name: pulumi.Input[str],
    node_role_arn: pulumi.Input[str],
    subnet_ids: Sequence[pulumi.Input[str]],
    kubernetes_version: str,
    parent: pulumi.Resource,
    depends_on: Sequence[pulumi.Resource],
    zone_suffix: str = "",
) -> aws.eks.NodeGroup:
    """A node group spread over every given subnet (one per AZ).

    The launch template enforces IMDSv2 and an encrypted gp3 root volume; it sets no security
    groups, so EKS attaches the cluster security group. The hop limit of 2 lets add-ons that
    still read instance metadata from a pod (the EBS CSI node plugin) work; IRSA covers
    credentials, so pods never need the node role.
    """
    physical_group = f"{group_name}-{zone_suffix}" if zone_suffix else group_name
    resource_name = f"{name}-{physical_group}"
    group_tags = {"Name": resource_name, "tierstack.io/node-group": group_name}
    launch_template = aws.ec2.LaunchTemplate(
        f"{resource_name}-lt",
        description=f"Nodes of {group_name} in {name}",
        update_default_version=True,
        metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
            http_endpoint="enabled",
            http_tokens="required",
            http_put_response_hop_limit=2,
            instance_metadata_tags="disabled",
        ),
        block_device_mappings=[aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
            device_name="/dev/xvda",
            ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                volume_size=settings.disk_size_gib,
                volume_type="gp3",
                encrypted="true",
                delete_on_termination="true",
            ),
        )],
        monitoring=aws.ec2.LaunchTemplateMonitoringArgs(enabled=True),
        tag_specifications=[
            aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type="instance", tags=group_tags),
            aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type="volume", tags=group_tags),
        ],
        tags=group_tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return aws.eks.NodeGroup(
        resource_name,
        cluster_name=cluster_name,
        # A prefix, not a fixed name: a replacement (e.g. new instance types) is created beside the old group
        # first; EKS then drains the old group's nodes as Pulumi deletes it (force-terminating after 5 min).
        node_group_name_prefix=f"{physical_group}-",
        node_role_arn=node_role_arn,
        subnet_ids=list(subnet_ids),
        version=kubernetes_version,
        ami_type=settings.ami_type,
        capacity_type=settings.capacity_type,
        instance_types=list(settings.instance_types),
        scaling_config=aws.eks.NodeGroupScalingConfigArgs(
            min_size=settings.min_size,
            desired_size=settings.desired_size or settings.min_size,
            max_size=settings.max_size,
        ),
        # A third of the group at a time keeps two thirds of capacity serving during upgrades.
        update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable_percentage=33),
        node_repair_config=aws.eks.NodeGroupNodeRepairConfigArgs(enabled=True),
        launch_template=aws.eks.NodeGroupLaunchTemplateArgs(id=launch_template.id, version=launch_template.latest_version.apply(str)),
        labels={**settings.labels, "tierstack.io/node-group": group_name},
        taints=[aws.eks.NodeGroupTaintArgs(key=t.key, value=t.value or None, effect=t.effect) for t in settings.taints],
        tags=group_tags,
        opts=pulumi.ResourceOptions(
            parent=parent,
            depends_on=list(depends_on),
            # The Cluster Autoscaler owns the desired size once the group exists.
            ignore_changes=["scalingConfig.desiredSize"],
        ),
    )
