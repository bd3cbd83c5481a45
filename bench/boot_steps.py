"""Boot-time steps with and without a baked image, for every group of every stack template.

Each group's node scripts run offline, as the node gets them (the cloud's ``launch.node_context``,
then ``bootstrap.render.node_files``), in a temp root against the bootstrap tests' stub commands
(tests/bootstrap/stubs.py: each stub logs its call; package installs leave markers that later
checks read). Two runs per group:

- as is:  the group's own image. A DLAMI, the Azure HPC image, ... is seeded with what
          ``bootstrap.images`` records it ships (``BaseImage.ships``); plain Ubuntu with nothing.
          A group that already boots a baked image is run on its cloud's default image instead.
- baked:  the group on a gpufleet image of its own stack: the template's image if the group
          names one, else an ``images:`` entry made from the group (validated like a user's).
          The build bundle runs ``gpufleet-build`` first (build mode, on the build base image);
          then the node boots the group's baked node files (``NodeContext.baked``: verify mode)
          on that root, and only this boot run is counted.

From the stubs' call log it counts apt-get install calls and packages, apt-get update, downloads
(curl), dpkg -i, NVIDIA driver module builds (the driver packages, or the GRID .run with
--dkms), other installers run (EFA, eRDMA, Alibaba CloudMonitor) and reboots requested (a reboot
reruns the bootstrap, as systemd would after boot), and names the steps that did work.

Installer tarballs (EFA, eRDMA) are stand-ins served by the curl stub: their installer logs its
run and leaves what the scripts check (fi_info and the aws-ofi-nccl plugin; an erdma device).
The eRDMA checksum in node.env is set to the stand-in's, as tests/bootstrap does.

Run: .venv/bin/python bench/boot_steps.py [--stacks aws-images-l4,azure-images-t4]
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import datetime as dt
import hashlib
import io
import os
import platform
import re
import shlex
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "components"), str(ROOT / "tests")]

from bootstrap.stubs import NodeRoot, make_node_root  # noqa: E402

from gpufleet.alicloud import cluster as ali_cluster  # noqa: E402
from gpufleet.alicloud import image as ali_image  # noqa: E402
from gpufleet.alicloud import launch as ali_launch  # noqa: E402
from gpufleet.aws import image as aws_image  # noqa: E402
from gpufleet.aws import launch as aws_launch  # noqa: E402
from gpufleet.azure import image as azure_image  # noqa: E402
from gpufleet.azure import launch as azure_launch  # noqa: E402
from gpufleet.bootstrap.images import BaseImage, build_base_image, resolve_image  # noqa: E402
from gpufleet.bootstrap.matrix import effective_branch  # noqa: E402
from gpufleet.bootstrap.render import NodeContext, node_files  # noqa: E402
from gpufleet.catalog import Catalog, load_catalog  # noqa: E402
from gpufleet.context import GroupContext  # noqa: E402
from gpufleet.errors import ConfigError  # noqa: E402
from gpufleet.imagebuild.script import build_bundle  # noqa: E402
from gpufleet.resolve import resolve_group  # noqa: E402
from gpufleet.spec import FleetSpec, GpuImageSpec, GroupSpec  # noqa: E402
from gpufleet.validation import validate_fleet  # noqa: E402

STACKS = ROOT / "stacks"
BAKED_ID = {
    "aws": "ami-0123456789abcdef0",
    "azure": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/i",
    "alicloud": "m-0123456789abcdef0123",
}

# A full driver version for the branch a node runs (the stubs' nvidia-smi prints it). 580.105.08:
# DLAMI x86_64 release notes 2026-01-02 (bootstrap.images); 595.58.03: grid.csv (Azure GRID 595).
DRIVER_VERSION = {580: "580.105.08", 595: "595.58.03"}

# apt packages -> the bootstrap step they belong to (first match of a call's packages decides).
STEP_OF_PACKAGE = (
    ("debhelper", "erdma"),
    ("build-essential", "driver"),
    ("linux-headers-", "driver"),
    ("nvidia-driver-pinning", "driver"),
    ("nvidia-open", "driver"),
    ("cuda-drivers", "driver"),
    ("nvidia-fabricmanager", "fabric-manager"),
    ("nvlsm", "fabric-manager"),
    ("cuda-toolkit", "cuda"),
    ("nvidia-container-toolkit", "container-toolkit"),
    ("datacenter-gpu-manager", "dcgm"),
    ("libnccl2", "nccl"),
    ("telegraf", "metrics-agent"),
)
DRIVER_PACKAGES = re.compile(r"^(nvidia-open|cuda-drivers)(-\d+)?(=.*)?$")
INSTALLERS = {"efa_installer.sh": "efa", "erdma-install.sh": "erdma", "cms_go_agent_install.sh": "metrics-agent"}


@dataclass(frozen=True)
class Steps:
    """What one bootstrap did, read from the stubs' call log."""

    apt_installs: int
    packages: int
    apt_updates: int
    downloads: int
    dpkg_installs: int
    driver_builds: int
    """NVIDIA kernel module builds: a driver package from the CUDA repo (DKMS) or the GRID .run --dkms."""
    installers: int
    """EFA installer, eRDMA installer, CloudMonitor install script."""
    reboots: int
    work: tuple[str, ...]
    """The steps that installed or downloaded something (names as in gpufleet-bootstrap)."""

    def total(self) -> int:
        return sum(dataclasses.astuple(self)[:-1])


