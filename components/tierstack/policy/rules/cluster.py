"""EKS control plane, node groups and the launch templates nodes boot from."""

from __future__ import annotations

from collections import defaultdict
from typing import Mapping

from tierstack.policy.labels import ZONAL_LABEL
from tierstack.policy.model import Severity, rule, stack_rule
from tierstack.policy.props import UNDECIDED, get, has, items, known, raw, truthy

EKS_CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
SUPPORTED_VERSIONS = ("1.33", "1.34", "1.35", "1.36")
BASE_LOG_TYPES = ("api", "audit", "authenticator")
ALL_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


def _label(resource, key: str):
    """A node group label (label keys hold dots, so not through ``get``'s dotted paths)."""
    labels = get(resource.props, "labels", {}) or {}
    return raw(labels).get(key) if isinstance(labels, Mapping) else None


@rule("eks-private-endpoint",
      "The EKS API is reachable privately, and publicly only from listed CIDRs (never in HIPAA stacks).",
      Severity.CRITICAL,
      "Set vpcConfig.endpointPrivateAccess to true. Leave endpointPublicAccess false, or set publicAccessCidrs "
      "to operator networks (tierstack: cluster.publicAccessCidrs). HIPAA stacks must keep the endpoint private.",
      EKS_CLUSTER)
def eks_private_endpoint(resource, context):
    vpc = get(resource.props, "vpcConfig", {})
    if not truthy(get(vpc, "endpointPrivateAccess", False)):
        yield "endpointPrivateAccess is not enabled"
    public = get(vpc, "endpointPublicAccess", True)  # EKS defaults the public endpoint on
    if truthy(public):
        if context.hipaa:
            yield "HIPAA profile: the API endpoint must not be public"
        cidrs = list(items(vpc, "publicAccessCidrs"))
        if not cidrs or any(c in ("0.0.0.0/0", "::/0") for c in cidrs):
            yield "public endpoint is open to the whole internet"


@rule("eks-secrets-encryption",
      "Kubernetes secrets are envelope-encrypted with a KMS key.",
      Severity.CRITICAL,
      "Add encryptionConfig with resources ['secrets'] and provider.keyArn set to a customer-managed KMS key.",
      EKS_CLUSTER)
def eks_secrets_encryption(resource, context):
    config = get(resource.props, "encryptionConfig")
    if not config:
        yield "no encryptionConfig: secrets are stored with only the default EBS encryption of etcd"
        return
    if "secrets" not in list(items(config, "resources")):
        yield "encryptionConfig does not cover 'secrets'"
    if not has(config, "provider.keyArn"):
        yield "encryptionConfig names no KMS key"


@rule("eks-control-plane-logging",
      "Control-plane logs (api, audit, authenticator; all five types under HIPAA) go to CloudWatch.",
      Severity.HIGH,
      "Set enabledClusterLogTypes (tierstack: cluster.controlPlaneLogTypes) to include api, audit and "
      "authenticator; HIPAA stacks also controllerManager and scheduler.",
      EKS_CLUSTER)
def eks_control_plane_logging(resource, context):
    enabled = set(items(resource.props, "enabledClusterLogTypes"))
    required = ALL_LOG_TYPES if context.hipaa else BASE_LOG_TYPES
    missing = [t for t in required if t not in enabled]
    if missing:
        yield f"control-plane log types not enabled: {', '.join(missing)}"


@rule("eks-supported-version",
      "The cluster runs a Kubernetes version EKS supports and tierstack's pinned add-ons match.",
      Severity.MEDIUM,
      f"Set version (tierstack: cluster.kubernetesVersion) to one of {', '.join(SUPPORTED_VERSIONS)}.",
      EKS_CLUSTER, NODE_GROUP)
def eks_supported_version(resource, context):
    version = get(resource.props, "version")
    if version is not None and str(version) not in SUPPORTED_VERSIONS:
        yield f"version {version} is outside the supported set {', '.join(SUPPORTED_VERSIONS)}"


@rule("eks-node-groups-multi-az",
      "Every managed node group spans at least two subnets, so it survives the loss of an AZ.",
      Severity.HIGH,
      "Give the node group one private subnet per AZ (tierstack does this from network.azCount, minimum 2).",
      NODE_GROUP)
def eks_node_groups_multi_az(resource, context):
    subnets = get(resource.props, "subnetIds", [])
    # A zonal group is one AZ of a set; eks-zonal-node-groups-span-azs judges the set.
    if _label(resource, ZONAL_LABEL) == "true":
        return
    if len(subnets) < 2:
        yield f"node group uses {len(subnets)} subnet(s); a single AZ takes the whole group down with it"


@stack_rule("eks-zonal-node-groups-span-azs",
            f"Zonal node groups (labelled {ZONAL_LABEL}) of one pool together span at least two subnets.",
            Severity.HIGH,
            "Create one zonal node group per private subnet (tierstack does this for groups with zonal: true), "
            "so the pool survives the loss of an AZ.")
def eks_zonal_node_groups_span_azs(resources, context):
    pools = defaultdict(list)
    for group in (r for r in resources if r.type == NODE_GROUP):
        if _label(group, ZONAL_LABEL) != "true":
            continue
        cluster = known(group.props, "clusterName")
        pools[(cluster, _label(group, "tierstack.io/node-group") or group.name)].append(group)
    for (cluster, pool), groups in pools.items():
        if cluster is UNDECIDED:
            continue
        distinct = {subnet for group in groups for subnet in items(group.props, "subnetIds")}
        if len(distinct) < 2:
            yield groups[0], f"the zonal groups of pool '{pool}' cover {len(distinct)} subnet(s); one AZ takes the pool down"


@rule("eks-no-ssh-to-nodes",
      "Nodes accept no SSH: no remote-access block on node groups, no key pair on launch templates.",
      Severity.HIGH,
      "Remove remoteAccess from the node group and keyName from the launch template; use SSM Session Manager "
      "(the node role carries AmazonSSMManagedInstanceCore).",
      NODE_GROUP, LAUNCH_TEMPLATE)
def eks_no_ssh_to_nodes(resource, context):
    if resource.type == NODE_GROUP and has(resource.props, "remoteAccess"):
        yield "remoteAccess opens SSH to the nodes"
    if resource.type == LAUNCH_TEMPLATE and has(resource.props, "keyName"):
        yield "the launch template installs an SSH key pair"


@rule("ec2-imdsv2-required",
      "Instances require IMDSv2 session tokens, closing the SSRF path to node credentials.",
      Severity.HIGH,
      "Set metadataOptions.httpTokens to 'required' on the launch template.",
      LAUNCH_TEMPLATE)
def ec2_imdsv2_required(resource, context):
    if get(resource.props, "metadataOptions.httpTokens") != "required":
        yield "metadataOptions.httpTokens is not 'required'"


@rule("ec2-ebs-encrypted",
      "Every EBS volume a launch template defines is encrypted.",
      Severity.HIGH,
      "Set ebs.encrypted to true on each blockDeviceMappings entry.",
      LAUNCH_TEMPLATE)
def ec2_ebs_encrypted(resource, context):
    for mapping in items(resource.props, "blockDeviceMappings"):
        if has(mapping, "ebs") and not truthy(get(mapping, "ebs.encrypted", False)):
            yield f"volume {get(mapping, 'deviceName', '?')} is not encrypted"
