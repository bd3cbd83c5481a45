"""Azure VM Image Builder (GpuImage on Azure): the planned resources pass the contract check
(azure-mgmt-imagebuilder 1.4.0, azure-mgmt-compute gallery models, authorization), the identity
holds only Microsoft's documented image builder actions, the template builds on creation, the
inline build commands carry the whole bundle, and the group's scale set boots the gallery image."""

from __future__ import annotations

import base64
import copy
import gzip
import io
import json
import tarfile
from functools import cache
from typing import Any

import pytest
import yaml

from gpufleet.contract import azure
from gpufleet.contract.base import apply_rules
from gpufleet.errors import ConfigError
from gpufleet.imagebuild import azure as azb
from gpufleet.imagebuild.script import BUILD_SCRIPT
from gpufleet.plan.engine import ProgramRun, run_program
from gpufleet.plan.run import PROJECT_ROOT
from gpufleet.validation import validate_fleet

SUBNET = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/build-net/providers/"
    "Microsoft.Network/virtualNetworks/build-vnet/subnets/private"
)
FLEET = f"""
name: img-t4
tags: {{owner: ml-serving, cost-center: cc-2001, env: dev}}
images:
  - name: t4-r580
    cloud: azure
    region: eastus
    instanceTypes: [Standard_NC4as_T4_v3, Standard_NC8as_T4_v3]
    bootstrap: {{driver: "580", os: ubuntu-22.04, healthCheck: true}}
    published: true
    builder: {{instanceType: Standard_NC4as_T4_v3, subnetId: {SUBNET}, hours: 1}}
groups:
  - name: servers
    cloud: azure
    region: eastus
    gpu: {{model: T4-16GB, count: 1, instanceTypes: [Standard_NC4as_T4_v3]}}
    capacity: {{min: 0, desired: 1, max: 4}}
    bootstrap: {{driver: "580", healthCheck: true, image: {{name: t4-r580}}}}
    network: {{create: true, cidr: 10.52.0.0/16}}
    access:
      sshPublicKeys:
        - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAULps34f0r5pjD9iO4Wsw6kuCgJAW2hI4Ampxs/n482 placeholder
"""


def fleet() -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load(FLEET)
    return copy.deepcopy(raw)


@cache
def planned() -> ProgramRun:
    return run_program(PROJECT_ROOT / "__main__.py", {"gpufleet:fleet": fleet()}, stack="azure-images-test")


def test_every_azure_request_is_mapped_and_contract_clean() -> None:
    reqs = azure.requests(planned().resources)
    assert {r.resource_type for r in reqs} >= {
        "azure-native:virtualmachineimages:VirtualMachineImageTemplate",
        "azure-native:compute:Gallery",
        "azure-native:compute:GalleryImage",
        "azure-native:authorization:RoleDefinition",
    }
    assert azure.model_findings(reqs) + apply_rules(reqs) == []


def test_the_identity_holds_only_the_documented_actions_on_two_scopes() -> None:
    run = planned()
    role = run.one("azure-native:authorization:RoleDefinition")
    # learn.microsoft.com/azure/virtual-machines/linux/image-builder-permissions-cli: the gallery
    # distribution role and the VNet role, written out here independently of the builder.
    assert sorted(role.inputs["permissions"][0]["actions"]) == sorted(
        [
            "Microsoft.Compute/galleries/read",
            "Microsoft.Compute/galleries/images/read",
            "Microsoft.Compute/galleries/images/versions/read",
            "Microsoft.Compute/galleries/images/versions/write",
            "Microsoft.Compute/images/write",
            "Microsoft.Compute/images/read",
            "Microsoft.Compute/images/delete",
            "Microsoft.Network/virtualNetworks/read",
            "Microsoft.Network/virtualNetworks/subnets/join/action",
        ]
    )
    assert role.inputs["scope"] == "/subscriptions/00000000-0000-0000-0000-000000000000"
    grants = run.of_type("azure-native:authorization:RoleAssignment")
    image_grants = [g for g in grants if "t4-r580" in g.name]
    assert sorted(g.inputs["scope"].rsplit("/", 1)[-1] for g in image_grants) == sorted(
        ["build-vnet", "img-t4-t4-r580-rg"]
    )
    assert set(role.inputs["assignableScopes"]) == {g.inputs["scope"] for g in image_grants}
    template = run.one("azure-native:virtualmachineimages:VirtualMachineImageTemplate")
    assert {g.urn for g in image_grants} <= set(template.dependencies)  # roles exist before autoRun builds


def test_the_template_builds_on_creation_from_plain_ubuntu_in_the_private_subnet() -> None:
    t = planned().one("azure-native:virtualmachineimages:VirtualMachineImageTemplate").inputs
    assert t["autoRun"] == {"state": "Enabled"}
    assert t["source"] == {
        "type": "PlatformImage",
        "publisher": "Canonical",
        "offer": "0001-com-ubuntu-server-jammy",
        "sku": "22_04-lts-gen2",
        "version": "latest",
    }
    assert t["vmProfile"]["vnetConfig"]["subnetId"] == SUBNET
    assert t["vmProfile"]["vmSize"] == "Standard_NC4as_T4_v3"
    assert t["buildTimeoutInMinutes"] == 120
    (dist,) = t["distribute"]
    assert dist["type"] == "SharedImage" and dist["galleryImageId"].endswith("img-t4-t4-r580-definition")
    assert dist["targetRegions"] == [{"name": "eastus", "replicaCount": 1}]
    assert t["tags"]["gpufleet-build-hours"] == "1"


