"""How an Alibaba group buys spot: the ESS spot strategy and per-type price limits.

ESS takes one price limit per instance type (``spot_price_limits``), unlike AWS's single
group-wide cap [SDK: ess.ScalingConfiguration spot_price_limits; DOC: ESS
CreateScalingConfiguration SpotPriceLimit.N]. The caps are the one model of
:class:`gpufleet.pricing.SpotCaps`. The catalog's Alibaba rows are China-site list prices in
CNY (catalog SOURCES: cloudpilot-ai/priceserver alibabacloud_price.json, 2024-10-09), while ESS
reads a limit in the currency the account is billed in: China site (aliyun.com) CNY,
international site (alibabacloud.com) USD. That is a property of the account, not of the
region, so the fleet names it (``alicloud.billing``) and SpotCaps converts the caps at the
catalog's dated rate (fx.csv, CNY row) before cutting them to the cent: a cap of 11.22 CNY read
as USD would be about 4.7x the on-demand price, no cap at all. The converted cap is a share of
the China-site price; an international list price may differ (UNVERIFIED).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gpufleet.catalog import Catalog
from gpufleet.pricing import spot_caps
from gpufleet.pricing.caps import CapConversion
from gpufleet.resolve import ResolvedGroup
from gpufleet.spec import AlicloudBilling, FleetSpec, GroupSpec

SpotStrategy = Literal["NoSpot", "SpotAsPriceGo", "SpotWithPriceLimit"]
"""ESS spot strategies [SDK: ess.ScalingConfiguration spot_strategy]."""

MAX_SPOT_POOLS = 10
"""ESS spreads spot over at most 10 of the cheapest types [DOC: Alibaba Cloud ESS
SpotInstancePools "Value range: [1, 10]", official Go SDK model]."""

BILLING_CURRENCY: dict[AlicloudBilling, str] = {"china": "CNY", "international": "USD"}
"""The currency each site bills in (and ESS reads price limits in)."""

SPOT_CURRENCY_TAG = "gpufleet-spot-currency"
"""Scaling-group tag naming the currency of its price limits, so the policy pack (which sees
resources, not the spec) reads them right."""


@dataclass(frozen=True)
class SpotPlan:
    """The spot part of a group's scaling configuration and scaling group."""

    strategy: SpotStrategy
    limits: tuple[tuple[str, float], ...]
    """(instance type, price limit per node-hour in ``currency``), in the group's type order."""
    currency: str | None
    """Currency of the limits: the account's billing currency when it is known."""
    pools: int | None
    """``spot_instance_pools`` for the scaling group; None without spot."""
    missing: tuple[str, ...]
    """Types that would need a limit but have none (rules.py refuses these)."""
    currencies: tuple[str, ...]
    """Every currency seen among the group's catalog prices (rules.py refuses more than one)."""
    conversion: CapConversion | None = None
    """Set when the limits were converted from the catalog currency (international billing)."""


def billing_currency(fleet: FleetSpec | None, group: GroupSpec) -> str | None:
    """The currency ``group``'s account is billed in, when the fleet says (Alibaba only)."""
    if group.cloud != "alicloud" or fleet is None or fleet.alicloud is None:
        return None
    return BILLING_CURRENCY[fleet.alicloud.billing]


def spot_plan(rg: ResolvedGroup, catalog: Catalog, billing: AlicloudBilling | None = None) -> SpotPlan:
    """What ESS should do for ``rg``'s market, from its caps (:class:`gpufleet.pricing.SpotCaps`,
    rule ``per-type``, cut to the cent).

    - on-demand: ``NoSpot``;
    - spot or mixed without a cap (no ``maxPricePercent``, no ``maxPrices``): ``SpotAsPriceGo``,
      i.e. pay the spot price up to on-demand;
    - with a cap: ``SpotWithPriceLimit`` and one limit per type = ``maxPricePercent`` x the
      catalog on-demand price (or the pinned ``maxPrices`` entry), in the account's billing
      currency (``billing``; the catalog's when None).
    """
    market = rg.spec.market
    caps = spot_caps(rg, catalog, BILLING_CURRENCY[billing] if billing else None)
    currencies = tuple(sorted({t.on_demand.currency for t in rg.types if t.on_demand is not None}))
    if not market.is_spot:
        return SpotPlan("NoSpot", (), None, None, (), currencies)
    pools = min(len(rg.types), MAX_SPOT_POOLS)
    if not caps.capped:
        return SpotPlan("SpotAsPriceGo", (), None, pools, (), currencies)
    limits = tuple((name, cap) for name, cap in caps.billed().items() if cap is not None)
    return SpotPlan(
        "SpotWithPriceLimit", limits, caps.currency, pools, caps.missing, currencies, conversion=caps.converted
    )
