from tierstack.policy.rules.data import (
    CLUSTER_INSTANCE, RDS_CLUSTER, RDS_INSTANCE, REPLICATION_GROUP, SHARD_SET_TAG, SHARD_TAG,
)

from .fixtures import (
    HIPAA, PRODUCTION, UNKNOWN_NUMBER_VALUE, UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE, Case, R, RuleFixtures,
)

KEY = "arn:aws:kms:us-east-1:111122223333:key/data"
GOOD_CACHE = {"description": "sessions", "engine": "valkey", "nodeType": "cache.r7g.large",
              "atRestEncryptionEnabled": True, "kmsKeyId": KEY, "transitEncryptionEnabled": True,
              "userGroupIds": ["sessions-users"], "multiAzEnabled": True, "automaticFailoverEnabled": True,
              "numCacheClusters": 2, "snapshotRetentionLimit": 7}
GOOD_DB = {"engine": "aurora-postgresql", "engineVersion": "16.4", "storageEncrypted": True, "kmsKeyId": KEY,
           "deletionProtection": True, "backupRetentionPeriod": 35, "skipFinalSnapshot": False,
           "finalSnapshotIdentifier": "orders-final", "manageMasterUserPassword": True,
           "iamDatabaseAuthenticationEnabled": True, "enabledCloudwatchLogsExports": ["postgresql"],
           "dbSubnetGroupName": "orders-db"}
GOOD_INSTANCE = {**GOOD_DB, "engine": "postgres", "instanceClass": "db.m7g.large", "allocatedStorage": 100,
                 "publiclyAccessible": False}


def _props(base, drop, props):
    return {k: v for k, v in {**base, **props}.items() if k not in drop}


def cache(drop=(), **props):
    return R(REPLICATION_GROUP, _props(GOOD_CACHE, drop, props), "sessions")


def db(drop=(), **props):
    return R(RDS_CLUSTER, _props(GOOD_DB, drop, props), "orders")


def instance(drop=(), **props):
    return R(RDS_INSTANCE, _props(GOOD_INSTANCE, drop, props), "ledger")


def member(name="orders-1", parent="urn:orders", **props):
    return R(CLUSTER_INSTANCE, {"engine": "aurora-postgresql", "instanceClass": "db.r7g.large",
                                "clusterIdentifier": UNKNOWN_STRING_VALUE, **props}, name, parent=parent)


def shard(n, shard_set="orders", drop=(), **props):
    tags = {SHARD_SET_TAG: shard_set, SHARD_TAG: f"{shard_set}-{n}"}
    return R(RDS_CLUSTER, _props({**GOOD_DB, "tags": tags}, drop, props), f"{shard_set}-{n}",
             parent=f"urn:{shard_set}-{n}")


def shard_member(n, shard_set="orders", **props):
    return member(f"{shard_set}-{n}-writer", parent=f"urn:{shard_set}-{n}", **props)


