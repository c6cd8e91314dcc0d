"""``KubernetesCluster``: an EKS cluster ready for workloads, and a provider to reach it.

Secrets are envelope-encrypted with a customer-managed KMS key, the API endpoint is private
unless the stack names the CIDRs that may reach it, every control-plane log type the tier
asks for goes to an encrypted log group with retention, access is granted through EKS access
entries (no aws-auth ConfigMap), and service accounts get IAM roles through the cluster's OIDC
provider. Node groups span every private subnet, so every AZ.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from tierstack.aws import policies
from tierstack.aws.context import aws_context
from tierstack.aws.iam import OidcIssuer
from tierstack.aws.kms import KmsKey, KmsKeyArgs
from tierstack.cluster.addons import AFTER_NODES, BEFORE_NODES, managed_addons
from tierstack.cluster.autoscaling import ClusterAutoscaling, ClusterAutoscalingArgs
from tierstack.cluster.nodes import managed_node_groups
from tierstack.config.model import ClusterSettings
from tierstack.documented import documented
from tierstack.kube import ClusterContext
from tierstack.tagging import tagged

ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly", "AmazonSSMManagedInstanceCore")
DEFAULT_STORAGE_CLASS = "gp3-encrypted"


@documented
@dataclass(frozen=True)
class KubernetesClusterArgs:
    # The cluster's settings (Kubernetes version, node groups, add-ons, logging).
    settings: ClusterSettings
    # The EKS cluster's name, as AWS and kubeconfig see it.
    cluster_name: str
    # The cluster's region (its provider's), written into the kubeconfig.
    region: str
    # The VPC the cluster and its node groups run in.
    vpc_id: pulumi.Input[str]
    # Private subnets, one per AZ: the control plane's ENIs and every node group use them all.
    subnet_ids: Sequence[pulumi.Input[str]]
    # Key for the control-plane log group; None leaves it encrypted with the service key.
    log_kms_key_arn: Optional[pulumi.Input[str]] = None
    # Production stacks: protect the cluster and its secrets key from deletion.
    protect: bool = False


def kubeconfig(cluster_name: str, endpoint: str, certificate_authority: str, region: str) -> str:
    """A kubeconfig that authenticates with ``aws eks get-token`` (no long-lived credentials)."""
    return json.dumps({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name, "cluster": {"server": endpoint, "certificate-authority-data": certificate_authority}}],
        "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
        "current-context": cluster_name,
        "users": [{"name": cluster_name, "user": {"exec": {
            "apiVersion": "client.authentication.k8s.io/v1beta1",
            "command": "aws",
            "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"],
        }}}],
    })


class KubernetesCluster(pulumi.ComponentResource):
    """An EKS cluster with encrypted secrets, access entries, IRSA, core add-ons, managed node groups (zonal where asked), autoscaling and a Kubernetes provider. See KubernetesClusterArgs."""

    cluster: aws.eks.Cluster
    name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    oidc: OidcIssuer
    oidc_provider_arn: pulumi.Output[str]
    node_role_arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    secrets_key_arn: pulumi.Output[str]
    node_groups: dict[str, aws.eks.NodeGroup]
    provider: k8s.Provider
    # What components that run on this cluster take (AgentServices, Observability, ...).
    context: ClusterContext
    kubeconfig: pulumi.Output[str]
    workloads_ready: list[pulumi.Resource]

    def __init__(self, name: str, args: KubernetesClusterArgs, opts: Optional[pulumi.ResourceOptions] = None):
        # Every AWS resource of the cluster says which cluster it belongs to.
        super().__init__("tierstack:cluster:KubernetesCluster", name, None,
                         tagged({"tierstack.io/cluster": args.cluster_name}, opts))
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        context = aws_context(self)

        secrets_key = KmsKey(f"{name}-secrets", KmsKeyArgs(
            description=f"Envelope encryption of Kubernetes secrets in {args.cluster_name}",
            alias=f"tierstack/{args.cluster_name}/eks-secrets",
            protect=args.protect,
        ), opts=child)
        self.secrets_key_arn = secrets_key.arn

        cluster_role = aws.iam.Role(
            f"{name}-cluster-role",
            assume_role_policy=json.dumps(policies.service_trust("eks.amazonaws.com", actions=["sts:AssumeRole", "sts:TagSession"])), opts=child,
        )
        cluster_role_grants = [
            aws.iam.RolePolicyAttachment(f"{name}-cluster-policy", role=cluster_role.name,
                                         policy_arn=context.managed_policy_arn("AmazonEKSClusterPolicy"), opts=child),
            aws.iam.RolePolicy(f"{name}-cluster-secrets-key", role=cluster_role.id,
                               policy=secrets_key.arn.apply(lambda arn: json.dumps(policies.key_usage(arn))), opts=child),
        ]

        # Created before the cluster so EKS writes into a group we own (retention, KMS), not
        # one it creates unencrypted with no expiry.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs",
            name=f"/aws/eks/{args.cluster_name}/cluster",
            retention_in_days=settings.log_retention_days,
            kms_key_id=args.log_kms_key_arn,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )

        public = settings.endpoint_public_access
        self.cluster = aws.eks.Cluster(
            f"{name}-eks",
            name=args.cluster_name,
            version=settings.kubernetes_version,
            role_arn=cluster_role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=list(args.subnet_ids),
                endpoint_private_access=True,
                endpoint_public_access=public,
                public_access_cidrs=[str(c) for c in settings.public_access_cidrs] if public else None,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                resources=["secrets"],
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=secrets_key.arn),
            ),
            enabled_cluster_log_types=list(settings.control_plane_log_types),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                bootstrap_cluster_creator_admin_permissions=True,
            ),
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
            deletion_protection=args.protect,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect,
                                        depends_on=[log_group, *cluster_role_grants]),
        )
        self.name = self.cluster.name
        self.endpoint = self.cluster.endpoint
        self.security_group_id = self.cluster.vpc_config.cluster_security_group_id

        issuer_url = self.cluster.identities.apply(lambda identities: identities[0].oidcs[0].issuer)
        oidc_provider = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc", url=issuer_url, client_id_lists=["sts.amazonaws.com"], opts=child,
        )
        self.oidc_provider_arn = oidc_provider.arn
        self.oidc = OidcIssuer(provider_arn=oidc_provider.arn, issuer_url=issuer_url)

        for index, principal in enumerate(settings.admin_role_arns):
            entry = aws.eks.AccessEntry(f"{name}-admin-{index}", cluster_name=self.cluster.name,
                                        principal_arn=principal, type="STANDARD", opts=child)
            aws.eks.AccessPolicyAssociation(
                f"{name}-admin-{index}-policy", cluster_name=self.cluster.name, principal_arn=principal,
                policy_arn=ADMIN_POLICY,
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[entry]),
            )

        node_role = aws.iam.Role(
            f"{name}-node-role",
            assume_role_policy=json.dumps(policies.service_trust("ec2.amazonaws.com")), opts=child,
        )
        node_role_grants = [
            aws.iam.RolePolicyAttachment(f"{name}-node-{policy}", role=node_role.name,
                                         policy_arn=context.managed_policy_arn(policy), opts=child)
            for policy in NODE_POLICIES
        ]
        self.node_role_arn = node_role.arn

        before_nodes = managed_addons(
            name, BEFORE_NODES, cluster_name=self.cluster.name, settings=settings, oidc=self.oidc, context=context,
            parent=self, depends_on=[self.cluster],
        )
        self.node_groups = {}
        for group_name, group in settings.node_groups.items():
            self.node_groups.update(managed_node_groups(
                name, group_name, group,
                cluster_name=self.cluster.name, node_role_arn=node_role.arn, subnet_ids=args.subnet_ids,
                kubernetes_version=settings.kubernetes_version, parent=self,
                depends_on=[*node_role_grants, *before_nodes.values()],
            ))
        after_nodes = managed_addons(
            name, AFTER_NODES, cluster_name=self.cluster.name, settings=settings, oidc=self.oidc, context=context,
            parent=self, depends_on=list(self.node_groups.values()),
        )

        self.addons = {**before_nodes, **after_nodes}
        self.kubeconfig = pulumi.Output.secret(pulumi.Output.all(
            self.cluster.name, self.cluster.endpoint, self.cluster.certificate_authority.data,
        ).apply(lambda v: kubeconfig(v[0], v[1], v[2], args.region)))
        self.provider = k8s.Provider(
            f"{name}-k8s", kubeconfig=self.kubeconfig, enable_server_side_apply=True,
            # Update ConfigMaps in place: the shard map has a fixed name that pods mount, and a
            # replacement would delete it (and stall starting pods) on every shard activation.
            enable_config_map_mutable=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.cluster]),
        )
        self.context = ClusterContext(name=args.cluster_name, region=args.region, oidc=self.oidc,
                                      provider=self.provider, vpc_id=args.vpc_id,
                                      kubernetes_version=settings.kubernetes_version)

        self.default_storage_class = k8s.storage.v1.StorageClass(
            f"{name}-{DEFAULT_STORAGE_CLASS}",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=DEFAULT_STORAGE_CLASS,
                annotations={"storageclass.kubernetes.io/is-default-class": "true"},
                labels={"app.kubernetes.io/managed-by": "tierstack"},
            ),
            provisioner="ebs.csi.aws.com",
            parameters={"type": "gp3", "encrypted": "true", "csi.storage.k8s.io/fstype": "ext4"},
            volume_binding_mode="WaitForFirstConsumer",  # bind in the pod's AZ, not a random one
            allow_volume_expansion=True,
            # Production keeps the EBS volume when a claim is deleted; the data outlives mistakes.
            reclaim_policy="Retain" if args.protect else "Delete",
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=[after_nodes["aws-ebs-csi-driver"]]),
        )

        # What workloads need before they are sent: nodes to run on, cluster DNS, volumes and the
        # default storage class. Not the autoscaler's and metrics-server's releases, which nothing
        # waits on and which would otherwise add a Helm install to every first deploy's critical path.
        self.workloads_ready = [*self.node_groups.values(), *after_nodes.values(), self.default_storage_class]

        system_pool = "system" if "system" in settings.node_groups else None
        self.autoscaling = ClusterAutoscaling(f"{name}-autoscaling", ClusterAutoscalingArgs(
            cluster=self.context,
            expander=settings.autoscaler_expander,
            node_selector={"tierstack.io/node-group": system_pool} if system_pool else {},
            depends_on=list(after_nodes.values()),
        ), opts=child)

        self.register_outputs({
            "name": self.name,
            "endpoint": self.endpoint,
            "oidc_provider_arn": self.oidc_provider_arn,
            "node_role_arn": self.node_role_arn,
            "secrets_key_arn": self.secrets_key_arn,
        })
