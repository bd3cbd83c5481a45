"""The compatibility matrix: its data files hold together, and the spec refuses
combinations outside it or known to be bad, with the field path and a way out."""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import re
from typing import Any

import pytest

from gpufleet.bootstrap.matrix import REVIEWED_ON, load_matrix, node_stack
from gpufleet.catalog import Catalog
from gpufleet.errors import ConfigError
from gpufleet.spec import BootstrapSpec
from gpufleet.validation import validate_fleet
from helpers import fleet

M = load_matrix()


def problems(catalog: Catalog, **group: Any) -> list[str]:
    try:
        validate_fleet(fleet(group), catalog)
    except ConfigError as e:
        return [str(p) for p in e.problems]
    return []


# -- the data ------------------------------------------------------------------------------


def test_every_row_has_a_source() -> None:
    rows = [*M.drivers.values(), *M.cuda.values(), *M.gpus.values(), *M.grid.values(), *M.known_bad]
    rows += [f for fams in M.families.values() for _, f in fams]
    rows += list(M.downloads.values())
    assert all(len(r.source) > 10 for r in rows)


def test_every_named_catalog_gpu_is_in_the_matrix(catalog: Catalog) -> None:
    models = {i.gpu_model for i in catalog.find() if i.gpu_model}
    assert models <= set(M.gpus), models - set(M.gpus)


def test_every_family_pattern_matches_a_catalog_type(catalog: Catalog) -> None:
    # A typo in families.csv would silently drop the fabric manager from a type.
    for cloud, rows in M.families.items():
        for pattern, _ in rows:
            assert any(fnmatch.fnmatchcase(i.name, pattern) for i in catalog.find(cloud=cloud)), pattern


def test_nvswitch_baseboards_need_the_fabric_manager_and_pcie_types_do_not(catalog: Catalog) -> None:
    fm = {i.name for i in catalog.find() if M.family(i).fabric_manager}
    # Every type the catalog itself marks nvswitch with a full 8-GPU board needs FM...
    assert {i.name for i in catalog.find() if i.interconnect == "nvswitch" and i.gpu_count == 8} <= fm
    # ...and so do the HGX boards the catalog records as "nvlink" (scripts/catalog-sources/SOURCES.md note).
    assert {"p5.48xlarge", "p5e.48xlarge", "p5en.48xlarge", "p6-b200.48xlarge", "Standard_ND96isr_H100_v5"} <= fm
    assert not {"p5.4xlarge", "g6.xlarge", "Standard_NV36ads_A10_v5", "ecs.gn8is-8x.32xlarge"} & fm
    assert M.family(catalog.instance("aws", "p6-b200.48xlarge")).nvlsm  # type: ignore[arg-type]


def test_downloads_are_pinned_with_checksums_or_signing_keys() -> None:
    for d in M.downloads.values():
        assert d.sha256 == "" or re.fullmatch(r"[0-9a-f]{64}", d.sha256), d.name
        assert d.key_fingerprint == "" or re.fullmatch(r"[0-9A-F]{40}", d.key_fingerprint), d.name
    assert M.downloads["erdma-installer"].sha256, "Alibaba publishes it; the mirror is plain HTTP"
    assert M.downloads["efa-installer"].version == "1.51.0" and M.downloads["efa-installer"].key_url


def test_end_of_life_is_judged_against_the_review_date() -> None:
    assert [b for b, d in sorted(M.drivers.items()) if d.supported] == [580, 595, 620]
    assert all(d.eol <= REVIEWED_ON for b, d in M.drivers.items() if b in (535, 550, 570, 610))


