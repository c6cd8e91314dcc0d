"""``ShardedDatabase``: user-sharded Aurora PostgreSQL, one writer and N readers per shard.

Each shard is its own Aurora cluster (``DatabaseShard``): writer and readers placed round-robin
across the AZs, reader count autoscaled by Application Auto Scaling on reader CPU, storage and
Performance Insights encrypted with the tier's KMS key, IAM authentication on, PostgreSQL logs
exported, TLS forced by the cluster parameter group, backups with point-in-time recovery, and
in production deletion protection plus a final snapshot. Credentials are never in state: every
shard takes a generated password through write-only arguments and keeps it in a secret of ours
(one mechanism for every tier: RDS-managed passwords are refused for global database members).

With ``global_database``, each shard becomes an Aurora global database, created *from* the
existing cluster, and ``ShardedDatabaseReplica`` adds a secondary cluster per shard in another
region; a live shard grows into a global one without being replaced.

Services sign in with IAM database authentication, never with the master credentials:
``connect_policy`` grants ``rds-db:connect`` as named database users, and
``tierstack.data.bootstrap.DatabaseUsers`` creates those users (with the ``rds_iam`` role) in
every shard. Only that bootstrap job reads the master secrets (``admin_secret_policy``).

Engine versions: ``settings.engine_version`` is the version a shard is *created* at. Instances
take minor upgrades automatically (``auto_minor_version_upgrade``), which moves the cluster (and
a global cluster) past it, so ``engineVersion`` is ignored on both after creation: otherwise
the next ``pulumi up`` would ask RDS for the older minor, a downgrade it refuses. Instances set
no version at all; they run their cluster's. To upgrade on purpose, upgrade each shard with AWS
(``aws rds modify-db-cluster --engine-version X --apply-immediately``, or for a global database
``aws rds modify-global-cluster --engine-version X``, adding ``--allow-major-version-upgrade``
and a parameter group of the new family for a major), then set ``data.database.engineVersion``
to X so new shards start there; ``pulumi refresh`` records the new version.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws

from tierstack.aws import policies
from tierstack.aws.context import AwsContext, aws_context
from tierstack.aws.kms import KmsKey, KmsKeyArgs
from tierstack.config.model import DatabaseSettings
from tierstack.data.placement import Placement, admit_clients
from tierstack.config.demand import dr_secondary_instances
from tierstack.documented import documented
from tierstack.monitored import AuroraCluster

ENGINE = "aurora-postgresql"
PORT = 5432
MASTER_USERNAME = "tierstack_admin"
PASSWORD_VERSION = 1  # bump to rotate the shards' generated master passwords
SHARD_SET_TAG = "tierstack.io/shard-set"
SHARD_TAG = "tierstack.io/shard"
# Pulumi keeps the configured value and RDS the running one; see the module docstring.
VERSION_FOLLOWS_AWS = ["engineVersion"]
# PostgreSQL folds unquoted identifiers to lower case and truncates them at 63 bytes.
_DB_USER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def database_user(service_name: str) -> str:
    """The PostgreSQL role a service signs in as with IAM authentication, e.g. ``svc_auth``."""
    user = "svc_" + service_name.strip().lower().replace("-", "_").replace(".", "_")
    if not _DB_USER.match(user) or user == "svc_":
        raise ValueError(f"service name {service_name!r} does not make a PostgreSQL user name "
                         f"(lowercase letters, digits, '-' or '_', at most 59 characters)")
    return user


def checked_db_users(db_users: Sequence[str]) -> list[str]:
    """The users, each a plain PostgreSQL identifier (safe to place in SQL and IAM ARNs), once each."""
    users = list(db_users)
    if not users:
        raise ValueError("no database users given")
    bad = [u for u in users if not isinstance(u, str) or not _DB_USER.match(u)]
    if bad:
        raise ValueError(f"not PostgreSQL user names: {bad!r}; build them with tierstack.data.database_user()")
    if len(set(users)) != len(users):
        raise ValueError(f"database users repeat: {users!r}")
    # rds_iam on the master would make it IAM-only and lock the bootstrap out; rds* and pg_* are
    # the service's and PostgreSQL's own roles.
    reserved = [u for u in users if u == MASTER_USERNAME or u.startswith(("rds", "pg_"))]
    if reserved:
        raise ValueError(f"reserved database users: {reserved!r}")
    return users


@documented
@dataclass(frozen=True)
class ShardedDatabaseArgs:
    # The database's settings (shards, instance class, readers, global replication).
    settings: DatabaseSettings
    # The shards' region (their provider's), exposed for replicas and clients.
    region: str
    # Where the shards run: VPC, data subnets and the client security groups they admit.
    placement: Placement
    # Production stacks: deletion protection, final snapshots, and no deleting the shards.
    protect: bool = False
    # The cell's CloudWatch Logs key: encrypts each cluster's exported PostgreSQL log group.
    log_kms_key_arn: Optional[pulumi.Input[str]] = None
    # Days CloudWatch keeps the exported PostgreSQL logs.
    log_retention_days: int = 30


class _DatabaseNetwork:
    """Subnet group, security group, parameter group, monitoring role and key of one region."""

    def __init__(self, name: str, settings: DatabaseSettings, placement: Placement, parent: pulumi.ComponentResource,
                 protect: bool):
        child = pulumi.ResourceOptions(parent=parent)
        self.key = KmsKey(f"{name}-key", KmsKeyArgs(
            description=f"Storage, Performance Insights and credentials of {name}", alias=f"tierstack/{name}",
            protect=protect), opts=child)
        self.subnet_group = aws.rds.SubnetGroup(f"{name}-subnets", subnet_ids=list(placement.subnet_ids),
                                                description=f"Data subnets of {name}", opts=child)
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg", vpc_id=placement.vpc_id, description=f"PostgreSQL clients of {name}",
            egress=[], tags={"Name": f"{name}-sg"}, opts=child)
        admit_clients(name, self.security_group, PORT, placement, parent)
        self.parameters = aws.rds.ClusterParameterGroup(
            f"{name}-params", family=settings.family, description=f"TLS-only PostgreSQL for {name}",
            parameters=[
                aws.rds.ClusterParameterGroupParameterArgs(name="rds.force_ssl", value="1"),
                aws.rds.ClusterParameterGroupParameterArgs(name="log_min_duration_statement", value="1000"),
                aws.rds.ClusterParameterGroupParameterArgs(name="shared_preload_libraries", value="pg_stat_statements",
                                                           apply_method="pending-reboot"),
            ],
            opts=child)
        self.monitoring_role = aws.iam.Role(
            f"{name}-monitoring",
            assume_role_policy=json.dumps(policies.service_trust("monitoring.rds.amazonaws.com")),
            opts=child)
        context = aws_context(parent)
        aws.iam.RolePolicyAttachment(
            f"{name}-monitoring-policy", role=self.monitoring_role.name,
            policy_arn=context.managed_policy_arn("service-role/AmazonRDSEnhancedMonitoringRole"), opts=child)


@dataclass(frozen=True)
class DatabaseShardArgs:
    index: int
    shard_set: str
    settings: DatabaseSettings
    network: _DatabaseNetwork
    availability_zones: Sequence[pulumi.Input[str]]
    protect: bool
    # Set when this shard is the secondary of a global database in another region.
    global_cluster_id: Optional[pulumi.Input[str]] = None
    # Primary shards of a global database create the global cluster themselves.
    primary_of_global: bool = False
    readers: Optional[int] = None
    # A secondary is created at the version its global cluster runs (RDS requires them to match).
    global_engine_version: Optional[pulumi.Input[str]] = None
    # What the cluster must wait for: a secondary needs its primary cluster and writer available.
    after: Sequence[pulumi.Resource] = ()
    log_kms_key_arn: Optional[pulumi.Input[str]] = None
    log_retention_days: int = 30


class DatabaseShard(pulumi.ComponentResource):
    cluster: aws.rds.Cluster
    instances: list[aws.rds.ClusterInstance]
    # None for the secondary of a global database: its instances are all readers.
    writer: Optional[aws.rds.ClusterInstance]
    log_group: aws.cloudwatch.LogGroup
    secret_arn: pulumi.Output[str]
    global_cluster_id: Optional[pulumi.Output[str]]
    global_engine_version: Optional[pulumi.Output[str]]

    def __init__(self, name: str, args: DatabaseShardArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("tierstack:data:DatabaseShard", name, None, opts)
        self.index = args.index
        settings, network = args.settings, args.network
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect)
        identifier = name
        shard_tags = {SHARD_SET_TAG: args.shard_set, SHARD_TAG: str(args.index)}
        secondary = args.global_cluster_id is not None
        self.identifier = identifier
        self.global_cluster_id = None
        self.global_engine_version = None

        credentials: dict = {}
        secret = None
        if secondary:
            # A secondary inherits users and data from the primary through the global cluster.
            credentials = dict(global_cluster_identifier=args.global_cluster_id)
        else:
            # One credential mechanism for every tier: a generated password sent write-only and
            # kept in a secret of ours. RDS-managed passwords are refused for global database
            # members, so a shard that started with one could never become global in place.
            password = pulumi.Output.secret(aws.secretsmanager.get_random_password_output(
                password_length=40, exclude_punctuation=True, opts=pulumi.InvokeOutputOptions(parent=self),
            ).random_password)
            secret = aws.secretsmanager.Secret(
                f"{name}-master", name=f"tierstack/{identifier}/master", kms_key_id=network.key.arn,
                description=f"Master credentials of {identifier}",
                recovery_window_in_days=30 if args.protect else 7, tags=shard_tags, opts=stateful)
            credentials = dict(master_username=MASTER_USERNAME, master_password_wo=password,
                               master_password_wo_version=PASSWORD_VERSION, database_name=settings.database_name)

        # RDS exports to this group and, when it is missing, creates it unencrypted with no expiry.
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-postgresql-log", name=f"/aws/rds/cluster/{identifier}/postgresql",
            retention_in_days=args.log_retention_days, kms_key_id=args.log_kms_key_arn,
            tags=shard_tags, opts=stateful)

        self.cluster = aws.rds.Cluster(
            f"{name}-cluster",
            cluster_identifier=identifier,
            engine=ENGINE,
            engine_version=args.global_engine_version if secondary else settings.engine_version,
            db_subnet_group_name=network.subnet_group.name,
            vpc_security_group_ids=[network.security_group.id],
            db_cluster_parameter_group_name=network.parameters.name,
            port=PORT,
            storage_encrypted=True,
            kms_key_id=network.key.arn,
            iam_database_authentication_enabled=True,
            enabled_cloudwatch_logs_exports=["postgresql"],
            backup_retention_period=settings.backup_retention_days,
            preferred_backup_window="02:00-03:00",
            preferred_maintenance_window="sun:04:00-sun:05:00",
            copy_tags_to_snapshot=True,
            deletion_protection=args.protect,
            skip_final_snapshot=not args.protect,
            final_snapshot_identifier=f"{identifier}-final" if args.protect else None,
            tags=shard_tags,
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect,
                # A primary joins its global cluster by being its source (below), never by setting
                # globalClusterIdentifier on an existing cluster, which the provider cannot do.
                ignore_changes=VERSION_FOLLOWS_AWS + ([] if secondary else ["globalClusterIdentifier"]),
                depends_on=[self.log_group, *args.after]),
            **credentials,
        )
        if args.primary_of_global:
            # AWS's documented path from a regional cluster to a global database: a global cluster
            # created from the existing one (CreateGlobalCluster SourceDBClusterIdentifier), so
            # turning disaster recovery on for a live shard is an addition, not a replacement.
            global_cluster = aws.rds.GlobalCluster(
                f"{name}-global", global_cluster_identifier=f"{identifier}-global",
                source_db_cluster_identifier=self.cluster.arn, force_destroy=True, deletion_protection=args.protect,
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect, ignore_changes=VERSION_FOLLOWS_AWS))
            self.global_cluster_id = global_cluster.id
            # The running version, which automatic minor upgrades move past the configured one.
            self.global_engine_version = global_cluster.engine_version_actual.apply(
                lambda actual: actual or settings.engine_version)
        if secret is not None:
            aws.secretsmanager.SecretVersion(
                f"{name}-master-value", secret_id=secret.id, secret_string_wo_version=PASSWORD_VERSION,
                secret_string_wo=pulumi.Output.all(password, self.cluster.endpoint).apply(lambda v: json.dumps({
                    "username": MASTER_USERNAME, "password": v[0], "host": v[1], "port": PORT,
                    "dbname": settings.database_name})),
                opts=pulumi.ResourceOptions(parent=self))
            self.secret_arn = secret.arn
        else:
            self.secret_arn = pulumi.Output.from_input("")

        readers = settings.readers_per_shard if args.readers is None else args.readers
        zones = list(args.availability_zones)
        roles = ([] if secondary else ["writer"]) + [f"reader-{i + 1}" for i in range(readers)]
        self.instances = []
        for position, role in enumerate(roles):
            self.instances.append(aws.rds.ClusterInstance(
                f"{name}-{role}",
                identifier=f"{identifier}-{role}",
                cluster_identifier=self.cluster.id,
                engine=ENGINE,
                instance_class=settings.instance_class,
                # Round-robin over the AZs: the writer in the first, readers in the next ones.
                availability_zone=zones[position % len(zones)],
                promotion_tier=0 if role == "writer" else 1,
                publicly_accessible=False,
                performance_insights_enabled=True,
                performance_insights_kms_key_id=network.key.arn,
                performance_insights_retention_period=settings.performance_insights_retention_days,
                monitoring_interval=60,
                monitoring_role_arn=network.monitoring_role.arn,
                auto_minor_version_upgrade=True,
                ca_cert_identifier="rds-ca-rsa2048-g1",
                tags={**shard_tags, "tierstack.io/db-role": role.split("-")[0]},
                opts=pulumi.ResourceOptions(parent=self),
            ))
        self.writer = None if secondary else self.instances[0]

        if not secondary and readers:
            scaling = settings.reader_autoscaling
            target = aws.appautoscaling.Target(
                f"{name}-readers", service_namespace="rds", scalable_dimension="rds:cluster:ReadReplicaCount",
                resource_id=self.cluster.cluster_identifier.apply(lambda cid: f"cluster:{cid}"),
                min_capacity=readers, max_capacity=scaling.max_readers,
                opts=pulumi.ResourceOptions(parent=self, depends_on=self.instances))
            aws.appautoscaling.Policy(
                f"{name}-readers-cpu", policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace, scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                    target_value=scaling.target_cpu_percent,
                    predefined_metric_specification=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                        predefined_metric_type="RDSReaderAverageCPUUtilization"),
                    # Add readers within a minute of sustained load; remove them only after calm.
                    scale_out_cooldown=60, scale_in_cooldown=300),
                opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"endpoint": self.cluster.endpoint, "reader_endpoint": self.cluster.reader_endpoint})

    def map_entry(self, database: str, state: str = "active") -> pulumi.Output[dict]:
        """This shard's line in the shard map.

        Services sign in with IAM tokens (``ShardedDatabase.connect_policy``): the map names no
        secret, and they cannot read the master one. ``state`` is ``active`` (users are routed
        here) or ``provisioning`` (created and receiving copies, routed to nobody yet).
        """
        if state not in ("active", "provisioning"):
            raise ValueError(f"shard {self.index}: state must be 'active' or 'provisioning', not {state!r}")
        return pulumi.Output.all(self.cluster.endpoint, self.cluster.reader_endpoint).apply(
            lambda v: {"shard": self.index, "writer": v[0], "reader": v[1], "port": PORT, "database": database,
                       "iam_auth": True, "state": state})


class ShardedDatabase(pulumi.ComponentResource):
    """N Aurora PostgreSQL shards (one DatabaseShard each) sharing a subnet group, security group, parameter group and key; IAM-authenticated users via connect_policy. See ShardedDatabaseArgs."""

    shards: list[DatabaseShard]
    key_arn: pulumi.Output[str]
    # Each shard's cluster, for the alarms and the exporter.
    monitored: list[AuroraCluster]
    security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: ShardedDatabaseArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("tierstack:data:ShardedDatabase", name, None, opts)
        settings = args.settings
        network = _DatabaseNetwork(name, settings, args.placement, self, args.protect)
        self.key_arn = network.key.arn
        self.security_group_id = network.security_group.id
        self.database_name = settings.database_name
        self.region = args.region
        self._aws: Optional[AwsContext] = None
        self.shards = [
            DatabaseShard(f"{name}-{index:02d}", DatabaseShardArgs(
                index=index, shard_set=name, settings=settings, network=network,
                availability_zones=args.placement.availability_zones, protect=args.protect,
                primary_of_global=settings.global_database,
                log_kms_key_arn=args.log_kms_key_arn, log_retention_days=args.log_retention_days,
            ), opts=pulumi.ResourceOptions(parent=self))
            for index in range(settings.shards)
        ]
        self.monitored = [AuroraCluster(shard.cluster.cluster_identifier) for shard in self.shards]
        self.register_outputs({"shards": [s.cluster.endpoint for s in self.shards]})

    def map_entries(self, active_count: Optional[int] = None) -> pulumi.Output[list]:
        """The shard map's entries: shards 0..active_count-1 active, the rest provisioning.

        ``None`` (``data.database.activeShards`` unset) makes every shard active. Checked here,
        while the program runs, rather than inside an apply that preview may never reach.
        """
        count = len(self.shards) if active_count is None else active_count
        if not 1 <= count <= len(self.shards):
            raise ValueError(f"active_count must be between 1 and the {len(self.shards)} shards, got {active_count}")
        return pulumi.Output.all(*[s.map_entry(self.database_name, "active" if s.index < count else "provisioning")
                                   for s in self.shards])

    def connect_policy(self, db_users: Sequence[str]) -> pulumi.Output[dict]:
        """IAM policy document: sign in to every shard as ``db_users`` (IAM database authentication).

        Each user must exist in the shards with the ``rds_iam`` role (``DatabaseUsers`` does that).
        """
        users = checked_db_users(db_users)
        if self._aws is None:
            self._aws = aws_context(self)
        context = self._aws
        return pulumi.Output.all(context.partition, context.account_id,
                                 *[s.cluster.cluster_resource_id for s in self.shards]).apply(
            lambda v: policies.database_connect(v[0], self.region, v[1], v[2:], users))

    def admin_secret_policy(self) -> pulumi.Output[dict]:
        """IAM policy document for the bootstrap job only: read the shards' master credentials."""
        return pulumi.Output.all(self.key_arn, *[s.secret_arn for s in self.shards]).apply(
            lambda v: policies.secret_reader([arn for arn in v[1:] if arn], [v[0]]))


