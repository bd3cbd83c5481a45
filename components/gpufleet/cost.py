"""Cost estimate of a resolved group: monthly at min, desired and max capacity, plus a
schedule-weighted expected figure.

Used by ``gpufleet plan``. Prices come from :mod:`gpufleet.pricing` (the same node prices as
the budget policy), so the max column is the worst case the cloud can bill: every node at the
priciest type's on-demand price, every spot node at the most the cloud may bill it (its
combined cap, or on-demand when uncapped). Every figure says which prices it used.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

from gpufleet.catalog import Catalog, PriceQuote
from gpufleet.pricing import HOURS_PER_MONTH, SpotAssumption, SpotCaps, price_nodes, split_nodes, spot_caps
from gpufleet.pricing.price import usd_rate
from gpufleet.pricing.schedule import ASSUMPTIONS, weekly_nodes
from gpufleet.resolve import ResolvedGroup

__all__ = ["HOURS_PER_MONTH", "LEVELS", "GroupCost", "Level", "SpotAssumption", "estimate_group", "split_nodes"]

STALE_AFTER_DAYS = 180
Level = Literal["min", "desired", "max"]
LEVELS: tuple[Level, ...] = ("min", "desired", "max")
WEEKS_PER_MONTH = HOURS_PER_MONTH / 168


@dataclass(frozen=True)
class GroupCost:
    """The estimate of one group, in USD, with the prices behind it."""

    instance_type: str
    """The type the on-demand nodes are priced on: the priciest the group may launch."""
    on_demand: PriceQuote | None
    spot_hourly: float | None
    """Spot price per node-hour used, in ``spot_currency`` (None: no spot nodes or no price)."""
    spot_basis: str
    caps: SpotCaps
    hourly_usd: dict[str, float | None]
    monthly_usd: dict[str, float | None]
    nodes: dict[str, int]
    gpus_per_node: Fraction
    """The most GPUs any of the group's types carries (gpufleet refuses mixed counts, see validation)."""
    gpus: dict[str, float]
    expected_monthly_usd: float | None
    """Schedule-weighted monthly cost (see ``expected_basis``)."""
    expected_basis: str
    usd_rate: float
    usd_rate_as_of: dt.date | None
    spot_currency: str = "USD"
    warnings: list[str] = field(default_factory=list)


def estimate_group(
    rg: ResolvedGroup,
    catalog: Catalog,
    spot: SpotAssumption = "cap",
    today: dt.date | None = None,
    billing_currency: str | None = None,
) -> GroupCost:
    """Estimate ``rg``'s cost. Missing prices give ``None`` figures and a warning, never a guess.
    ``billing_currency``: the account's, when the caps are billed in another currency than the
    catalog's (an Alibaba international account, ``alicloud.billing``)."""
    g = rg.spec
    caps = spot_caps(rg, catalog, billing_currency)
    billed = caps.billed()
    prices = price_nodes(catalog, g.cloud, g.region, list(billed), billed, caps.currency or "USD", spot)
    warnings = [f"{p}: cost unknown" for p in prices.problems]
    if g.market.is_spot and spot == "cap":
        warnings += [f"the catalog has no spot price for {t} in {g.region}" for t in prices.missing_spot]
    elif g.market.is_spot:
        warnings += [
            f"no spot price for {t} in {g.region}; spot nodes priced at on-demand" for t in prices.missing_spot
        ]

    od_price = prices.on_demand
    od = od_price.quote if od_price else rg.primary.on_demand
    counts = {"min": g.capacity.min, "desired": g.capacity.initial, "max": g.capacity.max}
    hourly: dict[str, float | None] = {}
    monthly: dict[str, float | None] = {}
    for level in LEVELS:
        split = split_nodes(counts[level], g.market.on_demand_base, g.market.percent_above_base, g.market.is_spot)
        exact = prices.hourly(split) if prices.priced else None
        hourly[level] = round(exact, 4) if exact is not None else None
        # From the unrounded rate: 730 x a 4-decimal rounding drifted up to 3.6 cents from the
        # budget policy's figure (tests/test_properties.py found $7,543.75 vs $7,543.73).
        monthly[level] = round(exact * HOURS_PER_MONTH, 2) if exact is not None else None

    week = weekly_nodes(g)
    expected: float | None = None
    if prices.priced:
        expected = 0.0
        for n, hours in week.hours.items():
            split = split_nodes(n, g.market.on_demand_base, g.market.percent_above_base, g.market.is_spot)
            expected += prices.hourly(split) * hours * WEEKS_PER_MONTH
        expected = round(expected, 2)
    if week.scheduled:
        expected_basis = f"{week.node_hours:g} node-hours a week: {ASSUMPTIONS}"
    else:
        expected_basis = "no schedules: the desired count all month; metric autoscaling is not modelled"

    spot_price = prices.spot
    basis = "no spot nodes"
    if g.market.is_spot and spot_price is not None:
        basis = f"{caps.label()}; priced at {spot_price.spot_basis} ({spot_price.instance_type})"
        if g.cloud == "aws" and caps.basis in ("percent", "pinned"):
            # botocore autoscaling InstancesDistribution.SpotMaxPrice: "When Spot Instances launch, you pay
            # the current Spot price" and a maximum price "can lead to increased interruptions".
            basis += "; the cap is a price ceiling, not a saving: nodes pay the current spot price, and AWS "
            basis += "interrupts capped spot nodes more often (set no cap unless you need a ceiling)"
    per_node = max((t.instance.gpu_count for t in rg.types), default=Fraction(0))
    if od is not None:
        age_ref = today or dt.date.today()
        name = od.instance_type
        if od.as_of is None:
            warnings.append(f"the on-demand price of {name} in {g.region} is undated ({od.as_of_text[:60]})")
        elif (age_ref - od.as_of).days > STALE_AFTER_DAYS:
            warnings.append(
                f"the on-demand price of {name} in {g.region} is from {od.as_of} ({(age_ref - od.as_of).days} days old)"
            )
    rate = usd_rate(catalog, od.currency if od else "USD")
    return GroupCost(
        instance_type=od_price.instance_type if od_price else rg.primary.instance.name,
        on_demand=od,
        spot_hourly=spot_price.spot_native if (spot_price and g.market.is_spot) else None,
        spot_basis=basis,
        caps=caps,
        hourly_usd=hourly,
        monthly_usd=monthly,
        nodes=counts,
        gpus_per_node=per_node,
        gpus={k: float(n * per_node) for k, n in counts.items()},
        expected_monthly_usd=expected,
        expected_basis=expected_basis,
        usd_rate=rate.usd_per_unit,
        usd_rate_as_of=rate.as_of,
        spot_currency=spot_price.spot_currency if spot_price else "USD",
        warnings=warnings,
    )
