"""What every package component shares: its type token, its outputs, and how it builds the real component.

Pulumi's component provider (``pulumi.provider.experimental``) reads a component's schema from its
annotations: the ``args`` TypedDict of ``__init__`` gives the inputs, the class's annotated
attributes the outputs, the docstring under each their description. So this module and the
package components never use ``from __future__ import annotations`` (which would turn every
annotation into a string the analyzer cannot read), and a package component annotates nothing
but its outputs.
"""

import inspect
from typing import Any, Mapping, Optional, Sequence

import pulumi

from tierstack.tagging import tagged

PACKAGE = "tierstack"
# Pulumi's component providers serve one module only.
MODULE = "index"


def type_token(component: type) -> str:
    """``tierstack:index:<ClassName>``: the provider host finds the class by the token's last part."""
    return f"{PACKAGE}:{MODULE}:{component.__name__}"


def output_names(component: type) -> list[str]:
    """The outputs the schema lists for ``component``: its public annotated attributes."""
    names: list[str] = []
    for klass in reversed(component.__mro__):
        if klass in (object, pulumi.Resource, pulumi.ComponentResource):
            continue
        names.extend(name for name in inspect.get_annotations(klass) if not name.startswith("_") and name not in names)
    return names


class PackageComponent(pulumi.ComponentResource):
    """A tierstack component as other languages construct it; each subclass builds one of the Python components."""

    def __init__(self, name: str, opts: Optional[pulumi.ResourceOptions]):
        super().__init__(type_token(type(self)), name, None, opts)

    def _inner(self, tags: Optional[Mapping[str, str]] = None) -> pulumi.ResourceOptions:
        """Options for the component this one builds: its child, and every AWS resource under it tagged."""
        child = pulumi.ResourceOptions(parent=self)
        return tagged(tags, child) if tags else child

    def _publish(self) -> None:
        """Register every output the schema promises (each must have been set by then)."""
        self.register_outputs({name: getattr(self, name) for name in output_names(type(self))})


def listed(value: Any, input_name: str) -> list[Any]:
    """A list input as a list: its entries may be outputs, the list itself may not.

    The components create a resource per entry (a rule per client security group, a node group
    per subnet...), so they must count the entries while the program runs, before any output
    resolves. A whole list that is one output (``network.privateSubnetIds``) cannot be counted.
    """
    if isinstance(value, pulumi.Output):
        raise ValueError(
            f"{input_name} must be a list whose entries may be outputs, not one output holding a list: the "
            "component creates a resource per entry and has to count them before outputs resolve. Fix: list the "
            f"entries, e.g. {input_name}: [ids[0], ids[1], ids[2]] (in TypeScript: [0, 1, 2].map(i => "
            "network.privateSubnetIds.apply(ids => ids[i])), in YAML: ['${network.privateSubnetIds[0]}', ...]).")
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ValueError(f"{input_name} must be a list, got {type(value).__name__}.")
    return list(value)


def all_of(outputs: Sequence[pulumi.Input[Any]]) -> pulumi.Output[list[Any]]:
    """One output holding a list of outputs' values (what the schema's list outputs are)."""
    return pulumi.Output.all(*outputs).apply(list)


Described = dict[tuple[type, str], tuple[type, str]]


def same_as(package_type: type, source: type, *fields: str, **renamed: str) -> Described:
    """Which package inputs repeat a documented field's description: ``fields`` by the same name,
    ``renamed`` as package name = source name. tests/test_package_schema.py holds them equal."""
    pairs = {**{field: field for field in fields}, **renamed}
    return {(package_type, mine): (source, theirs) for mine, theirs in pairs.items()}
