"""Run the real Pulumi program under Pulumi's mock engine and record every resource.

The recording monitor wraps ``pulumi.runtime.mocks.MockMonitor`` (pulumi/runtime/mocks.py in the pulumi SDK): it
keeps each registration's type, name, parent, provider and camelCase inputs, and the
outputs components register. Nothing leaves the process: no CLI, no cloud.

Three things keep the run fast (measured in docs/performance.md) without changing what it
records: the cyclic garbage collector is paused for the run; a plan-only stack transformation
drops resource aliases, whose URNs the SDK would otherwise compute up front and which the
mock engine never reads; and the monitor answers on the event loop's own thread, decoding
each request once, instead of on worker threads that each spin a nested event loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import datetime as dt
import json
import logging
import runpy
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.proto import resource_pb2

from gpufleet import rundate
from gpufleet.graph import CapturedResource
from gpufleet.plan import gcpolicy
from gpufleet.plan.mocks import FleetMocks

__all__ = ["STACK_TYPE", "CapturedResource", "ProgramRun", "run_program"]

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass
class ProgramRun:
    """Everything one mock run of the program produced."""

    stack: str
    resources: list[CapturedResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    component_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    log: list[tuple[str, str]] = field(default_factory=list)
    """(level, message) from ``pulumi.log``."""
    invokes: list[CapturedResource] = field(default_factory=list)
    """Each invoke (data source lookup) the program made, as a resource whose type is the
    invoke's token and whose inputs are its arguments: the contract check maps it to the
    request the provider sends (an Alibaba baked image's DescribeImages)."""

    def of_type(self, type_: str) -> list[CapturedResource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str) -> CapturedResource:
        found = self.of_type(type_)
        if len(found) != 1:
            raise AssertionError(f"expected one {type_}, found {len(found)}")
        return found[0]

    def by_urn(self, urn: str) -> CapturedResource | None:
        return next((r for r in self.resources if r.urn == urn), None)


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """A MockMonitor that records every registration and registered output.

    ``RegisterResource`` decodes the request once (the base class decodes it, and the capture
    decoded it again) and builds the response without ``rpc.serialize_properties``, which the
    base class runs in a nested event loop: the echoed inputs are the request's own wire
    values, and only the fields the mocks add or change are encoded.
    """

    def __init__(self, mocks: pulumi.runtime.Mocks, run: ProgramRun) -> None:
        super().__init__(mocks)
        self.run = run

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE:
            return resource_pb2.RegisterResourceResponse(urn=urn)
        inputs = rpc.deserialize_properties(request.object)
        self.run.resources.append(
            CapturedResource(
                urn=urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent,
                provider=request.provider,
                inputs=_plain(inputs),
                dependencies=tuple(request.dependencies),
                ignore_changes=tuple(request.ignoreChanges),
                protect=bool(request.protect),
            )
        )
        args = pulumi.runtime.MockResourceArgs(
            typ=request.type,
            name=request.name,
            inputs=inputs,
            provider=request.provider,
            resource_id=request.importId,
            custom=request.custom or False,
        )
        rid, state = self.mocks.new_resource(args)
        id_ = rid or ""
        obj = _response_struct(request.object, inputs, state)
        self.resources[urn] = pulumi_mocks.MockMonitor.ResourceRegistration(urn, id_, state)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_, object=obj)

    def Invoke(self, request: Any) -> Any:
        if request.tok != "pulumi:pulumi:getResource":
            n = len(self.run.invokes)
            self.run.invokes.append(
                CapturedResource(
                    urn=f"invoke::{request.tok}::{n}",
                    type=request.tok,
                    name=f"{request.tok.rsplit(':', 1)[-1]}#{n}",
                    custom=False,
                    parent="",
                    provider=request.provider,
                    inputs=_plain(rpc.deserialize_properties(request.args)),
                    dependencies=(),
                    ignore_changes=(),
                    protect=False,
                )
            )
        return super().Invoke(request)  # type: ignore[no-untyped-call]

    def RegisterResourceOutputs(self, request: Any) -> Any:
        outputs = _plain(rpc.deserialize_properties(request.outputs))
        if outputs:
            self.run.component_outputs[request.urn] = outputs
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]


def _response_struct(wire_inputs: Any, inputs: Mapping[str, Any], state: Mapping[str, Any]) -> Any:
    """The mock's ``state`` on the wire: the request's Struct for the inputs it echoes (same
    object), plus the fields it adds or replaces. Equals ``rpc.serialize_properties(state)`` for
    plain values; anything else in the added fields is a mock bug and raises TypeError."""
    obj = copy.deepcopy(wire_inputs)
    for key in inputs:
        if key not in state:
            del obj[key]
    added = {k: v for k, v in state.items() if k not in inputs or v is not inputs[k]}
    for key, value in added.items():
        if value is None:  # serialize_properties drops top-level None
            if key in obj:
                del obj[key]
        else:
            obj[key] = _wire_plain(value, key)
    return obj


