"""Alibaba Cloud limits checked at spec time (no Pulumi import: validation loads this)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Sequence

from gpufleet.alicloud.erdma import ERI_INTERFACES, PRIMARY_ONLY
from gpufleet.alicloud.netplan import (
    MAX_ZONES,
    SMALLEST_VSWITCH_PREFIX,
    SPLIT_BITS,
)
from gpufleet.alicloud.schedule import (
    DERIVED_CHECK_DAYS,
    LAUNCH_WITHIN_DAYS,
    REFERENCE_START,
    ScheduleError,
    derived_window_note,
    ess_schedule,
    longest_gap_days,
    task_window,
    window_warnings,
)
from gpufleet.alicloud.spot import BILLING_CURRENCY, spot_plan
from gpufleet.alicloud.static import static_problems
from gpufleet.catalog import Catalog, InstanceType
from gpufleet.errors import Problem
from gpufleet.pricing.caps import basis_of
from gpufleet.resolve import resolve_group
from gpufleet.rules import CloudRules, generic_tag_problem
from gpufleet.spec import GroupSpec


def _zone_ok(region: str, zone: str) -> bool:
    # Zone ids are the region plus a letter: "cn-hangzhou-h" in mainland regions,
    # "us-east-1a" where the region ends in a digit [DOC: Alibaba Cloud "Regions and zones"].
    return re.fullmatch(re.escape(region) + r"-?[a-z]", zone) is not None


def _tag_problem(key: str, value: str) -> str | None:
    # Keys may not start with "aliyun" or "acs:" and values are at most 128 characters
    # [SDK: ess.ScalingGroup tags docstring: key up to 64, value up to 128 characters, neither
    # beginning with "aliyun", "acs:", "http://" or "https://"].
    if key.lower().startswith(("aliyun", "acs:")):
        return f"Alibaba Cloud tag keys may not start with 'aliyun' or 'acs:' (got '{key}')"
    if len(key) > 64:
        return f"tag key '{key[:20]}...' is longer than 64 characters (Alibaba Cloud limit)"
    if len(value) > 128:
        return f"tag '{key}' has a value longer than 128 characters (Alibaba Cloud limit)"
    return generic_tag_problem(key, value)


def _check(group: GroupSpec, path: str, types: list[InstanceType], catalog: Catalog) -> list[Problem]:
    out = _network_problems(group, path, types)
    out += _rdma_problems(group, path, types)
    out += _spot_problems(group, path, catalog)
    out += _schedule_problems(group, path)
    out += static_problems(group, path, types)
    return out


def _rdma_problems(group: GroupSpec, path: str, types: list[InstanceType]) -> list[Problem]:
    """eRDMA groups sit in one zone and use ESS ``PRIORITY`` (scaling.py).

    One zone keeps a training job's nodes on one short path, like AWS EFA and Azure
    InfiniBand groups (their rules.py). eRDMA reuses the VPC as its link [DOC: Alibaba ECS
    "eRDMA overview"]; whether it works across zones at all is UNVERIFIED, and cross-zone
    latency would defeat it either way. The on-demand base and the percentage above it
    exist only under ``COST_OPTIMIZED`` [DOC: terraform-provider-alicloud ess_scaling_group],
    so an eRDMA group buys spot or on-demand, not a mix.
    """
    if not group.rdma:
        return []
    out = []
    # A created network without zones is already refused by _network_problems.
    if len(group.zones) > 1 or (not group.zones and not group.network.create):
        out.append(
            Problem(
                f"{path}.zones",
                f"rdma (eRDMA) needs exactly one zone, got {list(group.zones)}: a training group's nodes must "
                f"share a zone for low-latency eRDMA; e.g. zones: ['{group.region}-l']",
            )
        )
    multi = sorted(t.name for t in types if ERI_INTERFACES.get(t.name, PRIMARY_ONLY) > PRIMARY_ONLY)
    if multi and group.capacity.mode != "static":
        out.append(
            Problem(
                f"{path}.gpu.instanceTypes",
                f"{', '.join(multi)} take their extra eRDMA interfaces on a second network card, and ESS cannot "
                "say which card a secondary interface goes on (its NetworkInterfaces have no NetworkCardIndex), so "
                "where it lands cannot be checked without a launch. Run them as a fixed-size cluster, "
                "capacity: {mode: static, min: N, max: N} (ecs.Instance nodes in a LowLatency deployment set, "
                "secondary ERI on network card 1), or use a single-interface type through ESS, e.g. "
                "ecs.gn8is-4x.16xlarge (docs/alicloud.md, eRDMA)",
            )
        )
    subnets = group.network.subnet_ids or ()
    if len(subnets) > 1:
        out.append(
            Problem(
                f"{path}.network.subnetIds", f"rdma (eRDMA) needs exactly one vSwitch (one zone), got {len(subnets)}"
            )
        )
    market = group.market
    if (
        market.is_spot
        and group.capacity.mode != "static"
        and (market.on_demand_base > 0 or market.percent_above_base > 0)
    ):
        key = "onDemandBase" if market.on_demand_base > 0 else "onDemandPercentAboveBase"
        out.append(
            Problem(
                f"{path}.market.{key}",
                "an eRDMA group uses ESS multi-AZ policy PRIORITY, which has no on-demand base or percentage "
                "(those need COST_OPTIMIZED); use market type spot (all spot) or on-demand",
            )
        )
    return out


def _network_problems(group: GroupSpec, path: str, types: list[InstanceType]) -> list[Problem]:
    net = group.network
    if net.subnet_ids and net.vpc_id is None:
        return [
            Problem(
                f"{path}.network.vpcId",
                "give the VPC of the vSwitches (e.g. vpcId: vpc-2ze...): the group's security group is created in "
                "it, and gpufleet looks nothing up at plan time",
            )
        ]
    if not net.create:
        return []
    if not group.zones:
        return [
            Problem(
                f"{path}.zones",
                f"a created network needs the zones to put vSwitches in, e.g. zones: ['{group.region}-h'] "
                "(Alibaba zone ids; gpufleet looks nothing up at plan time)",
            )
        ]
    if len(group.zones) > MAX_ZONES:
        return [
            Problem(
                f"{path}.zones",
                f"a created network holds at most {MAX_ZONES} zones (its range is cut into {MAX_ZONES} fixed "
                f"vSwitch blocks, so adding a zone never renumbers the others), got {len(group.zones)}",
            )
        ]
    space = ipaddress.IPv4Network(net.address_space)
    if space.prefixlen + SPLIT_BITS > SMALLEST_VSWITCH_PREFIX:
        return [
            Problem(
                f"{path}.network.cidr",
                f"'{space}' is too small for {MAX_ZONES} vSwitch blocks (vSwitches are at most /29)",
            )
        ]
    # ESS may put every node in one zone (PRIORITY and COST_OPTIMIZED fill the first or
    # cheapest vSwitch first), so each vSwitch must hold all of them: checked for every cloud
    # by gpufleet.capabilities.subnet_problems.
    return []


def _spot_problems(group: GroupSpec, path: str, catalog: Catalog) -> list[Problem]:
    """ESS specifics of the caps (missing caps and currencies: gpufleet.pricing.cap_problems)."""
    if not group.market.is_spot:
        return []
    plan = spot_plan(resolve_group(group, catalog), catalog)
    out = []
    if plan.limits and plan.currency is None:
        out.append(Problem(f"{path}.market", "cannot tell the currency of the spot price limits from the catalog"))
    for name, limit in plan.limits:
        if limit <= 0:
            out.append(
                Problem(
                    f"{path}.market",
                    f"the spot price limit of {name} rounds down to 0.00 (ESS takes two decimals); raise it",
                )
            )
    return out


def _schedule_problems(group: GroupSpec, path: str) -> list[Problem]:
    """ESS cron dialect (schedule.py) and the expected-number model of scheduled tasks.

    ESS: on a group created with an expected number of instances a task that sets max/min must
    also set it, and on a group created without one a task may set only max/min [DOC:
    help.aliyun.com/zh/auto-scaling/user-guide/overview-8: "如果创建伸缩组时开启了期望实例数功能，则设置
    最大实例数和最小实例数后，必须同时设置期望实例数，否则会导致伸缩活动被拒绝" / "如果创建伸缩组时未开启期望实例数
    功能，则只能设置伸缩组的最大实例数和最小实例数"; read 2026-11-29]. The feature is on exactly when
    the group is created with ``capacity.desired`` > 0: the provider drops 0 [terraform-provider-alicloud
    resource_alicloud_ess_scaling_group.go, ``d.GetOk("desired_capacity")``]. The feature is fixed at
    creation [DOC: alibabacloud.com/help/en/auto-scaling/latest/expected-number-of-instances], so
    gpufleet follows the spec's ``capacity.desired`` and docs/alicloud.md says to recreate the group
    when it crosses 0.
    """
    auto = group.autoscaling
    if auto is None or not auto.schedules:
        return []
    out = []
    start = auto.schedule_start
    expected = group.capacity.initial > 0
    for i, s in enumerate(auto.schedules):
        where = f"{path}.autoscaling.schedules[{i}]"
        example = s.min if s.min is not None else s.max
        if expected and s.desired is None and (s.min is not None or s.max is not None):
            out.append(
                Problem(
                    f"{where}.desired",
                    f"missing: the group starts with capacity.desired {group.capacity.initial}, so ESS creates it with "
                    "an expected number of instances, and then rejects a scheduled task that sets min/max without "
                    f"desired; add desired (between min and max, e.g. desired: {example}), or start the group at "
                    "capacity.desired 0 (docs/alicloud.md, Schedules)",
                )
            )
        if not expected and s.desired is not None:
            out.append(
                Problem(
                    f"{where}.desired",
                    f"{s.desired}: the group starts with capacity.desired 0, which the provider does not send, so ESS "
                    "creates it without an expected number of instances, and then a scheduled task may set only min "
                    "and max; use min (e.g. min: "
                    f"{s.desired}) instead (docs/alicloud.md, Schedules)",
                )
            )
        try:
            if start is not None:
                task_window(ess_schedule(s.cron, s.timezone, start).cron, start)
            else:  # derived from the deploy date: any day in the years ahead
                utc = ess_schedule(s.cron, s.timezone, REFERENCE_START, DERIVED_CHECK_DAYS)
                if (gap := longest_gap_days(utc.cron)) >= LAUNCH_WITHIN_DAYS:
                    raise ScheduleError(
                        f"'{s.cron}' can go {gap} days without a run, and without scheduleStart the tasks start "
                        f"on the deploy date: deployed in such a gap, the first run would be more than "
                        f"{LAUNCH_WITHIN_DAYS} days after creation, which ESS refuses. Pin the window with "
                        "autoscaling.scheduleStart (a date up to 90 days before a run), or run more often"
                    )
        except ScheduleError as e:
            out.append(Problem(where, str(e)))
    return out


def schedule_window_warnings(group: GroupSpec, path: str, today: dt.date) -> list[Problem]:
    """Plan-time warnings (against ``--as-of``): a pinned window that starts in the past or ends
    within 30 days; without ``scheduleStart``, where the derived window ends and how it is renewed.
    Validation has no clock, so it cannot say this."""
    auto = group.autoscaling
    if group.cloud != "alicloud" or auto is None or not auto.schedules:
        return []
    where = f"{path}.autoscaling.scheduleStart"
    if auto.schedule_start is None:
        return [Problem(where, derived_window_note(today))]
    return [Problem(where, m) for m in window_warnings(auto.schedule_start, today)]


def fleet_problems(groups: Sequence[tuple[int, GroupSpec]], billing: object, catalog: Catalog) -> list[Problem]:
    """Fleet-level Alibaba checks: ``alicloud.billing`` must be given when a group caps spot
    (the cap's currency depends on it), and converted caps must not cut to 0.00."""
    out: list[Problem] = []
    capped = [(i, g) for i, g in groups if g.cloud == "alicloud" and g.market.is_spot and spot_caps_capped(g)]
    if not capped:
        return out
    if billing not in BILLING_CURRENCY:
        first = capped[0][0]
        out.append(
            Problem(
                "alicloud.billing",
                f"{billing!r}: say which Alibaba Cloud site bills the account, 'china' (CNY) or 'international' "
                f"(USD). groups[{first}] caps spot, and ESS reads a price limit in the account's currency, while "
                "the catalog holds China-site CNY prices: a CNY cap read as USD is "
                f"{1 / catalog.fx_rate('CNY').usd_per_unit:.2f} times too high (catalog rate). "
                "e.g. alicloud: {billing: international}",
            )
        )
        return out
    for i, g in capped:
        plan = spot_plan(resolve_group(g, catalog), catalog, billing)
        for name, limit in plan.limits:
            if limit <= 0:
                out.append(
                    Problem(
                        f"groups[{i}].market",
                        f"the spot price limit of {name} is below 0.01 {plan.currency} after conversion "
                        "(ESS takes two decimals); raise it",
                    )
                )
    return out


def spot_caps_capped(group: GroupSpec) -> bool:
    return basis_of(group.market) in ("percent", "pinned")


RULES = CloudRules(
    cloud="alicloud",
    # ESS scaling group names are 2-64 characters [SDK: ess.ScalingGroup scaling_group_name];
    # the longest derived name is the RAM role "<prefix>-node" (RAM role names up to 64).
    max_name_length=56,
    name_limit_source="ESS scaling group and RAM role names are at most 64 characters (<fleet>-<group>-node)",
    zone_example="cn-hangzhou-h",
    zone_ok=_zone_ok,
    tag_problems=_tag_problem,
    check=_check,
)
