"""Plan speed: gpufleet's mock-engine plan against two floors, each in a fresh process.

For fleets of 1, 10, 30, 50 and 100 groups (mixed across the three clouds) it starts three
kinds of fresh interpreter, all under the same garbage-collector setting as `gpufleet plan`
(gpufleet.plan.gcpolicy: paused, unless GPUFLEET_PLAN_GC=on):

- plan:   `gpufleet plan --config FILE --format json` (the CLI: validation, the mock run of
          __main__.py, cost, policies, JSON report). The mock run itself is timed separately.
- bare:   the same provider modules the plan loaded are imported (the SDKs load their
          modules lazily, so importing the packages alone would skip most of that cost), then
          the same number of plain `pulumi.CustomResource`s is registered with Pulumi's stock
          mock engine.
- replay: the graph the plan captured (types, names, parents, inputs as plain dicts) is
          registered with Pulumi's stock mock engine.

Times are CPU seconds of the process (user+sys, from rusage), because the machine is shared;
the wall-clock seconds are printed too. Per-resource figures and ratios compare the timed runs
(the mock run for the plan, the registration loop for the floors); "process" figures are the
whole interpreter, imports included. Each size runs the three kinds interleaved, `--repeat`
times, and keeps the minimum of each. Peak RSS is the process's own VmHWM.

Then it times `gpufleet plan --stack NAME` end to end for every stack template, and, for the
largest size and the multi-cloud template, the plan with Python's default collector
(GPUFLEET_PLAN_GC=on) to show what pausing it costs in memory.

Run: .venv/bin/python bench/plan_scale.py [--smoke] [--sizes 1,10,30,50,100] [--repeat 2]
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROGRAM = ROOT / "__main__.py"
PROVIDER_PACKAGES = ("pulumi_aws", "pulumi_azure_native", "pulumi_alicloud")

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


def fleet_config(n: int, clouds: tuple[str, ...] = ("aws", "azure", "alicloud")) -> dict[str, Any]:
    """``n`` groups cycling through ``clouds`` (each a copy of its GROUPS entry)."""
    templates = [g for g in GROUPS if g["cloud"] in clouds]
    groups = []
    for i in range(n):
        g = copy.deepcopy(templates[i % len(templates)])
        g.update(name=f"g{i}", capacity={"min": 0, "desired": 1, "max": 4}, network={"create": True})
        groups.append(g)
    fleet: dict[str, Any] = {"name": "bench", "tags": {"env": "dev", "owner": "bench"}, "groups": groups}
    if any(g["cloud"] == "alicloud" for g in groups):  # a capped Alibaba spot group names its billing site
        fleet["alicloud"] = {"billing": "china"}
    return {"gpufleet:fleet": fleet}


# --- children: each runs in a fresh interpreter and writes one JSON result ----------------------


def loaded_provider_modules() -> list[str]:
    """Provider modules this process has executed, not the lazy placeholders the SDKs register
    (a module's namespace gets ``__builtins__`` when its code runs; reading ``__dict__`` through
    ``object`` does not trigger a lazy load)."""
    return sorted(
        name
        for name, m in list(sys.modules.items())
        if name.split(".")[0] in PROVIDER_PACKAGES and "__builtins__" in object.__getattribute__(m, "__dict__")
    )


def load_modules(names: list[str]) -> None:
    """Import and execute ``names`` parents first (the SDKs register subpackages lazily, and an
    access to an attribute it lacks is what runs a lazy module; `__file__` would not)."""
    import importlib

    for name in sorted(names):
        getattr(importlib.import_module(name), "_gpufleet_bench_force_load", None)


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _peak_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _bare_mocks() -> Any:
    import pulumi

    class Bare(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
            return f"{args.name}-id", dict(args.inputs)

        def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
            return {}, None

    return Bare()


def child_plan(stack_file: str, graph_file: str, preload_file: str) -> dict[str, Any]:
    """`gpufleet plan` as the CLI runs it; the mock run is timed by wrapping run_program.

    Once an earlier plan of a fleet over the same clouds has listed the provider modules it
    loaded, it imports them first (as the bare floor does), so the timed mock run holds no lazy
    module imports; the process figures count them either way."""
    preloaded = Path(preload_file).exists()
    if preloaded:
        load_modules(json.loads(Path(preload_file).read_text())["modules"])
    import gpufleet.cli
    import gpufleet.plan.run as plan_run

    timed: dict[str, Any] = {}
    real_run_program = plan_run.run_program

    def run_program(*args: Any, **kwargs: Any) -> Any:
        c0, w0 = _cpu(), time.perf_counter()
        run = real_run_program(*args, **kwargs)
        timed.update(run_cpu=_cpu() - c0, run_wall=time.perf_counter() - w0, count=len(run.resources))
        graph = [
            {"urn": r.urn, "type": r.type, "name": r.name, "custom": r.custom, "parent": r.parent,
             "inputs": r.inputs}
            for r in run.resources
        ]  # fmt: skip
        Path(graph_file).write_text(json.dumps({"resources": graph, "modules": loaded_provider_modules()}))
        return run

    timed["preloaded"] = preloaded
    plan_run.run_program = run_program  # type: ignore[assignment]
    sys.argv = ["gpufleet", "plan", "--config", stack_file, "--format", "json", "--out", os.devnull]
    try:
        gpufleet.cli.run()
    except SystemExit as e:
        timed["exit"] = e.code
    return timed


def child_bare(graph_file: str) -> dict[str, Any]:
    """Load the plan's provider modules, then register as many plain resources."""
    import pulumi
    from pulumi.runtime import settings

    data = json.loads(Path(graph_file).read_text())
    load_modules(data["modules"])
    count = len(data["resources"])
    settings.ROOT.set(None)
    pulumi.runtime.set_mocks(_bare_mocks(), project="bench", stack="bare", preview=True)

    def program() -> None:
        for i in range(count):
            pulumi.CustomResource("bench:index:Plain", f"r{i}", {"index": i, "tags": {"env": "dev"}})

    c0, w0 = _cpu(), time.perf_counter()
    pulumi.runtime.test(program)()  # type: ignore[no-untyped-call]
    return {
        "run_cpu": _cpu() - c0,
        "run_wall": time.perf_counter() - w0,
        "count": count,
        "modules": len(data["modules"]),
    }


