"""Kubernetes workloads: pod security, resources, probes, pinned images, and the PDB/HPA wiring."""

from __future__ import annotations

from math import ceil


from tierstack_guardrails.model import Severity, rule, stack_rule
from tierstack_guardrails.props import UNDECIDED, get, has, items, known, raw, truthy

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
DAEMON_SET = "kubernetes:apps/v1:DaemonSet"
JOB = "kubernetes:batch/v1:Job"
CRON_JOB = "kubernetes:batch/v1:CronJob"
POD = "kubernetes:core/v1:Pod"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
HPA_V1 = "kubernetes:autoscaling/v1:HorizontalPodAutoscaler"
HPAS = (HPA, HPA_V1)
REPLICATED = (DEPLOYMENT, STATEFUL_SET)
WORKLOADS = (DEPLOYMENT, STATEFUL_SET, DAEMON_SET, JOB, CRON_JOB, POD)
ZONE_KEY = "topology.kubernetes.io/zone"
ALLOWED_ADDED_CAPABILITIES = ("NET_BIND_SERVICE",)

_POD_SPEC_PATHS = {POD: "spec", CRON_JOB: "spec.jobTemplate.spec.template.spec"}


def _pod_spec(resource):
    return get(resource.props, _POD_SPEC_PATHS.get(resource.type, "spec.template.spec"), {})


def _containers(resource, init=True):
    """(label for messages, container) for every container, and init container unless ``init`` is False."""
    pod = _pod_spec(resource)
    kinds = [("containers", "container")] + ([("initContainers", "init container")] if init else [])
    for key, label in kinds:
        for container in items(pod, key):
            yield f"{label} {get(container, 'name', '?')}", container


def _number(value):
    """Counts as the user wrote them: the engine delivers every number as a float."""
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


def _setting(container, key):
    return get(container, f"securityContext.{key}")


# -- Probes, resources, scaling ----------------------------------------------------------------

@rule("k8s-container-probes",
      "Every container of a Deployment or StatefulSet has a readiness and a liveness probe.",
      Severity.HIGH,
      "Set readinessProbe (gates traffic during rollouts) and livenessProbe (restarts a wedged process) on every "
      "entry of spec.template.spec.containers, e.g. httpGet on the app's health endpoints.",
      *REPLICATED)
def k8s_container_probes(resource, context):
    for label, container in _containers(resource, init=False):
        missing = [probe for probe in ("readinessProbe", "livenessProbe") if not has(container, probe)]
        if missing:
            yield f"{label} has no {' or '.join(missing)}"


@rule("k8s-container-resources",
      "Every container and init container requests CPU and memory and caps its memory.",
      Severity.HIGH,
      "Set resources.requests.cpu, resources.requests.memory and resources.limits.memory on every container and "
      "init container (a memory limit equal to the request is the safe default).",
      *WORKLOADS)
def k8s_container_resources(resource, context):
    # Without requests the scheduler overpacks nodes; without a memory limit one leak evicts the node's neighbours.
    for label, container in _containers(resource):
        missing = [f"resources.{path}" for path in ("requests.cpu", "requests.memory", "limits.memory")
                   if not has(container, f"resources.{path}")]
        if missing:
            yield f"{label} does not set {', '.join(missing)}"


@rule("k8s-hpa-min-replicas",
      "Every HorizontalPodAutoscaler keeps at least two replicas, so scaling in never leaves a single pod.",
      Severity.HIGH,
      "Set spec.minReplicas to 2 or more (it defaults to 1 when omitted).",
      *HPAS)
def k8s_hpa_min_replicas(resource, context):
    minimum = get(resource.props, "spec.minReplicas", 1)
    if int(minimum) < 2:
        yield f"minReplicas is {_number(minimum)}: at the floor one pod failing takes the service down"


@rule("k8s-zone-topology-spread",
      "Multi-replica (or HPA-scaled) Deployments and StatefulSets spread their pods across availability zones.",
      Severity.MEDIUM,
      f"Add a spec.template.spec.topologySpreadConstraints entry with topologyKey {ZONE_KEY}, maxSkew 1 and a "
      "labelSelector matching the pod template's labels.",
      *REPLICATED)
def k8s_zone_topology_spread(resource, context):
    replicas = get(resource.props, "spec.replicas")
    if replicas is not None and int(replicas) <= 1:
        return  # no spec.replicas means an HPA owns the count, so it is multi-replica
    zonal = [c for c in items(_pod_spec(resource), "topologySpreadConstraints") if get(c, "topologyKey") == ZONE_KEY]
    if not zonal:
        yield f"no topologySpreadConstraints entry on {ZONE_KEY}: every replica may land in one AZ"
    elif not any(has(c, "labelSelector") for c in zonal):
        # The scheduler counts no pods for a constraint without a selector, so it never spreads anything.
        yield f"the {ZONE_KEY} spread constraint has no labelSelector"


