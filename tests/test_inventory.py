"""Identity is a contract: the URNs each plan registers match the checked-in inventory.

A changed URN is a delete plus a create of the real resource on the next ``pulumi up``. The
inventory files under inventory/ record every URN; a change must either be intended (regenerate
the file) or keep its identity with an alias.
"""

from __future__ import annotations

from typing import Callable, Optional

import pulumi
import pulumi_aws as aws
import pytest

from conftest import ROOT, STACKS, TIERS, cached_plan
from tierstack.tooling.engine import ProgramRun, run_program
from tierstack.tooling.inventory import compare, engine_urns, inventory, inventory_path, read_inventory

CASES = [(stack, None) for stack in STACKS] + [("dev", tier) for tier in TIERS]


@pytest.mark.parametrize(("stack", "tier"), CASES, ids=[f"{s}@{t}" if t else s for s, t in CASES])
def test_plan_matches_the_checked_in_inventory(stack: str, tier: Optional[str]) -> None:
    plan = cached_plan(stack, tier)
    path = inventory_path(ROOT, stack, tier)
    assert path.is_file(), f"{path.relative_to(ROOT)} is missing; run: tierstack inventory -s {stack}" \
                           f"{f' --tier {tier}' if tier else ''} --write"
    change = compare(read_inventory(path), plan)
    assert change.ok, change.explain(stack, tier)


@pytest.mark.parametrize(("stack", "tier"), CASES, ids=[f"{s}@{t}" if t else s for s, t in CASES])
def test_engine_urns_are_unique(stack: str, tier: Optional[str]) -> None:
    """Two resources with one URN fail `pulumi up` ("Duplicate resource URN")."""
    plan = cached_plan(stack, tier)
    assert len(set(inventory(plan))) == len(plan.resources)


# -- the canary: a tiny program whose child is renamed -------------------------------------

class Box(pulumi.ComponentResource):
    def __init__(self, name: str, child: str, child_opts: Optional[pulumi.ResourceOptions] = None,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("canary:index:Box", name, None, opts)
        self.topic = aws.sns.Topic(child, opts=pulumi.ResourceOptions.merge(
            pulumi.ResourceOptions(parent=self), child_opts))
        self.register_outputs({})


def run(program: Callable[[], object]) -> ProgramRun:
    return run_program(program, project="canary", stack="test", config={"aws:region": "us-east-1"})


BOX = "urn:pulumi:test::canary::canary:index:Box::box"
OLD_CHILD = "urn:pulumi:test::canary::canary:index:Box$aws:sns/topic:Topic::box-events"
NEW_CHILD = "urn:pulumi:test::canary::canary:index:Box$aws:sns/topic:Topic::box-messages"


def test_canary_inventory_is_engine_urns() -> None:
    assert inventory(run(lambda: Box("box", "box-events"))) == sorted([BOX, OLD_CHILD])


def test_canary_rename_without_alias_is_a_removal() -> None:
    recorded = inventory(run(lambda: Box("box", "box-events")))
    change = compare(recorded, run(lambda: Box("box", "box-messages")))
    assert not change.ok
    assert change.removed == (OLD_CHILD,) and change.added == (NEW_CHILD,) and change.renamed == ()
    message = change.explain("canary")
    assert OLD_CHILD in message and NEW_CHILD in message
    assert "tierstack inventory -s canary --write" in message and "aliases=[pulumi.Alias(name=" in message


def test_canary_rename_with_alias_is_a_rename() -> None:
    recorded = inventory(run(lambda: Box("box", "box-events")))
    renamed = run(lambda: Box("box", "box-messages",
                              child_opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name="box-events")])))
    child = next(r for r in renamed.resources if r.name == "box-messages")
    assert child.aliases == [OLD_CHILD]
    change = compare(recorded, renamed)
    assert change.ok, change.explain("canary")
    assert change.renamed == ((OLD_CHILD, NEW_CHILD),) and change.removed == () and change.added == ()


