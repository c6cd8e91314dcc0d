"""IAM, KMS and SNS policy documents of the observability stack, as plain dicts (pure)."""

from __future__ import annotations

from typing import Any, Sequence

from tierstack.aws.policies import Document, deny_insecure_transport, document

# Services that publish to the alert topic: CloudWatch alarms and AWS Budgets.
PUBLISHING_SERVICES = ("cloudwatch.amazonaws.com", "budgets.amazonaws.com")
# SNS encrypts each message with a data key; a publisher needs both to reach an SSE-KMS topic.
_TOPIC_KEY_ACTIONS = ["kms:GenerateDataKey*", "kms:Decrypt"]


def topic_key_grant(service: str) -> dict[str, Any]:
    """Key policy statement letting a service publish to topics encrypted with this key."""
    return {
        "Sid": f"Publish{service.split('.')[0].capitalize()}",
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": _TOPIC_KEY_ACTIONS,
        "Resource": "*",
    }


def alert_topic_policy(topic_arn: str, account_id: str, partition: str, region: str) -> Document:
    """Who may publish to the alert topic besides the account's own principals.

    CloudWatch alarms and Budgets publish as services, so each is scoped to this account's
    resources (the confused-deputy guard). Publishing without TLS is refused outright.
    """
    own_account = {"aws:SourceAccount": account_id}
    return document(
        {"Sid": "CloudWatchAlarms", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
         "Action": "sns:Publish", "Resource": topic_arn,
         "Condition": {"StringEquals": own_account,
                       "ArnLike": {"aws:SourceArn": f"arn:{partition}:cloudwatch:{region}:{account_id}:alarm:*"}}},
        {"Sid": "Budgets", "Effect": "Allow", "Principal": {"Service": "budgets.amazonaws.com"},
         "Action": "sns:Publish", "Resource": topic_arn,
         "Condition": {"StringEquals": own_account,
                       "ArnLike": {"aws:SourceArn": f"arn:{partition}:budgets::{account_id}:*"}}},
        deny_insecure_transport("sns:Publish", topic_arn),
    )


def secret_arn_pattern(partition: str, region: str, account_id: str, name: str) -> str:
    """Secrets Manager appends six random characters to a secret's name in its ARN."""
    return f"arn:{partition}:secretsmanager:{region}:{account_id}:secret:{name}-??????"


def alertmanager(topic_arn: str, key_arn: str, partition: str, region: str, account_id: str,
                 secret_names: Sequence[str] = ()) -> Document:
    """Alertmanager publishes to the alert topic and reads its receivers' credentials, nothing else."""
    statements: list[dict[str, Any]] = [
        {"Sid": "PublishAlerts", "Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn},
        {"Sid": "EncryptAlerts", "Effect": "Allow", "Action": _TOPIC_KEY_ACTIONS, "Resource": key_arn},
    ]
    if secret_names:
        statements += [
            {"Sid": "ReadReceiverCredentials", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
             "Resource": [secret_arn_pattern(partition, region, account_id, n) for n in secret_names]},
            # The secrets' keys are not known here; decryption is allowed only through Secrets Manager.
            {"Sid": "DecryptReceiverCredentials", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
             "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}}},
        ]
    return document(*statements)


def xray_writer() -> Document:
    """What the collector's X-Ray exporter calls (AWS's AWSXRayDaemonWriteAccess); X-Ray has no resource ARNs."""
    return document({
        "Effect": "Allow",
        "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                   "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"],
        "Resource": "*",
    })


def cloudwatch_reader() -> Document:
    """The CloudWatch exporter: find tagged resources and read their metrics, nothing else."""
    return document({
        "Effect": "Allow",
        "Action": ["tag:GetResources", "cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics",
                   "cloudwatch:ListMetrics"],
        "Resource": "*",
    })
