"""What the real engine, pulumi-aws and AWS do with a change to a live resource.

Pure data and predicates (no pulumi imports), one table per question, a source beside every
entry. ``tierstack.tooling.diff`` reads them to say whether applying a plan to a live stack is
safe; nothing here knows about tierstack's components.

- ``REPLACE_ON_CHANGE``: per type token, the input paths (Pulumi property paths, camelCase as
  pulumi-aws names them) whose change makes the provider *replace* the resource. pulumi-aws is
  bridged from terraform-provider-aws and inherits its ``ForceNew`` attributes and
  ``CustomizeDiff`` force-new rules; the source is the resource's schema in that repository
  (``internal/service/<svc>/<file>.go``, read at the provider's main branch, which pulumi-aws 7.x
  tracks) or, for Kubernetes, pulumi-kubernetes's ``forceNewProperties``.
- ``FORBIDDEN_IN_PLACE``: in-place transitions the provider or AWS refuses (the update fails
  half-way) or turns into a one-way migration, as predicates over the before and after inputs.
- ``STATEFUL``: types whose replacement or deletion loses data (or the ability to read it).
- ``PHYSICAL_NAME``: the input that is the resource's unique name in AWS, so a replacement that
  keeps it, or a delete plus create that reuses it, collides (Pulumi creates before it deletes).
- ``WRITE_ONLY_SUFFIX``: write-only inputs, which are never stored nor diffed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional

TF = "https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/"
PULUMI_K8S_FORCE_NEW = ("https://github.com/pulumi/pulumi-kubernetes/blob/master/provider/pkg/provider/diff.go "
                        "(forceNewProperties)")

Inputs = Mapping[str, Any]


@dataclass(frozen=True)
class ReplaceRule:
    """A change at ``path`` (``*`` matches any list index) replaces the resource.

    ``when(before_value, after_value, before_inputs, after_inputs)`` narrows a conditional
    force-new (a ``CustomizeDiff`` rule); without it any change replaces. ``unless_provider``
    names a setting of the resource's provider that, when true, makes the change in place.
    """

    path: str
    source: str
    when: Optional[Callable[[Any, Any, Inputs, Inputs], bool]] = None
    note: str = ""
    unless_provider: str = ""

    def applies(self, provider_inputs: Inputs) -> bool:
        return not (self.unless_provider and _truthy(provider_inputs.get(self.unless_provider)))


@dataclass(frozen=True)
class Forbidden:
    """An in-place transition AWS or the provider does not accept as one update.

    ``check(before_inputs, after_inputs)`` returns the reason when the transition is present.
    ``severity`` is ``"refused"`` (the update fails or is rejected; unsafe) or ``"disruptive"``
    (AWS accepts it, but it is a one-way step or breaks clients while it runs; reported, not
    blocking).
    """

    name: str
    check: Callable[[Inputs, Inputs], Optional[str]]
    source: str
    severity: str = "refused"
    fix: str = ""


# -- helpers ---------------------------------------------------------------------------------

def _version(value: Any) -> Optional[tuple[int, ...]]:
    """``"16.13"`` -> ``(16, 13)``; ``None`` for anything that is not a dotted version."""
    if not isinstance(value, str):
        return None
    numbers = re.findall(r"\d+", value)
    return tuple(int(n) for n in numbers) if numbers else None


def _is_downgrade(before: Any, after: Any) -> bool:
    old, new = _version(before), _version(after)
    if old is None or new is None:
        return False
    width = min(len(old), len(new))
    return new[:width] < old[:width]


def _major(value: Any) -> Optional[int]:
    version = _version(value)
    return version[0] if version else None


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "yes"))


def _present(value: Any) -> bool:
    return value not in (None, "", [], {})


def _parameters(inputs: Inputs) -> dict[str, str]:
    """A parameter group's ``parameters`` list as name -> value (names are case-insensitive)."""
    found: dict[str, str] = {}
    for entry in inputs.get("parameters") or []:
        if isinstance(entry, Mapping) and "name" in entry:
            found[str(entry["name"]).lower()] = str(entry.get("value"))
    return found