def _apt_words(call: str) -> list[str]:
    """apt-get's words, options and -o values skipped (as the stub parses them)."""
    words, args = [], shlex.split(call)[1:]
    i = 0
    while i < len(args):
        if args[i] == "-o":
            i += 1
        elif not args[i].startswith("-"):
            words.append(args[i])
        i += 1
    return words


def count(calls: Iterable[str]) -> Steps:
    apt = upd = dl = dpkg = builds = inst = reboots = pkgs = 0
    work: set[str] = set()
    for c in calls:
        cmd = c.split(" ", 1)[0]
        if cmd == "apt-get":
            words = _apt_words(c)
            if words[:1] == ["update"]:
                upd += 1
            elif words[:1] == ["install"]:
                apt += 1
                names = [w.split("=", 1)[0] for w in words[1:]]
                pkgs += len(names)
                builds += any(DRIVER_PACKAGES.match(n) for n in names)
                work.add(next((s for n in names for p, s in STEP_OF_PACKAGE if n.startswith(p)), "other"))
        elif cmd == "curl":
            dl += 1
        elif cmd == "dpkg" and " -i " in f"{c} ":
            dpkg += 1
            work.add("metrics-agent")  # the CloudWatch agent .deb: the only dpkg -i in the scripts
        elif cmd == "nvidia-installer":
            builds += "--dkms" in c
            work.add("driver")
        elif cmd in INSTALLERS:
            inst += 1
            work.add(INSTALLERS[cmd])
        elif c == "systemctl reboot":
            reboots += 1
            work.add("reboot")
    return Steps(apt, pkgs, upd, dl, dpkg, builds, inst, reboots, tuple(sorted(work)))


# -- the fake node --------------------------------------------------------------------------


