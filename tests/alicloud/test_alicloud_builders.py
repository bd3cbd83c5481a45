"""Pure Alibaba builders: spot plan, address plan, ERIs, scaling policy, alarms, names."""

from __future__ import annotations

import base64
import gzip
import io
import ipaddress
import itertools
import tarfile
from typing import Any

import pytest
import yaml
from aligroups import (
    A10_MIXED,
    A10_SPOT,
    A10_SPOT_UNCAPPED,
    ALI_BASE,
    EBMGN8IS_ERDMA,
    GN8IS_ERDMA,
    SHANGHAI_SCHEDULES,
    MakeCtx,
)

from gpufleet.alicloud import launch, network, scaling
from gpufleet.alicloud.erdma import ERI_INTERFACES, eri_count
from gpufleet.alicloud.image import PUBLIC_UBUNTU_IMAGES, image_for
from gpufleet.alicloud.names import short_name
from gpufleet.alicloud.netplan import MAX_ZONES, usable_addresses, vswitch_cidrs
from gpufleet.alicloud.spot import MAX_SPOT_POOLS, spot_plan
from gpufleet.bootstrap import AlicloudNode
from gpufleet.catalog import Catalog
from gpufleet.context import GroupContext
from gpufleet.metrics import GPU_UTILIZATION
from gpufleet.pricing.caps import round_down
from gpufleet.resolve import resolve_group
from gpufleet.spec import FleetSpec
from helpers import fleet, merge


def test_spot_limits_are_percent_of_catalog_price_in_its_currency(make_ctx: MakeCtx, catalog: Catalog) -> None:
    ctx = make_ctx(A10_SPOT)
    plan = spot_plan(ctx.resolved, catalog)
    assert plan.strategy == "SpotWithPriceLimit"
    expected = []
    for name in ctx.resolved.instance_types:
        quote = catalog.quote("alicloud", name, "cn-beijing", "on-demand")
        assert quote is not None and quote.currency == "CNY"
        expected.append((name, round_down(quote.amount * 0.60, 2)))
    assert plan.limits == tuple(expected)
    assert plan.currency == "CNY"
    # Rounded down to the cent, never above the cap.
    for (name, limit), t in zip(plan.limits, ctx.resolved.types, strict=True):
        assert t.on_demand is not None
        raw = t.on_demand.amount * 0.60
        assert raw - 0.01 < limit <= raw + 1e-9, name


def test_spot_without_a_cap_pays_up_to_on_demand(make_ctx: MakeCtx, catalog: Catalog) -> None:
    plan = spot_plan(make_ctx(A10_SPOT_UNCAPPED).resolved, catalog)
    assert (plan.strategy, plan.limits) == ("SpotAsPriceGo", ())


def test_on_demand_is_no_spot(make_ctx: MakeCtx, catalog: Catalog) -> None:
    plan = spot_plan(make_ctx().resolved, catalog)
    assert (plan.strategy, plan.pools) == ("NoSpot", None)


@pytest.mark.parametrize(("cap", "limit"), [(5.71956, 5.71), (6.0, 6.0), (0.019, 0.01), (10.999, 10.99)])
def test_price_limit_rounds_down_to_the_cent(cap: float, limit: float) -> None:
    assert round_down(cap, 2) == limit


def test_spot_pools_follow_the_types_and_are_capped(make_ctx: MakeCtx, catalog: Catalog) -> None:
    assert spot_plan(make_ctx(A10_SPOT).resolved, catalog).pools == 2
    assert MAX_SPOT_POOLS == 10