# -- REPLACE_ON_CHANGE -------------------------------------------------------------------------

_RDS_CLUSTER = TF + "rds/cluster.go"
_RDS_INSTANCE = TF + "rds/cluster_instance.go"
_RDS_GLOBAL = TF + "rds/global_cluster.go"
_EC_GROUP = TF + "elasticache/replication_group.go"
_EC_VERSIONS = TF + "elasticache/engine_version.go (customizeDiffEngine*ForceNewOnDowngrade)"
_EKS_CLUSTER = TF + "eks/cluster.go"
_EKS_NODES = TF + "eks/node_group.go"


def _engine_change_replaces(before: Any, after: Any, _b: Inputs, _a: Inputs) -> bool:
    # redis -> valkey is an in-place engine upgrade; every other engine change forces new.
    return not (before == "redis" and after == "valkey")


def _transit_encryption_replaces(_before: Any, _after: Any, before_inputs: Inputs, _a: Inputs) -> bool:
    # Before Redis OSS 7.0.5 transit encryption can only be set at creation.
    version = _version(before_inputs.get("engineVersion"))
    return version is not None and before_inputs.get("engine", "redis") == "redis" and version < (7, 0, 5)


def _encryption_removed(before: Any, after: Any, _b: Inputs, _a: Inputs) -> bool:
    # Envelope encryption cannot be disabled once enabled; removing it forces a new cluster.
    return _present(before) and not _present(after)


def _non_aurora(_before: Any, _after: Any, _b: Inputs, after_inputs: Inputs) -> bool:
    return not str(after_inputs.get("engine", "")).startswith("aurora")


