"""What each plan-time cut buys: the same fleet under variants of the mock run, in one process.

Variants are interleaved (A B C D, A B C D, ...) and each keeps its minimum CPU time
(time.process_time) over the rounds, so a change in machine load hits them alike. Every
variant records the same graph; the script checks that before printing.

- current:            gpufleet as shipped (collector paused, aliases dropped, one-pass inline monitor)
- collector on:       GPUFLEET_PLAN_GC=on (a full collection first, so no variant inherits garbage)
- aliases kept:       run_program(drop_aliases=False)
- SDK monitor:        the previous monitor: MockMonitor.RegisterResource (decodes the request,
                      re-encodes the state in a nested event loop) plus a second decode for the
                      capture, called on the loop's default thread pool
- before (all three): collector on + aliases kept + SDK monitor: the code before issue 20

Run: .venv/bin/python bench/plan_variants.py [--groups 30] [--rounds 3] [--clouds aws,azure,alicloud]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import gc
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from plan_scale import PROGRAM, fleet_config, machine

from gpufleet.plan import engine


class SdkPathMonitor(engine.RecordingMonitor):
    """The monitor before issue 20: the SDK's MockMonitor path, then a second decode."""

    def RegisterResource(self, request: Any) -> Any:
        response = engine.pulumi_mocks.MockMonitor.RegisterResource(self, request)  # type: ignore[no-untyped-call]
        if request.type != engine.STACK_TYPE:
            self.run.resources.append(
                engine.CapturedResource(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    custom=bool(request.custom),
                    parent=request.parent,
                    provider=request.provider,
                    inputs=engine._plain(engine.rpc.deserialize_properties(request.object)),
                    dependencies=tuple(request.dependencies),
                    ignore_changes=tuple(request.ignoreChanges),
                    protect=bool(request.protect),
                )
            )
        return response


@contextmanager
def sdk_monitor() -> Iterator[None]:
    saved = engine.RecordingMonitor, engine._InlineExecutor
    engine.RecordingMonitor = SdkPathMonitor  # type: ignore[misc]
    engine._InlineExecutor = concurrent.futures.ThreadPoolExecutor  # type: ignore[misc, assignment]
    try:
        yield
    finally:
        engine.RecordingMonitor, engine._InlineExecutor = saved  # type: ignore[misc]


@contextmanager
def collector_on() -> Iterator[None]:
    os.environ["GPUFLEET_PLAN_GC"] = "on"
    try:
        yield
    finally:
        del os.environ["GPUFLEET_PLAN_GC"]


@contextmanager
def nothing() -> Iterator[None]:
    yield


@contextmanager
def before() -> Iterator[None]:
    with collector_on(), sdk_monitor():
        yield


VARIANTS: dict[str, tuple[Callable[[], Any], bool]] = {
    # name: (context, drop_aliases)
    "current": (nothing, True),
    "collector on": (collector_on, True),
    "aliases kept": (nothing, False),
    "SDK monitor": (sdk_monitor, True),
    "before (all three)": (before, False),
}


def graph(run: engine.ProgramRun) -> str:
    rows = [
        (r.urn, r.type, r.name, r.parent, r.provider, r.inputs, sorted(r.dependencies), list(r.ignore_changes))
        for r in sorted(run.resources, key=lambda r: r.urn)
    ]
    return json.dumps(rows, sort_keys=True)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--groups", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--clouds", default="aws,azure,alicloud")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    args = ap.parse_args(argv)
    clouds = tuple(args.clouds.split(","))
    names = args.variants.split(",")
    config = fleet_config(args.groups, clouds)
    engine.run_program(PROGRAM, fleet_config(len(clouds), clouds), stack="warm")  # lazy SDK imports
    best: dict[str, float] = {}
    graphs: dict[str, str] = {}
    count = 0
    for _ in range(args.rounds):
        for name in names:
            ctx, drop = VARIANTS[name]
            gc.collect()
            with ctx():
                t0 = time.process_time()
                run = engine.run_program(PROGRAM, config, stack="variants", drop_aliases=drop)
                cpu = time.process_time() - t0
            best[name] = min(best.get(name, cpu), cpu)
            graphs.setdefault(name, graph(run))
            count = len(run.resources)
    same = len(set(graphs.values())) == 1
    print(f"machine: {machine()}")
    print(f"{args.groups} groups ({', '.join(clouds)}), {count} resources; CPU ms per resource, min of {args.rounds}")
    base = best[names[0]]
    for name in names:
        print(f"  {name:<20} {best[name] / count * 1e3:7.2f} ms/res  {best[name] / base:5.2f}x of {names[0]}")
    print(f"same graph in every variant: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