def test_vswitches_are_fixed_blocks_so_adding_a_zone_moves_none() -> None:
    # Zone i always gets block i of 8: adding a zone must not renumber (replace) a vSwitch.
    plans = [vswitch_cidrs("10.61.0.0/16", n) for n in range(1, MAX_ZONES + 1)]
    assert {p[0] for p in plans} == {"10.61.0.0/19"}
    for shorter, longer in itertools.pairwise(plans):
        assert longer[: len(shorter)] == shorter
    eight = plans[-1]
    assert eight[1:3] == ["10.61.32.0/19", "10.61.64.0/19"]
    nets = [ipaddress.IPv4Network(c) for c in eight]
    assert not any(a.overlaps(b) for i, a in enumerate(nets) for b in nets[i + 1 :])
    assert all(n.subnet_of(ipaddress.IPv4Network("10.61.0.0/16")) for n in nets)
    with pytest.raises(ValueError, match="at most 8 zones"):
        vswitch_cidrs("10.61.0.0/16", MAX_ZONES + 1)
    assert usable_addresses("10.61.0.0/24") == 252


def test_first_vswitch_is_the_same_for_one_two_and_three_zones(make_ctx: MakeCtx) -> None:
    zones = ["cn-beijing-h", "cn-beijing-i", "cn-beijing-j"]
    first = {network.vswitch_plan(make_ctx({"zones": zones[:n]}))[0] for n in (1, 2, 3)}
    assert first == {("cn-beijing-h", "10.61.0.0/19")}


def _unvalidated_ctx(catalog: Catalog, group: dict[str, Any]) -> GroupContext:
    """A context for a group that validation now refuses (two-card eRDMA through ESS): the
    builder must still produce the right interfaces should the refusal be lifted."""
    spec = FleetSpec.model_validate(fleet(merge(ALI_BASE, group)), by_name=False)
    return GroupContext(fleet=spec, resolved=resolve_group(spec.groups[0], catalog), catalog=catalog)


def test_eri_count_is_the_smallest_among_the_types(make_ctx: MakeCtx, catalog: Catalog) -> None:
    assert ERI_INTERFACES["ecs.ebmgn8is.32xlarge"] == 2
    bare = catalog.instance("alicloud", "ecs.ebmgn8is.32xlarge")
    one = catalog.instance("alicloud", "ecs.gn8is-4x.16xlarge")
    assert bare is not None and one is not None
    assert eri_count([bare]) == 2 and eri_count([bare, one]) == 1
    # Not in the table: the primary interface only.
    assert eri_count(t.instance for t in make_ctx(GN8IS_ERDMA).resolved.types) == 1


def test_erdma_interfaces(catalog: Catalog) -> None:
    nics = launch.network_interfaces(_unvalidated_ctx(catalog, EBMGN8IS_ERDMA), "sg-1")
    assert [(n.instance_type, n.network_interface_traffic_mode) for n in nics] == [
        ("Primary", "HighPerformance"),
        ("Secondary", "HighPerformance"),
    ]
    assert all(n.security_group_ids == ["sg-1"] for n in nics)


@pytest.mark.parametrize(
    ("fragment", "vswitches", "policy"),
    [
        ({}, 2, "BALANCE"),  # on-demand over two zones: spread evenly
        ({}, 1, "PRIORITY"),  # one vSwitch: nothing to balance
        (A10_SPOT, 2, "COST_OPTIMIZED"),  # spot: cheapest first, spot options apply
        (A10_MIXED, 2, "COST_OPTIMIZED"),
        (GN8IS_ERDMA, 1, "PRIORITY"),  # eRDMA: fill one zone first
        # Spot eRDMA keeps PRIORITY too: COST_OPTIMIZED would pick vSwitches by price.
        ({**GN8IS_ERDMA, "market": {"type": "spot"}}, 1, "PRIORITY"),
    ],
)
def test_multi_az_policy(make_ctx: MakeCtx, fragment: dict[str, object], vswitches: int, policy: str) -> None:
    assert scaling.multi_az_policy(make_ctx(fragment).group, vswitches) == policy


def test_scaling_group_spot_options_only_with_cost_optimized(make_ctx: MakeCtx, catalog: Catalog) -> None:
    mixed = make_ctx(A10_MIXED)
    args = scaling.scaling_group_args(mixed, ["vsw-a", "vsw-b"], 2, spot_plan(mixed.resolved, catalog))
    assert (args.on_demand_base_capacity, args.on_demand_percentage_above_base_capacity) == (1, 20)
    assert (args.spot_instance_remedy, args.spot_instance_pools, args.compensate_with_on_demand) == (True, 2, False)
    on_demand = make_ctx()
    args = scaling.scaling_group_args(on_demand, ["vsw-a", "vsw-b"], 2, spot_plan(on_demand.resolved, catalog))
    assert (args.on_demand_base_capacity, args.spot_instance_remedy, args.spot_instance_pools) == (None, None, None)


