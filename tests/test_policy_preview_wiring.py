"""Graph rules at preview follow the wiring (property dependencies), not only values and parents.

At ``pulumi preview`` a new VPC's id is unknown, so a flow log's ``vpcId`` cannot be compared
with it; what is known is that the flow log's ``vpcId`` came from that VPC's output (the engine's
``propertyDependencies``). A foreign program, written by hand, puts the VPC and its flow log in
different components. It runs here under mocks that answer as the engine does at preview (no
ids, no computed outputs), then through the offline gate's view and the CrossGuard adapter.
"""

from __future__ import annotations

from typing import Callable, Optional

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.runtime import mocks as pulumi_mocks
from pulumi_policy import StackValidationArgs
from pulumi_policy.policy import PolicyResource, PolicyResourceOptions
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from tierstack import testing
from tierstack.policy.model import Context
from tierstack.policy.pack import build_policies
from tierstack.policy.rules import STACK_RULES
from tierstack.policy.runner import evaluate
from tierstack.tooling.engine import RecordingMonitor
from tierstack.tooling.gate import resource_views

VPC, FLOW_LOG = "aws:ec2/vpc:Vpc", "aws:ec2/flowLog:FlowLog"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WEB_ACL_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
FLOW_LOG_RULE = "vpc-flow-logs-enabled"
NO_FLOW_LOG = "no flow log capturing ALL traffic was found for this VPC"


