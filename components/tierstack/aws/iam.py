"""``IrsaRole``: an IAM role that exactly one Kubernetes service account can assume."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws

from tierstack.aws import policies
from tierstack.documented import documented


@documented
@dataclass(frozen=True)
class OidcIssuer:
    """The cluster's OIDC provider, as the roles of its service accounts need it."""

    # The IAM OIDC provider's ARN (the trust policy's federated principal).
    provider_arn: pulumi.Input[str]
    # The cluster's OIDC issuer URL (https://oidc.eks...).
    issuer_url: pulumi.Input[str]


@documented
@dataclass(frozen=True)
class IrsaRoleArgs:
    # The cluster's OIDC issuer the role trusts.
    oidc: OidcIssuer
    # The namespace of the service account that may assume the role.
    namespace: str
    # The service account that may assume the role.
    service_account: str
    # Managed policies attached to the role; () attaches none.
    managed_policy_arns: Sequence[pulumi.Input[str]] = ()
    # The role's inline policy document (JSON); None adds none.
    inline_policy: Optional[pulumi.Input[str]] = None


class IrsaRole(pulumi.ComponentResource):
    role: aws.iam.Role
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: IrsaRoleArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("tierstack:security:IrsaRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        trust = pulumi.Output.all(args.oidc.provider_arn, args.oidc.issuer_url).apply(
            lambda v: json.dumps(policies.irsa_trust(v[0], v[1], args.namespace, args.service_account))
        )
        # Named as the component: the role is the component's whole point, and its autoname (the
        # logical name plus 8 characters) must fit IAM's 64.
        self.role = aws.iam.Role(
            name,
            assume_role_policy=trust,
            description=f"IRSA role for {args.namespace}/{args.service_account}",
            opts=child,
        )
        self.attachments = [
            aws.iam.RolePolicyAttachment(f"{name}-attach-{index}", role=self.role.name, policy_arn=arn, opts=child)
            for index, arn in enumerate(args.managed_policy_arns)
        ]
        if args.inline_policy is not None:
            aws.iam.RolePolicy(f"{name}-policy", role=self.role.id, policy=args.inline_policy, opts=child)
        self.arn = self.role.arn
        self.register_outputs({"arn": self.arn})
