"""bench/policy_eval.py runs (in its small --smoke mode) and prints its table."""

from __future__ import annotations

import re
import subprocess
import sys

from helpers import ROOT


def test_policy_benchmark_smoke() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "policy_eval.py"), "--smoke"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "resources/s" in out and re.search(r"^\s+100\s+\d+\s+\d+\.\d{3}\s+[\d,]+$", out, re.M), out
    assert re.search(r"^\s+500\s", out, re.M)
    # One timing line per policy of the pack.
    assert len(re.findall(r"^  [a-z0-9-]+\s+\d+\.\d{3} s$", out, re.M)) == 12, out
