"""``tierstack diff``: would applying a change to a live stack be safe?

Compares two recorded plans, "before" (what is deployed: the stack as configured, or an earlier
``tierstack plan --json``) and "after" (the target), the way the engine would: resources are
matched by URN (or by an alias on the new one), inputs are compared after the new resource's
``ignoreChanges`` are applied, and each change is classified with the provider and AWS rules in
``tierstack.deploy.transitions``:

- ``create`` / ``delete``: unmatched on one side;
- ``update``: in place, with the changed input paths;
- ``replace``: an input that forces a new resource changed (or the provider did);
- ``refused``: an in-place change AWS or the provider does not accept.

A diff is unsafe when it replaces or deletes stateful resources, contains a refused change, or a
change cannot run as planned (a name taken by a resource that is deleted only later, a shard map
that routes users to a shard this same deploy creates). The result model and the comparison are
pure; only ``plan_sides`` runs the program (lazily importing the planner).
"""

from __future__ import annotations

import copy
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Sequence

from tierstack.deploy import transitions as T

ACTIONS = ("refused", "replace", "delete", "create", "update")
SECRET = "[secret]"
_MISSING = object()


class DiffInputError(Exception):
    """A target or input file the diff cannot use; ``str()`` is the message for the user."""


# -- result model ------------------------------------------------------------------------------

@dataclass
class Change:
    urn: str
    type: str
    name: str
    action: str  # one of ACTIONS
    paths: list[str] = field(default_factory=list)
    stateful: bool = False
    reasons: list[str] = field(default_factory=list)
    # The change cannot run as planned even though no single resource is refused (a name
    # collision, a rollout-order hazard); it makes the diff unsafe like a refused change.
    blocking: bool = False
    sources: list[str] = field(default_factory=list)
    # For a match through an alias: the URN the resource had before.
    renamed_from: Optional[str] = None
    # A delete that Pulumi only forgets (retainOnDelete): the resource and its data stay in AWS.
    retained: bool = False

    @property
    def unsafe(self) -> bool:
        return (self.action == "refused" or self.blocking
                or (self.stateful and self.action == "replace")
                or (self.stateful and self.action == "delete" and not self.retained))

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "urn": self.urn, "type": self.type, "name": self.name, "action": self.action, "paths": self.paths,
            "stateful": self.stateful, "unsafe": self.unsafe, "blocking": self.blocking, "reasons": self.reasons,
            "sources": self.sources,
        }
        if self.renamed_from:
            document["renamedFrom"] = self.renamed_from
        if self.retained:
            document["retained"] = True
        return document


@dataclass
class Diff:
    changes: list[Change]
    unchanged: int = 0

    @property
    def unsafe(self) -> bool:
        return any(c.unsafe for c in self.changes)

    @property
    def unsafe_changes(self) -> list[Change]:
        return [c for c in self.changes if c.unsafe]

    def of_action(self, action: str) -> list[Change]:
        return [c for c in self.changes if c.action == action]

    def find(self, name: str) -> Change:
        """The change to the resource with this logical name (tests and callers)."""
        matches = [c for c in self.changes if c.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} changes named {name!r}")
        return matches[0]

    def counts(self) -> dict[str, int]:
        counted = Counter(c.action for c in self.changes)
        return {action: counted.get(action, 0) for action in ACTIONS}

    def to_json(self) -> dict[str, Any]:
        return {
            "safe": not self.unsafe,
            "summary": {**self.counts(), "unchanged": self.unchanged, "unsafe": len(self.unsafe_changes)},
            "changes": [c.to_json() for c in _ordered(self.changes)],
        }


def _ordered(changes: Iterable[Change]) -> list[Change]:
    return sorted(changes, key=lambda c: (not c.unsafe, ACTIONS.index(c.action), c.type, c.urn))


# -- property paths ----------------------------------------------------------------------------

_IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_TOKEN = re.compile(r'\.?([A-Za-z_$][A-Za-z0-9_$-]*)|\[(\d+|\*)\]|\["((?:[^"\\]|\\.)*)"\]')


def format_path(segments: Sequence[Any]) -> str:
    """Pulumi property path text: ``scalingConfig.desiredSize``, ``tags["a:b"]``, ``subnetIds[0]``."""
    text = ""
    for segment in segments:
        if isinstance(segment, int):
            text += f"[{segment}]"
        elif segment == "*":
            text += "[*]"
        elif _IDENT.match(str(segment)):
            text += ("." if text else "") + str(segment)
        else:
            text += "[" + json.dumps(str(segment)) + "]"
    return text


