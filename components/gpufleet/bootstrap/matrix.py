"""The driver-stack compatibility matrix: driver branch x CUDA x OS x GPU x instance family.

The facts are data (``bootstrap/data/*.csv``), each row with its source. This module
loads them, answers what a node needs (:func:`node_stack`), and refuses a group whose
combination is outside the matrix or known to be bad (:func:`check_bootstrap`, called by
``gpufleet.validation``). Nothing here imports Pulumi.

Decisions written down here:

- **End-of-life branches are refused.** NVIDIA ships no security fixes for them, and a
  fleet that outlives its branch cannot be patched. "End of life" is judged against
  :data:`REVIEWED_ON`, the date the data was last reviewed, not the wall clock, so a
  config that validates today validates tomorrow; bump the date when you review the data.
- **The fabric manager version is not a spec field.** It is derived on the node from the
  installed driver, so it cannot differ from it; the only way a spec can separate them is
  an image that ships an older driver than the pin, which :func:`check_bootstrap` refuses
  (a newer one wins over the pin: :func:`bootstrap_warnings`; see ``images.driver_on_node``).
- **Azure NVadsA10 v5 sizes need the GRID driver** that Azure publishes. On them the
  default branch is the newest GRID branch; an explicit branch must be one Azure publishes.
"""

from __future__ import annotations

import csv
import datetime as dt
import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from gpufleet.bootstrap.images import NodeDriver, driver_on_node, resolve_image
from gpufleet.catalog import Cloud, InstanceType
from gpufleet.errors import Problem
from gpufleet.spec import BootstrapSpec, GpuImageSpec, GroupSpec

REVIEWED_ON = dt.date(2026, 11, 24)
"""When the data files were last checked against their sources (end-of-life cut-off)."""

REVIEW_MAX_AGE_DAYS = 120
"""A review older than this warns: NVIDIA ships a new driver branch or CUDA minor about every
quarter, so an older matrix likely misses one (issue 17 item 10)."""


def review_age_warning(today: dt.date | None = None) -> str | None:
    """A warning when the matrix was reviewed more than REVIEW_MAX_AGE_DAYS before ``today``
    (tests pass the date: the suite must not start failing as time passes)."""
    age = ((today or dt.date.today()) - REVIEWED_ON).days
    if age <= REVIEW_MAX_AGE_DAYS:
        return None
    return (
        f"the driver/CUDA compatibility matrix was reviewed on {REVIEWED_ON} ({age} days ago, more than "
        f"{REVIEW_MAX_AGE_DAYS}): newer CUDA releases or driver branches may be refused as unknown and "
        "end-of-life dates may have passed. Update gpufleet, or see docs/bootstrap.md to review the matrix"
    )


FIRST_PINNING_BRANCH = 580
"""From R580 NVIDIA's apt repo pins a branch with ``nvidia-driver-pinning-<branch>`` and
ships unversioned ``nvidia-open``/``cuda-drivers``/``nvidia-fabricmanager`` (pinned to the
exact driver version); up to R575 the packages carry the branch in their name
[DOC: NVIDIA Driver Installation Guide r590, "Version locking packages for Ubuntu/Debian";
Azure/azhpc-images install_nvidia_fabric_manager.sh: ``>= 580 -> nvidia-fabricmanager``]."""

DriverKind = Literal["datacenter", "grid-azure"]
KernelModules = Literal["open", "proprietary"]


@dataclass(frozen=True)
class DriverBranch:
    """One NVIDIA data-center driver branch (drivers.csv)."""

    branch: int
    status: str
    eol: dt.date
    source: str

    @property
    def supported(self) -> bool:
        return self.eol > REVIEWED_ON


@dataclass(frozen=True)
class CudaRelease:
    """A CUDA toolkit release and the driver it needs (cuda.csv)."""

    version: str
    min_driver: str
    os: frozenset[str]
    """Operating systems NVIDIA's apt repo publishes it for."""
    source: str

    @property
    def min_branch(self) -> int:
        return int(self.min_driver.split(".", 1)[0])

    @property
    def package(self) -> str:
        """The apt package, e.g. ``cuda-toolkit-12-8``."""
        return "cuda-toolkit-" + self.version.replace(".", "-")


