"""The EKS cluster component, the pieces it is built from, and the context other components take.

``ClusterContext`` is what a component that runs on a cluster needs of it (name, region, OIDC
issuer, Kubernetes provider); ``KubernetesCluster.context`` gives it, or build one for a
cluster that already exists.
"""

from tierstack.cluster.autoscaling import ClusterAutoscaling, ClusterAutoscalingArgs
from tierstack.cluster.eks import KubernetesCluster, KubernetesClusterArgs
from tierstack.kube import ClusterContext

__all__ = ["ClusterAutoscaling", "ClusterAutoscalingArgs", "ClusterContext", "KubernetesCluster",
           "KubernetesClusterArgs"]
