"""The S3 bucket CloudFront writes its standard access logs to.

Standard (legacy) logging writes through a bucket ACL grant that CloudFront adds itself, so
ACLs stay enabled (ownership BucketOwnerPreferred) while every public path is blocked. The
bucket encrypts with the edge's customer-managed key, which must let CloudFront's log
delivery generate data keys (``cloudfront_log_delivery_grant``): the AWS-managed aws/s3 key
cannot be granted to it.
"""

from __future__ import annotations

import json
from typing import Any, Mapping

import pulumi
import pulumi_aws as aws

from tierstack.aws import policies

# Noncurrent versions (an overwrite or delete) stay this long, so a mistake can be undone.
NONCURRENT_DAYS = 30
ABORT_UPLOADS_DAYS = 7


def cloudfront_log_delivery_grant(account_id: str, partition: str) -> Mapping[str, Any]:
    """The key policy statement that lets CloudFront standard logging write SSE-KMS objects.

    Takes (account, partition) like every KmsKey grant; the statement needs neither.
    """
    return {
        "Sid": "CloudFrontLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "delivery.logs.amazonaws.com"},
        "Action": "kms:GenerateDataKey*",
        "Resource": "*",
    }


def access_log_bucket(
    name: str,
    *,
    key_arn: pulumi.Input[str],
    retention_days: int,
    protect: bool,
    parent: pulumi.Resource,
    provider: pulumi.ProviderResource,
) -> tuple[aws.s3.Bucket, list[pulumi.Resource]]:
    """The bucket and the settings CloudFront needs before it can log into it.

    Returns the bucket and the resources the distribution must wait for (ACLs enabled, public
    access blocked). S3 rejects concurrent configuration changes on one bucket, so they chain.
    """
    bucket = aws.s3.Bucket(f"{name}-access-logs", tags={"Name": f"{name}-access-logs"},
                           opts=pulumi.ResourceOptions(parent=parent, provider=provider, protect=protect))

    def after(*resources: pulumi.Resource) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=parent, provider=provider, depends_on=list(resources))

    public_access = aws.s3.BucketPublicAccessBlock(
        f"{name}-access-logs-public-access", bucket=bucket.id,
        block_public_acls=True, block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True,
        opts=after(bucket),
    )
    encryption = aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-access-logs-encryption", bucket=bucket.id,
        rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
            apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="aws:kms", kms_master_key_id=key_arn),
            bucket_key_enabled=True,  # one data key per bucket, not a KMS call per log object
        )],
        opts=after(public_access),
    )
    versioning = aws.s3.BucketVersioning(
        f"{name}-access-logs-versioning", bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        opts=after(encryption),
    )
    # Without an ACL-capable bucket CloudFront cannot add its log-delivery grant; no
    # BucketAcl resource is declared, since one would overwrite that grant on every update.
    ownership = aws.s3.BucketOwnershipControls(
        f"{name}-access-logs-ownership", bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerPreferred"),
        opts=after(versioning),
    )
    tls_only = aws.s3.BucketPolicy(
        f"{name}-access-logs-tls-only", bucket=bucket.id,
        policy=bucket.arn.apply(lambda arn: json.dumps(
            policies.document(policies.deny_insecure_transport("s3:*", [arn, f"{arn}/*"])))),
        opts=after(ownership),
    )
    aws.s3.BucketLifecycleConfiguration(
        f"{name}-access-logs-expiry", bucket=bucket.id,
        rules=[
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="expire-logs", status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=retention_days),
                noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=NONCURRENT_DAYS),
                abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                    days_after_initiation=ABORT_UPLOADS_DAYS),
            ),
            # Expiry leaves delete markers behind on a versioned bucket; clear the orphans.
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="remove-expired-delete-markers", status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(expired_object_delete_marker=True),
            ),
        ],
        opts=after(tls_only),
    )
    return bucket, [public_access, ownership, tls_only]