REPLACE_ON_CHANGE: dict[str, tuple[ReplaceRule, ...]] = {
    # ForceNew in the aws_rds_cluster schema. dbSubnetGroupName is ForceNew (checked);
    # globalClusterIdentifier is NOT (the update path refuses instead, see FORBIDDEN_IN_PLACE).
    "aws:rds/cluster:Cluster": tuple(ReplaceRule(p, _RDS_CLUSTER) for p in (
        "clusterIdentifier", "clusterIdentifierPrefix", "engine", "engineMode", "databaseName", "masterUsername",
        "storageEncrypted", "kmsKeyId", "availabilityZones", "snapshotIdentifier", "dbSubnetGroupName",
        "dbSystemId", "sourceRegion", "clusterScalabilityType", "restoreToPointInTime", "s3Import",
    )) + (ReplaceRule("storageType", _RDS_CLUSTER + " (CustomizeDiff: ForceNewIf storage_type for non-Aurora)",
                      when=_non_aurora),),
    # The data lives in the cluster volume, so replacing an instance loses none (see STATEFUL).
    "aws:rds/clusterInstance:ClusterInstance": tuple(ReplaceRule(p, _RDS_INSTANCE) for p in (
        "identifier", "identifierPrefix", "clusterIdentifier", "engine", "availabilityZone", "dbSubnetGroupName",
        "customIamInstanceProfile",
    )),
    "aws:rds/globalCluster:GlobalCluster": tuple(ReplaceRule(p, _RDS_GLOBAL) for p in (
        "globalClusterIdentifier", "engine", "databaseName", "storageEncrypted", "sourceDbClusterIdentifier",
    )),
    # ForceNew in aws_elasticache_replication_group: replicationGroupId, atRestEncryptionEnabled,
    # kmsKeyId, subnetGroupName, port (all checked); engine is not ForceNew but a CustomizeDiff
    # forces new on any engine change except redis -> valkey, and engineVersion on a downgrade.
    "aws:elasticache/replicationGroup:ReplicationGroup": tuple(ReplaceRule(p, _EC_GROUP) for p in (
        "replicationGroupId", "atRestEncryptionEnabled", "kmsKeyId", "subnetGroupName", "port",
        "dataTieringEnabled", "globalReplicationGroupId", "networkType", "securityGroupNames", "snapshotArns",
        "snapshotName",
    )) + (
        ReplaceRule("engine", _EC_VERSIONS, when=_engine_change_replaces, note="engine change other than redis -> valkey"),
        ReplaceRule("engineVersion", _EC_VERSIONS, when=lambda b, a, _x, _y: _is_downgrade(b, a),
                    note="engine version downgrade"),
        ReplaceRule("transitEncryptionEnabled", _EC_GROUP + " (CustomizeDiff: ForceNewIf before Redis OSS 7.0.5)",
                    when=_transit_encryption_replaces),
    ),
    "aws:elasticache/parameterGroup:ParameterGroup": tuple(ReplaceRule(p, TF + "elasticache/parameter_group.go")
                                                           for p in ("name", "family", "description")),
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": tuple(
        ReplaceRule(p, TF + "rds/cluster_parameter_group.go") for p in ("name", "namePrefix", "family", "description")),
    "aws:kms/key:Key": tuple(ReplaceRule(p, TF + "kms/key.go") for p in (
        "keyUsage", "customerMasterKeySpec", "multiRegion", "customKeyStoreId", "xksKeyId")),
    "aws:ec2/vpc:Vpc": tuple(ReplaceRule(p, TF + "ec2/vpc_.go") for p in (
        "cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength")),
    "aws:ec2/subnet:Subnet": tuple(ReplaceRule(p, TF + "ec2/vpc_subnet.go") for p in (
        "vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId", "ipv4IpamPoolId", "ipv4NetmaskLength",
        "ipv6IpamPoolId", "ipv6Native", "ipv6NetmaskLength", "outpostArn")),
    # From the aws_s3_bucket documentation ("Forces new resource"); the schema was not re-read.
    "aws:s3/bucket:Bucket": tuple(ReplaceRule(p, TF + "s3/bucket.go (schema not re-read; registry docs)")
                                  for p in ("bucket", "bucketPrefix", "objectLockEnabled")),
    "aws:s3/bucketV2:BucketV2": tuple(ReplaceRule(p, TF + "s3/bucket.go (schema not re-read; registry docs)")
                                      for p in ("bucket", "bucketPrefix", "objectLockEnabled")),
    "aws:sqs/queue:Queue": tuple(ReplaceRule(p, TF + "sqs/queue.go") for p in ("name", "namePrefix", "fifoQueue")),
    # Read for the types whose tags, limits and notifications change as a stack grows: their
    # updates (tags through the tagging API, notifications by delete and create, PutMetricAlarm)
    # are in place; only these identities are ForceNew.
    "aws:budgets/budget:Budget": tuple(ReplaceRule(p, TF + "budgets/budget.go")
                                       for p in ("name", "namePrefix", "accountId")),
    "aws:appautoscaling/target:Target": tuple(ReplaceRule(p, TF + "appautoscaling/target.go")
                                              for p in ("resourceId", "scalableDimension", "serviceNamespace")),
    "aws:cloudwatch/metricAlarm:MetricAlarm": (ReplaceRule("name", TF + "cloudwatch/metric_alarm.go (alarm_name)"),),
    "aws:secretsmanager/secret:Secret": tuple(ReplaceRule(p, TF + "secretsmanager/secret.go")
                                              for p in ("name", "namePrefix")),
    "aws:cloudwatch/logGroup:LogGroup": tuple(ReplaceRule(p, TF + "logs/group.go")
                                              for p in ("name", "namePrefix", "logGroupClass")),
    # vpcConfig.subnetIds and securityGroupIds are NOT ForceNew any more: EKS updates them in place
    # (UpdateClusterConfig), checked in the current schema.
    "aws:eks/cluster:Cluster": tuple(ReplaceRule(p, _EKS_CLUSTER) for p in (
        "name", "roleArn", "bootstrapSelfManagedAddons", "accessConfig.bootstrapClusterCreatorAdminPermissions",
        "kubernetesNetworkConfig.ipFamily", "kubernetesNetworkConfig.serviceIpv4Cidr", "outpostConfig",
        "remoteNetworkConfig",
    )) + (ReplaceRule("encryptionConfig", _EKS_CLUSTER + " (CustomizeDiff: ForceNewIfChange encryption_config removed)",
                      when=_encryption_removed, note="envelope encryption removed"),),
    "aws:eks/nodeGroup:NodeGroup": tuple(ReplaceRule(p, _EKS_NODES) for p in (
        "nodeGroupName", "nodeGroupNamePrefix", "clusterName", "nodeRoleArn", "subnetIds", "amiType",
        "capacityType", "instanceTypes", "diskSize", "launchTemplate.id", "launchTemplate.name", "remoteAccess",
    )),
    # Schemas not re-read here: name / name_prefix are ForceNew per the registry docs.
    "aws:rds/subnetGroup:SubnetGroup": tuple(ReplaceRule(p, TF + "rds/subnet_group.go (not re-read; registry docs)")
                                             for p in ("name", "namePrefix")),
    "aws:elasticache/subnetGroup:SubnetGroup": (
        ReplaceRule("name", TF + "elasticache/subnet_group.go (not re-read; registry docs)"),),
    # pulumi-kubernetes replaces a claim on any spec change it cannot patch (the stored version of
    # forceNewProperties lists .spec and every field below; newer Kubernetes allows expanding
    # resources.requests.storage in place when the StorageClass allows it, which we do not model).
    "kubernetes:core/v1:PersistentVolumeClaim": tuple(ReplaceRule(p, PULUMI_K8S_FORCE_NEW) for p in (
        "spec.storageClassName", "spec.accessModes", "spec.selector", "spec.volumeName", "spec.resources",
    )),
    # pulumi-kubernetes treats ConfigMaps as immutable (new object, then delete) unless the
    # provider sets enableConfigMapMutable, which KubernetesCluster's provider does.
    "kubernetes:core/v1:ConfigMap": tuple(ReplaceRule(p, PULUMI_K8S_FORCE_NEW, unless_provider="enableConfigMapMutable")
                                          for p in ("data", "binaryData")),
    "kubernetes:apps/v1:Deployment": (ReplaceRule("spec.selector", PULUMI_K8S_FORCE_NEW),),
    "kubernetes:apps/v1:StatefulSet": tuple(ReplaceRule(p, PULUMI_K8S_FORCE_NEW) for p in (
        "spec.selector", "spec.serviceName", "spec.volumeClaimTemplates", "spec.podManagementPolicy")),
    "kubernetes:batch/v1:Job": tuple(ReplaceRule(p, PULUMI_K8S_FORCE_NEW) for p in (
        "spec.template", "spec.selector", "spec.completions", "spec.parallelism")),
    "kubernetes:storage.k8s.io/v1:StorageClass": tuple(ReplaceRule(p, PULUMI_K8S_FORCE_NEW)
                                                       for p in ("parameters", "provisioner")),
}

