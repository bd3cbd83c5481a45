"""gpu-budget-cap and gpu-quota: what the whole stack would cost and use at max capacity."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from gpufleet.policy.base import (
    ALICLOUD_PRICE_CURRENCY,
    CNY_USD_RATE,
    catalog_for,
    schema,
    settings,
    stack_groups,
)
from gpufleet.policy.images import build_costs
from gpufleet.policy.pricing import HOURS_PER_MONTH, SPOT_ASSUMPTIONS, GroupCost, price_group, usd, usd_month

BUDGET_SCHEMA = schema(
    {
        "maxMonthlyUsd": {
            "type": "number",
            "minimum": 0,
            "description": "Cap on the estimated monthly GPU spend of the stack at max capacity, in USD.",
        },
        "maxHourlyUsd": {
            "type": "number",
            "minimum": 0,
            "description": "Optional cap on each group's estimated hourly cost at max capacity, in USD.",
        },
        "spotPriceAssumption": {
            "type": "string",
            "enum": list(SPOT_ASSUMPTIONS),
            "default": "cap",
            "description": (
                "Price of a spot node: 'cap' = its configured max price or limit (on-demand when uncapped), "
                "'catalog-spot' = the catalog's spot price (on-demand when the catalog has none)."
            ),
        },
        "cnyUsdRate": CNY_USD_RATE,
        "alicloudPriceCurrency": ALICLOUD_PRICE_CURRENCY,
    },
    required=["maxMonthlyUsd"],
)


def _basis(config: dict[str, Any]) -> str:
    spot = {"cap": "spot priced at its configured cap", "catalog-spot": "spot priced at the catalog spot price"}
    rate = f", CNY at {config['cnyUsdRate']} USD (cnyUsdRate)" if "cnyUsdRate" in config else ""
    return f"{HOURS_PER_MONTH} h/month, {spot[config['spotPriceAssumption']]}, catalog prices in USD{rate}"


def validate_budget(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    config = settings(args.get_config(), BUDGET_SCHEMA)
    groups = stack_groups(args.resources, config["alicloudPriceCurrency"])
    catalog = catalog_for(config)
    builds, unpriced_builds = build_costs(args.resources, catalog)  # baked images: one build each
    for b in unpriced_builds:
        report_violation(
            f"cannot estimate the cost of {b.label}. A budget that cannot be computed does not pass.", b.urn
        )
    if not groups and not builds:
        return
    costs = [price_group(g, catalog, config["spotPriceAssumption"]) for g in groups]
    priced = [c for c in costs if c.priced]
    unpriced = [c for c in costs if not c.priced]
    for c in unpriced:
        report_violation(
            f"cannot estimate the cost of {c.group.label}: {'; '.join(c.problems)}. A budget that cannot be "
            "computed does not pass: use an instance type and region the catalog prices (gpu_prices.csv), "
            "make the region visible to policies, or disable gpu-budget-cap for this stack.",
            c.group.resource.urn,
        )
    hourly_cap = config.get("maxHourlyUsd")
    if hourly_cap is not None:
        for c in priced:
            hourly = c.hourly(c.group.max)
            if hourly > float(hourly_cap) + 1e-9:
                report_violation(
                    f"{c.group.label} would cost {usd(hourly)}/h at max capacity, over maxHourlyUsd "
                    f"{usd(float(hourly_cap))}: {c.describe(c.group.max, 'max')}. Lower capacity.max or "
                    "market.maxPricePercent of this group, or use a cheaper instance type.",
                    c.group.resource.urn,
                )
    # An image build is one-time: counted once, in the month of the `pulumi up` that runs it.
    monthly = sum(c.hourly(c.group.max) for c in priced) * HOURS_PER_MONTH + sum(b.usd for b in builds)
    cap = float(config["maxMonthlyUsd"])
    if monthly > cap + 1e-6:
        lower = f" (a lower bound: {len(unpriced)} group(s) could not be priced)" if unpriced else ""
        build_lines = "".join(f"\n  - {b.label} = {usd(b.usd)} (one-time)" for b in builds)
        report_violation(
            f"estimated GPU spend at max capacity is {usd_month(monthly)}/month{lower}, over maxMonthlyUsd "
            f"{usd_month(cap)} ({_basis(config)}).\n{_breakdown(priced)}{build_lines}\nTo fix: lower capacity.max or "
            "market.maxPricePercent of the largest groups, move spot-tolerant groups to spot, use cheaper "
            "instance types, or raise maxMonthlyUsd in the gpu-budget-cap config.",
            None,
        )


def _breakdown(costs: list[GroupCost]) -> str:
    lines = []
    for c in sorted(costs, key=lambda c: -c.hourly(c.group.max)):
        g = c.group
        note = f" [{g.capacity_note}]" if g.capacity_note else ""
        lines.append(
            f"  - {g.label}{note}: {c.describe(g.max, 'max')}; {c.describe(g.desired, 'desired')} "
            f"(on-demand prices as of {c.on_demand.quote.as_of_text if c.on_demand else '?'})"
        )
    return "\n".join(lines)


GPU_BUDGET_CAP = StackValidationPolicy(
    name="gpu-budget-cap",
    description="The stack's GPU groups must stay within the monthly (and per-group hourly) budget at max capacity.",
    validate=validate_budget,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=BUDGET_SCHEMA,
    severity=Severity.HIGH,
    remediation_steps="Lower capacity.max or the spot max price, choose cheaper types, or raise maxMonthlyUsd.",
)


# gpu-quota -------------------------------------------------------------------------------------

QUOTA_SCHEMA = schema(
    {
        "maxGpus": {
            "type": "integer",
            "minimum": 0,
            "description": "Cap on the total number of GPUs of the stack at max capacity.",
        },
        "maxGpusPerCloud": {
            "type": "object",
            "description": "Optional caps per cloud (keys aws, azure, alicloud), e.g. to stay inside account quotas.",
            "properties": {c: {"type": "integer", "minimum": 0} for c in ("aws", "azure", "alicloud")},
            "additionalProperties": False,
        },
    },
    required=["maxGpus"],
)


def _count(n: Fraction) -> str:
    return str(n.numerator) if n.denominator == 1 else f"{float(n):g}"


def validate_quota(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    config = settings(args.get_config(), QUOTA_SCHEMA)
    groups = stack_groups(args.resources, None)  # GPU counts do not depend on the spot price currency
    catalog = catalog_for({})
    totals: dict[str, Fraction] = {}
    lines: dict[str, list[str]] = {}
    for g in groups:
        counts = {t: catalog.instance(g.cloud, t) for t in g.instance_types}
        missing = sorted(t for t, it in counts.items() if it is None)
        if missing or not counts:
            what = ", ".join(missing) if missing else "no instance type could be read"
            report_violation(
                f"cannot count the GPUs of {g.label}: {what} not in the GPU catalog (gpu_instances.csv). "
                "Use a catalog instance type or add it to the catalog.",
                g.resource.urn,
            )
            continue
        per_node = max(it.gpu_count for it in counts.values() if it is not None)
        gpus = per_node * g.max
        totals[g.cloud] = totals.get(g.cloud, Fraction(0)) + gpus
        lines.setdefault(g.cloud, []).append(f"{g.label}: max {g.max} x {_count(per_node)} GPUs = {_count(gpus)}")
    total = sum(totals.values(), Fraction(0))
    cap = int(config["maxGpus"])
    all_lines = "\n".join(f"  - {line}" for cloud in sorted(lines) for line in lines[cloud])
    if total > cap:
        report_violation(
            f"the stack would run {_count(total)} GPUs at max capacity, over maxGpus {cap}:\n{all_lines}\n"
            "Lower capacity.max of some groups or raise maxGpus in the gpu-quota config.",
            None,
        )
    for cloud, limit in sorted((config.get("maxGpusPerCloud") or {}).items()):
        used = totals.get(cloud, Fraction(0))
        if used > int(limit):
            detail = "\n".join(f"  - {line}" for line in lines.get(cloud, []))
            report_violation(
                f"{cloud} groups would run {_count(used)} GPUs at max capacity, over maxGpusPerCloud.{cloud} "
                f"{int(limit)}:\n{detail}\nLower capacity.max or raise maxGpusPerCloud.{cloud}.",
                None,
            )


GPU_QUOTA = StackValidationPolicy(
    name="gpu-quota",
    description="The stack's total GPUs at max capacity must stay within the configured quota.",
    validate=validate_quota,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=QUOTA_SCHEMA,
    severity=Severity.HIGH,
    remediation_steps="Lower capacity.max of the groups, or raise maxGpus.",
)
