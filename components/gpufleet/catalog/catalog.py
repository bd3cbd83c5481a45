"""The GPU catalog: instance facts, prices, regions and FX rates, with queries.

One catalog serves the spec validation, the resolver, the cost estimate and the
budget policy, so they can never disagree about a price.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

from gpufleet.catalog.gpus import GpuNames
from gpufleet.catalog.loader import load_fx, load_instances, load_prices, load_regions
from gpufleet.catalog.models import Cloud, FxRate, InstanceType, Price, RdmaKind, Region

PriceKind = Literal["on-demand", "spot"]


@dataclass(frozen=True)
class PriceQuote:
    """A price with everything a report must say about it."""

    amount: float
    """Per node-hour, in ``currency``."""
    currency: str
    kind: PriceKind
    as_of: dt.date | None
    as_of_text: str
    source: str
    region: str
    instance_type: str


@dataclass(frozen=True)
class Catalog:
    """All catalog tables, indexed. Build with :func:`load_catalog`."""

    instances: tuple[InstanceType, ...]
    prices: tuple[Price, ...]
    regions: tuple[Region, ...]
    fx: tuple[FxRate, ...]
    _by_type: dict[tuple[str, str], InstanceType] = field(init=False, repr=False, compare=False)
    _by_price: dict[tuple[str, str, str], Price] = field(init=False, repr=False, compare=False)
    _by_region: dict[tuple[str, str], Region] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_type", {(i.cloud, i.name): i for i in self.instances})
        object.__setattr__(self, "_by_price", {(p.cloud, p.instance_type, p.region): p for p in self.prices})
        object.__setattr__(self, "_by_region", {(r.cloud, r.name): r for r in self.regions})

    # -- instance types ---------------------------------------------------------------
    def instance(self, cloud: Cloud, name: str) -> InstanceType | None:
        return self._by_type.get((cloud, name))

    def instance_names(self, cloud: Cloud) -> list[str]:
        return [i.name for i in self.instances if i.cloud == cloud]

    @functools.cached_property
    def gpu_names(self) -> GpuNames:
        return GpuNames.of(i.gpu_model for i in self.instances if i.gpu_model)

    def resolve_gpu(self, name: str) -> str:
        """Canonical GPU model for a user-written name; raises GpuNameError."""
        return self.gpu_names.resolve(name)

    def find(
        self,
        *,
        cloud: Cloud | None = None,
        gpu_model: str | None = None,
        gpu_count: int | Fraction | None = None,
        min_gpu_count: int | None = None,
        min_gpu_memory_gib: float | None = None,
        rdma: bool | RdmaKind | None = None,
        region: str | None = None,
    ) -> list[InstanceType]:
        """Instance types matching every given filter.

        ``gpu_model`` is resolved through the aliases. ``rdma=True`` keeps types with
        any RDMA fabric; a kind (``efa``) keeps that one. ``region`` keeps types with a
        price row in that region (the catalog's only evidence of availability).
        """
        model = self.resolve_gpu(gpu_model) if gpu_model else None
        out = []
        for it in self.instances:
            if cloud and it.cloud != cloud:
                continue
            if model and it.gpu_model != model:
                continue
            if gpu_count is not None and it.gpu_count != gpu_count:
                continue
            if min_gpu_count is not None and it.gpu_count < min_gpu_count:
                continue
            if min_gpu_memory_gib is not None and it.gpu_memory_gib < min_gpu_memory_gib:
                continue
            if rdma is True and not it.has_rdma:
                continue
            if rdma is False and it.has_rdma:
                continue
            if isinstance(rdma, str) and it.rdma != rdma:
                continue
            if region and (it.cloud, it.name, region) not in self._by_price:
                continue
            out.append(it)
        return out

    # -- prices -------------------------------------------------------------------------
    def price(self, cloud: Cloud, instance_type: str, region: str) -> Price | None:
        return self._by_price.get((cloud, instance_type, region))

    def quote(self, cloud: Cloud, instance_type: str, region: str, kind: PriceKind) -> PriceQuote | None:
        """The on-demand or spot price of a type in a region, with date and currency."""
        p = self.price(cloud, instance_type, region)
        if p is None:
            return None
        amount = p.ondemand if kind == "on-demand" else p.spot
        if amount is None:
            return None
        return PriceQuote(
            amount=amount,
            currency=p.currency,
            kind=kind,
            as_of=p.as_of if kind == "on-demand" else p.spot_as_of,
            as_of_text=p.as_of_text if kind == "on-demand" else p.spot_as_of_text,
            source=p.source if kind == "on-demand" else p.spot_source,
            region=region,
            instance_type=instance_type,
        )

    def priced_regions(self, cloud: Cloud, instance_type: str) -> list[str]:
        return sorted(p.region for p in self.prices if p.cloud == cloud and p.instance_type == instance_type)

    # -- regions ------------------------------------------------------------------------
    def region(self, cloud: Cloud, name: str) -> Region | None:
        return self._by_region.get((cloud, name))

    def region_names(self, cloud: Cloud) -> list[str]:
        return [r.name for r in self.regions if r.cloud == cloud]

    # -- currency -----------------------------------------------------------------------
    def fx_rate(self, currency: str) -> FxRate:
        for r in self.fx:
            if r.currency == currency:
                return r
        raise KeyError(f"no USD rate for currency '{currency}' in the catalog's fx.csv")

    def to_usd(self, amount: float, currency: str) -> float:
        return amount * self.fx_rate(currency).usd_per_unit

    def with_fx(self, currency: str, usd_per_unit: float, as_of: dt.date, source: str) -> Catalog:
        """A copy whose rate for ``currency`` is overridden (e.g. from the CLI)."""
        if usd_per_unit <= 0:
            raise ValueError(f"a USD rate must be positive, got {usd_per_unit}")
        rates = [r for r in self.fx if r.currency != currency]
        rates.append(FxRate(currency, usd_per_unit, as_of, source))
        return dataclasses.replace(self, fx=tuple(rates))


@functools.cache
def load_catalog() -> Catalog:
    """The catalog shipped with the package (cached; no network)."""
    return Catalog(
        instances=tuple(load_instances()),
        prices=tuple(load_prices()),
        regions=tuple(load_regions()),
        fx=tuple(load_fx()),
    )


def gpu_models(instances: Iterable[InstanceType]) -> list[str]:
    return sorted({i.gpu_model for i in instances if i.gpu_model})
