"""What a node costs: catalog quotes, the on-demand/spot split, and the worst-case node prices.

The plan's cost table (spec side, :mod:`gpufleet.cost`) and the budget and spot policies
(resource side, :mod:`gpufleet.policy`) both call :func:`price_nodes`, so one group has one
price. This module and :mod:`gpufleet.pricing.caps` are the only readers of catalog prices.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from gpufleet.catalog import Catalog, Cloud, FxRate, PriceQuote

HOURS_PER_MONTH = 730
"""8760 hours / 12 months: the monthly convention of the AWS and Azure price calculators (UNVERIFIED)."""

SpotAssumption = Literal["cap", "catalog-spot"]
"""How a spot node is priced: at its cap (what the cloud may bill; on-demand when uncapped), or
at the catalog's spot price (on-demand when the catalog has none)."""
SPOT_ASSUMPTIONS: tuple[SpotAssumption, ...] = ("cap", "catalog-spot")


def on_demand_quote(catalog: Catalog, cloud: Cloud, instance_type: str, region: str) -> PriceQuote | None:
    return catalog.quote(cloud, instance_type, region, "on-demand")


def spot_quote(catalog: Catalog, cloud: Cloud, instance_type: str, region: str) -> PriceQuote | None:
    return catalog.quote(cloud, instance_type, region, "spot")


def is_priced(catalog: Catalog, cloud: Cloud, instance_type: str, region: str) -> bool:
    """The catalog has a price row for the type in the region."""
    return catalog.price(cloud, instance_type, region) is not None


def priced_regions(catalog: Catalog, cloud: Cloud, instance_type: str) -> list[PriceQuote]:
    """The type's on-demand quotes in every region the catalog prices it."""
    regions = catalog.priced_regions(cloud, instance_type)
    return [q for r in regions if (q := on_demand_quote(catalog, cloud, instance_type, r)) is not None]


def cheapest_quote(catalog: Catalog, cloud: Cloud, instance_type: str, region: str | None) -> dict[str, Any] | None:
    """The type's cheapest on-demand quote (in ``region``, or over every priced region) with its
    spot price, for ``gpufleet catalog``; None when the catalog prices it nowhere."""
    quotes = (
        [q for q in [on_demand_quote(catalog, cloud, instance_type, region)] if q is not None]
        if region
        else priced_regions(catalog, cloud, instance_type)
    )
    if not quotes:
        return None
    q = min(quotes, key=lambda q: to_usd(catalog, q.amount, q.currency))
    spot = spot_quote(catalog, cloud, instance_type, q.region)
    return {
        "region": q.region,
        "onDemand": q.amount,
        "spot": spot.amount if spot else None,
        "currency": q.currency,
        "onDemandUsd": round(to_usd(catalog, q.amount, q.currency), 4),
        "asOf": q.as_of_text,
    }


def usd_rate(catalog: Catalog, currency: str) -> FxRate:
    return catalog.fx_rate(currency)


def to_usd(catalog: Catalog, amount: float, currency: str) -> float:
    return catalog.to_usd(amount, currency)


def catalog_currency(catalog: Catalog, cloud: Cloud, region: str) -> str | None:
    """The one currency of the catalog's prices for ``cloud`` in ``region`` (or anywhere), or None."""
    for scope in (region, None):
        found = {p.currency for p in catalog.prices if p.cloud == cloud and scope in (None, p.region)}
        if len(found) == 1:
            return found.pop()
    return None


@dataclass(frozen=True)
class NodeSplit:
    """How many nodes are on-demand and how many spot at one capacity."""

    on_demand: int
    spot: int


def split_nodes(nodes: int, on_demand_base: int, percent_above_base: float, is_spot: bool) -> NodeSplit:
    """On-demand nodes are the base plus ``percent_above_base`` of the rest, rounded up: that is
    the costlier side, so an estimate errs high (each cloud's own rounding is UNVERIFIED)."""
    if not is_spot:
        return NodeSplit(nodes, 0)
    base = min(nodes, on_demand_base)
    above = max(0, nodes - base)
    on_demand = base + min(above, math.ceil(above * percent_above_base / 100.0 - 1e-9))
    return NodeSplit(on_demand, nodes - on_demand)


@dataclass(frozen=True)
class TypePrice:
    """What one node of one instance type may cost per hour."""

    instance_type: str
    on_demand: float
    """USD per node-hour."""
    spot: float
    """USD per node-hour for a spot node under the assumption."""
    spot_native: float
    """The same in ``spot_currency`` (the cap's or the catalog's currency)."""
    spot_currency: str
    spot_basis: str
    """How ``spot`` was chosen: the cap, the catalog spot price, or on-demand."""
    quote: PriceQuote
    """The catalog on-demand quote behind ``on_demand``."""


@dataclass(frozen=True)
class NodePrices:
    """A group's worst-case node prices over its types, or why there are none."""

    problems: tuple[str, ...]
    on_demand: TypePrice | None = None
    """The type with the highest on-demand price."""
    spot: TypePrice | None = None
    """The type with the highest spot price under the assumption."""
    missing_spot: tuple[str, ...] = ()
    """Types the catalog has no spot price for (only informative under ``cap``)."""

    @property
    def priced(self) -> bool:
        return not self.problems and self.on_demand is not None and self.spot is not None

    def hourly(self, split: NodeSplit) -> float:
        """USD per hour for ``split``."""
        assert self.on_demand is not None and self.spot is not None
        return split.on_demand * self.on_demand.on_demand + split.spot * self.spot.spot


def price_nodes(
    catalog: Catalog,
    cloud: Cloud,
    region: str,
    types: Sequence[str],
    caps: Mapping[str, float | None],
    cap_currency: str,
    assumption: SpotAssumption,
) -> NodePrices:
    """Price a node of each type and keep the worst: a cloud may launch any listed type.

    ``caps`` are what the cloud bills at most for a spot node of each type (already combined
    by the cloud's rule, :meth:`gpufleet.pricing.SpotCaps.billed`), in ``cap_currency``;
    None = uncapped, i.e. up to on-demand.
    """
    problems: list[str] = []
    prices: list[TypePrice] = []
    no_spot: list[str] = []
    for t in types:
        od = on_demand_quote(catalog, cloud, t, region)
        if od is None:
            problems.append(f"no catalog on-demand price for {t} in {cloud} {region}")
            continue
        try:
            od_usd = to_usd(catalog, od.amount, od.currency)
            quote = spot_quote(catalog, cloud, t, region)
            if quote is None:
                no_spot.append(t)
            spot_usd, native, currency = od_usd, od.amount, od.currency
            if assumption == "cap":
                cap = caps.get(t)
                if cap is not None:
                    spot_usd, native, currency = to_usd(catalog, cap, cap_currency), cap, cap_currency
                    basis = f"cap {cap:g} {cap_currency}"
                else:
                    basis = "uncapped, priced at on-demand"
            elif quote is not None:
                spot_usd, native, currency = to_usd(catalog, quote.amount, quote.currency), quote.amount, quote.currency
                basis = f"catalog spot, {quote.as_of_text}"
            else:
                basis = "no catalog spot price, priced at on-demand"
        except KeyError as e:
            problems.append(str(e).strip("'\""))
            continue
        prices.append(TypePrice(t, od_usd, spot_usd, native, currency, basis, od))
    if problems or not prices:
        return NodePrices(tuple(problems), missing_spot=tuple(no_spot))
    return NodePrices(
        (),
        on_demand=max(prices, key=lambda x: (x.on_demand, x.instance_type)),
        spot=max(prices, key=lambda x: (x.spot, x.instance_type)),
        missing_spot=tuple(no_spot),
    )
