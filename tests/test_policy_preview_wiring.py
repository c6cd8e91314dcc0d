"""Graph rules at preview follow the wiring (property dependencies), not only values and parents.

At ``pulumi preview`` a new VPC's id is unknown, so a flow log's ``vpcId`` cannot be compared
with it; what is known is that the flow log's ``vpcId`` came from that VPC's output (the engine's
``propertyDependencies``). A foreign program, written by hand, puts the VPC and its flow log in
different components. It runs here under ``tierstack.testing``'s preview mocks, which answer as the
engine does at preview (no ids, no computed outputs), then through the offline gate's view and the
CrossGuard adapter. WAF rules and logging attach to their web ACL by its ARN the same way.
"""

from __future__ import annotations

from typing import Callable, Optional

import pulumi
import pulumi_aws as aws
import pytest
from pulumi_policy import StackValidationArgs
from pulumi_policy.policy import PolicyResource, PolicyResourceOptions
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from tierstack import testing
from tierstack.policy.model import Context
from tierstack.policy.pack import build_policies
from tierstack.policy.rules import STACK_RULES
from tierstack.policy.runner import evaluate
from tierstack.tooling.gate import resource_views

VPC, FLOW_LOG = "aws:ec2/vpc:Vpc", "aws:ec2/flowLog:FlowLog"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
WEB_ACL_RULE = "aws:wafv2/webAclRule:WebAclRule"
WEB_ACL_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
FLOW_LOG_RULE = "vpc-flow-logs-enabled"
NO_FLOW_LOG = "no flow log capturing ALL traffic was found for this VPC"
RATE_RULE = "wafv2-rate-limit"
NO_RATE_RULE = "no rate-based rule"


def run(program: Callable[[], None], *, preview: bool) -> testing.Recorder:
    recorder = testing.set_mocks(region="eu-west-1", project="acme-platform", stack="prod", preview=preview)
    pulumi.runtime.test(program)()
    return recorder


def run_preview(program: Callable[[], None]) -> testing.Recorder:
    return run(program, preview=True)


def run_deploy(program: Callable[[], None]) -> testing.Recorder:
    return run(program, preview=False)


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


# --- WAF rules held apart from their web ACLs ----------------------------------------------------

VISIBILITY = {"cloudwatch_metrics_enabled": True, "metric_name": "acme", "sampled_requests_enabled": True}


