"""The pull-request comment and the full report, from :func:`gpufleet.gitops.diff.compare_all`.

The comment leads with the cost difference, lists only the stacks the change touches,
states unknowns plainly and stays under GitHub's comment limit (65,536 characters,
https://github.com/orgs/community/discussions/27190, UNVERIFIED as an official doc page):
stack details are dropped, last first, until it fits, and a link points to the full report.
"""

from __future__ import annotations

from collections.abc import Sequence

from gpufleet.cost import LEVELS
from gpufleet.gitops.diff import GroupChange, StackDiff
from gpufleet.plan.grouping import summary

GITHUB_COMMENT_LIMIT = 65_536
DEFAULT_MAX_CHARS = 60_000
"""Margin under the limit for the sticky-comment action's own marker."""


def _money(v: float | None) -> str:
    return "unknown" if v is None else f"${v:,.0f}"


def _signed(v: float | None) -> str:
    if v is None:
        return "unknown"
    if round(v) == 0:
        return "$0"
    return f"{'+' if v > 0 else '−'}${abs(v):,.0f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _total(diffs: Sequence[StackDiff], side: str, level: str) -> float | None:
    values = [d.cost(d.base if side == "base" else d.head, level) for d in diffs]
    return None if any(v is None for v in values) else round(sum(v or 0.0 for v in values), 2)


def headline(diffs: Sequence[StackDiff]) -> str:
    """The cost difference at desired capacity over the stacks that have one; unknowns named."""
    known = [d for d in diffs if d.delta("desired") is not None]
    unknown = [d for d in diffs if d.delta("desired") is None]
    tail = ""
    if unknown:
        names = ", ".join(f"`{d.name}`" for d in unknown)
        tail = f" Unknown for {names}: a plan error or an instance type/region the catalog does not price."
    if not known:
        return "Monthly cost change at desired capacity is **unknown**." + tail
    before, after = _total(known, "base", "desired"), _total(known, "head", "desired")
    assert before is not None and after is not None
    scope = " for the stacks with an estimate" if unknown else ""
    change = round(after - before, 2)
    if round(change) == 0:
        return f"Monthly cost at desired capacity is **unchanged**{scope} ({_money(after)})." + tail
    verb = "increase" if change > 0 else "decrease"
    return (
        f"Monthly cost at desired capacity will **{verb} by {_money(abs(change))}**{scope} "
        f"({_money(before)} → {_money(after)})." + tail
    )


def _summary_table(diffs: Sequence[StackDiff]) -> list[str]:
    lines = [
        "| stack | kind | status | resources +/~/− | $/month min | $/month desired | $/month max |",
        "|---|---|---|---|---:|---:|---:|",
    ]
    for d in diffs:
        res = (
            "n/a"
            if d.head is not None and "error" in d.head
            else f"+{len(d.added)} ~{len(d.changed)} −{len(d.removed)}"
        )
        costs = [
            f"{_money(d.cost(d.base, lv))} → {_money(d.cost(d.head, lv))} ({_signed(d.delta(lv))})" for lv in LEVELS
        ]
        kind = d.kind or "-"
        lines.append(
            f"| `{d.name}`{' (new)' if d.base is None else ''} | {kind} | {d.status} | {res} | "
            + " | ".join(costs)
            + " |"
        )
    return lines


def _names(items: Sequence[str], limit: int | None) -> list[str]:
    shown = items if limit is None else items[:limit]
    more = [f"- … {len(items) - len(shown)} more (full report)"] if len(shown) < len(items) else []
    return [f"- `{i}`" for i in shown] + more


def _violations(title: str, changes: Sequence[GroupChange]) -> list[str]:
    if not changes:
        return []
    lines = [f"**{title}**", "", "| policy | enforcement | group | count | message |", "|---|---|---|---:|---|"]
    for c in changes:
        g = c.group
        lines.append(
            f"| {g.policy} | {g.enforcement} | {g.group} | {c.delta:+d} of {summary(g)} | {_cell(g.message)} |"
        )
    return [*lines, ""]