@dataclass(frozen=True)
class GpuSupport:
    """The driver branches a GPU model works with (gpus.csv)."""

    gpu: str
    arch: str
    min_branch: int
    last_branch: int | None
    kernel_modules: str
    """``open`` (open preferred), ``open-only`` or ``proprietary``."""
    source: str

    @property
    def modules(self) -> KernelModules:
        return "proprietary" if self.kernel_modules == "proprietary" else "open"


@dataclass(frozen=True)
class FamilyFacts:
    """What an instance type needs beyond its GPU (families.csv)."""

    fabric_manager: bool
    nvlsm: bool
    driver_kind: DriverKind
    rdma_devices: int | None
    """RDMA devices the health check expects; None: use the catalog (AWS) or 1."""
    source: str


@dataclass(frozen=True)
class GridDriver:
    """A GRID (vGPU guest) driver build that Azure publishes (grid.csv)."""

    branch: int
    version: str
    vgpu: str
    url: str
    source: str


@dataclass(frozen=True)
class KnownBad:
    """A combination refused with a reason (known_bad.csv). Fields are glob patterns."""

    driver: str
    cuda: str
    os: str
    gpu: str
    reason: str
    source: str

    def matches(self, driver: str, cuda: str | None, os: str, gpu: str) -> bool:
        return (
            fnmatch.fnmatchcase(driver, self.driver)
            and (self.cuda == "*" or (cuda is not None and fnmatch.fnmatchcase(cuda, self.cuda)))
            and fnmatch.fnmatchcase(os, self.os)
            and fnmatch.fnmatchcase(gpu, self.gpu)
        )


@dataclass(frozen=True)
class Download:
    """A pinned download or apt repository key (downloads.csv)."""

    name: str
    version: str
    url: str
    sha256: str
    key_url: str
    key_fingerprint: str
    source: str


NO_FAMILY = FamilyFacts(False, False, "datacenter", None, "no families.csv row: PCIe GPUs, no fabric manager")


@dataclass(frozen=True)
class Matrix:
    """Every table of the compatibility matrix."""

    drivers: Mapping[int, DriverBranch]
    cuda: Mapping[str, CudaRelease]
    gpus: Mapping[str, GpuSupport]
    families: Mapping[Cloud, tuple[tuple[str, FamilyFacts], ...]]
    grid: Mapping[int, GridDriver]
    known_bad: tuple[KnownBad, ...]
    downloads: Mapping[str, Download]

    def family(self, it: InstanceType) -> FamilyFacts:
        """The first families.csv row whose pattern matches the type's name."""
        for pattern, facts in self.families.get(it.cloud, ()):
            if fnmatch.fnmatchcase(it.name, pattern):
                return facts
        return NO_FAMILY

    def supported_branches(self) -> list[int]:
        return sorted(b for b, d in self.drivers.items() if d.supported)

    def default_grid(self) -> GridDriver:
        return self.grid[max(self.grid)]


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("gpufleet.bootstrap").joinpath("data", name).read_text(encoding="utf-8")
    return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(text.splitlines())]


def _yes(v: str) -> bool:
    if v not in ("yes", "no"):
        raise ValueError(f"expected yes/no, got {v!r}")
    return v == "yes"


