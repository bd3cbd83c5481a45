"""Spec validation: every error names the field path, the bad value and what is valid."""

from __future__ import annotations

from typing import Any

import pytest

from gpufleet.catalog import Catalog
from gpufleet.errors import ConfigError
from gpufleet.validation import validate_fleet
from helpers import DROP, fleet


def problems(raw: Any, catalog: Catalog) -> dict[str, str]:
    with pytest.raises(ConfigError) as e:
        validate_fleet(raw, catalog)
    return {p.path: p.message for p in e.value.problems}


def test_a_valid_fleet_passes(catalog: Catalog) -> None:
    v = validate_fleet(fleet(), catalog)
    assert v.spec.groups[0].gpu.model == "H100-80GB"
    assert v.spec.groups[0].market.type == "on-demand"


@pytest.mark.parametrize(
    ("group", "path", "fragment"),
    [
        # min <= desired <= max
        ({"capacity": {"min": 3, "desired": 2, "max": 4}}, "groups[0].capacity", "min <= desired <= max"),
        # counts >= 1
        ({"capacity": {"min": 0, "max": 0}}, "groups[0].capacity.max", "greater than or equal to 1"),
        ({"gpu": {"model": "H100-80GB", "count": 0}}, "groups[0].gpu.count", "greater than or equal to 1"),
        # unknown GPU model, with did-you-mean
        ({"gpu": {"model": "H1000", "count": 8}}, "groups[0].gpu.model", "Did you mean 'H100-80GB'"),
        # ambiguous alias lists choices
        ({"gpu": {"model": "A100", "count": 8}}, "groups[0].gpu.model", "A100-40GB, A100-80GB"),
        # region unknown for that cloud
        ({"region": "us-east-9"}, "groups[0].region", "unknown aws region 'us-east-9'"),
        ({"region": "eastus"}, "groups[0].region", "is a azure region"),
        # instance types that do not carry the requested GPU
        (
            {"gpu": {"model": "H100-80GB", "instanceTypes": ["p4d.24xlarge"]}},
            "groups[0].gpu.instanceTypes[0]",
            "A100-40GB",
        ),
        (
            {"gpu": {"model": "H100-80GB", "instanceTypes": ["p5.48xlargee"]}},
            "groups[0].gpu.instanceTypes[0]",
            "Did you mean 'p5.48xlarge'",
        ),
        # rdma on a type without RDMA (issue 3: g4dn.xlarge)
        (
            {"gpu": {"instanceTypes": ["g4dn.xlarge"]}, "rdma": True},
            "groups[0].gpu.instanceTypes[0]",
            "rdma: true needs efa",
        ),
        # rdma across two AZs (issue 3)
        ({"zones": ["us-east-1a", "us-east-1b"], "rdma": True}, "groups[0].zones", "exactly one zone"),
        # spot cap over 100% (issue 3)
        (
            {"market": {"type": "spot", "maxPricePercent": 120}},
            "groups[0].market.maxPricePercent",
            "less than or equal to 100",
        ),
        # bad cron, bad time zone
        (
            {"autoscaling": {"schedules": [{"cron": "0 20 * *", "desired": 1}]}},
            "groups[0].autoscaling.schedules[0].cron",
            "needs 5",
        ),
        (
            {"autoscaling": {"schedules": [{"cron": "0 20 * * 1-5", "timezone": "Europe/Berln", "desired": 1}]}},
            "groups[0].autoscaling.schedules[0].timezone",
            "Did you mean 'Europe/Berlin'",
        ),
        # bad CIDR
        ({"network": {"create": True, "cidr": "10.0.0.0/33"}}, "groups[0].network.cidr", "not a valid CIDR"),
        ({"network": {"create": True, "cidr": "8.8.0.0/16"}}, "groups[0].network.cidr", "private"),
        # names invalid on the target cloud
        ({"name": "Trainers_1"}, "groups[0].name", "lowercase"),
        # unknown keys (typo) with the valid keys listed
        ({"capcity": {"max": 1}}, "groups[0].capcity", "Did you mean 'capacity'"),
        ({"zones": ["us-west-2a"]}, "groups[0].zones[0]", "not a zone of us-east-1"),
        ({"market": {"type": "on-demand", "maxPricePercent": 50}}, "groups[0].market", "only to market type 'spot'"),
        ({"network": {"create": True, "subnetIds": ["subnet-1"]}}, "groups[0].network", "not both"),
        ({"network": DROP, "rdma": True, "zones": []}, "groups[0].zones", "needs one zone"),
        # Azure: InfiniBand capacity and the reserved range (issue 4)
        (
            {
                "cloud": "azure",
                "region": "eastus",
                "zones": [],
                "gpu": {"instanceTypes": ["Standard_ND96isr_H100_v5"]},
                "rdma": True,
                "capacity": {"max": 101},
            },
            "groups[0].capacity.max",
            "single placement group",
        ),
        (
            {
                "cloud": "azure",
                "region": "eastus",
                "zones": [],
                "gpu": {"instanceTypes": ["Standard_ND96isr_H100_v5"]},
                "rdma": True,
                "network": {"create": True, "cidr": "172.16.0.0/20"},
            },
            "groups[0].network.cidr",
            "172.16.0.0/16",
        ),
        (
            {
                "cloud": "azure",
                "region": "eastus",
                "zones": [],
                "gpu": {"instanceTypes": ["Standard_NC24ads_A100_v4"]},
                "rdma": True,
            },
            "groups[0].gpu.instanceTypes[0]",
            "it has no RDMA",
        ),
        # Alibaba: RDMA on gn7i (issue 5)
        (
            {
                "cloud": "alicloud",
                "region": "cn-beijing",
                "zones": [],
                "gpu": {"instanceTypes": ["ecs.gn7i-c8g1.2xlarge"]},
                "rdma": True,
            },
            "groups[0].gpu.instanceTypes[0]",
            "needs erdma",
        ),
    ],
)
def test_bad_group_is_reported_with_its_path(catalog: Catalog, group: dict[str, Any], path: str, fragment: str) -> None:
    found = problems(fleet(group), catalog)
    assert path in found, found
    assert fragment in found[path]


