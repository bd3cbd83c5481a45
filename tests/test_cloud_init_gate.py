"""A machine without Debian's cloud-init: make test skips the cloud-init schema tests loudly,
and CI (.ci/run, GPUFLEET_REQUIRE_CLOUD_INIT=1) makes them mandatory."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

import helpers
from helpers import REQUIRE_CLOUD_INIT, ROOT, require_cloud_init


def _make_system_tools(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    # A PATH holding only a shell: `command -v cloud-init` fails as on a laptop without apt.
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    if not (bindir / "sh").exists():
        (bindir / "sh").symlink_to("/bin/sh")
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    return subprocess.run(
        [make, "-s", "-C", str(ROOT), "SHELL=/bin/sh", "system-tools"],
        env={"PATH": str(bindir), **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_make_warns_loudly_and_goes_on_without_cloud_init(tmp_path: Path) -> None:
    out = _make_system_tools(tmp_path)
    assert out.returncode == 0, out.stderr
    assert "WARNING: Debian's cloud-init ('cloud-init schema') is missing" in out.stdout
    assert "apt-get install --no-install-recommends cloud-init" in out.stdout


def test_make_fails_without_cloud_init_when_required(tmp_path: Path) -> None:
    out = _make_system_tools(tmp_path, **{REQUIRE_CLOUD_INIT: "1"})
    assert out.returncode != 0
    assert f"{REQUIRE_CLOUD_INIT}=1" in out.stdout


def test_missing_validator_is_a_loud_skip_or_a_ci_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(helpers, "CLOUD_INIT_SKIPS", [])  # keep this session's banner about real skips
    monkeypatch.delenv(REQUIRE_CLOUD_INIT, raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"the 'cloud-init' command is missing.*apt-get install"):
        require_cloud_init("the 'cloud-init' command")
    monkeypatch.setenv(REQUIRE_CLOUD_INIT, "1")
    with pytest.raises(pytest.fail.Exception, match="cloud-init"):
        require_cloud_init("the 'cloud-init' command")
    require_cloud_init(None)  # present: nothing happens


def test_ci_makes_them_mandatory_and_runs_the_readme_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    lines = [line.strip() for line in ci.splitlines() if line.strip() and not line.strip().startswith("#")]
    assert f"export {REQUIRE_CLOUD_INIT}=1" in lines
    assert lines.index(f"export {REQUIRE_CLOUD_INIT}=1") < lines.index("make test")
    assert "python3 -m venv .venv" in lines and lines.count("make test") == 1
    assert "make test" in (ROOT / "README.md").read_text()
    assert os.access(ROOT / ".ci" / "run", os.X_OK)
