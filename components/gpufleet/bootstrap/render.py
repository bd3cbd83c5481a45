"""Render a node's ``#cloud-config``: settings, scripts and systemd units in ``write_files``,
and a short ``runcmd`` that starts them.

The scripts (``bootstrap/scripts/``, shipped as package data) do the work on the node:
``gpufleet-bootstrap`` installs or checks the driver stack, ``gpufleet-health`` judges the
node on a timer, ``gpufleet-healthd`` serves the verdict, ``gpufleet-cloud`` marks the
instance unhealthy in its group, and on AWS ``gpufleet-drain`` answers the termination
lifecycle hook. Everything the scripts need to know is rendered into
``/etc/gpufleet/node.env`` (never a secret: nodes use their instance identity).

Scripts travel minified, in one gzip+base64 tar (``encoding: gz+b64``), to fit AWS's
16 KB user-data limit.
"""

from __future__ import annotations

import ast
import base64
import functools
import gzip
import io
import math
import shlex
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources

import yaml

from gpufleet.bootstrap import agents, health
from gpufleet.bootstrap.images import driver_on_node
from gpufleet.bootstrap.matrix import FIRST_PINNING_BRANCH, Matrix, effective_branch, load_matrix, node_stack
from gpufleet.catalog import CLOUD_RDMA, Cloud, InstanceType
from gpufleet.spec import BootstrapSpec

# Raw (decoded) user-data limits. AWS: "limited to 16 KB, in raw form, before it is
# base64-encoded" [DOC: EC2 User Guide, "Run commands when you launch an EC2 instance with
# user data"]. Azure: custom data decodes to at most 65535 bytes [SDK:
# VirtualMachineScaleSetOSProfileArgs.custom_data docstring]. Alibaba: 32 KB before base64
# in the current API, 16 KB in older revisions, so 16 KB is the safe cap [DOC: Alibaba
# Cloud ECS "Instance user data"].
USER_DATA_LIMITS: Mapping[Cloud, int] = {"aws": 16 * 1024, "azure": 65535, "alicloud": 16 * 1024}

# XIDs that are node faults (the node is replaced); every other XID is logged only. The set
# is Azure's AzNHC one (Azure/azurehpc-health-checks customTests/azure_gpu_xid.nhc, as quoted
# in the 2026-11-29 bootstrap review: 48 DBE, 64 page retirement failed, 79 fallen off
# the bus, 92 high SBE rate, 119/120 GSP errors...). NVIDIA's Xid catalog gives each code a
# Resolution Bucket; application codes such as 8, 13, 31, 43, 45 and 94 are RESTART_APP there
# [DOC: docs.nvidia.com/deploy/xid-errors/analyzing-xid-catalog.html; per-code buckets of the
# set above not re-read here: UNVERIFIED].
XID_NODE_FAULTS = (48, 56, 57, 58, 62, 64, 65, 68, 69, 73, 74, 79, 80, 81, 92, 119, 120)

# XIDs whose fix is a GPU reset, not a new node: the health check runs ``nvidia-smi -r`` on that
# GPU and fails the node only if the reset fails. 46: NVIDIA Health Validation "Xid Checks",
# gpu_xid_46 "drain: reset_gpu -> service_required" [DOC: docs.nvidia.com/health-validation/
# reference/checks/xid]; 63: the driver's own message "Row Remapper: New row marked for
# remapping, reset gpu to activate"; 154: the driver names the recovery action it needs ("GPU
# recovery action changed ... (GPU Reset Required)"; Xid catalog column "Xid 154 linkage").
# A 154 that needs more than a reset fails the reset and so fails the node.
XID_GPU_RESET = (46, 63, 154)

LIB = "/usr/local/lib/gpufleet"
ENV_FILE = "/etc/gpufleet/node.env"
BUNDLE = "/var/lib/gpufleet/files.tar"
SBIN = "/usr/local/sbin"
UNITS = "/etc/systemd/system"


