"""Plan speed: gpufleet's mock-engine plan vs the bare Pulumi mock floor, and end-to-end templates.

1. For fleets of 1, 10, 50 and 100 groups (mixed across the three clouds) it runs the real
   program (__main__.py) under gpufleet's recording mocks and reports total time, resources
   and time per resource. In the same process it registers the same number of plain
   resources with Pulumi's bare mock engine (pulumi.runtime.set_mocks, no recording): the
   floor. It prints the per-resource ratio of the two (target <= 1.5x).
2. It times `gpufleet plan --stack NAME --format json` end to end (a fresh process: imports
   included) for every stack template (target < 5 s) and reports each run's peak RSS.

Run: .venv/bin/python bench/plan_scale.py [--smoke] [--sizes 1,10,50,100]
"""

from __future__ import annotations

import argparse
import copy
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pulumi

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = ROOT / "__main__.py"

# The public key of the Azure stack templates (its private half was never kept).
SSH_KEY = next(
    line.strip().removeprefix("- ")
    for line in (ROOT / "stacks" / "Pulumi.azure-train-ndh100-ib.yaml").read_text().splitlines()
    if "ssh-ed25519" in line
)

GROUPS: list[dict[str, Any]] = [
    {"cloud": "aws", "region": "us-east-1", "zones": ["us-east-1a"],
     "gpu": {"model": "H100-80GB", "count": 8, "instanceTypes": ["p5.48xlarge"]}, "rdma": True,
     "market": {"type": "mixed", "onDemandBase": 1, "maxPricePercent": 80},
     "autoscaling": {"gpuUtilizationTarget": 70, "schedules": [{"cron": "0 20 * * 1-5", "desired": 2}]}},
    {"cloud": "azure", "region": "eastus", "access": {"sshPublicKeys": [SSH_KEY]},
     "gpu": {"model": "A10-24GB", "count": 1, "instanceTypes": ["Standard_NV36ads_A10_v5"]},
     "market": {"type": "spot", "maxPricePercent": 70}, "autoscaling": {"gpuUtilizationTarget": 60}},
    {"cloud": "alicloud", "region": "cn-beijing", "zones": ["cn-beijing-h"],
     "gpu": {"model": "A10-24GB", "count": 1, "instanceTypes": ["ecs.gn7i-c8g1.2xlarge"]},
     "market": {"type": "spot", "maxPricePercent": 60}, "autoscaling": {"gpuUtilizationTarget": 60}},
]  # fmt: skip


def fleet_config(n: int) -> dict[str, Any]:
    groups = []
    for i in range(n):
        g = copy.deepcopy(GROUPS[i % len(GROUPS)])
        g.update(name=f"g{i}", capacity={"min": 0, "desired": 1, "max": 4}, network={"create": True})
        groups.append(g)
    return {"gpufleet:fleet": {"name": "bench", "tags": {"env": "dev", "owner": "bench"}, "groups": groups}}


def time_gpufleet(n: int) -> tuple[float, list[Any]]:
    from gpufleet.plan.engine import run_program

    t0 = time.perf_counter()
    run = run_program(PROGRAM, fleet_config(n), stack=f"bench-{n}")
    return time.perf_counter() - t0, run.resources


class _Bare(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


def time_floor(count: int) -> float:
    """Register ``count`` plain custom resources with the bare mock engine."""
    from pulumi.runtime import settings

    settings.ROOT.set(None)
    pulumi.runtime.set_mocks(_Bare(), project="bench", stack=f"floor-{count}", preview=True)

    def program() -> None:
        for i in range(count):
            pulumi.CustomResource("bench:index:Plain", f"r{i}", {"index": i, "tags": {"env": "dev"}})

    t0 = time.perf_counter()
    pulumi.runtime.test(program)()
    return time.perf_counter() - t0


def time_replay(resources: list[Any]) -> float:
    """Register the same graph (types, names, inputs as plain dicts) with the bare mock engine:
    what Pulumi itself costs for these inputs, without gpufleet's code or the typed SDK classes."""
    from pulumi.runtime import settings

    settings.ROOT.set(None)
    pulumi.runtime.set_mocks(_Bare(), project="bench", stack=f"replay-{len(resources)}", preview=True)

    def program() -> None:
        for r in resources:
            if r.custom and not r.type.startswith("pulumi:providers:"):
                pulumi.CustomResource(r.type, r.name, dict(r.inputs))
            else:
                pulumi.ComponentResource(r.type, r.name, None)

    t0 = time.perf_counter()
    pulumi.runtime.test(program)()
    return time.perf_counter() - t0


# Runs the CLI in a fresh interpreter and reports that process's own peak RSS (VmHWM). The
# child's rusage from wait4 would not do: Linux carries the forking parent's peak (this
# benchmark, with every provider SDK loaded) into the child's ru_maxrss across exec.
_CHILD = """
import atexit, sys
def _peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            sys.stderr.write("gpufleet-bench-peak-kib " + line.split()[1] + "\\n")
atexit.register(_peak)
from gpufleet.cli import run
sys.argv = ["gpufleet", *sys.argv[1:]]
run()
"""


def end_to_end(stack: str) -> tuple[float, float, int]:
    """Seconds, peak RSS (MiB) and exit code of `gpufleet plan` in a fresh process."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, "plan", "--stack", stack, "--format", "json", "--out", os.devnull],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - t0
    peak = next((int(ln.split()[1]) for ln in proc.stderr.splitlines() if ln.startswith("gpufleet-bench-peak")), 0)
    return elapsed, peak / 1024, proc.returncode


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"
    )


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description="gpufleet plan speed vs the Pulumi mock floor")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes and one template (CI check that it runs)")
    ap.add_argument("--sizes", default="1,10,50,100", help="comma-separated group counts")
    args = ap.parse_args(argv)
    sizes = [1, 3] if args.smoke else [int(s) for s in args.sizes.split(",")]
    print(f"machine: {machine()}")
    head = ("groups", "resources", "gpufleet s", "ms/res", "floor ms/res", "ratio", "replay ms/res", "ratio")
    print("{:>6} {:>9} {:>10} {:>7} {:>12} {:>6} {:>13} {:>6}".format(*head))
    time_gpufleet(len(GROUPS))  # warm up: the provider SDKs import their modules lazily on first use
    worst = 0.0
    for n in sizes:
        t, resources = time_gpufleet(n)
        count = len(resources)
        floor = time_floor(count)
        replay = time_replay(resources)
        ratio, replay_ratio = t / floor, t / replay
        worst = max(worst, ratio)
        per, floor_per, replay_per = (x / count * 1e3 for x in (t, floor, replay))
        print(
            f"{n:>6} {count:>9} {t:>10.3f} {per:>7.2f} {floor_per:>12.2f} {ratio:>6.2f} "
            f"{replay_per:>13.2f} {replay_ratio:>6.2f}"
        )
    print(f"per-resource overhead vs floor: worst {worst:.2f}x (target <= 1.5x)")
    stacks = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))
    if args.smoke:
        stacks = stacks[:1]
    print(f"\n{'template (gpufleet plan, fresh process)':<40} {'seconds':>8} {'peak RSS MiB':>12} {'exit':>4}")
    slowest = 0.0
    for s in stacks:
        secs, rss, code = end_to_end(s)
        slowest = max(slowest, secs)
        print(f"{s:<40} {secs:>8.2f} {rss:>12.0f} {code:>4}")
    print(f"slowest template: {slowest:.2f} s (target < 5 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