def parse_path(path: str) -> list[Any]:
    """The segments of a Pulumi property path; ``*`` stands for any index or key."""
    segments: list[Any] = []
    position = 0
    while position < len(path):
        match = _TOKEN.match(path, position)
        if not match or match.end() == position:
            raise ValueError(f"not a property path: {path!r}")
        name, index, quoted = match.groups()
        if name is not None:
            segments.append(name)
        elif index is not None:
            segments.append("*" if index == "*" else int(index))
        else:
            segments.append(json.loads(f'"{quoted}"'))
        position = match.end()
    return segments


def _values_at(value: Any, segments: Sequence[Any]) -> list[Any]:
    """Every value at the path (``*`` expands), ``_MISSING`` where there is none.

    A masked value stands for everything below it.
    """
    if not segments or value == SECRET:
        return [value]
    head, rest = segments[0], segments[1:]
    if head == "*":
        if isinstance(value, list):
            return [v for item in value for v in _values_at(item, rest)] or [_MISSING]
        if isinstance(value, Mapping):
            return [v for key in sorted(value, key=str) for v in _values_at(value[key], rest)] or [_MISSING]
        return [_MISSING]
    if isinstance(value, Mapping) and head in value:
        return _values_at(value[head], rest)
    if isinstance(value, list) and isinstance(head, int) and 0 <= head < len(value):
        return _values_at(value[head], rest)
    return [_MISSING]


def _child(value: Any, key: Any) -> Any:
    if isinstance(value, Mapping):
        return value.get(key, _MISSING)
    if isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
        return value[key]
    return _MISSING


def _set_at(document: Any, segments: Sequence[Any], source: Any) -> None:
    """Give ``document`` the value ``source`` has at ``segments`` (removing it where ``source`` has none)."""
    head, rest = segments[0], segments[1:]
    if head == "*":
        keys: Iterable[Any] = (range(len(document)) if isinstance(document, list)
                               else list(document) if isinstance(document, dict) else ())
        for key in keys:
            _set_at(document, [key, *rest], source)
        return
    source_child = _child(source, head)
    if not rest:
        if isinstance(document, dict):
            if source_child is _MISSING:
                document.pop(head, None)
            else:
                document[head] = copy.deepcopy(source_child)
        elif _child(document, head) is not _MISSING and source_child is not _MISSING:
            document[head] = copy.deepcopy(source_child)
        return
    if _child(document, head) is _MISSING:
        if source_child is _MISSING or not isinstance(document, dict):
            return
        document[head] = {} if isinstance(source_child, Mapping) else []
    _set_at(document[head], rest, source_child)


def apply_ignore_changes(before: Mapping[str, Any], after: Mapping[str, Any],
                         ignore_changes: Sequence[str]) -> dict[str, Any]:
    """``after`` as the engine applies it: every ignored path keeps its ``before`` value."""
    effective = copy.deepcopy(dict(after))
    for path in ignore_changes:
        try:
            segments = parse_path(path)
        except ValueError:
            continue
        if segments:
            _set_at(effective, segments, before)
    return effective


def _same(before: Any, after: Any) -> bool:
    if before is _MISSING:
        before = None
    if after is _MISSING:
        after = None
    # A masked value cannot be compared; two plans masking the same input are taken as equal.
    if before == SECRET or after == SECRET:
        return True
    if isinstance(before, bool) or isinstance(after, bool):
        return before is after
    if isinstance(before, (int, float)) and isinstance(after, (int, float)):
        return float(before) == float(after)
    return before == after


def changed_paths(before: Any, after: Any) -> list[str]:
    """The leaf-most paths whose values differ (a list that changes length is one path)."""
    found: list[str] = []

    def walk(b: Any, a: Any, segments: tuple[Any, ...]) -> None:
        if b == SECRET or a == SECRET:
            return  # masked (a whole object is masked when anything inside it is secret)
        if isinstance(b, Mapping) and isinstance(a, Mapping):
            for key in sorted(set(b) | set(a), key=str):
                if not segments and T.is_write_only(str(key)):
                    continue
                walk(b.get(key, _MISSING), a.get(key, _MISSING), segments + (key,))
        elif isinstance(b, list) and isinstance(a, list) and len(b) == len(a):
            for index, (x, y) in enumerate(zip(b, a)):
                walk(x, y, segments + (index,))
        elif isinstance(b, (Mapping, list)) or isinstance(a, (Mapping, list)):
            if not (b in (None, _MISSING) and a in (None, _MISSING)) and b != a:
                found.append(format_path(segments))
        elif not _same(b, a):
            found.append(format_path(segments))

    walk(before, after, ())
    return found


