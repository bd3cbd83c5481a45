"""An Alibaba group boots the baked image: the id comes from a DescribeImages lookup of the
names Image Builder gives (``{ImageName}_{ExecutionId}``, alibabacloud_ecs20140526
CreateImagePipelineRequestImageOptions.image_name), limited to the image's recorded stack, and
the node only verifies (no install) against the bootstrap tests' stubs."""

from __future__ import annotations

import base64
import copy
import dataclasses
import gzip
import hashlib
import io
import re
import tarfile
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from contract_cases import plan_fleet, plan_template
from gpufleet.catalog import load_catalog
from gpufleet.contract import alicloud as contract
from gpufleet.contract.base import apply_rules
from gpufleet.imagebuild import alicloud as alib
from gpufleet.spec import GpuImageSpec
from gpufleet.validation import validate_fleet
from imagebuild.test_build_script import built_node

TEMPLATE = Path(__file__).resolve().parents[2] / "stacks" / "Pulumi.alicloud-images-a10.yaml"
PIPELINE = "alicloud:ecs/ecsImagePipeline:EcsImagePipeline"
CONFIG = "alicloud:ess/scalingConfiguration:ScalingConfiguration"
LOOKUP = "alicloud:ecs/getImages:getImages"


def fleet() -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load(TEMPLATE.read_text())["config"]["gpufleet:fleet"]
    return copy.deepcopy(raw)


def image(raw: dict[str, Any] | None = None) -> GpuImageSpec:
    """The image alone: its group, which must agree with it, is left out of the fleet."""
    raw = copy.deepcopy(raw or fleet())
    raw["groups"][0]["bootstrap"].pop("image", None)
    return validate_fleet(raw).spec.images[0]


def test_the_group_boots_the_image_the_lookup_finds() -> None:
    run = plan_template("alicloud-images-a10")
    (lookup,) = run.invokes
    assert lookup.type == LOOKUP
    q = lookup.inputs
    assert (q["owners"], q["status"], q["mostRecent"]) == ("self", "Available", True)
    # The name Image Builder gives a build of the template: ImageName as sent, '_', ExecutionId.
    sent = run.one(PIPELINE).inputs["imageName"]
    assert re.search(q["nameRegex"], f"{sent}_exec-0123456789abcdef0")
    assert not re.search(q["nameRegex"], f"{sent}x_exec-0123456789abcdef0")  # another image's prefix
    assert not re.search(q["nameRegex"], f"other-{sent}_exec-1")
    config = run.one(CONFIG)
    # the mock's DescribeImages answer for the template's build, not a spec value
    answer = "m-" + hashlib.sha256(run.one(PIPELINE).name.encode()).hexdigest()[:20]
    assert config.inputs["imageId"] == answer
    assert lookup.provider.startswith(config.provider.rsplit("::", 1)[0])  # the group's regional provider


def test_the_lookup_is_a_describe_images_request_the_model_accepts() -> None:
    run = plan_template("alicloud-images-a10")
    reqs = [r for r in contract.requests([*run.resources, *run.invokes]) if r.resource_type == LOOKUP]
    assert [r.operation for r in reqs] == ["Ecs.DescribeImages"]
    assert reqs[0].params == {"RegionId": "cn-beijing", "ImageOwnerAlias": "self", "Status": "Available"}
    assert contract.model_findings(reqs) + apply_rules(reqs) == []


KEYED = (
    # every stack field group_image_problems compares, the driver, the targets, the user's base
    (("bootstrap", "driver"), "595"),
    (("bootstrap", "cuda"), "12.8"),
    (("bootstrap", "containerToolkit"), False),
    (("bootstrap", "dcgm"), False),
    (("bootstrap", "healthCheck"), False),
    (("bootstrap", "os"), "ubuntu-24.04"),
    (("instanceTypes",), ["ecs.gn7i-c8g1.2xlarge"]),
    (("bootstrap", "image"), {"id": "m-2ze0123456789abcdef"}),
)


def _key(raw: dict[str, Any]) -> str:
    return alib.stack_key(image(raw), load_catalog())


@pytest.mark.parametrize(("path", "value"), KEYED, ids=[".".join(p) for p, _ in KEYED])
def test_stack_key_follows_what_a_node_on_the_image_needs(path: tuple[str, ...], value: Any) -> None:
    raw = fleet()
    node = raw["images"][0]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert _key(raw) != _key(fleet())


def test_stack_key_follows_the_matrix_and_the_image_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    base = _key(fleet())
    monkeypatch.setattr(alib, "IMAGE_CONTRACT", alib.IMAGE_CONTRACT + 1)
    assert _key(fleet()) != base
    monkeypatch.undo()
    # the matrix's resolved stack (here: kernel modules) is part of the key, not only the spec
    real = alib.node_stack
    monkeypatch.setattr(alib, "node_stack", lambda b, t: dataclasses.replace(real(b, t), modules="proprietary"))
    assert _key(fleet()) != base