class EnginePreviewMocks(testing.TierstackMocks):
    """The engine's answers at preview for resources not yet created: no id, and no outputs
    beyond the inputs (so ids and ARNs read by other resources are unknown)."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        super().new_resource(args)
        return "", dict(args.inputs)


def run_preview(program: Callable[[], None]) -> testing.Recorder:
    mocks = EnginePreviewMocks("eu-west-1")
    monitor = RecordingMonitor(mocks, mocks.regions)
    monitor.stack_outputs = {}
    pulumi.runtime.set_all_config({"aws:region": "eu-west-1"})
    pulumi_mocks.set_mocks(mocks, project="acme-platform", stack="prod", preview=True, monitor=monitor)
    recorder = testing.Recorder(monitor, mocks)
    pulumi.runtime.test(program)()
    return recorder


def run_deploy(program: Callable[[], None]) -> testing.Recorder:
    recorder = testing.set_mocks(region="eu-west-1", project="acme-platform", stack="prod")
    pulumi.runtime.test(program)()
    return recorder


def flagged(recorder: testing.Recorder, rule: str = FLOW_LOG_RULE) -> list[tuple[str, str]]:
    (check,) = [r for r in STACK_RULES if r.name == rule]
    evaluation = evaluate(resource_views(recorder.resources), Context(production=True), [], [check])
    return sorted((v.resource_name, v.message) for v in evaluation.violations)


# --- the foreign program: a platform team's own components -------------------------------------

class CoreNetwork(pulumi.ComponentResource):
    def __init__(self, name: str, vpcs: dict[str, str], opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("acme:network:CoreNetwork", name, None, opts)
        self.vpcs = {vpc: aws.ec2.Vpc(vpc, cidr_block=cidr, enable_dns_hostnames=True,
                                      opts=pulumi.ResourceOptions(parent=self))
                     for vpc, cidr in vpcs.items()}
        self.register_outputs({})


class TrafficAudit(pulumi.ComponentResource):
    """Flow logs for VPCs owned elsewhere, all to one audit bucket."""

    def __init__(self, name: str, vpc_ids: dict[str, pulumi.Input[str]], opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("acme:audit:TrafficAudit", name, None, opts)
        for label, vpc_id in vpc_ids.items():
            aws.ec2.FlowLog(f"{name}-{label}", vpc_id=vpc_id, traffic_type="ALL", log_destination_type="s3",
                            log_destination="arn:aws:s3:::acme-audit", opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


class SharedServices(pulumi.ComponentResource):
    """Its own tooling VPC (left without a flow log) and the audit of the core VPC."""

    def __init__(self, name: str, audited_vpc_id: pulumi.Input[str], opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("acme:shared:SharedServices", name, None, opts)
        aws.ec2.Vpc(f"{name}-tooling", cidr_block="10.40.0.0/16", opts=pulumi.ResourceOptions(parent=self))
        aws.ec2.FlowLog(f"{name}-core-audit", vpc_id=audited_vpc_id, traffic_type="ALL", log_destination_type="s3",
                        log_destination="arn:aws:s3:::acme-audit", opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})


def audited_core():
    network = CoreNetwork("core", {"core": "10.20.0.0/16"})
    TrafficAudit("audit", {"core": network.vpcs["core"].id})


def audited_core_and_unaudited_spare():
    network = CoreNetwork("core", {"core": "10.20.0.0/16", "spare": "10.30.0.0/16"})
    TrafficAudit("audit", {"core": network.vpcs["core"].id})


def tooling_vpc_beside_the_core_audit():
    network = CoreNetwork("core", {"core": "10.20.0.0/16"})
    SharedServices("shared", network.vpcs["core"].id)


# --- preview: the offline gate's view of a preview run ------------------------------------------

def test_preview_leaves_the_flow_logs_vpc_id_unknown_but_records_where_it_came_from():
    recorder = run_preview(audited_core)
    vpc = recorder.named("core", VPC)
    (log,) = recorder.of_type(FLOW_LOG)
    assert vpc.id == ""
    assert log.property_dependencies == {"vpcId": [vpc.urn]}
    (view,) = [r for r in resource_views(recorder.resources) if r.type == FLOW_LOG]
    assert view.props["vpcId"] == UNKNOWN_STRING_VALUE  # as the policy engine passes an unknown
    assert view.depends_on("vpcId") == (vpc.urn,) and view.parent != vpc.parent


def test_vpc_whose_flow_log_another_component_attaches_passes_at_preview():
    assert flagged(run_preview(audited_core)) == []


def test_second_vpc_without_a_flow_log_is_still_flagged_at_preview():
    assert flagged(run_preview(audited_core_and_unaudited_spare)) == [("spare", NO_FLOW_LOG)]


def test_a_components_flow_log_for_another_vpc_does_not_cover_its_own_vpc_at_preview():
    # By parent alone the shared component's flow log would cover its tooling VPC (and leave the
    # core VPC bare); its vpcId comes from the core VPC, so the tooling VPC is the one flagged.
    assert flagged(run_preview(tooling_vpc_beside_the_core_audit)) == [("shared-tooling", NO_FLOW_LOG)]


def test_a_vpc_id_drawn_from_several_vpcs_leaves_them_undecided_not_flagged():
    def program():
        network = CoreNetwork("core", {"core": "10.20.0.0/16", "spare": "10.30.0.0/16"})
        either = pulumi.Output.all(network.vpcs["core"].id, network.vpcs["spare"].id).apply(lambda ids: ids[0])
        TrafficAudit("audit", {"one": either})

    recorder = run_preview(program)
    (log,) = recorder.of_type(FLOW_LOG)
    assert sorted(log.property_dependencies["vpcId"]) == sorted(v.urn for v in recorder.of_type(VPC))
    assert flagged(recorder) == []


@pytest.mark.parametrize("program, expected", [
    (audited_core, []),
    (audited_core_and_unaudited_spare, [("spare", NO_FLOW_LOG)]),
    (tooling_vpc_beside_the_core_audit, [("shared-tooling", NO_FLOW_LOG)]),
])
def test_deploy_time_ids_give_the_same_answer_as_the_preview_wiring(program, expected):
    recorder = run_deploy(program)
    assert all(v.id for v in recorder.of_type(VPC))  # known ids: matched by value
    assert flagged(recorder) == expected


# --- the CrossGuard adapter: the engine's PolicyResource.property_dependencies -------------------

OPTIONS = PolicyResourceOptions(protect=False, ignore_changes=[], delete_before_replace=False, aliases=[],
                                custom_timeouts=None, additional_secret_outputs=[])
NETWORK_URN = "urn:pulumi:prod::acme-platform::acme:network:CoreNetwork::core"
AUDIT_URN = "urn:pulumi:prod::acme-platform::acme:audit:TrafficAudit::audit"


def policy_resource(type_: str, name: str, props: dict, parent: PolicyResource,
                    wiring: Optional[dict[str, list[PolicyResource]]] = None) -> PolicyResource:
    qualified = f"{parent.resource_type}${type_}"
    return PolicyResource(type_, unknown_checking_proxy(props), f"urn:pulumi:prod::acme-platform::{qualified}::{name}",
                          name, OPTIONS, None, parent, [d for deps in (wiring or {}).values() for d in deps],
                          wiring or {})


def component(type_: str, urn: str) -> PolicyResource:
    return PolicyResource(type_, unknown_checking_proxy({}), urn, urn.rsplit("::", 1)[1], OPTIONS, None, None, [], {})


def pack_reports(policy_name: str, resources: list[PolicyResource]) -> list[str]:
    (policy,) = [p for p in build_policies() if p.name == policy_name]
    reported: list[str] = []
    policy.validate(StackValidationArgs(resources, {"production": True}),
                    lambda message, urn=None: reported.append(urn))
    return sorted(reported)


def test_pack_attaches_a_flow_log_to_the_vpc_its_vpc_id_depends_on():
    network = component("acme:network:CoreNetwork", NETWORK_URN)
    audit = component("acme:audit:TrafficAudit", AUDIT_URN)
    core = policy_resource(VPC, "core", {"cidrBlock": "10.20.0.0/16"}, network)
    spare = policy_resource(VPC, "spare", {"cidrBlock": "10.30.0.0/16"}, network)
    log = policy_resource(FLOW_LOG, "audit-core", {"vpcId": UNKNOWN_STRING_VALUE, "trafficType": "ALL"}, audit,
                          {"vpcId": [core], "trafficType": []})
    assert pack_reports(FLOW_LOG_RULE, [network, audit, core, spare, log]) == [spare.urn]
    assert pack_reports(FLOW_LOG_RULE, [network, audit, core, log]) == []
    # Without the wiring the flow log is only pooled in its own component: the pack cannot see
    # it belongs to the core VPC and flags that one too.
    unwired = policy_resource(FLOW_LOG, "audit-core", {"vpcId": UNKNOWN_STRING_VALUE, "trafficType": "ALL"}, audit)
    assert pack_reports(FLOW_LOG_RULE, [network, audit, core, spare, unwired]) == sorted([core.urn, spare.urn])


def test_pack_follows_the_wiring_when_a_known_reference_cannot_be_compared():
    # The engine passes no ids: a known vpcId (the VPC exists already) matches no owner identity.
    network = component("acme:network:CoreNetwork", NETWORK_URN)
    audit = component("acme:audit:TrafficAudit", AUDIT_URN)
    core = policy_resource(VPC, "core", {"cidrBlock": "10.20.0.0/16"}, network)
    spare = policy_resource(VPC, "spare", {"cidrBlock": "10.30.0.0/16"}, network)
    log = policy_resource(FLOW_LOG, "audit-core", {"vpcId": "vpc-0a1b2c3d", "trafficType": "ALL"}, audit,
                          {"vpcId": [core]})
    assert pack_reports(FLOW_LOG_RULE, [network, audit, core, spare, log]) == [spare.urn]


def test_pack_attaches_a_waf_logging_configuration_to_the_acl_its_arn_depends_on():
    edge = component("acme:edge:Edge", "urn:pulumi:prod::acme-platform::acme:edge:Edge::edge")
    audit = component("acme:audit:TrafficAudit", AUDIT_URN)
    acl = {"scope": "CLOUDFRONT", "defaultAction": {"allow": {}}, "rules": []}
    site = policy_resource(WEB_ACL, "site", dict(acl), edge)
    api = policy_resource(WEB_ACL, "api", dict(acl), edge)
    logging = policy_resource(WEB_ACL_LOGGING, "site-logs", {"resourceArn": UNKNOWN_STRING_VALUE,
                                                             "logDestinationConfigs": [UNKNOWN_STRING_VALUE]},
                              audit, {"resourceArn": [site]})
    assert pack_reports("wafv2-logging", [edge, audit, site, api, logging]) == [api.urn]
