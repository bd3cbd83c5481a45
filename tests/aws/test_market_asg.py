"""Spot price cap and Auto Scaling group builders, without the engine."""

from __future__ import annotations

import math

import pytest
from awsgroups import L4_SPOT, ON_DEMAND_ONE, P5_EFA, MakeCtx

from gpufleet.aws import asg
from gpufleet.aws.market import format_price, spot_max_price, uses_mixed_instances
from gpufleet.catalog import Catalog
from gpufleet.pricing import spot_caps


def _group(ctx_group: object, **kw: object) -> object:
    return asg.group_args(
        ctx_group,  # type: ignore[arg-type]
        launch_template_id="lt-1",
        launch_template_version="3",
        subnet_ids=["subnet-a", "subnet-b"],
        placement_group=kw.get("placement_group"),  # type: ignore[arg-type]
    )


def test_spot_max_price_is_percent_of_catalog_on_demand(make_ctx: MakeCtx, catalog: Catalog) -> None:
    ctx = make_ctx(P5_EFA)
    od = catalog.quote("aws", "p5.48xlarge", "us-east-1", "on-demand")
    assert od is not None and od.currency == "USD"
    assert spot_max_price(ctx.resolved) == format_price(od.amount * 0.80)
    assert float(spot_max_price(ctx.resolved) or 0) == pytest.approx(od.amount * 0.80, abs=1e-5)


def test_several_types_share_the_highest_cap(make_ctx: MakeCtx, catalog: Catalog) -> None:
    ctx = make_ctx(L4_SPOT)
    caps = {
        t: catalog.quote("aws", t, "us-east-1", "on-demand").amount * 0.70  # type: ignore[union-attr]
        for t in ("g6.xlarge", "g6.2xlarge", "g6.4xlarge")
    }
    assert float(spot_max_price(ctx.resolved) or 0) == pytest.approx(max(caps.values()), abs=1e-5)
    assert len(set(caps.values())) == 3  # the rule matters: the caps differ


def test_pinned_max_prices_win(make_ctx: MakeCtx) -> None:
    group = {
        **L4_SPOT,
        "market": {"type": "spot", "maxPrices": {"g6.xlarge": 0.3, "g6.2xlarge": 0.35, "g6.4xlarge": 0.5}},
    }
    assert spot_max_price(make_ctx(group).resolved) == "0.5"


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        ({**L4_SPOT, "market": {"type": "spot"}}, None),  # no cap asked: pay up to on-demand
        (ON_DEMAND_ONE, None),  # on-demand: no spot at all
    ],
)
def test_uncapped_groups_omit_the_price(make_ctx: MakeCtx, group: dict[str, object], expected: None) -> None:
    assert spot_max_price(make_ctx(group).resolved) is expected


@pytest.mark.parametrize(
    ("amount", "text"), [(44.032, "44.032"), (0.926240001, "0.92624"), (1.0, "1"), (0.0001, "0.001")]
)
def test_format_price(amount: float, text: str) -> None:
    assert format_price(amount) == text