class EdgeAcls(pulumi.ComponentResource):
    """Web ACLs with no rules of their own: another team attaches those."""

    def __init__(self, name: str, acls: list[str], opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("acme:edge:EdgeAcls", name, None, opts)
        self.acls = {acl: aws.wafv2.WebAcl(acl, scope="REGIONAL", default_action={"allow": {}},
                                           visibility_config=VISIBILITY, opts=pulumi.ResourceOptions(parent=self))
                     for acl in acls}
        self.register_outputs({})


def rate_rule(name: str, acl_arn: pulumi.Input[str], parent: pulumi.Resource) -> aws.wafv2.WebAclRule:
    return aws.wafv2.WebAclRule(name, web_acl_arn=acl_arn, name="throttle", priority=1, action={"block": {}},
                                statement={"rate_based_statement": {"limit": 2000, "aggregate_key_type": "IP"}},
                                visibility_config=VISIBILITY, opts=pulumi.ResourceOptions(parent=parent))


class Throttling(pulumi.ComponentResource):
    """A rate-based rule for each web ACL it is given, owned elsewhere."""

    def __init__(self, name: str, acl_arns: dict[str, pulumi.Input[str]], opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("acme:security:Throttling", name, None, opts)
        for label, arn in acl_arns.items():
            rate_rule(f"{name}-{label}", arn, self)
        self.register_outputs({})


class SharedEdge(pulumi.ComponentResource):
    """Its own internal web ACL (left without a rate rule) and the throttling of the site's ACL."""

    def __init__(self, name: str, throttled_acl_arn: pulumi.Input[str], opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("acme:shared:SharedEdge", name, None, opts)
        aws.wafv2.WebAcl(f"{name}-internal", scope="REGIONAL", default_action={"allow": {}},
                         visibility_config=VISIBILITY, opts=pulumi.ResourceOptions(parent=self))
        rate_rule(f"{name}-site-throttle", throttled_acl_arn, self)
        self.register_outputs({})


def throttled_site_and_bare_api():
    edge = EdgeAcls("edge", ["site", "api"])
    Throttling("throttle", {"site": edge.acls["site"].arn})


def internal_acl_beside_the_site_throttle():
    edge = EdgeAcls("edge", ["site"])
    SharedEdge("shared", edge.acls["site"].arn)


def test_preview_leaves_the_rules_acl_arn_unknown_but_records_where_it_came_from():
    recorder = run_preview(throttled_site_and_bare_api)
    site = recorder.named("site", WEB_ACL)
    (throttle,) = recorder.of_type(WEB_ACL_RULE)
    assert "arn" not in site.outputs
    assert throttle.property_dependencies == {"webAclArn": [site.urn]}
    (view,) = [r for r in resource_views(recorder.resources) if r.type == WEB_ACL_RULE]
    assert view.props["webAclArn"] == UNKNOWN_STRING_VALUE and view.parent != site.parent


def test_a_rate_rule_another_component_attaches_covers_only_its_acl_at_preview():
    # By component alone the throttle covers neither ACL; its webAclArn came from the site's.
    assert flagged(run_preview(throttled_site_and_bare_api), RATE_RULE) == [("api", NO_RATE_RULE)]


def test_a_components_rate_rule_for_another_acl_does_not_cover_its_own_acl_at_preview():
    assert flagged(run_preview(internal_acl_beside_the_site_throttle), RATE_RULE) == [
        ("shared-internal", NO_RATE_RULE)]


def test_a_rule_drawn_from_several_acls_leaves_them_undecided_not_flagged():
    def program():
        edge = EdgeAcls("edge", ["site", "api"])
        either = pulumi.Output.all(edge.acls["site"].arn, edge.acls["api"].arn).apply(lambda arns: arns[0])
        Throttling("throttle", {"either": either})

    recorder = run_preview(program)
    (throttle,) = recorder.of_type(WEB_ACL_RULE)
    assert sorted(throttle.property_dependencies["webAclArn"]) == sorted(a.urn for a in recorder.of_type(WEB_ACL))
    assert flagged(recorder, RATE_RULE) == []


@pytest.mark.parametrize("program, expected", [
    (throttled_site_and_bare_api, [("api", NO_RATE_RULE)]),
    (internal_acl_beside_the_site_throttle, [("shared-internal", NO_RATE_RULE)]),
])
def test_deploy_time_arns_give_the_same_waf_answer_as_the_preview_wiring(program, expected):
    recorder = run_deploy(program)
    assert all(a.outputs["arn"] for a in recorder.of_type(WEB_ACL))  # known ARNs: matched by value
    assert flagged(recorder, RATE_RULE) == expected


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


def test_pack_attaches_a_waf_rule_to_the_acl_its_arn_depends_on():
    edge = component("acme:edge:EdgeAcls", "urn:pulumi:prod::acme-platform::acme:edge:EdgeAcls::edge")
    throttling = component("acme:security:Throttling", "urn:pulumi:prod::acme-platform::acme:security:Throttling::t")
    acl = {"scope": "REGIONAL", "defaultAction": {"allow": {}}, "rules": []}
    site = policy_resource(WEB_ACL, "site", dict(acl), edge)
    api = policy_resource(WEB_ACL, "api", dict(acl), edge)
    rule = {"name": "throttle", "priority": 1, "action": {"block": {}},
            "statement": {"rateBasedStatement": {"limit": 2000, "aggregateKeyType": "IP"}}}
    throttle = policy_resource(WEB_ACL_RULE, "t-site", {**rule, "webAclArn": UNKNOWN_STRING_VALUE}, throttling,
                               {"webAclArn": [site]})
    assert pack_reports(RATE_RULE, [edge, throttling, site, api, throttle]) == [api.urn]
    unwired = policy_resource(WEB_ACL_RULE, "t-site", {**rule, "webAclArn": UNKNOWN_STRING_VALUE}, throttling)
    assert pack_reports(RATE_RULE, [edge, throttling, site, api, unwired]) == sorted([site.urn, api.urn])