def test_inline_commands_carry_the_whole_bundle_and_run_the_build() -> None:
    (step,) = planned().one("azure-native:virtualmachineimages:VirtualMachineImageTemplate").inputs["customize"]
    cmds = step["inline"]
    staged = "".join(c.split("'")[3] for c in cmds if c.startswith("printf"))
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(base64.b64decode(staged)))) as tar:
        names = {"/" + n.lstrip("/") for n in tar.getnames()}
    assert BUILD_SCRIPT in names
    assert cmds[-1] == f"sudo {BUILD_SCRIPT}"


def test_the_scale_set_boots_the_gallery_image_in_verify_mode() -> None:
    run = planned()
    vmss = run.one("azure-native:compute:VirtualMachineScaleSet").inputs["virtualMachineProfile"]
    ref = vmss["storageProfile"]["imageReference"]
    assert set(ref) == {"id"} and ref["id"].endswith("azure-native:compute:GalleryImage/img-t4-t4-r580-definition")
    custom = base64.b64decode(vmss["osProfile"]["customData"]).decode()
    assert "GPUFLEET_MODE" in custom or "H4sI" in custom  # the node env is inside the gzip bundle
    definition = run.one("azure-native:compute:GalleryImage").inputs
    assert (definition["osType"], definition["osState"], definition["hyperVGeneration"]) == (
        "Linux",
        "Generalized",
        "V2",
    )
    assert run.one("azure-native:compute:Gallery").inputs["galleryName"] == "img_t4_t4_r580_images"


def _problems(raw: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ConfigError) as e:
        validate_fleet(raw)
    return {p.path: p.message for p in e.value.problems}


def test_a_group_on_an_unpublished_azure_image_is_refused() -> None:
    raw = fleet()
    del raw["images"][0]["published"]
    assert "no version yet" in _problems(raw)["groups[0].bootstrap.image.name"]
    del raw["groups"][0]["bootstrap"]["image"]
    validate_fleet(raw)  # phase 1: the image alone


def test_azure_builder_network_fields_are_checked() -> None:
    raw = fleet()
    raw["images"][0]["builder"]["subnetId"] = "subnet-0b1d2e3f4a5b6c7d8"
    raw["images"][0]["builder"]["securityGroupIds"] = ["sg-1"]
    got = _problems(raw)
    assert "not an Azure subnet resource id" in got["images[0].builder.subnetId"]
    assert "not used on Azure" in got["images[0].builder.securityGroupIds"]


def test_vnet_of_and_subscription_scope() -> None:
    assert azb.vnet_of(SUBNET).endswith("/virtualNetworks/build-vnet")
    assert azb.subscription_scope(SUBNET) == "/subscriptions/00000000-0000-0000-0000-000000000000"
    with pytest.raises(ValueError, match="not a subnet"):
        azb.vnet_of("/subscriptions/s/resourceGroups/r")


def _plan_file(tmp_path: Any) -> Any:
    path = tmp_path / "Pulumi.azure-images-test.yaml"
    path.write_text(yaml.safe_dump({"config": {"gpufleet:fleet": fleet()}}))
    return path


def test_plan_lists_the_image_and_its_build_cost(tmp_path: Any) -> None:
    from gpufleet.plan.run import plan

    text = json.dumps(plan(_plan_file(tmp_path)).to_json())
    # 1 h x Standard_NC4as_T4_v3 on demand in eastus: 0.526 USD/h (catalog gpu_prices.csv, 2026-06-18)
    assert "t4-r580" in text and "0.526" in text


def test_the_budget_counts_one_azure_build(tmp_path: Any) -> None:
    from gpufleet.plan.run import plan
    from gpufleet.policy import evaluate
    from gpufleet.policy.budget import GPU_BUDGET_CAP

    groups_max = plan(_plan_file(tmp_path)).totals()["monthlyUsd"]["max"]
    build = 0.526  # 1 h x Standard_NC4as_T4_v3 in eastus (gpu_prices.csv, 2026-06-18)

    def budget(cap: float) -> list[str]:
        config = {"gpu-budget-cap": {"maxMonthlyUsd": cap, "enforcementLevel": "mandatory"}}
        return [v.message for v in evaluate(planned().resources, config, policies=[GPU_BUDGET_CAP])]

    assert budget(groups_max + build + 0.05) == []
    over = budget(groups_max + build - 0.05)
    assert over and "image build" in over[0]


def _hardening(change: Any = None) -> list[str]:
    import dataclasses

    from gpufleet.policy import evaluate
    from gpufleet.policy.images import IMAGE_BUILDER_HARDENING

    resources = []
    for r in planned().resources:
        if change is not None and r.type == "azure-native:virtualmachineimages:VirtualMachineImageTemplate":
            inputs = copy.deepcopy(r.inputs)
            change(inputs)
            r = dataclasses.replace(r, inputs=inputs)
        resources.append(r)
    return [v.message for v in evaluate(resources, {}, policies=[IMAGE_BUILDER_HARDENING])]


def test_the_azure_build_vm_is_held_to_the_hardening_policy() -> None:
    assert _hardening() == []
    no_subnet = _hardening(lambda i: i["vmProfile"].pop("vnetConfig"))
    assert any("public IP" in m for m in no_subnet)
    untagged = _hardening(lambda i: i["managedResourceTags"].pop("gpufleet-image"))
    assert any("managedResourceTags lack gpufleet-image" in m for m in untagged)