# Every Kubernetes object is replaced when its name or namespace changes.
KUBERNETES_REPLACE_ON_CHANGE: tuple[ReplaceRule, ...] = (
    ReplaceRule("metadata.name", PULUMI_K8S_FORCE_NEW), ReplaceRule("metadata.namespace", PULUMI_K8S_FORCE_NEW))


def replace_rules(type_token: str) -> tuple[ReplaceRule, ...]:
    rules = REPLACE_ON_CHANGE.get(type_token, ())
    if type_token.startswith("kubernetes:") and not type_token.startswith("kubernetes:helm.sh/"):
        rules = KUBERNETES_REPLACE_ON_CHANGE + rules
    return rules


# -- FORBIDDEN_IN_PLACE ------------------------------------------------------------------------

_CLUSTER_MODE_DOC = "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/modify-cluster-mode.html"


def _cluster_mode(before: Inputs, after: Inputs) -> Optional[str]:
    old = before.get("clusterMode") or "disabled"
    new = after.get("clusterMode") or "disabled"
    if old == new:
        return None
    if old == "disabled" and new == "enabled":
        return ("clusterMode disabled -> enabled in one update: ElastiCache only migrates through 'compatible' "
                "(a separate step, clients moved to the configuration endpoint in between); the update is refused")
    if old == "enabled":
        return f"clusterMode enabled -> {new}: cluster mode cannot be turned back off"
    if old == "compatible" and new == "disabled":
        return "clusterMode compatible -> disabled: reverting the migration is not supported (unconfirmed for 'compatible')"
    if old == "disabled" and new == "compatible":
        moving = sorted(k for k in set(before) | set(after)
                        if k not in ("clusterMode", "parameterGroupName", "tags", "tagsAll")
                        and before.get(k) != after.get(k) and not k.endswith("Wo"))
        if moving:
            return ("clusterMode disabled -> compatible together with " + ", ".join(moving) + ": while the cluster "
                    "mode changes, ModifyReplicationGroup accepts no other change except the parameter group")
    return None