@pytest.mark.parametrize(("env", "protected"), [("prod", True), ("dev", False), (None, False)])
def test_deletion_protection_follows_env_prod(make_ctx: MakeCtx, env: str | None, protected: bool) -> None:
    ctx = make_ctx({"tags": {"env": env}} if env else {})
    assert scaling.deletion_protected(ctx) is protected


def test_group_tag_overrides_fleet_env(make_ctx: MakeCtx) -> None:
    ctx = make_ctx({"tags": {"env": "dev"}}, tags={"env": "prod"})
    assert scaling.deletion_protected(ctx) is False


def test_gpu_alarms_read_the_shared_metric(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(SHANGHAI_SCHEDULES)
    plan = scaling.gpu_scaling(ctx)
    assert plan is not None and plan.metric == GPU_UTILIZATION["alicloud"]
    high = scaling.alarm_args(ctx, "asg-1", "ari-out", plan, "out")
    low = scaling.alarm_args(ctx, "asg-1", "ari-in", plan, "in")
    assert (high.metric_name, high.metric_type, high.comparison_operator, high.threshold) == (
        "GpuUtilizationAgent",
        "system",
        ">=",
        "60",
    )
    assert (low.comparison_operator, low.threshold, low.evaluation_count) == ("<", "30", 15)
    assert (high.alarm_actions, low.alarm_actions) == (["ari-out"], ["ari-in"])


def test_gpu_metric_is_labelled_as_ess_names_it(make_ctx: MakeCtx) -> None:
    # Issue 16 item 9: GpuUtilizationAgent is an ESS alarm metric of MetricType "system", not a
    # metric of the CloudMonitor namespace acs_ecs_dashboard. Checked against the official ESS model.
    import inspect

    import alibabacloud_ess20220222.models as ess

    doc = inspect.getsource(ess.CreateAlarmRequest.__init__)
    assert "*   system: system metrics of CloudMonitor." in doc
    assert "GpuUtilizationAgent: the GPU utilization. Unit: %." in doc
    ctx = make_ctx(SHANGHAI_SCHEDULES)
    plan = scaling.gpu_scaling(ctx)
    assert plan is not None
    high = scaling.alarm_args(ctx, "asg-1", "ari-out", plan, "out")
    assert high.metric_type == plan.metric.namespace == "system"
    assert high.description.startswith("system/GpuUtilizationAgent average >= 60%")
    assert "acs_ecs_dashboard" not in (high.description or "")


def _fires(operator: str, value: float, threshold: str) -> bool:
    """What an ESS alarm does with ``value`` (the four operators ess.Alarm accepts)."""
    t = float(threshold)
    return {">=": value >= t, "<=": value <= t, ">": value > t, "<": value < t}[operator]


@pytest.mark.parametrize("target", [10.0, 33.3, 57.1, 60.0, 85.0, 100.0])
def test_scale_in_never_triggers_scale_out(make_ctx: MakeCtx, target: float) -> None:
    ctx = make_ctx({"autoscaling": {"gpuUtilizationTarget": target}})
    plan = scaling.gpu_scaling(ctx)
    assert plan is not None
    high = scaling.alarm_args(ctx, "asg-1", "ari-out", plan, "out")
    low = scaling.alarm_args(ctx, "asg-1", "ari-in", plan, "in")
    assert isinstance(low.threshold, str) and isinstance(high.threshold, str)
    assert isinstance(low.comparison_operator, str) and isinstance(high.comparison_operator, str)
    # Averages from 0 up to just past the scale-in threshold, on a 0.05 grid plus the threshold itself.
    averages = sorted({i / 20 for i in range(int(float(low.threshold) * 20) + 3)} | {float(low.threshold)})
    for nodes in range(2, 64):
        for avg in averages:
            if _fires(low.comparison_operator, avg, low.threshold):
                # The same work on one node fewer must not reach the scale-out alarm.
                after = avg * nodes / (nodes - 1)
                assert not _fires(high.comparison_operator, after, high.threshold), (nodes, avg, after)


def test_two_nodes_at_half_the_target_stay(make_ctx: MakeCtx) -> None:
    # The flap the strict gap prevents: 2 nodes at 30% -> 1 node at 60% -> scale out again.
    ctx = make_ctx({"autoscaling": {"gpuUtilizationTarget": 60}})
    plan = scaling.gpu_scaling(ctx)
    assert plan is not None and plan.scale_in_at == 30
    low = scaling.alarm_args(ctx, "asg-1", "ari-in", plan, "in")
    assert isinstance(low.comparison_operator, str) and isinstance(low.threshold, str)
    assert not _fires(low.comparison_operator, 30.0, low.threshold)
    assert _fires(low.comparison_operator, 29.9, low.threshold)


def test_no_gpu_target_no_alarms(make_ctx: MakeCtx) -> None:
    assert scaling.gpu_scaling(make_ctx()) is None


def test_no_ingress_from_anywhere(make_ctx: MakeCtx) -> None:
    for fragment in ({}, GN8IS_ERDMA, A10_SPOT):
        for _, rule in network.security_group_rules(make_ctx(fragment), "sg-1"):
            if rule.type == "ingress":
                assert rule.cidr_ip != network.ANYWHERE
                assert rule.cidr_ip is not None or rule.source_security_group_id == "sg-1"


def test_the_only_ingress_is_the_group_itself(make_ctx: MakeCtx) -> None:
    # No address-range ingress at all, not even the created VPC's: nothing gpufleet runs on
    # an Alibaba node is reached from the network (health goes out via SetInstanceHealth).
    for fragment in ({}, GN8IS_ERDMA, A10_SPOT):
        ingress = [r for _, r in network.security_group_rules(make_ctx(fragment), "sg-1") if r.type == "ingress"]
        assert all(r.cidr_ip is None and r.source_security_group_id == "sg-1" for r in ingress), fragment
        assert len(ingress) == (1 if fragment is GN8IS_ERDMA else 0)


def test_rdma_adds_the_self_rule(make_ctx: MakeCtx) -> None:
    def names(fragment: dict[str, object]) -> list[str]:
        return [n for n, _ in network.security_group_rules(make_ctx(fragment), "sg-1")]

    assert "ingress-self" in names(GN8IS_ERDMA)
    assert "ingress-self" not in names({})


def test_default_image_is_public_ubuntu_without_driver(make_ctx: MakeCtx) -> None:
    image = image_for(make_ctx())
    assert image.image_id == PUBLIC_UBUNTU_IMAGES["ubuntu-22.04"] and not image.driver_included
    own = image_for(make_ctx({"bootstrap": {"image": {"id": "m-2ze0000", "driverIncluded": True}}}))
    assert (own.image_id, own.driver_included) == ("m-2ze0000", True)


def test_node_context_names_the_group_and_carries_the_erdma_settings(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(GN8IS_ERDMA)
    node = launch.node_context(ctx, image_for(ctx))
    assert isinstance(node.cloud_node, AlicloudNode)
    assert node.cloud_node.scaling_group_name == ctx.name
    # Alibaba's eRDMA NCCL settings [DOC: PAI "eRDMA" NCCL variables, alicloud/erdma.py]
    assert node.cloud_node.nccl_settings["NCCL_IB_HCA"] == "erdma"
    assert node.cloud_node.erdma_interfaces == launch.interfaces_per_node(ctx) >= 1
    assert node.rdma and node.instance.rdma == "erdma"


def _node_file(user_data_b64: str, path: str) -> str:
    """The content of ``path`` on a node: a plain write_files entry, or a file in the gz+b64 tar."""
    text = base64.b64decode(user_data_b64).decode()
    assert text.startswith("#cloud-config\n")
    files = yaml.safe_load(text)["write_files"]
    for f in files:
        if f["path"] == path and f.get("encoding") is None:
            return str(f["content"])
    for f in files:
        if f.get("encoding") == "gz+b64":
            with tarfile.open(fileobj=io.BytesIO(gzip.decompress(base64.b64decode(f["content"])))) as tar:
                member = tar.extractfile(path.lstrip("/"))
                if member is not None:
                    return member.read().decode()
    raise AssertionError(f"{path} is not in the user data")


def test_erdma_settings_reach_the_node_env_in_the_user_data(make_ctx: MakeCtx) -> None:
    # Issue 16 item 7: the Alibaba builders fill the typed handoff, and the renderer writes it
    # where the node scripts read it (the user data itself, not the NodeContext).
    ctx = make_ctx(GN8IS_ERDMA)
    env = _node_file(launch.user_data(ctx, image_for(ctx)), "/etc/gpufleet/node.env")
    lines = dict(line.split("=", 1) for line in env.splitlines() if "=" in line)
    assert lines["GPUFLEET_ERDMA_INTERFACES"] == "1"
    assert "NCCL_IB_HCA=erdma" in lines["GPUFLEET_NCCL_SETTINGS"]
    assert lines["GPUFLEET_ESS_ENDPOINT"] == "https://ess.aliyuncs.com/"  # cn-beijing (item 10)
    assert lines["GPUFLEET_SCALING_GROUP_NAME"] == ctx.name


def test_every_type_of_a_two_type_group_is_in_the_node_types_table(make_ctx: MakeCtx) -> None:
    # ESS may launch the second type; its node must find its own GPU count etc.
    ctx = make_ctx()
    names = ctx.resolved.instance_types
    assert len(names) == 2
    table = _node_file(launch.user_data(ctx, image_for(ctx)), "/etc/gpufleet/types")
    assert [line.split()[0] for line in table.splitlines()] == list(names)


@pytest.mark.parametrize(("text", "limit"), [("a" * 40, 40), ("a" * 41, 40), ("x-" * 50, 64)])
def test_short_name_fits_and_is_stable(text: str, limit: int) -> None:
    out = short_name(text, limit)
    assert len(out) <= limit and out == short_name(text, limit)
    assert out == text or out != short_name(text + "y", limit)


# -- billing site (issue 16 item 6) -------------------------------------------------------------

CNY_USD = 0.150311
"""USD per CNY in the catalog's fx.csv (ECB reference rates of 2026-10-30, cross EURUSD/EURCNY)."""


def test_international_billing_converts_the_caps_to_usd(make_ctx: MakeCtx, catalog: Catalog) -> None:
    # An international-site account is billed in USD: 60% of a CNY list price, sent as is, would
    # be read as USD (about 4x on-demand). The limit is the CNY cap x the dated rate, cut to the cent.
    ctx = make_ctx(A10_SPOT, alicloud={"billing": "international"})
    plan = spot_plan(ctx.resolved, catalog, "international")
    expected = []
    for name in ctx.resolved.instance_types:
        quote = catalog.quote("alicloud", name, "cn-beijing", "on-demand")
        assert quote is not None and quote.currency == "CNY"
        expected.append((name, round_down(quote.amount * 0.60 * CNY_USD, 2)))
    assert plan.limits == tuple(expected)
    assert plan.currency == "USD"
    assert plan.conversion is not None
    assert (plan.conversion.rate, plan.conversion.as_of) == (CNY_USD, "2026-10-30")
    assert "ECB" in plan.conversion.source
    china = spot_plan(ctx.resolved, catalog, "china")
    assert china.currency == "CNY" and china.conversion is None
    for (_, usd), (_, cny) in zip(plan.limits, china.limits, strict=True):
        assert usd < cny * CNY_USD + 0.01 and usd <= cny  # never above the cap, about 1/6.65 of it


def test_china_billing_keeps_cny(make_ctx: MakeCtx, catalog: Catalog) -> None:
    ctx = make_ctx(A10_SPOT)
    assert spot_plan(ctx.resolved, catalog, "china") == spot_plan(ctx.resolved, catalog)
