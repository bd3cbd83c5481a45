"""`make catalog` runs from a clone: its inputs are committed and rebuild the shipped CSVs exactly."""

from __future__ import annotations

import filecmp
import subprocess
import sys
from pathlib import Path

from helpers import ROOT

SOURCES = ROOT / "scripts" / "catalog-sources"
DATA = ROOT / "components" / "gpufleet" / "catalog" / "data"


def test_inputs_and_their_source_notes_are_in_the_repository() -> None:
    for name in ("gpu_instances.csv", "gpu_prices.csv", "regions.csv", "SOURCES.md"):
        assert (SOURCES / name).is_file(), name
    assert "source" in (SOURCES / "gpu_instances.csv").read_text().splitlines()[0]


def test_build_from_the_committed_inputs_reproduces_the_shipped_catalog(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_catalog.py"), str(SOURCES), str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    for name in ("gpu_instances.csv", "gpu_prices.csv", "regions.csv"):
        assert filecmp.cmp(tmp_path / name, DATA / name, shallow=False), f"{name}: rerun `make catalog` and commit"


def test_the_build_reads_nothing_outside_the_repository() -> None:
    text = (ROOT / "scripts" / "build_catalog.py").read_text()
    assert "shared" not in text and "ROOT.parent" not in text