def stack_details(d: StackDiff, limit: int | None = 10) -> str:
    """One stack's ``<details>`` block; ``limit`` caps the listed resource names (None: all)."""
    lines = [f"<details><summary><code>{d.name}</code>: {d.status}</summary>", ""]
    if d.reasons:
        lines += ["Planned because: " + "; ".join(d.reasons) + ".", ""]
    head = d.head
    if head is None:
        lines += [
            "The stack file was deleted. The workflows never destroy a stack: run "
            f"`pulumi destroy --stack {d.name}` and `pulumi stack rm {d.name}` with credentials.",
            "",
        ]
    elif "error" in head:
        lines += ["The plan failed; nothing else was checked for this stack:", "", "```", str(head["error"]), "```", ""]
    if d.base is not None and "error" in d.base:
        lines += [
            "The base commit's plan failed, so the difference is unknown:",
            "",
            "```",
            str(d.base["error"]),
            "```",
            "",
        ]
    if head is not None and head.get("pinned") is False:
        lines += [
            "Not pinned: `gpufleet resolve` would change:",
            "",
            "```diff",
            str(head.get("pinDiff", "")),
            "```",
            "",
        ]
    for title, items in (("Added", d.added), ("Changed", d.changed), ("Removed", d.removed)):
        if items:
            lines += [f"**{title}** ({len(items)})", "", *_names(items, limit), ""]
    lines += _violations("New policy violations", d.new_violations)
    lines += _violations("Resolved policy violations", d.resolved_violations)
    if head is not None and "error" not in head:
        unknown = [lv for lv in LEVELS if d.cost(head, lv) is None]
        if unknown:
            lines += [f"Cost unknown at {', '.join(unknown)} capacity: see the warnings.", ""]
        warnings = list(head.get("warnings", []))
        if warnings:
            lines += ["**Warnings**", "", *(f"- {_cell(w)}" for w in warnings), ""]
        lines += [f"Policy config: `{head.get('policyConfig', '?')}`.", ""]
    lines += ["</details>", ""]
    return "\n".join(lines)


def render(
    diffs: Sequence[StackDiff],
    *,
    report_url: str | None = None,
    max_chars: int | None = DEFAULT_MAX_CHARS,
) -> str:
    """The comment (``max_chars`` set) or the full report (``max_chars=None``)."""
    failing = [d for d in diffs if d.failure]
    head = ["## gpufleet plan", ""]
    if not diffs:
        return "\n".join([*head, "This change touches no stack.", ""])
    head += [
        f"{len(diffs)} stack{'s' if len(diffs) > 1 else ''} changed. " + headline(diffs),
        "",
        *_summary_table(diffs),
        "",
        "Costs are estimates from the bundled catalog (730 h/month; spot nodes at their price cap); "
        "`unknown` means no estimate, never zero.",
        "",
    ]
    if failing:
        names = ", ".join(f"`{d.name}`" for d in failing)
        head += [f"**{len(failing)} stack{'s' if len(failing) > 1 else ''} failed: {names}.** The check fails.", ""]
    link = f"Full report: {report_url}" if report_url else "Full report: the `gpufleet-plan` artifact of this run."
    foot = ["", link, ""]
    limit = None if max_chars is None else 10
    details = [stack_details(d, limit) for d in diffs]
    body = "\n".join(head)
    if max_chars is None:
        return body + "\n".join(details) + "\n".join(foot)
    kept = list(details)
    while kept and len(body + "\n".join(kept) + "\n".join(foot)) > max_chars:
        kept.pop()
    if len(kept) < len(details):
        foot.insert(0, f"Details of {len(details) - len(kept)} stack(s) left out to fit GitHub's comment limit.")
    text = body + "\n".join(kept) + "\n".join(foot)
    return text if len(text) <= max_chars else text[: max_chars - 40] + "\n\n… (truncated; see the full report)\n"