def _cluster_mode_compatible(before: Inputs, after: Inputs) -> Optional[str]:
    if (before.get("clusterMode") or "disabled") == "disabled" and after.get("clusterMode") == "compatible":
        return ("clusterMode disabled -> compatible starts a one-way migration to cluster mode: clients must move to "
                "the configuration endpoint and the cluster protocol before 'enabled'")
    return None


def _shard_layout_on_unclustered(before: Inputs, after: Inputs) -> Optional[str]:
    was_unclustered = (before.get("clusterMode") or "disabled") == "disabled" and "numNodeGroups" not in before
    if was_unclustered and "numNodeGroups" in after and after.get("numNodeGroups") != before.get("numNodeGroups"):
        return ("numCacheClusters -> numNodeGroups on a group without cluster mode: the provider calls "
                "ModifyReplicationGroupShardConfiguration, which a cluster-mode-disabled group rejects")
    return None


def _cluster_enabled_parameter(before: Inputs, after: Inputs) -> Optional[str]:
    old = _parameters(before).get("cluster-enabled", "no")
    new = _parameters(after).get("cluster-enabled", "no")
    if old != new:
        return (f"parameter cluster-enabled {old} -> {new} in place: ModifyCacheParameterGroup answers "
                "'InvalidParameterValue: The parameter cluster-enabled cannot be modified'")
    return None


def _family_changes(before: Inputs, after: Inputs) -> Optional[str]:
    if before.get("family") and after.get("family") and before["family"] != after["family"]:
        return (f"family {before['family']} -> {after['family']}: pulumi-aws replaces the group, but the clusters "
                "using it only accept a group of their engine's family, so the new group cannot be attached "
                "without a major engine upgrade in the same step (which this stack leaves to AWS), and the old "
                "group cannot be deleted while in use")
    return None


def _joins_global_cluster(before: Inputs, after: Inputs) -> Optional[str]:
    old, new = before.get("globalClusterIdentifier") or "", after.get("globalClusterIdentifier") or ""
    if old == new:
        return None
    if not old:
        return ("an existing cluster gains globalClusterIdentifier: the provider stops with 'existing RDS Clusters "
                "cannot be added to an existing RDS Global Cluster'")
    if new:
        return ("globalClusterIdentifier changes: 'existing RDS Clusters cannot be migrated between existing RDS "
                "Global Clusters'")
    return None


def _leaves_global_cluster(before: Inputs, after: Inputs) -> Optional[str]:
    if before.get("globalClusterIdentifier") and not after.get("globalClusterIdentifier"):
        return ("globalClusterIdentifier removed: the provider calls RemoveFromGlobalCluster, which detaches (and for "
                "a secondary, promotes) the cluster for good; replication to or from it stops")
    return None


def _password_managed(inputs: Inputs) -> bool:
    return _truthy(inputs.get("manageMasterUserPassword"))


