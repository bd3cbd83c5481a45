"""Policy violations grouped per fleet group and policy, with a count.

One wrong region makes every resource of a group violate ``allowed-regions``; a reviewer
needs one row ("27 resources of group trainers"), not 27 identical ones. Resources are
attributed to the gpufleet group component they sit under (their parent chain); global
resources such as IAM roles sit under their group too, so they count with it. Stack-level
violations (no resource) form their own row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

_GROUP_TYPE = re.compile(r"^gpufleet:[^:]+:\w*GpuGroup$")
STACK_LEVEL = "(stack)"


@dataclass(frozen=True)
class Violation:
    """One violation, as in the plan JSON's ``policies`` list."""

    policy: str
    enforcement: str
    message: str
    urn: str


@dataclass(frozen=True)
class ViolationGroup:
    """The violations of one policy in one fleet group."""

    policy: str
    enforcement: str
    group: str
    """The gpufleet group component's name, or ``(stack)`` / ``(outside any group)``."""
    resources: tuple[str, ...]
    """Short names (``type::name``) of the violating resources, in report order."""
    message: str
    """The first message; the others differ only in the resource they name, or are counted."""
    distinct_messages: int

    @property
    def count(self) -> int:
        return len(self.resources)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.policy, self.enforcement, self.group)


def _short(urn: str) -> str:
    return urn.rsplit("::", 1)[-1] if urn else ""


def _urn_type(urn: str) -> str:
    # urn:pulumi:stack::project::parent$...$type::name -> the last type in the chain
    body = urn.rsplit("::", 1)[0]
    return body.rsplit("::", 1)[-1].rsplit("$", 1)[-1]


def group_of(urn: str, parents: Mapping[str, str]) -> str:
    """The name of the gpufleet group component ``urn`` sits under (itself included)."""
    seen: set[str] = set()
    current = urn
    while current and current not in seen:
        seen.add(current)
        if _GROUP_TYPE.match(_urn_type(current)):
            return _short(current)
        current = parents.get(current, "")
    return "(outside any group)"


def group_violations(violations: Iterable[Violation], parents: Mapping[str, str]) -> list[ViolationGroup]:
    """Group by (policy, enforcement, group), mandatory first, keeping first-seen order."""
    buckets: dict[tuple[str, str, str], list[Violation]] = {}
    for v in violations:
        group = group_of(v.urn, parents) if v.urn else STACK_LEVEL
        buckets.setdefault((v.policy, v.enforcement, group), []).append(v)
    out = [
        ViolationGroup(
            policy=policy,
            enforcement=enforcement,
            group=group,
            resources=tuple(_short(v.urn) or STACK_LEVEL for v in vs),
            message=vs[0].message,
            distinct_messages=len({_generic(v) for v in vs}),
        )
        for (policy, enforcement, group), vs in buckets.items()
    ]
    return sorted(out, key=lambda g: g.enforcement != "mandatory")


def _generic(v: Violation) -> str:
    """The message with the resource's own name and type taken out, to count real variants."""
    name = _short(v.urn)
    text = v.message.replace(f"'{name}'", "'…'") if name else v.message
    return re.sub(r"\b[\w-]+:[\w/-]+:\w+\b", "TYPE", text)


def summary(g: ViolationGroup, limit: int = 3) -> str:
    """``3 resources (a, b, c)`` or ``27 resources (a, b, c, … 24 more)``."""
    shown = ", ".join(g.resources[:limit])
    more = f", … {g.count - limit} more" if g.count > limit else ""
    noun = "resource" if g.count == 1 else "resources"
    return f"{g.count} {noun} ({shown}{more})"


def from_json(policies: Sequence[Mapping[str, str]]) -> list[Violation]:
    return [Violation(p["policy"], p["enforcement"], p["message"], p.get("urn", "")) for p in policies]
