"""Pure Azure builders: scale set layout, image choice, spot price, NSG rules."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from azuregroups import A10_TYPE, IB_GROUP, IB_TYPE

from gpufleet.azure import autoscale, layout, names, network, schedule, vmss
from gpufleet.azure.image import BASE_IMAGES, HPC_IMAGES, image_for, image_problem
from gpufleet.azure.schedule import ProfileCapacity
from gpufleet.context import GroupContext
from gpufleet.spec import BootstrapSpec
from helpers import ROOT

MakeCtx = Callable[..., GroupContext]


def test_on_demand_group_is_one_regular_uniform_set(group_ctx: MakeCtx) -> None:
    (plan,) = layout.scale_sets(group_ctx().group)
    assert (plan.role, plan.orchestration, plan.priority, plan.initial) == ("main", "Uniform", "Regular", 1)
    assert plan.capacity == ProfileCapacity(0, 0, 4)


def test_spot_group_is_one_spot_uniform_set(group_ctx: MakeCtx) -> None:
    (plan,) = layout.scale_sets(group_ctx(market={"type": "spot"}).group)
    assert (plan.orchestration, plan.priority, plan.mix_base) == ("Uniform", "Spot", None)


def test_mixed_group_without_ib_is_one_flexible_set_with_a_priority_mix(group_ctx: MakeCtx) -> None:
    group = group_ctx(market={"type": "mixed", "onDemandBase": 1, "onDemandPercentAboveBase": 25}).group
    (plan,) = layout.scale_sets(group)
    assert (plan.orchestration, plan.priority, plan.mix_base, plan.mix_percent) == ("Flexible", "Spot", 1, 25)


def test_mixed_ib_group_is_a_regular_base_and_a_spot_rest(group_ctx: MakeCtx) -> None:
    group = group_ctx(
        **{**IB_GROUP, "capacity": {"min": 1, "desired": 3, "max": 6}, "market": {"type": "mixed", "onDemandBase": 2}}
    ).group
    regular, spot = layout.scale_sets(group)
    assert (regular.role, regular.priority, regular.initial, regular.autoscaled) == ("regular", "Regular", 2, False)
    assert regular.capacity == ProfileCapacity(2, 2, 2)
    assert (spot.role, spot.priority, spot.initial, spot.autoscaled, spot.base) == ("spot", "Spot", 1, True, 2)
    assert spot.capacity == ProfileCapacity(0, 0, 4)
    assert {p.orchestration for p in (regular, spot)} == {"Uniform"}


@pytest.mark.parametrize(
    ("rdma", "os", "override", "expected", "has_driver"),
    [
        # InfiniBand: the HPC image, which ships driver + OFED
        (True, "ubuntu-22.04", None, "microsoft-dsvm:ubuntu-hpc:2204:latest", True),
        (True, "ubuntu-24.04", None, HPC_IMAGES["ubuntu-24.04"], True),
        # no InfiniBand: Canonical Ubuntu; the bootstrap installs the driver
        (False, "ubuntu-22.04", None, BASE_IMAGES["ubuntu-22.04"], False),
        # the spec's URN wins, with its driverIncluded flag
        (
            True,
            "ubuntu-22.04",
            {"id": "microsoft-dsvm:ubuntu-hpc:2204:22.04.2025", "driverIncluded": True},
            "microsoft-dsvm:ubuntu-hpc:2204:22.04.2025",
            True,
        ),
    ],
)
def test_image_choice(
    group_ctx: MakeCtx, rdma: bool, os: str, override: dict[str, object] | None, expected: str, has_driver: bool
) -> None:
    bootstrap = {"os": os, **({"image": override} if override else {})}
    ctx = group_ctx(**(IB_GROUP if rdma else {}), bootstrap=bootstrap)
    image = image_for(ctx)
    assert (image.urn, image.has_driver) == (expected, has_driver)


def test_image_resource_id_override(group_ctx: MakeCtx) -> None:
    ref = "/subscriptions/0/resourceGroups/img/providers/Microsoft.Compute/galleries/g/images/gpu/versions/1.0.0"
    image = image_for(group_ctx(bootstrap={"image": {"id": ref}}))
    assert (image.urn, image.resource_id) == (None, ref)
    assert image_problem(ref) is None
    assert vmss.image_reference(image).id == ref


@pytest.mark.parametrize(
    ("pct", "expected_factor"),
    [
        # capped: pct x the catalog on-demand price
        (60, 0.6),
        (80, 0.8),
        # no cap: -1 ("up to on-demand")
        (None, None),
    ],
)
def test_spot_max_price(group_ctx: MakeCtx, pct: float | None, expected_factor: float | None) -> None:
    market = {"type": "spot", **({"maxPricePercent": pct} if pct else {})}
    ctx = group_ctx(market=market)
    price = vmss.spot_max_price(ctx.resolved)
    if expected_factor is None:
        assert price == -1.0
        return
    quote = ctx.catalog.quote("azure", ctx.resolved.primary.instance.name, "eastus", "on-demand")
    assert quote is not None and quote.currency == "USD"
    assert price == pytest.approx(quote.amount * expected_factor)
    assert price > 0


def test_nsg_rules_allow_nothing_from_the_internet() -> None:
    rules = network.inbound_rules()
    allows = [r for r in rules if r.access == "Allow" and r.direction == "Inbound"]
    assert allows and all(r.source_address_prefix not in ("*", "Internet", "0.0.0.0/0") for r in allows)
    deny = [r for r in rules if r.access == "Deny" and r.source_address_prefix == "Internet"]
    assert len(deny) == 1 and deny[0].protocol == "*"


def test_computer_name_prefix_fits_linux_limits() -> None:
    assert names.computer_name_prefix("llm-train-ndh100") == "llm-train-ndh100-"
    long = "a" * 56 + "-regular"
    assert len(names.computer_name_prefix(long)) <= names.COMPUTER_NAME_PREFIX_MAX


def test_ib_ppg_intent_names_the_vm_size(group_ctx: MakeCtx) -> None:
    args = vmss.proximity_placement_group_args(group_ctx(**{**IB_GROUP, "zones": ["1"]}), "rg")
    assert args.intent.vm_sizes == [IB_TYPE]  # type: ignore[union-attr]
    assert args.zones == ["1"]


def test_health_endpoint_matches_the_bootstrap() -> None:
    # The node side of the contract lives in gpufleet.bootstrap.health; the extension must
    # probe exactly what the node serves, with the states it answers (rich: 2.0).
    from gpufleet.bootstrap import health

    settings = vmss.health_extension().settings
    assert isinstance(settings, dict)
    # one source (gpufleet.bootstrap.health), and it is what the node's daemon serves by default
    assert (settings["protocol"], settings["port"], settings["requestPath"]) == ("http", 8787, "/healthz")
    assert (health.HEALTH_PROTOCOL, health.HEALTH_PORT, health.HEALTH_PATH) == ("http", 8787, "/healthz")
    daemon = (ROOT / "components/gpufleet/bootstrap/scripts/gpufleet_healthd.py").read_text()
    assert 'os.environ.get("GPUFLEET_HEALTH_PORT", "8787")' in daemon
    assert 'os.environ.get("GPUFLEET_HEALTH_PATH", "/healthz")' in daemon
    # Azure answers "unhealthy" with HTTP 200 + body, which only Rich Health States read.
    assert health.UNHEALTHY_STATUS["azure"] == 200 and vmss.HEALTH_EXTENSION["version"] == "2.0"
    # The extension's grace outlasts the bootstrap's own deadline, so the node can report first.
    assert vmss.HEALTH_GRACE_SECONDS > health.BOOTSTRAP_DEADLINE_MINUTES * 60
    assert vmss.HEALTH_GRACE_SECONDS <= 14400  # documented maximum


def test_default_images_match_the_bootstrap_defaults(group_ctx: MakeCtx) -> None:
    # The bootstrap decides what to install from the same image choice; keep them in step.
    from gpufleet.bootstrap import images

    assert HPC_IMAGES == images.AZURE_HPC
    assert BASE_IMAGES == images.AZURE_UBUNTU
    for rdma in (True, False):
        spec = BootstrapSpec()
        ours = image_for(group_ctx(**(IB_GROUP if rdma else {})))
        theirs = images.default_image("azure", spec.os, rdma)
        assert (ours.urn, ours.has_driver) == (theirs.ref, theirs.driver_included)


def test_spot_max_price_is_the_pinned_cap_without_a_percentage(group_ctx: MakeCtx) -> None:
    """``gpufleet resolve`` pins maxPrices; with no maxPricePercent the pin is the cap, not -1."""
    ctx = group_ctx(market={"type": "spot", "maxPrices": {A10_TYPE: 1.234}})
    assert vmss.spot_max_price(ctx.resolved) == 1.234


def test_spot_max_price_prefers_the_pinned_cap_over_the_percentage(group_ctx: MakeCtx) -> None:
    ctx = group_ctx(market={"type": "spot", "maxPricePercent": 60, "maxPrices": {A10_TYPE: 1.234}})
    assert vmss.spot_max_price(ctx.resolved) == 1.234


def test_schedule_profiles_take_the_zone_of_the_converted_recurrence(
    group_ctx: MakeCtx, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cron conversion already resolved the Windows zone; the profile uses that one result."""
    ctx = group_ctx(
        autoscaling={"schedules": [{"name": "day", "cron": "0 8 * * 1-5", "timezone": "Europe/Berlin", "min": 1}]}
    )
    converted = schedule.cron_to_recurrence("0 8 * * 1-5", "Europe/Berlin")
    marked = dataclasses.replace(converted, time_zone="Marked Standard Time")
    monkeypatch.setattr(autoscale, "cron_to_recurrence", lambda cron, tz: marked)
    assert ctx.group.autoscaling is not None
    plan = next(p for p in layout.scale_sets(ctx.group) if p.autoscaled)
    _, day = autoscale.profiles(ctx.group.autoscaling, ctx.group.capacity, plan, "/subscriptions/0/x")
    recurrence: Any = day.recurrence  # plain Args objects (inputs are typed as Input[...])
    assert recurrence.schedule.time_zone == "Marked Standard Time"
    assert converted.time_zone == "W. Europe Standard Time"  # the real conversion, for the record