def test_model_only_rdma_without_a_matching_type(catalog: Catalog) -> None:
    raw = fleet({"gpu": {"model": "V100-16GB", "count": 4}, "rdma": True, "zones": ["us-east-1a"]})
    assert "no aws type with 4 x V100-16GB supports efa" in problems(raw, catalog)["groups[0].rdma"]


def test_name_too_long_for_the_cloud(catalog: Catalog) -> None:
    found = problems(fleet({"name": "g" * 30}, name="f" * 30), catalog)
    assert "aws allows at most 50" in found["groups[0].name"]


def test_duplicate_group_names(catalog: Catalog) -> None:
    found = problems(fleet({}, {}), catalog)
    assert "duplicate group name 'trainers' (also groups[0])" in found["groups[1].name"]


def test_one_report_lists_every_problem(catalog: Catalog) -> None:
    raw = fleet(
        {"capcity": {"max": 1}, "region": "mars-1"},  # shape error plus a catalog error in the same group
        {"name": "b", "gpu": {"model": "H1000", "count": 8}},
        {"name": "c", "capacity": {"min": 5, "max": 1}},
        name="Bad Name",
    )
    found = problems(raw, catalog)
    assert set(found) >= {"name", "groups[0].capcity", "groups[0].region", "groups[1].gpu.model", "groups[2].capacity"}


def test_problem_messages_show_the_bad_value(catalog: Catalog) -> None:
    found = problems(fleet({"capacity": {"min": 0, "max": "four"}}), catalog)
    assert "'four'" in found["groups[0].capacity.max"]


def test_not_a_mapping(catalog: Catalog) -> None:
    assert "must be a mapping" in problems(["x"], catalog)["fleet"]


