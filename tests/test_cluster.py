"""KubernetesCluster under mocks: the properties that make a cluster safe to run agents on."""

import json

import pulumi
import pytest

from tierstack import charts
from tierstack.cluster import KubernetesCluster, KubernetesClusterArgs
from tierstack.cluster.eks import kubeconfig
from tierstack.config import build_stack_config

from conftest import children_of, install_mocks, record

SUBNETS = ["subnet-a", "subnet-b", "subnet-c"]


def _cluster(tier: str = "growth", protect: bool = False, **cluster_overrides) -> KubernetesCluster:
    settings = build_stack_config({"tier": tier, "overrides": {"cluster": cluster_overrides}}, stack="test").cluster
    return KubernetesCluster("c", KubernetesClusterArgs(
        settings=settings, cluster_name="tierstack-test-use1", region="us-east-1", vpc_id="vpc-1",
        subnet_ids=SUBNETS, log_kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/logs", protect=protect,
    ))


def _by_name(resources, name):
    return next(r for r in resources if r.name == name)


@pytest.fixture(autouse=True)
def mocks():
    return install_mocks()


@pulumi.runtime.test
def test_secrets_are_encrypted_with_the_clusters_own_kms_key():
    cluster = _cluster()

    def check(args):
        encryption, key_arn = args
        assert encryption[0]["resources"] == ["secrets"]
        assert encryption[0]["provider"]["key_arn"] == key_arn and key_arn.startswith("arn:aws:kms:")

    return pulumi.Output.all(cluster.cluster.encryption_config.apply(lambda e: [{
        "resources": e.resources, "provider": {"key_arn": e.provider.key_arn}}]), cluster.secrets_key_arn).apply(check)


@pulumi.runtime.test
def test_api_endpoint_is_private_by_default():
    cluster = _cluster()

    def check(vpc_config):
        assert vpc_config.endpoint_private_access is True
        assert vpc_config.endpoint_public_access is False
        assert not vpc_config.public_access_cidrs
        assert vpc_config.subnet_ids == SUBNETS

    return cluster.cluster.vpc_config.apply(check)


@pulumi.runtime.test
def test_public_access_is_limited_to_configured_cidrs():
    cluster = _cluster(endpointPublicAccess=True, publicAccessCidrs=["203.0.113.0/24", "198.51.100.7/32"])

    def check(vpc_config):
        assert vpc_config.endpoint_public_access is True and vpc_config.endpoint_private_access is True
        assert vpc_config.public_access_cidrs == ["203.0.113.0/24", "198.51.100.7/32"]

    return cluster.cluster.vpc_config.apply(check)


def test_secrets_key_rotates_and_the_cluster_role_may_use_only_that_key():
    resources = record(_cluster)
    key = _by_name(resources, "c-secrets-key")
    assert key.inputs["enableKeyRotation"] is True and key.inputs["deletionWindowInDays"] == 30
    grant = json.loads(_by_name(resources, "c-cluster-secrets-key").inputs["policy"])
    assert grant["Statement"][0]["Resource"] == key.outputs["arn"]
    assert set(grant["Statement"][0]["Action"]) == {"kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"}


def test_control_plane_logs_go_to_an_owned_encrypted_group_created_first():
    resources = record(_cluster)
    eks = _by_name(resources, "c-eks")
    group = _by_name(resources, "c-control-plane-logs")
    assert set(eks.inputs["enabledClusterLogTypes"]) == {"api", "audit", "authenticator", "controllerManager", "scheduler"}
    assert group.inputs["name"] == "/aws/eks/tierstack-test-use1/cluster"
    assert group.inputs["retentionInDays"] == 90 and group.inputs["kmsKeyId"].endswith("key/logs")
    assert group.urn in eks.dependencies
    assert eks.inputs["accessConfig"]["authenticationMode"] == "API"


