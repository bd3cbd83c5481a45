"""Cost estimate of a resolved group: hourly and monthly, at min, desired and max capacity.

Used by ``gpufleet plan``. Every figure says which prices it used (on-demand or spot,
region, date, currency) and converts to USD at the catalog's dated rate.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Literal

from gpufleet.catalog import Catalog, PriceQuote
from gpufleet.resolve import ResolvedGroup

HOURS_PER_MONTH = 730
"""365 x 24 / 12, the convention the AWS and Azure pricing calculators use."""
STALE_AFTER_DAYS = 180

SpotAssumption = Literal["cap", "catalog-spot"]
Level = Literal["min", "desired", "max"]
LEVELS: tuple[Level, ...] = ("min", "desired", "max")


@dataclass(frozen=True)
class NodeSplit:
    """How many nodes are on-demand and how many spot at one capacity."""

    on_demand: int
    spot: int


def split_nodes(nodes: int, on_demand_base: int, percent_above_base: int, is_spot: bool) -> NodeSplit:
    """On-demand nodes are the base plus ``percent_above_base`` of the rest, rounded up
    (the clouds round the on-demand share up, so the estimate does not undercount)."""
    if not is_spot:
        return NodeSplit(nodes, 0)
    base = min(nodes, on_demand_base)
    above = nodes - base
    od_above = math.ceil(above * percent_above_base / 100)
    return NodeSplit(base + od_above, above - od_above)


@dataclass(frozen=True)
class GroupCost:
    """The estimate of one group, in USD, with the prices behind it."""

    instance_type: str
    """The type the estimate is priced on (the group's primary, cheapest-first type)."""
    on_demand: PriceQuote | None
    spot_hourly: float | None
    """Spot price per node-hour used, in the quote's currency (None: no spot nodes or no price)."""
    spot_basis: str
    hourly_usd: dict[str, float | None]
    monthly_usd: dict[str, float | None]
    gpus: dict[str, float]
    usd_rate: float
    usd_rate_as_of: dt.date | None
    warnings: list[str] = field(default_factory=list)


def estimate_group(
    rg: ResolvedGroup, catalog: Catalog, spot: SpotAssumption = "cap", today: dt.date | None = None
) -> GroupCost:
    """Estimate ``rg``'s cost. Missing prices give ``None`` figures and a warning, never a guess."""
    g = rg.spec
    t = rg.primary
    od = t.on_demand
    warnings: list[str] = []
    if od is None:
        warnings.append(f"no on-demand price for {t.instance.name} in {g.region} in the catalog: cost unknown")

    spot_price: float | None = None
    basis = "no spot nodes"
    if g.market.is_spot:
        cap = rg.spot_cap(t)
        if spot == "cap":
            if cap is not None:
                spot_price, basis = cap, f"spot cap {g.market.max_price_percent:g}% of on-demand"
            elif od is not None:
                spot_price, basis = od.amount, "spot uncapped: priced at on-demand (worst case)"
        elif t.spot is not None:
            spot_price, basis = t.spot.amount, f"catalog spot ({t.spot.as_of_text or 'undated'})"
        elif od is not None:
            spot_price, basis = od.amount, "no catalog spot price: priced at on-demand"
            warnings.append(f"no spot price for {t.instance.name} in {g.region}; spot nodes priced at on-demand")
        if t.spot is None and spot == "cap":
            warnings.append(f"the catalog has no spot price for {t.instance.name} in {g.region}")

    currency = od.currency if od else "USD"
    rate = catalog.fx_rate(currency)
    hourly: dict[str, float | None] = {}
    gpus: dict[str, float] = {}
    counts = {"min": g.capacity.min, "desired": g.capacity.initial, "max": g.capacity.max}
    for level in LEVELS:
        n = counts[level]
        split = split_nodes(n, g.market.on_demand_base, g.market.percent_above_base, g.market.is_spot)
        gpus[level] = float(n * rg.gpus_per_node)
        if od is None or (split.spot and spot_price is None):
            hourly[level] = None
            continue
        native = split.on_demand * od.amount + split.spot * (spot_price or 0.0)
        hourly[level] = round(native * rate.usd_per_unit, 4)
    monthly = {k: (round(v * HOURS_PER_MONTH, 2) if v is not None else None) for k, v in hourly.items()}

    if od is not None:
        age_ref = today or dt.date.today()
        if od.as_of is None:
            warnings.append(f"the on-demand price of {t.instance.name} in {g.region} is undated ({od.as_of_text[:60]})")
        elif (age_ref - od.as_of).days > STALE_AFTER_DAYS:
            warnings.append(
                f"the on-demand price of {t.instance.name} in {g.region} is from {od.as_of} "
                f"({(age_ref - od.as_of).days} days old)"
            )
    return GroupCost(
        instance_type=t.instance.name,
        on_demand=od,
        spot_hourly=spot_price,
        spot_basis=basis,
        hourly_usd=hourly,
        monthly_usd=monthly,
        gpus=gpus,
        usd_rate=rate.usd_per_unit,
        usd_rate_as_of=rate.as_of,
        warnings=warnings,
    )
