"""``KmsKey``: a customer-managed key with rotation, an alias and an explicit key policy."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Sequence

import pulumi
import pulumi_aws as aws

from tierstack.aws import policies
from tierstack.aws.context import aws_context
from tierstack.documented import documented

# A key's grants depend on account and partition, known only at deploy time.
GrantBuilder = Callable[[str, str], Mapping[str, Any]]


@documented
@dataclass(frozen=True)
class KmsKeyArgs:
    # The key's description, as the KMS console shows it.
    description: str
    # The key's alias, without the "alias/" prefix.
    alias: str
    # Key policy statements for the services that use the key; () grants the account only.
    grants: Sequence[GrantBuilder] = ()
    # Production stacks: keep the key from being deleted.
    protect: bool = False
    # Thirty days is KMS's maximum: the longest window to notice and cancel a deletion.
    deletion_window_days: int = 30


class KmsKey(pulumi.ComponentResource):
    key: aws.kms.Key
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: KmsKeyArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("tierstack:security:KmsKey", name, None, opts)
        context = aws_context(self)
        policy = pulumi.Output.all(context.account_id, context.partition).apply(
            lambda ids: json.dumps(policies.kms_key_policy(ids[0], ids[1], [grant(ids[0], ids[1]) for grant in args.grants]))
        )
        self.key = aws.kms.Key(
            f"{name}-key",
            description=args.description,
            enable_key_rotation=True,
            deletion_window_in_days=args.deletion_window_days,
            policy=policy,
            tags={"Name": name},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/{args.alias}",
            target_key_id=self.key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = self.key.arn
        self.register_outputs({"arn": self.arn})
