"""The agent services on an EKS cluster your team already runs, with its own controllers.

The cluster already has the AWS Load Balancer Controller, KEDA and a custom-metrics server, so
AgentServices installs none of them (ControllerInstalls); it needs the cluster's kubeconfig, its
OIDC provider (for the services' IAM roles) and the public subnets' CIDRs (for the NetworkPolicies
that admit the load balancer).
"""

import pulumi
import pulumi_kubernetes as k8s

from tierstack.aws.iam import OidcIssuer
from tierstack.cluster import ClusterContext
from tierstack.presets import preset_settings
from tierstack.services import AgentServices, AgentServicesArgs, ControllerInstalls
from tierstack.tagging import tagged

config = pulumi.Config("agents")
provider = k8s.Provider("existing-cluster", kubeconfig=config.require_secret("kubeconfig"),
                        enable_server_side_apply=True)
services = AgentServices("agents", AgentServicesArgs(
    settings=preset_settings(config.get("tier") or "growth", "services"),
    # No vpc_id: only the load balancer controller needs it, and this cluster runs its own.
    cluster=ClusterContext(
        name=config.require("clusterName"),
        region=pulumi.Config("aws").require("region"),
        oidc=OidcIssuer(provider_arn=config.require("oidcProviderArn"), issuer_url=config.require("oidcIssuerUrl")),
        provider=provider,
    ),
    load_balancer_cidrs=config.require_object("publicSubnetCidrs"),
    controllers=ControllerInstalls(load_balancer_controller=False, keda=False, prometheus_adapter=False),
), opts=tagged({"Team": "agents"}))
pulumi.export("queueUrl", services.queue.url)