FIXTURES = {
    "elasticache-encryption-at-rest": RuleFixtures(
        compliant=[Case([cache()]), Case([cache()], HIPAA),
                   Case([cache(drop=("kmsKeyId",))], label="standard profile accepts the AWS-owned key")],
        violating=[Case([cache(atRestEncryptionEnabled=False)], expect="atRestEncryptionEnabled"),
                   Case([cache(drop=("atRestEncryptionEnabled", "kmsKeyId"))], expect="atRestEncryptionEnabled"),
                   Case([cache(drop=("kmsKeyId",))], HIPAA, expect="HIPAA profile: kmsKeyId")],
        # The key is created in the same stack, so preview sees its ARN unknown: still set.
        unknown=[Case([cache(kmsKeyId=UNKNOWN_STRING_VALUE)], HIPAA)],
    ),
    "elasticache-encryption-in-transit": RuleFixtures(
        compliant=[Case([cache()]),
                   Case([cache(drop=("userGroupIds",), authTokenWo="from-secret", authTokenWoVersion=1)],
                        label="write-only auth token"),
                   Case([cache(transitEncryptionMode="required")])],
        violating=[Case([cache(transitEncryptionEnabled=False)], expect="transitEncryptionEnabled"),
                   Case([cache(transitEncryptionMode="preferred")], expect="preferred"),
                   Case([cache(drop=("userGroupIds",))], expect="no authentication"),
                   Case([cache(drop=("userGroupIds",), authTokenUpdateStrategy="ROTATE")], expect="no authentication",
                        label="an update strategy is not a token")],
        unknown=[Case([cache(drop=("userGroupIds",), authToken=UNKNOWN_STRING_VALUE)]),
                 Case([cache(userGroupIds=[UNKNOWN_STRING_VALUE])])],
    ),
    "elasticache-multi-az": RuleFixtures(
        compliant=[Case([cache()]),
                   Case([cache(drop=("numCacheClusters",), numNodeGroups=3, replicasPerNodeGroup=1)], label="cluster mode"),
                   Case([cache(drop=("numCacheClusters",), nodeGroupConfigurations=[
                       {"nodeGroupId": "0001", "replicaCount": 1}, {"nodeGroupId": "0002", "replicaCount": 2}])],
                        label="per node group")],
        violating=[Case([cache(multiAzEnabled=False)], expect="multiAzEnabled"),
                   Case([cache(drop=("automaticFailoverEnabled",))], expect="automaticFailoverEnabled"),
                   Case([cache(drop=("numCacheClusters",))], expect="single node"),
                   Case([cache(numCacheClusters=1)], expect="single node"),
                   Case([cache(drop=("numCacheClusters",), numNodeGroups=2, replicasPerNodeGroup=0)],
                        expect="replicasPerNodeGroup is 0"),
                   Case([cache(drop=("numCacheClusters",), nodeGroupConfigurations=[{"replicaCount": 0}])],
                        expect="no replica")],
        unknown=[Case([cache(subnetGroupName=UNKNOWN_STRING_VALUE,
                             preferredCacheClusterAzs=[UNKNOWN_STRING_VALUE, UNKNOWN_STRING_VALUE])]),
                 Case([cache(numCacheClusters=UNKNOWN_NUMBER_VALUE)])],
    ),
    "elasticache-snapshot-retention": RuleFixtures(
        compliant=[Case([cache(snapshotRetentionLimit=1)]), Case([cache()], HIPAA)],
        violating=[Case([cache(drop=("snapshotRetentionLimit",))], expect="automatic snapshots are off"),
                   Case([cache(snapshotRetentionLimit=0)], expect="off"),
                   Case([cache(snapshotRetentionLimit=3)], HIPAA, expect="hipaa minimum of 7")],
        unknown=[Case([cache(notificationTopicArn=UNKNOWN_STRING_VALUE)], HIPAA)],
    ),
    "rds-storage-encrypted": RuleFixtures(
        compliant=[Case([db()]), Case([instance()]), Case([db()], HIPAA),
                   Case([db(drop=("kmsKeyId",))], label="standard profile accepts aws/rds")],
        violating=[Case([db(storageEncrypted=False)], expect="storageEncrypted"),
                   Case([instance(drop=("storageEncrypted",))], expect="storageEncrypted"),
                   Case([db(drop=("kmsKeyId",))], HIPAA, expect="HIPAA profile: kmsKeyId")],
        unknown=[Case([db(kmsKeyId=UNKNOWN_STRING_VALUE)], HIPAA)],
    ),
    "rds-deletion-protection": RuleFixtures(
        compliant=[Case([db()], PRODUCTION), Case([instance()], PRODUCTION),
                   Case([db(deletionProtection=False)], label="not production")],
        violating=[Case([db(deletionProtection=False)], PRODUCTION, expect="deletionProtection"),
                   Case([instance(drop=("deletionProtection",))], PRODUCTION, expect="production")],
        unknown=[Case([db(masterUserSecretKmsKeyId=UNKNOWN_STRING_VALUE)], PRODUCTION)],
    ),
    "rds-backup-retention": RuleFixtures(
        compliant=[Case([db(backupRetentionPeriod=7)]), Case([db()], HIPAA), Case([instance(backupRetentionPeriod=14)])],
        violating=[Case([db(drop=("backupRetentionPeriod",))], expect="AWS keeps 1 day"),
                   Case([instance(backupRetentionPeriod=3)], expect="below the standard minimum of 7"),
                   Case([db(backupRetentionPeriod=14)], HIPAA, expect="hipaa minimum of 35")],
        unknown=[Case([db(kmsKeyId=UNKNOWN_STRING_VALUE)], HIPAA)],
    ),
    "rds-final-snapshot": RuleFixtures(
        compliant=[Case([db()], PRODUCTION), Case([instance()], PRODUCTION),
                   Case([db(skipFinalSnapshot=True, drop=("finalSnapshotIdentifier",))], label="not production")],
        violating=[Case([db(skipFinalSnapshot=True)], PRODUCTION, expect="skipFinalSnapshot is true"),
                   Case([instance(drop=("finalSnapshotIdentifier",))], PRODUCTION, expect="finalSnapshotIdentifier")],
        # A name with a generated suffix is unknown in preview, but it is set.
        unknown=[Case([db(finalSnapshotIdentifier=UNKNOWN_STRING_VALUE)], PRODUCTION)],
    ),
    "rds-not-publicly-accessible": RuleFixtures(
        compliant=[Case([member()]), Case([member(publiclyAccessible=False)]), Case([instance()]), Case([db()], HIPAA),
                   Case([db(engine="postgres", dbClusterInstanceClass="db.m6gd.large", publiclyAccessible=False)],
                        label="multi-AZ DB cluster kept private"),
                   Case([db(enableHttpEndpoint=True)], label="Data API outside HIPAA")],
        violating=[Case([member(publiclyAccessible=True)], expect="publiclyAccessible is true"),
                   Case([instance(publiclyAccessible=True)], expect="publiclyAccessible is true"),
                   Case([db(engine="postgres", dbClusterInstanceClass="db.m6gd.large", drop=("dbSubnetGroupName",))],
                        expect="AWS makes it public"),
                   Case([db(enableHttpEndpoint=True)], HIPAA, expect="Data API")],
        unknown=[Case([member(dbSubnetGroupName=UNKNOWN_STRING_VALUE)]),
                 Case([db(engine="postgres", dbClusterInstanceClass="db.m6gd.large",
                          dbSubnetGroupName=UNKNOWN_STRING_VALUE)], HIPAA)],
    ),
    "rds-no-plaintext-master-password": RuleFixtures(
        compliant=[Case([db()]), Case([instance(manageMasterUserPassword=True)]),
                   Case([db(drop=("manageMasterUserPassword",), masterPasswordWo="from-secret", masterPasswordWoVersion=1)],
                        label="write-only password")],
        violating=[Case([db(drop=("manageMasterUserPassword",), masterPassword="hunter2")], expect="masterPassword is set"),
                   # A RandomPassword result is unknown in preview yet still ends up in state.
                   Case([instance(drop=("manageMasterUserPassword",), password=UNKNOWN_STRING_VALUE)],
                        expect="password is set", label="generated password")],
        unknown=[Case([db(masterUserSecretKmsKeyId=UNKNOWN_STRING_VALUE)])],
    ),
    "rds-iam-authentication": RuleFixtures(
        compliant=[Case([db()]), Case([instance()])],
        violating=[Case([db(drop=("iamDatabaseAuthenticationEnabled",))], expect="iamDatabaseAuthenticationEnabled"),
                   Case([instance(iamDatabaseAuthenticationEnabled=False)])],
        unknown=[Case([db(kmsKeyId=UNKNOWN_STRING_VALUE)])],
    ),
    "rds-log-exports": RuleFixtures(
        compliant=[Case([db()]), Case([db()], HIPAA), Case([instance(enabledCloudwatchLogsExports=["postgresql", "upgrade"])]),
                   Case([db(engine="aurora-mysql", enabledCloudwatchLogsExports=["error", "slowquery"])]),
                   Case([db(engine="aurora-mysql", enabledCloudwatchLogsExports=["audit", "error"])], HIPAA),
                   Case([instance(engine="sqlserver-se", drop=("enabledCloudwatchLogsExports",))],
                        label="engines without a required export")],
        violating=[Case([db(enabledCloudwatchLogsExports=[])], expect="postgresql"),
                   Case([instance(drop=("enabledCloudwatchLogsExports",))], expect="postgresql"),
                   Case([db(engine="aurora-mysql", enabledCloudwatchLogsExports=["error"])], HIPAA, expect="audit")],
        unknown=[Case([db(kmsKeyId=UNKNOWN_STRING_VALUE)])],
    ),
    "aurora-shards-configured-alike": RuleFixtures(
        compliant=[Case([shard(0), shard(1), shard(2), shard_member(0), shard_member(1), shard_member(2),
                         shard_member(2, availabilityZone="us-east-1b")]),
                   Case([shard(0), shard(0, shard_set="events", engineVersion="15.8", backupRetentionPeriod=7),
                         shard_member(0), shard_member(0, shard_set="events", instanceClass="db.r7g.xlarge")],
                        label="different shard sets may differ"),
                   Case([db(engineVersion="15.8"), db()], label="untagged clusters are not shards"),
                   Case([shard(0, drop=("backupRetentionPeriod",)), shard(1, backupRetentionPeriod=1)],
                        label="an omitted setting is AWS's default")],
        violating=[Case([shard(0), shard(1), shard(2, engineVersion="15.8")],
                        expect="engineVersion '15.8' differs from '16.4' used by 2 other member(s) of shard set 'orders'"),
                   Case([shard(0), shard(1, storageEncrypted=False)], expect="storageEncrypted"),
                   Case([shard(0), shard(1), shard(2, deletionProtection=False)], expect="deletionProtection"),
                   Case([shard(0), shard(1), shard(2, backupRetentionPeriod=7)], expect="backupRetentionPeriod 7"),
                   Case([shard(0), shard(1), shard_member(0), shard_member(1), shard_member(1, instanceClass="db.r7g.4xlarge")],
                        expect="instanceClass 'db.r7g.4xlarge'"),
                   Case([shard(0), shard(1), shard(2), shard_member(0), shard_member(1),
                         member("stray", parent="urn:elsewhere", instanceClass="db.t4g.medium",
                                tags={SHARD_TAG: "orders-2"})],
                        expect="instanceClass 'db.t4g.medium'", label="instance matched by shard tag")],
        unknown=[Case([shard(0), shard(1, engineVersion=UNKNOWN_STRING_VALUE), shard_member(0),
                       shard_member(1, instanceClass=UNKNOWN_STRING_VALUE)]),
                 Case([shard(0), shard(1), R(RDS_CLUSTER, {**GOOD_DB, "tags": UNKNOWN_OBJECT_VALUE}, "orders-x")])],
    ),
    "aurora-instances-multi-az": RuleFixtures(
        compliant=[Case([member("w", availabilityZone="us-east-1a"), member("r", availabilityZone="us-east-1b")]),
                   Case([member("w"), member("r")], label="RDS places instances without an AZ"),
                   Case([member("w", availabilityZone="us-east-1a", parent="urn:a"),
                         member("w", availabilityZone="us-east-1a", parent="urn:b")], label="one instance per cluster"),
                   Case([member("w", availabilityZone="us-east-1a"), member("r", availabilityZone="us-east-1a"),
                         member("r2")], label="an unpinned reader may land elsewhere")],
        violating=[Case([member("w", availabilityZone="us-east-1a"), member("r1", availabilityZone="us-east-1a"),
                         member("r2", availabilityZone="us-east-1a")], expect="all 3 instances of this cluster are pinned")],
        unknown=[Case([member("w", availabilityZone="us-east-1a"), member("r", availabilityZone=UNKNOWN_STRING_VALUE)]),
                 Case([member("w", availabilityZone="us-east-1a", tags=UNKNOWN_OBJECT_VALUE),
                       member("r", availabilityZone="us-east-1b")])],
    ),
}
