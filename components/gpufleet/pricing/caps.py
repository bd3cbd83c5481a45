"""One spot-cap model per group: per-type caps, basis, currency, pinned or derived.

A spec asks for a cap per instance type (``market.maxPrices`` entries, else
``maxPricePercent`` x the type's catalog on-demand price). Each cloud only decides how
those combine into what it can bill (:data:`gpufleet.capabilities.CapRule`): AWS one cap
for all types (the highest), Azure the one size it runs, Alibaba one limit per type. The
cost table, the policies, ``validate``, ``resolve`` and the builders all read this.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, Literal

from gpufleet.capabilities import CLOUD_NAMES, CapRule, capabilities
from gpufleet.catalog import Catalog, Cloud, InstanceType
from gpufleet.errors import Problem
from gpufleet.pricing.price import catalog_currency, on_demand_quote

if TYPE_CHECKING:
    from gpufleet.resolve import ResolvedGroup
    from gpufleet.spec import GroupSpec, MarketSpec

Basis = Literal["on-demand", "uncapped", "percent", "pinned"]


@dataclass(frozen=True)
class PinRecord:
    """Where pinned caps were computed: their region and the on-demand price date."""

    region: str
    prices_as_of: str | None


@dataclass(frozen=True)
class CapConversion:
    """Caps asked for in the catalog's currency, billed in another (an Alibaba international account)."""

    from_currency: str
    rate: float
    """Billing-currency units per catalog-currency unit, from the catalog's dated fx.csv."""
    as_of: str
    source: str


@dataclass(frozen=True)
class SpotCaps:
    """A group's spot caps, before and after the cloud combines them."""

    cloud: Cloud
    region: str
    rule: CapRule
    basis: Basis
    """``on-demand``: no spot; ``uncapped``: spot up to on-demand; ``percent``: derived from
    ``maxPricePercent``; ``pinned``: ``market.maxPrices`` (written by ``gpufleet resolve``)."""
    percent: float | None
    """``maxPricePercent`` when given."""
    requested: tuple[tuple[str, float | None], ...]
    """(type, cap the spec asks for) in the group's type order; None = cannot be computed."""
    currency: str | None
    """Currency of the caps: the cloud's wire currency, else the catalog currency of the region."""
    decimals: int
    pin: PinRecord | None
    """Where pinned caps came from (``market.maxPricesBasis``), when recorded."""
    converted: CapConversion | None = None
    """Set when ``requested`` was converted from the catalog currency to the billing currency."""

    @property
    def capped(self) -> bool:
        return self.basis in ("percent", "pinned")

    @property
    def missing(self) -> tuple[str, ...]:
        """Types the spec asks to cap whose cap cannot be computed."""
        return tuple(t for t, c in self.requested if c is None) if self.capped else ()

    def billed(self) -> dict[str, float | None]:
        """The most the cloud can bill a spot node of each type it may run, in ``currency``
        (None: up to on-demand). This is what every estimate and the builders use."""
        if not self.capped:
            return {t: None for t, _ in self.requested}
        if self.rule == "one-for-all":
            known = [c for _, c in self.requested if c is not None]
            shared = max(known) if known and not self.missing else None
            return {t: shared for t, _ in self.requested}
        if self.rule == "one-size":
            t, c = self.requested[0]
            return {t: c}
        return {t: (self._round_down(c) if c is not None else None) for t, c in self.requested}

    def shared(self) -> float | None:
        """The one cap of a ``one-for-all`` or ``one-size`` group (None: uncapped)."""
        return next(iter(self.billed().values()), None)

    def _round_down(self, cap: float) -> float:
        return round_down(cap, self.decimals)

    def label(self) -> str:
        """For summaries: ``spot <= 70% of on-demand, one cap for all types: 0.68432 USD``."""
        if self.basis == "on-demand":
            return "on-demand"
        if self.basis == "uncapped":
            return "spot up to on-demand (no cap)"
        billed = self.billed()
        unit = self.currency or "?"
        if self.rule in ("one-for-all", "one-size") and self.shared() is not None:
            how = "one cap for all types" if self.rule == "one-for-all" and len(billed) > 1 else "cap"
            caps = f"{how} {self.shared():g} {unit}/node-hour"
        else:
            caps = ", ".join(f"{t} {c:g}" for t, c in billed.items() if c is not None) + f" {unit}/node-hour"
        if self.converted is not None:
            c = self.converted
            caps += f" (from {c.from_currency} at {c.rate:g} {unit}/{c.from_currency} of {c.as_of})"
        if self.basis == "percent":
            return f"spot <= {self.percent:g}% of on-demand: {caps}"
        where = ", pinned"
        if self.pin:
            where = f", pinned for {self.pin.region} at prices of {self.pin.prices_as_of or 'an undated catalog'}"
        return f"spot {caps}{where}"


def round_down(value: float, decimals: int) -> float:
    """``value`` cut (never rounded up) to ``decimals`` places, so a cap never exceeds the spec."""
    step = Decimal(1).scaleb(-decimals)
    return float(Decimal(str(value)).quantize(step, rounding=ROUND_DOWN))


def pin_record(market: MarketSpec) -> PinRecord | None:
    b = market.max_prices_basis
    return PinRecord(b.region, b.prices_as_of.isoformat() if b.prices_as_of else None) if b is not None else None


def requested_cap(market: MarketSpec, instance_type: str, on_demand: float | None) -> float | None:
    """The cap the spec asks for one type: its pinned entry, else ``maxPricePercent`` x on-demand."""
    pinned = market.max_prices or {}
    if instance_type in pinned:
        return pinned[instance_type]
    if market.max_price_percent is None or on_demand is None:
        return None
    return round(on_demand * market.max_price_percent / 100.0, 5)