def _rule_changed(rule: T.ReplaceRule, before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    segments = parse_path(rule.path)
    old, new = _values_at(before, segments), _values_at(after, segments)
    if len(old) == len(new) and all(_equal_deep(x, y) for x, y in zip(old, new)):
        return False
    if rule.when is None:
        return True
    first = lambda values: None if not values or values[0] is _MISSING else values[0]  # noqa: E731
    return bool(rule.when(first(old), first(new), before, after))


def _equal_deep(before: Any, after: Any) -> bool:
    return not changed_paths({"v": before if before is not _MISSING else None},
                             {"v": after if after is not _MISSING else None})


# -- normalized resources ----------------------------------------------------------------------

@dataclass(frozen=True)
class _Resource:
    urn: str  # the engine URN (see _engine_urns); what `pulumi preview` shows and aliases name
    type: str
    name: str
    parent: str
    custom: bool
    provider: str
    inputs: Mapping[str, Any]
    ignore_changes: tuple[str, ...]
    aliases: tuple[str, ...]
    protect: bool
    retain_on_delete: bool
    delete_before_replace: bool


def _provider_urn(reference: Optional[str]) -> str:
    """A provider reference is ``<urn>::<id>``; the id part differs between plans."""
    if not reference:
        return ""
    parts = reference.split("::")
    return "::".join(parts[:4]) if len(parts) > 4 else reference


def _alias_urns(raw: Any) -> tuple[str, ...]:
    urns: list[str] = []
    for alias in raw or ():
        if isinstance(alias, str):
            urns.append(alias)
        elif isinstance(alias, Mapping) and isinstance(alias.get("urn"), str):
            urns.append(alias["urn"])
        elif isinstance(getattr(alias, "urn", None), str):
            urns.append(alias.urn)
    return tuple(urns)


def normalize(resource: Any) -> _Resource:
    """A plan JSON resource (``Plan.to_json()["resources"][i]``) or a PlannedResource-like object.

    ``urn`` is still the recorded one here; ``_diffable`` turns it into the engine URN.
    """
    if isinstance(resource, Mapping):
        options = resource.get("options") or {}
        urn = str(resource["urn"])
        return _Resource(
            urn=urn, type=str(resource.get("type") or _urn_parts(urn)[2].split("$")[-1]),
            name=str(resource.get("name") or urn.split("::")[-1]), parent=str(resource.get("parent") or ""),
            custom=bool(resource.get("custom", True)), provider=_provider_urn(resource.get("provider")),
            inputs=dict(resource.get("inputs") or {}),
            ignore_changes=tuple(options.get("ignoreChanges") or ()),
            aliases=_alias_urns(options.get("aliases") or resource.get("aliases")),
            protect=bool(options.get("protect")), retain_on_delete=bool(options.get("retainOnDelete")),
            delete_before_replace=bool(options.get("deleteBeforeReplace")),
        )
    return _Resource(
        urn=resource.urn, type=resource.type, name=resource.name, parent=str(getattr(resource, "parent", "") or ""),
        custom=bool(getattr(resource, "custom", True)),
        provider=_provider_urn(getattr(resource, "provider", "")), inputs=dict(resource.inputs or {}),
        ignore_changes=tuple(getattr(resource, "ignore_changes", ()) or ()),
        aliases=_alias_urns(getattr(resource, "aliases", ())),
        protect=bool(getattr(resource, "protect", False)),
        retain_on_delete=bool(getattr(resource, "retain_on_delete", False)),
        delete_before_replace=bool(getattr(resource, "delete_before_replace", False)),
    )


_ROOT_STACK = "pulumi:pulumi:Stack"


def _urn_parts(urn: str) -> tuple[str, str, str, str]:
    """``(stack, project, qualified type, name)``; empty strings for something that is not a URN."""
    if not urn.startswith("urn:pulumi:"):
        return "", "", "", ""
    parts = urn[len("urn:pulumi:"):].split("::", 3)
    return tuple(parts) if len(parts) == 4 else ("", "", "", "")  # type: ignore[return-value]


def _engine_urns(resources: Sequence[_Resource]) -> dict[str, str]:
    """Recorded URN -> the URN the engine gives it (the whole parent type chain, no root prefix).

    Pulumi's MockMonitor qualifies a type with its parent's last type only (and prefixes top-level
    resources with the root stack's type), so two different parent chains can share a recorded URN;
    the engine's URNs are what identity (and aliases, which the engine records in engine form)
    depends on. Mirrors ``tierstack.tooling.engine.engine_urn``, which imports pulumi.
    """
    by_urn = {r.urn: r for r in resources}
    qualified: dict[str, str] = {}

    def type_chain(urn: str) -> str:
        if urn in qualified:
            return qualified[urn]
        resource = by_urn.get(urn)
        if resource is None:  # not recorded: the root stack, or a parent from elsewhere
            chain = _urn_parts(urn)[2]
            return "" if not chain or chain.split("$")[-1] == _ROOT_STACK else chain
        parent_chain = type_chain(resource.parent) if resource.parent else ""
        qualified[urn] = f"{parent_chain}${resource.type}" if parent_chain else resource.type
        return qualified[urn]

    engine: dict[str, str] = {}
    for resource in resources:
        stack, project, _, _ = _urn_parts(resource.urn)
        engine[resource.urn] = (f"urn:pulumi:{stack}::{project}::{type_chain(resource.urn)}::{resource.name}"
                                if stack else resource.urn)
    return engine


def _diffable(resources: Iterable[Any]) -> list[_Resource]:
    """Custom resources with engine URNs; components hold no cloud state (their children are compared)."""
    normalized = [normalize(r) for r in resources]
    engine = _engine_urns(normalized)
    return [_Resource(**{**r.__dict__, "urn": engine[r.urn], "parent": engine.get(r.parent, r.parent),
                                      "provider": engine.get(r.provider, r.provider)})
            for r in normalized if r.custom]


# -- the comparison ----------------------------------------------------------------------------

def diff_plans(before_resources: Iterable[Any], after_resources: Iterable[Any]) -> Diff:
    """Classify every difference between two recorded plans (JSON dicts or PlannedResources)."""
    before = {r.urn: r for r in _diffable(before_resources)}
    after = _diffable(after_resources)
    matched: dict[str, _Resource] = {}  # after urn -> before resource
    renamed: dict[str, str] = {}
    for resource in after:
        if resource.urn in before:
            matched[resource.urn] = before[resource.urn]
    claimed = {b.urn for b in matched.values()}
    for resource in after:
        if resource.urn in matched:
            continue
        for alias in resource.aliases:
            if alias in before and alias not in claimed:
                matched[resource.urn] = before[alias]
                renamed[resource.urn] = alias
                claimed.add(alias)
                break

    # What a replace rule may depend on besides the resource: its provider's settings.
    provider_inputs = {r.urn: r.inputs for r in after if r.type.startswith("pulumi:providers:")}
    changes: list[Change] = []
    unchanged = 0
    effective_after: dict[str, Mapping[str, Any]] = {}
    for resource in after:
        old = matched.get(resource.urn)
        if old is None:
            effective_after[resource.urn] = resource.inputs
            changes.append(_created(resource))
            continue
        effective = apply_ignore_changes(old.inputs, resource.inputs, resource.ignore_changes)
        effective_after[resource.urn] = effective
        change = _compared(old, resource, effective, renamed.get(resource.urn), provider_inputs.get(resource.provider, {}))
        if change is None:
            unchanged += 1
        else:
            changes.append(change)
    for urn, resource in before.items():
        if urn not in claimed:
            changes.append(_deleted(resource))

    context = _Context(before=before, after={r.urn: r for r in after}, effective=effective_after,
                       changes={c.urn: c for c in changes})
    _name_collisions(context)
    _shard_map_rollout(context)
    _global_cluster_sources(context)
    return Diff(changes=_ordered(changes), unchanged=unchanged)


def _stateful_reason(type_token: str) -> str:
    return T.STATEFUL.get(type_token, "")


def _created(resource: _Resource) -> Change:
    return Change(resource.urn, resource.type, resource.name, "create", stateful=resource.type in T.STATEFUL)


def _deleted(resource: _Resource) -> Change:
    stateful = resource.type in T.STATEFUL
    change = Change(resource.urn, resource.type, resource.name, "delete", stateful=stateful)
    if stateful:
        change.reasons.append(f"deleting it loses data: {_stateful_reason(resource.type)}")
    if resource.protect:
        change.blocking = True
        change.reasons.append("protected: `pulumi up` refuses to delete a protected resource and stops")
    if resource.retain_on_delete:
        change.retained = True
        change.reasons.append("retainOnDelete: Pulumi forgets it but it stays in AWS (and keeps its name)")
    return change


def _compared(old: _Resource, new: _Resource, effective: Mapping[str, Any],
              renamed_from: Optional[str], provider_inputs: Mapping[str, Any]) -> Optional[Change]:
    paths = changed_paths(old.inputs, effective)
    moved_provider = bool(old.provider and new.provider and old.provider != new.provider)
    type_changed = old.type != new.type
    if not paths and not moved_provider and not type_changed:
        if renamed_from:
            return Change(new.urn, new.type, new.name, "update", stateful=new.type in T.STATEFUL,
                          reasons=[f"renamed from {renamed_from} through an alias: the same resource, nothing changes"],
                          renamed_from=renamed_from)
        return None
    stateful = new.type in T.STATEFUL
    change = Change(new.urn, new.type, new.name, "update", paths=paths, stateful=stateful, renamed_from=renamed_from)
    if renamed_from:
        change.reasons.append(f"renamed from {renamed_from} through an alias (not a delete and create)")

    replaced_by: list[str] = []
    for rule in T.replace_rules(new.type):
        if rule.applies(provider_inputs) and _rule_changed(rule, old.inputs, effective):
            replaced_by.append(rule.path)
            change.reasons.append(f"{rule.path} changed{f' ({rule.note})' if rule.note else ''}: forces a new resource")
            _add_source(change, rule.source)
    if moved_provider:
        replaced_by.append("provider")
        change.reasons.append(f"moves to provider {new.provider.split('::')[-1]}: the engine replaces it")
    if type_changed:
        replaced_by.append("type")
        change.reasons.append(f"type changes from {old.type} (through an alias): a new resource")

    refused = False
    for rule in T.forbidden_rules(new.type):
        reason = rule.check(old.inputs, effective)
        if not reason:
            continue
        _add_source(change, rule.source)
        if rule.severity == "refused":
            refused = True
            change.reasons.append(reason + (f". Fix: {rule.fix}" if rule.fix else ""))
        else:
            change.reasons.append(f"disruptive: {reason}")

    if refused:
        change.action = "refused"
    elif replaced_by:
        change.action = "replace"
        if stateful:
            change.reasons.append(f"replacing it loses data: {_stateful_reason(new.type)}")
        if old.protect or new.protect:
            change.blocking = True
            change.reasons.append("protected: `pulumi up` refuses to replace a protected resource and stops")
        name_key = T.PHYSICAL_NAME.get(new.type)
        if (name_key and not new.delete_before_replace and isinstance(effective.get(name_key), str)
                and effective.get(name_key) == old.inputs.get(name_key)):
            change.blocking = True
            change.reasons.append(
                f"the replacement keeps {name_key} '{effective[name_key]}': Pulumi creates it before deleting the "
                "original, and AWS refuses a second resource with that name (set deleteBeforeReplace, or change "
                "the name)")
    return change


def _add_source(change: Change, source: str) -> None:
    if source and source not in change.sources:
        change.sources.append(source)


@dataclass
class _Context:
    before: Mapping[str, _Resource]
    after: Mapping[str, _Resource]
    effective: Mapping[str, Mapping[str, Any]]
    changes: Mapping[str, Change]

    def created(self, type_token: Optional[str] = None) -> list[_Resource]:
        return [r for urn, r in self.after.items()
                if self.changes.get(urn) is not None and self.changes[urn].action == "create"
                and (type_token is None or r.type == type_token)]

    def deleted(self) -> list[_Resource]:
        return [r for urn, r in self.before.items()
                if self.changes.get(urn) is not None and self.changes[urn].action == "delete"]


def _name_collisions(context: _Context) -> None:
    """A new resource that takes the physical name of one deleted in the same update."""
    gone: dict[tuple[str, str], _Resource] = {}
    for resource in context.deleted():
        key = T.PHYSICAL_NAME.get(resource.type)
        value = resource.inputs.get(key) if key else None
        if isinstance(value, str) and value:
            gone[(resource.type, value)] = resource
    for resource in context.created():
        key = T.PHYSICAL_NAME.get(resource.type)
        value = resource.inputs.get(key) if key else None
        old = gone.get((resource.type, value)) if isinstance(value, str) else None
        if old is None:
            continue
        change = context.changes[resource.urn]
        change.blocking = True
        change.reasons.append(
            f"takes {key} '{value}' from {old.urn}, which this update deletes: Pulumi creates before it deletes, so "
            f"AWS refuses the create; if it is the same resource, add aliases=[\"{old.urn}\"] to keep it")
        context.changes[old.urn].reasons.append(f"looks moved to {resource.urn} (same {key}); alias it to keep it")


def _shard_map_rollout(context: _Context) -> None:
    """A published shard map that routes users to a database cluster created in this same deploy."""
    new_clusters = [r.inputs.get("clusterIdentifier") for r in context.created("aws:rds/cluster:Cluster")]
    new_clusters = [c for c in new_clusters if isinstance(c, str) and c]
    if not new_clusters:
        return
    for urn, resource in context.after.items():
        change = context.changes.get(urn)
        if change is None or change.action == "create":
            continue  # unchanged, or a brand-new map that nothing reads yet
        routed: list[str] = []
        for entry in _shard_entries(context.effective.get(urn, resource.inputs)):
            host = str(entry.get("writer") or "")
            target = next((c for c in new_clusters if host == c or host.startswith(c + ".")), None)
            if target is not None and T.entry_is_active(entry):
                routed.append(f"shard {entry.get('shard')} -> new cluster {target}")
        if routed:
            reason, source, fix = T.SHARD_ROUTED_TOO_EARLY
            change.blocking = True
            change.reasons.append(f"{reason} ({'; '.join(dict.fromkeys(routed))}). Fix: {fix}")
            _add_source(change, source)


def _shard_entries(inputs: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Shard map entries carried by a resource: an SSM parameter's value or a ConfigMap's data."""
    candidates: list[Any] = [inputs.get("value")]
    data = inputs.get("data")
    if isinstance(data, Mapping):
        candidates.extend(data.values())
    entries: list[Mapping[str, Any]] = []
    for candidate in candidates:
        found = T.shard_map_entries(candidate)
        if found:
            entries.extend(found)
    return entries


def _global_cluster_sources(context: _Context) -> None:
    """A new global cluster made from a cluster whose master password RDS manages."""
    clusters = {str(r.inputs.get("clusterIdentifier")): r for r in context.after.values()
                if r.type == "aws:rds/cluster:Cluster" and r.inputs.get("clusterIdentifier")}
    for resource in context.created("aws:rds/globalCluster:GlobalCluster"):
        source = resource.inputs.get("sourceDbClusterIdentifier")
        if not isinstance(source, str) or not source:
            continue
        identifier = source.rsplit(":cluster:", 1)[-1]
        cluster = clusters.get(identifier)
        if cluster is None:
            continue
        inputs = context.effective.get(cluster.urn, cluster.inputs)
        if T._password_managed(inputs):  # noqa: SLF001 - the same reading as the transition rules
            reason, doc = T.MANAGED_PASSWORD_GLOBAL
            change = context.changes[resource.urn]
            change.blocking = True
            change.reasons.append(f"{reason} (source {identifier}). Fix: switch the cluster to a password of ours "
                                  "(masterPasswordWo) in an earlier deploy")
            _add_source(change, doc)


# -- rendering ---------------------------------------------------------------------------------

_TITLES = {"refused": "Refused in place", "replace": "Replace", "delete": "Delete", "create": "Create",
           "update": "Update in place"}
_SIGNS = {"refused": "x", "replace": "+-", "delete": "-", "create": "+", "update": "~"}


def render(diff: Diff, *, header: str = "", expand: bool = False, max_listed: int = 40) -> str:
    lines: list[str] = [header] if header else []
    unsafe = _ordered(diff.unsafe_changes)
    if unsafe:
        lines.append(f"UNSAFE ({len(unsafe)}): these would lose data or fail on a live stack")
        for change in unsafe:
            lines.extend(_render_change(change, mark="!!", verbose=True))
        lines.append("")
    for action in ACTIONS:
        safe = [c for c in diff.of_action(action) if not c.unsafe]
        if not safe:
            continue
        lines.append(f"{_TITLES[action]} ({len(safe)}):")
        if expand or len(safe) <= max_listed or action in ("refused", "replace"):
            for change in safe:
                lines.extend(_render_change(change, mark="  ", verbose=action != "create"))
        else:
            for type_token, count in sorted(Counter(c.type for c in safe).items(), key=lambda kv: (-kv[1], kv[0])):
                lines.append(f"   {_SIGNS[action]:>2} {count:>4} x {type_token}")
        lines.append("")
    counts = diff.counts()
    summary = ", ".join(f"{counts[a]} {a}" for a in ("create", "update", "replace", "delete", "refused") if counts[a])
    lines.append(f"{summary or 'no changes'}; {diff.unchanged} unchanged")
    if diff.unsafe:
        lines.append(f"Verdict: UNSAFE ({len(unsafe)} change(s) above marked !!)")
    else:
        lines.append("Verdict: safe to apply to a live stack")
    return "\n".join(lines)


def _render_change(change: Change, *, mark: str, verbose: bool, max_paths: int = 6) -> list[str]:
    flags = " (stateful)" if change.stateful else ""
    lines = [f"{mark} {_SIGNS[change.action]:>2} {change.action:<8} {change.type} {change.name}{flags}"]
    if verbose and change.paths:
        shown = ", ".join(change.paths[:max_paths])
        more = f" (+{len(change.paths) - max_paths} more)" if len(change.paths) > max_paths else ""
        lines.append(f"          changed: {shown}{more}")
    if verbose or change.unsafe:
        lines.extend(f"          - {reason}" for reason in change.reasons)
    return lines


# -- inputs for the CLI ------------------------------------------------------------------------

def load_plan_json(path: Path) -> dict[str, Any]:
    """A ``tierstack plan --json`` document."""
    try:
        document = json.loads(path.read_text())
    except OSError as error:
        raise DiffInputError(f"cannot read {path}: {error.strerror or error}") from None
    except ValueError as error:
        raise DiffInputError(f"{path} is not JSON: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("resources"), list):
        raise DiffInputError(f"{path} is not a `tierstack plan --json` file (no 'resources' list)")
    return document


def load_config_overrides(path: Path, project_name: str) -> dict[str, Any]:
    """A YAML file of ``namespace:key: value`` overrides (a stack file's ``config:`` section also works)."""
    import yaml

    try:
        document = yaml.safe_load(path.read_text())
    except OSError as error:
        raise DiffInputError(f"cannot read {path}: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise DiffInputError(f"{path} is not valid YAML: {error}") from None
    if isinstance(document, dict) and set(document) == {"config"}:
        document = document["config"]
    if not isinstance(document, dict) or not all(isinstance(k, str) for k in document):
        raise DiffInputError(f"{path}: expected a mapping of 'namespace:key: value' entries, e.g. "
                             "'tierstack:tier: enterprise'")
    return {(key if ":" in key else f"{project_name}:{key}"): value for key, value in document.items()}


def merge_overrides(*layers: Optional[Mapping[str, Any]]) -> dict[str, Any]:
    """Config overrides layered left to right, mappings deep-merged as ``config_overrides`` does."""
    from tierstack.config.merge import deep_merge

    merged: dict[str, Any] = {}
    for layer in layers:
        for key, value in (layer or {}).items():
            if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
                merged[key] = deep_merge(merged[key], value)
            else:
                merged[key] = copy.deepcopy(value)
    return merged


# -- planning both sides -----------------------------------------------------------------------

@dataclass
class Side:
    """One side of a comparison: where it came from and what it records."""

    label: str
    stack: str
    tier: str
    regions: list[str]
    resources: list[Any]

    def to_json(self) -> dict[str, Any]:
        return {"source": self.label, "stack": self.stack, "tier": self.tier, "regions": self.regions}


def plan_sides(project: Any, stack: str, *, tier: Optional[str] = None, to_stack: Optional[str] = None,
               to_config: Optional[Path] = None, from_plan: Optional[Path] = None) -> tuple[Side, Side]:
    """Plan "before" and "after" for ``tierstack diff``.

    Before is the stack as configured, or the ``--from-plan`` document. After is the stack (or
    ``to_stack``) at ``tier`` with the ``to_config`` overrides. Whenever the two sides run
    different tiers, both are planned with ``ANY_TIER_ASSUMPTIONS`` so the comparison isolates
    the tier change rather than the account assumptions a larger tier needs.
    """
    from tierstack.tooling.plan import ANY_TIER_ASSUMPTIONS, plan_stack
    from tierstack.tooling.stackfiles import engine_config

    if not any((tier, to_stack, to_config, from_plan)):
        raise DiffInputError("nothing to compare: give a target (--tier, --to-stack, --to-config) or an earlier "
                             "plan (--from-plan BEFORE.json)")
    overrides = load_config_overrides(to_config, project.name) if to_config else {}
    target = to_stack or stack
    own_tier = _configured_tier(engine_config(project, stack)[0])
    target_tier = tier or _tier_of(overrides.get("tierstack:tier")) or _configured_tier(engine_config(project, target)[0])
    before_document = load_plan_json(from_plan) if from_plan else None
    before_tier = str(before_document.get("tier")) if before_document else own_tier
    tier_change = bool(target_tier and before_tier and target_tier != before_tier) or (
        tier is not None and tier != own_tier)
    assumptions = ANY_TIER_ASSUMPTIONS if tier_change else None

    if before_document is not None:
        resources = _restacked(before_document["resources"], str(before_document.get("stack") or stack), stack)
        before = Side(f"plan file {from_plan}", stack, before_tier, list(before_document.get("regions") or []),
                      resources)
    else:
        plan = plan_stack(stack, project=project, config_overrides=assumptions)
        before = Side("stack as configured" + (" (with the any-tier account assumptions)" if assumptions else ""),
                      stack, plan.tier, plan.regions, plan.resources)
    after_overrides = merge_overrides(assumptions, overrides) or None
    if to_stack and to_stack != stack:
        plan = _plan_config_as(project, to_stack, stack, tier=tier, config_overrides=after_overrides)
    else:
        plan = plan_stack(stack, project=project, tier=tier, config_overrides=after_overrides)
    what = [f"Pulumi.{to_stack}.yaml" if to_stack else ("stack as configured" if from_plan else f"stack {stack}")]
    if tier:
        what.append(f"at tier {tier}")
    if to_config:
        what.append(f"with {to_config}")
    after = Side(" ".join(what), stack, plan.tier, plan.regions, plan.resources)
    return before, after


def _plan_config_as(project: Any, config_stack: str, stack: str, **options: Any) -> Any:
    """Plan ``Pulumi.<config_stack>.yaml`` as if it were stack ``stack``'s file.

    URNs carry the stack name (and tierstack's environment defaults to it), so another stack file
    is compared as the configuration the live stack would get, not as a different stack.
    """
    import shutil
    import tempfile

    from tierstack.tooling.plan import plan_stack
    from tierstack.tooling.stackfiles import Project, StackFileError

    source = project.stack_file(config_stack)
    if not source.is_file():
        available = ", ".join(project.stacks()) or "none"
        raise StackFileError(f"no stack file {source.name} in {project.root} (stacks here: {available})")
    with tempfile.TemporaryDirectory(prefix="tierstack-diff-") as directory:
        root = Path(directory)
        shutil.copyfile(project.root / "Pulumi.yaml", root / "Pulumi.yaml")
        shutil.copyfile(source, root / f"Pulumi.{stack}.yaml")
        return plan_stack(stack, project=Project(root=root, name=project.name, main=project.main), **options)


def _restacked(resources: Sequence[Mapping[str, Any]], old: str, new: str) -> list[dict[str, Any]]:
    """Plan JSON resources with URNs of stack ``old`` renamed to stack ``new``."""
    if old == new:
        return [dict(r) for r in resources]
    prefix, replacement = f"urn:pulumi:{old}::", f"urn:pulumi:{new}::"

    def swap(value: Any) -> Any:
        return replacement + value[len(prefix):] if isinstance(value, str) and value.startswith(prefix) else value

    restacked = []
    for resource in resources:
        copy_ = {**resource, "urn": swap(resource.get("urn")), "parent": swap(resource.get("parent")),
                 "provider": swap(resource.get("provider"))}
        options = dict(resource.get("options") or {})
        if options.get("aliases"):
            options["aliases"] = [swap(a) for a in options["aliases"]]
        copy_["options"] = options
        restacked.append(copy_)
    return restacked


def _tier_of(value: Any) -> Optional[str]:
    return str(value) if isinstance(value, str) and value else None


def _configured_tier(config: Mapping[str, str]) -> str:
    raw = config.get("tierstack:tier", "")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    return str(value) if value else ""


def describe(before: Side, after: Side) -> str:
    def side(s: Side) -> str:
        regions = len(s.regions)
        return f"{s.label} (tier {s.tier}, {regions} region{'s' if regions != 1 else ''})"

    return f"Diff for stack '{before.stack}'\n  before: {side(before)}\n  after:  {side(after)}\n"
