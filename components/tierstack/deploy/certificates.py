"""Controller semantics of the AWS Load Balancer Controller's TLS certificates.

With ``alb.ingress.kubernetes.io/certificate-arn`` the controller uses exactly that certificate,
and creating the listener fails until ACM has issued it. Without it, the controller discovers a
certificate per host among the *issued* ACM certificates of its region, and refuses a host that
more than one certificate matches (aws-load-balancer-controller, pkg/ingress/cert_discovery.go:
"multiple certificate found for host"), so the ALB is never built. Both cases are decided from
the plan: which certificates exist in which region, and what the Ingress waits for.
"""

from __future__ import annotations

from typing import Iterator, Sequence

from tierstack.deploy.graph import DeployGraph, Problem, RecordedResource, kind_of

CHECK = "controllers"
CERTIFICATE = "aws:acm/certificate:Certificate"
VALIDATION = "aws:acm/certificateValidation:CertificateValidation"
CERTIFICATE_ARN_ANNOTATION = "alb.ingress.kubernetes.io/certificate-arn"


def certificate_names(certificate: RecordedResource) -> list[str]:
    inputs = certificate.inputs
    return [str(inputs.get("domainName", "")), *[str(n) for n in inputs.get("subjectAlternativeNames") or []]]


def covers(pattern: str, host: str) -> bool:
    """ACM name matching: exact, or a wildcard standing for exactly one leftmost label."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == host


def ingress_hosts(ingress: RecordedResource) -> list[str]:
    spec = ingress.inputs.get("spec") or {}
    hosts = [h for tls in spec.get("tls") or [] for h in tls.get("hosts") or []]
    hosts += [rule["host"] for rule in spec.get("rules") or [] if rule.get("host")]
    return list(dict.fromkeys(hosts))


def _annotation_arns(ingress: RecordedResource) -> list[str]:
    annotations = (ingress.inputs.get("metadata") or {}).get("annotations") or {}
    value = annotations.get(CERTIFICATE_ARN_ANNOTATION)
    return [arn.strip() for arn in str(value).split(",") if arn.strip()] if value else []


def _validations_of(graph: DeployGraph, certificate: RecordedResource) -> list[RecordedResource]:
    arn = certificate.outputs.get("arn")
    return [v for v in graph.of_type(VALIDATION) if v.inputs.get("certificateArn") == arn]


def _must_wait_for_issue(graph: DeployGraph, ingress: RecordedResource,
                         certificates: Sequence[RecordedResource]) -> Iterator[Problem]:
    for certificate in certificates:
        validations = _validations_of(graph, certificate)
        if not any(graph.ordered(ingress.urn, v.urn) for v in validations):
            waited = validations[0].name if validations else f"a CertificateValidation of {certificate.name}"
            yield Problem(CHECK, ingress.urn, ingress.type, ingress.name,
                          f"its listener needs certificate {certificate.name}, and nothing makes it wait until ACM "
                          "has issued it; the controller cannot attach a pending certificate.",
                          f"take the certificate ARN from {waited}.certificate_arn (or depend on it).")


def ingress_certificates_resolve(graph: DeployGraph) -> Iterator[Problem]:
    certificates = graph.of_type(CERTIFICATE)
    for ingress in graph.kubernetes_objects():
        if kind_of(ingress.type) != "networking.k8s.io/Ingress":
            continue
        region = graph.region_of(ingress)
        regional = [c for c in certificates if graph.region_of(c) == region]
        pinned = _annotation_arns(ingress)
        if pinned:
            used = [c for c in regional if c.outputs.get("arn") in pinned]
            yield from _must_wait_for_issue(graph, ingress, used)
            continue
        for host in ingress_hosts(ingress):
            matching = [c for c in regional if any(covers(name, host) for name in certificate_names(c))]
            if len(matching) > 1:
                yield Problem(
                    CHECK, ingress.urn, ingress.type, ingress.name,
                    f"{len(matching)} certificates in {region} cover '{host}' "
                    f"({', '.join(c.name for c in matching)}); the load balancer controller refuses a host that "
                    "several issued certificates match, so the ALB is never built.",
                    f"set the {CERTIFICATE_ARN_ANNOTATION} annotation, or keep one certificate per host in the region.")
            yield from _must_wait_for_issue(graph, ingress, matching)


CHECKS = (ingress_certificates_resolve,)


def check(graph: DeployGraph) -> list[Problem]:
    return [problem for rule in CHECKS for problem in rule(graph)]