def test_stack_key_ignores_bookkeeping_and_gpufleets_default_base(monkeypatch: pytest.MonkeyPatch) -> None:
    base = _key(fleet())
    for key, value in (("tags", {"team": "x"}), ("retain", 5), ("published", False)):
        raw = fleet()
        raw["images"][0][key] = value
        assert _key(raw) == base, key
    raw = fleet()
    raw["images"][0]["builder"]["hours"] = 3
    assert _key(raw) == base
    # a gpufleet release that moves the default Ubuntu image does not strand groups on "no image"
    from gpufleet.bootstrap import images as bimages

    monkeypatch.setitem(bimages.ALICLOUD_UBUNTU, "ubuntu-22.04", "ubuntu_22_04_x64_20G_alibase_20270101.vhd")
    assert alib.build_base_image(image()).ref.endswith("20270101.vhd")
    assert _key(fleet()) == base


def test_a_changed_stack_looks_up_another_name() -> None:
    # A group pinning R595 on an R595 image finds only R595 builds: the pin cannot meet an R580 image.
    raw = fleet()
    old = alib.image_name(image(raw), raw["name"], load_catalog())
    raw["images"][0]["bootstrap"]["driver"] = "595"
    raw["groups"][0]["bootstrap"]["driver"] = "595"
    validate_fleet(raw)  # the group on the R595 image validates
    new = alib.image_name(image(raw), raw["name"], load_catalog())
    assert old != new
    assert not re.search(alib.name_regex(new), f"{old}_exec-1")


def test_a_dot_in_the_prefix_is_escaped_for_go_regexp() -> None:
    rx = alib.name_regex("fleet-a10.r580-0123abcd")
    assert rx == r"^fleet-a10\.r580-0123abcd_"
    assert re.search(rx, "fleet-a10.r580-0123abcd_exec-1")
    assert not re.search(rx, "fleet-a10xr580-0123abcd_exec-1")


def test_no_finished_build_is_a_clear_error() -> None:
    assert alib.pick_image(["m-1", "m-2"], "p", "a10", "cn-beijing") == "m-1"
    # a RunError: Pulumi prints it as is (a ValueError in an apply is wrapped in "While processing input")
    with pytest.raises(pulumi.RunError) as e:
        alib.pick_image([], "p", "a10", "cn-beijing")
    msg = str(e.value)
    assert "no Available Alibaba image named 'p_*' in cn-beijing" in msg
    assert "aliyun ecs DescribeImages --RegionId cn-beijing --ImageOwnerAlias self --ImageName 'p*'" in msg


def test_a_lookup_that_finds_nothing_fails_the_program(monkeypatch: pytest.MonkeyPatch) -> None:
    # The mock answers DescribeImages from the names the template's builds get, so a regex that
    # misses the documented name format finds nothing, as it would at `pulumi up`.
    monkeypatch.setattr(alib, "name_regex", lambda prefix: f"^{prefix}-")
    with pytest.raises(Exception, match="no Available Alibaba image named"):
        plan_fleet(fleet())


def _boot_files(run: Any) -> dict[str, tuple[int, bytes]]:
    doc = yaml.safe_load(base64.b64decode(run.one(CONFIG).inputs["userData"]))
    (payload,) = doc["write_files"]
    raw = gzip.decompress(base64.b64decode(payload["content"]))
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        return {
            "/" + m.name: (m.mode, tar.extractfile(m).read())  # type: ignore[union-attr]
            for m in tar.getmembers()
            if m.isfile()
        }


def test_a_node_on_the_alibaba_image_only_verifies_and_starts(tmp_path: Path) -> None:
    from gpufleet.catalog import load_catalog

    files = _boot_files(plan_template("alicloud-images-a10"))
    assert set(files) == {"/etc/gpufleet/node.env", "/etc/gpufleet/types"}  # settings only, no scripts
    assert "GPUFLEET_MODE=verify" in files["/etc/gpufleet/node.env"][1].decode()
    node, _ = built_node(tmp_path, load_catalog(), fleet())
    built = node.run("gpufleet-build", STUB_TYPE="ecs.gn7i-c8g1.2xlarge")
    assert built.returncode == 0, built.stdout + built.stderr
    node.write_files(files)
    node.clear_calls()
    r = node.run("gpufleet-bootstrap", STUB_TYPE="ecs.gn7i-c16g1.4xlarge")
    assert r.returncode == 0, r.stdout + r.stderr
    calls = node.calls()
    assert not [c for c in calls if c.startswith(("apt-get", "dpkg", "curl"))], calls
    assert (node.root / "var/lib/gpufleet/bootstrap.done").exists()


def test_an_erdma_image_is_refused_at_spec_time_not_at_build() -> None:
    # Before: validation passed and build_bundle raised at plan time (node_env needs the eRDMA
    # interface count a builder does not have).
    raw = fleet()
    raw["groups"][0]["bootstrap"].pop("image")
    raw["images"][0].update(rdma=True, instanceTypes=["ecs.gn8is-4x.16xlarge"])
    with pytest.raises(Exception) as e:
        validate_fleet(raw)
    assert "images[0].rdma" in str(e.value) and "eRDMA" in str(e.value)
