"""spot-price-cap: every spot max price stays under a share of the on-demand price."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from gpufleet.catalog import Catalog, PriceQuote
from gpufleet.policy.base import ALICLOUD_PRICE_CURRENCY, CNY_USD_RATE, catalog_for, schema, settings, stack_groups
from gpufleet.policy.groups import Group
from gpufleet.policy.pricing import usd
from gpufleet.pricing.price import on_demand_quote, to_usd

SPOT_SCHEMA = schema(
    {
        "maxPercentOfOnDemand": {
            "type": "number",
            "minimum": 1,
            "maximum": 100,
            "default": 100,
            "description": (
                "Highest allowed spot max price, in percent of the type's on-demand price in the region. "
                "An uncapped spot market counts as 100%."
            ),
        },
        "cnyUsdRate": CNY_USD_RATE,
        "alicloudPriceCurrency": ALICLOUD_PRICE_CURRENCY,
    }
)

_FIX = {
    "aws": "set market.maxPricePercent in the group spec (gpufleet writes it as spotMaxPrice)",
    "azure": "set market.maxPricePercent in the group spec (gpufleet writes it as billingProfile.maxPrice)",
    "alicloud": "set market.maxPricePercent in the group spec (gpufleet writes spotPriceLimits, SpotWithPriceLimit)",
}


def _judge(
    g: Group, t: str, od: PriceQuote, catalog: Catalog, limit: float, shared: str, report_violation: ReportViolation
) -> None:
    """Report ``t``'s cap when it is above ``limit`` percent of ``od`` (``shared`` explains a group-wide cap)."""
    od_usd = to_usd(catalog, od.amount, od.currency)
    cap = g.market.caps.get(t)
    if cap is None:
        percent, what = 100.0, f"uncapped ({g.market.uncapped}), i.e. up to the on-demand price"
    else:
        cap_usd = to_usd(catalog, cap, g.market.cap_currency)
        percent = 100.0 * cap_usd / od_usd if od_usd > 0 else float("inf")
        what = f"{cap:g} {g.market.cap_currency} ({usd(cap_usd)}/h, {g.market.cap_field})"
    if percent > limit + 1e-6:
        subject = f"the spot max price of {g.label}" if shared else f"spot max price of {t} in {g.label}"
        base = f"on-demand of {t}, its most expensive type" if shared else "on-demand"
        report_violation(
            f"{subject} is {what} = {percent:.0f}% of {base} ({usd(od_usd)}/h, catalog {od.as_of_text}), above the "
            f"allowed {limit:g}%.{shared} To fix: {_FIX[g.cloud]} <= {limit:g}, or raise maxPercentOfOnDemand in "
            "the spot-price-cap config.",
            g.resource.urn,
        )


def validate_spot(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    config = settings(args.get_config(), SPOT_SCHEMA)
    limit = float(config["maxPercentOfOnDemand"])
    catalog = catalog_for(config)
    for g in stack_groups(args.resources, config["alicloudPriceCurrency"]):
        if g.spot_nodes(max(g.max, 1)) == 0 or g.placement.region is None:
            # No spot capacity; a group without a region is reported by allowed-regions.
            continue
        quotes: dict[str, PriceQuote] = {}
        for t in g.instance_types:
            od = on_demand_quote(catalog, g.cloud, t, g.placement.region)
            if od is None:
                report_violation(
                    f"cannot check the spot max price of {t} in {g.label}: the catalog has no on-demand price for "
                    f"it in {g.placement.region}. Use a type the catalog prices there, or add the price to "
                    "gpu_prices.csv.",
                    g.resource.urn,
                )
                continue
            quotes[t] = od
        if g.market.shared_cap and len(g.instance_types) > 1:
            # One cap for all types, set from the priciest one: judging it against a cheaper type's
            # on-demand price reports a percentage the user cannot change. With a type unpriced the
            # priciest is unknown; its "cannot check" is reported above.
            if len(quotes) == len(g.instance_types):
                t = max(quotes, key=lambda k: (to_usd(catalog, quotes[k].amount, quotes[k].currency), k))
                shared = (
                    f" The Auto Scaling group has one {g.market.cap_field} for all {len(quotes)} instance types, so "
                    "it is compared with the most expensive one (gpufleet sets it to the highest per-type cap)."
                )
                _judge(g, t, quotes[t], catalog, limit, shared, report_violation)
            continue
        for t, od in quotes.items():
            _judge(g, t, od, catalog, limit, "", report_violation)


SPOT_PRICE_CAP = StackValidationPolicy(
    name="spot-price-cap",
    description="Spot max prices must not exceed the configured percentage of the on-demand price.",
    validate=validate_spot,
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=SPOT_SCHEMA,
    severity=Severity.MEDIUM,
    remediation_steps="Set market.maxPricePercent at or below maxPercentOfOnDemand.",
)
