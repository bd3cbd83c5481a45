"""The policies/ directory: the pack entry point, its project file, requirements and env configs."""

from __future__ import annotations

import ast
import os
import selectors
import subprocess
import sys
import time

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from gpufleet import __version__
from gpufleet.policy import POLICIES, POLICY_NAMES, evaluate, load_config, resolve
from helpers import ROOT
from policy.graphs import BUILDERS

PACK = ROOT / "policies"
DOCS = ROOT / "docs" / "policies.md"


def test_main_only_builds_the_pack_from_gpufleet_policy() -> None:
    source = (PACK / "__main__.py").read_text()
    tree = ast.parse(source, filename="policies/__main__.py")  # compiles
    imports = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    assert imports == {"pulumi_policy", "gpufleet.policy"}
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "PolicyPack"]
    assert len(calls) == 1
    assert "build_pack_policies" in ast.unparse(calls[0])
    # Nothing but imports, the docstring and the PolicyPack call at top level.
    kinds = [type(n).__name__ for n in tree.body]
    assert kinds == ["Expr", "ImportFrom", "ImportFrom", "Expr"]


def test_the_pack_starts_serves_its_policies_and_does_not_block_the_suite() -> None:
    # PolicyPack prints its port and blocks forever: run it in a child, read the port with a
    # deadline, ask the analyzer what it holds over gRPC, then stop it. -u: the SDK writes the
    # port to a pipe without flushing.
    env = {**os.environ, "PYTHONPATH": str(ROOT / "components")}
    child = subprocess.Popen(
        [sys.executable, "-u", str(PACK / "__main__.py")],
        cwd=PACK,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        assert child.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(child.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 60
        line = b""
        while not line.endswith(b"\n") and time.monotonic() < deadline:
            if selector.select(timeout=1):
                chunk = child.stdout.readline()
                if not chunk:
                    break
                line += chunk
        assert line.strip().isdigit(), f"no port line; stderr: {child.stderr.read1(4000) if child.stderr else b''!r}"
        port = int(line)
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            info = analyzer_pb2_grpc.AnalyzerStub(channel).GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
        assert info.name == "gpufleet"
        assert [p.name for p in info.policies] == list(POLICY_NAMES)
        levels = {p.name: analyzer_pb2.EnforcementLevel.Name(p.enforcementLevel) for p in info.policies}
        assert levels["gpu-budget-cap"] == "MANDATORY" and levels["spot-price-cap"] == "ADVISORY"
        budget = next(p for p in info.policies if p.name == "gpu-budget-cap")
        assert "maxMonthlyUsd" in budget.configSchema.properties and list(budget.configSchema.required) == [
            "maxMonthlyUsd"
        ]
    finally:
        child.kill()
        child.wait(timeout=30)


def test_project_file_requirements_and_version() -> None:
    project = yaml.safe_load((PACK / "PulumiPolicy.yaml").read_text())
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["virtualenv"] == "venv"
    assert project["version"] == __version__
    requirements = [
        line.strip()
        for line in (PACK / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    # pip resolves ".." against its working directory, which is policies/ when the CLI installs.
    assert "-e .." in requirements and (PACK / ".." / "pyproject.toml").exists()
    assert any(r.startswith("pulumi-policy") for r in requirements)
    assert not (PACK / ".gitkeep").exists()


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_environment_configs_are_valid(env: str) -> None:
    config = load_config(PACK / f"{env}.json")
    settings = resolve(POLICIES, config, source=f"policies/{env}.json")
    assert set(settings) == set(POLICY_NAMES)
    # Every policy is spelled out in the file, so the file documents the environment.
    assert set(config) == set(POLICY_NAMES)


@pytest.mark.parametrize("env", ["dev", "prod"])
@pytest.mark.parametrize("cloud", sorted(BUILDERS))
def test_environment_configs_accept_a_clean_fleet(env: str, cloud: str) -> None:
    config = load_config(PACK / f"{env}.json")
    blocking = [v for v in evaluate(BUILDERS[cloud](), config) if v.enforcement == "mandatory"]
    assert blocking == []


def test_prod_is_at_least_as_strict_as_dev() -> None:
    dev = resolve(POLICIES, load_config(PACK / "dev.json"))
    prod = resolve(POLICIES, load_config(PACK / "prod.json"))
    rank = {"disabled": 0, "advisory": 1, "remediate": 2, "mandatory": 2}
    for name in POLICY_NAMES:
        assert rank[prod[name].level.value] >= rank[dev[name].level.value], name


def test_docs_cover_every_policy_and_config_key() -> None:
    text = DOCS.read_text()
    readme = (PACK / "README.md").read_text()
    for policy in POLICIES:
        assert f"`{policy.name}`" in text, policy.name
        assert policy.config_schema is not None
        for key in policy.config_schema.properties:
            assert f"`{key}`" in text, f"{policy.name}.{key} is not documented in docs/policies.md"
    assert "--policy-pack-config policies/" in readme and "docs/policies.md" in readme


def test_pack_dir_layout() -> None:
    names = sorted(p.name for p in PACK.iterdir() if p.name not in ("venv", "__pycache__"))
    assert names == [
        ".gitignore",
        "PulumiPolicy.yaml",
        "README.md",
        "__main__.py",
        "dev.json",
        "prod.json",
        "requirements.txt",
    ]
