"""How a group maps onto scale sets: a pure decision, made before any resource exists.

| group                              | scale sets                                                    |
|------------------------------------|---------------------------------------------------------------|
| on-demand                          | one Uniform, priority Regular                                 |
| spot (no on-demand share)          | one Uniform, priority Spot                                    |
| mixed, no InfiniBand               | one Flexible, priority Spot + ``priorityMixPolicy``           |
| mixed, InfiniBand                  | two Uniform in one proximity placement group: ``-regular``    |
|                                    | (the on-demand base, fixed) and ``-spot`` (the rest, scaled)  |

Why: Spot Priority Mix exists only in Flexible orchestration and is "not supported with
singlePlacementMode enabled" [DOC: Microsoft Learn "Spot Priority Mix for high availability
and cost savings"], while InfiniBand needs a single placement group, which is a Uniform
property [DOC: Microsoft Learn "High performance computing VM sizes"]. The
price of the two-set split: InfiniBand only connects VMs of the same scale set, so the
regular and spot halves talk over Ethernet to each other (see docs/azure.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gpufleet.azure.schedule import ProfileCapacity, group_capacity
from gpufleet.spec import GroupSpec

Orchestration = Literal["Uniform", "Flexible"]
Priority = Literal["Regular", "Spot"]


@dataclass(frozen=True)
class ScaleSetPlan:
    """One scale set of a group."""

    role: Literal["main", "regular", "spot"]
    """``main`` for a single-set group; ``regular``/``spot`` for the halves of a mixed InfiniBand group."""
    orchestration: Orchestration
    priority: Priority
    initial: int
    """``sku.capacity`` at creation; the autoscaler owns it afterwards."""
    capacity: ProfileCapacity
    """Counts of this set's default autoscale profile."""
    base: int
    """On-demand nodes that live in another set and are subtracted from the group's counts."""
    autoscaled: bool
    """The group's AutoscaleSetting targets this set."""
    mix_base: int | None = None
    """Flexible priority mix: regular VMs before any spot (``baseRegularPriorityCount``)."""
    mix_percent: int | None = None
    """Flexible priority mix: regular share above the base (``regularPriorityPercentageAboveBase``)."""

    def suffix(self) -> str:
        """Name suffix: empty for ``main``, ``-regular`` or ``-spot`` otherwise."""
        return "" if self.role == "main" else f"-{self.role}"


def is_mixed(group: GroupSpec) -> bool:
    """Spot with an on-demand share (a base, or a percentage above it)."""
    m = group.market
    return m.is_spot and (m.on_demand_base > 0 or m.percent_above_base > 0)


def scale_sets(group: GroupSpec) -> tuple[ScaleSetPlan, ...]:
    """The scale sets of a group (validated by ``azure/rules.py``), the autoscaled one last."""
    market = group.market
    initial = group.capacity.initial
    whole = group_capacity(group.capacity)
    if not market.is_spot:
        return (ScaleSetPlan("main", "Uniform", "Regular", initial, whole, 0, autoscaled=True),)
    if not is_mixed(group):
        return (ScaleSetPlan("main", "Uniform", "Spot", initial, whole, 0, autoscaled=True),)
    if not group.rdma:
        return (
            ScaleSetPlan(
                "main",
                "Flexible",
                "Spot",
                initial,
                whole,
                0,
                autoscaled=True,
                mix_base=market.on_demand_base,
                mix_percent=market.percent_above_base,
            ),
        )
    # Mixed InfiniBand: the rules refuse a percentage above the base and a base >= max, so
    # the regular set is exactly the base and the spot set keeps at least one node of room.
    base = market.on_demand_base
    fixed = ProfileCapacity(base, base, base)
    regular = ScaleSetPlan("regular", "Uniform", "Regular", base, fixed, 0, autoscaled=False)
    rest = group_capacity(group.capacity, base)
    spot = ScaleSetPlan("spot", "Uniform", "Spot", max(initial - base, 0), rest, base, autoscaled=True)
    return (regular, spot)