# -- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "path", "fragment"),
    [
        # CUDA 13.1 needs driver 590.44.01; the pinned LTS branch is older.
        (
            {"gpu": {"instanceTypes": ["p5.48xlarge"]}, "bootstrap": {"driver": "580", "cuda": "13.1"}},
            "groups[0].bootstrap.cuda",
            "CUDA 13.1 needs driver >= 590.44.01 (branch 590 or newer), but bootstrap.driver is '580'",
        ),
        # R570 reached end of life in February 2026.
        (
            {"gpu": {"instanceTypes": ["p5.48xlarge"]}, "bootstrap": {"driver": "570"}},
            "groups[0].bootstrap.driver",
            "driver branch R570 (production) reached end of life on 2026-02-28",
        ),
        (
            {"gpu": {"instanceTypes": ["g6.xlarge"]}, "bootstrap": {"driver": "999"}},
            "groups[0].bootstrap.driver",
            "'999' is not",
        ),
        (
            {"gpu": {"instanceTypes": ["g6.xlarge"]}, "bootstrap": {"cuda": "12.7"}},
            "groups[0].bootstrap.cuda",
            "not in the",
        ),
        # No CUDA 12.4 packages for Ubuntu 24.04.
        (
            {"gpu": {"instanceTypes": ["g6.xlarge"]}, "bootstrap": {"cuda": "12.4", "os": "ubuntu-24.04"}},
            "groups[0].bootstrap.cuda",
            "NVIDIA publishes no CUDA 12.4 packages for ubuntu-24.04",
        ),
        # Volta is not driven after R580, and CUDA 13 dropped it.
        (
            {"gpu": {"instanceTypes": ["p3.2xlarge"]}, "bootstrap": {"driver": "595"}},
            "groups[0].bootstrap.driver",
            "V100-16GB (Volta, 'p3.2xlarge') is not supported after branch 580",
        ),
        (
            {"gpu": {"instanceTypes": ["p3.2xlarge"]}, "bootstrap": {"cuda": "13.0"}},
            "groups[0].bootstrap.cuda",
            "CUDA 13 dropped support for Volta (V100)",
        ),
        # HGX B200 needs R570+; R535 is also end of life: both are said.
        (
            {"gpu": {"instanceTypes": ["p6-b200.48xlarge"]}, "bootstrap": {"driver": "535"}},
            "groups[0].bootstrap.driver",
            "B200 (Blackwell, 'p6-b200.48xlarge') needs driver branch 570 or newer",
        ),
    ],
)
def test_bad_combinations_are_refused_with_path_and_fix(
    catalog: Catalog, group: dict[str, Any], path: str, fragment: str
) -> None:
    msgs = problems(catalog, **group)
    assert any(m.startswith(path + ": ") and fragment in m for m in msgs), msgs


def test_the_default_branch_validates_everywhere_gpufleet_has_data(catalog: Catalog) -> None:
    # 580 (the default) drives every named GPU in the catalog, except on the GRID sizes.
    for it in catalog.find():
        if it.gpu_model is None or M.family(it).driver_kind == "grid-azure":
            continue
        s = node_stack(BootstrapSpec(), it)
        g = M.gpus[it.gpu_model]
        assert g.min_branch <= s.branch <= (g.last_branch or 10_000), it.name


def test_grid_sizes_default_to_azures_newest_grid_branch(catalog: Catalog) -> None:
    nv = {"cloud": "azure", "region": "eastus", "zones": ["1"], "gpu": {"instanceTypes": ["Standard_NV36ads_A10_v5"]}}
    access = {"access": {"sshPublicKeys": [_key()]}}
    assert problems(catalog, **nv, **access) == []
    # Azure still publishes GRID 570 (vGPU 18.6), but its branch reached end of life (drivers.csv).
    assert problems(catalog, **nv, **access, bootstrap={"driver": "570"}) == [
        "groups[0].bootstrap.driver: GRID driver branch R570 reached end of life on 2026-02-28 "
        f"[{M.drivers[570].source}]; it gets no security fixes. Set bootstrap.driver to '595' or leave it unset"
    ]
    msgs = problems(catalog, **nv, **access, bootstrap={"driver": "580"})
    assert msgs == [
        "groups[0].bootstrap.driver: Standard_NV36ads_A10_v5 needs the GRID (vGPU guest) driver that Azure publishes, "
        "and Azure publishes it for branches '595' (595.58.03, vGPU 20.0), '570' (570.211.01, vGPU 18.6) only, not "
        "'580' [Azure/azhpc-extensions NvidiaGPU/resources.json]. Set bootstrap.driver to '595' or leave it unset"
    ]
    s = node_stack(BootstrapSpec(), catalog.instance("azure", "Standard_NV36ads_A10_v5"))  # type: ignore[arg-type]
    assert (s.driver_kind, s.branch, s.grid and s.grid.version) == ("grid-azure", 595, "595.58.03")


