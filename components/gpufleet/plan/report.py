"""The plan report: one data structure, rendered as JSON (the contract), a table or Markdown.

JSON contract (fields may be added, never renamed):
``stack``, ``resources[{urn, type, name, parent, provider, inputs}]``,
``groups[{name, cloud, region, instanceTypes, capacity{min,desired,max}, market,
hourlyUsd{min,desired,max}, monthlyUsd{min,desired,max}, prices{source, asOf, currency},
gpusPerNode, gpus{min,desired,max}, expectedMonthlyUsd, expectedBasis, spotCaps, loopBreaker}]``,
``totals{monthlyUsd{min,desired,max}, gpus{min,desired,max}, expectedMonthlyUsd}``,
``policies[{policy, enforcement, message, urn}]``,
``contract[{resource, resourceType, field, rule, message, source}]``,
``contractChecks{clouds[{cloud, checked, detail, resources}], unmappedTypes[], requests}``, ``exitCode``,
``images[{name, cloud, regions, baseImage, os, driver, cuda, ships, instanceTypes, usedBy,
build{instanceType, region, hours, hourly, currency, usd, source}}]`` (only when the fleet bakes images).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from gpufleet.contract import ContractReport
from gpufleet.cost import LEVELS, GroupCost
from gpufleet.imagebuild.plan import ImagePlan
from gpufleet.plan.engine import CapturedResource
from gpufleet.plan.grouping import Violation, ViolationGroup, group_violations, summary
from gpufleet.resolve import ResolvedGroup


@dataclass(frozen=True)
class PolicyVerdict:
    """One policy violation, as the local evaluator reports it."""

    policy: str
    enforcement: str
    message: str
    urn: str


@dataclass
class PlanReport:
    """Everything ``gpufleet plan`` found."""

    stack: str
    source: str
    resources: list[CapturedResource]
    groups: list[tuple[ResolvedGroup, GroupCost]]
    policies: list[PolicyVerdict]
    policy_config: str
    warnings: list[str] = field(default_factory=list)
    exit_code: int = 0
    contract: ContractReport = field(default_factory=ContractReport)
    images: list[ImagePlan] = field(default_factory=list)
    """Baked images: base, recorded stack and the estimated cost of one build."""
    loop_breakers: dict[str, str] = field(default_factory=dict)
    """Group name -> what stops its replacement loops (gpufleet.bootstrap.loopbreaker.describe)."""

    def totals(self) -> dict[str, Any]:
        monthly: dict[str, float | None] = {}
        gpus: dict[str, float | None] = {}
        for level in LEVELS:
            values = [c.monthly_usd[level] for _, c in self.groups]
            monthly[level] = None if any(v is None for v in values) else round(sum(v or 0.0 for v in values), 2)
            gpus[level] = sum(c.gpus[level] for _, c in self.groups)
        expected = [c.expected_monthly_usd for _, c in self.groups]
        total = None if any(v is None for v in expected) else round(sum(v or 0.0 for v in expected), 2)
        return {"monthlyUsd": monthly, "gpus": gpus, "expectedMonthlyUsd": total}

    def to_json(self) -> dict[str, Any]:
        out = self._json()
        if self.images:
            out["images"] = [i.to_json() for i in self.images]
        return out

    def _json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "source": self.source,
            "resources": [
                {
                    "urn": r.urn,
                    "type": r.type,
                    "name": r.name,
                    "parent": r.parent,
                    "provider": r.provider,
                    "inputs": r.inputs,
                }
                for r in sorted(self.resources, key=lambda r: r.urn)
            ],
            "groups": [
                _group_json(rg, c) | {"loopBreaker": self.loop_breakers.get(rg.spec.name)} for rg, c in self.groups
            ],
            "totals": self.totals(),
            "policies": [
                {"policy": v.policy, "enforcement": v.enforcement, "message": v.message, "urn": v.urn}
                for v in self.policies
            ],
            "policyConfig": self.policy_config,
            "contract": [f.as_dict() for f in self.contract.findings],
            "contractChecks": {
                "clouds": [c.as_dict() for c in self.contract.clouds],
                "unmappedTypes": self.contract.unmapped_types,
                "requests": self.contract.requests,
            },
            "warnings": self.warnings,
            "exitCode": self.exit_code,
        }


def _group_json(rg: ResolvedGroup, c: GroupCost) -> dict[str, Any]:
    g = rg.spec
    od = c.on_demand
    return {
        "name": g.name,
        "cloud": g.cloud,
        "region": g.region,
        "instanceTypes": rg.instance_types,
        "pricedOn": c.instance_type,
        "capacity": {"min": g.capacity.min, "desired": g.capacity.initial, "max": g.capacity.max},
        "market": g.market.type,
        "spotBasis": c.spot_basis,
        "hourlyUsd": c.hourly_usd,
        "monthlyUsd": c.monthly_usd,
        "gpusPerNode": float(c.gpus_per_node),
        "gpus": c.gpus,
        "expectedMonthlyUsd": c.expected_monthly_usd,
        "expectedBasis": c.expected_basis,
        "spotCaps": {
            "basis": c.caps.basis,
            "rule": c.caps.rule,
            "currency": c.caps.currency,
            "billed": c.caps.billed(),
            "pinnedFor": ({"region": c.caps.pin.region, "pricesAsOf": c.caps.pin.prices_as_of} if c.caps.pin else None),
        },
        "prices": {
            "source": od.source if od else None,
            "asOf": od.as_of_text if od else None,
            "currency": od.currency if od else None,
            "onDemandPerNodeHour": od.amount if od else None,
            "spotPerNodeHour": c.spot_hourly,
            "usdRate": c.usd_rate,
            "usdRateAsOf": c.usd_rate_as_of.isoformat() if c.usd_rate_as_of else None,
        },
    }


def _money(v: float | None) -> str:
    return "n/a" if v is None else f"${v:,.2f}"


def _whole(v: float | None) -> str:
    return "n/a" if v is None else f"${v:,.0f}"


def _short(urn: str) -> str:
    return urn.rsplit("::", 1)[-1] if urn else ""


def resource_tree(resources: Sequence[CapturedResource], title: str) -> Tree:
    """Resources nested under their parents (providers listed where they are declared)."""
    tree = Tree(title)
    nodes: dict[str, Tree] = {}
    children: dict[str, list[CapturedResource]] = {}
    for r in sorted(resources, key=lambda r: (r.type, r.name)):
        children.setdefault(r.parent, []).append(r)
    known = {r.urn for r in resources}

    def add(parent_node: Tree, parent_urn: str) -> None:
        for r in children.get(parent_urn, []):
            label = f"[bold]{escape(r.name)}[/] [dim]{escape(r.type)}[/]"
            nodes[r.urn] = parent_node.add(label)
            add(nodes[r.urn], r.urn)

    roots = [p for p in children if p not in known]
    for p in roots:
        add(tree, p)
    return tree


def _grouped(report: PlanReport) -> list[ViolationGroup]:
    parents = {r.urn: r.parent for r in report.resources}
    return group_violations((Violation(v.policy, v.enforcement, v.message, v.urn) for v in report.policies), parents)


def _first(vg: ViolationGroup) -> str:
    others = vg.distinct_messages - 1
    return vg.message + (f" (+{others} other message{'s' if others > 1 else ''}; see --format json)" if others else "")


COST_TITLE = (
    "Estimated cost (USD; 730 h/month; nodes and GPUs at min/desired/max capacity; max = the worst case the "
    "cloud can bill; expected = schedule-weighted)"
)


def _levels(values: dict[str, float] | dict[str, int]) -> str:
    return "/".join(f"{values[k]:g}" for k in LEVELS)


def render_table(report: PlanReport, console: Console) -> None:
    title = f"[bold]stack {escape(report.stack)}[/]: {len(report.resources)} resources"
    console.print(resource_tree(report.resources, title))
    # Below 150 columns the table keeps what a cost review needs (nodes and dollars at each level)
    # and leaves region, type, market, GPUs and price date to a wider terminal or --format json:
    # money columns never fold or crop ("$13,0" / "82").
    narrow = console.width < 150
    cols: list[tuple[str, bool]] = (
        [("group", False), ("nodes\nmin/des/max", True), ("$/mo\nmin", True), ("$/mo\ndesired", True),
         ("$/mo\nmax", True), ("$/mo\nexpected", True)]
        if narrow
        else [("group", False), ("cloud/region", False), ("priced on", False), ("market", False),
              ("GPUs/node", True), ("nodes\nmin/desired/max", True), ("GPUs\nmin/desired/max", True),
              ("$/mo min", True), ("$/mo desired", True), ("$/mo max", True), ("$/mo expected", True),
              ("prices", False)]
    )  # fmt: skip
    cost = Table(title=COST_TITLE, title_justify="left")
    for col, right in cols:
        cost.add_column(col, justify="right" if right else "left", overflow="fold", no_wrap=right)
    notes: list[str] = []
    for rg, c in report.groups:
        g = rg.spec
        od = c.on_demand
        prices = f"{od.as_of_text[:10]} {od.currency}" if od else "no price"
        money = [_whole(c.monthly_usd["min"]), _whole(c.monthly_usd["desired"]), _whole(c.monthly_usd["max"]),
                 _whole(c.expected_monthly_usd)]  # fmt: skip
        if narrow:
            cost.add_row(g.name, _levels(c.nodes), *money)
        else:
            cost.add_row(
                g.name, f"{g.cloud}/{g.region}", c.instance_type, g.market.type, f"{float(c.gpus_per_node):g}",
                _levels(c.nodes), _levels(c.gpus), *money, prices,
            )  # fmt: skip
        if g.market.is_spot:
            notes.append(f"{g.name}: {c.spot_basis}")
        notes.append(f"{g.name}: expected = {c.expected_basis}")
        if g.name in report.loop_breakers:
            notes.append(f"{g.name}: {report.loop_breakers[g.name]}")
    t = report.totals()
    money = [_whole(t["monthlyUsd"]["min"]), _whole(t["monthlyUsd"]["desired"]), _whole(t["monthlyUsd"]["max"]),
             _whole(t["expectedMonthlyUsd"])]  # fmt: skip
    if narrow:
        cost.add_row("[bold]total[/]", "", *money)
        notes.append("region, type, market, GPUs and price dates: a wider terminal (COLUMNS=160) or --format json")
    else:
        cost.add_row("[bold]total[/]", "", "", "", "", "", _levels(t["gpus"]), *money, "")
    console.print(cost)
    notes += [i.line() for i in report.images]
    for n in notes:
        console.print(f"[dim]{escape(n)}[/]", highlight=False)
    if report.policies:
        pol = Table(title=f"Policy violations ({report.policy_config})", title_justify="left")
        for col in ("policy", "enforcement", "group", "resources", "message"):
            pol.add_column(col, overflow="fold")
        for vg in _grouped(report):
            style = "red" if vg.enforcement == "mandatory" else "yellow"
            pol.add_row(vg.policy, f"[{style}]{vg.enforcement}[/]", escape(vg.group), escape(summary(vg)),
                        escape(_first(vg)))  # fmt: skip
        console.print(pol)
    else:
        console.print(f"[green]policies: no violations[/] ({report.policy_config})")
    render_contract(report.contract, console)
    for w in report.warnings:
        console.print(f"[yellow]warning:[/] {escape(w)}", highlight=False)
    console.print(f"plan {VERDICTS.get(report.exit_code, '[green]OK[/]')}")


VERDICTS = {
    1: "[red]FAIL[/] (mandatory policy violation)",
    3: "[red]FAIL[/] (contract: the cloud would reject a request)",
}


def render_contract(contract: ContractReport, console: Console) -> None:
    """Each finding with resource, field, rule and source; skipped clouds and unmapped types."""
    if contract.findings:
        t = Table(title="Contract findings (the cloud would reject these requests)", title_justify="left")
        for col in ("resource", "field", "rule", "message", "source"):
            t.add_column(col, overflow="fold")
        for f in contract.findings:
            t.add_row(escape(f.resource), escape(f.field), f.rule, escape(f.message), escape(f.source))
        console.print(t)
    checked = [f"{c.cloud} ({c.detail})" for c in contract.clouds if c.checked]
    if checked and not contract.findings:
        console.print(f"[green]contract: no findings[/] ({escape('; '.join(checked))})", highlight=False)
    for c in contract.skipped:
        console.print(f"[yellow]{escape(c.detail)}[/]", highlight=False)
    if contract.unmapped_types:
        console.print(f"[yellow]contract: not checked (no mapping):[/] {escape(', '.join(contract.unmapped_types))}")


def render_markdown(report: PlanReport) -> str:
    """A pull-request comment."""
    t = report.totals()
    status = {1: "❌ mandatory policy violation", 3: "❌ contract finding"}.get(report.exit_code, "✅ ok")
    lines = [
        f"### gpufleet plan: `{report.stack}` {status}",
        "",
        f"{len(report.resources)} resources; estimated monthly cost "
        f"**{_money(t['monthlyUsd']['desired'])}** at desired capacity "
        f"({_money(t['monthlyUsd']['min'])} min, {_money(t['monthlyUsd']['max'])} max, the worst case the cloud "
        f"can bill; {_money(t['expectedMonthlyUsd'])} expected from the schedules); {t['gpus']['max']:g} GPUs at max.",
        "",
        "| group | cloud/region | priced on | market | GPUs/node | nodes min/desired/max | GPUs min/desired/max "
        "| $/month min | $/month desired | $/month max | $/month expected | prices |",
        "|---|---|---|---|---:|---|---|---:|---:|---:|---:|---|",
    ]
    for rg, c in report.groups:
        g = rg.spec
        od = c.on_demand
        prices = f"{od.currency}, {od.as_of_text[:10]}" if od else "none in catalog"
        lines.append(
            f"| {g.name} | {g.cloud}/{g.region} | {c.instance_type} | {g.market.type} ({c.spot_basis}) | "
            f"{float(c.gpus_per_node):g} | {_levels(c.nodes)} | {_levels(c.gpus)} | {_money(c.monthly_usd['min'])} | "
            f"{_money(c.monthly_usd['desired'])} | {_money(c.monthly_usd['max'])} | "
            f"{_money(c.expected_monthly_usd)} | {prices} |"
        )
    if report.images:
        lines += ["", "**Baked images**", ""] + [f"- {i.line()}" for i in report.images]
    lines += [f"- {name}: {text}" for name, text in report.loop_breakers.items()]
    lines += ["", f"**Policies** (`{report.policy_config}`):", ""]
    if report.policies:
        lines += ["| policy | enforcement | group | resources | message |", "|---|---|---|---|---|"]
        for vg in _grouped(report):
            msg = _first(vg).replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {vg.policy} | {vg.enforcement} | {vg.group} | {summary(vg)} | {msg} |")
    else:
        lines.append("no violations")
    lines += ["", "**Contract** (each request against the cloud's API model):", ""]
    if report.contract.findings:
        lines += ["| resource | field | rule | message | source |", "|---|---|---|---|---|"]
        for f in report.contract.findings:
            cells = [c.replace("|", "\\|").replace("\n", " ") for c in (f.field, f.rule, f.message, f.source)]
            lines.append(f"| `{f.resource}` | {' | '.join(cells)} |")
    else:
        lines.append("no findings")
    lines += [f"- {c.detail}" for c in report.contract.skipped]
    if report.contract.unmapped_types:
        lines.append(f"- not checked (no mapping): {', '.join(report.contract.unmapped_types)}")
    if report.warnings:
        lines += ["", "**Warnings**", ""] + [f"- {w}" for w in report.warnings]
    return "\n".join(lines) + "\n"
