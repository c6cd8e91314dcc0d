"""``DatabaseUsers``: the services' PostgreSQL users, created in every shard by a Kubernetes Job.

Services sign in with IAM database authentication (``ShardedDatabase.connect_policy``), which
needs a role of that name in the database holding ``rds_iam``. Aurora cannot create roles
itself, so a Job in the cell's cluster does, once per change of users or shards:

- an init container (AWS CLI) reads each shard's master secret with the Job's own IRSA role and
  writes the user name and password into a memory-backed volume, never into a Kubernetes Secret
  or Pulumi state;
- the main container (psql) connects to each shard's writer over TLS, verifying the server's
  certificate against the RDS CA bundle, and runs idempotent SQL: create the users that are
  missing, grant ``rds_iam``, ``CONNECT`` on the database and use of schema ``public``.

Only this Job's role may read the master secrets. The pod runs under the ``restricted`` Pod
Security Standard the agents namespace enforces. pulumi-kubernetes waits for the Job to complete
(10 minutes by default, longer here), so a failed bootstrap fails the deployment. A Job's pod
template cannot change in place: pulumi-kubernetes replaces the Job (deleting it first, since its
name is fixed) whenever the template changes, and the template carries a digest of the users,
shards and SQL, so changing any of them runs it again.

Users created on a global database's primary reach its secondaries by replication; no Job runs
in the replica's region.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import pulumi
import pulumi_kubernetes as k8s

from tierstack.aws.iam import IrsaRole, IrsaRoleArgs
from tierstack.charts import AWS_CLI_IMAGE, PSQL_IMAGE
from tierstack.data.database import PORT, ShardedDatabase, checked_db_users
from tierstack.documented import documented
from tierstack.kube import ClusterContext

JOB_NAME = SERVICE_ACCOUNT = "db-users"
# AWS publishes the bundle of every commercial region's RDS CAs here; GovCloud and China
# partitions publish their own (pass ``ca_bundle_url``).
RDS_CA_BUNDLE_URL = "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
HASH_ANNOTATION = "tierstack.io/db-users-digest"
RUN_AS = 65532
CREDENTIALS_DIR = "/run/tierstack/db"
TMP_DIR = "/tmp"
CA_FILE = f"{TMP_DIR}/rds-ca.pem"
# Below pulumi-kubernetes's await (JOB_TIMEOUT), so a stuck run fails as DeadlineExceeded, not a timeout.
ACTIVE_DEADLINE_SECONDS = 600
JOB_TIMEOUT = "15m"
# Pods retry with exponential backoff (10 s, 20 s, 40 s...): enough to ride out IAM propagation
# of a new role or a writer that is still starting, without masking a real failure for long.
BACKOFF_LIMIT = 4
# Long enough to read a run's logs; a refresh after the cleanup forgets the Job, and the next
# up runs it again, which the SQL makes harmless.
TTL_SECONDS_AFTER_FINISHED = 24 * 3600


@dataclass(frozen=True)
class ShardTarget:
    """One shard the Job signs in to: values may be Pulumi Outputs, which the builders only place."""

    # A stable key, the shard index as two digits ("00"): names env vars and credential files.
    key: str
    # The cluster identifier: what the digest tracks (endpoints are unknown until deployed).
    identifier: str
    host: Any
    secret_arn: Any


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def bootstrap_sql(users: Sequence[str], database: str) -> str:
    """Idempotent: creates what is missing and re-grants what exists, so reruns are harmless.

    IAM authentication applies to roles holding ``rds_iam``; they get no password. CREATE on
    ``public`` lets a service run its own migrations (PostgreSQL 15+ no longer grants it to all).
    """
    lines = []
    for user in checked_db_users(users):
        role = quote_ident(user)
        lines += [
            f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '{user}') "
            f"THEN CREATE ROLE {role} LOGIN; END IF; END $$;",
            f"ALTER ROLE {role} LOGIN;",
            f"GRANT rds_iam TO {role};",
            f"GRANT CONNECT ON DATABASE {quote_ident(database)} TO {role};",
            f"GRANT USAGE, CREATE ON SCHEMA public TO {role};",
        ]
    return "\n".join(lines)


def literal(text: str) -> str:
    """``text`` as Kubernetes must receive it in env values, command and args to pass it unchanged.

    Kubernetes expands ``$(NAME)`` there and reduces ``$$`` to ``$``: SQL's ``$$`` quoting and
    the shell's ``$(...)`` would both be rewritten otherwise.
    """
    return text.replace("$", "$$")


def _env(key: str, kind: str) -> str:
    return f"SHARD_{key}_{kind}"


def fetch_credentials_script(keys: Sequence[str], credentials_dir: str = CREDENTIALS_DIR) -> str:
    """Shell for the AWS CLI image: each shard's master user name and password into files.

    RDS-managed secrets hold only ``username`` and ``password`` (the host comes from env).
    """
    steps = ["set -eu", "umask 077"]
    for key in keys:
        steps += [
            f'secret="$(aws secretsmanager get-secret-value --secret-id "${_env(key, "SECRET")}" '
            f'--query SecretString --output text)"',
            f"printf '%s' \"$secret\" | jq -er .username > {credentials_dir}/{key}.username",
            f"printf '%s' \"$secret\" | jq -er .password > {credentials_dir}/{key}.password",
        ]
    steps.append('echo "fetched the master credentials of %d shard(s)"' % len(keys))
    return "\n".join(steps)


def create_users_script(keys: Sequence[str], credentials_dir: str = CREDENTIALS_DIR) -> str:
    """Shell for the psql image: run the bootstrap SQL on every shard's writer, stop at the first error."""
    steps = ["set -eu", 'wget -q -O "$PGSSLROOTCERT" "$RDS_CA_BUNDLE_URL"']
    for key in keys:
        steps += [
            f'PGHOST="${_env(key, "HOST")}"',
            f'PGUSER="$(cat {credentials_dir}/{key}.username)"',
            f'PGPASSWORD="$(cat {credentials_dir}/{key}.password)"',
            "export PGHOST PGUSER PGPASSWORD",
            'psql -X -q -v ON_ERROR_STOP=1 -c "$BOOTSTRAP_SQL"',
            f'echo "shard {key}: database users in place"',
        ]
    return "\n".join(steps)