def _credentials_refused(before: Inputs, after: Inputs) -> Optional[str]:
    if _password_managed(before) and not _password_managed(after):
        gives_password = _present(after.get("masterPassword")) or (
            _present(after.get("masterPasswordWo"))
            and after.get("masterPasswordWoVersion") != before.get("masterPasswordWoVersion"))
        if not gives_password:
            return ("manageMasterUserPassword turned off without a new password in the same update: ModifyDBCluster "
                    "requires MasterUserPassword then (a write-only password is sent only when "
                    "masterPasswordWoVersion changes)")
    return None


def _credentials_switch(before: Inputs, after: Inputs) -> Optional[str]:
    if _password_managed(before) and not _password_managed(after):
        return ("credential switch: RDS-managed master secret -> a password of ours; RDS deletes the managed secret "
                "in the same call, so anything still reading it (the bootstrap job, operators) fails until it "
                "reads the new secret")
    if not _password_managed(before) and _password_managed(after):
        return ("credential switch: our password -> an RDS-managed secret; the old password stops working and "
                "readers must move to the new secret (and RDS refuses a managed password on a global database member)")
    return None


def _engine_version_downgrade(before: Inputs, after: Inputs) -> Optional[str]:
    if _is_downgrade(before.get("engineVersion"), after.get("engineVersion")):
        return (f"engineVersion {before.get('engineVersion')} -> {after.get('engineVersion')}: RDS does not downgrade "
                "a running cluster (ModifyDBCluster refuses); a lower version needs a new cluster from a dump")
    return None


def _cache_major_downgrade(before: Inputs, after: Inputs) -> Optional[str]:
    old, new = _major(before.get("engineVersion")), _major(after.get("engineVersion"))
    if old is not None and new is not None and new < old:
        return (f"engineVersion {before.get('engineVersion')} -> {after.get('engineVersion')}: ElastiCache cannot "
                "downgrade; pulumi-aws replaces the replication group instead, losing its data")
    return None


FORBIDDEN_IN_PLACE: dict[str, tuple[Forbidden, ...]] = {
    "aws:elasticache/replicationGroup:ReplicationGroup": (
        Forbidden("cluster-mode", _cluster_mode, _CLUSTER_MODE_DOC + "; " + _EC_GROUP + " (ClusterMode is sent as-is)",
                  fix="migrate in separate deploys: 'compatible' alone (with a cluster-enabled parameter group), move "
                      "clients to the configuration endpoint, then 'enabled' and only then shards; or create a new "
                      "cluster-mode group beside the old one and switch clients"),
        Forbidden("cluster-mode-compatible", _cluster_mode_compatible, _CLUSTER_MODE_DOC, severity="disruptive"),
        Forbidden("shard-layout", _shard_layout_on_unclustered,
                  _EC_GROUP + " (modifyReplicationGroupShardConfiguration on num_node_groups change); "
                  "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Replication.Modify.html",
                  fix="enable cluster mode first (see cluster-mode), then add shards"),
        Forbidden("engine-major-downgrade", _cache_major_downgrade,
                  "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/Replication.Modify.html "
                  "(\"you can't downgrade to earlier engine versions\"); " + _EC_VERSIONS,
                  fix="keep the running major; pin engineVersion to what the group runs"),
    ),
    "aws:elasticache/parameterGroup:ParameterGroup": (
        Forbidden("cluster-enabled", _cluster_enabled_parameter,
                  "https://github.com/cloudposse/terraform-aws-elasticache-redis/issues/212 (the API error); "
                  + _CLUSTER_MODE_DOC,
                  fix="create a new parameter group with cluster-enabled=yes (a new logical name) and attach it in "
                      "the 'compatible' step"),
        Forbidden("family", _family_changes,
                  "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/ParameterGroups.Management.html; "
                  + TF + "elasticache/parameter_group.go (family ForceNew)",
                  fix="create a second group of the new family and switch to it during the engine upgrade"),
    ),
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": (
        Forbidden("family", _family_changes,
                  "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_UpgradeDBInstance.PostgreSQL.MajorVersion.html; "
                  + TF + "rds/cluster_parameter_group.go (family ForceNew)",
                  fix="create a second group of the new family and pass it to the major upgrade"),
    ),
    "aws:rds/cluster:Cluster": (
        Forbidden("join-global-cluster", _joins_global_cluster,
                  _RDS_CLUSTER + " (resourceClusterUpdate: global_cluster_identifier); pulumi-aws rds.GlobalCluster "
                  "docs 'New Global Cluster From Existing DB Cluster'",
                  fix="create an aws.rds.GlobalCluster with sourceDbClusterIdentifier=<cluster ARN> and add "
                      "'globalClusterIdentifier' to the cluster's ignoreChanges"),
        Forbidden("leave-global-cluster", _leaves_global_cluster, _RDS_CLUSTER + " (RemoveFromGlobalCluster)",
                  severity="disruptive"),
        Forbidden("credentials-refused", _credentials_refused,
                  "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBCluster.html "
                  "(ManageMasterUserPassword); " + _RDS_CLUSTER + " (master_password_wo sent on version change)",
                  fix="set masterPasswordWo and bump masterPasswordWoVersion in the same update"),
        Forbidden("credentials-switch", _credentials_switch,
                  "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBCluster.html; "
                  "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-secrets-manager.html "
                  "(not supported for global database members)",
                  severity="disruptive"),
        Forbidden("engine-version-downgrade", _engine_version_downgrade,
                  "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_UpgradeDBInstance.PostgreSQL.html",
                  fix="keep engineVersion at or above what the cluster runs (tierstack ignores engineVersion after "
                      "creation)"),
    ),
    "aws:rds/globalCluster:GlobalCluster": (
        Forbidden("engine-version-downgrade", _engine_version_downgrade,
                  "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-global-database-upgrade.html"),
    ),
}

