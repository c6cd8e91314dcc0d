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


def queue_producer(queue_arn: str, key_arn: str) -> Document:
    """Enqueue requests: send only, plus the data key SQS needs to encrypt them."""
    return document(
        {"Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"], "Resource": queue_arn},
        {"Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": key_arn},
    )


def queue_consumer(queue_arn: str, key_arn: str) -> Document:
    """Work the queue: receive, extend and delete, and decrypt the messages."""
    return document(
        {"Effect": "Allow",
         "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes",
                    "sqs:GetQueueUrl"],
         "Resource": queue_arn},
        {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": key_arn},
    )


def queue_depth_reader(queue_arn: str) -> Document:
    """KEDA's operator only reads the queue's attributes (visible and in-flight counts)."""
    return document({"Effect": "Allow", "Action": ["sqs:GetQueueAttributes", "sqs:GetQueueUrl"], "Resource": queue_arn})


def model_invocation(partition: str, region: str, account_id: str) -> Document:
    """Call Bedrock models in the cell's region, directly or through inference profiles."""
    return document({
        "Effect": "Allow",
        "Action": ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"],
        "Resource": [f"arn:{partition}:bedrock:{region}::foundation-model/*",
                     f"arn:{partition}:bedrock:{region}:{account_id}:inference-profile/*"],
    })


def metrics_publisher(namespace: str) -> Document:
    """PutMetricData has no resource ARN; the namespace condition is what scopes it."""
    return document({
        "Effect": "Allow",
        "Action": "cloudwatch:PutMetricData",
        "Resource": "*",
        "Condition": {"StringEquals": {"cloudwatch:namespace": namespace}},
    })


_LBC_TAG = "elbv2.k8s.aws/cluster"


