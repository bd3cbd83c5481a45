"""GPU catalog: sourced instance facts, prices, regions and FX rates, shipped as CSV."""

from gpufleet.catalog.catalog import Catalog, PriceKind, PriceQuote, load_catalog
from gpufleet.catalog.gpus import GpuNameError
from gpufleet.catalog.models import CLOUD_RDMA, CLOUDS, Cloud, FxRate, InstanceType, Price, Region

__all__ = [
    "CLOUDS",
    "CLOUD_RDMA",
    "Catalog",
    "Cloud",
    "FxRate",
    "GpuNameError",
    "InstanceType",
    "Price",
    "PriceKind",
    "PriceQuote",
    "Region",
    "load_catalog",
]