@cache
def load_matrix() -> Matrix:
    """Load the bundled data files (cached; they ship with the package)."""
    drivers = {
        int(r["branch"]): DriverBranch(int(r["branch"]), r["status"], dt.date.fromisoformat(r["eol"]), r["source"])
        for r in _rows("drivers.csv")
    }
    cuda = {
        r["cuda"]: CudaRelease(
            r["cuda"],
            r["min_driver"],
            frozenset(os for os in ("ubuntu-22.04", "ubuntu-24.04") if _yes(r[os])),
            r["source"],
        )
        for r in _rows("cuda.csv")
    }
    gpus = {
        r["gpu"]: GpuSupport(
            r["gpu"],
            r["arch"],
            int(r["min_branch"]),
            int(r["last_branch"]) if r["last_branch"] else None,
            r["kernel_modules"],
            r["source"],
        )
        for r in _rows("gpus.csv")
    }
    families: dict[Cloud, list[tuple[str, FamilyFacts]]] = {}
    for r in _rows("families.csv"):
        kind = r["driver_kind"]
        if kind not in ("datacenter", "grid-azure"):
            raise ValueError(f"families.csv: unknown driver_kind {kind!r}")
        cloud = r["cloud"]
        if cloud not in ("aws", "azure", "alicloud"):
            raise ValueError(f"families.csv: unknown cloud {cloud!r}")
        facts = FamilyFacts(
            _yes(r["fabric_manager"]),
            _yes(r["nvlsm"]),
            "grid-azure" if kind == "grid-azure" else "datacenter",
            int(r["rdma_devices"]) if r["rdma_devices"] else None,
            r["source"],
        )
        families.setdefault(cloud, []).append((r["pattern"], facts))  # type: ignore[arg-type]
    grid = {
        int(r["branch"]): GridDriver(int(r["branch"]), r["version"], r["vgpu"], r["url"], r["source"])
        for r in _rows("grid.csv")
    }
    known_bad = tuple(
        KnownBad(r["driver"], r["cuda"], r["os"], r["gpu"], r["reason"], r["source"]) for r in _rows("known_bad.csv")
    )
    downloads = {r["name"]: Download(**r) for r in _rows("downloads.csv")}
    return Matrix(drivers, cuda, gpus, {c: tuple(v) for c, v in families.items()}, grid, known_bad, downloads)


# -- what a node needs --------------------------------------------------------------------


@dataclass(frozen=True)
class NodeStack:
    """The driver stack one instance type needs under a bootstrap spec."""

    driver_kind: DriverKind
    branch: int
    modules: KernelModules
    fabric_manager: bool
    nvlsm: bool
    rdma_devices: int | None
    grid: GridDriver | None
    cuda: CudaRelease | None


def effective_branch(spec: BootstrapSpec, it: InstanceType, m: Matrix | None = None) -> int:
    """The driver branch a node installs: the spec's, except that on GRID sizes an
    unset ``driver`` means the newest GRID branch Azure publishes."""
    m = m or load_matrix()
    if m.family(it).driver_kind == "grid-azure" and "driver" not in spec.model_fields_set:
        return m.default_grid().branch
    return int(spec.driver)


def node_stack(spec: BootstrapSpec, it: InstanceType, m: Matrix | None = None) -> NodeStack:
    """What ``it`` needs. Assumes :func:`check_bootstrap` passed; falls back to safe
    defaults (open modules, no fabric manager) for data the matrix lacks."""
    m = m or load_matrix()
    fam = m.family(it)
    branch = effective_branch(spec, it, m)
    gpu = m.gpus.get(it.gpu_model or "")
    return NodeStack(
        driver_kind=fam.driver_kind,
        branch=branch,
        modules=gpu.modules if gpu else "open",
        fabric_manager=fam.fabric_manager,
        nvlsm=fam.nvlsm,
        rdma_devices=fam.rdma_devices,
        grid=m.grid.get(branch) if fam.driver_kind == "grid-azure" else None,
        cuda=m.cuda.get(spec.cuda) if spec.cuda else None,
    )


# -- spec refusal -------------------------------------------------------------------------


