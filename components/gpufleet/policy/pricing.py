"""Hourly and monthly cost of a GPU group from the catalog, in USD, with its assumptions."""

from __future__ import annotations

from dataclasses import dataclass

from gpufleet.catalog import Catalog
from gpufleet.policy.groups import Group
from gpufleet.pricing import HOURS_PER_MONTH, SPOT_ASSUMPTIONS, SpotAssumption, TypePrice, price_nodes

__all__ = ["HOURS_PER_MONTH", "SPOT_ASSUMPTIONS", "GroupCost", "SpotAssumption", "price_group", "usd", "usd_month"]


def usd(amount: float) -> str:
    return f"${amount:,.2f}"


def usd_month(amount: float) -> str:
    return f"${amount:,.0f}"


@dataclass(frozen=True)
class GroupCost:
    """A group's price per node, worst case over its instance types, or why there is none."""

    group: Group
    problems: tuple[str, ...]
    """Why the group cannot be priced; empty when it can."""
    on_demand: TypePrice | None = None
    """The type with the highest on-demand price."""
    spot: TypePrice | None = None
    """The type with the highest spot price under the chosen assumption."""

    @property
    def priced(self) -> bool:
        return not self.problems and self.on_demand is not None and self.spot is not None

    def hourly(self, nodes: int) -> float:
        assert self.on_demand is not None and self.spot is not None
        od, spot = self.group.market.split(nodes)
        return od * self.on_demand.on_demand + spot * self.spot.spot

    def describe(self, nodes: int, what: str) -> str:
        """``max 4 = 1 on-demand x $55.04/h (p5.48xlarge) + 3 spot x ... = $187.14/h, $136,610/month``."""
        assert self.on_demand is not None and self.spot is not None
        od, spot = self.group.market.split(nodes)
        parts = []
        if od:
            parts.append(f"{od} on-demand x {usd(self.on_demand.on_demand)}/h ({self.on_demand.instance_type})")
        if spot:
            parts.append(f"{spot} spot x {usd(self.spot.spot)}/h ({self.spot.instance_type}, {self.spot.spot_basis})")
        hourly = self.hourly(nodes)
        body = " + ".join(parts) if parts else "no nodes"
        return f"{what} {nodes} = {body} = {usd(hourly)}/h, {usd_month(hourly * HOURS_PER_MONTH)}/month"


def price_group(group: Group, catalog: Catalog, assumption: SpotAssumption) -> GroupCost:
    """Price ``group`` per node with :func:`gpufleet.pricing.price_nodes`, the function the plan's
    cost table uses: worst case over its types (a cap must hold for any mix)."""
    region = group.placement.region
    if region is None:
        return GroupCost(group, (f"its region cannot be determined: {group.placement.source}",))
    if not group.instance_types:
        return GroupCost(group, ("no instance type could be read from it or its launch template",))
    prices = price_nodes(
        catalog, group.cloud, region, group.instance_types, group.market.caps, group.market.cap_currency, assumption
    )
    if not prices.priced:
        return GroupCost(group, prices.problems)
    return GroupCost(group, (), on_demand=prices.on_demand, spot=prices.spot)
