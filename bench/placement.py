"""Placement cost: what gpufleet's placement chooses vs the brute-force optimum vs a naive choice.

For each GPU request it prints the monthly USD cost of
  - ``place()``: gpufleet's indexed search (components/gpufleet/placement.py),
  - brute force: every (type, region) price row of the catalog checked one by one,
  - naive: on-demand, first allowed region, first matching type in catalog order,
then the ratio chosen/optimum (must be 1.000) and the geometric mean saving against naive.

Run: .venv/bin/python bench/placement.py [--smoke]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from fractions import Fraction

from gpufleet.catalog import CLOUD_RDMA, Catalog, load_catalog
from gpufleet.cost import HOURS_PER_MONTH
from gpufleet.placement import Request, place

CASES: list[tuple[str, Request]] = [
    ("8xH100 x4 nodes, EFA/IB, on-demand, aws+azure",
     Request("H100-80GB", 8, 32, ("aws", "azure"), rdma=True)),
    ("8xH100 x2, spot, aws, us only",
     Request("H100-80GB", 8, 16, ("aws",), regions=("us-east-1", "us-west-2", "us-east-2"), spot=True)),
    ("1xL4 x8, spot, aws", Request("L4-24GB", 1, 8, ("aws",), spot=True)),
    ("1xA10 x6, on-demand, azure+alicloud",
     Request("A10-24GB", 1, 6, ("azure", "alicloud"), regions=("westeurope", "eastus", "cn-beijing", "us-east-1"))),
    ("4xT4 x2, on-demand, any cloud", Request("T4-16GB", 4, 8, ("aws", "azure", "alicloud"))),
    ("8xA100-80GB x2, IB, on-demand, azure EU",
     Request("A100-80GB", 8, 16, ("azure",), regions=("westeurope", "swedencentral", "uksouth"), rdma=True)),
    ("1xA10G x4, spot, aws EU", Request("A10G-24GB", 1, 4, ("aws",), regions=("eu-west-1", "eu-central-1"), spot=True)),
    ("8xV100-32GB x1, on-demand, alicloud", Request("V100-32GB", 8, 8, ("alicloud",))),
]  # fmt: skip


def brute_force(req: Request, cat: Catalog) -> float | None:
    """The cheapest monthly cost by checking every price row (independent of place())."""
    model = cat.resolve_gpu(req.gpu_model)
    best: float | None = None
    for p in cat.prices:
        it = cat.instance(p.cloud, p.instance_type)
        if it is None or it.gpu_model != model or it.gpu_count != req.gpus_per_node:
            continue
        if p.cloud not in req.clouds or (req.regions and p.region not in req.regions):
            continue
        if req.rdma and it.rdma != CLOUD_RDMA[p.cloud]:
            continue
        amount = p.spot if req.spot else p.ondemand
        if amount is None:
            continue
        nodes = math.ceil(Fraction(req.total_gpus) / it.gpu_count)
        cost = nodes * cat.to_usd(amount, p.currency) * HOURS_PER_MONTH
        best = cost if best is None else min(best, cost)
    return best


def naive(req: Request, cat: Catalog) -> float | None:
    """On-demand in the first allowed region with a matching type, first type in catalog order."""
    model = cat.resolve_gpu(req.gpu_model)
    regions = list(req.regions) or [r.name for r in cat.regions if r.cloud in req.clouds]
    for region in regions:
        for it in cat.instances:
            if it.cloud not in req.clouds or it.gpu_model != model or it.gpu_count != req.gpus_per_node:
                continue
            if req.rdma and it.rdma != CLOUD_RDMA[it.cloud]:
                continue
            p = cat.price(it.cloud, it.name, region)
            if p is None or p.ondemand is None:
                continue
            nodes = math.ceil(Fraction(req.total_gpus) / it.gpu_count)
            return nodes * cat.to_usd(p.ondemand, p.currency) * HOURS_PER_MONTH
    return None


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="two cases, one repetition (CI check that it runs)")
    args = ap.parse_args(argv)
    cat = load_catalog()
    cases = CASES[:2] if args.smoke else CASES
    reps = 1 if args.smoke else 200
    print(f"{'case':<48} {'chosen':>14} {'optimum':>14} {'ratio':>6} {'naive':>14} {'saving':>7} {'place() us':>10}")
    savings = []
    for label, req in cases:
        t0 = time.perf_counter()
        for _ in range(reps):
            chosen = place(req, cat)
        per_call_us = (time.perf_counter() - t0) / reps * 1e6
        opt = brute_force(req, cat)
        base = naive(req, cat)
        if chosen is None or opt is None:
            print(f"{label:<48} {'no offer':>14} {opt!s:>14}")
            if (chosen is None) != (opt is None):
                print("  MISMATCH: place() and brute force disagree on feasibility", file=sys.stderr)
                return 1
            continue
        ratio = chosen.monthly_usd / opt
        saving = (base / chosen.monthly_usd) if base else float("nan")
        if base:
            savings.append(saving)
        where = f"{chosen.offer.cloud}/{chosen.offer.region}/{chosen.offer.instance_type} x{chosen.nodes}"
        print(
            f"{label:<48} {chosen.monthly_usd:>14,.0f} {opt:>14,.0f} {ratio:>6.3f} "
            f"{(base or float('nan')):>14,.0f} {saving:>6.2f}x {per_call_us:>10.1f}"
        )
        print(f"  -> {where} ({chosen.offer.market})")
        if abs(ratio - 1.0) > 1e-9:
            print("  FAIL: place() is not the optimum", file=sys.stderr)
            return 1
    if savings:
        gm = math.exp(sum(math.log(s) for s in savings) / len(savings))
        print(f"geometric mean saving vs naive (naive cost / chosen cost): {gm:.2f}x over {len(savings)} cases")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