class UserDataTooLarge(ValueError):
    """Rendered user data over the cloud's limit."""

    def __init__(self, cloud: Cloud, size: int, limit: int, parts: Sequence[tuple[str, int]] = ()) -> None:
        self.cloud, self.size, self.limit, self.parts = cloud, size, limit, tuple(parts)
        biggest = ", ".join(f"{p} ({n} B)" for p, n in sorted(parts, key=lambda x: -x[1])[:4])
        super().__init__(
            f"{cloud} user data is {size} bytes, over the {limit}-byte limit (raw, before base64) by "
            f"{size - limit} bytes"
            + (f". Largest parts: {biggest}" if biggest else "")
            + ". Drop optional parts (bootstrap.dcgm, bootstrap.containerToolkit, bootstrap.healthCheck), "
            "or bake the stack into a custom image (bootstrap.image with driverIncluded: true)"
        )


@dataclass(frozen=True)
class AwsNode:
    """What an AWS node needs beyond the common context (built by ``gpufleet.aws.launch``)."""

    asg_name: str
    """The node's Auto Scaling group: the health check marks the node unhealthy in it."""
    lifecycle_hook_name: str | None = None
    """The termination lifecycle hook the drain service answers; None installs no drain service."""
    drain_timeout_seconds: int = 600
    """How long the drain hooks may run before the node completes the lifecycle action."""
    efa_interfaces: int = 0
    """EFA devices the launch template attaches to each node (0 without RDMA); the health
    check expects exactly these, not the type's catalog maximum."""


@dataclass(frozen=True)
class AzureNode:
    """What an Azure node needs beyond the common context (built by ``gpufleet.azure.launch``).

    The scale set's health extension probes the endpoint that ``gpufleet.bootstrap.health``
    defines for every cloud, and the node finds its scale set in instance metadata."""

    identity_client_id: str = ""
    """Client id of the group's user-assigned identity: ``GPUFLEET_AZURE_CLIENT_ID``, which the
    node gives Telegraf as ``AZURE_CLIENT_ID`` so its managed-identity login picks that identity."""


@dataclass(frozen=True)
class AlicloudNode:
    """What an Alibaba node needs beyond the common context (built by ``gpufleet.alicloud.launch``)."""

    scaling_group_name: str
    """The node's ESS scaling group, named in the health check's reports."""
    erdma_interfaces: int = 0
    """eRDMA interfaces (ERIs) each node gets (0 without RDMA): ``GPUFLEET_ERDMA_INTERFACES``."""
    nccl_settings: Mapping[str, str] = field(default_factory=dict)
    """NCCL variables that select the eRDMA fabric (``NCCL_IB_HCA=erdma`` ...):
    ``GPUFLEET_NCCL_SETTINGS``, written where NCCL reads them by the node scripts."""
    ess_endpoint: str | None = None
    """URL of the region's Auto Scaling API (``gpufleet.alicloud.endpoints``), where the health
    check reports: ``GPUFLEET_ESS_ENDPOINT``. None leaves the node script's central default."""
    static_cluster: str = ""
    """A fixed-size cluster's deployment set name (``capacity.mode: static``), empty for ESS
    nodes: ``GPUFLEET_STATIC_CLUSTER``. Such a node has no scaling group, so the health check tags
    its own instance ``gpufleet-health: Unhealthy`` instead of calling SetInstanceHealth."""
    ecs_endpoint: str | None = None
    """URL of the region's ECS API, where a static node's tag goes: ``GPUFLEET_ECS_ENDPOINT``."""


CloudNode = AwsNode | AzureNode | AlicloudNode
"""The per-cloud part of a :class:`NodeContext`, one type per cloud."""

_NODE_TYPES: Mapping[Cloud, type[CloudNode]] = {"aws": AwsNode, "azure": AzureNode, "alicloud": AlicloudNode}


