"""spot-price-cap: AWS spotMaxPrice, Azure billingProfile.maxPrice, Alibaba price limits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from policy.graphs import (
    ALI_LT,
    ASG,
    DROP,
    ESS,
    LT,
    SC,
    VMSS,
    alicloud_graph,
    aws_graph,
    azure_graph,
    check,
    patch,
    where,
)

SPOT_GRAPHS: dict[str, Callable[[], list[Any]]] = {
    "aws": aws_graph,  # 44.032 USD = 80% of p5.48xlarge on-demand
    "azure": lambda: azure_graph(spot=True),  # 1.92 USD = 60% of NV36ads A10 v5
    "alicloud": alicloud_graph,  # 5.719 / 6.056 CNY = 60% of the two gn7i types
}
PERCENT = {"aws": 80, "azure": 60, "alicloud": 60}


@pytest.mark.parametrize("cloud", sorted(SPOT_GRAPHS))
def test_caps_within_the_limit_pass(cloud: str) -> None:
    limit = {"spot-price-cap": {"maxPercentOfOnDemand": PERCENT[cloud]}}
    assert check(SPOT_GRAPHS[cloud](), "spot-price-cap", limit) == []


@pytest.mark.parametrize("cloud", sorted(SPOT_GRAPHS))
def test_caps_above_the_limit_fail(cloud: str) -> None:
    found = check(SPOT_GRAPHS[cloud](), "spot-price-cap", {"spot-price-cap": {"maxPercentOfOnDemand": 50}})
    types = {"aws": 1, "azure": 1, "alicloud": 2}[cloud]  # one violation per capped instance type
    assert len(found) == types
    assert f"= {PERCENT[cloud]}% of on-demand" in found[0].message and "above the allowed 50%" in found[0].message
    assert "market.maxPricePercent" in found[0].message and found[0].enforcement == "advisory"


@pytest.mark.parametrize(
    ("cloud", "uncap", "why"),
    [
        (
            "aws",
            lambda g: patch(g, ASG, {"mixedInstancesPolicy": {"instancesDistribution": {"spotMaxPrice": ""}}}),
            "spotMaxPrice is empty or unset",
        ),
        (
            "azure",
            lambda g: patch(g, VMSS, {"virtualMachineProfile": {"billingProfile": {"maxPrice": -1.0}}}),
            "billingProfile.maxPrice is -1 or unset",
        ),
        ("alicloud", lambda g: patch(g, SC, {"spotStrategy": "SpotAsPriceGo"}), "SpotAsPriceGo"),
    ],
)
def test_uncapped_spot_counts_as_100_percent(cloud: str, uncap: Any, why: str) -> None:
    graph = uncap(SPOT_GRAPHS[cloud]())
    found = check(graph, "spot-price-cap")
    assert found and "= 100% of on-demand" in found[0].message and why in found[0].message
    # At the default limit (100%) an uncapped market is acceptable.
    assert check(graph, "spot-price-cap", {"spot-price-cap": {"maxPercentOfOnDemand": 100}}) == []


def test_on_demand_groups_are_not_checked() -> None:
    on_demand = patch(
        aws_graph(),
        ASG,
        {
            "mixedInstancesPolicy": {
                "instancesDistribution": {"onDemandPercentageAboveBaseCapacity": 100.0, "spotMaxPrice": ""}
            }
        },
    )
    assert check(on_demand, "spot-price-cap") == []
    assert check(azure_graph(), "spot-price-cap") == []  # regular priority
    no_spot = patch(alicloud_graph(), SC, {"spotStrategy": "NoSpot"})
    assert check(no_spot, "spot-price-cap") == []


def test_alibaba_launch_template_groups_use_override_limits() -> None:
    graph = alicloud_graph(launch_template=True)
    assert check(graph, "spot-price-cap", {"spot-price-cap": {"maxPercentOfOnDemand": 60}}) == []
    over = patch(
        graph, ESS, {"launchTemplateOverrides": [{"instanceType": "ecs.gn7i-c16g1.4xlarge", "spotPriceLimit": 9.0}]}
    )
    found = check(over, "spot-price-cap", {"spot-price-cap": {"maxPercentOfOnDemand": 60}})
    assert len(found) == 1 and "ecs.gn7i-c16g1.4xlarge" in found[0].message and "= 89% of on-demand" in found[0].message
    cheap = patch(graph, ALI_LT, {"spotPriceLimit": 9.0})
    assert "ecs.gn7i-c8g1.2xlarge" in check(cheap, "spot-price-cap")[0].message


def test_alibaba_limits_in_usd_for_international_accounts() -> None:
    # 5.719 read as USD is about 400% of a 9.53 CNY (~1.43 USD) on-demand price.
    found = check(alicloud_graph(), "spot-price-cap", {"spot-price-cap": {"alicloudPriceCurrency": "USD"}})
    assert len(found) == 2 and "5.719 USD" in found[0].message + found[1].message


def test_unpriced_types_cannot_be_checked() -> None:
    found = check(aws_graph("ap-south-2"), "spot-price-cap")
    assert (
        where(found) == ["demo-trainers-asg"] and "cannot check the spot max price of p5.48xlarge" in found[0].message
    )


def test_aws_plain_launch_template_spot_market() -> None:
    # No mixed instances policy: the launch template's own market options decide (all spot).
    graph = patch(
        aws_graph(), ASG, {"mixedInstancesPolicy": DROP, "launchTemplate": {"id": "lt-x", "version": "$Latest"}}
    )
    graph = patch(graph, LT, {"instanceMarketOptions": {"marketType": "spot", "spotOptions": {"maxPrice": "50.0"}}})
    found = check(graph, "spot-price-cap")
    assert len(found) == 1 and "instanceMarketOptions.spotOptions.maxPrice" in found[0].message
    assert "= 91% of on-demand" in found[0].message
    on_demand = patch(graph, LT, {"instanceMarketOptions": DROP})
    assert check(on_demand, "spot-price-cap") == []


def _two_type_asg(max_price: str) -> list[Any]:
    # One spotMaxPrice for both types, as gpufleet writes it: the highest per-type cap, here 70% of
    # p5.48xlarge's 55.04 USD/h (it is 140% of p4de.24xlarge's 27.44705 USD/h on-demand).
    return patch(
        aws_graph(),
        ASG,
        {
            "mixedInstancesPolicy": {
                "launchTemplate": {"overrides": [{"instanceType": "p4de.24xlarge"}, {"instanceType": "p5.48xlarge"}]},
                "instancesDistribution": {"spotMaxPrice": max_price},
            }
        },
    )


def test_aws_group_cap_is_judged_against_the_priciest_type() -> None:
    graph = _two_type_asg("38.528")
    assert check(graph, "spot-price-cap", {"spot-price-cap": {"maxPercentOfOnDemand": 80}}) == []
    found = check(graph, "spot-price-cap", {"spot-price-cap": {"maxPercentOfOnDemand": 60}})
    assert len(found) == 1, found  # one cap, one violation: not one per type
    message = found[0].message
    assert "= 70% of on-demand of p5.48xlarge, its most expensive type" in message
    assert "one spotMaxPrice for all 2 instance types" in message and "p4de" not in message


def test_aws_group_cap_with_an_unpriced_type_is_not_judged() -> None:
    # eu-central-1 prices p4de.24xlarge (34.29 USD/h) but not p5.48xlarge: the priciest type is unknown, so the
    # cap (112% of p4de) is not judged against p4de; only "cannot check" p5.48xlarge is said.
    graph = patch(_two_type_asg("38.528"), "pulumi:providers:aws", {"region": "eu-central-1"})
    found = check(graph, "spot-price-cap", {"spot-price-cap": {"maxPercentOfOnDemand": 60}})
    assert len(found) == 1 and "cannot check the spot max price of p5.48xlarge" in found[0].message, found
