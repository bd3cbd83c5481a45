"""Azure VM Image Builder and Compute Gallery requests against azure-mgmt-imagebuilder 1.4.0 and
azure-mgmt-compute's gallery models: polymorphic source/customize/distribute entries are checked
against the subtype their discriminator names, so a field of another subtype is a finding."""

from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Any

import pytest

from contract_cases import assert_fires
from gpufleet.contract import azure
from gpufleet.contract.base import Finding, apply_rules

TEMPLATE = "azure-native:virtualmachineimages:VirtualMachineImageTemplate"
GOOD: dict[str, Any] = {
    "location": "eastus",
    "resourceGroupName": "rg",
    "identity": {"type": "UserAssigned", "userAssignedIdentities": ["/subscriptions/s/id"]},
    "source": {
        "type": "PlatformImage",
        "publisher": "Canonical",
        "offer": "0001-com-ubuntu-server-jammy",
        "sku": "22_04-lts-gen2",
        "version": "latest",
    },
    "customize": [{"type": "Shell", "name": "build", "inline": ["echo hi"]}],
    "distribute": [
        {
            "type": "SharedImage",
            "galleryImageId": "/subscriptions/s/g",
            "runOutputName": "r",
            "targetRegions": [{"name": "eastus", "replicaCount": 1}],
            "versioning": {"scheme": "Latest"},
        }
    ],
    "autoRun": {"state": "Enabled"},
    "vmProfile": {"vmSize": "Standard_NC4as_T4_v3", "osDiskSizeGB": 100, "vnetConfig": {"subnetId": "/sub"}},
}


def _res(type_: str, inputs: dict[str, Any], name: str = "r") -> SimpleNamespace:
    return SimpleNamespace(
        urn=f"urn:pulumi:s::p::{type_}::{name}", type=type_, name=name, inputs=inputs, dependencies=()
    )


def _check(inputs: dict[str, Any], type_: str = TEMPLATE) -> list[Finding]:
    reqs = azure.requests([_res(type_, inputs)])
    return azure.model_findings(reqs) + apply_rules(reqs)


def test_a_full_template_is_clean_and_the_identity_becomes_arms_map() -> None:
    assert _check(GOOD) == []
    body = azure.requests([_res(TEMPLATE, GOOD)])[0].params
    assert body["identity"]["userAssignedIdentities"] == {"/subscriptions/s/id": {}}
    assert body["properties"]["source"]["publisher"] == "Canonical"
    assert body["properties"]["autoRun"] == {"state": "Enabled"}


@pytest.mark.parametrize(
    ("where", "change", "field", "message"),
    [
        # a field of SharedImageVersionSource on a PlatformImage source
        (
            "source",
            {"imageVersionId": "/v"},
            "properties.source.imageVersionId",
            "not in ImageTemplatePlatformImageSource",
        ),
        # a SharedImage field on a VHD distributor
        (
            "distribute",
            {"type": "VHD"},
            "properties.distribute[0].galleryImageId",
            "not in ImageTemplateVhdDistributor",
        ),
        ("source", {"type": "Marketplace"}, "properties.source", "not a ImageTemplateSource type"),
        ("customize", {"type": "Shell", "restartTimeout": "5m"}, "properties.customize[0].restartTimeout", "unknown"),
        ("versioning", {"scheme": "Newest"}, "properties.distribute[0].versioning", "not a DistributeVersioner scheme"),
    ],
)
def test_a_field_of_another_subtype_or_an_unknown_subtype_fails(
    where: str, change: dict[str, Any], field: str, message: str
) -> None:
    bad = copy.deepcopy(GOOD)
    if where == "source":
        bad["source"].update(change)
    elif where == "customize":
        bad["customize"][0].update(change)
    elif where == "versioning":
        bad["distribute"][0]["versioning"] = change
    else:
        bad["distribute"][0].update(change)
    found = assert_fires(_check(bad), "azure.model", field)
    assert message in found.message


def test_a_missing_discriminator_is_a_finding() -> None:
    bad = copy.deepcopy(GOOD)
    del bad["source"]["type"]
    assert "discriminator 'type'" in assert_fires(_check(bad), "azure.model", "properties.source").message


def test_build_timeout_is_held_to_the_models_range() -> None:
    found = assert_fires(
        _check({**GOOD, "buildTimeoutInMinutes": 961}), "azure.model", "properties.buildTimeoutInMinutes"
    )
    assert "maximum 960" in found.message


@pytest.mark.parametrize("name", ["fleet-images", "a" * 81, "_x"])
def test_gallery_name_rule_refuses_hyphens_and_bad_edges(name: str) -> None:
    inputs = {"location": "eastus", "resourceGroupName": "rg", "galleryName": name}
    assert_fires(_check(inputs, "azure-native:compute:Gallery"), "azure.gallery.name-characters", "galleryName")


def test_gallery_name_rule_passes_a_close_right_name() -> None:
    inputs = {"location": "eastus", "resourceGroupName": "rg", "galleryName": "fleet_images.v1"}
    assert _check(inputs, "azure-native:compute:Gallery") == []


def test_gallery_image_enum_is_checked() -> None:
    inputs = {
        "location": "eastus",
        "resourceGroupName": "rg",
        "galleryName": "g",
        "osType": "Linux",
        "osState": "Specialised",
        "identifier": {"publisher": "p", "offer": "o", "sku": "s"},
    }
    assert_fires(_check(inputs, "azure-native:compute:GalleryImage"), "azure.model", "properties.osState")