MANAGED_PASSWORD_GLOBAL = (
    "a global cluster is created from a cluster whose master password RDS manages in Secrets Manager; "
    "RDS does not support managed master passwords on global database members",
    "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-secrets-manager.html#rds-secrets-manager-limitations",
)


def forbidden_rules(type_token: str) -> tuple[Forbidden, ...]:
    return FORBIDDEN_IN_PLACE.get(type_token, ())


# -- STATEFUL ----------------------------------------------------------------------------------

# Replacing or deleting one of these loses data or the ability to read it. The reason is beside
# each; the diff marks their replace and delete as unsafe.
STATEFUL: dict[str, str] = {
    "aws:rds/cluster:Cluster": "the Aurora cluster volume holds the data (a secondary holds the DR copy)",
    "aws:rds/globalCluster:GlobalCluster": "the global database ties primary and secondaries; deleting it detaches them",
    "aws:rds/instance:Instance": "a non-Aurora instance holds its own storage",
    "aws:elasticache/replicationGroup:ReplicationGroup": "the cache's contents (and warm-up) go with it",
    "aws:elasticache/cluster:Cluster": "the cache's contents go with it",
    "aws:kms/key:Key": "data encrypted under the key becomes unreadable once it is deleted",
    "aws:ec2/vpc:Vpc": "every ENI, cluster, cache and database inside must be torn down with it",
    "aws:ec2/subnet:Subnet": "instances, nodes and database/cache subnet groups in it are torn down with it",
    "aws:s3/bucket:Bucket": "objects are lost (or the delete fails on a non-empty bucket)",
    "aws:s3/bucketV2:BucketV2": "objects are lost (or the delete fails on a non-empty bucket)",
    "aws:sqs/queue:Queue": "in-flight messages are lost",
    "aws:secretsmanager/secret:Secret": "the secret value (and the name, held for the recovery window) is lost",
    "aws:cloudwatch/logGroup:LogGroup": "the logs are lost",
    "aws:dynamodb/table:Table": "the items are lost",
    "aws:ebs/volume:Volume": "the volume's data is lost",
    "aws:efs/fileSystem:FileSystem": "the file system's data is lost",
    "aws:eks/cluster:Cluster": "every workload, volume attachment and in-cluster state goes with the control plane",
    "kubernetes:core/v1:PersistentVolumeClaim": "the bound volume is released (and deleted under a Delete reclaim policy)",
    "kubernetes:core/v1:PersistentVolume": "the volume's data is released or deleted",
}
# Deliberately not stateful: aws:rds/clusterInstance:ClusterInstance. Aurora keeps the data in the
# cluster volume, so an instance is replaceable without data loss (replacing the writer costs a
# failover, reported as a replacement, not as data loss).

