import copy

from tierstack.policy.rules.kubernetes import (
    CRON_JOB, DAEMON_SET, DEPLOYMENT, HPA, JOB, PDB, POD, STATEFUL_SET, ZONE_KEY,
)

from .fixtures import (
    UNKNOWN_NUMBER_VALUE, UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE, Case, R, RuleFixtures,
)

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/web:1.4.2"
LABELS = {"app.kubernetes.io/name": "web", "app.kubernetes.io/part-of": "shop"}
HARDENED = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}
RESOURCES = {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "256Mi"}}
DELETE = object()


def container(name="app", **fields):
    return {"name": name, "image": IMAGE, "resources": copy.deepcopy(RESOURCES),
            "securityContext": copy.deepcopy(HARDENED), **fields}


def pod_spec(labels=LABELS):
    app = container(ports=[{"containerPort": 8080}],
                    readinessProbe={"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 5},
                    livenessProbe={"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10},
                    volumeMounts=[{"name": "tmp", "mountPath": "/tmp"}])
    return {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
        "initContainers": [container("migrate", command=["/app/migrate", "--up"])],
        "containers": [app],
        "volumes": [{"name": "tmp", "emptyDir": {}}],
        "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": ZONE_KEY, "whenUnsatisfiable": "ScheduleAnyway",
                                       "labelSelector": {"matchLabels": dict(labels)}}],
    }


def deployment_props(name="web", namespace="shop", replicas=3, labels=LABELS):
    """A Deployment every resource rule accepts; ``replicas=None`` leaves the count to an HPA."""
    spec = {"selector": {"matchLabels": dict(labels)},
            "template": {"metadata": {"labels": dict(labels)}, "spec": pod_spec(labels)}}
    if replicas is not None:
        spec["replicas"] = replicas
    metadata = {"name": name, "labels": dict(labels)}
    if namespace is not None:
        metadata["namespace"] = namespace
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata, "spec": spec}


def edit(props, **changes):
    """A deep copy of ``props`` with dotted paths (``__`` for ``.``) set, or removed when the value is DELETE."""
    result = copy.deepcopy(props)
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = result
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        if isinstance(node, list):
            node[int(last)] = value
        elif value is DELETE:
            node.pop(last, None)
        else:
            node[last] = value
    return result


APP = "spec__template__spec__containers__0"
INIT = "spec__template__spec__initContainers__0"
POD_SPEC = "spec__template__spec"


def deployment(props=None, name="web", **changes):
    return R(DEPLOYMENT, edit(props or deployment_props(), **changes), name)


def workload(type_, name="w"):
    """The compliant pod template inside another workload kind."""
    template = deployment_props()["spec"]["template"]
    kind = type_.rsplit(":", 1)[1]
    api_version = {JOB: "batch/v1", CRON_JOB: "batch/v1", POD: "v1"}.get(type_, "apps/v1")
    metadata = {"name": name, "namespace": "shop"}
    job_template = {**template, "spec": {**template["spec"], "restartPolicy": "OnFailure"}}
    spec = {
        STATEFUL_SET: {"replicas": 3, "serviceName": name, "selector": {"matchLabels": LABELS}, "template": template},
        DAEMON_SET: {"selector": {"matchLabels": LABELS}, "template": template},
        JOB: {"backoffLimit": 2, "template": job_template},
        CRON_JOB: {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": job_template}}},
        POD: template["spec"],
    }[type_]
    return R(type_, {"apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": copy.deepcopy(spec)}, name)


def pdb_props(name="web", namespace="shop", selector=None, **spec):
    metadata = {"name": name, "namespace": namespace} if namespace is not None else {"name": name}
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": metadata,
            "spec": {**(spec or {"maxUnavailable": 1}), "selector": selector or {"matchLabels": dict(LABELS)}}}


def pdb(name="web", **kwargs):
    return R(PDB, pdb_props(name, **kwargs), name)


