"""How graph rules tell which resource another one belongs to.

A relation is expressed by the actual wiring: the value (a flow log's ``vpcId`` is its VPC's id,
a logging configuration's ``resourceArn`` its web ACL's ARN, an S3 sibling's ``bucket`` its
bucket's name), and the dependency the engine records with it (the property's dependencies name
the resources whose outputs flowed into it). In tierstack's own programs the component that owns
both (the parent) says it too. A known value wins where both ends are known (the offline plan
knows every id). Where the value is unknown (``pulumi preview``), absent, or cannot be compared
(the policy engine passes no ids), the property's dependency on exactly one owner decides; on
several owners, those owners are undecided; on none, the component convention decides. A known
reference that can be compared with no owner because the owners' own ids are unknown leaves the
owners it might point at undecided. Undecided is never a violation.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping

from pulumi_policy.proxy import UnknownValueError

from tierstack_guardrails.props import UNDECIDED, known


def identity(resource, keys) -> set | None:
    """The known values other resources use to refer to ``resource``; None if none is known.

    ``keys`` are output/property names ("id" also reads the resource's own id).
    """
    values = set()
    for key in keys:
        candidates = [resource.id] if key == "id" else []
        for source in (resource.outputs, resource.props):
            if isinstance(source, Mapping):
                candidates.append(known(source, key))
        values.update(v for v in candidates if _comparable(v))
    return values or None


def reference(resource, path):
    """The value at ``path`` if it is known and comparable; UNDECIDED if unknown; None if absent."""
    value = known(resource.props, path)
    if value is UNDECIDED:
        return UNDECIDED
    return value if _comparable(value) else None


def _comparable(value) -> bool:
    return value is not None and value is not UNDECIDED and value != "" and isinstance(value, Hashable) \
        and not isinstance(value, bool)


def wired(companion, path, owners) -> list:
    """The owners whose outputs flowed into the companion's property at ``path`` (by URN)."""
    sources = set(companion.depends_on(path))
    return [o for o in owners if o.urn and o.urn in sources]


def uncovered(resources, owner_types, companion_types, ref_path, owner_keys,
              covered=lambda r: False, qualifies=lambda r: True):
    """(owner, companions pooled in its component, owners short of one there) for each owner
    no companion attaches to, skipping owners that preview (or a missing id) leaves undecided.

    A companion attaches to the owners whose identity equals its reference. Otherwise (unknown,
    absent, or not comparable) to the one owner its reference property depends on; one that
    depends on several owners leaves them undecided. Failing both, it attaches to its parent
    (when that is an owner), or is pooled among the owners of the component it sits in, unless
    its reference is known and points outside the stack.
    """
    owners = [r for r in resources if r.type in owner_types]
    identities = {id(o): identity(o, owner_keys) for o in owners}
    some_unknown = any(v is None for v in identities.values())
    linked, undecided, pooled, dangling = set(), set(), [], False
    for companion in (r for r in resources if r.type in companion_types):
        if not _safe(qualifies, companion, True):
            continue
        ref = reference(companion, ref_path)
        known_ref = ref is not None and ref is not UNDECIDED
        if known_ref:
            targets = [o for o in owners if identities[id(o)] and ref in identities[id(o)]]
            if targets:
                linked.update(id(o) for o in targets)
                continue
            if not some_unknown:
                continue  # known, and none of this stack's owners: it belongs to something else
        sources = [o for o in wired(companion, ref_path, owners)
                   if not known_ref or identities[id(o)] is None]  # a known id it does not equal rules one out
        if len(sources) == 1:
            linked.add(id(sources[0]))
            continue
        if sources:
            undecided.update(id(o) for o in sources)  # its value comes from one of them
            continue
        dangling = dangling or known_ref  # it may be an owner whose id we do not know
        pooled.append(companion)
    children_of = {c.parent for c in pooled}
    pool = Counter(c.parent for c in pooled)
    groups = defaultdict(list)
    for owner in owners:
        if id(owner) in linked or (owner.urn and owner.urn in children_of) or _safe(covered, owner, True):
            continue
        groups[owner.parent].append(owner)
    for parent, group in groups.items():
        # An undecided owner may be covered by a companion elsewhere, so the component's pool
        # need only cover the others.
        decided = [o for o in group
                   if id(o) not in undecided and not (dangling and identities[id(o)] is None)]
        if pool[parent] >= len(decided):
            continue
        for owner in decided:
            yield owner, pool[parent], len(group)


def _safe(check, resource, when_unknown) -> bool:
    try:
        return check(resource)
    except UnknownValueError:
        return when_unknown  # undecided in preview: not reported
