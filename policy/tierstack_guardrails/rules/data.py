"""ElastiCache replication groups and RDS / Aurora clusters and instances."""

from __future__ import annotations

from collections import Counter, defaultdict

from pulumi_policy.proxy import UnknownValueError

from tierstack_guardrails.model import Severity, rule, stack_rule
from tierstack_guardrails.props import UNDECIDED, get, has, items, known, tags, truthy

REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
RDS_INSTANCE = "aws:rds/instance:Instance"
SHARD_SET_TAG = "tierstack.io/shard-set"
SHARD_TAG = "tierstack.io/shard"
CACHE_SNAPSHOT_DAYS = {"standard": 1, "hipaa": 7}
DB_BACKUP_DAYS = {"standard": 7, "hipaa": 35}
# The master password property differs between Aurora clusters and single instances.
PASSWORD_PROPERTY = {RDS_CLUSTER: "masterPassword", RDS_INSTANCE: "password"}
# Settings every shard of a set must share, with the value AWS applies when one is omitted.
SHARD_SETTINGS = {"engine": None, "engineVersion": None, "storageEncrypted": False,
                  "backupRetentionPeriod": 1, "deletionProtection": False}


def tag(resource, key: str):
    """A tag value; tag keys contain dots, so they cannot go through a ``get`` path."""
    try:
        return tags(resource.props).get(key)
    except UnknownValueError:
        return UNDECIDED


# --- ElastiCache -----------------------------------------------------------------------------

@rule("elasticache-encryption-at-rest",
      "Cache data and snapshots are encrypted at rest (with a customer-managed KMS key under HIPAA).",
      Severity.HIGH,
      "Set atRestEncryptionEnabled to true; HIPAA stacks also set kmsKeyId to a customer-managed KMS key. "
      "Encryption at rest cannot be turned on in place: the replication group is replaced.",
      REPLICATION_GROUP)
def elasticache_encryption_at_rest(resource, context):
    if not truthy(get(resource.props, "atRestEncryptionEnabled", False)):
        yield "atRestEncryptionEnabled is not true"
    if context.hipaa and not has(resource.props, "kmsKeyId"):
        yield "HIPAA profile: kmsKeyId is not set, so an AWS-owned key encrypts the cache"


@rule("elasticache-encryption-in-transit",
      "Clients reach the cache over TLS only, and must authenticate (AUTH token or RBAC user group).",
      Severity.HIGH,
      "Set transitEncryptionEnabled to true and leave transitEncryptionMode unset or 'required'. Set "
      "userGroupIds (RBAC, preferred), or authTokenWo / authToken from a secret.",
      REPLICATION_GROUP)
def elasticache_encryption_in_transit(resource, context):
    props = resource.props
    if not truthy(get(props, "transitEncryptionEnabled", False)):
        yield "transitEncryptionEnabled is not true"
    elif get(props, "transitEncryptionMode") == "preferred":
        # 'preferred' is a migration state that still accepts plaintext connections.
        yield "transitEncryptionMode is 'preferred', which still accepts plaintext clients"
    if not any(has(props, p) for p in ("authToken", "authTokenWo", "userGroupIds")):
        yield "no authentication: set userGroupIds or an auth token"


@rule("elasticache-multi-az",
      "Replication groups run a replica in another AZ and fail over to it automatically.",
      Severity.HIGH,
      "Set multiAzEnabled and automaticFailoverEnabled to true, with numCacheClusters >= 2 (or, in cluster "
      "mode, replicasPerNodeGroup >= 1).",
      REPLICATION_GROUP)
def elasticache_multi_az(resource, context):
    props = resource.props
    if not truthy(get(props, "multiAzEnabled", False)):
        yield "multiAzEnabled is not true"
    if not truthy(get(props, "automaticFailoverEnabled", False)):
        yield "automaticFailoverEnabled is not true"
    if has(props, "replicasPerNodeGroup"):
        if int(get(props, "replicasPerNodeGroup")) < 1:
            yield "replicasPerNodeGroup is 0: shards have no replica to fail over to"
    elif list(items(props, "nodeGroupConfigurations")):
        if any(int(get(group, "replicaCount", 0)) < 1 for group in items(props, "nodeGroupConfigurations")):
            yield "a node group has no replica to fail over to"
    elif int(get(props, "numCacheClusters", 1) or 1) < 2:  # AWS creates a single node by default
        yield "the group has a single node: numCacheClusters must be at least 2"