def spec_digest(targets: Sequence[ShardTarget], users: Sequence[str], database: str, ca_bundle_url: str) -> str:
    """What the Job did, as a digest: it changes, and so reruns the Job, when any of it changes."""
    body = json.dumps({"shards": [[t.key, t.identifier] for t in targets], "users": list(users),
                       "database": database, "sql": bootstrap_sql(users, database), "ca": ca_bundle_url,
                       "images": [AWS_CLI_IMAGE, PSQL_IMAGE]}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def labels() -> dict[str, str]:
    return {"app.kubernetes.io/name": JOB_NAME, "app.kubernetes.io/component": "database-bootstrap",
            "app.kubernetes.io/part-of": "tierstack"}


def _container_security() -> dict[str, Any]:
    return {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}


def job_spec(targets: Sequence[ShardTarget], users: Sequence[str], *, database: str, region: str,
             service_account: str = SERVICE_ACCOUNT, ca_bundle_url: str = RDS_CA_BUNDLE_URL) -> dict[str, Any]:
    """The batch/v1 Job spec (camelCase, as pulumi-kubernetes and the API take it)."""
    if not targets:
        raise ValueError("no shards to bootstrap")
    users = checked_db_users(users)
    keys = [t.key for t in targets]
    if len(set(keys)) != len(keys):
        raise ValueError(f"shard keys repeat: {keys!r}")
    home = {"name": "HOME", "value": TMP_DIR}
    fetch = {
        "name": "fetch-credentials",
        "image": AWS_CLI_IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "command": ["/bin/sh", "-c"],
        "args": [literal(fetch_credentials_script(keys))],
        "env": [{"name": "AWS_REGION", "value": region}, {"name": "AWS_PAGER", "value": ""}, home,
                *[{"name": _env(t.key, "SECRET"), "value": t.secret_arn} for t in targets]],
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
        "securityContext": _container_security(),
        # Its own scratch volume: whatever the CLI caches stays out of the psql container's view.
        "volumeMounts": [{"name": "credentials", "mountPath": CREDENTIALS_DIR},
                         {"name": "aws-cli-home", "mountPath": TMP_DIR}],
    }
    create = {
        "name": "create-users",
        "image": PSQL_IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "command": ["/bin/sh", "-c"],
        "args": [literal(create_users_script(keys))],
        "env": [home,
                {"name": "RDS_CA_BUNDLE_URL", "value": ca_bundle_url},
                {"name": "PGSSLMODE", "value": "verify-full"},
                {"name": "PGSSLROOTCERT", "value": CA_FILE},
                {"name": "PGPORT", "value": str(PORT)},
                {"name": "PGDATABASE", "value": database},
                {"name": "PGCONNECT_TIMEOUT", "value": "10"},
                {"name": "PGAPPNAME", "value": JOB_NAME},
                {"name": "BOOTSTRAP_SQL", "value": literal(bootstrap_sql(users, database))},
                *[{"name": _env(t.key, "HOST"), "value": t.host} for t in targets]],
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
        "securityContext": _container_security(),
        "volumeMounts": [{"name": "credentials", "mountPath": CREDENTIALS_DIR, "readOnly": True},
                         {"name": "tmp", "mountPath": TMP_DIR}],
    }
    return {
        "backoffLimit": BACKOFF_LIMIT,
        "activeDeadlineSeconds": ACTIVE_DEADLINE_SECONDS,
        "ttlSecondsAfterFinished": TTL_SECONDS_AFTER_FINISHED,
        "template": {
            "metadata": {"labels": labels(),
                         "annotations": {HASH_ANNOTATION: spec_digest(targets, users, database, ca_bundle_url)}},
            "spec": {
                "serviceAccountName": service_account,
                # IRSA mounts its own projected token; the Kubernetes API token is not needed.
                "automountServiceAccountToken": False,
                "restartPolicy": "Never",
                "securityContext": {"runAsNonRoot": True, "runAsUser": RUN_AS, "runAsGroup": RUN_AS,
                                    "fsGroup": RUN_AS, "seccompProfile": {"type": "RuntimeDefault"}},
                "initContainers": [fetch],
                "containers": [create],
                "volumes": [
                    # Memory-backed: the master credentials never touch a node's disk.
                    {"name": "credentials", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
                    {"name": "aws-cli-home", "emptyDir": {"sizeLimit": "64Mi"}},
                    {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
                ],
            },
        },
    }


@documented
@dataclass(frozen=True)
class DatabaseUsersArgs:
    # The cluster the Job runs on (its provider, OIDC issuer and region, where the Secrets Manager calls go).
    cluster: ClusterContext
    # Where the Job runs: the agents namespace (PSA restricted).
    namespace: str
    # The cell's primary shards; users reach global secondaries by replication.
    shards: ShardedDatabase
    # PostgreSQL users to create, e.g. [tierstack.data.database_user("auth"), ...].
    users: Sequence[str]
    # What must exist before the Job: at least the Namespace (a literal name is no dependency).
    depends_on: Sequence[pulumi.Resource] = ()
    # RDS CA bundle for verify-full; the default covers the commercial partition.
    ca_bundle_url: str = RDS_CA_BUNDLE_URL


class DatabaseUsers(pulumi.ComponentResource):
    role: IrsaRole
    service_account: k8s.core.v1.ServiceAccount
    job: k8s.batch.v1.Job
    users: list[str]

    def __init__(self, name: str, args: DatabaseUsersArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("tierstack:data:DatabaseUsers", name, None, opts)
        self.users = checked_db_users(args.users)
        shards = args.shards
        self.role = IrsaRole(f"{name}-irsa", IrsaRoleArgs(
            oidc=args.cluster.oidc, namespace=args.namespace, service_account=SERVICE_ACCOUNT,
            inline_policy=shards.admin_secret_policy().apply(json.dumps),
        ), opts=pulumi.ResourceOptions(parent=self))
        self.service_account = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata={"name": SERVICE_ACCOUNT, "namespace": args.namespace, "labels": labels(),
                      "annotations": {"eks.amazonaws.com/role-arn": self.role.arn}},
            automount_service_account_token=False,
            opts=pulumi.ResourceOptions(parent=self, provider=args.cluster.provider, depends_on=list(args.depends_on)))

        targets = [ShardTarget(key=f"{shard.index:02d}", identifier=shard.identifier, host=shard.cluster.endpoint,
                               secret_arn=shard.secret_arn) for shard in shards.shards]
        writers = [shard.writer for shard in shards.shards if shard.writer is not None]
        self.job = k8s.batch.v1.Job(
            f"{name}-job",
            metadata={"name": JOB_NAME, "namespace": args.namespace, "labels": labels()},
            spec=job_spec(targets, self.users, database=shards.database_name, region=args.cluster.region,
                          ca_bundle_url=args.ca_bundle_url),
            opts=pulumi.ResourceOptions(
                parent=self, provider=args.cluster.provider,
                # The role's policy (not only the role the annotation names) and every writer
                # must be in place before the first pod starts.
                depends_on=[*args.depends_on, self.service_account, self.role, *writers],
                custom_timeouts=pulumi.CustomTimeouts(create=JOB_TIMEOUT, update=JOB_TIMEOUT)))
        self.register_outputs({"users": self.users, "role_arn": self.role.arn})