def test_spot_group_uses_a_mixed_instances_policy(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(L4_SPOT)
    args = _group(ctx)
    assert args.launch_template is None
    lt = args.mixed_instances_policy.launch_template
    assert (
        [o.instance_type for o in lt.overrides]
        == ctx.resolved.instance_types
        == ["g6.xlarge", "g6.2xlarge", "g6.4xlarge"]
    )
    assert (lt.launch_template_specification.launch_template_id, lt.launch_template_specification.version) == (
        "lt-1",
        "3",
    )
    dist = args.mixed_instances_policy.instances_distribution
    assert dist.on_demand_base_capacity == 0
    assert dist.on_demand_percentage_above_base_capacity == 0  # all spot above the base
    assert dist.spot_allocation_strategy == "price-capacity-optimized"
    assert dist.spot_max_price == spot_max_price(ctx.resolved)
    assert args.capacity_rebalance is True


def test_gpu_only_spec_diversifies_across_equivalent_catalog_types(make_ctx: MakeCtx) -> None:
    ctx = make_ctx({"gpu": {"model": "L4-24GB", "count": 1}, "market": {"type": "spot"}})
    overrides = [o.instance_type for o in _group(ctx).mixed_instances_policy.launch_template.overrides]
    assert len(overrides) > 1
    assert overrides == ctx.resolved.instance_types
    assert all(t.startswith("g6.") for t in overrides)


def test_mixed_market_keeps_an_on_demand_base(make_ctx: MakeCtx) -> None:
    dist = _group(make_ctx(P5_EFA), placement_group="pg-1").mixed_instances_policy.instances_distribution
    assert (dist.on_demand_base_capacity, dist.on_demand_percentage_above_base_capacity) == (1, 0)


def test_allocation_strategy_is_passed_through(make_ctx: MakeCtx) -> None:
    ctx = make_ctx({**L4_SPOT, "market": {"type": "spot", "allocationStrategy": "capacity-optimized"}})
    assert _group(ctx).mixed_instances_policy.instances_distribution.spot_allocation_strategy == "capacity-optimized"


def test_single_on_demand_type_uses_the_template_directly(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(ON_DEMAND_ONE)
    assert not uses_mixed_instances(ctx.resolved)
    args = _group(ctx)
    assert args.mixed_instances_policy is None
    assert (args.launch_template.id, args.launch_template.version) == ("lt-1", "3")
    assert args.capacity_rebalance is False


def test_several_on_demand_types_are_all_on_demand(make_ctx: MakeCtx) -> None:
    ctx = make_ctx({"gpu": {"model": "A10G-24GB", "count": 1, "instanceTypes": ["g5.xlarge", "g5.2xlarge"]}})
    dist = _group(ctx).mixed_instances_policy.instances_distribution
    assert (dist.on_demand_percentage_above_base_capacity, dist.spot_max_price) == (100, None)


def test_group_settings(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(P5_EFA)
    args = _group(ctx, placement_group="pg-1")
    assert args.name == ctx.name
    assert (args.min_size, args.desired_capacity, args.max_size) == (0, 1, 4)
    assert args.vpc_zone_identifiers == ["subnet-a", "subnet-b"]
    assert args.placement_group == "pg-1"
    assert args.wait_for_capacity_timeout == "0"
    assert args.health_check_grace_period >= 600  # GPU boot + driver + health check
    refresh = args.instance_refresh
    assert refresh.strategy == "Rolling"
    assert 0 <= refresh.preferences.min_healthy_percentage <= 100
    assert asg.IGNORE_CHANGES == ["desiredCapacity"]


def _aws_launches_first(desired: int, min_healthy: int, max_healthy: int | None) -> bool:
    """The Auto Scaling API reference (RefreshPreferences.MaxHealthyPercentage): with max set, when no
    instance can be replaced within both bounds, a new one is launched before an old one goes.
    MinHealthyPercentage rounds up to whole instances (RefreshPreferences.MinHealthyPercentage)."""
    if max_healthy is None:
        return False  # "terminates an instance and launches its replacement simultaneously"
    return desired - math.ceil(min_healthy * desired / 100) < 1


@pytest.mark.parametrize(
    ("capacity", "schedules"),
    [
        ({"min": 0, "desired": 1, "max": 4}, []),  # p5 template-like: can run 1 node
        ({"min": 2, "desired": 2, "max": 8}, []),
        ({"min": 3, "desired": 4, "max": 9}, [{"cron": "0 20 * * 1-5", "min": 5}]),
        ({"min": 12, "desired": 20, "max": 40}, []),
    ],
)
def test_refresh_never_needs_a_spare_node_by_default(
    make_ctx: MakeCtx, capacity: dict[str, int], schedules: list[dict[str, object]]
) -> None:
    # Issue 14 item 3: min 90 / max 100 made every group of 1-9 nodes launch before terminating.
    auto = {"autoscaling": {"schedules": schedules}} if schedules else {}
    ctx = make_ctx({**P5_EFA, "capacity": capacity, **auto})
    prefs = _group(ctx).instance_refresh.preferences
    assert prefs.max_healthy_percentage == 100  # the provider sends it either way
    for desired in range(max(1, capacity["min"]), capacity["max"] + 1):
        assert not _aws_launches_first(desired, prefs.min_healthy_percentage, prefs.max_healthy_percentage), desired
    assert _aws_launches_first(9, 90, 100) is not False  # the old setting did surge at 9 nodes


def test_surge_is_opt_in(make_ctx: MakeCtx) -> None:
    prefs = _group(make_ctx({**P5_EFA, "rollout": {"surge": True}})).instance_refresh.preferences
    assert (prefs.min_healthy_percentage, prefs.max_healthy_percentage) == (100, 200)
    assert _aws_launches_first(4, prefs.min_healthy_percentage, prefs.max_healthy_percentage)


def test_termination_hook_gives_the_node_time_to_drain(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(P5_EFA)
    (hook,) = _group(ctx).initial_lifecycle_hooks
    assert hook.name == f"{ctx.name}-drain"
    assert hook.lifecycle_transition == "autoscaling:EC2_INSTANCE_TERMINATING"
    assert 30 <= hook.heartbeat_timeout <= 7200
    assert hook.default_result == "CONTINUE"


def test_tags_propagate_to_instances(make_ctx: MakeCtx) -> None:
    tags = {t.key: (t.value, t.propagate_at_launch) for t in _group(make_ctx(P5_EFA)).tags}
    assert tags["gpufleet-group"] == ("trainers", True)
    assert tags["owner"] == ("ml", True)
    assert tags["Name"] == ("demo-trainers", True)


def test_a_type_without_on_demand_price_cannot_be_capped(make_ctx: MakeCtx, catalog: Catalog) -> None:
    # Built from an unvalidated spec (validation refuses it: see test_rules.py).
    from gpufleet.context import GroupContext
    from gpufleet.resolve import resolve_group
    from gpufleet.spec import FleetSpec
    from helpers import fleet

    raw = fleet(
        {
            "gpu": {"model": "H200-141GB", "count": 8, "instanceTypes": ["p5e.48xlarge"]},
            "market": {"type": "spot", "maxPricePercent": 50},
        }
    )
    spec = FleetSpec.model_validate(raw)
    ctx = GroupContext(spec, resolve_group(spec.groups[0], catalog), catalog)
    assert spot_caps(ctx.resolved).missing == ("p5e.48xlarge",)
    with pytest.raises(ValueError, match="no on-demand catalog price"):
        spot_max_price(ctx.resolved)