@documented
@dataclass(frozen=True)
class ShardedDatabaseReplicaArgs:
    # The primary ShardedDatabase whose shards this region replicates.
    primary: ShardedDatabase
    # The database's settings, as for the primary.
    settings: DatabaseSettings
    # The replica's region (its provider's).
    region: str
    # Where the replica shards run in this region: VPC, subnets, client security groups.
    placement: Placement
    # Production stacks: deletion protection, and no deleting the replica shards.
    protect: bool = False
    # The CloudWatch Logs key of the replica's region (KMS keys are regional).
    log_kms_key_arn: Optional[pulumi.Input[str]] = None
    # Days CloudWatch keeps the exported PostgreSQL logs.
    log_retention_days: int = 30


class ShardedDatabaseReplica(pulumi.ComponentResource):
    """Secondary clusters of a global sharded database, in a second region, for disaster recovery."""

    shards: list[DatabaseShard]
    # Each secondary cluster, for the alarms in its region (including how far it trails the primary).
    monitored: list[AuroraCluster]

    def __init__(self, name: str, args: ShardedDatabaseReplicaArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("tierstack:data:ShardedDatabaseReplica", name, None, opts)
        network = _DatabaseNetwork(name, args.settings, args.placement, self, args.protect)
        self.shards = [
            DatabaseShard(f"{name}-{index:02d}", DatabaseShardArgs(
                index=index, shard_set=f"{name}", settings=args.settings, network=network,
                availability_zones=args.placement.availability_zones, protect=args.protect,
                global_cluster_id=primary.global_cluster_id, global_engine_version=primary.global_engine_version,
                readers=dr_secondary_instances(args.settings.readers_per_shard),
                # AWS adds a secondary once the primary cluster and its writer are available; its
                # readers can come up alongside.
                after=[primary.cluster, *([primary.writer] if primary.writer is not None else [])],
                log_kms_key_arn=args.log_kms_key_arn, log_retention_days=args.log_retention_days,
            ), opts=pulumi.ResourceOptions(parent=self))
            for index, primary in enumerate(args.primary.shards)
        ]
        self.monitored = [AuroraCluster(shard.cluster.cluster_identifier, global_secondary=True) for shard in self.shards]
        self.register_outputs({})