def test_every_node_group_spans_every_private_subnet():
    resources = record(lambda: _cluster("enterprise"))
    groups = [g for g in children_of(resources, "aws:eks/nodeGroup:NodeGroup")
              if "tierstack.io/zonal" not in g.inputs["labels"]]
    assert {g.inputs["labels"]["tierstack.io/node-group"] for g in groups} == {"workers", "memory"}
    for group in groups:
        assert group.inputs["subnetIds"] == SUBNETS
        assert "remoteAccess" not in group.inputs  # no SSH path to nodes
        assert group.ignore_changes == ["scalingConfig.desiredSize"]  # the autoscaler owns it
    workers = next(g for g in groups if g.inputs["labels"]["tierstack.io/node-group"] == "workers")
    assert workers.inputs["scalingConfig"] == {"minSize": 6, "desiredSize": 6, "maxSize": 120}


def test_a_zonal_group_becomes_one_group_per_az_with_its_sizes_split():
    resources = record(lambda: _cluster("enterprise"))
    system = [g for g in children_of(resources, "aws:eks/nodeGroup:NodeGroup")
              if g.inputs["labels"]["tierstack.io/node-group"] == "system"]
    assert sorted(g.inputs["subnetIds"][0] for g in system) == sorted(SUBNETS)
    assert all(len(g.inputs["subnetIds"]) == 1 and g.inputs["labels"]["tierstack.io/zonal"] == "true" for g in system)
    # enterprise's system pool is 3-6 nodes: 1-2 per AZ, never fewer in total than asked.
    assert {(g.inputs["scalingConfig"]["minSize"], g.inputs["scalingConfig"]["maxSize"]) for g in system} == {(1, 2)}
    assert sorted(g.inputs["nodeGroupNamePrefix"] for g in system) == ["system-az0-", "system-az1-", "system-az2-"]


def test_nodes_require_imdsv2_and_encrypted_gp3_root_volumes():
    resources = record(_cluster)
    for template in children_of(resources, "aws:ec2/launchTemplate:LaunchTemplate"):
        assert template.inputs["metadataOptions"]["httpTokens"] == "required"
        (device,) = template.inputs["blockDeviceMappings"]
        assert device["ebs"]["encrypted"] == "true" and device["ebs"]["volumeType"] == "gp3"
        assert "vpcSecurityGroupIds" not in template.inputs  # EKS attaches the cluster security group


