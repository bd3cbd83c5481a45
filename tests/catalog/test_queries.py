"""Catalog queries, GPU aliases, price quotes and currency conversion."""

from __future__ import annotations

import datetime as dt

import pytest

from gpufleet.catalog import Catalog, GpuNameError


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("H100-80GB", "H100-80GB"),  # canonical passes through
        ("h100-80gb", "H100-80GB"),  # case
        ("nvidia a10g", "A10G-24GB"),  # vendor prefix and bare family
        ("A10", "A10-24GB"),  # A10 is not a prefix of A10G
        ("a100 80gb", "A100-80GB"),  # space separator
        ("A100-80", "A100-80GB"),  # memory without unit
        ("l4", "L4-24GB"),
        ("h100 nvl", "H100-NVL-94GB"),
    ],
)
def test_gpu_aliases_resolve(catalog: Catalog, alias: str, canonical: str) -> None:
    assert catalog.resolve_gpu(alias) == canonical


@pytest.mark.parametrize(
    ("alias", "choices"), [("A100", ["A100-40GB", "A100-80GB"]), ("V100", ["V100-16GB", "V100-32GB"])]
)
def test_ambiguous_alias_lists_the_choices(catalog: Catalog, alias: str, choices: list[str]) -> None:
    with pytest.raises(GpuNameError, match="ambiguous") as e:
        catalog.resolve_gpu(alias)
    for c in choices:
        assert c in str(e.value)


def test_unknown_gpu_suggests(catalog: Catalog) -> None:
    with pytest.raises(GpuNameError, match="Did you mean 'H100-80GB'"):
        catalog.resolve_gpu("H1000")


def test_find_by_model_and_count(catalog: Catalog) -> None:
    names = {i.name for i in catalog.find(cloud="aws", gpu_model="L4", gpu_count=4)}
    assert names == {"g6.12xlarge", "g6.24xlarge"}


def test_find_by_rdma_kind_cloud_and_region(catalog: Catalog) -> None:
    ib = catalog.find(rdma="infiniband", region="eastus")
    assert {i.name for i in ib} >= {"Standard_ND96isr_H100_v5", "Standard_ND96amsr_A100_v4"}
    assert all(i.cloud == "azure" for i in ib)
    erdma = catalog.find(cloud="alicloud", rdma=True)
    assert erdma and all(i.rdma == "erdma" for i in erdma)


def test_find_by_memory(catalog: Catalog) -> None:
    big = catalog.find(min_gpu_memory_gib=1000)
    assert big and all(i.gpu_memory_gib >= 1000 for i in big)
    assert "p5e.48xlarge" in {i.name for i in big}


def test_quote_carries_date_currency_and_source(catalog: Catalog) -> None:
    q = catalog.quote("aws", "p5.48xlarge", "us-east-1", "on-demand")
    assert q is not None
    assert q.amount == pytest.approx(55.04)
    assert q.currency == "USD" and q.as_of == dt.date(2026, 7, 20) and "karpenter" in q.source
    spot = catalog.quote("aws", "p5.48xlarge", "us-east-1", "spot")
    assert spot is not None and spot.amount < q.amount and "skypilot" in spot.source


def test_quote_is_none_where_the_catalog_has_no_price(catalog: Catalog) -> None:
    assert catalog.quote("aws", "p5e.48xlarge", "us-east-1", "on-demand") is None
    assert catalog.quote("azure", "Standard_ND96isr_H100_v5", "eastus", "spot") is None


def test_alibaba_prices_stay_in_cny_and_convert_at_the_dated_rate(catalog: Catalog) -> None:
    q = catalog.quote("alicloud", "ecs.gn7i-c8g1.2xlarge", "cn-beijing", "on-demand")
    assert q is not None and q.currency == "CNY"
    rate = catalog.fx_rate("CNY")
    assert rate.as_of == dt.date(2026, 10, 30)
    assert catalog.to_usd(q.amount, "CNY") == pytest.approx(q.amount * rate.usd_per_unit)


def test_fx_override(catalog: Catalog) -> None:
    other = catalog.with_fx("CNY", 0.2, dt.date(2026, 11, 1), "test")
    assert other.to_usd(10, "CNY") == pytest.approx(2.0)
    assert catalog.to_usd(10, "CNY") != pytest.approx(2.0)  # the original is untouched
    with pytest.raises(ValueError, match="positive"):
        catalog.with_fx("CNY", 0, dt.date(2026, 11, 1), "test")
    with pytest.raises(KeyError, match="EUR"):
        catalog.to_usd(1, "EUR")
