"""``KubernetesCluster`` for other languages, and the cluster context the on-cluster components take.

``ClusterContext`` is how a program in any language names a cluster to AgentServices and
Observability: the cluster's name, region and OIDC provider, and a kubeconfig from which this
layer makes the Kubernetes provider (a provider object cannot cross languages). A
KubernetesCluster's outputs fill it; so does an existing cluster's description.
"""

from typing import Any, Optional

import pulumi
from typing_extensions import NotRequired, TypedDict

from tierstack.aws.iam import OidcIssuer
from tierstack.cluster import ClusterAutoscaling as BuiltClusterAutoscaling
from tierstack.cluster import ClusterAutoscalingArgs as BuiltClusterAutoscalingArgs
from tierstack.cluster import KubernetesCluster as BuiltKubernetesCluster
from tierstack.cluster import KubernetesClusterArgs as BuiltKubernetesClusterArgs
from tierstack.config.tiers import Tier
from tierstack.kube import ClusterContext as BuiltClusterContext
from tierstack.package.base import PackageComponent, listed, same_as
from tierstack.package.providers import kubernetes_provider
from tierstack.package.settings import component_settings


class ClusterContext(TypedDict):
    """An EKS cluster as the components that run on it need it."""

    name: str
    """The EKS cluster's name, as AWS sees it (the autoscaler and the load balancer controller find it by name)."""
    region: str
    """The cluster's region: the controllers' AWS API region and the workloads' AWS_REGION."""
    oidc_provider_arn: pulumi.Input[str]
    """The IAM OIDC provider's ARN (the trust policy's federated principal)."""
    oidc_issuer_url: pulumi.Input[str]
    """The cluster's OIDC issuer URL (https://oidc.eks...)."""
    kubeconfig: pulumi.Input[str]
    """A kubeconfig that reaches the cluster (a KubernetesCluster's kubeconfig output, or your own): the components' Kubernetes provider is made from it."""
    vpc_id: NotRequired[pulumi.Input[str]]
    """The cluster's VPC: the load balancer controller needs it; leave it out where that controller is not installed by tierstack."""
    kubernetes_version: NotRequired[str]
    """The cluster's Kubernetes minor ("1.34"): picks the Cluster Autoscaler image; leave it out where tierstack does not install the autoscaler."""


def built_context(name: str, cluster: ClusterContext, parent: pulumi.Resource) -> BuiltClusterContext:
    """The Python components' ClusterContext, with a Kubernetes provider made from the kubeconfig."""
    return BuiltClusterContext(
        name=cluster["name"], region=cluster["region"],
        oidc=OidcIssuer(provider_arn=cluster["oidc_provider_arn"], issuer_url=cluster["oidc_issuer_url"]),
        provider=kubernetes_provider(name, cluster["kubeconfig"], parent),
        vpc_id=cluster.get("vpc_id"), kubernetes_version=cluster.get("kubernetes_version"))


class KubernetesClusterArgs(TypedDict):
    tier: Tier
    """The scale tier whose preset sizes this component: pilot, growth, scale, enterprise or hyperscale."""
    overrides: NotRequired[dict[str, Any]]
    """Cluster settings that differ from the tier's preset, in camelCase as under tierstack:overrides.cluster in a stack file (docs/configuration.md), e.g. {"kubernetesVersion": "1.34"}; checked as a stack file's are."""
    cluster_name: str
    """The EKS cluster's name, as AWS and kubeconfig see it."""
    region: str
    """The cluster's region (its provider's), written into the kubeconfig."""
    vpc_id: pulumi.Input[str]
    """The VPC the cluster and its node groups run in."""
    subnet_ids: list[pulumi.Input[str]]
    """Private subnets, one per AZ: the control plane's ENIs and every node group use them all."""
    log_kms_key_arn: NotRequired[pulumi.Input[str]]
    """A KMS key for the control-plane log group; without one the group is encrypted with the service key."""
    protect: NotRequired[bool]
    """Production stacks: protect the cluster and its secrets key from deletion."""
    tags: NotRequired[dict[str, str]]
    """Tags added to every AWS resource the component creates."""