@dataclass(frozen=True)
class NodeContext:
    """What the renderer needs to know about the node it bootstraps."""

    cloud: Cloud
    region: str
    group: str
    """``<fleet>-<group>``: names the node's group in logs and health reports."""
    instance: InstanceType
    """Facts of the (primary) instance type: GPU count, NVSwitch, RDMA fabric."""
    rdma: bool
    image_has_driver: bool
    """The base image ships the NVIDIA driver: check it instead of installing."""
    cloud_node: CloudNode | None = None
    """The cloud's own settings; its type must match ``cloud``. None only for tests that
    render a node outside any group (no drain service, no group name)."""
    types: tuple[InstanceType, ...] = ()
    """Every instance type the group may launch (the node looks up its own at boot);
    empty means only ``instance``."""
    image_driver_branch: int | None = None
    """Branch of the driver the image ships, as ``bootstrap.images`` records it (None:
    unrecorded); with the pin it decides the branch nodes run (``images.driver_on_node``)."""
    baked: bool = False
    """The node boots a gpufleet-baked image (``images:``): the scripts and units are in the
    image, so the user data carries only the settings, and the bootstrap runs in verify mode
    (installs and downloads nothing; ``scripts/gpufleet-mode.sh``)."""

    def __post_init__(self) -> None:
        if self.cloud_node is not None and not isinstance(self.cloud_node, _NODE_TYPES[self.cloud]):
            raise TypeError(
                f"a {self.cloud} node takes {_NODE_TYPES[self.cloud].__name__}, not {type(self.cloud_node).__name__}"
            )


@dataclass(frozen=True)
class NodeFile:
    """One ``write_files`` entry."""

    path: str
    content: bytes
    permissions: str = "0644"
    compress: bool = True


def _script(name: str) -> bytes:
    return resources.files("gpufleet.bootstrap").joinpath("scripts", name).read_bytes()


def _types(node: NodeContext) -> list[InstanceType]:
    rest = [t for t in node.types if t.name != node.instance.name]
    return [node.instance, *rest]


def _rdma_devices(node: NodeContext, it: InstanceType, m: Matrix) -> int:
    if not node.rdma:
        return 0
    c = node.cloud_node
    if isinstance(c, AwsNode) and c.efa_interfaces:
        return c.efa_interfaces
    if isinstance(c, AlicloudNode) and c.erdma_interfaces:
        return c.erdma_interfaces
    return (it.efa_interfaces if node.cloud == "aws" else m.family(it).rdma_devices) or 1


def types_table(spec: BootstrapSpec, node: NodeContext, m: Matrix | None = None) -> str:
    """``/etc/gpufleet/types``: ``name gpus fabric_manager nvlsm rdma_devices`` per type."""
    m = m or load_matrix()
    rows = []
    runs = _runs(spec, node, m)
    for it in _types(node):
        s = node_stack(runs, it, m)
        gpus = max(1, math.ceil(it.gpu_count))  # a partial GPU (Azure NVads A10 v5) shows as one
        rows.append(f"{it.name} {gpus} {int(s.fabric_manager)} {int(s.nvlsm)} {_rdma_devices(node, it, m)}")
    return "\n".join(rows) + "\n"