def child_replay(graph_file: str) -> dict[str, Any]:
    """Register the captured graph (same types, names, parents and inputs, as plain dicts)."""
    import pulumi
    from pulumi.runtime import settings

    data = json.loads(Path(graph_file).read_text())
    settings.ROOT.set(None)
    pulumi.runtime.set_mocks(_bare_mocks(), project="bench", stack="replay", preview=True)

    def program() -> None:
        made: dict[str, pulumi.Resource] = {}
        for r in data["resources"]:  # registration order: parents come first
            opts = pulumi.ResourceOptions(parent=made[r["parent"]]) if r["parent"] in made else None
            if r["custom"] and not r["type"].startswith("pulumi:providers:"):
                made[r["urn"]] = pulumi.CustomResource(r["type"], r["name"], dict(r["inputs"]), opts)
            else:
                made[r["urn"]] = pulumi.ComponentResource(r["type"], r["name"], None, opts)

    c0, w0 = _cpu(), time.perf_counter()
    pulumi.runtime.test(program)()  # type: ignore[no-untyped-call]
    return {"run_cpu": _cpu() - c0, "run_wall": time.perf_counter() - w0, "count": len(data["resources"])}


def child_main(kind: str, args: list[str], result_file: str) -> None:
    from gpufleet.plan import gcpolicy

    gcpolicy.pause_for_process()  # the same collector setting as the CLI, before any import
    fn = {"plan": child_plan, "bare": child_bare, "replay": child_replay}[kind]
    result = fn(*args)
    result.update(proc_cpu=_cpu(), peak_mib=_peak_mib())
    Path(result_file).write_text(json.dumps(result))


# --- parent ----------------------------------------------------------------------------------


