"""Typed rows of the GPU catalog. Every row keeps the source it came from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

Cloud = Literal["aws", "azure", "alicloud"]
CLOUDS: tuple[Cloud, ...] = ("aws", "azure", "alicloud")
RdmaKind = Literal["efa", "infiniband", "erdma", "none", "unknown"]

# The RDMA fabric each cloud offers (docs/architecture.md, "Where cloud knowledge lives").
CLOUD_RDMA: dict[Cloud, RdmaKind] = {"aws": "efa", "azure": "infiniband", "alicloud": "erdma"}


@dataclass(frozen=True)
class InstanceType:
    """Hardware facts of one GPU instance type (gpu_instances.csv)."""

    cloud: Cloud
    name: str
    gpu_model: str | None
    """Canonical model (e.g. ``H100-80GB``), or None where no source names it."""
    gpu_count: Fraction
    """GPUs per node; a fraction for partial-GPU sizes (Azure NVads A10 v5)."""
    gpu_memory_gib: float
    vcpus: int | None
    memory_gib: float | None
    interconnect: str | None
    """``nvswitch``, ``nvlink``, ``pcie`` or None when no source says."""
    rdma: RdmaKind
    efa_interfaces: int
    """Maximum EFA interfaces (AWS only, else 0)."""
    rdma_detail: str
    network_gbps: float | None
    source: str
    network_cards: tuple[tuple[str, ...], ...] = ()
    """AWS: the interface types each network card takes, by card index (``interface``, ``efa``,
    ``efa-only``), from EC2 DescribeInstanceTypes as moto ships it (the contract check's
    ``contract/data/aws_network_cards.csv``, one file for both). Empty where no data exists."""

    @property
    def efa_cards(self) -> tuple[int, ...]:
        """Indices of the network cards that take an EFA-only interface."""
        return tuple(i for i, kinds in enumerate(self.network_cards) if "efa-only" in kinds)

    @property
    def family(self) -> str:
        """Instance family: ``p5`` for ``p5.48xlarge``, ``gn8is`` for ``ecs.gn8is-2x.8xlarge``.
        Azure size names do not split cleanly, so there the size is its own family."""
        if self.cloud == "aws":
            return self.name.split(".", 1)[0]
        if self.cloud == "alicloud":
            return self.name.split(".")[1].split("-")[0]
        return self.name

    @property
    def has_rdma(self) -> bool:
        return self.rdma in ("efa", "infiniband", "erdma")


@dataclass(frozen=True)
class Price:
    """Hourly list price of one type in one region (gpu_prices.csv)."""

    cloud: Cloud
    instance_type: str
    region: str
    ondemand: float | None
    spot: float | None
    currency: str
    as_of: dt.date | None
    """Date of the on-demand value; None where the source is undated."""
    as_of_text: str
    source: str
    spot_as_of: dt.date | None
    spot_as_of_text: str
    spot_source: str
    spot_basis: str


@dataclass(frozen=True)
class Region:
    """A region of one cloud (regions.csv)."""

    cloud: Cloud
    name: str
    display_name: str
    country: str
    in_eu: bool
    gpu_families: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class FxRate:
    """A dated conversion rate to USD (fx.csv)."""

    currency: str
    usd_per_unit: float
    as_of: dt.date
    source: str
