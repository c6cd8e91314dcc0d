"""``AlertTopic``: the SNS topic every alert goes to, encrypted with its own KMS key.

Alertmanager (through its IRSA role), CloudWatch alarms and AWS Budgets publish to it;
subscriptions (email, chat, incident tooling) attach to it. The key policy lets CloudWatch and
Budgets use the key, without which their messages to an encrypted topic are silently dropped.
CloudWatch alarm actions must name a topic in the alarm's own region, so CloudFront's alarms
(us-east-1) need a second topic there when the cell is elsewhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from tierstack.aws.context import aws_context
from tierstack.aws.kms import KmsKey, KmsKeyArgs
from tierstack.documented import documented
from tierstack.observability import policies


@documented
@dataclass(frozen=True)
class AlertTopicArgs:
    # The region the topic is created in (its provider's); scopes the CloudWatch grant.
    region: str
    # The SNS topic's display name (shown in e-mail and SMS alerts).
    display_name: str = "tierstack alerts"
    # Production stacks: keep the topic and its key from being deleted.
    protect: bool = False


class AlertTopic(pulumi.ComponentResource):
    topic: aws.sns.Topic
    arn: pulumi.Output[str]
    key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: AlertTopicArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("tierstack:observability:AlertTopic", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        context = aws_context(self)
        key = KmsKey(f"{name}-key", KmsKeyArgs(
            description=f"Encryption of the {name} alert topic",
            alias=f"tierstack/{name}",
            grants=[lambda account, partition, service=service: policies.topic_key_grant(service)
                    for service in policies.PUBLISHING_SERVICES],
            protect=args.protect), opts=child)
        self.key_arn = key.arn
        self.topic = aws.sns.Topic(
            f"{name}-topic", display_name=args.display_name, kms_master_key_id=key.arn,
            tags={"tierstack.io/topic": "alerts"}, opts=child)
        aws.sns.TopicPolicy(
            f"{name}-policy", arn=self.topic.arn,
            policy=pulumi.Output.all(self.topic.arn, context.account_id, context.partition).apply(
                lambda v: json.dumps(policies.alert_topic_policy(v[0], v[1], v[2], args.region))),
            opts=child)
        self.arn = self.topic.arn
        self.register_outputs({"arn": self.arn, "key_arn": self.key_arn})
