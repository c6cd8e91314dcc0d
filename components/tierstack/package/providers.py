"""The providers a package component makes for itself, from inputs every language can pass.

A Kubernetes provider from a kubeconfig (the components that deploy onto a cluster take one),
and an AWS provider per region for the components that span regions (the global edge and its
origins), as ``AgentPlatform`` makes them. The caller's own default AWS provider (or the one it
passes in ``providers``) serves every single-region component.
"""

from typing import Iterable, Optional

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from tierstack.catalog.aws import region_code

# CloudFront's certificate and its WAF must be in us-east-1, whichever regions serve.
EDGE_REGION = "us-east-1"


def kubernetes_provider(name: str, kubeconfig: pulumi.Input[str], parent: pulumi.Resource) -> k8s.Provider:
    """A provider for the cluster ``kubeconfig`` reaches, with the flags KubernetesCluster's own provider has."""
    return k8s.Provider(f"{name}-k8s", kubeconfig=kubeconfig, enable_server_side_apply=True,
                        enable_config_map_mutable=True, opts=pulumi.ResourceOptions(parent=parent))


def regional_providers(name: str, regions: Iterable[str], parent: pulumi.Resource) -> dict[str, aws.Provider]:
    """One AWS provider per region, named by the region's short code."""
    return {region: aws.Provider(f"{name}-{region_code(region)}-aws", region=region,
                                 opts=pulumi.ResourceOptions(parent=parent))
            for region in regions}


def edge_provider(name: str, parent: pulumi.Resource,
                  regional: Optional[dict[str, aws.Provider]] = None) -> aws.Provider:
    """The us-east-1 provider; the regional one when the origins include us-east-1."""
    if regional and EDGE_REGION in regional:
        return regional[EDGE_REGION]
    return aws.Provider(f"{name}-edge-aws", region=EDGE_REGION, opts=pulumi.ResourceOptions(parent=parent))