def node_env(spec: BootstrapSpec, node: NodeContext, m: Matrix | None = None) -> dict[str, str]:
    """Settings for the node scripts (``/etc/gpufleet/node.env``)."""
    m = m or load_matrix()
    s = node_stack(_runs(spec, node, m), node.instance, m)
    repo = "ubuntu" + spec.os.split("-", 1)[1].replace(".", "")
    cuda = m.downloads["cuda-repo"]
    env = {
        "GPUFLEET_CLOUD": node.cloud,
        "GPUFLEET_REGION": node.region,
        "GPUFLEET_GROUP": node.group,
        "GPUFLEET_OS": spec.os,
        "GPUFLEET_DRIVER_KIND": s.driver_kind,
        "GPUFLEET_DRIVER_BRANCH": str(s.branch),
        "GPUFLEET_DRIVER_MODULES": s.modules,
        "GPUFLEET_FIRST_PINNING_BRANCH": str(FIRST_PINNING_BRANCH),
        "GPUFLEET_IMAGE_HAS_DRIVER": str(int(node.image_has_driver)),
        "GPUFLEET_CUDA": spec.cuda or "",
        "GPUFLEET_CUDA_PACKAGE": s.cuda.package if s.cuda else "",
        "GPUFLEET_CONTAINER_TOOLKIT": str(int(spec.container_toolkit)),
        "GPUFLEET_DCGM": str(int(spec.dcgm)),
        "GPUFLEET_HEALTH_CHECK": str(int(spec.health_check)),
        "GPUFLEET_DCGM_DIAG": str(int(spec.dcgm_diag)),
        "GPUFLEET_RDMA": CLOUD_RDMA[node.cloud] if node.rdma else "none",
        "GPUFLEET_HEALTH_PORT": str(health.HEALTH_PORT),
        "GPUFLEET_HEALTH_PATH": health.HEALTH_PATH,
        "GPUFLEET_HEALTH_UNHEALTHY_STATUS": str(health.UNHEALTHY_STATUS[node.cloud]),
        "GPUFLEET_BOOTSTRAP_DEADLINE_MIN": str(health.BOOTSTRAP_DEADLINE_MINUTES),
        "GPUFLEET_XID_NODE": " ".join(map(str, XID_NODE_FAULTS)),
        "GPUFLEET_XID_RESET": " ".join(map(str, XID_GPU_RESET)),
        "GPUFLEET_CUDA_REPO": cuda.url.format(repo=repo),
        "GPUFLEET_CUDA_KEY_URL": cuda.key_url.format(repo=repo),
        "GPUFLEET_CUDA_KEY_FPR": cuda.key_fingerprint,
    }
    if node.baked:
        env["GPUFLEET_MODE"] = "verify"
    if spec.container_toolkit:
        ctk = m.downloads["container-toolkit-repo"]
        env |= {
            "GPUFLEET_CTK_REPO": ctk.url,
            "GPUFLEET_CTK_KEY_URL": ctk.key_url,
            "GPUFLEET_CTK_KEY_FPR": ctk.key_fingerprint,
        }
    if s.grid is not None:
        env |= {"GPUFLEET_GRID_URL": s.grid.url, "GPUFLEET_GRID_VERSION": s.grid.version}
    c = node.cloud_node
    if node.cloud == "aws":
        cwa = m.downloads["cloudwatch-agent"]
        env |= {
            "GPUFLEET_CWA_URL": cwa.url,
            "GPUFLEET_CWA_KEY_URL": cwa.key_url,
            "GPUFLEET_CWA_KEY_FPR": cwa.key_fingerprint,
        }
        if node.rdma:
            efa = m.downloads["efa-installer"]
            env |= {
                "GPUFLEET_EFA_URL": efa.url,
                "GPUFLEET_EFA_KEY_URL": efa.key_url,
                "GPUFLEET_EFA_KEY_FPR": efa.key_fingerprint,
            }
            if efa.sha256:
                env["GPUFLEET_EFA_SHA256"] = efa.sha256
        aws_node = c if isinstance(c, AwsNode) else None
        hook = aws_node.lifecycle_hook_name if aws_node else None
        env |= {"GPUFLEET_ASG_NAME": aws_node.asg_name if aws_node else "", "GPUFLEET_LIFECYCLE_HOOK": hook or ""}
        if aws_node and hook:
            env["GPUFLEET_DRAIN_TIMEOUT"] = str(aws_node.drain_timeout_seconds)
    elif node.cloud == "azure":
        influx = m.downloads["influxdata-repo"]
        env |= {
            "GPUFLEET_INFLUX_REPO": influx.url,
            "GPUFLEET_INFLUX_KEY_URL": influx.key_url,
            "GPUFLEET_INFLUX_KEY_FPR": influx.key_fingerprint,
        }
        if isinstance(c, AzureNode) and c.identity_client_id:
            env["GPUFLEET_AZURE_CLIENT_ID"] = c.identity_client_id
    else:
        cms = m.downloads["cms-agent"]
        env |= {"GPUFLEET_CMS_URL": cms.url.format(region=node.region), "GPUFLEET_CMS_VERSION": cms.version}
        if node.rdma:
            erdma = m.downloads["erdma-installer"]
            env |= {"GPUFLEET_ERDMA_URL": erdma.url, "GPUFLEET_ERDMA_SHA256": erdma.sha256}
        if isinstance(c, AlicloudNode):
            if c.static_cluster:
                env["GPUFLEET_STATIC_CLUSTER"] = c.static_cluster
                if c.ecs_endpoint:
                    env["GPUFLEET_ECS_ENDPOINT"] = c.ecs_endpoint
            else:
                env["GPUFLEET_SCALING_GROUP_NAME"] = c.scaling_group_name
            if c.ess_endpoint and not c.static_cluster:
                env["GPUFLEET_ESS_ENDPOINT"] = c.ess_endpoint
            if node.rdma:
                if c.erdma_interfaces < 1 or not c.nccl_settings:
                    raise ValueError(
                        f"{node.group}: an eRDMA node needs erdma_interfaces >= 1 and nccl_settings "
                        f"(got {c.erdma_interfaces} and {dict(c.nccl_settings)}); build it with alicloud.launch"
                    )
                env["GPUFLEET_ERDMA_INTERFACES"] = str(c.erdma_interfaces)
                env["GPUFLEET_NCCL_SETTINGS"] = " ".join(f"{k}={v}" for k, v in c.nccl_settings.items())
    return env


