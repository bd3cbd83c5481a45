"""How an Alibaba group buys spot: the ESS spot strategy and per-type price limits.

ESS takes one price limit per instance type (``spot_price_limits``), unlike AWS's single
group-wide cap [SDK: ess.ScalingConfiguration spot_price_limits; DOC: ESS
CreateScalingConfiguration SpotPriceLimit.N]. Limits stay in the catalog's currency: the
Alibaba rows are China-site list prices in CNY, and gpufleet never converts a cap.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import Literal

from gpufleet.catalog import Catalog
from gpufleet.pricing import spot_caps
from gpufleet.resolve import ResolvedGroup

SpotStrategy = Literal["NoSpot", "SpotAsPriceGo", "SpotWithPriceLimit"]
"""ESS spot strategies [SDK: ess.ScalingConfiguration spot_strategy]."""

MAX_SPOT_POOLS = 10
"""ESS spreads spot over at most 10 of the cheapest types [DOC: Alibaba Cloud ESS
SpotInstancePools "Value range: [1, 10]", official Go SDK model]."""

_CENT = Decimal("0.01")
"""ESS accepts at most two decimals in a price limit [SDK: ScalingConfigurationSpotPriceLimitArgs
price_limit, "2 decimals is allowed at most"]."""


@dataclass(frozen=True)
class SpotPlan:
    """The spot part of a group's scaling configuration and scaling group."""

    strategy: SpotStrategy
    limits: tuple[tuple[str, float], ...]
    """(instance type, price limit per node-hour in ``currency``), in the group's type order."""
    currency: str | None
    """Currency of the limits (and of the catalog prices they came from)."""
    pools: int | None
    """``spot_instance_pools`` for the scaling group; None without spot."""
    missing: tuple[str, ...]
    """Types that would need a limit but have none (rules.py refuses these)."""
    currencies: tuple[str, ...]
    """Every currency seen among the group's catalog prices (rules.py refuses more than one)."""


def price_limit(cap: float) -> float:
    """A cap rounded *down* to the cent, so the limit never exceeds what the spec allows."""
    return float(Decimal(str(cap)).quantize(_CENT, rounding=ROUND_DOWN))


def spot_plan(rg: ResolvedGroup, catalog: Catalog) -> SpotPlan:
    """What ESS should do for ``rg``'s market, from its caps (:class:`gpufleet.pricing.SpotCaps`,
    rule ``per-type``, rounded down to the cent).

    - on-demand: ``NoSpot``;
    - spot or mixed without a cap (no ``maxPricePercent``, no ``maxPrices``): ``SpotAsPriceGo``,
      i.e. pay the spot price up to on-demand;
    - with a cap: ``SpotWithPriceLimit`` and one limit per type = ``maxPricePercent`` x the
      catalog on-demand price (or the pinned ``maxPrices`` entry), in the catalog currency.
    """
    market = rg.spec.market
    caps = spot_caps(rg, catalog)
    currencies = tuple(sorted({t.on_demand.currency for t in rg.types if t.on_demand is not None}))
    if not market.is_spot:
        return SpotPlan("NoSpot", (), None, None, (), currencies)
    pools = min(len(rg.types), MAX_SPOT_POOLS)
    if not caps.capped:
        return SpotPlan("SpotAsPriceGo", (), None, pools, (), currencies)
    limits = tuple((name, cap) for name, cap in caps.billed().items() if cap is not None)
    return SpotPlan("SpotWithPriceLimit", limits, caps.currency, pools, caps.missing, currencies)
