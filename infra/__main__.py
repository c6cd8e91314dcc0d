"""The tierstack Pulumi program: load the stack's config, build the platform, export outputs."""

import pulumi

from tierstack.config import StackConfigError, load_from_pulumi
from tierstack.naming import platform_name
from tierstack.platform import AgentPlatform, AgentPlatformArgs

try:
    config = load_from_pulumi()
    # Every physical name starts with this, so it is budgeted to keep them all within AWS's limits.
    # The platform refuses a config it cannot build (e.g. budgets it cannot derive) before it
    # registers anything, with the same kind of error.
    platform = AgentPlatform(platform_name(pulumi.get_project(), config.environment), AgentPlatformArgs(config=config))
except StackConfigError as error:
    # RunError prints the message alone: the user needs the key and the fix, not a traceback.
    raise pulumi.RunError(str(error)) from None

pulumi.export("tier", config.tier.value)
pulumi.export("regions", config.regions)
pulumi.export("cells", {
    region: {
        "vpcId": cell.network.vpc_id,
        "privateSubnetIds": cell.network.private_subnet_ids,
        "clusterName": cell.cluster.name,
        "clusterEndpoint": cell.cluster.endpoint,
        "oidcProviderArn": cell.cluster.oidc_provider_arn,
    }
    for region, cell in platform.cells.items()
})
pulumi.export("kubeconfigs", {region: cell.cluster.kubeconfig for region, cell in platform.cells.items()})
# Read by the policy gate (tierstack plan --policy-gate, tierstack policy-config).
pulumi.export("production", config.production)
pulumi.export("complianceProfile", config.compliance_profile)