@rule("elasticache-snapshot-retention",
      "Automatic cache snapshots are kept for at least a day (a week under HIPAA).",
      Severity.MEDIUM,
      "Set snapshotRetentionLimit to at least 1 (7 for HIPAA stacks); 0 turns automatic backups off.",
      REPLICATION_GROUP)
def elasticache_snapshot_retention(resource, context):
    days = int(get(resource.props, "snapshotRetentionLimit", 0) or 0)
    minimum = CACHE_SNAPSHOT_DAYS[context.profile]
    if days == 0:
        yield "snapshotRetentionLimit is 0: automatic snapshots are off"
    elif days < minimum:
        yield f"snapshot retention of {days} days is below the {context.profile} minimum of {minimum}"


# --- RDS and Aurora --------------------------------------------------------------------------

@rule("rds-storage-encrypted",
      "Database storage, backups and snapshots are encrypted (with a customer-managed KMS key under HIPAA).",
      Severity.CRITICAL,
      "Set storageEncrypted to true; HIPAA stacks also set kmsKeyId to a customer-managed KMS key. An existing "
      "unencrypted database must be restored from an encrypted snapshot copy.",
      RDS_CLUSTER, RDS_INSTANCE)
def rds_storage_encrypted(resource, context):
    if not truthy(get(resource.props, "storageEncrypted", False)):
        yield "storageEncrypted is not true"
    if context.hipaa and not has(resource.props, "kmsKeyId"):
        yield "HIPAA profile: kmsKeyId is not set, so the AWS-managed aws/rds key is used"


@rule("rds-deletion-protection",
      "Production databases cannot be deleted until deletion protection is turned off on purpose.",
      Severity.HIGH,
      "Set deletionProtection to true on production clusters and instances (tierstack: production stacks).",
      RDS_CLUSTER, RDS_INSTANCE)
def rds_deletion_protection(resource, context):
    if context.production and not truthy(get(resource.props, "deletionProtection", False)):
        yield "deletionProtection is not enabled in a production stack"


@rule("rds-backup-retention",
      f"Automated backups are kept at least {DB_BACKUP_DAYS['standard']} days "
      f"({DB_BACKUP_DAYS['hipaa']} under HIPAA), enough to notice and undo a bad write.",
      Severity.HIGH,
      "Set backupRetentionPeriod to at least 7 days (35, the maximum, for HIPAA stacks).",
      RDS_CLUSTER, RDS_INSTANCE)
def rds_backup_retention(resource, context):
    days = get(resource.props, "backupRetentionPeriod")
    minimum = DB_BACKUP_DAYS[context.profile]
    if days is None:
        yield f"backupRetentionPeriod is not set, so AWS keeps 1 day (minimum {minimum})"
    elif int(days) < minimum:
        yield f"backup retention of {int(days)} days is below the {context.profile} minimum of {minimum}"


@rule("rds-final-snapshot",
      "Deleting a production database leaves a named final snapshot behind.",
      Severity.HIGH,
      "In production stacks leave skipFinalSnapshot false and set finalSnapshotIdentifier "
      "(e.g. '<name>-final').",
      RDS_CLUSTER, RDS_INSTANCE)
def rds_final_snapshot(resource, context):
    if not context.production:
        return
    if truthy(get(resource.props, "skipFinalSnapshot", False)):
        yield "skipFinalSnapshot is true: deleting the database discards its data"
    if not has(resource.props, "finalSnapshotIdentifier"):
        yield "finalSnapshotIdentifier is not set, so a delete cannot take its final snapshot"


