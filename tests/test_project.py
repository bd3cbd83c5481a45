"""The Pulumi project file and the YAML the project ships."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from helpers import ROOT, STACKS


def test_pulumi_yaml_declares_the_project() -> None:
    doc = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert doc["name"] == "gpufleet"
    assert doc["runtime"]["name"] == "python" and doc["runtime"]["options"]["virtualenv"] == ".venv"
    assert doc["stackConfigDir"] == "stacks"
    fleet = doc["config"]["gpufleet:fleet"]
    assert fleet["type"] == "object" and fleet["description"].strip()
    assert doc["template"]["config"]["gpufleet:fleet"]["description"].strip()


def test_shipped_yaml_passes_yamllint() -> None:
    files = [ROOT / "Pulumi.yaml", *STACKS.glob("Pulumi.*.yaml"), *(ROOT / ".github" / "workflows").glob("*.yml")]
    exe = Path(sys.executable).parent / "yamllint"
    config = "{extends: relaxed, rules: {line-length: disable}}"
    proc = subprocess.run([str(exe), "-f", "parsable", "-d", config, *map(str, files)], capture_output=True, text=True)
    errors = [line for line in proc.stdout.splitlines() if "[error]" in line]
    assert errors == []