def check_bootstrap(
    group: GroupSpec, types: Sequence[InstanceType], path: str = "group", images: tuple[GpuImageSpec, ...] = ()
) -> list[Problem]:
    """Problems with ``group.bootstrap`` on ``types`` (the group's resolved instance types).

    Refuses: unknown or end-of-life driver branches, unknown CUDA versions, CUDA that
    needs a newer driver or is not published for the OS, GPUs outside their driver
    range, GRID sizes on a branch Azure does not publish, groups whose types need
    different drivers, known-bad combinations, and an image that ships another driver.
    """
    m = load_matrix()
    bp = f"{path}.bootstrap"
    node = node_driver(group, types, m, images)
    out: list[Problem] = [Problem(f"{bp}.driver", node.problem)] if node.problem else []
    b = _runs(group.bootstrap, node.branch)  # the branch nodes run: a newer image driver wins
    supported = ", ".join(f"'{x}'" for x in m.supported_branches())

    stacks = [(j, it, node_stack(b, it, m)) for j, it in enumerate(types)]
    kinds = {s.driver_kind for _, _, s in stacks}
    if len(kinds) > 1 or len({s.modules for _, _, s in stacks}) > 1:
        names = ", ".join(f"{it.name} ({s.driver_kind}, {s.modules} modules)" for _, it, s in stacks)
        out.append(
            Problem(f"{path}.gpu", f"the instance types need different NVIDIA drivers: {names}; split the group")
        )
        return out

    # The pin must hold on its own (a node whose image lacks the driver installs it) and so
    # must the branch the image runs instead.
    pinned = {effective_branch(group.bootstrap, it, m) for it in types}
    branches = {s.branch for _, _, s in stacks} | pinned or {int(b.driver)}
    for branch in sorted(branches):
        grid = kinds == {"grid-azure"}
        if grid:
            if branch not in m.grid:
                offered = ", ".join(f"'{g.branch}' ({g.version}, vGPU {g.vgpu})" for g in m.grid.values())
                out.append(
                    Problem(
                        f"{bp}.driver",
                        f"{types[0].name} needs the GRID (vGPU guest) driver that Azure publishes, and Azure "
                        f"publishes it for branches {offered} only, not '{branch}' [Azure/azhpc-extensions "
                        f"NvidiaGPU/resources.json]. "
                        f"Set bootstrap.driver to '{m.default_grid().branch}' or leave it unset",
                    )
                )
                continue
            # The GRID build follows its data-center branch's lifecycle (R570 ended Feb 2026);
            # vGPU's own lifecycle for it is UNVERIFIED.
            d = m.drivers.get(branch)
            if d is not None and not d.supported:
                out.append(
                    Problem(
                        f"{bp}.driver",
                        f"GRID driver branch R{branch} reached end of life on {d.eol} [{d.source}]; it gets no "
                        f"security fixes. Set bootstrap.driver to '{m.default_grid().branch}' or leave it unset",
                    )
                )
        else:
            d = m.drivers.get(branch)
            if d is None:
                out.append(
                    Problem(
                        f"{bp}.driver",
                        f"'{branch}' is not an NVIDIA data-center driver branch gpufleet knows. "
                        f"Supported: {supported} ('580' is the long-term support branch)",
                    )
                )
                continue
            if not d.supported:
                out.append(
                    Problem(
                        f"{bp}.driver",
                        f"driver branch R{branch} ({d.status}) reached end of life on {d.eol} [{d.source}]; "
                        f"it gets no security fixes. Use {supported} ('580' is supported until "
                        f"{m.drivers[580].eol})",
                    )
                )
        out += _cuda_problems(b, branch, bp, m)
        for j, it, _ in stacks:
            out += _gpu_problems(group, it, j, branch, path, m, grid)
    return _dedupe(out)


