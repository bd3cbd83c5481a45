"""Plan stacks at one checkout (the pull request's head or its base), one process per stack.

Each stack runs ``python -m gpufleet.cli plan --format json`` in the checkout, with the
checkout's own ``components/`` first on ``PYTHONPATH``: the base is planned with the base's
code, so a change to the library shows in the difference. A stack whose plan fails still
gets a JSON file, holding ``error`` and the exit code, so one invalid stack never hides the
others and the report always says what went wrong.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gpufleet.gitops.layout import stack_path

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _env(checkout: Path) -> dict[str, str]:
    env = dict(os.environ)
    components = checkout / "components"
    if components.is_dir():
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(components), env.get("PYTHONPATH", "")) if p)
    env.setdefault("COLUMNS", "160")
    return env


def _cli(checkout: Path, python: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [python, "-m", "gpufleet.cli", *args],
        cwd=checkout,
        env=_env(checkout),
        capture_output=True,
        text=True,
        check=False,
    )


def _clean(text: str) -> str:
    lines = [_ANSI.sub("", line).rstrip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line and not line.startswith("wrote ")).strip()


def plan_stack(
    checkout: Path, stack: str, out: Path, *, python: str = sys.executable, as_of: str | None = None, pins: bool = False
) -> dict[str, Any]:
    """Plan one stack of ``checkout`` into ``out`` (JSON) and return what was written."""
    out.unlink(missing_ok=True)
    args = ["plan", "--config", stack_path(stack), "--format", "json", "--out", str(out.resolve())]
    proc = _cli(checkout, python, *args, *(["--as-of", as_of] if as_of else []))
    if out.is_file():
        data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    else:
        message = _clean(proc.stderr) or _clean(proc.stdout) or f"gpufleet plan exited {proc.returncode}"
        data = {"stack": stack, "source": stack_path(stack), "error": message, "exitCode": proc.returncode or 2}
    if pins and "error" not in data:
        check = _cli(checkout, python, "resolve", "--config", stack_path(stack), "--check")
        data["pinned"] = check.returncode == 0
        if check.returncode != 0:
            data["pinDiff"] = _clean(check.stdout) or _clean(check.stderr)
    out.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return data


def plan_stacks(
    checkout: Path,
    stacks: Sequence[str],
    out_dir: Path,
    *,
    python: str = sys.executable,
    as_of: str | None = None,
    pins: bool = False,
) -> dict[str, dict[str, Any]]:
    """Plan every stack of ``stacks`` that exists in ``checkout``; ``out_dir/<stack>.json`` each."""
    out_dir.mkdir(parents=True, exist_ok=True)
    done: dict[str, dict[str, Any]] = {}
    for stack in stacks:
        if (checkout / stack_path(stack)).is_file():
            done[stack] = plan_stack(checkout, stack, out_dir / f"{stack}.json", python=python, as_of=as_of, pins=pins)
    return done
