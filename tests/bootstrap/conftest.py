"""Shared pieces of the bootstrap tests: render a validated group, unpack user data,
and run the node scripts under stub commands in a temp root (the fake node: stubs.py)."""

from __future__ import annotations

import base64
import gzip
import io
import os
import subprocess
import tarfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from bootstrap.stubs import NodeRoot, make_node_root

from gpufleet.alicloud.erdma import NCCL_ENV, eri_count
from gpufleet.bootstrap import AlicloudNode, AwsNode, AzureNode, NodeContext, render_cloud_config

# AWS nodes fetch these files through the S3 loader (gpufleet.aws.nodefiles, whose user data is
# size-checked there): the inline AWS render is only the vehicle that puts them on stub nodes.
from gpufleet.bootstrap.images import resolve_image
from gpufleet.catalog import Catalog
from gpufleet.resolve import resolve_group
from gpufleet.spec import BootstrapSpec, GroupSpec
from gpufleet.validation import validate_fleet
from helpers import fleet

REGION = {"aws": "us-east-1", "azure": "eastus", "alicloud": "cn-hangzhou"}
ZONE = {"aws": ["us-east-1a"], "azure": ["1"], "alicloud": ["cn-hangzhou-k"]}


def _ssh_string(b: bytes) -> bytes:
    return len(b).to_bytes(4, "big") + b


# A well-formed (not secret, never used) ed25519 public key: Azure groups need one.
SSH_KEY = "ssh-ed25519 " + base64.b64encode(_ssh_string(b"ssh-ed25519") + _ssh_string(bytes(range(32)))).decode()


@dataclass(frozen=True)
class Rendered:
    group: GroupSpec
    node: NodeContext
    text: str

    def doc(self) -> dict[str, Any]:
        assert self.text.startswith("#cloud-config\n")
        doc: dict[str, Any] = yaml.safe_load(self.text)
        return doc

    def files(self) -> dict[str, tuple[int, bytes]]:
        """Every file the node gets: plain write_files plus the unpacked tar bundle."""
        out: dict[str, tuple[int, bytes]] = {}
        for f in self.doc()["write_files"]:
            if f.get("encoding") == "gz+b64":
                raw = gzip.decompress(base64.b64decode(f["content"]))
                with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
                    for m in tar.getmembers():
                        data = tar.extractfile(m)
                        assert data is not None
                        out["/" + m.name] = (m.mode, data.read())
            else:
                out[f["path"]] = (int(f["permissions"], 8), f["content"].encode())
        return out


def render_group(
    catalog: Catalog, cloud: str, instance_type: str, *, rdma: bool, image_has_driver: bool | None, **bootstrap: Any
) -> Rendered:
    """Validate a one-group fleet (so the case is a spec users can write), then render it
    the way a cloud component does."""
    group: dict[str, Any] = {
        "cloud": cloud,
        "region": REGION[cloud],
        "zones": ZONE[cloud],
        "gpu": {"instanceTypes": [instance_type]},
        "rdma": rdma,
        "bootstrap": bootstrap,
    }
    if cloud == "azure":
        group["access"] = {"sshPublicKeys": [SSH_KEY]}
    spec = validate_fleet(fleet(group), catalog).spec
    g = spec.groups[0]
    resolved = resolve_group(g, catalog)
    image = resolve_image(g.bootstrap, g.cloud, g.rdma)
    cloud_node = {
        "aws": AwsNode("demo-trainers", "demo-trainers-drain"),
        "azure": AzureNode(),
        # As gpufleet.alicloud.launch.node_context fills it (tests/bootstrap/test_handoff.py uses that one).
        "alicloud": AlicloudNode(
            "demo-trainers",
            erdma_interfaces=eri_count(t.instance for t in resolved.types) if rdma else 0,
            nccl_settings=dict(NCCL_ENV) if rdma else {},
        ),
    }[cloud]
    node = NodeContext(
        cloud=g.cloud,
        region=g.region,
        group=f"{spec.name}-{g.name}",
        instance=resolved.primary.instance,
        rdma=g.rdma,
        image_has_driver=image.driver_included if image_has_driver is None else image_has_driver,
        cloud_node=cloud_node,
        types=tuple(t.instance for t in resolved.types),
        # The image's recorded branch only with the image itself (None: the node checks at boot).
        image_driver_branch=image.driver_branch if image_has_driver is None else None,
    )
    return Rendered(g, node, render_cloud_config(g.bootstrap, node, check_size=node.cloud != "aws"))


@pytest.fixture
def render_raw(catalog: Catalog) -> Callable[..., Rendered]:
    """Render without validating the spec: for node behaviour the matrix would refuse."""

    def _render(cloud: str, instance_type: str, spec: BootstrapSpec, **node: Any) -> Rendered:
        it = catalog.instance(cloud, instance_type)  # type: ignore[arg-type]
        assert it is not None
        ctx = NodeContext(cloud, REGION[cloud], "demo-raw", it, **{"rdma": False, "image_has_driver": False, **node})  # type: ignore[arg-type]
        return Rendered(
            GroupSpec.model_validate(
                {
                    "name": "raw",
                    "cloud": cloud,
                    "region": REGION[cloud],
                    "gpu": {"instanceTypes": [instance_type]},
                    "capacity": {"max": 1},
                }
            ),
            ctx,
            render_cloud_config(spec, ctx, check_size=cloud != "aws"),
        )

    return _render


@pytest.fixture
def render(catalog: Catalog) -> Callable[..., Rendered]:
    def _render(cloud: str, instance_type: str, **kw: Any) -> Rendered:
        kw.setdefault("rdma", False)
        kw.setdefault("image_has_driver", False)  # pass None to take it from the group's image
        return render_group(catalog, cloud, instance_type, **kw)

    return _render


# -- running node scripts offline: the fake node lives in stubs.py (bench/ uses it too) --


@pytest.fixture
def node_root(tmp_path: Path) -> Callable[[Rendered], NodeRoot]:
    def _make(rendered: Rendered) -> NodeRoot:
        return make_node_root(tmp_path, rendered)

    return _make


def shellcheck(paths: list[Path], source_dir: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(os.environ.get("VIRTUAL_ENV", "")) / "bin" / "shellcheck"
    cmd = [str(exe) if exe.exists() else "shellcheck", "-x", "-P", str(source_dir), *map(str, paths)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def env_of(files: Mapping[str, tuple[int, bytes]]) -> dict[str, str]:
    import shlex

    out = {}
    for line in files["/etc/gpufleet/node.env"][1].decode().splitlines():
        k, _, v = line.partition("=")
        parts = shlex.split(v)
        out[k] = parts[0] if parts else ""
    return out
