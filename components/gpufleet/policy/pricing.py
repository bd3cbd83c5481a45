"""Hourly and monthly cost of a GPU group from the catalog, in USD, with its assumptions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gpufleet.catalog import Catalog
from gpufleet.policy.groups import Group

HOURS_PER_MONTH = 730
"""8760 hours / 12 months: the monthly convention of the AWS and Azure price calculators (UNVERIFIED)."""

SpotAssumption = Literal["cap", "catalog-spot"]
SPOT_ASSUMPTIONS: tuple[SpotAssumption, ...] = ("cap", "catalog-spot")


def usd(amount: float) -> str:
    return f"${amount:,.2f}"


def usd_month(amount: float) -> str:
    return f"${amount:,.0f}"


@dataclass(frozen=True)
class TypePrice:
    """What one node of one instance type costs per hour, in USD."""

    instance_type: str
    on_demand: float
    spot: float
    spot_basis: str
    """How ``spot`` was chosen: the configured cap, the catalog spot price, or on-demand."""
    as_of: str


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
    """Price ``group`` per node (worst case over its types: a cap must hold for any mix)."""
    region = group.placement.region
    if region is None:
        return GroupCost(group, (f"its region cannot be determined: {group.placement.source}",))
    if not group.instance_types:
        return GroupCost(group, ("no instance type could be read from it or its launch template",))
    problems: list[str] = []
    prices: list[TypePrice] = []
    for t in group.instance_types:
        od = catalog.quote(group.cloud, t, region, "on-demand")
        if od is None:
            problems.append(f"no catalog on-demand price for {t} in {group.cloud} {region}")
            continue
        try:
            od_usd = catalog.to_usd(od.amount, od.currency)
        except KeyError as e:
            problems.append(str(e).strip("'\""))
            continue
        spot_usd, basis = od_usd, "priced at on-demand"
        if assumption == "cap":
            cap = group.market.caps.get(t)
            if cap is not None:
                try:
                    spot_usd = catalog.to_usd(cap, group.market.cap_currency)
                    basis = f"cap {cap:g} {group.market.cap_currency}"
                except KeyError as e:
                    problems.append(str(e).strip("'\""))
                    continue
            else:
                basis = "uncapped, priced at on-demand"
        else:
            quote = catalog.quote(group.cloud, t, region, "spot")
            if quote is not None:
                try:
                    spot_usd = catalog.to_usd(quote.amount, quote.currency)
                except KeyError as e:
                    problems.append(str(e).strip("'\""))
                    continue
                basis = f"catalog spot, {quote.as_of_text}"
            else:
                basis = "no catalog spot price, priced at on-demand"
        prices.append(TypePrice(t, od_usd, spot_usd, basis, od.as_of_text))
    if problems or not prices:
        return GroupCost(group, tuple(problems))
    return GroupCost(
        group,
        (),
        on_demand=max(prices, key=lambda x: (x.on_demand, x.instance_type)),
        spot=max(prices, key=lambda x: (x.spot, x.instance_type)),
    )
