"""Cross-cutting guardrails: KMS, logs, alarms, budgets and protection of stateful resources."""

from __future__ import annotations

from tierstack_guardrails.model import Severity, rule, stack_rule
from tierstack_guardrails.props import get, has, items, truthy

KMS_KEY = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
BUDGET = "aws:budgets/budget:Budget"
STANDARD_MIN_RETENTION = 30
HIPAA_MIN_RETENTION = 365

# Resources whose deletion loses data or the ability to read it.
STATEFUL_TYPES = (
    "aws:eks/cluster:Cluster",
    "aws:kms/key:Key",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:rds/cluster:Cluster",
    "aws:rds/globalCluster:GlobalCluster",
    "aws:rds/instance:Instance",
    "aws:elasticache/replicationGroup:ReplicationGroup",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "aws:secretsmanager/secret:Secret",
    "aws:dynamodb/table:Table",
    "aws:sqs/queue:Queue",
)

# Resources that take a customer-managed key, and the property that names it.
KMS_KEY_PROPERTIES = {
    LOG_GROUP: "kmsKeyId",
    "aws:sqs/queue:Queue": "kmsMasterKeyId",
    "aws:sns/topic:Topic": "kmsMasterKeyId",
    "aws:secretsmanager/secret:Secret": "kmsKeyId",
    "aws:elasticache/replicationGroup:ReplicationGroup": "kmsKeyId",
    "aws:rds/cluster:Cluster": "kmsKeyId",
}


@rule("kms-key-rotation",
      "Customer-managed KMS keys rotate their key material yearly.",
      Severity.HIGH,
      "Set enableKeyRotation to true (tierstack's KmsKey always does).",
      KMS_KEY)
def kms_key_rotation(resource, context):
    if not truthy(get(resource.props, "enableKeyRotation", False)):
        yield "enableKeyRotation is not true"


@rule("cloudwatch-log-retention",
      f"Log groups expire logs on a schedule: at least {STANDARD_MIN_RETENTION} days "
      f"({HIPAA_MIN_RETENTION} under HIPAA), never 'forever' by omission.",
      Severity.MEDIUM,
      "Set retentionInDays to an allowed CloudWatch value at or above the profile's minimum.",
      LOG_GROUP)
def cloudwatch_log_retention(resource, context):
    days = get(resource.props, "retentionInDays")
    minimum = HIPAA_MIN_RETENTION if context.hipaa else STANDARD_MIN_RETENTION
    if not days:
        yield "no retentionInDays: logs are kept forever and billed forever"
    elif int(days) < minimum:
        yield f"retention of {int(days)} days is below the {context.profile} minimum of {minimum}"


@rule("cloudwatch-alarm-actions",
      "Every alarm notifies someone when it fires.",
      Severity.MEDIUM,
      "Set alarmActions to the alert SNS topic and leave actionsEnabled true.",
      METRIC_ALARM)
def cloudwatch_alarm_actions(resource, context):
    if not list(items(resource.props, "alarmActions")):
        yield "alarm has no alarmActions"
    if get(resource.props, "actionsEnabled", True) is False:
        yield "alarm actions are disabled"


@rule("hipaa-customer-managed-keys",
      "Under HIPAA, every resource that can be encrypted with a customer-managed KMS key is.",
      Severity.HIGH,
      "Set the resource's KMS key property (kmsKeyId / kmsMasterKeyId) to a customer-managed key.",
      *KMS_KEY_PROPERTIES, profiles=("hipaa",))
def hipaa_customer_managed_keys(resource, context):
    prop = KMS_KEY_PROPERTIES[resource.type]
    if not has(resource.props, prop):
        yield f"{prop} is not set, so AWS-owned keys are used"


@rule("stateful-resources-protected",
      "In production stacks, stateful resources are protected from deletion by Pulumi.",
      Severity.CRITICAL,
      "Set tierstack:production to true for production stacks (components then set protect=True), or pass "
      "protect=True in ResourceOptions when composing components yourself.",
      *STATEFUL_TYPES)
def stateful_resources_protected(resource, context):
    if context.production and not resource.protect:
        yield "stateful resource is not protected in a production stack"


@stack_rule("budgets-present",
            "The stack defines at least one AWS Budget so spend has a ceiling someone is told about.",
            Severity.MEDIUM,
            "Add an aws.budgets.Budget with notifications to the alert topic (tierstack's observability stack "
            "creates daily and monthly budgets).")
def budgets_present(resources, context):
    anchors = sorted((r for r in resources if r.type.startswith("aws:") and r.type != BUDGET), key=lambda r: r.urn)
    if anchors and not any(r.type == BUDGET for r in resources):
        yield anchors[0], "no aws.budgets.Budget in the stack"
