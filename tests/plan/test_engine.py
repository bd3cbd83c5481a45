"""The recording mock engine: captures parents, providers, inputs and unknowns."""

from __future__ import annotations

from pathlib import Path

from pulumi.runtime import rpc

from gpufleet.plan.engine import run_program
from gpufleet.plan.mocks import fake_id

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
