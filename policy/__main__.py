"""CrossGuard entry point: `pulumi preview --policy-pack policy/ --policy-pack-config <file>`.

The rules are tierstack's own (tierstack.policy.rules), shared with `tierstack plan
--policy-gate`; generate the config file for a stack with `tierstack policy-config --stack S`.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from tierstack.policy.pack import PACK_NAME, build_policies

PolicyPack(
    name=PACK_NAME,
    policies=build_policies(),
    # Each policy sets its own level (mandatory for critical/high); this is only the fallback.
    enforcement_level=EnforcementLevel.ADVISORY,
    description="Guardrails for tierstack platforms: EKS, network, data tier, edge, Kubernetes workloads.",
)