def spawn(kind: str, args: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run one child; adds its wall time (process start to exit)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        result_file = fh.name
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--result", result_file, *args]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{kind} child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(Path(result_file).read_text())
    os.unlink(result_file)
    result["proc_wall"] = wall
    return result


def best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The minimum of each figure over repeated runs (noise only ever adds time)."""
    return {k: min(r[k] for r in runs) if isinstance(runs[0][k], float) else max(r[k] for r in runs) for k in runs[0]}


def write_stack(tmp: Path, name: str, config: dict[str, Any]) -> Path:
    path = tmp / f"Pulumi.{name}.yaml"
    path.write_text(json.dumps({"config": config}))  # JSON is YAML
    return path


def end_to_end(stack: str, env: dict[str, str] | None = None) -> tuple[float, float, float, int]:
    """Wall seconds, CPU seconds, peak RSS (MiB) and exit code of `gpufleet plan --stack` in a
    fresh process. CPU is the child's rusage; the peak is the child's own VmHWM (a forked child's
    ru_maxrss would carry this benchmark's peak across exec)."""
    code = (
        "import atexit, sys\n"
        "def _peak():\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith('VmHWM:'):\n"
        "            sys.stderr.write('gpufleet-bench-peak-kib ' + line.split()[1] + '\\n')\n"
        "atexit.register(_peak)\n"
        "from gpufleet.cli import run\n"
        "sys.argv = ['gpufleet', *sys.argv[1:]]\n"
        "run()\n"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code, "plan", "--stack", stack, "--format", "json", "--out", os.devnull],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak = next((int(ln.split()[1]) for ln in proc.stderr.splitlines() if ln.startswith("gpufleet-bench-peak")), 0)
    return wall, cpu, peak / 1024, proc.returncode


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {cpu}, "
        f"Python {platform.python_version()}{load}"
    )


def measure_size(tmp: Path, n: int, repeat: int) -> dict[str, dict[str, Any]]:
    config = fleet_config(n)
    stack = write_stack(tmp, f"bench-{n}", config)
    graph = tmp / f"graph-{n}.json"
    clouds = sorted({g["cloud"] for g in config["gpufleet:fleet"]["groups"]})
    preload = tmp / f"modules-{'-'.join(clouds)}.json"
    runs: dict[str, list[dict[str, Any]]] = {"plan": [], "bare": [], "replay": []}
    for _ in range(repeat):  # interleaved, so load changes hit the three kinds alike
        runs["plan"].append(spawn("plan", [str(stack), str(graph), str(preload)]))
        if not preload.exists():
            preload.write_text(json.dumps({"modules": json.loads(graph.read_text())["modules"]}))
        runs["bare"].append(spawn("bare", [str(graph)]))
        runs["replay"].append(spawn("replay", [str(graph)]))
    return {k: best(v) for k, v in runs.items()}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description="gpufleet plan speed vs the Pulumi mock floors (fresh processes)")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes and one template (CI check that it runs)")
    ap.add_argument("--sizes", default="1,10,30,50,100", help="comma-separated group counts")
    ap.add_argument("--repeat", type=int, default=2, help="runs of each kind per size; the minimum is kept")
    ap.add_argument("--child", choices=["plan", "bare", "replay"], help=argparse.SUPPRESS)
    ap.add_argument("--result", help=argparse.SUPPRESS)
    args, rest = ap.parse_known_args(argv)
    if args.child:
        child_main(args.child, rest, args.result)
        return 0
    sizes = [1, 3] if args.smoke else [int(s) for s in args.sizes.split(",")]
    repeat = 1 if args.smoke else args.repeat
    gc_setting = "Python default" if os.environ.get("GPUFLEET_PLAN_GC", "").lower() == "on" else "paused"
    print(f"date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"machine: {machine()}")
    print(f"collector: {gc_setting} in every process; CPU = user+sys of the process; min of {repeat} interleaved runs")
    print()
    print("Mock run per resource (CPU ms/res; ratio = plan / floor)")
    head = ("groups", "res", "plan", "bare", "ratio", "replay", "ratio", "plan wall", "bare wall", "replay wall")
    print("{:>6} {:>5} {:>6} {:>6} {:>6} {:>6} {:>6} {:>9} {:>9} {:>11}".format(*head))
    results: dict[int, dict[str, dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="gpufleet-bench-") as tmpdir:
        tmp = Path(tmpdir)
        for n in sizes:
            r = measure_size(tmp, n, repeat)
            results[n] = r
            count = r["plan"]["count"]
            p, b, rp = (r[k]["run_cpu"] / count * 1e3 for k in ("plan", "bare", "replay"))
            pw, bw, rw = (r[k]["run_wall"] / count * 1e3 for k in ("plan", "bare", "replay"))
            mark = "" if r["plan"]["preloaded"] else "  (plan run includes lazy module imports)"
            print(f"{n:>6} {count:>5} {p:>6.2f} {b:>6.2f} {p / b:>5.2f}x {rp:>6.2f} {p / rp:>5.2f}x "
                  f"{pw:>9.2f} {bw:>9.2f} {rw:>11.2f}{mark}")  # fmt: skip
        print()
        print("Whole process, imports included (seconds; ratio = plan / bare)")
        head2 = ("groups", "plan CPU", "bare CPU", "ratio", "plan wall", "bare wall", "ratio", "plan RSS", "bare RSS")
        print("{:>6} {:>8} {:>8} {:>6} {:>9} {:>9} {:>6} {:>8} {:>8}".format(*head2))
        for n, r in results.items():
            p, b = r["plan"], r["bare"]
            print(f"{n:>6} {p['proc_cpu']:>8.2f} {b['proc_cpu']:>8.2f} {p['proc_cpu'] / b['proc_cpu']:>5.2f}x "
                  f"{p['proc_wall']:>9.2f} {b['proc_wall']:>9.2f} {p['proc_wall'] / b['proc_wall']:>5.2f}x "
                  f"{p['peak_mib']:>7.0f}M {b['peak_mib']:>7.0f}M")  # fmt: skip
        clean = [r for r in results.values() if r["plan"]["preloaded"]] or list(results.values())
        worst_replay = max(r["plan"]["run_cpu"] / r["replay"]["run_cpu"] for r in clean)
        print(
            f"\nper-resource overhead vs replay floor: worst {worst_replay:.2f}x (target <= 2x; "
            "rows whose plan run includes lazy module imports left out)"
        )
        if 30 in results:
            r30 = results[30]
            p30, b30 = r30["plan"], r30["bare"]
            print(f"30 groups, plan process vs bare-floor process: {p30['proc_wall'] / b30['proc_wall']:.2f}x wall, "
                  f"{p30['proc_cpu'] / b30['proc_cpu']:.2f}x CPU (target <= 1.5x)")  # fmt: skip
        big = max(results)
        rb = results[big]["plan"]
        print(f"{big} groups: plan process {rb['proc_wall']:.2f} s wall, {rb['proc_cpu']:.2f} s CPU, "
              f"peak RSS {rb['peak_mib']:.0f} MiB (target < 8 s, < 600 MiB)")  # fmt: skip

        stacks = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))
        if args.smoke:
            stacks = stacks[:1]
        title = "template (gpufleet plan, fresh process)"
        print(f"\n{title:<40} {'wall s':>7} {'CPU s':>6} {'peak RSS MiB':>12} {'exit':>4}")
        slowest = 0.0
        for s in stacks:
            runs = [end_to_end(s) for _ in range(repeat)]
            wall, cpu, rss, code = min(x[0] for x in runs), min(x[1] for x in runs), runs[0][2], runs[0][3]
            slowest = max(slowest, wall)
            print(f"{s:<40} {wall:>7.2f} {cpu:>6.2f} {rss:>12.0f} {code:>4}")
        print(f"slowest template: {slowest:.2f} s wall (target < 2 s)")

        print("\nCollector paused (default) vs Python's default collector (GPUFLEET_PLAN_GC=on), plan process")
        print(f"{'case':<28} {'paused CPU s':>12} {'on CPU s':>9} {'paused RSS':>10} {'on RSS':>8}")
        gc_on = {"GPUFLEET_PLAN_GC": "on"}
        stack = tmp / f"Pulumi.bench-{big}.yaml"
        on = spawn("plan", [str(stack), str(tmp / "graph-gc.json"), str(tmp / "no-preload")], env=gc_on)
        print(f"{f'{big} groups':<28} {rb['proc_cpu']:>12.2f} {on['proc_cpu']:>9.2f} "
              f"{rb['peak_mib']:>9.0f}M {on['peak_mib']:>7.0f}M")  # fmt: skip
        t = "multicloud-burst" if not args.smoke else stacks[0]
        off_t, on_t = end_to_end(t), end_to_end(t, env=gc_on)
        print(f"{t:<28} {off_t[1]:>12.2f} {on_t[1]:>9.2f} {off_t[2]:>9.0f}M {on_t[2]:>7.0f}M")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