# -- Pod security ------------------------------------------------------------------------------

@rule("k8s-run-as-non-root",
      "Every container runs as a non-root user, enforced by runAsNonRoot at pod or container level.",
      Severity.HIGH,
      "Set spec.template.spec.securityContext.runAsNonRoot to true (or securityContext.runAsNonRoot on each "
      "container), with a non-zero runAsUser or an image whose USER is numeric and non-root.",
      *WORKLOADS)
def k8s_run_as_non_root(resource, context):
    for label, container in _containers(resource):
        value = _setting(container, "runAsNonRoot")
        if value is None:  # the container inherits the pod's setting only when it sets none itself
            value = get(_pod_spec(resource), "securityContext.runAsNonRoot")
        if not truthy(value):
            yield f"{label} may run as root: runAsNonRoot is not true at pod or container level"


@rule("k8s-no-privilege-escalation",
      "No container can gain more privileges than its parent process (setuid binaries, file capabilities).",
      Severity.HIGH,
      "Set securityContext.allowPrivilegeEscalation to false on every container and init container; Kubernetes "
      "defaults it to true.",
      *WORKLOADS)
def k8s_no_privilege_escalation(resource, context):
    for label, container in _containers(resource):
        value = _setting(container, "allowPrivilegeEscalation")
        if value is None or truthy(value):
            yield f"{label} does not set securityContext.allowPrivilegeEscalation to false"


@rule("k8s-read-only-root-filesystem",
      "Containers mount their root filesystem read-only, so a compromise cannot rewrite the image.",
      Severity.MEDIUM,
      "Set securityContext.readOnlyRootFilesystem to true on every container and init container; mount an "
      "emptyDir volume where the process needs to write (e.g. /tmp).",
      *WORKLOADS)
def k8s_read_only_root_filesystem(resource, context):
    for label, container in _containers(resource):
        if not truthy(_setting(container, "readOnlyRootFilesystem") or False):
            yield f"{label} does not set securityContext.readOnlyRootFilesystem to true"


@rule("k8s-no-privileged-containers",
      "No container runs privileged: a privileged container is root on the node.",
      Severity.CRITICAL,
      "Remove securityContext.privileged (or set it to false); grant the one capability the process needs "
      "instead, or move node-level work to an EKS managed add-on.",
      *WORKLOADS)
def k8s_no_privileged_containers(resource, context):
    for label, container in _containers(resource):
        if truthy(_setting(container, "privileged") or False):
            yield f"{label} is privileged: it has full access to the node and every pod on it"


@rule("k8s-drop-all-capabilities",
      "Containers drop all Linux capabilities and add back at most NET_BIND_SERVICE.",
      Severity.MEDIUM,
      "Set securityContext.capabilities.drop to ['ALL'] on every container and init container; add back only "
      "NET_BIND_SERVICE, and only if the process binds a port below 1024.",
      *WORKLOADS)
def k8s_drop_all_capabilities(resource, context):
    for label, container in _containers(resource):
        capabilities = _setting(container, "capabilities") or {}
        if "ALL" not in [str(c).upper() for c in items(capabilities, "drop")]:
            yield f"{label} does not drop ALL capabilities"
        added = [str(c) for c in items(capabilities, "add") if str(c).upper() not in ALLOWED_ADDED_CAPABILITIES]
        if added:
            yield f"{label} adds capabilities {', '.join(added)}"


# -- Images ------------------------------------------------------------------------------------

def _unpinned(image: str):
    """Why the image reference can change under the same spec, or None if it cannot."""
    if "@sha256:" in image:
        return None
    last = image.rsplit("/", 1)[-1]  # a registry's ":port" is never in the last path segment
    tag = last.rpartition(":")[2] if ":" in last else ""
    if not tag:
        return "has no tag, so it pulls :latest"
    if tag == "latest":
        return "uses the mutable :latest tag"
    return None


@rule("k8s-pinned-images",
      "Every container image is pinned to an explicit version tag or a digest, never latest.",
      Severity.HIGH,
      "Set image to repository:version (not latest), or better repository@sha256:digest, on every container and "
      "init container, so a rollout or a node replacement never pulls a different build.",
      *WORKLOADS)
