"""Cheapest placement of a GPU request across clouds, regions and instance types.

A request says what the workload needs (GPU model, GPUs per node, total GPUs, RDMA,
spot or not) and where it may run. :func:`place` returns the cheapest catalog option,
priced in USD per month at the catalog's dated rates. It works from a per-(model,
count) index of priced offers, so a request looks at its candidates only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from gpufleet.catalog import CLOUD_RDMA, Catalog, Cloud
from gpufleet.cost import HOURS_PER_MONTH


@dataclass(frozen=True)
class Request:
    """What a workload needs and where it may run."""

    gpu_model: str
    gpus_per_node: int
    total_gpus: int
    clouds: tuple[Cloud, ...]
    regions: tuple[str, ...] = ()
    """Allowed regions (any cloud); empty allows every region of the allowed clouds."""
    rdma: bool = False
    spot: bool = False
    """Price spot nodes at the catalog spot price (types without one are skipped)."""


@dataclass(frozen=True)
class Offer:
    """One priced way to run a request: a type in a region."""

    cloud: Cloud
    region: str
    instance_type: str
    gpus_per_node: Fraction
    usd_per_node_hour: float
    market: str

    def monthly_usd(self, total_gpus: int) -> float:
        nodes = math.ceil(Fraction(total_gpus) / self.gpus_per_node)
        return nodes * self.usd_per_node_hour * HOURS_PER_MONTH


@dataclass(frozen=True)
class Placement:
    offer: Offer
    nodes: int
    monthly_usd: float


def _offers(catalog: Catalog, spot: bool) -> Iterable[Offer]:
    for p in catalog.prices:
        it = catalog.instance(p.cloud, p.instance_type)
        amount = p.spot if spot else p.ondemand
        if it is None or amount is None or not it.gpu_model:
            continue
        yield Offer(
            cloud=p.cloud,
            region=p.region,
            instance_type=it.name,
            gpus_per_node=it.gpu_count,
            usd_per_node_hour=catalog.to_usd(amount, p.currency),
            market="spot" if spot else "on-demand",
        )


Index = dict[tuple[str, Fraction, bool], tuple[Offer, ...]]
_INDEXES: dict[tuple[int, bool], tuple[Catalog, Index]] = {}


def _index(catalog: Catalog, spot: bool) -> Index:
    """Offers by (model, GPUs per node, has cloud RDMA), cheapest first; built once per catalog.

    Keyed by identity: hashing a whole catalog on every request would cost more than the search.
    """
    key = (id(catalog), spot)
    hit = _INDEXES.get(key)
    if hit is not None and hit[0] is catalog:
        return hit[1]
    built = _build_index(catalog, spot)
    _INDEXES[key] = (catalog, built)
    return built


def _build_index(catalog: Catalog, spot: bool) -> Index:
    idx: dict[tuple[str, Fraction, bool], list[Offer]] = {}
    for o in _offers(catalog, spot):
        it = catalog.instance(o.cloud, o.instance_type)
        assert it is not None and it.gpu_model is not None
        rdma = it.rdma == CLOUD_RDMA[o.cloud]
        idx.setdefault((it.gpu_model, it.gpu_count, rdma), []).append(o)
    return {
        k: tuple(sorted(v, key=lambda o: (o.usd_per_node_hour, o.cloud, o.region, o.instance_type)))
        for k, v in idx.items()
    }


def place(req: Request, catalog: Catalog) -> Placement | None:
    """The cheapest allowed offer for ``req``, or None when nothing in the catalog fits."""
    model = catalog.resolve_gpu(req.gpu_model)
    keys = [(model, Fraction(req.gpus_per_node), True)]
    if not req.rdma:
        keys.append((model, Fraction(req.gpus_per_node), False))
    best: Offer | None = None
    for key in keys:
        # Offers are sorted by node price and every offer here has the same GPUs per node,
        # so the first allowed one is the cheapest of its list.
        for o in _index(catalog, req.spot).get(key, ()):
            if o.cloud in req.clouds and (not req.regions or o.region in req.regions):
                if best is None or (o.usd_per_node_hour, o.cloud, o.region, o.instance_type) < (
                    best.usd_per_node_hour, best.cloud, best.region, best.instance_type,
                ):  # fmt: skip
                    best = o
                break
    if best is None:
        return None
    nodes = math.ceil(Fraction(req.total_gpus) / best.gpus_per_node)
    return Placement(offer=best, nodes=nodes, monthly_usd=best.monthly_usd(req.total_gpus))
