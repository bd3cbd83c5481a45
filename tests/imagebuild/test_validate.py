"""images: and bootstrap.image.name refused with field paths before any resource."""

from __future__ import annotations

import copy
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml

from gpufleet.bootstrap.images import resolve_image
from gpufleet.errors import ConfigError
from gpufleet.imagebuild.validate import BUILDER_CLOUDS
from gpufleet.spec import GpuImageSpec
from gpufleet.validation import validate_fleet

TEMPLATE = Path(__file__).resolve().parents[2] / "stacks" / "Pulumi.aws-images-l4.yaml"


def fleet() -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load(TEMPLATE.read_text())["config"]["gpufleet:fleet"]
    return copy.deepcopy(raw)


def problems(raw: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ConfigError) as e:
        validate_fleet(raw)
    return {p.path: p.message for p in e.value.problems}


def test_template_validates_and_the_group_resolves_to_the_baked_image() -> None:
    v = validate_fleet(fleet())
    g = v.spec.groups[0]
    img = resolve_image(g.bootstrap, g.cloud, g.rdma, v.spec.images)
    assert (img.kind, img.ref, img.driver_branch, img.driver_included) == ("baked", "l4-r580", 580, True)
    assert "container-toolkit" in img.ships and "dcgm" in img.ships


@pytest.mark.parametrize("pin", ["595", "620"])
def test_a_pin_other_than_the_baked_branch_is_refused(pin: str) -> None:
    raw = fleet()
    raw["groups"][0]["bootstrap"]["driver"] = pin
    msg = problems(raw)["groups[0].bootstrap.driver"]
    assert "baked with driver R580" in msg and f"'{pin}'" in msg


def test_a_group_asking_for_more_than_the_image_carries_is_refused() -> None:
    raw = fleet()
    raw["groups"][0]["bootstrap"]["cuda"] = "12.8"
    raw["groups"][0]["bootstrap"]["dcgm"] = False
    got = problems(raw)
    assert "was baked with cuda None" in got["groups[0].bootstrap.cuda"]
    assert "dcgm True" in got["groups[0].bootstrap.dcgm"]


def test_unknown_image_name_suggests_the_close_one() -> None:
    raw = fleet()
    raw["groups"][0]["bootstrap"]["image"] = {"name": "l4-r58"}
    assert "Did you mean 'l4-r580'" in problems(raw)["groups[0].bootstrap.image.name"]


def test_image_in_another_region_or_missing_a_group_type_is_refused() -> None:
    raw = fleet()
    raw["groups"][0]["region"] = "us-west-2"
    raw["groups"][0]["zones"] = []
    raw["groups"][0].pop("market")
    raw["images"][0]["instanceTypes"] = ["g6.xlarge"]
    with pytest.raises(ConfigError) as e:
        validate_fleet(raw)
    msgs = [p.message for p in e.value.problems if p.path == "groups[0].bootstrap.image.name"]
    assert any("not in us-west-2" in m for m in msgs), msgs
    assert any("may also launch g6.2xlarge" in m for m in msgs), msgs


def test_image_target_outside_the_matrix_is_refused_at_its_own_path() -> None:
    raw = fleet()
    # The matrix's driver range for the GPU decides (R470 is end of life and too old for L4).
    raw["images"][0]["bootstrap"]["driver"] = "470"
    got = problems(raw)
    assert any(p.startswith("images[0].bootstrap.driver") for p in got), got


def test_builder_must_be_a_priced_gpu_type_and_the_cloud_must_be_wired() -> None:
    raw = fleet()
    raw["images"][0]["builder"]["instanceType"] = "m5.large"
    assert "needs a GPU" in problems(raw)["images[0].builder.instanceType"]
    # Every cloud the spec names has a builder wired (nothing left to refuse as "not wired").
    assert set(BUILDER_CLOUDS) == set(typing.get_args(GpuImageSpec.model_fields["cloud"].annotation))
    raw = fleet()
    raw["images"][0]["builder"]["securityGroupIds"] = []
    assert "at least one security group" in problems(raw)["images[0].builder.securityGroupIds"]


def test_image_name_and_driver_included_are_exclusive() -> None:
    raw = fleet()
    raw["groups"][0]["bootstrap"]["image"] = {"name": "l4-r580", "driverIncluded": True}
    assert "driverIncluded" in " ".join(problems(raw).values())


def test_duplicate_image_names() -> None:
    raw = fleet()
    raw["images"].append(copy.deepcopy(raw["images"][0]))
    assert "duplicate image name" in problems(raw)["images[1].name"]
