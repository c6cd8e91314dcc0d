"""IAM and KMS policy documents as plain dicts: pure, so they are unit-tested directly."""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional, Sequence

Document = dict[str, Any]


def document(*statements: Mapping[str, Any]) -> Document:
    return {"Version": "2012-10-17", "Statement": [dict(s) for s in statements]}


def service_trust(service: str, *, actions: Sequence[str] = ("sts:AssumeRole",),
                  condition: Optional[Mapping[str, Any]] = None) -> Document:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service}, "Action": list(actions)}
    if condition:
        statement["Condition"] = dict(condition)
    return document(statement)


def irsa_trust(oidc_provider_arn: str, issuer_url: str, namespace: str, service_account: str) -> Document:
    """Trust for IAM Roles for Service Accounts, scoped to exactly one service account.

    Both the audience and the subject are pinned: without the ``sub`` condition any pod in
    the cluster could assume the role.
    """
    issuer = issuer_url.removeprefix("https://")
    return document({
        "Effect": "Allow",
        "Principal": {"Federated": oidc_provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {
            f"{issuer}:aud": "sts.amazonaws.com",
            f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
        }},
    })


def kms_key_policy(account_id: str, partition: str, grants: Iterable[Mapping[str, Any]] = ()) -> Document:
    """Account-administered key policy plus service grants.

    The root statement delegates to IAM, so roles granted kms:* actions by IAM policy (the EKS
    cluster role, for instance) can use the key; each grant adds a service principal.
    """
    statements: list[Mapping[str, Any]] = [{
        "Sid": "AccountAdministration",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }]
    statements.extend(grants)
    return document(*statements)


def cloudwatch_logs_key_grant(account_id: str, partition: str, region: str) -> Document:
    """The statement that lets CloudWatch Logs in one region encrypt this account's log groups."""
    return {
        "Sid": "CloudWatchLogsEncryption",
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{region}.amazonaws.com"},
        "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        "Resource": "*",
        "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account_id}:*"}},
    }


def key_usage(key_arn: str) -> Document:
    """What the EKS cluster role needs on its secrets key (envelope encryption and grants)."""
    return document({
        "Effect": "Allow",
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
        "Resource": key_arn,
    })


def flow_log_delivery(log_group_arn: str) -> Document:
    return document({
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"],
        "Resource": [log_group_arn, f"{log_group_arn}:*"],
    })


def cluster_autoscaler(cluster_name: str) -> Document:
    """Cluster Autoscaler on AWS: read everywhere, scale only this cluster's node groups.

    EKS tags every managed node group's Auto Scaling group with
    k8s.io/cluster-autoscaler/<cluster>=owned, so the write actions are limited by that tag.
    """
    return document(
        {
            "Sid": "Discover",
            "Effect": "Allow",
            "Action": [
                "autoscaling:DescribeAutoScalingGroups", "autoscaling:DescribeAutoScalingInstances",
                "autoscaling:DescribeLaunchConfigurations", "autoscaling:DescribeScalingActivities",
                "autoscaling:DescribeTags", "ec2:DescribeImages", "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplateVersions", "ec2:GetInstanceTypesFromInstanceRequirements",
                "eks:DescribeNodegroup",
            ],
            "Resource": "*",
        },
        {
            "Sid": "ScaleOwnNodeGroups",
            "Effect": "Allow",
            "Action": ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
            "Resource": "*",
            "Condition": {"StringEquals": {
                f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned",
                "aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true",
            }},
        },
    )