def _runs(spec: BootstrapSpec, node: NodeContext, m: Matrix) -> BootstrapSpec:
    """``spec`` with the driver branch this node runs (the same decision validation made)."""
    pinned = effective_branch(spec, node.instance, m)
    branch = driver_on_node(pinned, node.image_has_driver, node.image_driver_branch).branch
    return spec if branch == pinned else spec.model_copy(update={"driver": str(branch)})


def _env_text(env: Mapping[str, str]) -> str:
    return "".join(f"{k}={shlex.quote(v)}\n" for k, v in env.items())


def node_files(spec: BootstrapSpec, node: NodeContext) -> list[NodeFile]:
    """Every file the node gets (minified as shipped), in install order."""
    m = load_matrix()
    c = node.cloud
    ship = [
        (LIB + "/common.sh", "gpufleet-common.sh", "0644"),
        (f"{LIB}/steps-{c}.sh", f"gpufleet-steps-{c}.sh", "0644"),
        (LIB + "/gpufleet_node.py", "gpufleet_node.py", "0644"),
        (f"{LIB}/gpufleet_{c}.py", f"gpufleet_{c}.py", "0644"),
        (SBIN + "/gpufleet-bootstrap", "gpufleet-bootstrap", "0755"),
        (SBIN + "/gpufleet-cloud", "gpufleet_cloud.py", "0755"),
        (SBIN + "/gpufleet-healthd", "gpufleet_healthd.py", "0755"),
        (UNITS + "/gpufleet-bootstrap.service", "gpufleet-bootstrap.service", "0644"),
        (UNITS + "/gpufleet-healthd.service", "gpufleet-healthd.service", "0644"),
    ]
    if spec.health_check:
        ship += [
            (SBIN + "/gpufleet-health", "gpufleet-health", "0755"),
            (UNITS + "/gpufleet-health.service", "gpufleet-health.service", "0644"),
            (UNITS + "/gpufleet-health.timer", "gpufleet-health.timer", "0644"),
        ]
    if _drain(node):
        ship += [
            (SBIN + "/gpufleet-drain", "gpufleet-drain", "0755"),
            (UNITS + "/gpufleet-drain.service", "gpufleet-drain.service", "0644"),
        ]
    files = [
        # In the bundle too: plain, it cost ~650 B more of AWS's 16 KB (gzip shares the dictionary).
        NodeFile(ENV_FILE, _env_text(node_env(spec, node, m)).encode()),
        NodeFile("/etc/gpufleet/types", types_table(spec, node, m).encode()),
    ]
    if not node.baked:  # a baked image already carries them (gpufleet.imagebuild.script)
        files += [NodeFile(path, _minified(name), mode) for path, name, mode in ship]
    if c == "aws":
        files.append(NodeFile("/etc/gpufleet/cloudwatch-agent.json", agents.cloudwatch_agent_config().encode()))
    elif c == "azure":
        files.append(NodeFile("/etc/gpufleet/telegraf.conf.in", agents.telegraf_config(node.region).encode()))
    return files


