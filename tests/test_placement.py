"""Placement: the indexed search equals the brute-force optimum over the catalog."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from types import ModuleType

from hypothesis import given, settings
from hypothesis import strategies as st

from gpufleet.catalog import CLOUDS, load_catalog
from gpufleet.placement import Request, place
from helpers import ROOT


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_placement", ROOT / "bench" / "placement.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BENCH = _bench()
CAT = load_catalog()
MODELS = sorted({i.gpu_model for i in CAT.instances if i.gpu_model})
REGIONS = sorted({p.region for p in CAT.prices})


@settings(max_examples=300, deadline=None)
@given(
    model=st.sampled_from(MODELS),
    per_node=st.sampled_from([1, 2, 4, 8]),
    nodes=st.integers(min_value=1, max_value=40),
    clouds=st.sets(st.sampled_from(CLOUDS), min_size=1).map(lambda s: tuple(sorted(s))),
    regions=st.lists(st.sampled_from(REGIONS), max_size=4).map(tuple),
    rdma=st.booleans(),
    spot=st.booleans(),
)
def test_place_equals_brute_force(
    model: str, per_node: int, nodes: int, clouds: tuple[str, ...], regions: tuple[str, ...], rdma: bool, spot: bool
) -> None:
    req = Request(model, per_node, per_node * nodes, clouds, regions, rdma, spot)  # type: ignore[arg-type]
    chosen = place(req, CAT)
    optimum = BENCH.brute_force(req, CAT)
    if optimum is None:
        assert chosen is None
    else:
        assert chosen is not None
        assert abs(chosen.monthly_usd - optimum) < 1e-6 * optimum


def test_rdma_and_region_constraints_are_respected() -> None:
    req = Request("H100-80GB", 8, 16, ("aws", "azure"), regions=("eastus", "us-east-1"), rdma=True)
    chosen = place(req, CAT)
    assert chosen is not None and chosen.offer.region in req.regions
    it = CAT.instance(chosen.offer.cloud, chosen.offer.instance_type)
    assert it is not None and it.has_rdma and chosen.nodes == 2


def test_benchmark_smoke_mode_runs() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "placement.py"), "--smoke"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert "1.000" in proc.stdout and "geometric mean" in proc.stdout