def _wire_plain(value: Any, path: str) -> Any:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {str(k): _wire_plain(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_wire_plain(v, f"{path}[{i}]") for i, v in enumerate(value)]
    raise TypeError(f"mock output {path} is a {type(value).__name__}; mock outputs must be plain JSON values")


class _InlineExecutor(concurrent.futures.ThreadPoolExecutor):
    """Runs each submitted call at once on the calling thread.

    The SDK sends every monitor call through ``loop.run_in_executor``; for the in-process
    recording monitor the thread hop only adds scheduling, lock traffic and a nested event
    loop per worker thread, and makes registration order follow thread timing. (asyncio
    accepts only ThreadPoolExecutor subclasses as the default executor.)
    """

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as e:  # handed to the awaiting task, as from a worker thread
            future.set_exception(e)
        return future


def without_aliases(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
    """Plan-only stack transformation: drop ``opts.aliases`` before the SDK turns each into a URN.

    azure-native classes declare 6-60 aliases each (older API versions of the type), and
    ``Resource.__init__`` collapses every one into a URN ``Output`` up front. Aliases only let an
    engine with state match a renamed or retyped resource; the mock engine has no state, ignores
    the alias specs it is sent, and the plan records none. Never register this in a real program.
    """
    if not args.opts or not args.opts.aliases:
        return None
    opts = copy.copy(args.opts)
    opts.aliases = None
    return pulumi.ResourceTransformationResult(args.props, opts)


class _ListHandler(logging.Handler):
    def __init__(self, sink: list[tuple[str, str]]) -> None:
        super().__init__()
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        self.sink.append((record.levelname.lower(), record.getMessage()))


def _plain(value: Any) -> Any:
    """Strip SDK wrappers so captured inputs are JSON-able. A value unknown at registration
    becomes the engine's wire sentinel (``rpc.UNKNOWN``), as policies see it in a preview."""
    if isinstance(value, pulumi.output.Unknown):
        return rpc.UNKNOWN
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items() if not str(k).startswith("__")}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _current_loop() -> asyncio.AbstractEventLoop | None:
    """The thread's current event loop, to restore after the run (None if it has none)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            return asyncio.get_event_loop()
        except RuntimeError:
            return None


def run_program(
    program: Path,
    config: Mapping[str, Any],
    *,
    stack: str = "plan",
    project: str = "gpufleet",
    mocks: pulumi.runtime.Mocks | None = None,
    drop_aliases: bool = True,
    today: dt.date | None = None,
) -> ProgramRun:
    """Run ``program`` (a Pulumi ``__main__.py``) with ``config`` under recording mocks.

    ``config`` maps full keys (``gpufleet:fleet``) to values; objects are passed as
    JSON, as the Pulumi CLI does. Exceptions from the program propagate.
    ``drop_aliases=False`` keeps resource aliases (slower; the recorded graph is the same).
    ``today`` is the run's date for the program (:mod:`gpufleet.rundate`; the plan's ``--as-of``),
    default today in UTC.
    The run uses a fresh event loop of its own and pauses the cyclic garbage collector
    (``gpufleet.plan.gcpolicy``); both are restored afterwards.
    """
    run = ProgramRun(stack=stack)
    logger = logging.getLogger(f"gpufleet.plan.{stack}")
    logger.propagate = False
    logger.handlers = [_ListHandler(run.log)]
    logger.setLevel(logging.INFO)

    def _program() -> pulumi.Output[Any]:
        runpy.run_path(str(program), run_name="__main__")
        root = settings.get_root_resource()
        outputs = dict(getattr(root, "outputs", {}) or {})
        return pulumi.Output.from_input(outputs).apply(_store)

    def _store(values: Any) -> None:
        run.outputs = _plain(values)

    m = mocks or FleetMocks()
    previous = _current_loop()
    loop = asyncio.new_event_loop()
    executor = _InlineExecutor(max_workers=1)
    loop.set_default_executor(executor)
    asyncio.set_event_loop(loop)
    try:
        with gcpolicy.paused(), rundate.pinned(today):
            settings.ROOT.set(None)  # a fresh root stack per run
            pulumi.runtime.set_mocks(
                m, project=project, stack=stack, preview=True, logger=logger, monitor=RecordingMonitor(m, run)
            )
            set_all_config({k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()})
            if drop_aliases:
                pulumi.runtime.register_stack_transformation(without_aliases)
            pulumi.runtime.test(_program)()  # type: ignore[no-untyped-call]
    finally:
        asyncio.set_event_loop(previous)
        loop.close()
        executor.shutdown(wait=False)
    return run
