"""gpu-budget-cap and gpu-quota over AWS, Azure and Alibaba groups."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

import pytest

from gpufleet.catalog import Catalog, PriceKind, PriceQuote
from gpufleet.policy.pricing import HOURS_PER_MONTH, usd, usd_month
from policy.graphs import (
    ASG,
    AUTOSCALE,
    BUILDERS,
    DROP,
    ESS,
    VMSS,
    alicloud_graph,
    aws_graph,
    azure_graph,
    check,
    erdma_graph,
    patch,
    where,
)


def od(catalog: Catalog, cloud: str, t: str, region: str) -> float:
    q = catalog.quote(cloud, t, region, "on-demand")  # type: ignore[arg-type]
    assert q is not None
    return catalog.to_usd(q.amount, q.currency)


def expected_hourly(catalog: Catalog, cloud: str) -> float:
    """What each base graph costs per hour at max capacity, from its declared shape."""
    if cloud == "aws":  # max 4: 1 on-demand base + 3 spot at the 44.032 USD cap
        return od(catalog, "aws", "p5.48xlarge", "us-east-1") + 3 * 44.032
    if cloud == "azure":  # max 4 (autoscale profile maximum), regular priority
        return 4 * od(catalog, "azure", "Standard_ND96isr_H100_v5", "eastus")
    # max 6, all spot, worst cap of the two types (6.056 CNY) converted at the catalog rate
    return 6 * catalog.to_usd(6.056, "CNY")


@pytest.mark.parametrize("cloud", sorted(BUILDERS))
def test_within_budget_passes(cloud: str) -> None:
    assert check(BUILDERS[cloud](), "gpu-budget-cap") == []


@pytest.mark.parametrize("cloud", sorted(BUILDERS))
def test_over_budget_fails_with_a_breakdown(cloud: str, catalog: Catalog) -> None:
    hourly = expected_hourly(catalog, cloud)
    found = check(BUILDERS[cloud](), "gpu-budget-cap", {"gpu-budget-cap": {"maxMonthlyUsd": 1000}})
    assert len(found) == 1 and found[0].urn == ""  # a stack-level violation
    message = found[0].message
    assert f"is {usd_month(hourly * HOURS_PER_MONTH)}/month" in message
    assert "over maxMonthlyUsd $1,000" in message and "730 h/month" in message
    assert f"{usd(hourly)}/h" in message  # the group's line of the breakdown
    assert "desired" in message and "raise maxMonthlyUsd" in message
    assert found[0].enforcement == "mandatory"


def test_monthly_total_just_under_the_cap_passes(catalog: Catalog) -> None:
    monthly = expected_hourly(catalog, "aws") * HOURS_PER_MONTH
    assert check(aws_graph(), "gpu-budget-cap", {"gpu-budget-cap": {"maxMonthlyUsd": monthly + 1}}) == []
    assert check(aws_graph(), "gpu-budget-cap", {"gpu-budget-cap": {"maxMonthlyUsd": monthly - 1}})


def test_azure_max_comes_from_the_autoscale_profiles(catalog: Catalog) -> None:
    found = check(azure_graph(), "gpu-budget-cap", {"gpu-budget-cap": {"maxMonthlyUsd": 1}})
    assert "[max of 1 autoscale setting(s)]: max 4 = 4 on-demand" in found[0].message
    assert "desired 2 = 2 on-demand" in found[0].message
    # Without an autoscale setting the scale set's own capacity is the max.
    alone = [r for r in azure_graph() if r.type != AUTOSCALE]
    assert "max 2 = 2 on-demand" in check(alone, "gpu-budget-cap", {"gpu-budget-cap": {"maxMonthlyUsd": 1}})[0].message


def test_catalog_spot_assumption(catalog: Catalog) -> None:
    spot = catalog.quote("aws", "p5.48xlarge", "us-east-1", "spot")
    assert spot is not None
    hourly = od(catalog, "aws", "p5.48xlarge", "us-east-1") + 3 * spot.amount
    config = {"gpu-budget-cap": {"maxMonthlyUsd": 1, "spotPriceAssumption": "catalog-spot"}}
    message = check(aws_graph(), "gpu-budget-cap", config)[0].message
    assert f"{usd_month(hourly * HOURS_PER_MONTH)}/month" in message and "catalog spot" in message


def test_uncapped_spot_is_priced_at_on_demand(catalog: Catalog) -> None:
    graph = patch(aws_graph(), ASG, {"mixedInstancesPolicy": {"instancesDistribution": {"spotMaxPrice": ""}}})
    message = check(graph, "gpu-budget-cap", {"gpu-budget-cap": {"maxMonthlyUsd": 1}})[0].message
    hourly = 4 * od(catalog, "aws", "p5.48xlarge", "us-east-1")
    assert f"{usd(hourly)}/h" in message and "uncapped, priced at on-demand" in message


def test_azure_spot_cap_in_usd(catalog: Catalog) -> None:
    message = check(azure_graph(spot=True), "gpu-budget-cap", {"gpu-budget-cap": {"maxMonthlyUsd": 1}})[0].message
    assert f"4 spot x {usd(1.92)}/h (Standard_NV36ads_A10_v5, cap 1.92 USD)" in message


def test_cny_rate_override_converts_alibaba_prices() -> None:
    config = {"gpu-budget-cap": {"maxMonthlyUsd": 1, "cnyUsdRate": 0.2}}
    message = check(alicloud_graph(), "gpu-budget-cap", config)[0].message
    assert f"6 spot x {usd(6.056 * 0.2)}/h" in message and "CNY at 0.2 USD (cnyUsdRate)" in message


def test_cny_rate_override_is_deterministic(catalog: Catalog) -> None:
    from gpufleet.policy.base import catalog_for

    rate = catalog_for({"cnyUsdRate": 0.1234}).fx_rate("CNY")
    # The config has no date: the override keeps the catalog rate's date, never today's.
    assert (rate.usd_per_unit, rate.as_of) == (0.1234, catalog.fx_rate("CNY").as_of)
    assert rate.source == "configured rate (cnyUsdRate)"


def test_per_group_hourly_cap(catalog: Catalog) -> None:
    config = {"gpu-budget-cap": {"maxHourlyUsd": 100}}
    found = check(aws_graph(), "gpu-budget-cap", config)
    assert where(found) == ["demo-trainers-asg"] and "over maxHourlyUsd $100.00" in found[0].message
    assert check(aws_graph(), "gpu-budget-cap", {"gpu-budget-cap": {"maxHourlyUsd": 1000}}) == []


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        (lambda: aws_graph("ap-south-2"), "no catalog on-demand price for p5.48xlarge in aws ap-south-2"),
        (
            lambda: patch(azure_graph(), VMSS, {"sku": {"name": "Standard_ND96isr_H200_v9"}}),
            "no catalog on-demand price for Standard_ND96isr_H200_v9 in azure eastus",
        ),
        (erdma_graph, "no catalog on-demand price for ecs.gn8is-8x.32xlarge in alicloud cn-beijing"),
    ],
)
def test_a_group_that_cannot_be_priced_fails(graph: object, expected: str) -> None:
    found = check(graph(), "gpu-budget-cap")  # type: ignore[operator]
    assert len(found) == 1 and expected in found[0].message
    assert "does not pass" in found[0].message and found[0].urn


class _EurSpotCatalog(Catalog):
    """The bundled catalog, but spot prices quoted in a currency fx.csv has no rate for."""

    def quote(self, cloud: str, instance_type: str, region: str, kind: PriceKind) -> PriceQuote | None:
        q = super().quote(cloud, instance_type, region, kind)  # type: ignore[arg-type]
        return replace(q, currency="EUR") if q is not None and kind == "spot" else q


def test_catalog_spot_in_an_unknown_currency_cannot_be_priced(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    eur = _EurSpotCatalog(**{f.name: getattr(catalog, f.name) for f in fields(catalog) if f.init})
    monkeypatch.setattr("gpufleet.policy.budget.catalog_for", lambda _config: eur)
    found = check(aws_graph(), "gpu-budget-cap", {"gpu-budget-cap": {"spotPriceAssumption": "catalog-spot"}})
    assert where(found) == ["demo-trainers-asg"], found
    assert "no USD rate for currency 'EUR'" in found[0].message and "does not pass" in found[0].message


def test_unknown_region_cannot_be_priced() -> None:
    graph = [replace(r, provider="") if r.type == ASG else r for r in aws_graph()]
    found = check(graph, "gpu-budget-cap")
    assert where(found) == ["demo-trainers-asg"] and "its region cannot be determined" in found[0].message


def test_the_total_of_a_partly_priced_stack_is_a_lower_bound() -> None:
    found = check([*aws_graph(), *erdma_graph()], "gpu-budget-cap", {"gpu-budget-cap": {"maxMonthlyUsd": 1}})
    total = [v for v in found if v.urn == ""]
    assert len(found) == 2 and "a lower bound: 1 group(s) could not be priced" in total[0].message


# gpu-quota -------------------------------------------------------------------------------------

GPUS = {"aws": 32, "azure": 32, "alicloud": 6}  # max nodes x GPUs per node of each base graph


@pytest.mark.parametrize("cloud", sorted(BUILDERS))
def test_quota_pass_and_fail(cloud: str) -> None:
    graph = BUILDERS[cloud]()
    assert check(graph, "gpu-quota", {"gpu-quota": {"maxGpus": GPUS[cloud]}}) == []
    found = check(graph, "gpu-quota", {"gpu-quota": {"maxGpus": GPUS[cloud] - 1}})
    assert (
        len(found) == 1
        and f"run {GPUS[cloud]} GPUs at max capacity, over maxGpus {GPUS[cloud] - 1}" in found[0].message
    )


def test_quota_sums_clouds_and_checks_each_cloud() -> None:
    graph = [*aws_graph(), *azure_graph(), *alicloud_graph()]
    total = sum(GPUS.values())
    assert check(graph, "gpu-quota", {"gpu-quota": {"maxGpus": total}}) == []
    found = check(graph, "gpu-quota", {"gpu-quota": {"maxGpus": total, "maxGpusPerCloud": {"azure": 16}}})
    assert len(found) == 1 and "azure groups would run 32 GPUs" in found[0].message


def test_quota_uses_the_max_of_autoscale_and_a_raised_max() -> None:
    graph = patch(aws_graph(), ASG, {"maxSize": 10.0})
    assert "run 80 GPUs" in check(graph, "gpu-quota", {"gpu-quota": {"maxGpus": 1}})[0].message
    graph = patch(alicloud_graph(), ESS, {"maxSize": 2.0})
    assert check(graph, "gpu-quota", {"gpu-quota": {"maxGpus": 2}}) == []


def test_quota_cannot_count_unknown_types() -> None:
    graph = patch(
        aws_graph(), ASG, {"mixedInstancesPolicy": {"launchTemplate": {"overrides": [{"instanceType": "x9.huge"}]}}}
    )
    found = check(graph, "gpu-quota")
    assert where(found) == ["demo-trainers-asg"] and "x9.huge not in the GPU catalog" in found[0].message


def test_azure_priority_mix_splits_regular_and_spot() -> None:
    # Flexible scale sets: 1 regular node, then 50% of the rest regular (rounded up: 3 of 4).
    graph = patch(
        azure_graph(spot=True),
        VMSS,
        {"priorityMixPolicy": {"baseRegularPriorityCount": 1.0, "regularPriorityPercentageAboveBase": 50.0}},
    )
    message = check(graph, "gpu-budget-cap", {"gpu-budget-cap": {"maxMonthlyUsd": 1}})[0].message
    assert "max 4 = 3 on-demand x" in message and "+ 1 spot x" in message


def test_alibaba_capacity_options_split() -> None:
    graph = patch(
        alicloud_graph(),
        ESS,
        {
            "onDemandBaseCapacity": DROP,
            "onDemandPercentageAboveBaseCapacity": DROP,
            "capacityOptionsOnDemandBaseCapacity": 2.0,
            "capacityOptionsOnDemandPercentageAboveBaseCapacity": 0.0,
        },
    )
    message = check(graph, "gpu-budget-cap", {"gpu-budget-cap": {"maxMonthlyUsd": 1}})[0].message
    assert "max 6 = 2 on-demand x" in message and "+ 4 spot x" in message


def test_stack_groups_are_found_once_whatever_the_configured_currency(monkeypatch: pytest.MonkeyPatch) -> None:
    from gpufleet.policy.groups import find_groups

    calls: list[str] = []

    def counting(resources: Any, currency: str = "CNY") -> Any:
        calls.append(currency)
        return find_groups(resources, currency)

    monkeypatch.setattr("gpufleet.policy.base.find_groups", counting)
    usd_limits = {"alicloudPriceCurrency": "USD"}
    check(alicloud_graph(), None, {"gpu-budget-cap": usd_limits, "spot-price-cap": usd_limits})
    # gpu-quota and required-tags read no spot caps, so they reuse the groups found under USD.
    assert calls == ["USD"]
