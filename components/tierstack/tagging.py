"""Tags applied once, to a whole tree of resources, instead of threaded through every Args.

``tagged(tags)`` gives resource options whose transformation adds ``tags`` to every AWS
resource created under the resource they are passed to (that resource and all its
descendants), for every type that takes a ``tags`` map. A resource's own tags win over the
ones added, and a nearer ancestor's over a farther one's, so a cell's ``tierstack:region``
sits on top of the platform's ``Environment`` and a component's ``Name`` on top of both.

A transformation rather than the AWS provider's ``default_tags``: it works with the provider
a program already has (tierstack never has to own it), the tags land in each resource's
``tags`` where policy and diff see them, and a library user's program gets the same by passing
``opts=tierstack.tagging.tagged({...})`` to any component.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping, Optional

import pulumi

AWS_PACKAGE = "aws:"
# A launch template also carries the tags of what it launches (instances, volumes): those get
# the same tags, so a node's instance and its volumes are attributed like everything else.
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"


def _merged(added: Mapping[str, str], own: Any) -> Any:
    if own is None:
        return dict(added)
    if isinstance(own, Mapping):
        return {**added, **own}
    # An Output (or other awaitable input): merge once it resolves.
    return pulumi.Output.from_input(own).apply(lambda resolved: {**added, **(resolved or {})})


def _tag_specification(added: Mapping[str, str], spec: Any) -> Any:
    if isinstance(spec, Mapping):
        return {**spec, "tags": _merged(added, spec.get("tags"))}
    # An input type (LaunchTemplateTagSpecificationArgs): a copy, so the caller's object is unchanged.
    copied = copy.copy(spec)
    pulumi.set(copied, "tags", _merged(added, pulumi.get(spec, "tags")))
    return copied


def tag_transformation(tags: Mapping[str, str]) -> pulumi.ResourceTransformation:
    """The transformation behind ``tagged``: adds ``tags`` under an AWS resource's own ``tags`` map."""
    added = dict(tags)

    def add_tags(args: pulumi.ResourceTransformationArgs) -> Optional[pulumi.ResourceTransformationResult]:
        # Only custom AWS resources whose inputs include a tags map; providers and components pass.
        if not args.type_.startswith(AWS_PACKAGE) or not isinstance(args.resource, pulumi.CustomResource) \
                or isinstance(args.resource, pulumi.ProviderResource) or "tags" not in args.props:
            return None
        own = args.props["tags"]
        if isinstance(own, (list, tuple)):
            # A list of tag blocks (Auto Scaling groups) has its own propagation semantics.
            return None
        props = {**args.props, "tags": _merged(added, own)}
        if args.type_ == LAUNCH_TEMPLATE and args.props.get("tag_specifications"):
            props["tag_specifications"] = [_tag_specification(added, spec) for spec in args.props["tag_specifications"]]
        return pulumi.ResourceTransformationResult(props=props, opts=args.opts)

    return add_tags


def tagged(tags: Mapping[str, str], opts: Optional[pulumi.ResourceOptions] = None) -> pulumi.ResourceOptions:
    """``opts`` (or new options) that also tag every AWS resource under the resource they are given to."""
    extra = pulumi.ResourceOptions(transformations=[tag_transformation(tags)] if tags else [])
    return pulumi.ResourceOptions.merge(opts, extra) if opts is not None else extra
