"""Graph rules on a foreign program: resources wired by id or reference across components.

A platform team's program, written by hand, not by tierstack: the VPC comes from a network
component, its flow log from an audit component (different parent, unrelated names), linked only
by vpcId; a bucket's public access block and a Deployment's PodDisruptionBudget likewise.
"""

from __future__ import annotations

from tierstack.policy.model import Context, Resource
from tierstack.policy.rules import STACK_RULES
from tierstack.policy.runner import evaluate
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

RULES = {r.name: r for r in STACK_RULES}
VPC, FLOW_LOG = "aws:ec2/vpc:Vpc", "aws:ec2/flowLog:FlowLog"
BUCKET, PAB = "aws:s3/bucketV2:BucketV2", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
DEPLOYMENT, PDB = "kubernetes:apps/v1:Deployment", "kubernetes:policy/v1:PodDisruptionBudget"
FLAGS = {"blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True, "restrictPublicBuckets": True}


def res(type_, name, props, parent, id=None, outputs=None):
    return Resource(type_, name, props, f"urn:pulumi:prod::acme-platform::{type_}::{name}", parent, id=id, outputs=outputs)


def violations(rule, resources):
    return [(v.resource_name, v.message) for v in evaluate(resources, Context(production=True), [], [RULES[rule]]).violations]


NETWORK = "urn:pulumi:prod::acme-platform::acme:network:CoreNetwork::core"
AUDIT = "urn:pulumi:prod::acme-platform::acme:audit:Audit::audit"


def core_vpc(id="vpc-0a1b2c3d"):
    return res(VPC, "core", {"cidrBlock": "10.20.0.0/16", "enableDnsHostnames": True}, NETWORK, id=id,
               outputs={"arn": "arn:aws:ec2:eu-west-1:1:vpc/vpc-0a1b2c3d"})


def audit_flow_log(vpc_id="vpc-0a1b2c3d", traffic="ALL"):
    return res(FLOW_LOG, "traffic-audit", {"trafficType": traffic, "vpcId": vpc_id, "logDestinationType": "s3",
                                           "logDestination": "arn:aws:s3:::acme-audit"}, AUDIT, id="fl-1")


# --- vpc-flow-logs-enabled --------------------------------------------------------------------

def test_flow_log_attached_by_another_component_is_found():
    assert violations("vpc-flow-logs-enabled", [core_vpc(), audit_flow_log()]) == []


def test_vpc_without_any_flow_log_is_flagged():
    found = violations("vpc-flow-logs-enabled", [core_vpc()])
    assert found == [("core", "no flow log capturing ALL traffic was found for this VPC")]


def test_flow_log_of_another_vpc_does_not_cover():
    other = res(VPC, "legacy", {"cidrBlock": "10.30.0.0/16"}, NETWORK, id="vpc-legacy")
    found = violations("vpc-flow-logs-enabled", [core_vpc(), other, audit_flow_log("vpc-legacy")])
    assert [name for name, _ in found] == ["core"]


def test_flow_log_not_capturing_all_traffic_does_not_cover():
    assert [n for n, _ in violations("vpc-flow-logs-enabled", [core_vpc(), audit_flow_log(traffic="REJECT")])] == ["core"]


def test_unknown_ids_in_preview_are_undecided_not_violations():
    # The policy engine gives no ids: a known vpcId cannot be compared with the VPC's.
    assert violations("vpc-flow-logs-enabled", [core_vpc(id=None), audit_flow_log()]) == []
    # Still flagged when no flow log exists anywhere.
    assert [n for n, _ in violations("vpc-flow-logs-enabled", [core_vpc(id=None)])] == ["core"]


def test_tierstack_convention_still_holds_with_unknown_vpc_id():
    vpc = res(VPC, "net-vpc", {}, NETWORK)
    log = res(FLOW_LOG, "net-flow-log", {"trafficType": "ALL", "vpcId": UNKNOWN_STRING_VALUE}, NETWORK)
    assert violations("vpc-flow-logs-enabled", [vpc, log]) == []


# --- S3 siblings wired by bucket name ----------------------------------------------------------

STORAGE = "urn:pulumi:prod::acme-platform::acme:storage:Lake::lake"
SECURITY = "urn:pulumi:prod::acme-platform::acme:security:Guardrails::guard"


def test_public_access_block_wired_by_bucket_name_from_another_component():
    bucket = res(BUCKET, "raw", {"bucket": "acme-lake-raw"}, STORAGE, id="acme-lake-raw")
    block = res(PAB, "raw-block", {**FLAGS, "bucket": "acme-lake-raw"}, SECURITY)
    assert violations("s3-bucket-public-access-block-present", [bucket, block]) == []


def test_public_access_block_wired_by_bucket_id_output_of_autonamed_bucket():
    bucket = res(BUCKET, "raw", {}, STORAGE, id="raw-4f2a9c1", outputs={"bucket": "raw-4f2a9c1"})
    block = res(PAB, "raw-block", {**FLAGS, "bucket": "raw-4f2a9c1"}, SECURITY)
    assert violations("s3-bucket-public-access-block-present", [bucket, block]) == []


def test_bucket_without_public_access_block_is_flagged():
    raw = res(BUCKET, "raw", {"bucket": "acme-lake-raw"}, STORAGE, id="acme-lake-raw")
    curated = res(BUCKET, "curated", {"bucket": "acme-lake-curated"}, STORAGE, id="acme-lake-curated")
    block = res(PAB, "raw-block", {**FLAGS, "bucket": "acme-lake-raw"}, SECURITY)
    assert [n for n, _ in violations("s3-bucket-public-access-block-present", [raw, curated, block])] == ["curated"]
    assert [n for n, _ in violations("s3-bucket-public-access-block-present", [raw])] == ["raw"]


# --- PodDisruptionBudget wired by labels --------------------------------------------------------

APPS = "urn:pulumi:prod::acme-platform::acme:apps:Checkout::checkout"
RELIABILITY = "urn:pulumi:prod::acme-platform::acme:sre:Budgets::budgets"


def deployment():
    return res(DEPLOYMENT, "checkout", {"metadata": {"name": "checkout", "namespace": "shop"}, "spec": {
        "replicas": 3, "selector": {"matchLabels": {"app": "checkout"}},
        "template": {"metadata": {"labels": {"app": "checkout", "tier": "web"}}}}}, APPS)


def pdb(namespace="shop", app="checkout"):
    return res(PDB, "sre-pdb-7", {"metadata": {"name": "sre-pdb-7", "namespace": namespace},
                                  "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": app}}}}, RELIABILITY)


def test_pdb_from_another_component_selecting_the_labels_is_found():
    assert violations("k8s-pdb-for-multi-replica", [deployment(), pdb()]) == []


def test_deployment_without_matching_pdb_is_flagged():
    assert [n for n, _ in violations("k8s-pdb-for-multi-replica", [deployment()])] == ["checkout"]
    assert [n for n, _ in violations("k8s-pdb-for-multi-replica", [deployment(), pdb(namespace="other")])] == ["checkout"]
    assert [n for n, _ in violations("k8s-pdb-for-multi-replica", [deployment(), pdb(app="payments")])] == ["checkout"]
