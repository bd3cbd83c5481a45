"""Spec-time refusals for Alibaba groups (gpufleet.alicloud.rules via validate_fleet)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml
from aligroups import A10_SPOT, EBMGN8IS_ERDMA, GN8IS_ERDMA, SHANGHAI_SCHEDULES, ali

from gpufleet.alicloud.schedule import first_run
from gpufleet.catalog import Catalog
from gpufleet.errors import ConfigError
from gpufleet.validation import validate_fleet
from helpers import DROP, STACKS, fleet


def problems(group: dict[str, Any], catalog: Catalog) -> dict[str, str]:
    """path -> message of every problem (empty when the group is valid)."""
    try:
        validate_fleet(fleet(group), catalog)
    except ConfigError as e:
        return {p.path: p.message for p in e.problems}
    return {}


def test_reference_groups_are_valid(catalog: Catalog) -> None:
    assert problems(ali(GN8IS_ERDMA), catalog) == {}
    assert problems(ali(A10_SPOT, SHANGHAI_SCHEDULES), catalog) == {}


def test_berlin_schedule_is_refused_with_the_reason(catalog: Catalog) -> None:
    group = ali(
        {
            "autoscaling": {
                "scheduleStart": "2026-12-01",
                "schedules": [{"cron": "0 20 * * *", "timezone": "Europe/Berlin", "desired": 4}],
            }
        }
    )
    found = problems(group, catalog)
    msg = found["groups[0].autoscaling.schedules[0]"]
    assert "Europe/Berlin" in msg and "daylight saving time" in msg and "UTC only" in msg


def test_schedules_without_a_start_are_valid(catalog: Catalog) -> None:
    # Issue 16 item 3: without scheduleStart the window starts on the deploy date (the plan's --as-of).
    schedule = {"cron": "0 9 * * *", "timezone": "Asia/Shanghai", "min": 1, "desired": 1}
    assert problems(ali({"autoscaling": {"schedules": [schedule]}}), catalog) == {}


def test_a_dst_zone_without_a_start_is_refused_on_the_schedule(catalog: Catalog) -> None:
    schedule = {"cron": "0 20 * * *", "timezone": "Europe/Berlin", "min": 1, "desired": 1}
    found = problems(ali({"autoscaling": {"schedules": [schedule]}}), catalog)
    assert list(found) == ["groups[0].autoscaling.schedules[0]"]
    assert "daylight saving time" in found["groups[0].autoscaling.schedules[0]"]


@pytest.mark.parametrize(
    ("months", "ok"),
    [
        ("*/2", True),  # every other month: at most 61 days apart
        ("1,3,5,6,8,10,12", True),
        ("1,4,7,10", False),  # deployed on Apr 2, the next run (Jul 1) is 90 days away: too late for ESS
        ("1,5,9", False),
    ],
)
def test_without_a_start_every_deploy_day_needs_a_run_within_90_days(catalog: Catalog, months: str, ok: bool) -> None:
    cron = f"0 9 1 {months} *"
    schedule = {"cron": cron, "timezone": "UTC", "min": 1, "desired": 1}
    found = problems(ali({"autoscaling": {"schedules": [schedule]}}), catalog)
    # Independent of the gap count: try every deploy day of two years with first_run.
    days = (dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(730))
    assert all(first_run(cron, d) is not None for d in days) is ok
    assert (found == {}) is ok
    if not ok:
        assert "scheduleStart" in found["groups[0].autoscaling.schedules[0]"]


def test_first_run_beyond_90_days_is_refused(catalog: Catalog) -> None:
    group = ali(
        {
            "autoscaling": {
                "scheduleStart": "2026-12-01",
                "schedules": [{"cron": "0 0 29 2 *", "timezone": "UTC", "min": 1, "desired": 1}],
            }
        }
    )
    assert "within 90 days" in problems(group, catalog)["groups[0].autoscaling.schedules[0]"]


def _scheduled(capacity: dict[str, int], *schedules: dict[str, Any]) -> dict[str, Any]:
    return ali({"capacity": capacity, "autoscaling": {"scheduleStart": "2026-12-01", "schedules": list(schedules)}})


@pytest.mark.parametrize("cron", ["0 9 * * 0", "0 9 * * 7", "0 9 * * SUN", "0 9 * * 1-5", "0 9 15 * 1"])
def test_a_day_of_week_schedule_is_refused(catalog: Catalog, cron: str) -> None:
    # Issue 16 item 1: ESS's day-of-week numbering (1 = Monday or Sunday?) has no primary source.
    group = _scheduled({"min": 0, "max": 4}, {"cron": cron, "timezone": "Asia/Shanghai", "min": 1})
    msg = problems(group, catalog)["groups[0].autoscaling.schedules[0]"]
    assert "day of the week" in msg and "Monday or from Sunday" in msg and "'0 9 * * *'" in msg


@pytest.mark.parametrize("cron", ["0,30 9 * * *", "*/10 9 * * *", "15-16 3 * * *"])
def test_more_than_one_run_an_hour_is_refused(catalog: Catalog, cron: str) -> None:
    group = _scheduled({"min": 0, "max": 4}, {"cron": cron, "timezone": "UTC", "min": 1})
    msg = problems(group, catalog)["groups[0].autoscaling.schedules[0]"]
    assert "at most once an hour" in msg


def test_once_an_hour_over_several_hours_is_fine(catalog: Catalog) -> None:
    group = _scheduled({"min": 0, "max": 4}, {"cron": "0 9-17 * * *", "timezone": "UTC", "min": 1})
    assert problems(group, catalog) == {}


def test_a_group_with_desired_needs_desired_in_every_min_max_schedule(catalog: Catalog) -> None:
    # Issue 16 item 2: a group created with desired > 0 has ESS's expected-number feature, and a
    # task that sets min/max without desired is rejected (help.aliyun.com .../overview-8).
    group = _scheduled(
        {"min": 0, "desired": 1, "max": 4},
        {"cron": "0 9 * * *", "timezone": "UTC", "min": 1},
        {"cron": "0 21 * * *", "timezone": "UTC", "max": 2, "desired": 1},
        {"cron": "0 22 * * *", "timezone": "UTC", "desired": 0},
    )
    found = problems(group, catalog)
    assert list(found) == ["groups[0].autoscaling.schedules[0].desired"]
    assert "missing" in found["groups[0].autoscaling.schedules[0].desired"]


def test_a_group_at_desired_zero_refuses_desired_in_a_schedule(catalog: Catalog) -> None:
    # The provider drops desired 0 (GetOk), so the group has no expected number and a task may set
    # only min/max.
    group = _scheduled(
        {"min": 0, "desired": 0, "max": 4},
        {"cron": "0 9 * * *", "timezone": "UTC", "desired": 2},
        {"cron": "0 21 * * *", "timezone": "UTC", "min": 0, "max": 4},
    )
    found = problems(group, catalog)
    assert list(found) == ["groups[0].autoscaling.schedules[0].desired"]
    assert "min: 2" in found["groups[0].autoscaling.schedules[0].desired"]


def test_capped_alibaba_spot_needs_the_billing_site(catalog: Catalog) -> None:
    # Issue 16 item 6: the limit's currency is the account's, not the region's.
    try:
        validate_fleet(fleet(ali(A10_SPOT), alicloud=DROP), catalog)
    except ConfigError as e:
        found = {p.path: p.message for p in e.problems}
    else:
        raise AssertionError("a capped Alibaba spot group without alicloud.billing validated")
    assert list(found) == ["alicloud.billing"]
    assert "'china' (CNY) or 'international' (USD)" in found["alicloud.billing"]
    # Uncapped spot and on-demand do not depend on the currency.
    validate_fleet(fleet(ali({"market": {"type": "spot"}}), alicloud=DROP), catalog)
    validate_fleet(fleet(ali(), alicloud=DROP), catalog)


def test_billing_site_must_be_one_of_the_two(catalog: Catalog) -> None:
    with pytest.raises(ConfigError) as e:
        validate_fleet(fleet(ali(A10_SPOT), alicloud={"billing": "usd"}), catalog)
    assert any(p.path.startswith("alicloud.billing") for p in e.value.problems)


def test_a_cap_below_a_cent_after_conversion_is_refused(catalog: Catalog) -> None:
    group = ali({"market": {"type": "spot", "maxPrices": {"ecs.gn7i-c8g1.2xlarge": 0.05, "ecs.gn7i-c16g1.4xlarge": 1}}})
    validate_fleet(fleet(group), catalog)  # 0.05 CNY is 5 fen
    with pytest.raises(ConfigError) as e:
        validate_fleet(fleet(group, alicloud={"billing": "international"}), catalog)
    (p,) = e.value.problems
    assert p.path == "groups[0].market" and "ecs.gn7i-c8g1.2xlarge" in p.message and "USD" in p.message


def test_price_cap_needs_a_catalog_price(catalog: Catalog) -> None:
    # The catalog has no gn8is price: a percent of nothing is refused, not silently uncapped.
    assert catalog.quote("alicloud", "ecs.gn8is-8x.32xlarge", "cn-beijing", "on-demand") is None
    group = ali(GN8IS_ERDMA, {"market": {"type": "spot", "maxPricePercent": 70}})
    msg = problems(group, catalog)["groups[0].market.maxPricePercent"]
    assert "ecs.gn8is-8x.32xlarge" in msg and "maxPrices" in msg and "SpotAsPriceGo" in msg


def test_a_pinned_price_limit_replaces_the_catalog_price(catalog: Catalog) -> None:
    group = ali(GN8IS_ERDMA, {"market": {"type": "spot", "maxPrices": {"ecs.gn8is-8x.32xlarge": 80.5}}})
    assert problems(group, catalog) == {}


def test_spot_up_to_on_demand_needs_no_price(catalog: Catalog) -> None:
    assert problems(ali(GN8IS_ERDMA, {"market": {"type": "spot"}}), catalog) == {}


def test_rdma_on_gn7i_is_refused(catalog: Catalog) -> None:
    msg = problems(ali({"rdma": True}), catalog)["groups[0].gpu.instanceTypes[0]"]
    assert "erdma" in msg


@pytest.mark.parametrize(
    ("fragment", "path", "words"),
    [
        # A created network needs zones (no look-up at plan time).
        ({"zones": []}, "groups[0].zones", "zones"),
        # Your own vSwitches need their VPC for the security group.
        ({"network": {"subnetIds": ["vsw-2ze0000000000000001"]}}, "groups[0].network.vpcId", "vpcId"),
        # SSM parameters are an AWS thing.
        ({"bootstrap": {"image": {"ssmParameter": "/x/y"}}}, "groups[0].bootstrap.image.ssmParameter", "AWS only"),
        # A /24 gives /27 vSwitches (8 fixed blocks; 28 usable addresses) for up to 500 nodes.
        (
            {"network": {"create": True, "cidr": "10.61.0.0/24"}, "capacity": {"max": 500}},
            "groups[0].network.cidr",
            "28 usable",
        ),
        # The range holds 8 fixed vSwitch blocks, so at most 8 zones.
        ({"zones": [f"cn-beijing-{z}" for z in "abcdefghi"]}, "groups[0].zones", "at most 8 zones"),
    ],
)
def test_network_and_image_refusals(catalog: Catalog, fragment: dict[str, Any], path: str, words: str) -> None:
    assert words in problems(ali(fragment), catalog)[path]


def test_two_card_erdma_through_ess_is_refused(catalog: Catalog) -> None:
    # Issue 16 item 5: the ESS API's NetworkInterfaces have no NetworkCardIndex (official model),
    # so where a second ERI of a two-card bare-metal type lands cannot be checked.
    import inspect

    import alibabacloud_ess20220222.models as ess

    fields = inspect.signature(ess.CreateScalingConfigurationRequestNetworkInterfaces.__init__).parameters
    assert "network_card_index" not in fields  # canary: when ESS gains it, revisit this refusal
    for t in ("ecs.ebmgn8is.32xlarge", "ecs.ebmgn8v.48xlarge"):
        group = ali(EBMGN8IS_ERDMA, {"gpu": {"count": 8, "instanceTypes": [t]}})
        msg = problems(group, catalog).get("groups[0].gpu.instanceTypes", "")
        assert t in msg and "NetworkCardIndex" in msg and "ecs.gn8is-4x.16xlarge" in msg, (t, msg)
    # The single-interface types stay: gn8is-4x.16xlarge is in the ERI table with 1.
    assert (
        problems(
            ali(GN8IS_ERDMA, {"gpu": {"model": "L20-48GB", "count": 4, "instanceTypes": ["ecs.gn8is-4x.16xlarge"]}}),
            catalog,
        )
        == {}
    )


def test_eri_interfaces_count_against_the_vswitch(catalog: Catalog) -> None:
    # One ERI per node; a /22 gives /25 vSwitches with 128 - 4 = 124 addresses.
    erdma = {"gpu": {"model": "L20-48GB", "count": 4, "instanceTypes": ["ecs.gn8is-4x.16xlarge"]}}
    net = {"network": {"create": True, "cidr": "10.60.0.0/22"}}
    ok = ali(GN8IS_ERDMA, erdma, net, {"capacity": {"max": 124}})
    too_many = ali(GN8IS_ERDMA, erdma, net, {"capacity": {"max": 125}})
    assert problems(ok, catalog) == {}
    assert "groups[0].network.cidr" in problems(too_many, catalog)


def test_tag_key_limits(catalog: Catalog) -> None:
    assert "aliyun" in problems(ali({"tags": {"aliyun-x": "1"}}), catalog)["groups[0].tags"]
    assert "64" in problems(ali({"tags": {"k" * 65: "1"}}), catalog)["groups[0].tags"]


def test_pinning_only_some_types_is_refused(catalog: Catalog) -> None:
    # Both types priced, but maxPrices pins one and there is no percent for the other.
    group = ali({"market": {"type": "spot", "maxPrices": {"ecs.gn7i-c8g1.2xlarge": 5.0}}})
    assert "ecs.gn7i-c16g1.4xlarge" in problems(group, catalog)["groups[0].market.maxPrices"]


@pytest.mark.parametrize(
    ("fragment", "path"),
    [
        ({"zones": ["cn-beijing-l", "cn-beijing-k"]}, "groups[0].zones"),
        (
            {"zones": [], "network": {"subnetIds": ["vsw-1", "vsw-2"], "vpcId": "vpc-1", "create": False}},
            "groups[0].zones",
        ),
        (
            {
                "zones": ["cn-beijing-l"],
                "network": {"subnetIds": ["vsw-1", "vsw-2"], "vpcId": "vpc-1", "create": False},
            },
            "groups[0].network.subnetIds",
        ),
    ],
)
def test_erdma_needs_exactly_one_zone(catalog: Catalog, fragment: dict[str, Any], path: str) -> None:
    found = problems(ali(GN8IS_ERDMA, fragment), catalog)
    assert "exactly one" in found[path] and "eRDMA" in found[path]


def test_erdma_with_own_single_vswitch_is_valid(catalog: Catalog) -> None:
    own = {"network": {"subnetIds": ["vsw-1"], "vpcId": "vpc-1", "create": False}}
    assert problems(ali(GN8IS_ERDMA, own), catalog) == {}


@pytest.mark.parametrize(
    ("market", "key"),
    [
        ({"type": "mixed", "onDemandBase": 1}, "onDemandBase"),
        ({"type": "spot", "onDemandPercentAboveBase": 20}, "onDemandPercentAboveBase"),
    ],
)
def test_erdma_cannot_mix_on_demand_and_spot(catalog: Catalog, market: dict[str, Any], key: str) -> None:
    # eRDMA groups use PRIORITY, which has no on-demand base or percentage (COST_OPTIMIZED only).
    msg = problems(ali(GN8IS_ERDMA, {"market": market}), catalog)[f"groups[0].market.{key}"]
    assert "PRIORITY" in msg and "COST_OPTIMIZED" in msg


def test_reference_erdma_stack_validates(catalog: Catalog) -> None:
    raw = yaml.safe_load((STACKS / "Pulumi.alicloud-train-erdma.yaml").read_text())["config"]["gpufleet:fleet"]
    spec = validate_fleet(raw, catalog).spec
    assert [(g.rdma, g.zones) for g in spec.groups] == [(True, ("cn-beijing-l",))]


@pytest.mark.parametrize(("cloud", "region", "zone"), [("aws", "us-east-1", "us-east-1a"), ("azure", "eastus", "1")])
def test_schedule_start_is_refused_on_other_clouds(catalog: Catalog, cloud: str, region: str, zone: str) -> None:
    auto = {"autoscaling": {"scheduleStart": "2026-12-01"}}
    found = problems({"cloud": cloud, "region": region, "zones": [zone], **auto}, catalog)
    assert "'autoscaling.scheduleStart' is Alibaba Cloud only" in found["groups[0].autoscaling.scheduleStart"], found
    # ... and accepted where it is read.
    assert problems(ali(auto), catalog) == {}


def test_the_erdma_template_uses_a_type_of_the_eri_table() -> None:
    # Issue 16 item 8: gn8is-8x.32xlarge is not in Alibaba's eRDMA interface table (PAI "eRDMA"
    # page), so its ERI count was a guess; the template now uses a listed type and says it needs a
    # sales request (ECS family doc: gn8is "contact Alibaba Cloud sales personnel").
    from gpufleet.alicloud.erdma import ERI_INTERFACES

    text = (STACKS / "Pulumi.alicloud-train-erdma.yaml").read_text()
    group = yaml.safe_load(text)["config"]["gpufleet:fleet"]["groups"][0]
    assert group["rdma"] is True
    assert all(t in ERI_INTERFACES for t in group["gpu"]["instanceTypes"]), group["gpu"]["instanceTypes"]
    assert "contact Alibaba Cloud sales" in text


def test_plan_warns_about_a_past_schedule_start_with_the_field_path() -> None:
    # Issue 16 item 3: judged against the plan's --as-of date (pinned here), not the clock.
    import datetime as dt

    from gpufleet.plan.run import PROJECT_ROOT, plan

    stack = STACKS / "Pulumi.alicloud-inference-a10-spot.yaml"
    late = plan(stack, program=PROJECT_ROOT / "__main__.py", today=dt.date(2026, 12, 10))
    assert any(
        w.startswith("groups[0].autoscaling.scheduleStart: 2026-12-01 is 9 days before 2026-12-10")
        for w in late.warnings
    ), late.warnings
    early = plan(stack, program=PROJECT_ROOT / "__main__.py", today=dt.date(2026, 11, 24))
    assert not any("scheduleStart" in w for w in early.warnings)
