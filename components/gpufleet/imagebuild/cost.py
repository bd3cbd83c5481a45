"""What a baked image costs to build: builder instance-hours at the catalog's on-demand price.

The hours are the spec's ``builder.hours``, an assumption the user states (gpufleet measures
no build); the price comes from :mod:`gpufleet.pricing.price`, the one reader of catalog prices.
Image Builder itself is free; the instance, its volume and the AMI snapshots are billed [DOC:
EC2 Image Builder User Guide, "What is Image Builder?": "no cost to use Image Builder ... you
pay for the AWS resources used"]. Snapshot storage is not in this estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

from gpufleet.catalog import Catalog
from gpufleet.pricing.price import on_demand_quote, to_usd
from gpufleet.spec import GpuImageSpec

BUILD_HOURS_TAG = "gpufleet-build-hours"
"""Tag on an image's infrastructure configuration: the build hours the spec assumes
(``builder.hours``), so the budget policy prices a build from the resources alone."""


@dataclass(frozen=True)
class BuildCost:
    """One build of one image."""

    image: str
    instance_type: str
    region: str
    hours: float
    hourly: float
    """On-demand price per hour of the builder, in ``currency``."""
    currency: str
    usd: float
    """The build in USD (hours x hourly, converted at the catalog's rate)."""
    source: str
    """Which catalog row priced it (date and source)."""


def build_cost(image: GpuImageSpec, cat: Catalog) -> BuildCost | None:
    """The estimated cost of one build; None when the catalog has no price (validation refuses that)."""
    b = image.builder
    q = on_demand_quote(cat, image.cloud, b.instance_type, image.region)
    if q is None:
        return None
    usd = to_usd(cat, q.amount * b.hours, q.currency)
    return BuildCost(
        image.name, b.instance_type, image.region, b.hours, q.amount, q.currency, usd, f"{q.as_of_text}; {q.source}"
    )
