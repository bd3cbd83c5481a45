"""The plan benchmark still runs (smoke mode: tiny sizes, one template). Its figures are not
checked here: performance is reported by running bench/ by hand, never by timed tests."""

from __future__ import annotations

import subprocess
import sys

from helpers import ROOT


def test_plan_scale_smoke_runs_and_prints_its_figures() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "plan_scale.py"), "--smoke"],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    assert "per-resource overhead vs replay floor" in out
    assert "Whole process, imports included" in out and "bare CPU" in out
    assert "slowest template" in out and "peak RSS" in out
    assert "GPUFLEET_PLAN_GC=on" in out