def test_an_image_driver_older_than_the_pin_is_refused_on_nvswitch(catalog: Catalog) -> None:
    # The default Azure HPC image ships R580: pinning 595 would leave driver and FM apart.
    group = {
        "cloud": "azure",
        "region": "eastus",
        "zones": ["1"],
        "gpu": {"instanceTypes": ["Standard_ND96isr_H100_v5"]},
        "rdma": True,
        "bootstrap": {"driver": "595"},
        "access": {"sshPublicKeys": [_key()]},
    }
    msgs = problems(catalog, **group)
    assert any(
        m.startswith("groups[0].bootstrap.driver: the default image Microsoft Ubuntu-HPC")
        and "ships driver R580, older than the pinned '595'" in m
        and "every node would fail its driver step" in m
        for m in msgs
    ), msgs
    # With an image of its own that has no driver, gpufleet installs 595 and its FM.
    group["bootstrap"] = {"driver": "595", "image": {"id": "Canonical:ubuntu-24_04-lts:server:latest"}}
    assert problems(catalog, **group) == []


# -- the image's driver against the pin (images.driver_on_node) -----------------------------
# The default DLAMI's branch is R595: nvidia_driver 595.91.07 in the 2026-09/10 DLAMI Base OSS
# release notes (ARM64 pages; x86_64 UNVERIFIED), recorded in bootstrap/images.py.
H100_EFA = {"gpu": {"instanceTypes": ["p5.48xlarge"]}, "rdma": True, "zones": ["us-east-1a"]}


def _validated(catalog: Catalog, **group: Any) -> tuple[list[str], list[str]]:
    try:
        result = validate_fleet(fleet(group), catalog)
    except ConfigError as e:
        return [str(p) for p in e.problems], []
    return [], [str(w) for w in result.warnings]


def test_a_pin_newer_than_the_default_dlami_is_refused(catalog: Catalog) -> None:
    # Reproduction of issue 17.3: driver "620" validated, then every node failed and was replaced.
    errors, _ = _validated(catalog, **H100_EFA, bootstrap={"driver": "620"})
    assert any(
        m.startswith("groups[0].bootstrap.driver: the default image DLAMI Base OSS Nvidia Driver GPU")
        and "ships driver R595, older than the pinned '620'" in m
        for m in errors
    ), errors


def test_a_pin_older_than_the_default_dlami_warns_and_checks_what_runs(catalog: Catalog) -> None:
    # The default 580 on a 595 image: the node keeps 595. Validation says so instead of silence.
    errors, warnings = _validated(catalog, **H100_EFA, bootstrap={"driver": "580"})
    assert errors == []
    assert [w for w in warnings if ".bootstrap.driver" in w] == [
        "groups[0].bootstrap.driver: the default image DLAMI Base OSS Nvidia Driver GPU (ubuntu-22.04) ships driver "
        "R595, newer than the pinned '580': nodes keep R595 (the bootstrap never downgrades an image's driver), and "
        "the GPU and CUDA checks use R595. Pin driver '595' to say so, or set bootstrap.image to an image without a "
        "driver (driverIncluded: false) to install '580'"
    ]
    # Matching the image's branch, or an image without a driver: nothing to say.
    errors, warnings = _validated(catalog, **H100_EFA, bootstrap={"driver": "595"})
    assert (errors, [w for w in warnings if ".bootstrap." in w]) == ([], [])
    own = {"driver": "580", "image": {"id": "ami-0123456789abcdef0"}}
    assert not [w for w in _validated(catalog, **H100_EFA, bootstrap=own)[1] if ".bootstrap.driver" in w]


def test_volta_is_refused_on_the_default_dlami_driver(catalog: Catalog) -> None:
    # V100's last branch is R580 (gpus.csv); the default DLAMI runs R595 whatever the pin says.
    errors, _ = _validated(catalog, gpu={"instanceTypes": ["p3.2xlarge"]})
    assert any("V100" in m and "not supported after branch 580" in m for m in errors), errors
    # On an image without a driver, gpufleet installs 580 and V100 is fine.
    assert _validated(catalog, gpu={"instanceTypes": ["p3.2xlarge"]}, bootstrap={"image": {"id": "ami-1"}})[0] == []