def test_canary_renamed_component_carries_its_children() -> None:
    """An alias on the component is inherited: children named after it follow the old name."""
    recorded = inventory(run(lambda: Box("box", "box-events")))
    renamed = run(lambda: Box("crate", "crate-events", opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name="box")])))
    change = compare(recorded, renamed)
    assert change.ok, change.explain("canary")
    assert dict(change.renamed) == {
        BOX: "urn:pulumi:test::canary::canary:index:Box::crate",
        OLD_CHILD: "urn:pulumi:test::canary::canary:index:Box$aws:sns/topic:Topic::crate-events",
    }


def test_canary_child_moved_out_of_its_parent() -> None:
    """Alias(parent=...) names the old parent; the alias carries that parent's type chain."""
    recorded = inventory(run(lambda: Box("box", "box-events")))

    def moved() -> None:
        box = Box("box", "box-other")
        aws.sns.Topic("box-events", opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(parent=box)]))

    change = compare(recorded, run(moved))
    assert change.renamed == ((OLD_CHILD, "urn:pulumi:test::canary::aws:sns/topic:Topic::box-events"),)
    # The old child's slot was taken by nothing; the box's new child is a plain addition.
    assert change.added == ("urn:pulumi:test::canary::canary:index:Box$aws:sns/topic:Topic::box-other",)
    assert change.removed == ()


def test_canary_no_parent_alias() -> None:
    def before() -> None:
        aws.sns.Topic("loose")

    def after() -> None:
        Box("box", "loose", child_opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(parent=None)]))

    change = compare(inventory(run(before)), run(after))
    assert change.renamed == (("urn:pulumi:test::canary::aws:sns/topic:Topic::loose",
                               "urn:pulumi:test::canary::canary:index:Box$aws:sns/topic:Topic::loose"),)
    assert change.removed == () and change.added == (BOX,)


def test_a_renamed_child_of_the_platform_is_caught() -> None:
    plan = cached_plan("dev")
    current = inventory(plan)
    # The inventory as it was before someone renamed the platform's first node group (any leaf works).
    victim = next((u for u in current if "aws:eks/nodeGroup:NodeGroup::" in u), current[-1])
    old = victim.rsplit("::", 1)[0] + "::" + victim.rsplit("::", 1)[1] + "-old"
    recorded = [old if urn == victim else urn for urn in current]
    change = compare(recorded, plan)
    assert not change.ok
    assert change.removed == (old,) and change.added == (victim,)
    assert old in change.explain("dev")


def test_inventory_lists_components_and_providers_but_not_the_stack() -> None:
    plan = cached_plan("dev")
    urns = inventory(plan)
    assert len(urns) == len(plan.resources) == len(engine_urns(plan))
    assert any("pulumi:providers:aws::" in u for u in urns)
    assert any(not r.custom for r in plan.resources)
    assert not any("pulumi:pulumi:Stack" in u for u in urns)


# -- node groups are replaced create-before-delete -----------------------------------------

def test_node_groups_are_replaced_before_the_old_group_is_deleted() -> None:
    """Changing a node group's instance types replaces it. With a name prefix (a unique name) the
    engine's default replacement creates the new group first; deleting the old one then drains it."""
    groups = cached_plan("prod").run.of_type("aws:eks/nodeGroup:NodeGroup")
    assert groups
    for group in groups:
        assert group.delete_before_replace is False, group.urn
        assert group.inputs.get("nodeGroupNamePrefix"), group.urn
        assert "nodeGroupName" not in group.inputs, group.urn


def test_the_recording_monitor_takes_alias_specs() -> None:
    """The SDK sends aliases as specs only to a monitor that supports them; the engine-style
    resolution in RecordingMonitor relies on that (``aliasURNs`` would carry mock-monitor URNs)."""
    from google.protobuf import empty_pb2
    from pulumi.runtime.proto import resource_pb2

    from conftest import install_mocks

    features = install_mocks().GetDeploymentInfo(empty_pb2.Empty()).supportedFeatures
    assert resource_pb2.RESOURCE_MONITOR_FEATURE_ALIAS_SPECS in features