@rule("rds-not-publicly-accessible",
      "No database gets a public address; under HIPAA the Data API's HTTPS endpoint stays off too.",
      Severity.CRITICAL,
      "Set publiclyAccessible to false and place the database in a private db subnet group (dbSubnetGroupName). "
      "HIPAA stacks set enableHttpEndpoint to false and reach the database only from inside the VPC.",
      RDS_CLUSTER, CLUSTER_INSTANCE, RDS_INSTANCE)
def rds_not_publicly_accessible(resource, context):
    props = resource.props
    if truthy(get(props, "publiclyAccessible", False)):
        yield "publiclyAccessible is true"
    elif (resource.type == RDS_CLUSTER and not str(get(props, "engine", "")).startswith("aurora")
          and not has(props, "publiclyAccessible")
          and known(props, "dbSubnetGroupName") in (None, "", "default")):
        # Multi-AZ DB clusters default to public when they land in the default subnet group.
        yield "publiclyAccessible is unset and there is no private dbSubnetGroupName, so AWS makes it public"
    if context.hipaa and resource.type == RDS_CLUSTER and truthy(get(props, "enableHttpEndpoint", False)):
        yield "HIPAA profile: enableHttpEndpoint exposes the Data API's public HTTPS endpoint"


@rule("rds-no-plaintext-master-password",
      "The master password is not a Pulumi input: RDS keeps it in Secrets Manager, or it is write-only.",
      Severity.HIGH,
      "Remove masterPassword (password on rds.Instance) and set manageMasterUserPassword to true so RDS "
      "stores and rotates it in Secrets Manager; if you must supply it, use masterPasswordWo / passwordWo.",
      RDS_CLUSTER, RDS_INSTANCE)
def rds_no_plaintext_master_password(resource, context):
    prop = PASSWORD_PROPERTY[resource.type]
    # A generated password is unknown during preview, but it will still be stored in state.
    if has(resource.props, prop):
        yield f"{prop} is set: the password is kept in Pulumi state and never rotated"


@rule("rds-iam-authentication",
      "Applications can sign in with short-lived IAM tokens instead of long-lived database passwords.",
      Severity.MEDIUM,
      "Set iamDatabaseAuthenticationEnabled to true and grant rds-db:connect to the workload's IRSA role.",
      RDS_CLUSTER, RDS_INSTANCE)
def rds_iam_authentication(resource, context):
    if not truthy(get(resource.props, "iamDatabaseAuthenticationEnabled", False)):
        yield "iamDatabaseAuthenticationEnabled is not true"


def _required_log_exports(engine: str, hipaa: bool) -> tuple[str, ...]:
    if not engine or "postgres" in engine:  # tierstack's databases are PostgreSQL unless told otherwise
        return ("postgresql",)
    if "mysql" in engine or "mariadb" in engine or engine == "aurora":
        return ("audit", "error") if hipaa else ("error",)
    return ()


@rule("rds-log-exports",
      "Database logs go to CloudWatch ('postgresql' for PostgreSQL; 'error', plus 'audit' under HIPAA, for MySQL).",
      Severity.MEDIUM,
      "Set enabledCloudwatchLogsExports to ['postgresql'] for PostgreSQL engines, or ['error'] for MySQL "
      "engines (['audit', 'error'] in HIPAA stacks, with the audit plugin enabled in the parameter group).",
      RDS_CLUSTER, RDS_INSTANCE)
def rds_log_exports(resource, context):
    enabled = set(items(resource.props, "enabledCloudwatchLogsExports"))
    required = _required_log_exports(str(get(resource.props, "engine", "") or ""), context.hipaa)
    missing = [log for log in required if log not in enabled]
    if missing:
        yield f"log exports not enabled: {', '.join(missing)}"


# --- Stack rules -----------------------------------------------------------------------------
# Cluster ids are unknown during preview, so clusters and instances are matched through what
# the components control: the owning component (parent URN) and tierstack's shard tags.

