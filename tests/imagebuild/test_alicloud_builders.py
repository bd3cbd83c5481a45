"""Alibaba Image Builder (GpuImage on alicloud): the component contents within Alibaba's published
limits and reassembling to the build bundle, the template's request, the spec checks, and the
contract check failing on wrong requests."""

from __future__ import annotations

import base64
import copy
import gzip
import io
import re
import tarfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from contract_cases import assert_fires
from gpufleet.catalog import load_catalog
from gpufleet.contract import alicloud
from gpufleet.contract.base import Request, apply_rules
from gpufleet.errors import ConfigError
from gpufleet.imagebuild import alicloud as alib
from gpufleet.imagebuild.script import BUILD_SCRIPT, BuildBundle, build_bundle
from gpufleet.spec import GpuImageSpec
from gpufleet.validation import validate_fleet

TEMPLATE = Path(__file__).resolve().parents[2] / "stacks" / "Pulumi.alicloud-images-a10.yaml"
KB16 = 16 * 1024  # help.aliyun.com create-an-image-component, Limits: "each command ... 16 KB"
RUN_CHUNK = re.compile(r"^RUN printf '%s' '([A-Za-z0-9+/=]+)' >>? /var/tmp/gpufleet-build\.b64$")


def fleet() -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load(TEMPLATE.read_text())["config"]["gpufleet:fleet"]
    return copy.deepcopy(raw)


def image() -> GpuImageSpec:
    return validate_fleet(fleet()).spec.images[0]


def _reassemble(contents: list[str]) -> str:
    """What the staged file holds after the chunk commands run, read like a shell would."""
    out = ""
    for content in contents:
        for line in content.splitlines():
            m = RUN_CHUNK.match(line)
            if m:
                out = m.group(1) if " > " in line else out + m.group(1)
    return out


def _check_limits(contents: list[str]) -> None:
    for content in contents:
        lines = content.splitlines()
        assert len(lines) <= 127
        assert all(line.split(" ", 1)[0] == "RUN" for line in lines)
        assert all(len(line.encode()) <= KB16 for line in lines)
        assert len(content.encode()) <= KB16


def test_template_bundle_reassembles_into_the_build_files() -> None:
    bundle = build_bundle(image(), "img-a10", load_catalog())
    contents = alib.component_contents(bundle)
    _check_limits(contents)
    raw = gzip.decompress(base64.b64decode(_reassemble(contents)))
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        names = set(tar.getnames())
    assert BUILD_SCRIPT.lstrip("/") in names
    assert contents[-1].splitlines() == [
        "RUN base64 -d /var/tmp/gpufleet-build.b64 | tar -xz -C /",
        "RUN rm -f /var/tmp/gpufleet-build.b64",
        f"RUN {BUILD_SCRIPT}",
    ]


def test_a_large_bundle_is_split_under_16_kb_per_command() -> None:
    b64 = base64.b64encode(bytes(range(256)) * 160).decode()  # 54,616 characters
    contents = alib.component_contents(BuildBundle(b64, ()))
    assert len(contents) == 5  # four chunks of at most 15,000, then the build
    _check_limits(contents)
    assert _reassemble(contents) == b64


def test_template_lists_components_in_order_and_refuses_too_many() -> None:
    assert alib.build_content(["ic-a", "ic-b"]) == "COMPONENT ic-a\nCOMPONENT ic-b\n"
    with pytest.raises(ValueError, match="too many"):
        alib.build_content([f"ic-{i}" for i in range(128)])


def test_pipeline_is_private_and_builds_on_the_plain_ubuntu_image() -> None:
    img = image()
    args = alib.pipeline_args(img, "img-a10", "COMPONENT ic-a\n", alib.tags(img, "img-a10", {}), load_catalog())
    assert args.internet_max_bandwidth_out == 0
    assert args.vswitch_id == "vsw-2zeb1d2e3f4a5b6c7d8e9"
    assert args.base_image_type == "IMAGE" and str(args.base_image).startswith("ubuntu_22_04_x64")
    assert args.delete_instance_on_failure is True
    assert args.instance_type == "ecs.gn7i-c8g1.2xlarge"
    assert args.to_region_ids is None
    assert args.tags is not None and args.tags["gpufleet-build-hours"] == "1"


@pytest.mark.parametrize("fleet_name", ["a" * 60, "9fleet"])
def test_an_image_name_alibaba_refuses_fails_before_any_resource(fleet_name: str) -> None:
    with pytest.raises(ValueError, match="not a valid Alibaba image name"):
        alib.image_name(image(), fleet_name, load_catalog())


