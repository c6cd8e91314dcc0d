from tierstack.config.tiers import ZONAL_LABEL
from tierstack.policy.rules.cluster import EKS_CLUSTER, LAUNCH_TEMPLATE, NODE_GROUP

from .fixtures import HIPAA, UNKNOWN_ARRAY_VALUE, UNKNOWN_STRING_VALUE, Case, R, RuleFixtures

PRIVATE_VPC = {"endpointPrivateAccess": True, "endpointPublicAccess": False, "subnetIds": ["a", "b"]}
ENCRYPTION = {"resources": ["secrets"], "provider": {"keyArn": "arn:aws:kms:us-east-1:1:key/k"}}
LOGS = ["api", "audit", "authenticator"]
GOOD_TEMPLATE = {"metadataOptions": {"httpTokens": "required"},
                 "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "volumeSize": 50}}]}


def zonal(pool, subnet, zone):
    return R(NODE_GROUP, {"clusterName": "c", "subnetIds": [subnet],
                          "labels": {"tierstack.io/node-group": pool, ZONAL_LABEL: "true"}}, name=f"{pool}-{zone}")


def cluster(**props):
    return R(EKS_CLUSTER, {"vpcConfig": PRIVATE_VPC, "encryptionConfig": ENCRYPTION, "enabledClusterLogTypes": LOGS,
                           "version": "1.35", **props})


FIXTURES = {
    "eks-private-endpoint": RuleFixtures(
        compliant=[Case([cluster()]),
                   Case([cluster(vpcConfig={**PRIVATE_VPC, "endpointPublicAccess": True,
                                            "publicAccessCidrs": ["203.0.113.0/24"]})], label="scoped public")],
        violating=[Case([cluster(vpcConfig={**PRIVATE_VPC, "endpointPublicAccess": True})], expect="whole internet"),
                   Case([cluster(vpcConfig={"subnetIds": ["a"]})], expect="endpointPrivateAccess"),
                   Case([cluster(vpcConfig={**PRIVATE_VPC, "endpointPublicAccess": True,
                                            "publicAccessCidrs": ["203.0.113.0/24"]})], HIPAA, expect="HIPAA")],
        unknown=[Case([cluster(vpcConfig={**PRIVATE_VPC, "subnetIds": UNKNOWN_ARRAY_VALUE})])],
    ),
    "eks-secrets-encryption": RuleFixtures(
        compliant=[Case([cluster()])],
        violating=[Case([cluster(encryptionConfig=None)], expect="no encryptionConfig"),
                   Case([cluster(encryptionConfig={"resources": [], "provider": {"keyArn": "k"}})], expect="'secrets'")],
        # The key ARN is computed by KMS, so preview sees it unknown: still counts as set.
        unknown=[Case([cluster(encryptionConfig={"resources": ["secrets"], "provider": {"keyArn": UNKNOWN_STRING_VALUE}})])],
    ),
    "eks-control-plane-logging": RuleFixtures(
        compliant=[Case([cluster()]),
                   Case([cluster(enabledClusterLogTypes=[*LOGS, "controllerManager", "scheduler"])], HIPAA)],
        violating=[Case([cluster(enabledClusterLogTypes=["api"])], expect="audit"),
                   Case([cluster()], HIPAA, expect="scheduler")],
    ),
    "eks-supported-version": RuleFixtures(
        compliant=[Case([cluster()]), Case([R(NODE_GROUP, {"version": "1.36", "subnetIds": ["a", "b"]})])],
        violating=[Case([cluster(version="1.27")], expect="1.27")],
        unknown=[Case([cluster(version=UNKNOWN_STRING_VALUE)])],
    ),
    "eks-node-groups-multi-az": RuleFixtures(
        compliant=[Case([R(NODE_GROUP, {"subnetIds": ["a", "b", "c"]})]),
                   Case([zonal("system", "a", "az0")], label="zonal groups are judged as a set")],
        violating=[Case([R(NODE_GROUP, {"subnetIds": ["a"]})], expect="1 subnet")],
        unknown=[Case([R(NODE_GROUP, {"subnetIds": [UNKNOWN_STRING_VALUE, UNKNOWN_STRING_VALUE]})])],
    ),
    "eks-zonal-node-groups-span-azs": RuleFixtures(
        compliant=[Case([zonal("system", "a", "az0"), zonal("system", "b", "az1")]),
                   Case([R(NODE_GROUP, {"subnetIds": ["a", "b"]})], label="not zonal")],
        violating=[Case([zonal("system", "a", "az0"), zonal("workers", "b", "az1")], expect="pool 'system'")],
        unknown=[Case([zonal("system", UNKNOWN_STRING_VALUE, "az0"), zonal("system", UNKNOWN_STRING_VALUE, "az1")])],
    ),
    "eks-no-ssh-to-nodes": RuleFixtures(
        compliant=[Case([R(NODE_GROUP, {"subnetIds": ["a", "b"]})]), Case([R(LAUNCH_TEMPLATE, GOOD_TEMPLATE)])],
        violating=[Case([R(NODE_GROUP, {"subnetIds": ["a", "b"], "remoteAccess": {"ec2SshKey": "ops"}})], expect="SSH"),
                   Case([R(LAUNCH_TEMPLATE, {**GOOD_TEMPLATE, "keyName": "ops"})], expect="key pair")],
        unknown=[Case([R(LAUNCH_TEMPLATE, {**GOOD_TEMPLATE, "imageId": UNKNOWN_STRING_VALUE})])],
    ),
    "ec2-imdsv2-required": RuleFixtures(
        compliant=[Case([R(LAUNCH_TEMPLATE, GOOD_TEMPLATE)])],
        violating=[Case([R(LAUNCH_TEMPLATE, {"metadataOptions": {"httpTokens": "optional"}})], expect="httpTokens"),
                   Case([R(LAUNCH_TEMPLATE, {})], expect="httpTokens")],
    ),
    "ec2-ebs-encrypted": RuleFixtures(
        compliant=[Case([R(LAUNCH_TEMPLATE, GOOD_TEMPLATE)])],
        violating=[Case([R(LAUNCH_TEMPLATE, {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 50}}]})],
                        expect="/dev/xvda")],
        unknown=[Case([R(LAUNCH_TEMPLATE, {"blockDeviceMappings": [{"deviceName": "/dev/xvda",
                                                                    "ebs": {"encrypted": "true", "kmsKeyId": UNKNOWN_STRING_VALUE}}]})])],
    ),
}
