"""Shared plumbing of the policies: config with defaults, the catalog, and cached groups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyConfigSchema, PolicyResource

from gpufleet.catalog import Catalog, load_catalog
from gpufleet.policy.groups import Group, find_groups
from gpufleet.policy.schema import check_schema, defaults

CNY_USD_RATE: dict[str, Any] = {
    "type": "number",
    "minimum": 0.000001,
    "description": "USD per CNY for Alibaba prices; overrides the dated rate in the catalog's fx.csv.",
}
ALICLOUD_PRICE_CURRENCY: dict[str, Any] = {
    "type": "string",
    "enum": ["CNY", "USD"],
    "default": "CNY",
    "description": (
        "Currency of Alibaba spot price limits in the stack: CNY like the catalog (China site, the default "
        "gpufleet writes), or USD for accounts billed in USD."
    ),
}


def schema(properties: dict[str, dict[str, Any]], required: list[str] | None = None) -> PolicyConfigSchema:
    """A ``PolicyConfigSchema`` whose keywords the local checker fully implements."""
    check_schema({"type": "object", "properties": properties, "required": required or []}, "config schema")
    return PolicyConfigSchema(properties=properties, required=required)


def settings(config: Mapping[str, Any], config_schema: PolicyConfigSchema | None) -> dict[str, Any]:
    """The policy's config with the schema defaults under it.

    The CLI fills defaults in before the pack sees the config; unit tests that call
    ``policy.validate`` directly may pass only a few keys, so policies merge them again.
    """
    base = defaults(config_schema.properties) if config_schema else {}
    base.update({k: config[k] for k in config})
    return base


def catalog_for(config: Mapping[str, Any]) -> Catalog:
    """The bundled catalog, with the CNY rate replaced when ``cnyUsdRate`` is configured."""
    catalog = load_catalog()
    rate = config.get("cnyUsdRate")
    if rate is None:
        return catalog
    return _with_rate(catalog, float(rate))


_RATES: dict[tuple[int, float], Catalog] = {}

CONFIGURED_RATE_SOURCE = "configured rate (cnyUsdRate)"
"""The source of a ``cnyUsdRate`` override. The config gives no date, so the override keeps
the date of the catalog's own CNY rate (``dt.date.min`` if it has none): the same inputs
always give the same output, whatever the day."""


def _with_rate(catalog: Catalog, rate: float) -> Catalog:
    key = (id(catalog), rate)
    if key not in _RATES:
        as_of = next((r.as_of for r in catalog.fx if r.currency == "CNY"), dt.date.min)
        _RATES[key] = catalog.with_fx("CNY", rate, as_of, CONFIGURED_RATE_SOURCE)
    return _RATES[key]


_GROUPS: list[tuple[Sequence[PolicyResource], str, list[Group]]] = []


def stack_groups(resources: Sequence[PolicyResource], alicloud_currency: str | None) -> list[Group]:
    """:func:`find_groups`, remembered for the last resource list (once per currency).

    ``alicloud_currency`` is the configured currency of Alibaba spot price limits; None
    means the caller does not read spot caps, so groups found under any currency do.
    The local evaluator hands every stack policy the same list, so the joins run once
    per evaluation; the engine builds a new list per policy and simply misses the cache.
    """
    if _GROUPS and _GROUPS[0][0] is not resources:
        _GROUPS.clear()
    for _, currency, result in _GROUPS:
        if alicloud_currency in (None, currency):
            return result
    currency = alicloud_currency or "CNY"
    result = find_groups(resources, currency)
    _GROUPS.append((resources, currency, result))
    return result


def clear_stack_cache() -> None:
    """Forget the remembered resource list (the evaluator calls this after each run)."""
    _GROUPS.clear()
