"""Cost estimates of resolved groups."""

from __future__ import annotations

import datetime as dt

import pytest

from gpufleet.catalog import Catalog
from gpufleet.cost import HOURS_PER_MONTH, estimate_group, split_nodes
from gpufleet.resolve import resolve_group
from gpufleet.validation import validate_fleet
from helpers import fleet


@pytest.mark.parametrize(
    ("nodes", "base", "pct", "spot", "expected"),
    [
        (4, 1, 0, True, (1, 3)),  # base on-demand, the rest spot
        (4, 0, 50, True, (2, 2)),
        (3, 0, 50, True, (2, 1)),  # the on-demand share rounds up
        (0, 1, 0, True, (0, 0)),  # scale to zero
        (1, 2, 0, True, (1, 0)),  # base larger than the group
        (5, 1, 0, False, (5, 0)),  # on-demand market
    ],
)
def test_split_nodes(nodes: int, base: int, pct: int, spot: bool, expected: tuple[int, int]) -> None:
    s = split_nodes(nodes, base, pct, spot)
    assert (s.on_demand, s.spot) == expected


def _group(catalog: Catalog, **over: object) -> object:
    spec = validate_fleet(fleet(over), catalog).spec  # type: ignore[arg-type]
    return resolve_group(spec.groups[0], catalog)


def test_on_demand_group(catalog: Catalog) -> None:
    rg = _group(catalog, gpu={"instanceTypes": ["p5.48xlarge"]}, capacity={"min": 1, "desired": 2, "max": 4})
    c = estimate_group(rg, catalog, today=dt.date(2026, 11, 24))  # type: ignore[arg-type]
    assert c.hourly_usd == {"min": 55.04, "desired": 110.08, "max": 220.16}
    assert c.monthly_usd["max"] == pytest.approx(220.16 * HOURS_PER_MONTH)
    assert c.gpus == {"min": 8, "desired": 16, "max": 32}
    assert c.on_demand is not None and c.on_demand.currency == "USD"
    assert c.warnings == []  # dated 2026-07-20, younger than 180 days


def test_spot_priced_at_the_cap(catalog: Catalog) -> None:
    rg = _group(
        catalog,
        gpu={"instanceTypes": ["p5.48xlarge"]},
        capacity={"min": 0, "desired": 2, "max": 4},
        market={"type": "mixed", "onDemandBase": 1, "maxPricePercent": 80},
    )
    c = estimate_group(rg, catalog, today=dt.date(2026, 11, 24))  # type: ignore[arg-type]
    # max: 1 on-demand + 3 spot at 80% of 55.04
    assert c.hourly_usd["max"] == pytest.approx(55.04 + 3 * 55.04 * 0.8)
    assert c.hourly_usd["min"] == 0
    assert "80% of on-demand" in c.spot_basis
    # Issue 14 item 7: botocore's SpotMaxPrice doc: you pay the current spot price; a cap raises interruptions.
    assert "a price ceiling, not a saving" in c.spot_basis and "interrupts" in c.spot_basis
    uncapped = _group(catalog, gpu={"instanceTypes": ["p5.48xlarge"]}, market={"type": "spot"})
    assert "not a saving" not in estimate_group(uncapped, catalog, today=dt.date(2026, 11, 24)).spot_basis  # type: ignore[arg-type]
    catalog_spot = estimate_group(rg, catalog, spot="catalog-spot", today=dt.date(2026, 11, 24))  # type: ignore[arg-type]
    assert catalog_spot.hourly_usd["max"] == pytest.approx(55.04 + 3 * 17.6289)


def test_alibaba_converts_cny_at_the_dated_rate(catalog: Catalog) -> None:
    rg = _group(
        catalog,
        cloud="alicloud",
        region="cn-beijing",
        zones=["cn-beijing-h"],  # a created Alibaba network needs its zones (alicloud/rules.py)
        gpu={"instanceTypes": ["ecs.gn7i-c8g1.2xlarge"]},
        capacity={"min": 1, "max": 1},
    )
    c = estimate_group(rg, catalog, today=dt.date(2026, 11, 24))  # type: ignore[arg-type]
    od = c.on_demand
    assert od is not None and od.currency == "CNY"
    assert c.hourly_usd["min"] == pytest.approx(od.amount * catalog.fx_rate("CNY").usd_per_unit, abs=1e-4)
    assert any("days old" in w for w in c.warnings)  # 2024-10 prices are stale by 2026-11


def test_missing_price_gives_none_and_a_warning(catalog: Catalog) -> None:
    rg = _group(
        catalog,
        cloud="alicloud",
        region="cn-beijing",
        zones=["cn-beijing-l"],  # a created Alibaba network needs its zones (alicloud/rules.py)
        gpu={"instanceTypes": ["ecs.gn8is-8x.32xlarge"]},
        capacity={"min": 0, "max": 2},
    )
    c = estimate_group(rg, catalog)  # type: ignore[arg-type]
    assert c.hourly_usd == {"min": None, "desired": None, "max": None}
    assert any("no catalog on-demand price" in w for w in c.warnings)
