"""The SDK's eager alias cost, in-process: a minimal reproduction for upstream, and the Azure classes.

Part 1 needs only `pulumi`: N custom resources, each a child of a component and carrying A
aliases of the kind azure-native declares (`Alias(type_=<older API version token>)`), registered
with Pulumi's stock mock engine, whose monitor supports alias specs like every current engine
(so `prepare_aliases` sends the specs and never reads `Resource._aliases`). It prints CPU ms per
resource for A = 0, 6, 30, 60, and a variant that skips only the eager collapse in
`Resource.__init__` (`collapse_alias_to_urn` replaced for the run: an experiment that simulates a
lazy `_aliases`, never used by gpufleet) to show how much of the cost buys nothing.

Part 2 counts the aliases each azure-native class used by gpufleet declares (the fleet's own
classes, from a recording stack transformation).

Run: .venv/bin/python bench/alias_cost.py [--resources 300] [--rounds 3]
"""

from __future__ import annotations

import argparse
import gc
import importlib.metadata
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pulumi.resource
from pulumi.runtime import settings

sys.path.insert(0, str(Path(__file__).resolve().parent))

from plan_scale import PROGRAM, fleet_config, machine

from gpufleet.plan import engine


class Bare(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


def register(count: int, aliases: int) -> float:
    """CPU seconds to register ``count`` children with ``aliases`` aliases each (GC paused)."""
    settings.ROOT.set(None)
    pulumi.runtime.set_mocks(Bare(), project="repro", stack="dev", preview=True)
    versions = [pulumi.Alias(type_=f"azure-native:network/v2{i:03d}0101:VirtualNetwork") for i in range(aliases)]

    def program() -> None:
        parent = pulumi.ComponentResource("repro:index:Group", "group")
        for i in range(count):
            opts = pulumi.ResourceOptions(parent=parent, aliases=versions or None)
            pulumi.CustomResource("azure-native:network:VirtualNetwork", f"vnet{i}", {"i": i}, opts)

    gc.collect()
    gc.disable()
    try:
        t0 = time.process_time()
        pulumi.runtime.test(program)()  # type: ignore[no-untyped-call]
        return time.process_time() - t0
    finally:
        gc.enable()


def eager_collapse_skipped(fn: Callable[[], float]) -> float:
    """Run ``fn`` with the eager collapse in Resource.__init__ replaced by a no-op (experiment)."""
    real = pulumi.resource.collapse_alias_to_urn
    pulumi.resource.collapse_alias_to_urn = lambda *a, **k: None  # type: ignore[assignment]
    try:
        return fn()
    finally:
        pulumi.resource.collapse_alias_to_urn = real


def azure_alias_counts() -> Counter[str]:
    counts: Counter[str] = Counter()

    def record(args: pulumi.ResourceTransformationArgs) -> None:
        counts[args.type_] = len(args.opts.aliases or []) if args.opts else 0

    cfg = fleet_config(1, ("azure",))
    real = engine.without_aliases
    engine.without_aliases = lambda a: record(a)  # type: ignore[assignment,func-returns-value]
    try:
        engine.run_program(PROGRAM, cfg, stack="alias-count")
    finally:
        engine.without_aliases = real
    return counts


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resources", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    n = args.resources
    print(f"machine: {machine()}; pulumi {importlib.metadata.version('pulumi')}")
    print(f"{n} custom resources, each a child of one component; CPU ms per resource, min of {args.rounds}")
    cases = [0, 6, 30, 60]
    best: dict[str, float] = {}
    for _ in range(args.rounds):
        for a in cases:
            best[f"{a}"] = min(best.get(f"{a}", 1e9), register(n, a))
        best["60 skip"] = min(best.get("60 skip", 1e9), eager_collapse_skipped(lambda: register(n, 60)))
    for a in cases:
        print(f"  {a:>2} aliases: {best[str(a)] / n * 1e3:6.2f} ms/res")
    print(f"  60 aliases, eager collapse skipped (simulated lazy _aliases): {best['60 skip'] / n * 1e3:6.2f} ms/res")
    print("\naliases declared by the azure-native classes of one gpufleet Azure group:")
    for t, c in sorted(azure_alias_counts().items()):
        if t.startswith("azure-native:"):
            print(f"  {c:>3}  {t}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
