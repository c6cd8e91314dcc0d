"""``AgentService``: one workload with its identity, scaling, disruption budget and network policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_kubernetes as k8s

from tierstack.aws.iam import IrsaRole, IrsaRoleArgs
from tierstack.config.model import AutoscalingSettings
from tierstack.documented import documented
from tierstack.kube import ClusterContext
from tierstack.services import manifests
from tierstack.services.manifests import Workload


@documented
@dataclass(frozen=True)
class AgentServiceArgs:
    # The service's Deployment, ports, probes and environment.
    workload: Workload
    # The cluster the workload runs on: its OIDC issuer trusts the workload's IRSA role.
    cluster: ClusterContext
    # Services allowed to call this one (NetworkPolicy ingress); () admits no other service.
    callers: Sequence[str] = ()
    # Load balancer subnet blocks admitted to the pods; () for services not behind the ALB.
    load_balancer_cidrs: Sequence[str] = ()
    # An HPA owns the replica count when this is set and enabled.
    autoscaling: Optional[AutoscalingSettings] = None
    # A ClusterIP Service in front of the pods; queue workers take no calls and need none.
    expose: bool = True
    # The IRSA role's inline policy: exactly what this workload calls in AWS, or nothing.
    iam_policy: Optional[pulumi.Input[str]] = None
    # What every object must wait for: the namespace (which the engine cannot infer from its name),
    # and anything the pods read at start such as the shard map.
    depends_on: Sequence[pulumi.Resource] = ()


class AgentService(pulumi.ComponentResource):
    deployment: k8s.apps.v1.Deployment
    service: Optional[k8s.core.v1.Service]
    autoscaler: Optional[k8s.autoscaling.v2.HorizontalPodAutoscaler]
    role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: AgentServiceArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("tierstack:services:AgentService", name, None, opts)
        workload = args.workload
        # Every object waits for what the caller says must exist first (its namespace at least):
        # a literal namespace string is no dependency, and the API server answers NotFound.
        k8s_opts = pulumi.ResourceOptions(parent=self, provider=args.cluster.provider, depends_on=list(args.depends_on))

        def meta(annotations=None):
            return manifests.metadata(workload.name, workload.namespace, workload.labels, annotations)

        role = IrsaRole(name, IrsaRoleArgs(
            oidc=args.cluster.oidc, namespace=workload.namespace, service_account=workload.name,
            inline_policy=args.iam_policy,
        ), opts=pulumi.ResourceOptions(parent=self))
        self.role_arn = role.arn
        account = k8s.core.v1.ServiceAccount(
            f"{name}-sa", metadata=meta({"eks.amazonaws.com/role-arn": role.arn}),
            automount_service_account_token=False, opts=k8s_opts,
        )
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment", metadata=meta(), spec=manifests.deployment_spec(workload),
            opts=pulumi.ResourceOptions(parent=self, provider=args.cluster.provider,
                                        depends_on=[account, role, *args.depends_on]),
        )
        self.service = k8s.core.v1.Service(
            f"{name}-service", metadata=meta(), spec=manifests.service_spec(workload), opts=k8s_opts,
        ) if args.expose else None

        scaling = args.autoscaling if args.autoscaling and args.autoscaling.enabled else None
        self.autoscaler = k8s.autoscaling.v2.HorizontalPodAutoscaler(
            f"{name}-hpa", metadata=meta(), spec=manifests.hpa_spec(workload.name, scaling),
            opts=pulumi.ResourceOptions(parent=self, provider=args.cluster.provider, depends_on=[self.deployment]),
        ) if scaling else None

        # A budget matters wherever more than one pod may run: autoscaled or replicated.
        if scaling or workload.replicas is None or (workload.replicas or 0) > 1:
            k8s.policy.v1.PodDisruptionBudget(
                f"{name}-pdb", metadata=meta(), spec=manifests.pdb_spec(workload.name), opts=k8s_opts,
            )
        k8s.networking.v1.NetworkPolicy(
            f"{name}-netpol", metadata=meta(),
            spec=manifests.network_policy_spec(workload.name, workload.port, args.callers, args.load_balancer_cidrs),
            opts=k8s_opts,
        )
        self.register_outputs({"role_arn": self.role_arn})