# -- identity ----------------------------------------------------------------------------------

# The input that is the resource's unique name in its account and region. Pulumi creates a
# replacement before deleting the original and runs deletes of removed resources last, so a new
# resource that takes this name while the old one still exists fails with "already exists".
PHYSICAL_NAME: dict[str, str] = {
    "aws:rds/cluster:Cluster": "clusterIdentifier",
    "aws:rds/clusterInstance:ClusterInstance": "identifier",
    "aws:rds/globalCluster:GlobalCluster": "globalClusterIdentifier",
    "aws:elasticache/replicationGroup:ReplicationGroup": "replicationGroupId",
    "aws:elasticache/parameterGroup:ParameterGroup": "name",
    "aws:elasticache/subnetGroup:SubnetGroup": "name",
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": "name",
    "aws:rds/subnetGroup:SubnetGroup": "name",
    "aws:secretsmanager/secret:Secret": "name",
    "aws:cloudwatch/logGroup:LogGroup": "name",
    "aws:sqs/queue:Queue": "name",
    "aws:s3/bucket:Bucket": "bucket",
    "aws:s3/bucketV2:BucketV2": "bucket",
    "aws:eks/cluster:Cluster": "name",
    "aws:eks/nodeGroup:NodeGroup": "nodeGroupName",
    "aws:kms/alias:Alias": "name",
    "aws:ssm/parameter:Parameter": "name",
    "aws:iam/role:Role": "name",
}

# pulumi-aws write-only arguments (e.g. masterPasswordWo, authTokenWo, secretStringWo) are never
# stored in state and never diffed; a change is sent only when the matching *WoVersion changes.
# https://www.pulumi.com/docs/iac/concepts/secrets/#write-only-arguments (terraform-plugin-sdk WriteOnly)
WRITE_ONLY_SUFFIX = "Wo"


def is_write_only(key: str) -> bool:
    return key.endswith(WRITE_ONLY_SUFFIX) and not key.endswith("WoVersion")


# -- rollout ordering -------------------------------------------------------------------------

SHARD_ROUTED_TOO_EARLY = (
    "routes to a shard created in this deploy: the shard map publishes an active entry for a database "
    "cluster that this same update creates, so traffic reaches an empty shard before its users are copied",
    "REALITY.md 'Ordering of rollout'; tierstack.sharding module docstring (adding a shard)",
    "publish the new entry with state 'provisioning' in this deploy and mark it 'active' in a later one",
)
ACTIVE_STATES = (None, "active")


def shard_map_entries(value: Any) -> Optional[list[Mapping[str, Any]]]:
    """The entries of a shard map document (JSON text or parsed), or None when it is not one."""
    if isinstance(value, str):
        text = value.strip()
        if not text.startswith("{") or '"shards"' not in text:
            return None
        try:
            value = json.loads(text)
        except ValueError:
            return None
    if isinstance(value, Mapping) and isinstance(value.get("shards"), list):
        entries = [e for e in value["shards"] if isinstance(e, Mapping)]
        if entries and all("writer" in e or "shard" in e for e in entries):
            return entries
    return None


def entry_is_active(entry: Mapping[str, Any]) -> bool:
    """An entry routes traffic unless it says otherwise (entries without a state always did)."""
    return entry.get("state") in ACTIVE_STATES
