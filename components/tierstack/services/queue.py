"""``RequestQueue``: the seed's asynchronous path, an encrypted SQS queue with a dead-letter queue."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from tierstack.aws import policies
from tierstack.aws.kms import KmsKey, KmsKeyArgs
from tierstack.config.model import QueueSettings
from tierstack.documented import documented
from tierstack.monitored import QueuePair

# Fourteen days, SQS's maximum: the longest window to inspect and redrive failed requests.
DEAD_LETTER_RETENTION_SECONDS = 1_209_600


@documented
@dataclass(frozen=True)
class RequestQueueArgs:
    # The queue's settings (retention, visibility timeout, dead-letter redrive).
    settings: QueueSettings
    # Production stacks: keep the queues and their key from being deleted.
    protect: bool = False


class RequestQueue(pulumi.ComponentResource):
    queue: aws.sqs.Queue
    dead_letter_queue: aws.sqs.Queue
    key_arn: pulumi.Output[str]
    url: pulumi.Output[str]
    arn: pulumi.Output[str]
    monitored: QueuePair

    def __init__(self, name: str, args: RequestQueueArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("tierstack:services:RequestQueue", name, None, opts)
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect)
        key = KmsKey(f"{name}-key", KmsKeyArgs(
            description=f"Encryption of queued agent requests in {name}", alias=f"tierstack/{name}",
            protect=args.protect,
        ), opts=pulumi.ResourceOptions(parent=self))
        self.key_arn = key.arn
        encryption = dict(kms_master_key_id=key.arn, kms_data_key_reuse_period_seconds=300)

        self.dead_letter_queue = aws.sqs.Queue(
            f"{name}-dlq", message_retention_seconds=DEAD_LETTER_RETENTION_SECONDS,
            tags={"tierstack.io/queue-role": "dead-letter"}, opts=stateful, **encryption,
        )
        self.queue = aws.sqs.Queue(
            f"{name}-queue",
            visibility_timeout_seconds=args.settings.visibility_timeout_seconds,
            message_retention_seconds=args.settings.message_retention_seconds,
            receive_wait_time_seconds=20,  # long polling: fewer empty receives, lower cost
            redrive_policy=self.dead_letter_queue.arn.apply(lambda arn: json.dumps(
                {"deadLetterTargetArn": arn, "maxReceiveCount": args.settings.max_receive_count})),
            tags={"tierstack.io/queue-role": "requests"},
            opts=stateful, **encryption,
        )
        aws.sqs.RedriveAllowPolicy(
            f"{name}-dlq-sources", queue_url=self.dead_letter_queue.url,
            redrive_allow_policy=self.queue.arn.apply(lambda arn: json.dumps(
                {"redrivePermission": "byQueue", "sourceQueueArns": [arn]})),
            opts=pulumi.ResourceOptions(parent=self),
        )
        for role, queue in (("queue", self.queue), ("dlq", self.dead_letter_queue)):
            aws.sqs.QueuePolicy(f"{name}-{role}-tls-only", queue_url=queue.url,
                                policy=queue.arn.apply(lambda arn: json.dumps(
                                    policies.document(policies.deny_insecure_transport("sqs:*", arn)))),
                                opts=pulumi.ResourceOptions(parent=self))
        self.url = self.queue.url
        self.arn = self.queue.arn
        self.monitored = QueuePair(self.queue.name, self.dead_letter_queue.name)
        self.register_outputs({"url": self.url, "arn": self.arn, "dead_letter_arn": self.dead_letter_queue.arn})