class KubernetesCluster(PackageComponent):
    """An EKS cluster with encrypted secrets, access entries, IRSA, the core add-ons, managed node groups and autoscaling, sized by a tier; its outputs make the ClusterContext AgentServices and Observability take."""

    cluster_name: pulumi.Output[str]
    """The EKS cluster's name."""
    endpoint: pulumi.Output[str]
    """The Kubernetes API endpoint."""
    kubeconfig: pulumi.Output[str]
    """A kubeconfig (secret) that authenticates with `aws eks get-token`."""
    oidc_provider_arn: pulumi.Output[str]
    """The IAM OIDC provider's ARN, for IRSA roles."""
    oidc_issuer_url: pulumi.Output[str]
    """The cluster's OIDC issuer URL."""
    security_group_id: pulumi.Output[str]
    """The cluster security group (nodes and pods): a Placement's clientSecurityGroupIds."""
    node_role_arn: pulumi.Output[str]
    """The IAM role of the managed node groups."""
    secrets_key_arn: pulumi.Output[str]
    """The KMS key that envelope-encrypts Kubernetes secrets."""
    kubernetes_version: pulumi.Output[str]
    """The cluster's Kubernetes minor, e.g. "1.34"."""

    def __init__(self, name: str, args: KubernetesClusterArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, opts)
        settings = component_settings(args["tier"], "cluster", args.get("overrides"), name=name, region=args["region"])
        built = BuiltKubernetesCluster(name, BuiltKubernetesClusterArgs(
            settings=settings,
            cluster_name=args["cluster_name"],
            region=args["region"],
            vpc_id=args["vpc_id"],
            subnet_ids=listed(args["subnet_ids"], "subnetIds"),
            log_kms_key_arn=args.get("log_kms_key_arn"),
            protect=bool(args.get("protect", False)),
        ), opts=self._inner(args.get("tags")))
        self.cluster_name = built.name
        self.endpoint = built.endpoint
        self.kubeconfig = built.kubeconfig
        self.oidc_provider_arn = built.oidc_provider_arn
        self.oidc_issuer_url = pulumi.Output.from_input(built.oidc.issuer_url)
        self.security_group_id = built.security_group_id
        self.node_role_arn = built.node_role_arn
        self.secrets_key_arn = built.secrets_key_arn
        self.kubernetes_version = pulumi.Output.from_input(settings.kubernetes_version)
        self._publish()


class ClusterAutoscalingArgs(TypedDict):
    cluster: ClusterContext
    """The cluster whose node groups the autoscaler scales (its kubernetesVersion picks the image)."""
    expander: NotRequired[str]
    """How the autoscaler picks a node group to grow; "least-waste" wastes the least CPU and memory."""
    metrics_server_replicas: NotRequired[int]
    """Two replicas keep the metrics API (and so every HPA) up through a node drain."""
    node_selector: NotRequired[dict[str, str]]
    """Node labels the autoscaler and metrics-server pods must run on; left out, they run anywhere."""
    tags: NotRequired[dict[str, str]]
    """Tags added to every AWS resource the component creates."""


class ClusterAutoscaling(PackageComponent):
    """Cluster Autoscaler (with its IRSA role) and metrics-server on an existing EKS cluster: what KubernetesCluster installs itself, for a cluster that has neither."""

    role_arn: pulumi.Output[str]
    """The Cluster Autoscaler's IAM role (IRSA)."""

    def __init__(self, name: str, args: ClusterAutoscalingArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, opts)
        optional = {key: args[key] for key in ("expander", "metrics_server_replicas", "node_selector") if key in args}
        built = BuiltClusterAutoscaling(name, BuiltClusterAutoscalingArgs(
            cluster=built_context(name, args["cluster"], self), **optional,
        ), opts=self._inner(args.get("tags")))
        self.role_arn = built.role_arn
        self._publish()


DESCRIBED_BY = {
    **same_as(ClusterContext, BuiltClusterContext, "name", "region"),
    **same_as(ClusterContext, OidcIssuer, oidc_provider_arn="provider_arn", oidc_issuer_url="issuer_url"),
    **same_as(KubernetesClusterArgs, BuiltKubernetesClusterArgs,
              "cluster_name", "region", "vpc_id", "subnet_ids", "protect"),
    **same_as(ClusterAutoscalingArgs, BuiltClusterAutoscalingArgs, "expander", "metrics_server_replicas"),
}