def hpa_props(name="web", namespace="shop", target="web", min_replicas=3):
    spec = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "minReplicas": min_replicas, "maxReplicas": 12,
            "metrics": [{"type": "Resource",
                         "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]}
    if min_replicas is None:
        del spec["minReplicas"]
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def hpa(name="web", **kwargs):
    return R(HPA, hpa_props(name, **kwargs), name)


# An HPA-scaled Deployment leaves spec.replicas to its autoscaler.
SCALED = deployment_props(replicas=None)
# What preview sees for a Deployment built from other resources' outputs: an ECR image URL and an
# env value from a database endpoint.
PREVIEW = edit(deployment_props(), **{f"{APP}__image": UNKNOWN_STRING_VALUE,
                                      f"{APP}__env": [{"name": "DB_HOST", "value": UNKNOWN_STRING_VALUE}]})
# A namespace taken from a Namespace resource's output.
UNKNOWN_NS = {"metadata__namespace": UNKNOWN_STRING_VALUE}

FIXTURES = {
    "k8s-container-probes": RuleFixtures(
        compliant=[Case([deployment()]), Case([workload(STATEFUL_SET)]),
                   Case([deployment(**{f"{INIT}__readinessProbe": DELETE})], label="init containers need none")],
        violating=[Case([deployment(**{f"{APP}__readinessProbe": DELETE})], expect="container app has no readinessProbe"),
                   Case([deployment(**{f"{APP}__readinessProbe": DELETE, f"{APP}__livenessProbe": DELETE})],
                        expect="readinessProbe or livenessProbe"),
                   Case([R(STATEFUL_SET, edit(workload(STATEFUL_SET).props, **{f"{APP}__livenessProbe": DELETE}))],
                        expect="livenessProbe")],
        unknown=[Case([deployment(PREVIEW)]),
                 Case([deployment(**{f"{APP}__readinessProbe__httpGet__port": UNKNOWN_NUMBER_VALUE})])],
    ),
    "k8s-container-resources": RuleFixtures(
        compliant=[Case([deployment()]), Case([workload(JOB)]), Case([workload(CRON_JOB)])],
        violating=[Case([deployment(**{f"{APP}__resources__limits": DELETE})], expect="resources.limits.memory"),
                   Case([deployment(**{f"{INIT}__resources__requests__cpu": DELETE})],
                        expect="init container migrate does not set resources.requests.cpu"),
                   Case([R(DAEMON_SET, edit(workload(DAEMON_SET).props, **{f"{APP}__resources": DELETE}))],
                        expect="resources.requests.cpu, resources.requests.memory, resources.limits.memory")],
        # Sizes computed from another resource's output are unknown, but they are set.
        unknown=[Case([deployment(**{f"{APP}__resources__requests__memory": UNKNOWN_STRING_VALUE})]),
                 Case([deployment(PREVIEW)])],
    ),
    "k8s-hpa-min-replicas": RuleFixtures(
        compliant=[Case([hpa()]), Case([hpa(min_replicas=2)])],
        violating=[Case([hpa(min_replicas=1)], expect="minReplicas is 1"),
                   Case([hpa(min_replicas=1.0)], expect="minReplicas is 1:", label="engine sends numbers as floats"),
                   Case([hpa(min_replicas=None)], expect="minReplicas is 1", label="defaults to 1")],
        unknown=[Case([R(HPA, edit(hpa_props(), spec__scaleTargetRef__name=UNKNOWN_STRING_VALUE))])],
    ),
    "k8s-zone-topology-spread": RuleFixtures(
        compliant=[Case([deployment()]), Case([deployment(deployment_props(replicas=None))], label="HPA-scaled"),
                   Case([deployment(deployment_props(replicas=1), **{f"{POD_SPEC}__topologySpreadConstraints": DELETE})],
                        label="single replica")],
        violating=[Case([deployment(**{f"{POD_SPEC}__topologySpreadConstraints": DELETE})], expect=ZONE_KEY),
                   Case([deployment(SCALED, **{f"{POD_SPEC}__topologySpreadConstraints": DELETE})],
                        expect="every replica may land in one AZ", label="HPA-scaled without spread"),
                   Case([deployment(**{f"{POD_SPEC}__topologySpreadConstraints__0__topologyKey": "kubernetes.io/hostname"})],
                        expect=ZONE_KEY, label="hostname spread only"),
                   Case([deployment(**{f"{POD_SPEC}__topologySpreadConstraints__0__labelSelector": DELETE})],
                        expect="no labelSelector"),
                   Case([R(STATEFUL_SET, edit(workload(STATEFUL_SET).props, **{f"{POD_SPEC}__topologySpreadConstraints": []}))],
                        expect=ZONE_KEY)],
        unknown=[Case([deployment(PREVIEW)]),
                 Case([deployment(**{f"{POD_SPEC}__topologySpreadConstraints__0__labelSelector": UNKNOWN_OBJECT_VALUE})])],
    ),
    "k8s-run-as-non-root": RuleFixtures(
        compliant=[Case([deployment()]),
                   Case([R(POD, edit(workload(POD).props, spec__securityContext=DELETE,
                                     spec__containers__0__securityContext__runAsNonRoot=True,
                                     spec__initContainers__0__securityContext__runAsNonRoot=True))],
                        label="container level")],
        violating=[Case([deployment(**{f"{POD_SPEC}__securityContext__runAsNonRoot": DELETE})],
                        expect="container app may run as root"),
                   Case([deployment(**{f"{INIT}__securityContext__runAsNonRoot": False})],
                        expect="init container migrate", label="container overrides the pod"),
                   Case([R(JOB, edit(workload(JOB).props, **{f"{POD_SPEC}__securityContext": DELETE}))],
                        expect="runAsNonRoot")],
        unknown=[Case([deployment(PREVIEW)])],
    ),
    "k8s-no-privilege-escalation": RuleFixtures(
        compliant=[Case([deployment()]), Case([workload(DAEMON_SET)])],
        violating=[Case([deployment(**{f"{APP}__securityContext__allowPrivilegeEscalation": DELETE})],
                        expect="container app does not set securityContext.allowPrivilegeEscalation"),
                   Case([deployment(**{f"{INIT}__securityContext__allowPrivilegeEscalation": True})],
                        expect="init container migrate")],
        unknown=[Case([deployment(PREVIEW)])],
    ),
    "k8s-read-only-root-filesystem": RuleFixtures(
        compliant=[Case([deployment()]), Case([workload(POD)])],
        violating=[Case([deployment(**{f"{APP}__securityContext__readOnlyRootFilesystem": False})],
                        expect="container app does not set securityContext.readOnlyRootFilesystem"),
                   Case([deployment(**{f"{INIT}__securityContext": DELETE})], expect="init container migrate")],
        unknown=[Case([deployment(PREVIEW)])],
    ),
    "k8s-no-privileged-containers": RuleFixtures(
        compliant=[Case([deployment()]),
                   Case([deployment(**{f"{APP}__securityContext__privileged": False})], label="explicitly false")],
        violating=[Case([R(DAEMON_SET, edit(workload(DAEMON_SET).props, **{f"{APP}__securityContext__privileged": True}))],
                        expect="container app is privileged"),
                   Case([deployment(**{f"{INIT}__securityContext__privileged": "true"})],
                        expect="init container migrate is privileged")],
        unknown=[Case([deployment(PREVIEW)])],
    ),
    "k8s-drop-all-capabilities": RuleFixtures(
        compliant=[Case([deployment()]),
                   Case([deployment(**{f"{APP}__securityContext__capabilities__add": ["NET_BIND_SERVICE"]})],
                        label="low port")],
        violating=[Case([deployment(**{f"{APP}__securityContext__capabilities": DELETE})],
                        expect="container app does not drop ALL capabilities"),
                   Case([deployment(**{f"{INIT}__securityContext__capabilities__drop": ["NET_RAW"]})],
                        expect="init container migrate does not drop ALL"),
                   Case([deployment(**{f"{APP}__securityContext__capabilities__add": ["SYS_ADMIN"]})],
                        expect="adds capabilities SYS_ADMIN")],
        unknown=[Case([deployment(PREVIEW)])],
    ),
    "k8s-pinned-images": RuleFixtures(
        compliant=[Case([deployment()]),
                   Case([deployment(**{f"{APP}__image": "public.ecr.aws/nginx/nginx@sha256:" + "a" * 64})], label="digest"),
                   Case([deployment(**{f"{APP}__image": "registry.internal:5000/shop/web:2.0.1"})], label="registry port"),
                   Case([workload(CRON_JOB)])],
        violating=[Case([deployment(**{f"{APP}__image": "nginx"})], expect="image nginx has no tag"),
                   Case([deployment(**{f"{APP}__image": "nginx:latest"})], expect="mutable :latest tag"),
                   Case([deployment(**{f"{APP}__image": "registry.internal:5000/shop/web"})], expect="has no tag",
                        label="registry port is not a tag"),
                   Case([deployment(**{f"{INIT}__image": "busybox:latest"})], expect="init container migrate")],
        # The image URL comes from an ECR repository created in the same update.
        unknown=[Case([deployment(PREVIEW)])],
    ),
    "k8s-pdb-for-multi-replica": RuleFixtures(
        compliant=[Case([deployment(), pdb()]),
                   Case([deployment(deployment_props(replicas=1))], label="single replica"),
                   Case([deployment(SCALED), hpa(), pdb()], label="HPA-scaled"),
                   Case([deployment(deployment_props(namespace=None)), pdb(namespace=None)], label="default namespace"),
                   Case([deployment(), pdb(selector={"matchLabels": {"app.kubernetes.io/name": "web"},
                                                     "matchExpressions": [{"key": "app.kubernetes.io/part-of",
                                                                           "operator": "In", "values": ["shop"]}]})],
                        label="subset with expressions")],
        violating=[Case([deployment()], expect="runs 3 replicas but no PodDisruptionBudget in namespace shop"),
                   Case([deployment(SCALED), hpa()], expect="is scaled by HorizontalPodAutoscaler web"),
                   Case([deployment(), pdb(namespace="other")], expect="no PodDisruptionBudget", label="other namespace"),
                   Case([deployment(), pdb(selector={"matchLabels": {**LABELS, "tier": "api"}})],
                        expect="no PodDisruptionBudget", label="selector not a subset"),
                   Case([deployment(), pdb(selector={"matchExpressions": [{"key": "app.kubernetes.io/name",
                                                                           "operator": "NotIn", "values": ["web"]}]})],
                        expect="no PodDisruptionBudget", label="expression excludes it")],
        unknown=[Case([deployment(deployment_props(), **UNKNOWN_NS), R(PDB, edit(pdb_props(), **UNKNOWN_NS))]),
                 Case([deployment(PREVIEW), pdb()]),
                 Case([deployment(SCALED), R(HPA, edit(hpa_props(), spec__scaleTargetRef__name=UNKNOWN_STRING_VALUE))],
                      label="HPA target from a Deployment output")],
    ),
    "k8s-pdb-allows-disruption": RuleFixtures(
        compliant=[Case([deployment(), pdb()]),
                   Case([deployment(), pdb(minAvailable=2)]),
                   Case([deployment(SCALED), hpa(min_replicas=3), pdb(minAvailable="50%")], label="HPA floor"),
                   Case([pdb(minAvailable=2)], label="pods from outside the stack")],
        violating=[Case([deployment(), pdb(maxUnavailable=0)], expect="maxUnavailable is 0"),
                   Case([deployment(), pdb(maxUnavailable="0%")], expect="maxUnavailable is 0%"),
                   Case([deployment(), pdb(minAvailable=3)], expect="minAvailable 3 requires all 3 pod(s) it selects (web)"),
                   Case([deployment(spec__replicas=3.0), pdb(minAvailable=3.0)], expect="minAvailable 3 requires all 3",
                        label="engine sends numbers as floats"),
                   Case([deployment(), pdb(minAvailable="100%")], expect="minAvailable is 100%"),
                   Case([deployment(), pdb(minAvailable="90%")], expect="minAvailable 90%", label="rounds up"),
                   Case([deployment(SCALED), hpa(min_replicas=2), pdb(minAvailable=2)], expect="lowest replica count",
                        label="HPA floor")],
        unknown=[Case([deployment(), R(PDB, edit(pdb_props(minAvailable=2), **UNKNOWN_NS))]),
                 Case([deployment(), R(PDB, pdb_props(minAvailable=UNKNOWN_NUMBER_VALUE))])],
    ),
    "k8s-hpa-target": RuleFixtures(
        compliant=[Case([deployment(SCALED), hpa()]),
                   Case([deployment(SCALED), hpa(), deployment(name="worker", metadata__name="worker")],
                        label="other Deployments may set replicas")],
        violating=[Case([hpa()], expect="scaleTargetRef Deployment web was not found in namespace shop"),
                   Case([deployment(deployment_props(replicas=None, namespace="other")), hpa()],
                        expect="not found", label="other namespace"),
                   Case([deployment(SCALED, metadata__name="web-0a1b2c3d"), hpa()], expect="not found",
                        label="autonamed Deployment"),
                   Case([deployment(), hpa()], expect="sets static spec.replicas while HorizontalPodAutoscaler web")],
        unknown=[Case([deployment(), R(HPA, edit(hpa_props(), spec__scaleTargetRef__name=UNKNOWN_STRING_VALUE))]),
                 Case([deployment(SCALED, **UNKNOWN_NS), R(HPA, edit(hpa_props(), **UNKNOWN_NS))])],
    ),
}


# -- k8s-alb-ingress-https-only -----------------------------------------------------------------

_ALB_ANNOTATIONS = {
    "alb.ingress.kubernetes.io/listen-ports": '[{"HTTPS": 443}]',
    "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
}


def _ingress(annotations=None, host="api.example.com", tls=None):
    rule = {"http": {"paths": [{"path": "/", "pathType": "Prefix",
                                "backend": {"service": {"name": "web", "port": {"name": "http"}}}}]}}
    if host:
        rule["host"] = host
    spec = {"ingressClassName": "alb", "rules": [rule]}
    if tls:
        spec["tls"] = tls
    return R("kubernetes:networking.k8s.io/v1:Ingress", {
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "public-api", "namespace": "agents",
                     "annotations": _ALB_ANNOTATIONS if annotations is None else annotations},
        "spec": spec})


FIXTURES["k8s-alb-ingress-https-only"] = RuleFixtures(
    compliant=[Case([_ingress()], label="host discovery"),
               Case([_ingress({**_ALB_ANNOTATIONS, "alb.ingress.kubernetes.io/certificate-arn": "arn:aws:acm:x"}, host=None)],
                    label="pinned certificate")],
    violating=[Case([_ingress({**_ALB_ANNOTATIONS, "alb.ingress.kubernetes.io/listen-ports": '[{"HTTP": 80}, {"HTTPS": 443}]'})],
                    expect="plain-HTTP"),
               Case([_ingress({"alb.ingress.kubernetes.io/listen-ports": '[{"HTTPS": 443}]'})], expect="TLS below 1.2"),
               Case([_ingress(host=None)], expect="no certificate-arn"),
               Case([_ingress({})], expect="plain-HTTP", label="controller defaults")],
    unknown=[Case([_ingress({**_ALB_ANNOTATIONS, "alb.ingress.kubernetes.io/certificate-arn": UNKNOWN_STRING_VALUE}, host=None)])],
)