def test_warnings_for_unpinned_types_and_missing_prices(catalog: Catalog) -> None:
    v = validate_fleet(fleet({"gpu": {"model": "L4", "count": 1}}), catalog)
    assert any("pin them with 'gpufleet resolve'" in w.message for w in v.warnings)
    v = validate_fleet(
        fleet(
            {
                "cloud": "alicloud",
                "region": "cn-beijing",
                "zones": ["cn-beijing-l"],  # a created Alibaba network needs its zones (alicloud/rules.py)
                "gpu": {"instanceTypes": ["ecs.gn8is-8x.32xlarge"]},
            }
        ),
        catalog,
    )
    assert any("no price" in w.message for w in v.warnings)


def test_spec_is_frozen(catalog: Catalog) -> None:
    spec = validate_fleet(fleet(), catalog).spec
    with pytest.raises(Exception, match="frozen"):
        spec.groups[0].capacity.max = 9  # type: ignore[misc]


def test_market_defaults(catalog: Catalog) -> None:
    spec = validate_fleet(fleet({"market": {"type": "spot"}}), catalog).spec
    m = spec.groups[0].market
    assert (m.percent_above_base, m.allocation_strategy, m.max_price_percent) == (0, "price-capacity-optimized", None)


# Issue 14 item 6: schedule values against the group's max, on every cloud, with the field path.
_SCHEDULE_TEMPLATES = {
    "aws": "aws-inference-l4-spot",
    "azure": "azure-inference-a10-spot",
    "alicloud": "alicloud-inference-a10-spot",
}


def _with_schedule(cloud: str, schedule: dict[str, Any]) -> dict[str, Any]:
    """The cloud's inference template (a valid fleet) with one group, capacity 0/1/4 and one schedule."""
    from contract_cases import template_fleet

    value = template_fleet(_SCHEDULE_TEMPLATES[cloud])
    group = dict(value["groups"][0])
    # Every day: Alibaba refuses day-of-week crons (docs/alicloud.md).
    auto = {**(group.get("autoscaling") or {}), "schedules": [{"name": "peak", "cron": "0 20 * * *", **schedule}]}
    # Alibaba: a group created with a desired count needs it on every schedule, one without refuses
    # it on any (ESS scheduled-task doc), so the group's desired follows the schedule's.
    desired = 1 if cloud != "alicloud" or "desired" in schedule else 0
    group |= {"capacity": {"min": 0, "desired": desired, "max": 4}, "autoscaling": auto}
    group.setdefault("market", {}).pop("onDemandBase", None)
    return {**value, "groups": [group]}


@pytest.mark.parametrize("cloud", sorted(_SCHEDULE_TEMPLATES))
@pytest.mark.parametrize("key", ["desired", "min"])
def test_schedule_above_the_groups_max_is_refused_on_every_cloud(catalog: Catalog, cloud: str, key: str) -> None:
    found = problems(_with_schedule(cloud, {key: 10}), catalog)
    path = f"groups[0].autoscaling.schedules[0].{key}"
    assert list(found) == [path], found
    assert "10" in found[path] and "capacity.max 4" in found[path]


@pytest.mark.parametrize("cloud", sorted(_SCHEDULE_TEMPLATES))
def test_schedule_that_raises_max_or_stays_within_it_passes(catalog: Catalog, cloud: str) -> None:
    validate_fleet(_with_schedule(cloud, {"desired": 10, "max": 10}), catalog)
    validate_fleet(_with_schedule(cloud, {"desired": 4, "min": 4}), catalog)


@pytest.mark.parametrize("cloud", sorted(_SCHEDULE_TEMPLATES))
def test_schedule_desired_below_its_min_is_refused(catalog: Catalog, cloud: str) -> None:
    # The existing rule (spec.ScheduleSpec): min <= desired within one schedule.
    found = problems(_with_schedule(cloud, {"min": 3, "desired": 1}), catalog)
    assert list(found) == ["groups[0].autoscaling.schedules[0]"], found
    assert "min <= desired" in found["groups[0].autoscaling.schedules[0]"]


def test_rollout_is_aws_only(catalog: Catalog) -> None:
    from contract_cases import template_fleet

    value = template_fleet("azure-inference-a10-spot")
    group = {**value["groups"][0], "rollout": {"surge": True}}
    found = problems({**value, "groups": [group]}, catalog)
    assert "groups[0].rollout" in found and "AWS only" in found["groups[0].rollout"]
