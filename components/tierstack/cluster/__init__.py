"""The EKS cluster component and the pieces it is built from."""

from tierstack.cluster.eks import KubernetesCluster, KubernetesClusterArgs

__all__ = ["KubernetesCluster", "KubernetesClusterArgs"]
