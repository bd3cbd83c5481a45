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

from gpufleet.pricing import spot_caps
from gpufleet.resolve import ResolvedGroup

CATALOG_CURRENCY = "USD"
"""AWS prices in the catalog are USD per node-hour, as SpotMaxPrice is."""


def uses_mixed_instances(resolved: ResolvedGroup) -> bool:
    """A mixed instances policy is needed for spot, or to offer several types."""
    return resolved.spec.market.is_spot or len(resolved.types) > 1


def spot_max_price(resolved: ResolvedGroup) -> str | None:
    """The group's ``spot_max_price`` string (USD per hour, up to 5 decimals), or None.

    The value is the caps model's one cap for all types (:class:`gpufleet.pricing.SpotCaps`,
    rule ``one-for-all``). Raises ValueError when a type cannot be capped; validation refuses
    such specs first (:func:`gpufleet.pricing.cap_problems`).
    """
    caps = spot_caps(resolved)
    if not caps.capped:
        return None
    if caps.missing:
        raise ValueError(f"no on-demand catalog price to cap spot for {', '.join(caps.missing)} in {caps.region}")
    for t in resolved.types:
        if t.on_demand is not None and t.on_demand.currency != CATALOG_CURRENCY:
            raise ValueError(f"{t.instance.name}: expected a {CATALOG_CURRENCY} price, got {t.on_demand.currency}")
    shared = caps.shared()
    assert shared is not None  # capped with no type missing
    return format_price(shared)


def format_price(amount: float) -> str:
    """``44.032`` -> ``"44.032"``: at most 5 decimals, no trailing zeros.

    The API takes a string with a minimum of 0.001 [DOC: InstancesDistribution.SpotMaxPrice
    via research notes infra-facts 4f], so a cap is never rounded below that.
    """
    return f"{max(amount, 0.001):.5f}".rstrip("0").rstrip(".")
