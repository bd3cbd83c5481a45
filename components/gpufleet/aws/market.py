"""How an AWS group buys capacity: instance-type overrides and the spot price cap (pure).

The spot max price rule
-----------------------
An Auto Scaling group has ONE ``SpotMaxPrice`` for all its instance types
(``InstancesDistribution.SpotMaxPrice``; launch template overrides carry no price)
[DOC: AWS EC2 Auto Scaling API, InstancesDistribution.SpotMaxPrice; research notes 4f].
gpufleet caps each type at ``maxPricePercent`` x its catalog on-demand price (or the
pinned ``maxPrices`` entry) and sets the group's cap to the **highest** of those caps.
So no listed type is priced out; a cheaper type can then be bought at up to the most
expensive type's cap, which is still at most the most expensive type's own cap. You
always pay the current spot price, never the cap. Taking the lowest cap instead would
silently stop every pricier type from launching. An uncapped group (no
``maxPricePercent``/``maxPrices``) omits the field: AWS then caps at the on-demand
price.
"""

from __future__ import annotations

from gpufleet.resolve import ResolvedGroup, ResolvedType

CATALOG_CURRENCY = "USD"
"""AWS prices in the catalog are USD per node-hour, as SpotMaxPrice is."""


def uses_mixed_instances(resolved: ResolvedGroup) -> bool:
    """A mixed instances policy is needed for spot, or to offer several types."""
    return resolved.spec.market.is_spot or len(resolved.types) > 1


def is_capped(resolved: ResolvedGroup) -> bool:
    market = resolved.spec.market
    return market.is_spot and (market.max_price_percent is not None or bool(market.max_prices))


def uncappable(resolved: ResolvedGroup) -> list[ResolvedType]:
    """Types the spec asks to cap but whose cap cannot be computed (no catalog price)."""
    if not is_capped(resolved):
        return []
    return [t for t in resolved.types if resolved.spot_cap(t) is None]


def spot_max_price(resolved: ResolvedGroup) -> str | None:
    """The group's ``spot_max_price`` string (USD per hour, up to 5 decimals), or None.

    Raises ValueError when a type cannot be capped; validation refuses such specs first
    (aws/rules.py), so this only fires on an unvalidated spec.
    """
    if not is_capped(resolved):
        return None
    missing = uncappable(resolved)
    if missing:
        names = ", ".join(t.instance.name for t in missing)
        raise ValueError(f"no on-demand catalog price to cap spot for {names} in {resolved.spec.region}")
    for t in resolved.types:
        if t.on_demand is not None and t.on_demand.currency != CATALOG_CURRENCY:
            raise ValueError(f"{t.instance.name}: expected a {CATALOG_CURRENCY} price, got {t.on_demand.currency}")
    caps = [resolved.spot_cap(t) for t in resolved.types]
    return format_price(max(c for c in caps if c is not None))


def format_price(amount: float) -> str:
    """``44.032`` -> ``"44.032"``: at most 5 decimals, no trailing zeros.

    The API takes a string with a minimum of 0.001 [DOC: InstancesDistribution.SpotMaxPrice
    via research notes infra-facts 4f], so a cap is never rounded below that.
    """
    return f"{max(amount, 0.001):.5f}".rstrip("0").rstrip(".")
