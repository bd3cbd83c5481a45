"""The recording mock engine: captures parents, providers, inputs and unknowns."""

from __future__ import annotations

import asyncio
import gc
import json
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml
from pulumi.runtime import rpc
from pulumi.runtime.sync_await import _sync_await

from gpufleet.plan import engine
from gpufleet.plan.engine import ProgramRun, run_program
from gpufleet.plan.mocks import fake_id
from helpers import ROOT, STACKS

PROGRAM = """
import pulumi

class Comp(pulumi.ComponentResource):
    def __init__(self, name, opts=None):
        super().__init__("test:index:Comp", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        a = pulumi.CustomResource("test:index:A", f"{name}-a", {"size": 2}, opts=child)
        keep = pulumi.ResourceOptions(parent=self, ignore_changes=["size"])
        pulumi.CustomResource("test:index:B", f"{name}-b", {"ref": a.id, "size": 1}, opts=keep)
        self.register_outputs({"aId": a.id})

Comp("c")
pulumi.export("answer", 42)
"""


def test_captures_the_graph(tmp_path: Path) -> None:
    prog = tmp_path / "__main__.py"
    prog.write_text(PROGRAM)
    run = run_program(prog, {}, stack="t")
    comp = run.one("test:index:Comp")
    a, b = run.one("test:index:A"), run.one("test:index:B")
    assert not comp.custom and a.custom and a.parent == comp.urn == b.parent
    assert a.inputs["size"] == 2
    assert b.inputs["ref"] == fake_id("test:index:A", "c-a")  # outputs flow into inputs
    assert b.ignore_changes == ("size",)
    assert run.component_outputs[comp.urn] == {"aId": b.inputs["ref"]}
    assert run.outputs == {"answer": 42}


def test_unknown_values_are_the_engine_sentinel(tmp_path: Path) -> None:
    prog = tmp_path / "__main__.py"
    prog.write_text(
        "import pulumi\n"
        "a = pulumi.CustomResource('test:index:A', 'a', {'x': 1, 'later': None})\n"
        "later = pulumi.Output(set(), pulumi.Output.from_input(1).future(), pulumi.Output.from_input(False).future())\n"
        "pulumi.CustomResource('test:index:B', 'b', {'dep': later})\n"
    )
    run = run_program(prog, {}, stack="u")
    assert run.one("test:index:B").inputs["dep"] == rpc.UNKNOWN


def _graph(run: ProgramRun) -> list[tuple[Any, ...]]:
    """Everything a run records, in URN order (dependency lists are sets on the wire)."""
    return [
        (r.urn, r.type, r.name, r.custom, r.parent, r.provider, json.dumps(r.inputs, sort_keys=True),
         tuple(sorted(r.dependencies)), r.ignore_changes, r.protect)
        for r in sorted(run.resources, key=lambda r: r.urn)
    ]  # fmt: skip


def _multicloud() -> dict[str, Any]:
    doc = yaml.safe_load((STACKS / "Pulumi.multicloud-burst.yaml").read_text())
    config: dict[str, Any] = doc["config"]
    return config


def test_dropping_aliases_leaves_the_recorded_graph_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    dropped: list[str] = []
    drop = engine.without_aliases

    def counting(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if args.opts and args.opts.aliases:
            dropped.append(args.type_)
        return drop(args)

    with_aliases = run_program(ROOT / "__main__.py", _multicloud(), stack="aliases-kept", drop_aliases=False)
    monkeypatch.setattr(engine, "without_aliases", counting)
    without = run_program(ROOT / "__main__.py", _multicloud(), stack="aliases-kept", drop_aliases=True)
    # The azure-native classes declare aliases of their older API versions; they were dropped...
    assert any(t.startswith("azure-native:compute:VirtualMachineScaleSet") for t in dropped), dropped
    # ...and the plan saw no difference.
    assert len(with_aliases.resources) > 40
    assert _graph(without) == _graph(with_aliases)
    assert without.outputs == with_aliases.outputs
    assert without.component_outputs == with_aliases.component_outputs


def test_monitor_response_equals_the_sdk_serialisation(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one-pass monitor must answer what MockMonitor would: the SDK's own serializer of the
    mock state is the reference, over every resource of the three clouds."""
    checked: list[str] = []

    class Checking(engine.RecordingMonitor):
        def RegisterResource(self, request: Any) -> Any:
            response = super().RegisterResource(request)
            if request.type != engine.STACK_TYPE:
                state = self.resources[response.urn].state
                expected = _sync_await(rpc.serialize_properties(state, {}))
                assert response.object == expected, request.type
                checked.append(request.type)
            return response

    monkeypatch.setattr(engine, "RecordingMonitor", Checking)
    run_program(ROOT / "__main__.py", _multicloud(), stack="wire")
    assert {t.split(":", 1)[0] for t in checked} >= {"aws", "azure-native", "alicloud"}


def test_a_run_restores_the_collector_and_the_event_loop(tmp_path: Path) -> None:
    prog = tmp_path / "__main__.py"
    prog.write_text(PROGRAM)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        assert gc.isenabled()
        run_program(prog, {}, stack="restore")
        assert gc.isenabled()
        assert asyncio.get_event_loop() is loop and not loop.is_closed()
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def test_gc_is_paused_during_the_run_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prog = tmp_path / "__main__.py"
    prog.write_text("import gc, pulumi\npulumi.export('gc', gc.isenabled())\n")
    assert run_program(prog, {}, stack="gc-off").outputs == {"gc": False}
    monkeypatch.setenv("GPUFLEET_PLAN_GC", "on")
    assert run_program(prog, {}, stack="gc-on").outputs == {"gc": True}
