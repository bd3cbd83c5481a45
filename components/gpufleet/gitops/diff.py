"""Compare the plans of the same stacks at two commits, like ``infracost diff``.

Per stack: resources added, changed and removed (by URN; changed = different inputs),
monthly cost at min, desired and max before and after with the difference, policy
violations new or resolved (grouped per fleet group and policy), and a status that never
says "ok" over an error, an unknown cost or an advisory finding.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gpufleet.cost import LEVELS
from gpufleet.plan.grouping import ViolationGroup, from_json, group_violations

Plan = Mapping[str, Any]


@dataclass(frozen=True)
class GroupChange:
    """A policy/group row whose count went up (new) or down (resolved)."""

    group: ViolationGroup
    """The row on the side that has more violations."""
    delta: int
    """How many violations appeared (> 0) or went away (< 0)."""


@dataclass
class StackDiff:
    name: str
    base: Plan | None
    """The base commit's plan; None when the stack is new."""
    head: Plan | None
    """The head commit's plan; None when the stack file was deleted."""
    kind: str = ""
    reasons: tuple[str, ...] = ()
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    new_violations: list[GroupChange] = field(default_factory=list)
    resolved_violations: list[GroupChange] = field(default_factory=list)

    def cost(self, side: Plan | None, level: str) -> float | None:
        """Monthly USD at ``level``; 0 for a side that does not exist, None when unknown."""
        if side is None:
            return 0.0
        if "error" in side:
            return None
        value = side.get("totals", {}).get("monthlyUsd", {}).get(level)
        return None if value is None else float(value)

    def delta(self, level: str) -> float | None:
        before, after = self.cost(self.base, level), self.cost(self.head, level)
        return None if before is None or after is None else round(after - before, 2)

    @property
    def failure(self) -> int:
        """The exit code this stack fails the job with (plan's codes), 0 when it passes."""
        head = self.head
        if head is None:
            return 0
        code = int(head.get("exitCode", 0))
        if "error" in head:
            return code or 2
        if code:
            return code
        return 1 if head.get("pinned") is False else 0

    @property
    def status(self) -> str:
        head = self.head
        if head is None:
            return "🗑️ removed"
        if "error" in head:
            return f"❌ cannot be planned (exit {self.failure})"
        labels = {1: "❌ mandatory policy violation", 2: "❌ invalid config", 3: "❌ contract finding"}
        if int(head.get("exitCode", 0)) in labels:
            return labels[int(head["exitCode"])]
        if head.get("pinned") is False:
            return "❌ not pinned (run gpufleet resolve)"
        warn = []
        if any(self.cost(head, lv) is None for lv in LEVELS):
            warn.append("cost unknown")
        advisory = sum(1 for p in head.get("policies", []) if p.get("enforcement") != "mandatory")
        if advisory:
            warn.append(f"{advisory} advisory finding{'s' if advisory > 1 else ''}")
        return "⚠️ " + ", ".join(warn) if warn else "✅ ok"


def _resources(plan: Plan | None) -> dict[str, Mapping[str, Any]]:
    if plan is None or "error" in plan:
        return {}
    return {r["urn"]: r for r in plan.get("resources", [])}


def _label(r: Mapping[str, Any]) -> str:
    return f"{r['type']} {r['name']}"


def _groups(plan: Plan | None) -> dict[tuple[str, str, str], ViolationGroup]:
    if plan is None or "error" in plan:
        return {}
    parents = {r["urn"]: r.get("parent", "") for r in plan.get("resources", [])}
    return {g.key: g for g in group_violations(from_json(plan.get("policies", [])), parents)}


def compare(
    name: str, base: Plan | None, head: Plan | None, kind: str = "", reasons: tuple[str, ...] = ()
) -> StackDiff:
    """The difference between one stack's base and head plans."""
    d = StackDiff(name=name, base=base, head=head, kind=kind, reasons=reasons)
    before, after = _resources(base), _resources(head)
    if not (head is not None and "error" in head) and not (base is not None and "error" in base):
        d.added = sorted(_label(after[u]) for u in after.keys() - before.keys())
        d.removed = sorted(_label(before[u]) for u in before.keys() - after.keys())
        d.changed = sorted(
            _label(after[u]) for u in after.keys() & before.keys() if after[u].get("inputs") != before[u].get("inputs")
        )
    old, new = _groups(base), _groups(head)
    for key in old.keys() | new.keys():
        n_old = old[key].count if key in old else 0
        n_new = new[key].count if key in new else 0
        if n_new > n_old:
            d.new_violations.append(GroupChange(new[key], n_new - n_old))
        elif n_old > n_new and not (head is not None and "error" in head):
            d.resolved_violations.append(GroupChange(old[key], n_new - n_old))
    d.new_violations.sort(key=lambda c: (c.group.enforcement != "mandatory", c.group.key))
    d.resolved_violations.sort(key=lambda c: c.group.key)
    return d


def read_plans(path: Path) -> dict[str, Plan]:
    """Plan JSON files by stack: one file, or a directory of ``<stack>.json`` files."""
    files = sorted(path.glob("*.json")) if path.is_dir() else [path] if path.is_file() else []
    plans: dict[str, Plan] = {}
    for f in files:
        data = json.loads(f.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "stack" in data:
            plans[str(data["stack"])] = data
    return plans


def compare_all(
    base: Mapping[str, Plan], head: Mapping[str, Plan], changes: Mapping[str, Any] | None = None
) -> list[StackDiff]:
    """Every stack of either side, or only those ``changes`` (``gpufleet gitops changed`` JSON) names."""
    info = {s["name"]: s for s in (changes or {}).get("stacks", [])}
    removed = set((changes or {}).get("removed", []))
    names = sorted(info.keys() | removed) if changes is not None else sorted(base.keys() | head.keys())
    out = []
    for n in names:
        s = info.get(n, {})
        out.append(compare(n, base.get(n), head.get(n), s.get("kind", ""), tuple(s.get("reasons", ()))))
    return out