@pytest.mark.parametrize(
    ("pinned", "has_driver", "image_branch", "runs", "warns", "refuses"),
    [
        (580, False, None, 580, False, False),  # no driver on the image: gpufleet installs the pin
        (580, True, None, 580, False, False),  # unrecorded branch: the node checks it at boot
        (580, True, 580, 580, False, False),  # same branch
        (580, True, 595, 595, True, False),  # image newer: it wins, with a warning
        (620, True, 595, 620, False, True),  # image older: refused
    ],
)
def test_driver_on_node(
    pinned: int, has_driver: bool, image_branch: int | None, runs: int, warns: bool, refuses: bool
) -> None:
    from gpufleet.bootstrap.images import driver_on_node

    d = driver_on_node(pinned, has_driver, image_branch)
    assert (d.branch, d.warning is not None, d.problem is not None) == (runs, warns, refuses)


def test_unnamed_gpus_and_mixed_drivers_are_refused(catalog: Catalog) -> None:
    msgs = problems(
        catalog,
        cloud="alicloud",
        region="cn-hangzhou",
        zones=["cn-hangzhou-k"],
        gpu={"instanceTypes": ["ecs.gn8v.4xlarge"]},
    )
    assert any(
        "groups[0].gpu.instanceTypes[0]: the catalog does not name the GPU of 'ecs.gn8v.4xlarge'" in m for m in msgs
    )
    # V100 (proprietary modules) and T4 (open modules) cannot share one driver install.
    msgs = problems(catalog, gpu={"instanceTypes": ["p3.2xlarge", "g4dn.xlarge"]})
    assert any(m.startswith("groups[0].gpu: the instance types need different NVIDIA drivers") for m in msgs), msgs


def _key() -> str:
    import base64

    def s(b: bytes) -> bytes:
        return len(b).to_bytes(4, "big") + b

    return "ssh-ed25519 " + base64.b64encode(s(b"ssh-ed25519") + s(bytes(32))).decode()


# -- matrix freshness (issue 17 item 10) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("driver", "cuda", "refused"),
    [("595", "13.2", None), ("620", "13.3", None), ("595", "13.3", "CUDA 13.3 needs driver >= 610.43.02")],
)
def test_cuda_13_2_and_13_3_are_in_the_matrix_with_their_minimum_drivers(
    catalog: Catalog, driver: str, cuda: str, refused: str | None
) -> None:
    # NVIDIA release notes Table 3: 13.2 GA >= 595.45.04, 13.3 GA >= 610.43.02 (R610 is past its
    # end of life, so 13.3 needs R620).
    bootstrap = {"driver": driver, "cuda": cuda, "image": {"id": "ami-0123456789abcdef0", "driverIncluded": False}}
    msgs = problems(catalog, gpu={"instanceTypes": ["p5.48xlarge"]}, bootstrap=bootstrap)
    if refused is None:
        assert msgs == []
    else:
        assert any(refused in m for m in msgs), msgs


def test_a_matrix_review_older_than_120_days_warns_with_an_injected_date() -> None:
    from gpufleet.bootstrap.matrix import REVIEW_MAX_AGE_DAYS, review_age_warning

    assert review_age_warning(REVIEWED_ON + dt.timedelta(days=REVIEW_MAX_AGE_DAYS)) is None
    stale = review_age_warning(REVIEWED_ON + dt.timedelta(days=REVIEW_MAX_AGE_DAYS + 1))
    assert stale is not None and f"reviewed on {REVIEWED_ON} (121 days ago, more than 120)" in stale


def test_plan_shows_the_stale_matrix_warning_as_of_its_date() -> None:
    from typer.testing import CliRunner

    from gpufleet.cli import app

    def warnings(as_of: dt.date) -> list[str]:
        args = ["plan", "--stack", "aws-inference-l4-spot", "--format", "json", "--as-of", as_of.isoformat()]
        return [str(w) for w in json.loads(CliRunner().invoke(app, args).stdout)["warnings"]]

    assert not any("compatibility matrix" in w for w in warnings(REVIEWED_ON))
    assert any("compatibility matrix was reviewed" in w for w in warnings(REVIEWED_ON + dt.timedelta(days=200)))