def _tarball(top: str, script: str, body: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        data = ("#!/bin/sh\n" + body).encode()
        info = tarfile.TarInfo(f"{top}/{script}")
        info.size, info.mode = len(data), 0o755
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def serve_installers(node: NodeRoot) -> None:
    """Stand-in EFA and eRDMA tarballs from the curl stub; each installer logs its run and leaves
    what gpufleet-bootstrap then checks."""
    r, log = node.root, node.stub / "calls.log"
    efa = _tarball(
        "aws-efa-installer",
        "efa_installer.sh",
        f'echo "efa_installer.sh $*" >>"{log}"\n'
        f'mkdir -p "{r}/opt/amazon/efa/bin" "{r}/opt/amazon/ofi-nccl/lib/x86_64-linux-gnu"\n'
        f'printf "#!/bin/sh\\nexit 0\\n" >"{r}/opt/amazon/efa/bin/fi_info"; chmod +x "{r}/opt/amazon/efa/bin/fi_info"\n'
        f'touch "{r}/opt/amazon/ofi-nccl/lib/x86_64-linux-gnu/libnccl-net-ofi.so"\n',
    )
    erdma = _tarball(
        "erdma_installer",
        "install.sh",
        f'echo "erdma-install.sh $*" >>"{log}"\nmkdir -p "{r}/sys/class/infiniband/erdma_0"\n',
    )
    (node.stub / "efa.tgz").write_bytes(efa)
    (node.stub / "erdma.tgz").write_bytes(erdma)
    curl = node.stub / "bin/curl"
    serve = (
        f'*efa-installer*.tar.gz) cp "{node.stub}/efa.tgz" "$out" ;;\n'
        f'  *erdma*.tar.gz) cp "{node.stub}/erdma.tgz" "$out" ;;\n'
    )
    text = curl.read_text()
    assert '  *) echo "payload of $url"' in text, "the curl stub changed: update serve_installers"
    curl.write_text(text.replace('  *) echo "payload of $url"', "  " + serve + '  *) echo "payload of $url"', 1))
    env = node.root / "etc/gpufleet/node.env"
    if "GPUFLEET_ERDMA_SHA256=" in env.read_text():
        node.set_env(GPUFLEET_ERDMA_SHA256=hashlib.sha256(erdma).hexdigest())


def node_env(node: NodeRoot) -> dict[str, str]:
    text = (node.root / "etc/gpufleet/node.env").read_text()
    return {k: (shlex.split(v) or [""])[0] for k, _, v in (ln.partition("=") for ln in text.splitlines())}


def seed_image(node: NodeRoot, base: BaseImage, cuda: str | None) -> None:
    """What ``base`` ships, as the stubs see it. The image's CUDA is taken to be the group's
    (``ships`` names no version), which can only lower the as-is counts."""
    r, ships = node.root, set(base.ships)
    if base.driver_included or "driver" in ships:
        node.installed("preinstalled-driver")
    if "cuda" in ships and cuda:
        nvcc = r / f"usr/local/cuda-{cuda}/bin/nvcc"
        nvcc.parent.mkdir(parents=True, exist_ok=True)
        nvcc.touch(mode=0o755)
    if "nccl" in ships:
        node.installed("preinstalled-nccl")
    if "container-toolkit" in ships:
        node.installed("nvidia-container-toolkit")
    if "dcgm" in ships:
        node.installed("datacenter-gpu-manager-4-cuda13")
    if "efa" in ships and "aws-ofi-nccl" in ships:
        fi = r / "opt/amazon/efa/bin/fi_info"
        fi.parent.mkdir(parents=True, exist_ok=True)
        fi.write_text("#!/bin/sh\nexit 0\n")
        fi.chmod(0o755)
        plugin = r / "opt/amazon/ofi-nccl/lib/x86_64-linux-gnu/libnccl-net-ofi.so"
        plugin.parent.mkdir(parents=True, exist_ok=True)
        plugin.touch()
    if "doca-ofed" in ships:  # the HPC image's InfiniBand stack: ports the rdma step checks
        port = r / "sys/class/infiniband/mlx5_ib0/ports/1"
        port.mkdir(parents=True, exist_ok=True)
        (port / "link_layer").write_text("InfiniBand\n")
    if "fabric-manager" in ships:
        branch = int(node_env(node)["GPUFLEET_DRIVER_BRANCH"])
        (node.stub / "pkg/nvidia-fabricmanager.version").write_text(f"{DRIVER_VERSION[branch]}-1\n")


def _stub_env(node: NodeRoot, instance: str, gpus: float) -> dict[str, str]:
    branch = int(node_env(node)["GPUFLEET_DRIVER_BRANCH"])
    return {"STUB_TYPE": instance, "STUB_DRIVER": DRIVER_VERSION[branch], "STUB_GPUS": str(max(1, round(gpus)))}


def run_until_settled(node: NodeRoot, script: str, env: Mapping[str, str]) -> list[str]:
    """Run ``script``; after a requested reboot run it again (systemd starts it at boot), at most
    three times. Returns the calls of all runs."""
    node.clear_calls()
    reboots = 0
    for _ in range(3):
        r = node.run(script, **env)
        if r.returncode != 0:
            raise RuntimeError(f"{script} failed ({r.returncode}):\n{(r.stdout + r.stderr)[-3000:]}")
        now = node.calls().count("systemctl reboot")
        if now == reboots:
            break
        reboots = now
    return node.calls()


# -- the groups and their images ------------------------------------------------------------


def templates() -> list[str]:
    text = (STACKS / "templates.txt").read_text()
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def raw_fleet(stack: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((STACKS / f"Pulumi.{stack}.yaml").read_text())["config"]["gpufleet:fleet"]
    return copy.deepcopy(data)


def builder_of(cloud: str) -> dict[str, Any]:
    """A builder block as the cloud's image template writes it (its private subnet)."""
    for stack in templates():
        for image in raw_fleet(stack).get("images", []):
            if image["cloud"] == cloud:
                return copy.deepcopy(image["builder"])  # type: ignore[no-any-return]
    raise LookupError(f"no stack template bakes a {cloud} image")


def node_context(ctx: GroupContext) -> NodeContext:
    """The group's node, as its cloud component builds it."""
    g = ctx.group
    if g.cloud == "aws":
        base = resolve_image(g.bootstrap, "aws", g.rdma, ctx.fleet.images)
        return aws_launch.node_context(ctx, aws_image.image_for(ctx, BAKED_ID["aws"] if base.kind == "baked" else None))
    if g.cloud == "azure":
        base = resolve_image(g.bootstrap, "azure", g.rdma, ctx.fleet.images)
        return azure_launch.node_context(
            ctx, azure_image.image_for(ctx, BAKED_ID["azure"] if base.kind == "baked" else None)
        )
    module = ali_cluster if g.capacity.mode == "static" else ali_launch
    base = resolve_image(g.bootstrap, "alicloud", g.rdma, ctx.fleet.images)
    return module.node_context(ctx, ali_image.image_for(ctx, BAKED_ID["alicloud"] if base.kind == "baked" else None))


def files_of(ctx: GroupContext, node: NodeContext) -> dict[str, tuple[int, bytes]]:
    return {f.path: (int(f.permissions, 8), f.content) for f in node_files(ctx.group.bootstrap, node)}


def _without_image(ctx: GroupContext) -> GroupContext:
    g = ctx.group.model_copy(update={"bootstrap": ctx.group.bootstrap.model_copy(update={"image": None})})
    return dataclasses.replace(ctx, resolved=dataclasses.replace(ctx.resolved, spec=g))


def _template_image(spec: FleetSpec, g: GroupSpec, types: list[str]) -> GpuImageSpec | None:
    """The fleet's image a group boots: the one it names, else (Alibaba, where a group takes the
    image by id once built) one of the same cloud and region that targets all its types."""
    if g.bootstrap.image is not None and g.bootstrap.image.name is not None:
        return next(i for i in spec.images if i.name == g.bootstrap.image.name)
    fits = (
        i
        for i in spec.images
        if i.cloud == g.cloud and g.region in i.all_regions and set(types) <= set(i.instance_types)
    )
    return next(fits, None)


def bake_image(raw: dict[str, Any], index: int, spec: FleetSpec, cat: Catalog) -> tuple[GpuImageSpec, FleetSpec]:
    """The image the group boots baked: the template's own, else one made from the group and
    validated in the fleet (the group itself unchanged). The builder is the group's first type the
    validation accepts, else the cloud's image template's builder. Raises the last ConfigError if
    gpufleet refuses every one."""
    g = spec.groups[index]
    resolved = resolve_group(g, cat)
    own = _template_image(spec, g, resolved.instance_types)
    if own is not None:
        return own, spec
    b = g.bootstrap
    builder = builder_of(g.cloud)
    candidates = [*resolved.instance_types, builder["instanceType"]]
    error: ConfigError | None = None
    for builder_type in dict.fromkeys(candidates):
        image = {
            "name": "bench-bake",
            "cloud": g.cloud,
            "region": g.region,
            "instanceTypes": resolved.instance_types,
            "rdma": g.rdma,
            "bootstrap": {
                # The branch the group's nodes install (GRID sizes: Azure's newest GRID branch when unset).
                "driver": str(effective_branch(b, resolved.primary.instance)),
                "os": b.os,
                "containerToolkit": b.container_toolkit,
                "dcgm": b.dcgm,
                "healthCheck": b.health_check,
                **({"cuda": b.cuda} if b.cuda else {}),
            },
            "builder": {**builder, "instanceType": builder_type},
        }
        fleet_raw = copy.deepcopy(raw)
        fleet_raw["images"] = [*fleet_raw.get("images", []), image]
        try:
            fleet = validate_fleet(fleet_raw, cat).spec
        except ConfigError as e:
            error = e
            continue
        return next(i for i in fleet.images if i.name == "bench-bake"), fleet
    assert error is not None
    raise error


@dataclass(frozen=True)
class Row:
    stack: str
    group: str
    image: str
    steps: Steps | None
    calls: tuple[str, ...] = ()
    note: str = ""


def measure_group(stack: str, index: int, cat: Catalog) -> tuple[Row, Row]:
    """The group's boot as is, and on a baked image (after that image's build)."""
    raw = raw_fleet(stack)
    spec = validate_fleet(raw, cat).spec
    g: GroupSpec = spec.groups[index]
    ctx = GroupContext(fleet=spec, resolved=resolve_group(g, cat), catalog=cat)
    primary = ctx.resolved.primary.instance

    plain_ctx = ctx
    base = resolve_image(g.bootstrap, g.cloud, g.rdma, spec.images)
    if base.kind == "baked":
        plain_ctx = _without_image(ctx)
        base = resolve_image(plain_ctx.group.bootstrap, g.cloud, g.rdma)
    with tempfile.TemporaryDirectory(prefix="gpufleet-boot-") as tmp:
        node = make_node_root(Path(tmp), files_of(plain_ctx, node_context(plain_ctx)))
        serve_installers(node)
        seed_image(node, base, g.bootstrap.cuda)
        calls = run_until_settled(node, "gpufleet-bootstrap", _stub_env(node, primary.name, primary.gpu_count))
    as_is = Row(
        stack,
        g.name,
        base.name + (" (the group bakes: without it)" if plain_ctx is not ctx else ""),
        count(calls),
        tuple(calls),
    )

    try:
        image, fleet = bake_image(raw, index, spec, cat)
    except ConfigError as e:
        return as_is, Row(stack, g.name, "baked", None, note="not bakeable: " + " ".join(str(e).split()))
    try:
        bundle = build_bundle(image, fleet.name, cat)
    except ValueError as e:  # validation accepted the image, the build bundle does not: a gpufleet gap
        return as_is, Row(stack, g.name, "baked", None, note=f"build bundle refused: {e}")
    with tempfile.TemporaryDirectory(prefix="gpufleet-bake-") as tmp:
        node = make_node_root(Path(tmp), {f.path: (int(f.permissions, 8), f.content) for f in bundle.files})
        serve_installers(node)
        builder = cat.instance(image.cloud, image.builder.instance_type)
        assert builder is not None
        seed_image(node, build_base_image(image), image.bootstrap.cuda)
        run_until_settled(node, "gpufleet-build", _stub_env(node, builder.name, builder.gpu_count))
        baked_ctx = GroupContext(fleet=fleet, resolved=ctx.resolved, catalog=cat)
        boot = node_context(baked_ctx)
        if not boot.baked:  # the group does not name the image: as it would if it did
            boot = dataclasses.replace(
                boot, baked=True, image_has_driver=True, image_driver_branch=int(image.bootstrap.driver)
            )
        node.write_files(files_of(baked_ctx, boot))
        assert node_env(node).get("GPUFLEET_MODE") == "verify", "a baked node must boot in verify mode"
        calls = run_until_settled(node, "gpufleet-bootstrap", _stub_env(node, primary.name, primary.gpu_count))
    made = " (made from the group)" if image.name == "bench-bake" else ""
    label = f"baked '{image.name}'{made}, built on {image.builder.instance_type}"
    return as_is, Row(stack, g.name, label, count(calls), tuple(calls))


# -- report --------------------------------------------------------------------------------

COLUMNS = ("apt inst", "pkgs", "apt upd", "downloads", "dpkg -i", "drv build", "installers", "reboots")


def table(rows: list[Row]) -> str:
    head = ["template/group", "image", *COLUMNS, "steps that did work"]
    body = []
    for r in rows:
        s = r.steps
        nums = [str(x) for x in dataclasses.astuple(s)[:-1]] if s else ["-"] * len(COLUMNS)
        body.append([f"{r.stack}/{r.group}", r.image, *nums, ", ".join(s.work) if s else r.note])
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" if h in COLUMNS else "---" for h in head) + "|"]
    out += ["| " + " | ".join(b) + " |" for b in body]
    return "\n".join(out)


def machine() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load {load:.1f}, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stacks", default="", help="comma-separated stack templates (default: stacks/templates.txt)")
    args = p.parse_args(argv)
    stacks = [s for s in args.stacks.split(",") if s] or templates()
    cat = load_catalog()
    rows: list[Row] = []
    start = time.monotonic()
    for stack in stacks:
        for i in range(len(validate_fleet(raw_fleet(stack), cat).spec.groups)):
            rows += measure_group(stack, i, cat)
    print(f"Boot-time steps per node, offline against the stub commands ({machine()}):\n")
    print(table(rows))
    print(f"\n{len(rows) // 2} groups in {len(stacks)} templates, {time.monotonic() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