def basis_of(market: MarketSpec) -> Basis:
    if not market.is_spot:
        return "on-demand"
    if market.max_prices:
        return "pinned"
    return "percent" if market.max_price_percent is not None else "uncapped"


def spot_caps(rg: ResolvedGroup, catalog: Catalog | None = None, billing_currency: str | None = None) -> SpotCaps:
    """The caps of a resolved group (see the module docstring). ``catalog`` tells the currency
    of hand-pinned caps for types it does not price, on clouds without a wire currency, and the
    dated rate when ``billing_currency`` (the account's, e.g. USD for an Alibaba international
    account) differs from the caps' currency: the caps are then converted before the cloud's
    rounding, so what is billed, estimated and sent is one figure."""
    g = rg.spec
    caps = capabilities(g.cloud)
    currencies = sorted({t.on_demand.currency for t in rg.types if t.on_demand is not None})
    if caps.spot_cap_currency is not None:
        currency: str | None = caps.spot_cap_currency
    elif len(currencies) == 1:
        currency = currencies[0]
    else:  # none priced (caps pinned by hand) or several (refused by cap_problems)
        currency = catalog_currency(catalog, g.cloud, g.region) if catalog and not currencies else None
    requested = tuple(
        (t.instance.name, requested_cap(g.market, t.instance.name, t.on_demand.amount if t.on_demand else None))
        for t in rg.types
    )
    converted: CapConversion | None = None
    if billing_currency and currency and catalog and billing_currency != currency:
        src, dst = catalog.fx_rate(currency), catalog.fx_rate(billing_currency)
        rate = src.usd_per_unit / dst.usd_per_unit
        converted = CapConversion(currency, rate, min(src.as_of, dst.as_of).isoformat(), src.source)
        requested = tuple((t, round(c * rate, 5) if c is not None else None) for t, c in requested)
        currency = billing_currency
    return SpotCaps(
        cloud=g.cloud,
        region=g.region,
        rule=caps.spot_caps,
        basis=basis_of(g.market),
        percent=g.market.max_price_percent,
        requested=requested,
        currency=currency,
        decimals=caps.spot_cap_decimals,
        pin=pin_record(g.market),
        converted=converted,
    )


def fresh_pin(rg: ResolvedGroup) -> tuple[dict[str, float], PinRecord] | None:
    """The caps ``maxPricePercent`` gives with today's catalog, and where they come from, for
    ``gpufleet resolve`` to pin; None without a percentage (nothing to compute from)."""
    pct = rg.spec.market.max_price_percent
    if not rg.spec.market.is_spot or pct is None:
        return None
    caps = {t.instance.name: round(t.on_demand.amount * pct / 100.0, 5) for t in rg.types if t.on_demand is not None}
    dates = [t.on_demand.as_of for t in rg.types if t.on_demand is not None and t.on_demand.as_of is not None]
    return caps, PinRecord(rg.spec.region, max(dates).isoformat() if dates else None)


def cap_problems(group: GroupSpec, path: str, types: list[InstanceType], catalog: Catalog) -> list[Problem]:
    """What makes a group's caps impossible, on every cloud, with the field to fix."""
    market = group.market
    names = [t.name for t in types]
    out = [
        Problem(
            f"{path}.market.maxPrices.{name}", f"'{name}' is not one of the group's instance types ({', '.join(names)})"
        )
        for name in market.max_prices or {}
        if name not in names
    ]
    basis = basis_of(market)
    if basis not in ("percent", "pinned") or out:
        return out
    caps = capabilities(group.cloud)
    quotes = {t.name: on_demand_quote(catalog, group.cloud, t.name, group.region) for t in types}
    # A one-size cloud runs (and caps) only its first type.
    capped = names[:1] if caps.spot_caps == "one-size" else names
    missing = [n for n in capped if requested_cap(market, n, (q.amount if (q := quotes[n]) else None)) is None]
    drop = f"list gpu.instanceTypes without {', '.join(missing)}"
    if missing and market.max_price_percent is None:
        out.append(
            Problem(
                f"{path}.market.maxPrices",
                f"no cap for {', '.join(missing)}: maxPrices has no entry for it and there is no maxPricePercent. "
                f"Add the entry, or {drop}",
            )
        )
    elif missing:
        out.append(
            Problem(
                f"{path}.market.maxPricePercent",
                f"cannot cap spot prices: the catalog has no on-demand price for {', '.join(missing)} in "
                f"{group.region}, so maxPricePercent has nothing to take a percentage of. Pin a cap per type in "
                f"market.maxPrices (per node-hour, in the catalog currency), {drop}, or omit maxPricePercent to pay "
                "up to on-demand (SpotAsPriceGo on Alibaba Cloud)",
            )
        )
    key = "maxPrices" if basis == "pinned" else "maxPricePercent"
    currencies = sorted({q.currency for n in capped if (q := quotes[n]) is not None})
    if caps.spot_cap_currency is not None and any(c != caps.spot_cap_currency for c in currencies):
        out.append(
            Problem(
                f"{path}.market.{key}",
                f"the catalog prices {', '.join(capped)} in {', '.join(currencies)}, but the "
                f"{CLOUD_NAMES[group.cloud]} spot max price is in {caps.spot_cap_currency}",
            )
        )
    elif len(currencies) > 1:
        out.append(
            Problem(
                f"{path}.gpu",
                f"the catalog prices this group's types in {' and '.join(currencies)}; one group's spot caps "
                "would mix currencies. Use types priced in one currency",
            )
        )
    return out
