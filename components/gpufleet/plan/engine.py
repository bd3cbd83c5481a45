"""Run the real Pulumi program under Pulumi's mock engine and record every resource.

The recording monitor wraps ``pulumi.runtime.mocks.MockMonitor`` (SDK notes 5.2): it
keeps each registration's type, name, parent, provider and camelCase inputs, and the
outputs components register. Nothing leaves the process: no CLI, no cloud.
"""

from __future__ import annotations

import json
import logging
import runpy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.config import set_all_config

from gpufleet.graph import CapturedResource
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
    """A MockMonitor that records every registration and registered output."""

    def __init__(self, mocks: pulumi.runtime.Mocks, run: ProgramRun) -> None:
        super().__init__(mocks)
        self.run = run

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type != STACK_TYPE:
            self.run.resources.append(
                CapturedResource(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    custom=bool(request.custom),
                    parent=request.parent,
                    provider=request.provider,
                    inputs=_plain(rpc.deserialize_properties(request.object)),
                    dependencies=tuple(request.dependencies),
                    ignore_changes=tuple(request.ignoreChanges),
                    protect=bool(request.protect),
                )
            )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        outputs = _plain(rpc.deserialize_properties(request.outputs))
        if outputs:
            self.run.component_outputs[request.urn] = outputs
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]


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


def run_program(
    program: Path,
    config: Mapping[str, Any],
    *,
    stack: str = "plan",
    project: str = "gpufleet",
    mocks: pulumi.runtime.Mocks | None = None,
    on_resource: Callable[[int], None] | None = None,
) -> ProgramRun:
    """Run ``program`` (a Pulumi ``__main__.py``) with ``config`` under recording mocks.

    ``config`` maps full keys (``gpufleet:fleet``) to values; objects are passed as
    JSON, as the Pulumi CLI does. Exceptions from the program propagate.
    """
    run = ProgramRun(stack=stack)
    logger = logging.getLogger(f"gpufleet.plan.{stack}")
    logger.propagate = False
    logger.handlers = [_ListHandler(run.log)]
    logger.setLevel(logging.INFO)

    m = mocks or FleetMocks()
    settings.ROOT.set(None)  # a fresh root stack per run
    pulumi.runtime.set_mocks(
        m, project=project, stack=stack, preview=True, logger=logger, monitor=RecordingMonitor(m, run)
    )
    set_all_config({k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()})

    def _program() -> pulumi.Output[Any]:
        runpy.run_path(str(program), run_name="__main__")
        root = settings.get_root_resource()
        outputs = dict(getattr(root, "outputs", {}) or {})
        return pulumi.Output.from_input(outputs).apply(_store)

    def _store(values: Any) -> None:
        run.outputs = _plain(values)

    pulumi.runtime.test(_program)()  # type: ignore[no-untyped-call]
    return run