def load_balancer_controller(partition: str) -> Document:
    """The AWS Load Balancer Controller's permissions, following its published policy.

    Matches docs/install/iam_policy.json at the pinned v3.4.2 action for action (SetRulePriorities
    re-orders rules when Ingress paths change; DescribeRouteTables finds subnets by reachability;
    DescribeIpamPools serves IPAM-addressed load balancers).

    Creation is allowed only when the new resource is tagged for a cluster, and changes or
    deletion only on resources that already carry that tag, so the controller cannot touch
    load balancers and security groups it did not create.
    """
    arn = f"arn:{partition}"
    tag_present = {"Null": {f"aws:RequestTag/{_LBC_TAG}": "false"}}
    resource_tagged = {"Null": {f"aws:ResourceTag/{_LBC_TAG}": "false"}}
    retag_own = {"Null": {f"aws:RequestTag/{_LBC_TAG}": "true", f"aws:ResourceTag/{_LBC_TAG}": "false"}}
    lb_arns = [f"{arn}:elasticloadbalancing:*:*:targetgroup/*/*", f"{arn}:elasticloadbalancing:*:*:loadbalancer/net/*/*",
               f"{arn}:elasticloadbalancing:*:*:loadbalancer/app/*/*"]
    return document(
        {"Effect": "Allow", "Action": "iam:CreateServiceLinkedRole", "Resource": "*",
         "Condition": {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}}},
        {"Effect": "Allow", "Resource": "*", "Action": [
            "ec2:DescribeAccountAttributes", "ec2:DescribeAddresses", "ec2:DescribeAvailabilityZones",
            "ec2:DescribeInternetGateways", "ec2:DescribeVpcs", "ec2:DescribeVpcPeeringConnections",
            "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups", "ec2:DescribeInstances",
            "ec2:DescribeNetworkInterfaces", "ec2:DescribeTags", "ec2:DescribeCoipPools", "ec2:GetCoipPoolUsage",
            "ec2:GetSecurityGroupsForVpc", "ec2:DescribeIpamPools", "ec2:DescribeRouteTables",
            "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes",
            "elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeListenerCertificates",
            "elasticloadbalancing:DescribeSSLPolicies", "elasticloadbalancing:DescribeRules",
            "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetGroupAttributes",
            "elasticloadbalancing:DescribeTargetHealth", "elasticloadbalancing:DescribeTags",
            "elasticloadbalancing:DescribeTrustStores", "elasticloadbalancing:DescribeListenerAttributes",
            "elasticloadbalancing:DescribeCapacityReservation"]},
        {"Effect": "Allow", "Resource": "*", "Action": [
            "cognito-idp:DescribeUserPoolClient", "acm:ListCertificates", "acm:DescribeCertificate",
            "iam:ListServerCertificates", "iam:GetServerCertificate",
            "waf-regional:GetWebACL", "waf-regional:GetWebACLForResource", "waf-regional:AssociateWebACL",
            "waf-regional:DisassociateWebACL", "wafv2:GetWebACL", "wafv2:GetWebACLForResource",
            "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL",
            "shield:GetSubscriptionState", "shield:DescribeProtection", "shield:CreateProtection",
            "shield:DeleteProtection"]},
        {"Effect": "Allow", "Resource": "*",
         "Action": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:CreateSecurityGroup"]},
        {"Effect": "Allow", "Action": "ec2:CreateTags", "Resource": f"{arn}:ec2:*:*:security-group/*",
         "Condition": {"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup"}, **tag_present}},
        {"Effect": "Allow", "Action": ["ec2:CreateTags", "ec2:DeleteTags"], "Resource": f"{arn}:ec2:*:*:security-group/*",
         "Condition": retag_own},
        {"Effect": "Allow", "Resource": "*", "Condition": resource_tagged,
         "Action": ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"]},
        {"Effect": "Allow", "Resource": "*", "Condition": tag_present,
         "Action": ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"]},
        {"Effect": "Allow", "Resource": "*", "Action": [
            "elasticloadbalancing:CreateListener", "elasticloadbalancing:DeleteListener",
            "elasticloadbalancing:CreateRule", "elasticloadbalancing:DeleteRule"]},
        {"Effect": "Allow", "Resource": lb_arns, "Condition": retag_own,
         "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"]},
        {"Effect": "Allow", "Action": ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
         "Resource": [f"{arn}:elasticloadbalancing:*:*:listener/net/*/*/*",
                      f"{arn}:elasticloadbalancing:*:*:listener/app/*/*/*",
                      f"{arn}:elasticloadbalancing:*:*:listener-rule/net/*/*/*",
                      f"{arn}:elasticloadbalancing:*:*:listener-rule/app/*/*/*"]},
        {"Effect": "Allow", "Resource": "*", "Condition": resource_tagged, "Action": [
            "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:SetIpAddressType",
            "elasticloadbalancing:SetSecurityGroups", "elasticloadbalancing:SetSubnets",
            "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:ModifyTargetGroup",
            "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:DeleteTargetGroup",
            "elasticloadbalancing:ModifyListenerAttributes", "elasticloadbalancing:ModifyCapacityReservation",
            "elasticloadbalancing:ModifyIpPools"]},
        {"Effect": "Allow", "Action": "elasticloadbalancing:AddTags", "Resource": lb_arns,
         "Condition": {"StringEquals": {"elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"]},
                       **tag_present}},
        {"Effect": "Allow", "Resource": f"{arn}:elasticloadbalancing:*:*:targetgroup/*/*",
         "Action": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"]},
        {"Effect": "Allow", "Resource": "*", "Action": [
            "elasticloadbalancing:SetWebAcl", "elasticloadbalancing:ModifyListener",
            "elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:RemoveListenerCertificates",
            "elasticloadbalancing:ModifyRule", "elasticloadbalancing:SetRulePriorities"]},
    )


def secret_reader(secret_arns: Sequence[str], key_arns: Sequence[str]) -> Document:
    """Read named secrets (and decrypt them with their keys), nothing else in Secrets Manager."""
    return document(
        {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
         "Resource": list(secret_arns)},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": list(key_arns)},
    )


def merge(*documents: Optional[Document]) -> Document:
    """One policy document holding every statement of the given ones."""
    return document(*[s for d in documents if d for s in d["Statement"]])


def deny_insecure_transport(action: str, resources: str | Sequence[str]) -> dict[str, Any]:
    """The statement that refuses any request to ``resources`` not made over TLS."""
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": action,
            "Resource": resources if isinstance(resources, str) else list(resources),
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def database_connect(partition: str, region: str, account_id: str, cluster_resource_ids: Sequence[str],
                     db_users: Sequence[str]) -> Document:
    """Sign in to Aurora clusters as the named database users with IAM database authentication.

    The resource is ``arn:<partition>:rds-db:<region>:<account>:dbuser:<cluster resource id>/<user>``
    (the cluster's resource id, ``cluster-...``, not its name), one per cluster and user, so the
    grant covers exactly these users on exactly these clusters.
    """
    if not cluster_resource_ids or not db_users:
        raise ValueError("rds-db:connect needs at least one cluster and one database user")
    return document({
        "Effect": "Allow",
        "Action": "rds-db:connect",
        "Resource": [f"arn:{partition}:rds-db:{region}:{account_id}:dbuser:{cluster}/{user}"
                     for cluster in cluster_resource_ids for user in db_users],
    })