def k8s_pinned_images(resource, context):
    for label, container in _containers(resource):
        if not has(container, "image"):
            continue
        image = str(get(container, "image"))  # an image computed from another resource is undecided in preview
        problem = _unpinned(image)
        if problem:
            yield f"{label} image {image} {problem}"


# -- Disruption budgets and autoscalers (need the graph) ----------------------------------------
# Objects are linked by what the components write literally: names, namespaces and labels. Of
# those, a namespace (from a Namespace resource) and an HPA's target name (from a Deployment's
# output) are commonly unknown in preview; an unknown namespace matches any, an HPA with an
# unknown target is left to `pulumi up`.

def _namespace(resource):
    return known(resource.props, "metadata.namespace") or "default"


def _same_namespace(a, b) -> bool:
    first, second = _namespace(a), _namespace(b)
    return first is UNDECIDED or second is UNDECIDED or first == second


def _of_kind(resources, *types):
    return [r for r in resources if r.type in types]


def _targets(hpa, workload) -> bool:
    kind, name = known(hpa.props, "spec.scaleTargetRef.kind"), known(hpa.props, "spec.scaleTargetRef.name")
    if kind is UNDECIDED or name is UNDECIDED:
        return False
    return (workload.type.startswith("kubernetes:") and workload.type.endswith(f":{kind}")
            and get(workload.props, "metadata.name") == name and _same_namespace(hpa, workload))


def _selects(selector, labels) -> bool:
    """A label selector as Kubernetes evaluates it; a null selector selects nothing."""
    if selector is None:
        return False
    if any(labels.get(key) != value for key, value in (get(selector, "matchLabels") or {}).items()):
        return False
    for expression in items(selector, "matchExpressions"):
        key, operator = get(expression, "key"), get(expression, "operator")
        present, values = key in labels, list(items(expression, "values"))
        if ((operator == "In" and not (present and labels[key] in values))
                or (operator == "NotIn" and present and labels[key] in values)
                or (operator == "Exists" and not present) or (operator == "DoesNotExist" and present)):
            return False
    return True


def _pod_labels(workload):
    return get(workload.props, "spec.template.metadata.labels", {})


def _selected(pdb, workloads):
    selector = get(pdb.props, "spec.selector")
    return [w for w in workloads if _same_namespace(pdb, w) and _selects(selector, _pod_labels(w))]


def _replica_floor(workload, hpas):
    """The fewest pods the workload runs: its HPA's minReplicas, else its static count (default 1)."""
    hpa = next((h for h in hpas if _targets(h, workload)), None)
    value = known(hpa.props, "spec.minReplicas", 1) if hpa else known(workload.props, "spec.replicas", 1)
    return None if value is UNDECIDED else int(value)


@stack_rule("k8s-pdb-for-multi-replica",
            "Every Deployment with more than one replica, or scaled by an HPA, has a PodDisruptionBudget selecting "
            "its pods, so node drains and upgrades evict them a few at a time.",
            Severity.HIGH,
            "Add a policy/v1 PodDisruptionBudget in the Deployment's namespace with spec.maxUnavailable 1 and "
            "spec.selector.matchLabels set to (a subset of) the Deployment's spec.template.metadata.labels.")
def k8s_pdb_for_multi_replica(resources, context):
    hpas, pdbs = _of_kind(resources, *HPAS), _of_kind(resources, PDB)
    for deployment in _of_kind(resources, DEPLOYMENT):
        scaler = next((h for h in hpas if _targets(h, deployment)), None)
        if scaler is None and int(get(deployment.props, "spec.replicas", 1)) <= 1:
            continue
        if not any(_selected(pdb, [deployment]) for pdb in pdbs):
            why = f"is scaled by HorizontalPodAutoscaler {scaler.name}" if scaler else \
                f"runs {_number(get(deployment.props, 'spec.replicas'))} replicas"
            yield deployment, (f"{why} but no PodDisruptionBudget in namespace {_namespace(deployment)} "
                               "selects its pod labels")


def _pods_required(min_available, total):
    """minAvailable as a pod count; Kubernetes rounds a percentage up."""
    if isinstance(min_available, str) and min_available.endswith("%"):
        return ceil(int(min_available[:-1]) * total / 100)
    count = _number(min_available)
    return count if isinstance(count, int) else None


@stack_rule("k8s-pdb-allows-disruption",
            "No PodDisruptionBudget forbids every eviction, which blocks node drains, node group upgrades and "
            "Karpenter consolidation indefinitely.",
            Severity.HIGH,
            "Use spec.maxUnavailable 1 (or a percentage above 0%), or a spec.minAvailable below the number of pods "
            "the budget selects (for an HPA-scaled Deployment, below its minReplicas).")
