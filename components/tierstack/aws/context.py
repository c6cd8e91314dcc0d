"""Account-level facts a component needs (account id, partition), read through invokes.

Invokes take the calling component as parent so they use its provider, and therefore the
region and account that component deploys into.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class AwsContext:
    account_id: pulumi.Output[str]
    partition: pulumi.Output[str]

    def managed_policy_arn(self, name: str) -> pulumi.Output[str]:
        return pulumi.Output.concat("arn:", self.partition, ":iam::aws:policy/", name)


def aws_context(parent: pulumi.Resource) -> AwsContext:
    opts = pulumi.InvokeOutputOptions(parent=parent)
    identity = aws.get_caller_identity_output(opts=opts)
    partition = aws.get_partition_output(opts=opts)
    return AwsContext(account_id=identity.account_id, partition=partition.partition)
