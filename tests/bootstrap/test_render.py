"""Rendered user data for a matrix of groups (each cloud x RDMA on/off x image with/without
the driver x NVSwitch or not): valid cloud-config by Debian's ``cloud-init schema`` plus a
strict top-level key check, within the size limit, every shell script clean under
shellcheck, and stable against golden files.

Update the golden files after an intended change, then review the diff:

    GPUFLEET_UPDATE_GOLDEN=1 .venv/bin/pytest tests/bootstrap
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gpufleet.bootstrap import UserDataTooLarge, encode_user_data
from gpufleet.bootstrap import render as render_mod
from gpufleet.bootstrap.agents import cloudwatch_agent_config, telegraf_config
from gpufleet.bootstrap.images import default_image, resolve_image
from gpufleet.metrics import AWS_GPU_UTILIZATION, AZURE_GPU_UTILIZATION
from gpufleet.spec import BootstrapSpec, ImageSpec
from helpers import assert_golden, require_cloud_init

SCHEMA = Path("/usr/lib/python3/dist-packages/cloudinit/config/schemas/schema-cloud-config-v1.json")

# (cloud, type, NVSwitch, RDMA values the type supports). The catalog has no Azure
# InfiniBand type without NVSwitch and no Alibaba eRDMA type with it.
TYPES = [
    ("aws", "p5.48xlarge", True, (True, False)),
    ("aws", "p4d.24xlarge", True, (True, False)),
    ("aws", "g6e.48xlarge", False, (True, False)),
    ("aws", "g6.xlarge", False, (False,)),
    ("azure", "Standard_ND96isr_H100_v5", True, (True, False)),
    ("azure", "Standard_NV36ads_A10_v5", False, (False,)),
    ("alicloud", "ecs.gn7-c13g1.26xlarge", True, (False,)),
    ("alicloud", "ecs.gn8is-8x.32xlarge", False, (True, False)),
    ("alicloud", "ecs.gn7i-c8g1.2xlarge", False, (False,)),
]
CASES = [
    pytest.param(cloud, t, nvswitch, rdma, img, id=f"{cloud}-{t}-{'rdma' if rdma else 'nordma'}-{img}")
    for cloud, t, nvswitch, rdmas in TYPES
    for rdma in rdmas
    for img in ("with-driver", "no-driver")
]
# An image of the group's own, so the spec says whether it carries the driver.
IMAGE_ID = {
    "aws": "ami-0123456789abcdef0",
    "azure": "Canonical:ubuntu-24_04-lts:server:latest",
    "alicloud": "ubuntu_22_04_x64_20G_alibase_20260522.vhd",
}


def case(render_fixture: Any, cloud: str, t: str, rdma: bool, img: str) -> Any:
    image = {"id": IMAGE_ID[cloud], "driverIncluded": img == "with-driver"}
    # CUDA on the RDMA cases exercises the CUDA + NCCL steps too.
    extra = {"cuda": "12.8"} if rdma else {}
    return render_fixture(cloud, t, rdma=rdma, image_has_driver=None, image=image, **extra)


def strict_keys() -> set[str]:
    """Every top-level key the cloud-config schema defines (it does not forbid others)."""
    schema = json.loads(SCHEMA.read_text())
    keys: set[str] = set()
    for ref in schema["allOf"]:
        keys |= set(schema["$defs"][ref["$ref"].rsplit("/", 1)[1]].get("properties", {}))
    return keys


@pytest.mark.parametrize(("cloud", "t", "nvswitch", "rdma", "img"), CASES)
def test_rendered_user_data(
    render: Any, tmp_path: Path, cloud: str, t: str, nvswitch: bool, rdma: bool, img: str
) -> None:
    r = case(render, cloud, t, rdma, img)
    raw = r.text.encode()
    # The size limit (raw, before base64), and the base64 the component passes on. AWS user data is
    # the S3 loader instead (its size: tests/aws/test_nodefiles.py).
    if cloud != "aws":
        assert len(raw) <= render_mod_limit(cloud)
        assert encode_user_data(r.text, cloud) == __import__("base64").b64encode(raw).decode()

    doc = r.doc()
    if SCHEMA.exists():
        unknown = set(doc) - strict_keys()
        assert not unknown, f"keys the cloud-config schema does not define: {unknown}"
    assert list(doc) == ["write_files", "runcmd"]
    assert doc["runcmd"][0] == ["tar", "-xf", "/var/lib/gpufleet/files.tar", "-C", "/"]

    files = r.files()
    env = files["/etc/gpufleet/node.env"][1].decode()
    assert (
        f"GPUFLEET_RDMA={({'aws': 'efa', 'azure': 'infiniband', 'alicloud': 'erdma'}[cloud]) if rdma else 'none'}\n"
        in env
    )
    assert f"GPUFLEET_IMAGE_HAS_DRIVER={int(img == 'with-driver')}\n" in env
    row = files["/etc/gpufleet/types"][1].decode().split()
    assert row[0] == t and row[2] == str(int(nvswitch)), "fabric manager exactly on NVSwitch types"
    assert "/usr/local/sbin/gpufleet-health" in files and "/etc/systemd/system/gpufleet-health.timer" in files
    assert ("/usr/local/sbin/gpufleet-drain" in files) == (cloud == "aws")
    # In the plain parts, not in the bundle's base64, which can spell "aKIa..." by chance under
    # a case-insensitive match (the bundled scripts name IMDS credential fields on purpose).
    plain = re.sub(r"content: [A-Za-z0-9+/=]{200,}", "content: <bundle>", r.text)
    assert not re.search(r"AKIA[0-9A-Z]{16}", plain) and not any(
        re.search(r"AKIA[0-9A-Z]{16}", c.decode(errors="replace")) for _, c in files.values()
    ), "no AWS access key id anywhere"
    assert not re.search(r"SecretAccessKey|AccessKeySecret|PRIVATE KEY|password", plain, re.I), "no secrets"

    assert_golden(f"bootstrap/{cloud}-{t}-{'rdma' if rdma else 'nordma'}-{img}", summary(r.text, files))


def render_mod_limit(cloud: str) -> int:
    return render_mod.USER_DATA_LIMITS[cloud]  # type: ignore[index]


def summary(text: str, files: dict[str, tuple[int, bytes]]) -> dict[str, Any]:
    """The golden view, structural: the cloud-config with the bundle's base64 elided, the
    data files rendered for this node (``/etc/gpufleet/*``: types table, agent configs) as
    text, and every shipped script or unit by path and mode only. A script edit changes the
    three per-cloud script goldens, not these; the scripts themselves are checked by
    shellcheck, the cloud-init schema and the node-script tests."""
    shown = re.sub(r"content: H4sI[A-Za-z0-9+/=]+", "content: <gz+b64 tar>", text)
    data = {p: c.decode().splitlines() for p, (_, c) in sorted(files.items()) if p.startswith("/etc/gpufleet/")}
    if "path: /etc/gpufleet/node.env" in text:
        data.pop("/etc/gpufleet/node.env")  # a plain write_files entry: shown in the cloud-config
    return {
        "cloud_config": shown.splitlines(),
        "data_files": data,
        "shipped": {p: oct(m) for p, (m, _) in sorted(files.items()) if not p.startswith("/etc/gpufleet/")},
    }


@pytest.mark.parametrize("cloud", ["aws", "azure", "alicloud"])
def test_scripts_golden(render: Any, cloud: str) -> None:
    t = {"aws": "p5.48xlarge", "azure": "Standard_ND96isr_H100_v5", "alicloud": "ecs.gn8is-8x.32xlarge"}[cloud]
    r = render(cloud, t, rdma=True, image_has_driver=None, cuda="12.8")
    text = {p: c.decode().splitlines() for p, (_, c) in sorted(r.files().items())}
    assert_golden(f"bootstrap/scripts-{cloud}", text)


def test_cloud_init_schema_accepts_every_case(render: Any, tmp_path: Path) -> None:
    exe = shutil.which("cloud-init")
    # A missing validator is never a silent pass: a loud skip on a laptop, a failure in CI.
    require_cloud_init(None if exe else "the 'cloud-init' command")
    assert exe is not None
    for p in CASES:
        cloud, t, _, rdma, img = p.values
        f = tmp_path / f"{p.id}.yaml"
        f.write_text(case(render, cloud, t, rdma, img).text)
        out = subprocess.run([exe, "schema", "--config-file", str(f)], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0 and "Valid cloud-config" in out.stdout, (p.id, out.stdout, out.stderr)


def test_the_strict_key_check_catches_a_typo(tmp_path: Path) -> None:
    require_cloud_init(None if SCHEMA.exists() else f"cloud-init's schema {SCHEMA}")
    keys = strict_keys()
    assert {"write_files", "runcmd", "packages", "bootcmd"} <= keys
    assert "pakages" not in keys and "write_file" not in keys


def test_every_shipped_shell_script_passes_shellcheck(render: Any, tmp_path: Path) -> None:
    scripts: dict[str, bytes] = {}
    for p in CASES:
        cloud, t, _, rdma, img = p.values
        for path, (_, content) in case(render, cloud, t, rdma, img).files().items():
            if content.startswith((b"#!/usr/bin/env bash", b"# shellcheck shell=bash")):
                scripts[f"{hashlib.sha256(content).hexdigest()[:8]}-{Path(path).name}"] = content
                if path.endswith("/common.sh"):
                    scripts["gpufleet-common.sh"] = content  # what the source= directives name
    for name, content in scripts.items():
        (tmp_path / name).write_bytes(content)
    names = {n.split("-", 1)[-1] for n in scripts}
    assert {"gpufleet-bootstrap", "gpufleet-health", "gpufleet-drain", "common.sh", "steps-aws.sh"} <= names
    assert {"steps-azure.sh", "steps-alicloud.sh"} <= names
    out = _shellcheck(sorted(tmp_path.iterdir()), tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr


def test_package_shell_sources_pass_shellcheck() -> None:
    src = Path(render_mod.__file__).parent / "scripts"
    files = [f for f in sorted(src.iterdir()) if f.read_bytes().startswith((b"#!/usr/bin/env bash", b"# shellcheck"))]
    assert len(files) == 9  # + gpufleet-mode.sh and gpufleet-build (baked images, gpufleet.imagebuild)
    out = _shellcheck(files, src)
    assert out.returncode == 0, out.stdout + out.stderr


def _shellcheck(files: list[Path], source_dir: Path) -> subprocess.CompletedProcess[str]:
    import sys

    exe = Path(sys.executable).parent / "shellcheck"
    cmd = [str(exe) if exe.exists() else "shellcheck", "-x", "-P", str(source_dir), *map(str, files)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


def test_shipped_python_parses_on_ubuntu_2204_python(render: Any) -> None:
    # Ubuntu 22.04 ships Python 3.10: the minified helpers must not use newer syntax.
    for cloud, t in (("aws", "g6.xlarge"), ("azure", "Standard_NV36ads_A10_v5"), ("alicloud", "ecs.gn7i-c8g1.2xlarge")):
        for path, (_, content) in render(cloud, t).files().items():
            if path.endswith(".py") or content.startswith(b"#!/usr/bin/env python3"):
                ast.parse(content, filename=path, feature_version=(3, 10))


def test_the_health_endpoint_and_state_file_are_defined_once() -> None:
    from gpufleet.bootstrap import health

    src = Path(render_mod.__file__).parent / "scripts"
    healthd = (src / "gpufleet_healthd.py").read_text()
    assert f'"GPUFLEET_HEALTH_FILE", "{health.HEALTH_STATE_FILE}"' in healthd
    assert f'"GPUFLEET_HEALTH_PORT", "{health.HEALTH_PORT}"' in healthd
    common = (src / "gpufleet-common.sh").read_text()
    assert 'STATE_DIR="$R/var/lib/gpufleet"' in common and '"$STATE_DIR/health.json"' in common
    assert health.HEALTH_STATE_FILE == "/var/lib/gpufleet/health.json"


# -- size limits ---------------------------------------------------------------------------


def test_limits_are_enforced_with_a_clear_error() -> None:
    with pytest.raises(UserDataTooLarge) as e:
        encode_user_data("#cloud-config\n" + "x" * 16400, "aws")
    assert str(e.value).startswith("aws user data is 16414 bytes, over the 16384-byte limit (raw, before base64)")
    ok = "#cloud-config\n" + "x" * (65535 - 14)
    assert encode_user_data(ok, "azure")
    with pytest.raises(UserDataTooLarge, match="azure user data is 65536 bytes, over the 65535-byte limit"):
        encode_user_data(ok + "x", "azure")


def test_rendering_over_the_limit_names_what_to_drop(render: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # Alibaba's inline user data (AWS nodes fetch their files: tests/aws/test_nodefiles.py).
    monkeypatch.setattr(render_mod, "USER_DATA_LIMITS", {"aws": 16384, "azure": 65535, "alicloud": 4000})
    with pytest.raises(UserDataTooLarge) as e:
        render("alicloud", "ecs.gn7i-c8g1.2xlarge")
    msg = str(e.value)
    assert e.value.cloud == "alicloud" and e.value.limit == 4000 and e.value.size > 4000
    # The health check (optional: bootstrap.healthCheck) is the largest part since issue 17.
    assert "Largest parts: /usr/local/sbin/gpufleet-health" in msg
    assert "Drop optional parts (bootstrap.dcgm, bootstrap.containerToolkit, bootstrap.healthCheck)" in msg


# -- agents and images ----------------------------------------------------------------------


def test_metric_agents_publish_the_metric_autoscaling_reads() -> None:
    cw = json.loads(cloudwatch_agent_config())["metrics"]
    m = AWS_GPU_UTILIZATION
    assert cw["namespace"] == m.namespace
    assert cw["aggregation_dimensions"] == [[m.group_dimension]]
    assert "nvidia_smi_" + cw["metrics_collected"]["nvidia_gpu"]["measurement"][0] == m.name
    tg = telegraf_config("eastus")
    a = AZURE_GPU_UTILIZATION
    prefix = re.search(r'namespace_prefix = "([^"]+)"', tg)
    assert prefix and prefix.group(1) + "nvidia_smi" == a.namespace and "[[inputs.nvidia_smi]]" in tg
    assert f'"{a.name}"' in tg and 'region = "eastus"' in tg


def test_default_images_and_what_they_ship(catalog: Any) -> None:
    aws = default_image("aws", "ubuntu-22.04", rdma=True)
    assert (aws.kind, aws.driver_included) == ("ssm-parameter", True)
    assert aws.ref == "/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id"
    assert {"driver", "efa", "aws-ofi-nccl"} <= set(aws.ships)
    hpc = default_image("azure", "ubuntu-22.04", rdma=True)
    assert (hpc.ref, hpc.driver_branch) == ("microsoft-dsvm:ubuntu-hpc:2204:latest", 580)
    assert {"doca-ofed", "fabric-manager"} <= set(hpc.ships)
    assert not default_image("azure", "ubuntu-24.04", rdma=False).driver_included
    ali = default_image("alicloud", "ubuntu-22.04", rdma=True)
    assert ali.ref.startswith("ubuntu_22_04_x64_20G_alibase_") and not ali.driver_included
    own = resolve_image(BootstrapSpec(image=ImageSpec(id="ami-1", driver_included=True)), "aws", False)
    assert (own.ref, own.driver_included, own.driver_branch) == ("ami-1", True, None)
