"""Spec + catalog -> concrete choices: instance types and their prices (caps: gpufleet.pricing).

Resolution is deterministic for a given catalog. ``gpufleet resolve`` writes the
chosen types back into the stack file, so a new catalog never moves a running
fleet without a reviewed config change (README.md, "Config reference": ``market.maxPrices``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from gpufleet.capabilities import capabilities
from gpufleet.catalog import CLOUD_RDMA, Catalog, InstanceType, PriceQuote
from gpufleet.pricing.price import on_demand_quote, spot_quote
from gpufleet.spec import GroupSpec


@dataclass(frozen=True)
class ResolvedType:
    """One instance type chosen for a group, with its prices in the group's region."""

    instance: InstanceType
    on_demand: PriceQuote | None
    spot: PriceQuote | None


@dataclass(frozen=True)
class ResolvedGroup:
    """A validated group with its concrete instance types, best first."""

    spec: GroupSpec
    types: tuple[ResolvedType, ...]
    pinned: bool
    """True when the spec lists ``instanceTypes`` (nothing left to the catalog)."""

    @property
    def instance_types(self) -> list[str]:
        return [t.instance.name for t in self.types]

    @property
    def primary(self) -> ResolvedType:
        return self.types[0]

    @property
    def gpus_per_node(self) -> Fraction:
        """GPUs per node of the primary type (all types of a group carry the same count
        when the spec names a count; with explicit types the first one counts)."""
        return self.primary.instance.gpu_count


def candidate_types(group: GroupSpec, catalog: Catalog) -> list[InstanceType]:
    """The instance types a group may use, cheapest first in its region.

    Explicit ``instanceTypes`` are kept in the user's order. Otherwise every type of
    the cloud with the GPU model (and count, and the cloud's RDMA fabric when
    ``rdma`` is on) is a candidate: equivalent types diversify a spot fleet. A cloud
    that runs fewer sizes per group (Azure: one) keeps the cheapest ones, so what
    ``gpufleet resolve`` pins is what validation accepts.
    """
    if group.gpu.instance_types:
        found = [catalog.instance(group.cloud, n) for n in group.gpu.instance_types]
        return [i for i in found if i is not None]
    types = catalog.find(
        cloud=group.cloud,
        gpu_model=group.gpu.model,
        gpu_count=group.gpu.count,
        rdma=CLOUD_RDMA[group.cloud] if group.rdma else None,
    )

    def key(it: InstanceType) -> tuple[int, float, str]:
        q = on_demand_quote(catalog, group.cloud, it.name, group.region)
        return (0, q.amount, it.name) if q else (1, 0.0, it.name)

    limit = capabilities(group.cloud).sizes_per_group
    return sorted(types, key=key)[:limit]


def resolve_group(group: GroupSpec, catalog: Catalog) -> ResolvedGroup:
    """Resolve a group that :func:`gpufleet.validation.validate_fleet` accepted."""
    types = candidate_types(group, catalog)
    if not types:
        raise ValueError(f"group '{group.name}' has no instance types; validate the spec first")
    resolved = tuple(
        ResolvedType(
            instance=t,
            on_demand=on_demand_quote(catalog, group.cloud, t.name, group.region),
            spot=spot_quote(catalog, group.cloud, t.name, group.region),
        )
        for t in types
    )
    return ResolvedGroup(spec=group, types=resolved, pinned=bool(group.gpu.instance_types))