def test_an_image_name_alibaba_refuses_is_refused_at_spec_time() -> None:
    raw = fleet()
    raw["images"][0]["name"] = "a" * 40  # 'img-a10-' + 40 + '-' + an 8-hex stack key is 57
    assert "images[0].name" not in _paths(raw)
    raw["name"] = "f" * 15  # 15 + 1 + 40 + 9 = 65, over 64
    assert "2 to 64 characters" in _paths(raw)["images[0].name"]
    raw["name"] = "f" * 14  # 64: the longest Alibaba takes
    assert "images[0].name" not in _paths(raw)
    raw["name"] = "f" * 30
    assert "2 to 64 characters" in _paths(raw)["images[0].name"]


def _paths(raw: dict[str, Any]) -> dict[str, str]:
    try:
        validate_fleet(raw)
    except ConfigError as e:
        return {p.path: p.message for p in e.problems}
    return {}


def test_a_group_cannot_boot_an_alibaba_image_before_its_first_build() -> None:
    raw = fleet()
    raw["images"][0]["published"] = False  # phase 1: the build may not have finished
    with pytest.raises(ConfigError) as e:
        validate_fleet(raw)
    found = {p.path: p.message for p in e.value.problems}
    assert "DescribeImagePipelineExecutions" in found["groups[0].bootstrap.image.name"]
    assert "published: true" in found["groups[0].bootstrap.image.name"]
    del raw["groups"][0]["bootstrap"]["image"]  # phase 1 as documented: the image, no group on it
    assert validate_fleet(raw).spec.images[0].published is False


def test_an_image_id_by_hand_still_validates() -> None:
    # an image built outside gpufleet (or pinned on purpose): the driver is checked, not installed
    raw = fleet()
    raw["groups"][0]["bootstrap"]["image"] = {"id": "m-2ze0123456789abcdef", "driverIncluded": True}
    g = validate_fleet(raw).spec.groups[0]
    assert g.bootstrap.image is not None and g.bootstrap.image.id == "m-2ze0123456789abcdef"


# --- contract: the three requests against alibabacloud_ecs20140526's models ---------------------


def _check(reqs: list[Request]) -> list[Any]:
    return alicloud.model_findings(reqs) + apply_rules(reqs)


def test_a_misspelled_or_missing_parameter_is_a_finding() -> None:
    ok = Request(
        "alicloud",
        "Ecs.CreateImagePipeline",
        {"RegionId": "cn-beijing", "BaseImage": "ubuntu", "BaseImageType": "IMAGE", "VSwitchId": "vsw-1"},
        "p",
        "alicloud:ecs/ecsImagePipeline:EcsImagePipeline",
    )
    assert _check([ok]) == []
    # the provider's spelling is VSwitchId; the pulumi input's casing would be rejected
    bad = Request("alicloud", ok.operation, {**ok.params, "VswitchId": "vsw-1"}, "p", ok.resource_type)
    assert_fires(_check([bad]), "alicloud.model", "VswitchId")
    missing = Request("alicloud", ok.operation, {"RegionId": "cn-beijing", "BaseImage": "u"}, "p", ok.resource_type)
    assert_fires(_check([missing]), "alicloud.model", "BaseImageType")
    start = Request(
        "alicloud",
        "Ecs.StartImagePipelineExecution",
        {"RegionId": "cn-beijing"},
        "x",
        "alicloud:ecs/imagePipelineExecution:ImagePipelineExecution",
    )
    assert_fires(_check([start]), "alicloud.model", "ImagePipelineId")
    component = Request(
        "alicloud",
        "Ecs.CreateImageComponent",
        {"RegionId": "cn-beijing", "Content": "RUN true\n", "SystemDiskSize": 100},
        "c",
        "alicloud:ecs/ecsImageComponent:EcsImageComponent",
    )
    assert_fires(_check([component]), "alicloud.model", "SystemDiskSize")


def test_the_provider_sends_add_account_as_strings_which_the_model_types_as_integers() -> None:
    # resource_alicloud_ecs_image_pipeline.go: add_account is a set of strings, sent as is; the
    # SDK model says List[int]. gpufleet does not share images, so it never sends one.
    r = SimpleNamespace(
        type="alicloud:ecs/ecsImagePipeline:EcsImagePipeline",
        name="p",
        urn="u",
        inputs={"baseImage": "u", "baseImageType": "IMAGE", "addAccounts": ["1234567890123456"]},
        dependencies=(),
    )
    assert_fires(_check(alicloud.requests([r])), "alicloud.model", "AddAccount[0]")
