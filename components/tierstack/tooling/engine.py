"""Run a Pulumi program in-process under mocks and record every registration.

``RecordingMonitor`` extends Pulumi's own ``MockMonitor``: the SDK still serialises inputs,
resolves parents, providers and dependencies exactly as it does against the real engine, and
we keep the full request, so the offline plan sees what ``pulumi up`` would be asked to create,
with options (protect, dependsOn, ignoreChanges...) as well as inputs.
"""

from __future__ import annotations

import asyncio
import inspect
import runpy
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc
from pulumi.runtime.settings import SETTINGS
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from tierstack.tooling.mocks import ProviderRegions, TierstackMocks
from tierstack.tooling.stackfiles import SECRET_PLACEHOLDER


@dataclass
class PlannedResource:
    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    id: str
    inputs: dict[str, Any]
    # What the mocks answered: inputs plus computed values (ARNs, ids, endpoints).
    outputs: dict[str, Any] = field(default_factory=dict)
    provider: str = ""
    protect: bool = False
    dependencies: list[str] = field(default_factory=list)
    # For each input that another resource's output flowed into, those resources' URNs: the
    # wiring, known even at preview when the value itself is not.
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    ignore_changes: list[str] = field(default_factory=list)
    delete_before_replace: bool = False
    retain_on_delete: bool = False
    additional_secret_outputs: list[str] = field(default_factory=list)
    # Top-level inputs that were secret; their values are kept for checks, masked in exports.
    secret_inputs: list[str] = field(default_factory=list)
    # Earlier URNs this resource claims (``aliases=``, and those inherited from aliased parents),
    # resolved as the engine resolves them: engine URNs, see ``engine_urn``.
    aliases: list[str] = field(default_factory=list)

    @property
    def is_provider(self) -> bool:
        return self.type.startswith("pulumi:providers:")

    @property
    def package(self) -> str:
        return self.type.split(":")[2] if self.is_provider else self.type.split(":")[0]


@dataclass
class ProgramRun:
    project: str
    stack: str
    resources: list[PlannedResource]
    outputs: dict[str, Any]
    seconds: float

    def by_urn(self) -> dict[str, PlannedResource]:
        return {r.urn: r for r in self.resources}

    def of_type(self, type_token: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == type_token]


_SECRET_SIGNATURE = rpc._special_sig_key  # noqa: SLF001 - the wire marker for secret values
_SECRET_VALUE = rpc._special_secret_sig  # noqa: SLF001


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(_SECRET_SIGNATURE) == _SECRET_VALUE


