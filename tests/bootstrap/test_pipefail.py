"""Pipelines that lie under ``set -o pipefail`` (issue 17 item 1).

``cmd | grep -q x`` stops reading at the first match; ``cmd`` is still writing, dies of
SIGPIPE (exit 141), and pipefail turns the whole pipeline into a failure although it
matched. With a big ``ldconfig -p`` this made a healthy node report "NCCL missing".
"""

from __future__ import annotations

import re
import subprocess
from importlib import resources
from pathlib import Path

import pytest

SCRIPTS = Path(str(resources.files("gpufleet.bootstrap").joinpath("scripts")))

# An early-exiting reader after a pipe: grep -q/--quiet/-m, head; and sed that quits (q).
EARLY_EXIT = re.compile(r"\|\s*(grep\s+(-\w*[qm]\w*|--quiet|--max-count)|head\b|sed\s+[^|]*\bq\b)")


def _shell_files() -> list[Path]:
    return sorted(p for p in SCRIPTS.iterdir() if p.read_text().startswith(("#!/usr/bin/env bash", "# shellcheck")))


def pipefail_offenders(text: str) -> list[str]:
    """Lines with an early-exiting reader whose failure is not explicitly ignored."""
    out = []
    for line in text.splitlines():
        code = line.split(" #", 1)[0]
        if code.lstrip().startswith("#"):
            continue
        if EARLY_EXIT.search(code) and not code.rstrip().rstrip(")").endswith("|| true"):
            out.append(line.strip())
    return out


def test_the_lint_catches_the_pattern_of_the_bug() -> None:
    # The exact line the review found in gpufleet-health, and its cousins.
    assert pipefail_offenders("  ldconfig -p | grep -q 'libnccl.so.2' || fail x")
    assert pipefail_offenders("if lsmod 2>/dev/null | grep -q '^nvidia '; then")
    assert pipefail_offenders("x=$(nvidia-smi | sed -n 's/a/b/p' | head -n 1)")
    assert not pipefail_offenders("v=$(nv-fabricmanager --version | grep -oE '[0-9.]+' | head -n 1 || true)")
    assert not pipefail_offenders("grep -rqs foo /etc/apt/sources.list")


@pytest.mark.parametrize("path", _shell_files(), ids=lambda p: p.name)
def test_no_early_exit_reader_in_scripts_that_run_under_pipefail(path: Path) -> None:
    # Every node script sets pipefail or is sourced by one that does (common.sh, steps-*.sh).
    assert pipefail_offenders(path.read_text()) == []


def test_the_stub_ldconfig_makes_the_old_pattern_fail_every_time(tmp_path: Path) -> None:
    # The stub writes more than a pipe buffer after the match, so SIGPIPE is certain: the
    # old check fails 20 times out of 20, the captured form passes 20 out of 20.
    from bootstrap.stubs import _ld_cache

    cache = tmp_path / "ldcache"
    text = _ld_cache()
    lines = text.splitlines(keepends=True)
    cache.write_text("".join(lines[:40]) + "\tlibnccl.so.2 (libc6,x86-64) => /x/libnccl.so.2\n" + "".join(lines[40:]))
    assert len("".join(lines[40:]).encode()) > 64 * 1024
    old = f"set -o pipefail; cat {cache} | grep -q 'libnccl.so.2'"
    new = f'set -o pipefail; libs=$(cat {cache}) || true; [[ $libs == *"libnccl.so.2 "* ]]'
    assert [subprocess.run(["bash", "-c", old]).returncode for _ in range(20)] == [141] * 20
    assert [subprocess.run(["bash", "-c", new]).returncode for _ in range(20)] == [0] * 20