def k8s_pdb_allows_disruption(resources, context):
    hpas, workloads = _of_kind(resources, *HPAS), _of_kind(resources, *REPLICATED)
    for pdb in _of_kind(resources, PDB):
        max_unavailable, min_available = known(pdb.props, "spec.maxUnavailable"), known(pdb.props, "spec.minAvailable")
        if max_unavailable in (0, "0%"):
            yield pdb, f"maxUnavailable is {_number(max_unavailable)}: no pod it selects may ever be evicted"
        elif min_available == "100%":
            yield pdb, "minAvailable is 100%: no pod it selects may ever be evicted"
        elif min_available is not None and min_available is not UNDECIDED:
            selected = _selected(pdb, workloads)
            floors = [_replica_floor(w, hpas) for w in selected]
            if not selected or None in floors:
                continue  # its pods come from outside the stack, or their count is unknown in preview
            required = _pods_required(min_available, sum(floors))
            if required is not None and required >= sum(floors):
                names = ", ".join(w.name for w in selected)
                yield pdb, (f"minAvailable {_number(min_available)} requires all {sum(floors)} pod(s) it selects ({names}) "
                            "at their lowest replica count: no pod may ever be evicted")


@stack_rule("k8s-hpa-target",
            "Every HorizontalPodAutoscaler scales a workload in the same namespace of this stack, and that workload "
            "sets no static replica count that would fight the autoscaler.",
            Severity.HIGH,
            "Point spec.scaleTargetRef (kind and name) at the Deployment's metadata.name, in the HPA's namespace (set "
            "metadata.name explicitly so the two match), and remove spec.replicas from the Deployment: the HPA owns "
            "the count and a static one resets it on every pulumi up.")
def k8s_hpa_target(resources, context):
    kubernetes = [r for r in resources if r.type.startswith("kubernetes:")]
    for hpa in _of_kind(resources, *HPAS):
        kind, name = known(hpa.props, "spec.scaleTargetRef.kind"), known(hpa.props, "spec.scaleTargetRef.name")
        if kind is UNDECIDED or name is UNDECIDED:
            continue
        targets = [r for r in kubernetes if _targets(hpa, r)]
        if not targets:
            yield hpa, f"scaleTargetRef {kind} {name} was not found in namespace {_namespace(hpa)} of this stack"
        for target in targets:
            if has(target.props, "spec.replicas"):
                yield target, (f"sets static spec.replicas while HorizontalPodAutoscaler {hpa.name} scales it: "
                               "every pulumi up resets the autoscaled count")


# -- Ingress -----------------------------------------------------------------------------------

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
_ALB = "alb.ingress.kubernetes.io"


@rule("k8s-alb-ingress-https-only",
      "Public ALB ingresses listen on HTTPS only, with a TLS 1.2+ policy and a certificate the controller can find.",
      Severity.HIGH,
      f"Set {_ALB}/listen-ports to '[{{\"HTTPS\": 443}}]', {_ALB}/ssl-policy to a TLS13 or TLS-1-2 policy, and either "
      f"{_ALB}/certificate-arn or a host (tierstack: services.ingress.host) so the ACM certificate is discovered.",
      INGRESS)
def k8s_alb_ingress_https_only(resource, context):
    if get(resource.props, "spec.ingressClassName") != "alb":
        return
    annotations = get(resource.props, "metadata.annotations", {}) or {}
    listeners = annotations.get(f"{_ALB}/listen-ports", '[{"HTTP": 80}]')  # the controller's default is HTTP
    if "HTTP\"" in listeners.replace(" ", "").replace("HTTPS\"", ""):
        yield f"listen-ports {listeners} opens a plain-HTTP listener"
    policy = annotations.get(f"{_ALB}/ssl-policy", "")
    if "TLS13" not in policy and "TLS-1-2" not in policy:
        yield f"ssl-policy '{policy or 'default'}' allows TLS below 1.2"
    hosts = [h for rule_ in items(resource.props, "spec.rules") for h in [get(rule_, "host")] if h]
    hosts += [h for tls in items(resource.props, "spec.tls") for h in items(tls, "hosts")]
    # Annotation keys contain dots, so ask the mapping itself (an unknown ARN still counts as set).
    if f"{_ALB}/certificate-arn" not in raw(annotations) and not hosts:
        yield "no certificate-arn and no host to discover an ACM certificate by: the HTTPS listener cannot start"
