from tierstack.policy.rules.platform import BUDGET, KMS_KEY, LOG_GROUP, METRIC_ALARM

from .fixtures import HIPAA, PRODUCTION, UNKNOWN_STRING_VALUE, Case, R, RuleFixtures

FIXTURES = {
    "kms-key-rotation": RuleFixtures(
        compliant=[Case([R(KMS_KEY, {"enableKeyRotation": True, "policy": "{}"})])],
        violating=[Case([R(KMS_KEY, {})], expect="enableKeyRotation"), Case([R(KMS_KEY, {"enableKeyRotation": False})])],
        unknown=[Case([R(KMS_KEY, {"enableKeyRotation": True, "policy": UNKNOWN_STRING_VALUE})])],
    ),
    "cloudwatch-log-retention": RuleFixtures(
        compliant=[Case([R(LOG_GROUP, {"retentionInDays": 30})]), Case([R(LOG_GROUP, {"retentionInDays": 365})], HIPAA)],
        violating=[Case([R(LOG_GROUP, {})], expect="forever"), Case([R(LOG_GROUP, {"retentionInDays": 7})], expect="below"),
                   Case([R(LOG_GROUP, {"retentionInDays": 90})], HIPAA, expect="hipaa minimum of 365")],
        unknown=[Case([R(LOG_GROUP, {"retentionInDays": 90, "kmsKeyId": UNKNOWN_STRING_VALUE})])],
    ),
    "cloudwatch-alarm-actions": RuleFixtures(
        compliant=[Case([R(METRIC_ALARM, {"alarmActions": ["arn:aws:sns:us-east-1:1:alerts"]})])],
        violating=[Case([R(METRIC_ALARM, {})], expect="no alarmActions"),
                   Case([R(METRIC_ALARM, {"alarmActions": ["arn"], "actionsEnabled": False})], expect="disabled")],
        unknown=[Case([R(METRIC_ALARM, {"alarmActions": [UNKNOWN_STRING_VALUE]})])],
    ),
    "hipaa-customer-managed-keys": RuleFixtures(
        compliant=[Case([R(LOG_GROUP, {"retentionInDays": 365, "kmsKeyId": "arn:aws:kms:k"})], HIPAA),
                   Case([R(LOG_GROUP, {"retentionInDays": 365})], label="standard profile does not require CMKs")],
        violating=[Case([R(LOG_GROUP, {"retentionInDays": 365})], HIPAA, expect="kmsKeyId"),
                   Case([R("aws:sqs/queue:Queue", {})], HIPAA, expect="kmsMasterKeyId")],
        unknown=[Case([R(LOG_GROUP, {"kmsKeyId": UNKNOWN_STRING_VALUE})], HIPAA)],
    ),
    "stateful-resources-protected": RuleFixtures(
        compliant=[Case([R(KMS_KEY, {}, protect=True)], PRODUCTION), Case([R(KMS_KEY, {})], label="not production")],
        violating=[Case([R("aws:rds/cluster:Cluster", {})], PRODUCTION, expect="not protected"),
                   Case([R(LOG_GROUP, {})], PRODUCTION)],
        unknown=[Case([R(KMS_KEY, {"policy": UNKNOWN_STRING_VALUE}, protect=True)], PRODUCTION)],
    ),
    "budgets-present": RuleFixtures(
        compliant=[Case([R(KMS_KEY, {}), R(BUDGET, {"budgetType": "COST"})]), Case([], label="empty stack")],
        violating=[Case([R(KMS_KEY, {})], expect="no aws.budgets.Budget")],
        unknown=[Case([R(KMS_KEY, {}), R(BUDGET, {"limitAmount": UNKNOWN_STRING_VALUE})])],
    ),
    # The estimate travels on the budget itself, so these are whole cases.
    "budget-below-estimate": RuleFixtures(
        compliant=[Case([R(BUDGET, {"limitAmount": "1500", "timeUnit": "MONTHLY",
                                    "tags": {"tierstack:estimated-monthly-usd": "1200"}})]),
                   Case([R(BUDGET, {"limitAmount": "60", "timeUnit": "DAILY",
                                    "tags": {"tierstack:estimated-monthly-usd": "1200"}})], label="daily, in months"),
                   Case([R(BUDGET, {"limitAmount": "10", "timeUnit": "MONTHLY"})], label="no estimate tag: not judged")],
        violating=[Case([R(BUDGET, {"limitAmount": "1000", "timeUnit": "MONTHLY",
                                    "tags": {"tierstack:estimated-monthly-usd": "1200"}})], expect="below the stack's estimated"),
                   Case([R(BUDGET, {"limitAmount": "30", "timeUnit": "DAILY",
                                    "tags": {"tierstack:estimated-monthly-usd": "1200"}})], expect="daily limit")],
        unknown=[Case([R(BUDGET, {"limitAmount": UNKNOWN_STRING_VALUE, "timeUnit": "MONTHLY",
                                  "tags": {"tierstack:estimated-monthly-usd": "1200"}})])],
    ),
}
