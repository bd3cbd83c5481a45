"""Integrity of every catalog table (as gpuhunt does for its catalogs)."""

from __future__ import annotations

import csv
from collections import Counter
from importlib import resources

import pytest

from gpufleet.catalog import CLOUDS, Catalog


def _raw(name: str) -> list[dict[str, str]]:
    text = resources.files("gpufleet.catalog").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def test_instance_keys_are_unique() -> None:
    keys = Counter((r["cloud"], r["instance_type"]) for r in _raw("gpu_instances.csv"))
    assert [k for k, n in keys.items() if n > 1] == []


def test_price_keys_are_unique() -> None:
    keys = Counter((r["cloud"], r["instance_type"], r["region"]) for r in _raw("gpu_prices.csv"))
    assert [k for k, n in keys.items() if n > 1] == []


def test_region_keys_are_unique() -> None:
    keys = Counter((r["cloud"], r["region"]) for r in _raw("regions.csv"))
    assert [k for k, n in keys.items() if n > 1] == []


def test_prices_are_positive_and_spot_below_on_demand(catalog: Catalog) -> None:
    for p in catalog.prices:
        assert p.ondemand is None or p.ondemand > 0, p
        assert p.spot is None or p.spot > 0, p
        if p.ondemand is not None and p.spot is not None:
            # Some AZs list spot at the on-demand price, rounded to 4 places (spot_basis says so).
            assert p.spot <= p.ondemand * 1.0001, p


def test_every_priced_type_is_in_the_instance_table(catalog: Catalog) -> None:
    missing = {(p.cloud, p.instance_type) for p in catalog.prices if catalog.instance(p.cloud, p.instance_type) is None}
    assert missing == set()


def test_every_priced_region_is_in_the_regions_table(catalog: Catalog) -> None:
    missing = {(p.cloud, p.region) for p in catalog.prices if catalog.region(p.cloud, p.region) is None}
    assert missing == set()


def test_gpu_fields_are_consistent(catalog: Catalog) -> None:
    per_gpu: dict[str, set[float]] = {}
    for it in catalog.instances:
        assert it.cloud in CLOUDS
        assert it.gpu_count > 0, it.name
        assert it.gpu_memory_gib > 0, it.name
        if it.gpu_model and it.gpu_count >= 1:
            per_gpu.setdefault(it.gpu_model, set()).add(round(it.gpu_memory_gib / float(it.gpu_count), 1))
        if it.rdma == "efa":
            assert it.cloud == "aws" and it.efa_interfaces >= 1, it.name
        if it.rdma in ("infiniband",):
            assert it.cloud == "azure", it.name
        if it.rdma == "erdma":
            assert it.cloud == "alicloud", it.name
    # Every model has one memory size per GPU (the catalog's names carry that size).
    assert {m: s for m, s in per_gpu.items() if len(s) > 1} == {}


def test_every_row_names_its_source(catalog: Catalog) -> None:
    assert all(i.source for i in catalog.instances)
    assert all(p.source and p.as_of_text for p in catalog.prices)
    assert all(p.spot_source for p in catalog.prices if p.spot is not None)
    assert all(r.source for r in catalog.regions)


@pytest.mark.parametrize("currency", sorted({r["currency"] for r in _raw("gpu_prices.csv")}))
def test_every_price_currency_converts_to_usd(catalog: Catalog, currency: str) -> None:
    rate = catalog.fx_rate(currency)
    assert rate.usd_per_unit > 0 and rate.source


def test_amendments_apply_to_existing_rows() -> None:
    rows = {(r["cloud"], r["instance_type"]): r for r in _raw("gpu_instances.csv")}
    for am in _raw("amendments.csv"):
        row = rows[(am["cloud"], am["key"])]
        assert row[am["column"]] == am["value"]
        assert am["source"] in row["source"]
