"""The plan shows each baked image's stack and the cost of one build, priced from the catalog."""

from __future__ import annotations

import csv
from pathlib import Path

from gpufleet.catalog import Catalog
from gpufleet.imagebuild.cost import build_cost
from gpufleet.plan.run import plan
from gpufleet.validation import validate_fleet
from helpers import ROOT

from .test_validate import fleet

PRICES = ROOT / "components" / "gpufleet" / "catalog" / "data" / "gpu_prices.csv"


def _catalog_row(cloud: str, itype: str, region: str) -> float:
    """The on-demand price straight from the CSV (not through gpufleet's loader)."""
    with PRICES.open() as f:
        for row in csv.reader(f):
            if row[:3] == [cloud, itype, region]:
                return float(row[3])
    raise AssertionError(f"no row for {cloud} {itype} {region}")


def test_build_cost_is_hours_times_the_catalog_row(catalog: Catalog) -> None:
    raw = fleet()
    raw["images"][0]["builder"]["hours"] = 2.5
    img = validate_fleet(raw, catalog).spec.images[0]
    c = build_cost(img, catalog)
    assert c is not None and c.currency == "USD"
    assert c.usd == 2.5 * _catalog_row("aws", "g6.xlarge", "us-east-1")


def test_plan_json_reports_the_image_stack_and_build() -> None:
    report = plan(ROOT / "stacks" / "Pulumi.aws-images-l4.yaml").to_json()
    (img,) = report["images"]
    assert img["name"] == "l4-r580" and img["driver"] == "580" and img["usedBy"] == ["servers"]
    assert img["baseImage"].startswith("Canonical Ubuntu")
    assert img["build"]["instanceType"] == "g6.xlarge" and img["build"]["hours"] == 1.0
    assert report["exitCode"] == 0 and report["contract"] == []


def test_a_fleet_without_images_has_no_images_key() -> None:
    assert "images" not in plan(Path(ROOT / "stacks" / "Pulumi.aws-inference-l4-spot.yaml")).to_json()