def _setting(resource, key: str, default):
    value = known(resource.props, key, default)
    if value is UNDECIDED or value is None:
        return value
    if isinstance(default, bool):
        return truthy(value)
    if isinstance(default, int):
        return int(value)
    return str(value)


def _odd_ones_out(members, key, default, shard_set):
    decided = [(m, _setting(m, key, default)) for m in members]
    decided = [(m, v) for m, v in decided if v is not UNDECIDED]
    counts = Counter(v for _, v in decided)
    if len(counts) < 2:
        return
    usual, count = counts.most_common(1)[0]
    for member, value in decided:
        if value != usual:
            yield member, (f"{key} {value!r} differs from {usual!r} used by {count} other member(s) "
                           f"of shard set '{shard_set}'")


def _named(value) -> bool:
    return isinstance(value, str) and value != ""


@stack_rule("aurora-shards-configured-alike",
            f"Aurora clusters tagged with the same {SHARD_SET_TAG} share engine, version, encryption, "
            "backups and deletion protection, and their instances share an instance class.",
            Severity.HIGH,
            f"Create every shard of a set from the same settings (one tierstack database spec per {SHARD_SET_TAG}); "
            "align engine, engineVersion, storageEncrypted, backupRetentionPeriod, deletionProtection and the "
            "instanceClass of their cluster instances.")
def aurora_shards_configured_alike(resources, context):
    shard_sets = defaultdict(list)
    sets_by_parent = defaultdict(set)
    set_by_shard = {}
    for cluster in (r for r in resources if r.type == RDS_CLUSTER):
        shard_set = tag(cluster, SHARD_SET_TAG)
        if not _named(shard_set):
            continue
        shard_sets[shard_set].append(cluster)
        if cluster.parent:
            sets_by_parent[cluster.parent].add(shard_set)
        if _named(tag(cluster, SHARD_TAG)):
            set_by_shard[tag(cluster, SHARD_TAG)] = shard_set

    def set_of(instance):
        if _named(tag(instance, SHARD_SET_TAG)):
            return tag(instance, SHARD_SET_TAG)
        if _named(tag(instance, SHARD_TAG)) and tag(instance, SHARD_TAG) in set_by_shard:
            return set_by_shard[tag(instance, SHARD_TAG)]
        owners = sets_by_parent.get(instance.parent, set()) if instance.parent else set()
        return next(iter(owners)) if len(owners) == 1 else None

    instances = defaultdict(list)
    for instance in (r for r in resources if r.type == CLUSTER_INSTANCE):
        instances[set_of(instance)].append(instance)
    for shard_set, clusters in shard_sets.items():
        for key, default in SHARD_SETTINGS.items():
            yield from _odd_ones_out(clusters, key, default, shard_set)
        yield from _odd_ones_out(instances.get(shard_set, []), "instanceClass", None, shard_set)


@stack_rule("aurora-instances-multi-az",
            "A cluster with two or more instances does not pin them all to one availability zone.",
            Severity.HIGH,
            "Leave availabilityZone unset on cluster instances (RDS spreads them across the subnet group's AZs), "
            "or give the writer and its readers different AZs.")
def aurora_instances_multi_az(resources, context):
    clusters = defaultdict(list)
    for instance in (r for r in resources if r.type == CLUSTER_INSTANCE):
        # Its cluster is the one clusterIdentifier names; while that is unknown, its component's.
        cluster = known(instance.props, "clusterIdentifier")
        if isinstance(cluster, str) and cluster:
            clusters[("cluster", cluster)].append(instance)
            continue
        shard = tag(instance, SHARD_TAG)
        clusters[(instance.parent, shard if _named(shard) else None)].append(instance)
    for members in clusters.values():
        if len(members) < 2:
            continue
        zones = [known(m.props, "availabilityZone") for m in members]
        # An unset or unknown zone may still land elsewhere: only a certain pile-up is reported.
        if any(z is UNDECIDED or not z for z in zones) or len(set(zones)) > 1:
            continue
        yield members[0], f"all {len(members)} instances of this cluster are pinned to {zones[0]}"