def _reveal(value: Any) -> tuple[Any, bool]:
    """The value with every secret envelope opened, and whether it held any secret."""
    if _is_secret(value):
        return _reveal(value.get("value"))[0], True
    if isinstance(value, dict):
        pairs = {k: _reveal(v) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(secret for _, secret in pairs.values())
    if isinstance(value, list):
        pairs = [_reveal(v) for v in value]
        return [v for v, _ in pairs], any(secret for _, secret in pairs)
    return value, False


def _unwrap_secrets(inputs: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Plain inputs for checks, and which top-level inputs held a secret anywhere inside (one walk)."""
    revealed = {k: _reveal(v) for k, v in inputs.items()}
    return {k: v for k, (v, _) in revealed.items()}, sorted(k for k, (_, secret) in revealed.items() if secret)


class ProgramError(Exception):
    """The program raised; ``resources`` is what it had registered before it stopped."""

    def __init__(self, cause: BaseException, resources: list[PlannedResource]):
        super().__init__(str(cause))
        self.cause = cause
        self.resources = resources


ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


def urn_parts(urn: str) -> tuple[str, str, str, str]:
    """``(stack, project, qualified type, name)`` of ``urn:pulumi:stack::project::qualified$type::name``."""
    stack, project, qualified_type, name = urn[len("urn:pulumi:"):].split("::", 3)
    return stack, project, qualified_type, name


def engine_urn(stack: str, project: str, parent_urn: str, type_: str, name: str) -> str:
    """The URN the Pulumi engine gives a resource (``Deployment.generateURN``).

    The type part is the parent's whole qualified type chain, then ``$`` and the resource's
    type; a resource whose parent is the root stack (or that has none) gets its bare type.
    Pulumi's ``MockMonitor`` builds URNs differently (only the parent's last type, and a
    ``pulumi:pulumi:Stack$`` prefix at the top), so identity checks use this instead.
    """
    parent_type = urn_parts(parent_urn)[2] if parent_urn else ""
    qualified = type_ if parent_type in ("", ROOT_STACK_TYPE) else f"{parent_type}${type_}"
    return f"urn:pulumi:{stack}::{project}::{qualified}::{name}"


@dataclass(frozen=True)
class _Identity:
    urn: str  # the engine URN
    name: str
    aliases: tuple[str, ...]


class RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: TierstackMocks, regions: ProviderRegions):
        super().__init__(mocks)
        self.regions = regions
        self.recorded: list[PlannedResource] = []
        self.stack_urn = ""
        # Monitor URN -> engine URN, name and aliases, to resolve the aliases of its children.
        self._identities: dict[str, _Identity] = {}

    def _resolve_aliases(self, request, urn: str) -> tuple[str, list[str]]:
        """The resource's engine URN and its aliases as engine URNs, as ``stepGenerator.generateAliases`` does.

        The SDK sends ``aliases`` (``Alias`` messages: a URN, or a spec of name/type/stack/project
        and parentUrn/noParent) when the monitor supports alias specs, which ``MockMonitor`` says it
        does; otherwise full URNs in ``aliasURNs``, which the SDK builds from the monitor's URNs and
        which are kept as sent (a test pins that the monitor supports specs). A spec's missing
        name/type/stack/project are the resource's own; its parent is the given one (or the
        resource's own parent), none with ``noParent`` or when the parent is the root stack. A child of an aliased parent inherits one
        alias per parent alias (with the parent's old name swapped in if its own name starts with
        the parent's). The engine uses the one parent alias found in the old state; with no state
        every candidate is kept.
        """
        stack, project, _, _ = urn_parts(urn)
        parent = self._identities.get(request.parent)
        own = engine_urn(stack, project, parent.urn if parent else request.parent, request.type, request.name)
        explicit: list[str] = list(request.aliasURNs)
        for alias in request.aliases:
            if alias.WhichOneof("alias") != "spec":
                explicit.append(alias.urn)
                continue
            spec = alias.spec
            name, type_ = spec.name or request.name, spec.type or request.type
            if spec.noParent:
                parents = [""]
            elif spec.parentUrn:
                given = self._identities.get(spec.parentUrn)
                # A parent that was itself renamed: the engine uses its old URN, whichever matched.
                parents = [given.urn, *given.aliases] if given else [spec.parentUrn]
            else:
                parents = [parent.urn if parent else request.parent]
            explicit.extend(engine_urn(spec.stack or stack, spec.project or project, p, type_, name) for p in parents)
        aliases = list(explicit)
        if parent is not None:
            for parent_alias in parent.aliases:
                for old_type, old_name in [(request.type, request.name),
                                           *((urn_parts(a)[2].split("$")[-1], urn_parts(a)[3]) for a in explicit)]:
                    if old_name.startswith(parent.name):
                        old_name = urn_parts(parent_alias)[3] + old_name[len(parent.name):]
                    aliases.append(engine_urn(stack, project, parent_alias, old_type, old_name))
        return own, [a for a in dict.fromkeys(aliases) if a != own]

    def RegisterResource(self, request):  # noqa: N802 - gRPC method name
        response = super().RegisterResource(request)
        own, aliases = self._resolve_aliases(request, response.urn)
        self._identities[response.urn] = _Identity(own, request.name, tuple(aliases))
        if request.type == ROOT_STACK_TYPE:
            self.stack_urn = response.urn
            return response
        inputs, secret_inputs = _unwrap_secrets(rpc.deserialize_properties(request.object, keep_internal=True))
        if request.type.startswith("pulumi:providers:"):
            self.regions.record(f"{response.urn}::{response.id}", inputs.get("region"))
        self.recorded.append(PlannedResource(
            urn=response.urn,
            type=request.type,
            name=request.name,
            parent=request.parent,
            custom=bool(request.custom),
            id=response.id,
            inputs=inputs,
            outputs=rpc.deserialize_properties(response.object) if response.object else {},
            provider=request.provider,
            protect=bool(request.protect),
            dependencies=list(request.dependencies),
            property_dependencies={key: list(deps.urns) for key, deps in request.propertyDependencies.items()
                                   if deps.urns},
            ignore_changes=list(request.ignoreChanges),
            delete_before_replace=bool(request.deleteBeforeReplace),
            retain_on_delete=bool(request.retainOnDelete),
            additional_secret_outputs=list(request.additionalSecretOutputs),
            secret_inputs=secret_inputs,
            aliases=aliases,
        ))
        return response

    def RegisterResourceOutputs(self, request):  # noqa: N802 - gRPC method name
        if request.urn == self.stack_urn:
            self.stack_outputs = rpc.deserialize_properties(request.outputs)
        return super().RegisterResourceOutputs(request)


def run_program(
    program: Callable[[], Any] | Path,
    *,
    project: str,
    stack: str,
    config: dict[str, str],
    secret_keys: Optional[list[str]] = None,
) -> ProgramRun:
    """Run ``program`` (a callable, or a directory holding ``__main__.py``) under mocks.

    The engine config is installed the way the language host installs it, so the program's
    own config loading runs unchanged. Exceptions from the program propagate after the
    runtime has drained.
    """
    regions = ProviderRegions(default_region=config.get("aws:region", "us-east-1"))
    monitor = RecordingMonitor(TierstackMocks(regions), regions)
    monitor.stack_outputs = {}
    pulumi.runtime.set_all_config(dict(config), list(secret_keys or []))
    pulumi_mocks.set_mocks(monitor.mocks, project=project, stack=stack, preview=False, monitor=monitor)

    if isinstance(program, Path):
        entry = program / "__main__.py" if program.is_dir() else program
        if str(entry.parent) not in sys.path:
            sys.path.insert(0, str(entry.parent))
        program_body: Callable[[], Any] = lambda: runpy.run_path(str(entry), run_name="__main__")
    else:
        program_body = program

    def body() -> Any:
        result = program_body()
        return _drain_outputs_then(result)

    started = time.perf_counter()
    try:
        _sync_await(run_pulumi_func(body))
    except Exception as error:  # noqa: BLE001 - re-raised with what was registered
        raise ProgramError(error, list(monitor.recorded)) from error
    elapsed = time.perf_counter() - started
    return ProgramRun(project=project, stack=stack, resources=list(monitor.recorded),
                      outputs=_resolve_outputs(), seconds=elapsed)


async def _drain_outputs_then(result: Any) -> Any:
    """Let every pending output settle, a generation at a time, before the SDK's own wait.

    The SDK waits for outputs one completion at a time over the whole pending set, which is
    quadratic in the resource count (a five-region plan spent most of its time there). Waiting
    for a whole generation at once is linear; the SDK's loop then finds them all done and still
    raises any failure exactly as it would have.
    """
    if inspect.isawaitable(result):
        result = await result
    while True:
        await asyncio.sleep(0)
        with SETTINGS.lock:
            pending = [task for task in SETTINGS.outputs if not task.done()]
        if not pending:
            return result
        await asyncio.wait(pending)


def _resolve_outputs() -> dict[str, Any]:
    """The stack's exports, resolved (mocks make every value known)."""
    from pulumi.runtime.settings import get_root_resource

    root = get_root_resource()
    outputs = getattr(root, "outputs", None) or {}
    resolved: dict[str, Any] = {}
    for key, value in outputs.items():
        resolved[key] = _sync_await(_await_value(value))
    return resolved


async def _await_value(value: Any) -> Any:
    if isinstance(value, pulumi.Output):
        if await value.is_secret():
            return SECRET_PLACEHOLDER
        return await _await_value(await value.future(with_unknowns=True))
    if isinstance(value, dict):
        return {k: await _await_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [await _await_value(v) for v in value]
    return value
