"""What ``gpufleet plan`` shows of each baked image: its base, recorded stack and build cost."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gpufleet.bootstrap.images import baked_ships, build_base_image
from gpufleet.catalog import Catalog
from gpufleet.imagebuild.cost import BuildCost, build_cost
from gpufleet.spec import FleetSpec, GpuImageSpec


@dataclass(frozen=True)
class ImagePlan:
    """One image of the plan."""

    spec: GpuImageSpec
    base: str
    """The base image it is built from (label and reference)."""
    ships: tuple[str, ...]
    build: BuildCost | None
    used_by: tuple[str, ...]
    """Groups that boot it."""
    lookup: str | None = None
    """Alibaba: the image names groups look up (``<prefix>_*``, the newest available one)."""

    def to_json(self) -> dict[str, Any]:
        s, b = self.spec, self.build
        return {
            "name": s.name,
            "cloud": s.cloud,
            "regions": list(s.all_regions),
            "baseImage": self.base,
            "os": s.bootstrap.os,
            "driver": s.bootstrap.driver,
            "cuda": s.bootstrap.cuda,
            "ships": list(self.ships),
            "instanceTypes": list(s.instance_types),
            "usedBy": list(self.used_by),
            **({"lookup": self.lookup} if self.lookup else {}),
            "build": None
            if b is None
            else {
                "instanceType": b.instance_type,
                "region": b.region,
                "hours": b.hours,
                "hourly": b.hourly,
                "currency": b.currency,
                "usd": round(b.usd, 2),
                "source": b.source,
            },
        }

    def line(self) -> str:
        """One line for the table and Markdown renderers."""
        s, b = self.spec, self.build
        stack = f"driver R{s.bootstrap.driver}, CUDA {s.bootstrap.cuda or 'none'}, {s.bootstrap.os}"
        cost = (
            f"one build = {b.hours:g} h (assumed) x {b.instance_type} {b.hourly:g} {b.currency}/h = ${b.usd:,.2f} "
            "(one-time, not in $/mo)"
            if b
            else "build cost: no catalog price"
        )
        users = ", ".join(self.used_by) or "no group"
        if self.lookup and self.used_by:
            users += f" (the newest available image named '{self.lookup}')"
        return (
            f"image {s.name} ({s.cloud}/{'+'.join(s.all_regions)}, from {self.base}): {stack}; ships "
            f"{', '.join(self.ships)}; booted by {users}; {cost}"
        )


def plan_images(spec: FleetSpec, cat: Catalog) -> list[ImagePlan]:
    out = []
    for img in spec.images:
        base = build_base_image(img)
        users = tuple(
            g.name for g in spec.groups if g.bootstrap.image is not None and g.bootstrap.image.name == img.name
        )
        lookup = None
        if img.cloud == "alicloud":
            from gpufleet.imagebuild.alicloud import image_name  # loads pulumi_alicloud only when needed

            lookup = f"{image_name(img, spec.name, cat)}_*"
        out.append(ImagePlan(img, f"{base.name} [{base.ref}]", baked_ships(img), build_cost(img, cat), users, lookup))
    return out