def test_oidc_provider_trusts_the_clusters_issuer_for_sts():
    resources = record(_cluster)
    oidc = children_of(resources, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")[0]
    assert oidc.inputs["url"].startswith("https://oidc.eks.us-east-1.amazonaws.com/id/")
    assert oidc.inputs["clientIdLists"] == ["sts.amazonaws.com"]


@pytest.mark.parametrize("role, service_account", [
    ("c-vpc-cni", "system:serviceaccount:kube-system:aws-node"),
    ("c-ebs-csi", "system:serviceaccount:kube-system:ebs-csi-controller-sa"),
    ("c-autoscaling-ca", "system:serviceaccount:kube-system:cluster-autoscaler"),
])
def test_irsa_roles_are_assumable_only_by_their_service_account(role, service_account):
    resources = record(_cluster)
    oidc = children_of(resources, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")[0]
    trust = json.loads(next(r for r in children_of(resources, "aws:iam/role:Role") if r.name == role)
                       .inputs["assumeRolePolicy"])
    (statement,) = trust["Statement"]
    issuer = oidc.inputs["url"].removeprefix("https://")
    assert statement["Principal"]["Federated"].endswith(f"oidc-provider/{issuer}")
    assert statement["Condition"]["StringEquals"][f"{issuer}:sub"] == service_account


def test_core_addons_are_ordered_around_the_node_groups():
    resources = record(_cluster)
    addons = {a.inputs["addonName"]: a for a in children_of(resources, "aws:eks/addon:Addon")}
    assert set(addons) == {"vpc-cni", "kube-proxy", "eks-pod-identity-agent", "coredns", "aws-ebs-csi-driver"}
    groups = children_of(resources, "aws:eks/nodeGroup:NodeGroup")
    for group in groups:  # nodes join with networking ready
        assert addons["vpc-cni"].urn in group.dependencies
    for name in ("coredns", "aws-ebs-csi-driver"):  # Deployments wait for nodes to schedule on
        assert {g.urn for g in groups} <= set(addons[name].dependencies)
    assert json.loads(addons["vpc-cni"].inputs["configurationValues"]) == {"enableNetworkPolicy": "true"}
    assert addons["vpc-cni"].inputs["serviceAccountRoleArn"].startswith("arn:aws:iam::")


def test_addon_versions_can_be_pinned():
    resources = record(lambda: _cluster(addonVersions={"coredns": "v1.12.4-eksbuild.1"}))
    addons = {a.inputs["addonName"]: a for a in children_of(resources, "aws:eks/addon:Addon")}
    assert addons["coredns"].inputs["addonVersion"] == "v1.12.4-eksbuild.1"


@pytest.mark.parametrize("version", ["1.34", "1.35", "1.36"])
def test_node_autoscaling_charts_are_pinned_and_match_the_kubernetes_minor(version):
    resources = record(lambda: _cluster(kubernetesVersion=version))
    releases = {r.inputs["chart"]: r for r in children_of(resources, "kubernetes:helm.sh/v3:Release")}
    autoscaler = releases["cluster-autoscaler"]
    assert autoscaler.inputs["version"] == charts.CLUSTER_AUTOSCALER.version
    assert autoscaler.inputs["values"]["image"]["tag"].startswith(f"v{version}.")
    assert autoscaler.inputs["values"]["autoDiscovery"]["clusterName"] == "tierstack-test-use1"
    assert autoscaler.inputs["values"]["rbac"]["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"].startswith("arn:aws:iam::")
    assert autoscaler.inputs["values"]["nodeSelector"] == {"tierstack.io/node-group": "system"}
    assert releases["metrics-server"].inputs["version"] == charts.METRICS_SERVER.version
    for release in releases.values():
        assert release.inputs["atomic"] is True and release.provider.split("::")[-2].endswith("c-k8s")


def test_production_protects_the_cluster_its_key_and_its_logs():
    resources = record(lambda: _cluster(protect=True))
    for name in ("c-eks", "c-secrets-key", "c-control-plane-logs"):
        assert _by_name(resources, name).protect, name
    assert _by_name(resources, "c-eks").inputs["deletionProtection"] is True
    assert _by_name(resources, "c-gp3-encrypted").inputs["reclaimPolicy"] == "Retain"
    dev = record(lambda: _cluster(protect=False))
    assert not [r.name for r in dev if r.protect]
    assert _by_name(dev, "c-gp3-encrypted").inputs["reclaimPolicy"] == "Delete"


def test_admin_roles_get_access_entries_with_the_cluster_admin_policy():
    arn = "arn:aws:iam::123456789012:role/platform-admins"
    resources = record(lambda: _cluster(adminRoleArns=[arn]))
    (entry,) = children_of(resources, "aws:eks/accessEntry:AccessEntry")
    (association,) = children_of(resources, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert entry.inputs["principalArn"] == association.inputs["principalArn"] == arn
    assert association.inputs["policyArn"].endswith("AmazonEKSClusterAdminPolicy")
    assert entry.urn in association.dependencies


def test_kubeconfig_uses_short_lived_eks_tokens():
    document = json.loads(kubeconfig("c1", "https://x.eks.amazonaws.com", "Q0E=", "eu-west-1"))
    user = document["users"][0]["user"]["exec"]
    assert user["command"] == "aws" and user["args"][:2] == ["eks", "get-token"]
    assert user["args"][user["args"].index("--region") + 1] == "eu-west-1"
    assert "token" not in json.dumps(document["users"][0]).replace("get-token", "")


def test_the_kubernetes_provider_updates_config_maps_in_place():
    # The shard map is a fixed-name ConfigMap that pods mount: replacing it on every change would
    # delete it under running pods and stall the ones starting.
    resources = record(_cluster)
    (provider,) = [r for r in resources if r.type == "pulumi:providers:kubernetes"]
    assert provider.inputs["enableConfigMapMutable"] in (True, "true")