def _drain(node: NodeContext) -> bool:
    return isinstance(node.cloud_node, AwsNode) and bool(node.cloud_node.lifecycle_hook_name)


class _StripPython(ast.NodeTransformer):
    """Remove docstrings, annotations and ``if TYPE_CHECKING`` imports: the node needs none."""

    def __init__(self, keep_module_doc: bool) -> None:
        self.keep_module_doc = keep_module_doc

    def _undoc(self, body: list[ast.stmt]) -> list[ast.stmt]:
        first = body[0] if body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            return body[1:] or [ast.Pass()]
        return body

    def visit_Module(self, node: ast.Module) -> ast.Module:
        if not self.keep_module_doc:
            node.body = self._undoc(node.body)
        self.generic_visit(node)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:
        node.body = self._undoc(node.body)
        node.returns = None
        a = node.args
        for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]:
            if arg is not None:
                arg.annotation = None
        self.generic_visit(node)
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.ClassDef:
        node.body = self._undoc(node.body)
        self.generic_visit(node)
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.stmt | None:
        if node.value is None:
            return None
        return ast.Assign(targets=[node.target], value=node.value, lineno=node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.ImportFrom | None:
        # Names for annotations only (the scripts use typing and collections.abc for nothing else).
        return None if node.module in ("typing", "collections.abc") else node

    def visit_If(self, node: ast.If) -> ast.AST | list[ast.stmt]:
        if isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            return node.orelse
        self.generic_visit(node)
        return node


def _one_space_indent(code: str) -> str:
    """``ast.unparse`` indents by 4; one space per level is the same program in fewer bytes.
    Kept only if it parses to the same tree (a string spanning lines would differ)."""
    lines = [ln.lstrip(" ") for ln in code.splitlines()]
    short = "\n".join(" " * ((len(o) - len(n)) // 4) + n for o, n in zip(code.splitlines(), lines, strict=True))
    same = ast.dump(_parse(short)) == ast.dump(_parse(code))
    return short if same else code


def _parse(source: str | bytes) -> ast.Module:
    """``ast.parse``, once more if CPython 3.11 raises its spurious "AST constructor recursion
    depth mismatch" SystemError (python/cpython#106905; seen here on 3.11.7, once in a full test
    run): the source is valid, and a second parse of it succeeds."""
    try:
        return ast.parse(source)
    except SystemError as e:
        if "recursion depth mismatch" not in str(e):
            raise
        return ast.parse(source)


@functools.lru_cache(maxsize=256)
def minify(name: str, content: bytes) -> bytes:
    """Drop what only a reader or type checker needs (comments, docstrings, annotations,
    blank lines) so the scripts fit the user-data limit; the source ships in the package.
    Cached: the same few scripts are minified for every group of a plan."""
    if name.endswith(".py"):
        tree = _StripPython(keep_module_doc=b"__doc__" in content).visit(_parse(content))
        shebang = content.split(b"\n", 1)[0] + b"\n" if content.startswith(b"#!") else b""
        return shebang + _one_space_indent(ast.unparse(ast.fix_missing_locations(tree))).encode() + b"\n"
    text = content.decode()
    if name.endswith((".service", ".timer")):  # systemd: "#" starts a comment line
        return "".join(ln + "\n" for ln in text.splitlines() if ln.strip() and not ln.startswith("#")).encode()
    if not (text.startswith("#!/usr/bin/env bash") or text.startswith("# shellcheck shell=bash")):
        return content
    # Indentation goes too: the scripts have no here-documents or multi-line strings.
    keep = [
        line if i == 0 else line.lstrip()
        for i, line in enumerate(text.splitlines())
        if line.strip() and (i == 0 or line.lstrip().startswith("# shellcheck") or not line.lstrip().startswith("#"))
    ]
    # A directive's reason ("# shellcheck disable=SC2086  # why") is for the reader only.
    keep = [ln.split("  # ", 1)[0] if ln.startswith("# shellcheck") else ln for ln in keep]
    return ("\n".join(keep) + "\n").encode()


@functools.cache
def _minified(name: str) -> bytes:
    """The shipped form of a packaged script: static, so minified once per process."""
    return minify(name, _script(name))


def _kind(f: NodeFile) -> int:
    """Settings, Python, shell, units: like files next to each other share gzip's 32 KB window
    (measured: 86 B less gzip on AWS p6-b200 than the shipping order)."""
    if f.path.endswith((".service", ".timer")):
        return 3
    if f.path.startswith("/etc/"):
        return 0
    return 1 if f.content.startswith(b"#!/usr/bin/env python3") or f.path.endswith(".py") else 2


def bundle(files: Sequence[NodeFile]) -> bytes:
    """A reproducible tar of the files (fixed mtime and owner), for one gzip stream."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for f in sorted(files, key=_kind):
            info = tarfile.TarInfo(f.path.lstrip("/"))
            info.size, info.mode, info.mtime = len(f.content), int(f.permissions, 8), 0
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            tar.addfile(info, io.BytesIO(f.content))
    return buf.getvalue()


def _units(spec: BootstrapSpec, node: NodeContext) -> list[str]:
    units = ["gpufleet-healthd.service", "gpufleet-bootstrap.service"]
    if spec.health_check:
        units.append("gpufleet-health.timer")
    if _drain(node):
        units.append("gpufleet-drain.service")
    return units


# libyaml's emitter when PyYAML has it: the pure-Python one spends ~20 ms per node on the
# long base64 bundle. Both emit the same YAML.
_BaseDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[valid-type,misc]
    """Multi-line strings as literal blocks (``|``): readable settings, no doubled newlines."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _str)


def _gz_b64(data: bytes) -> str:
    return base64.b64encode(gzip.compress(data, compresslevel=9, mtime=0)).decode()


def render_cloud_config(spec: BootstrapSpec, node: NodeContext, *, check_size: bool = True) -> str:
    """A ``#cloud-config`` document for ``node``; raises UserDataTooLarge over the cloud's limit.

    Azure and Alibaba nodes get this as their user data. AWS nodes get a small loader instead
    (``gpufleet.aws.nodefiles``, size-checked there) that fetches the same files from S3, so the
    tests render AWS inline with ``check_size=False`` to run those files on stub nodes.

    ``write_files`` carries everything, settings included, as one gzip-compressed tar (one
    compression dictionary for all the files, which is smaller than compressing each file);
    ``runcmd`` unpacks it and starts the units.
    """
    files = node_files(spec, node)
    plain = [f for f in files if not f.compress]
    packed = [f for f in files if f.compress]
    doc = {
        "write_files": [
            *({"path": f.path, "permissions": f.permissions, "content": f.content.decode()} for f in plain),
            {"path": BUNDLE, "permissions": "0600", "encoding": "gz+b64", "content": _gz_b64(bundle(packed))},
        ],
        "runcmd": [
            ["tar", "-xf", BUNDLE, "-C", "/"],
            ["systemctl", "daemon-reload"],
            ["systemctl", "enable", "--now", "--no-block", *_units(spec, node)],
        ],
    }
    text = "#cloud-config\n" + yaml.dump(doc, Dumper=_Dumper, sort_keys=False, width=1 << 20, default_flow_style=None)
    if check_size:
        _check_size(text, node.cloud, files)
    return text


def _check_size(text: str, cloud: Cloud, files: Sequence[NodeFile] = ()) -> None:
    size, limit = len(text.encode("utf-8")), USER_DATA_LIMITS[cloud]
    if size > limit:
        # Each file's compressed size on its own: roughly what dropping it would save.
        raise UserDataTooLarge(cloud, size, limit, [(f.path, len(_gz_b64(f.content))) for f in files])


def encode_user_data(text: str, cloud: Cloud) -> str:
    """Base64 of ``text`` for the cloud's user-data field; refuses text over the limit."""
    _check_size(text, cloud)
    return base64.b64encode(text.encode("utf-8")).decode("ascii")