def _cuda_problems(b: BootstrapSpec, branch: int, bp: str, m: Matrix) -> list[Problem]:
    if b.cuda is None:
        return []
    c = m.cuda.get(b.cuda)
    if c is None:
        return [
            Problem(
                f"{bp}.cuda",
                f"CUDA '{b.cuda}' is not in the compatibility matrix. Known: {', '.join(sorted(m.cuda, key=_ver))}",
            )
        ]
    out = []
    if c.min_branch > branch:
        newer = [x for x in m.supported_branches() if x >= c.min_branch]
        fix = f"set bootstrap.driver to '{newer[0]}'" if newer else "no supported branch is new enough"
        out.append(
            Problem(
                f"{bp}.cuda",
                f"CUDA {c.version} needs driver >= {c.min_driver} (branch {c.min_branch} or newer), but "
                f"bootstrap.driver is '{branch}' [{c.source}]. Either {fix}, or pick an older CUDA",
            )
        )
    if b.os not in c.os:
        ok = sorted((v for v, r in m.cuda.items() if b.os in r.os), key=_ver)
        out.append(
            Problem(
                f"{bp}.cuda",
                f"NVIDIA publishes no CUDA {c.version} packages for {b.os} [{c.source}]. "
                f"CUDA for {b.os}: {', '.join(ok)}",
            )
        )
    return out


def _gpu_problems(
    group: GroupSpec, it: InstanceType, j: int, branch: int, path: str, m: Matrix, grid: bool
) -> list[Problem]:
    b = group.bootstrap
    where = f"{path}.gpu.instanceTypes[{j}]" if group.gpu.instance_types else f"{path}.gpu"
    if it.gpu_model is None:
        return [
            Problem(
                where,
                f"the catalog does not name the GPU of '{it.name}', so gpufleet cannot check which driver, "
                "CUDA and fabric manager it needs; choose a type whose GPU the catalog names",
            )
        ]
    g = m.gpus.get(it.gpu_model)
    if g is None:
        return [Problem(where, f"{it.gpu_model} ('{it.name}') is not in the driver compatibility matrix")]
    out = []
    if branch < g.min_branch:
        out.append(
            Problem(
                f"{path}.bootstrap.driver",
                f"{it.gpu_model} ({g.arch}, '{it.name}') needs driver branch {g.min_branch} or newer, "
                f"not '{branch}' [{g.source}]",
            )
        )
    if g.last_branch is not None and branch > g.last_branch and not grid:
        out.append(
            Problem(
                f"{path}.bootstrap.driver",
                f"{it.gpu_model} ({g.arch}, '{it.name}') is not supported after branch {g.last_branch}; "
                f"'{branch}' does not drive it [{g.source}]. Use '{g.last_branch}'",
            )
        )
    for bad in m.known_bad:
        if bad.matches(str(branch), b.cuda, b.os, it.gpu_model):
            field = "cuda" if bad.cuda != "*" else "driver"
            out.append(Problem(f"{path}.bootstrap.{field}", f"{bad.reason} ('{it.name}') [{bad.source}]"))
    return out


def node_driver(
    group: GroupSpec, types: Sequence[InstanceType], m: Matrix | None = None, images: tuple[GpuImageSpec, ...] = ()
) -> NodeDriver:
    """The driver branch the group's nodes run on its image (``images.driver_on_node``)."""
    m = m or load_matrix()
    b = group.bootstrap
    image = resolve_image(b, group.cloud, group.rdma, images)
    pinned = effective_branch(b, types[0], m) if types else int(b.driver)
    label = f"the {'default ' if b.image is None else ''}image {image.name}"
    return driver_on_node(pinned, image.driver_included, image.driver_branch, label, exact=image.kind == "baked")


def bootstrap_warnings(
    group: GroupSpec, types: Sequence[InstanceType], path: str = "group", images: tuple[GpuImageSpec, ...] = ()
) -> list[Problem]:
    """What validation shows without refusing: an image driver that wins over the pin."""
    node = node_driver(group, types, images=images)
    return [Problem(f"{path}.bootstrap.driver", node.warning)] if node.warning else []


def _runs(spec: BootstrapSpec, branch: int) -> BootstrapSpec:
    """``spec`` with the branch nodes run (unchanged when that is the pin)."""
    return spec if str(branch) == spec.driver else spec.model_copy(update={"driver": str(branch)})


def _ver(v: str) -> tuple[int, ...]:
    return tuple(int(x) for x in v.split("."))


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    out = []
    for p in problems:
        key = (p.path, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
