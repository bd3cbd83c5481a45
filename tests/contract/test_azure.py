"""Azure contract: templates' captured plans through gpufleet.contract.azure, one wrong input per
mapping and per rule (so each can fail), and the known defects of today's code (issue 15)."""

from __future__ import annotations

import copy
import importlib
import sys
from functools import cache
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from contract_cases import CLOUD_DEFECT_SPECS, assert_fires
from contract_templates import TEMPLATE_FILES, TEMPLATES, expected
from gpufleet.contract import azure
from gpufleet.contract.base import RULES, Finding, Request, apply_rules
from gpufleet.plan.engine import CapturedResource, run_program
from gpufleet.plan.run import PROJECT_ROOT
from helpers import STACKS

AZURE_TEMPLATES = [t for t in TEMPLATES if "cloud: azure" in TEMPLATE_FILES[t].read_text()]


@cache
def _capture(stack: str, fleet_override: str | None = None) -> tuple[CapturedResource, ...]:
    config = yaml.safe_load((STACKS / f"Pulumi.{stack}.yaml").read_text())["config"]
    if fleet_override is not None:
        config["gpufleet:fleet"] = yaml.safe_load(fleet_override)
    return tuple(run_program(PROJECT_ROOT / "__main__.py", config, stack=stack).resources)


def _check(resources: Any) -> list[Finding]:
    reqs = azure.requests(resources)
    return azure.model_findings(reqs) + apply_rules(reqs)


def _keys(findings: list[Finding]) -> list[tuple[str, str, str]]:
    return sorted((f.resource, f.field, f.rule) for f in findings)


def test_the_azure_templates_are_found() -> None:
    assert {"azure-inference-a10-spot", "azure-train-ndh100-ib", "multicloud-burst"} <= set(AZURE_TEMPLATES)


@pytest.mark.parametrize("stack", AZURE_TEMPLATES)
def test_template_findings_are_exactly_the_known_ones(stack: str) -> None:
    # the Azure rows of the one table (tests/contract_templates.py)
    resources = _capture(stack)
    assert any(r.type.startswith("azure-native:") for r in resources)
    assert _keys(_check(resources)) == expected(stack, "azure")


def test_requests_cover_every_azure_resource_in_dependency_order() -> None:
    resources = _capture("azure-train-ndh100-ib")
    reqs = azure.requests(resources)
    assert len(reqs) == sum(r.type.startswith("azure-native:") for r in resources)
    order = [r.resource for r in reqs]
    by_name = {r.name: r for r in resources}
    urn_to_name = {r.urn: r.name for r in resources}
    for i, name in enumerate(order):
        for dep in by_name[name].dependencies:
            if dep in urn_to_name and urn_to_name[dep] in order:
                assert order.index(urn_to_name[dep]) < i, (name, urn_to_name[dep])


def test_vmss_body_is_rebuilt_with_properties_where_arm_wants_them() -> None:
    reqs = azure.requests(_capture("azure-train-ndh100-ib"))
    vmss = next(r for r in reqs if r.operation == azure.VMSS_OP)
    assert set(vmss.params) <= {"location", "tags", "sku", "identity", "zones", "properties", "plan"}
    nic = vmss.params["properties"]["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"][0]
    assert set(nic) == {"name", "properties"}  # azure-native flattened it; ARM nests it
    assert nic["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"]
    assert "resourceGroupName" not in vmss.params and vmss.context["path"]["vmScaleSetName"]


# --- today's defects, reproduced from specs the review made (issue 15 fixes them) --------------

_BASE = (STACKS / "Pulumi.azure-inference-a10-spot.yaml").read_text()
_DEFECTS = yaml.safe_dump(CLOUD_DEFECT_SPECS["azure-mixed-multi-hour"])


def test_the_mixed_flexible_multi_hour_spec_is_contract_clean() -> None:
    """Review B1 and B2, fixed (issue 15 items 1, 2): the mixed non-IB group is a Flexible set with
    the group's user-assigned identity, and its crons are one profile per start time."""
    resources = _capture("azure-inference-a10-spot", _DEFECTS)
    assert _check(resources) == []
    (vmss,) = [r for r in resources if r.type == "azure-native:compute:VirtualMachineScaleSet"]
    assert vmss.inputs["orchestrationMode"] == "Flexible"
    assert vmss.inputs["identity"]["type"] == "UserAssigned"
    # the ARM body the rule reads carries the map ARM wants, not azure-native's list
    (req,) = [q for q in azure.requests(resources) if q.operation == azure.VMSS_OP]
    assert list(req.params["identity"]["userAssignedIdentities"].values()) == [{}]


def test_multi_hour_and_multi_minute_crons_become_one_profile_per_start_time() -> None:
    """Issue 15 item 1: ARM takes one hour and one minute per recurrence. '0 8,20 * * 1-5' is two
    profiles, '*/30 9-16 * * *' sixteen; each starts once, at one of the cron's times."""
    resources = _capture("azure-inference-a10-spot", _DEFECTS)
    findings = _check(resources)
    assert not [f for f in findings if f.rule == "azure.autoscale.recurrence-one-hour-one-minute"]
    (setting,) = [r for r in resources if r.type == "azure-native:monitor:AutoscaleSetting"]
    starts = {
        (p["name"], tuple(p["recurrence"]["schedule"]["hours"]), tuple(p["recurrence"]["schedule"]["minutes"]))
        for p in setting.inputs["profiles"]
        if "recurrence" in p
    }
    expected_starts = {("twice-daily-0800", (8,), (0,)), ("twice-daily-2000", (20,), (0,))} | {
        (f"half-hourly-{h:02d}{m:02d}", (h,), (m,)) for h in range(9, 17) for m in (0, 30)
    }
    assert starts == expected_starts
    assert len(setting.inputs["profiles"]) == 19 <= 20


# --- negative tests: each mapping and each model check can fail --------------------------------

_MINIMAL: dict[str, dict[str, Any]] = {
    "azure-native:compute:VirtualMachineScaleSet": {"location": "eastus", "resourceGroupName": "rg", "sku": {}},
    "azure-native:compute:ProximityPlacementGroup": {"location": "eastus", "resourceGroupName": "rg"},
    "azure-native:network:VirtualNetwork": {"location": "eastus", "resourceGroupName": "rg"},
    "azure-native:network:Subnet": {
        "resourceGroupName": "rg",
        "virtualNetworkName": "v",
        "addressPrefix": "10.0.0.0/24",
    },
    "azure-native:network:NetworkSecurityGroup": {"location": "eastus", "resourceGroupName": "rg"},
    "azure-native:network:SecurityRule": {
        "resourceGroupName": "rg",
        "networkSecurityGroupName": "n",
        "access": "Allow",
        "direction": "Inbound",
        "protocol": "*",
        "priority": 100.0,
    },
    "azure-native:network:NatGateway": {"location": "eastus", "resourceGroupName": "rg"},
    "azure-native:network:PublicIPAddress": {"location": "eastus", "resourceGroupName": "rg"},
    "azure-native:monitor:AutoscaleSetting": {"location": "eastus", "resourceGroupName": "rg", "profiles": []},
    "azure-native:authorization:RoleAssignment": {"scope": "/s", "principalId": "p", "roleDefinitionId": "/r"},
    "azure-native:managedidentity:UserAssignedIdentity": {"location": "eastus", "resourceGroupName": "rg"},
    "azure-native:authorization:RoleDefinition": {"scope": "/s", "roleName": "r", "permissions": [{"actions": ["a"]}]},
    "azure-native:virtualmachineimages:VirtualMachineImageTemplate": {
        "location": "eastus",
        "resourceGroupName": "rg",
        "identity": {"type": "UserAssigned", "userAssignedIdentities": ["/id"]},
        "source": {"type": "PlatformImage", "publisher": "p", "offer": "o", "sku": "s", "version": "latest"},
        "distribute": [{"type": "SharedImage", "galleryImageId": "/g", "runOutputName": "r"}],
    },
    "azure-native:compute:Gallery": {"location": "eastus", "resourceGroupName": "rg"},
    "azure-native:compute:GalleryImage": {
        "location": "eastus",
        "resourceGroupName": "rg",
        "galleryName": "g",
        "osType": "Linux",
        "osState": "Generalized",
        "identifier": {"publisher": "p", "offer": "o", "sku": "s"},
    },
}


def _res(type_: str, inputs: dict[str, Any], name: str = "r", deps: tuple[str, ...] = ()) -> SimpleNamespace:
    return SimpleNamespace(
        urn=f"urn:pulumi:s::p::{type_}::{name}", type=type_, name=name, inputs=inputs, dependencies=deps
    )


def test_every_mapping_has_a_minimal_case() -> None:
    assert set(_MINIMAL) == set(azure.MAPPINGS)


@pytest.mark.parametrize("type_", sorted(_MINIMAL))
def test_mapping_is_clean_when_valid_and_flags_an_unknown_property(type_: str) -> None:
    good = _MINIMAL[type_]
    assert _check([_res(type_, good)]) == []
    bad = _check([_res(type_, {**good, "notAnArmProperty": 1})])
    assert_fires(bad, "azure.model", "notAnArmProperty")
    assert [(f.field, f.rule) for f in bad] == [("notAnArmProperty", "azure.model")]


def test_unmapped_azure_type_is_a_finding_not_a_pass() -> None:
    found = _check([_res("azure-native:compute:Disk", {"location": "eastus"})])
    assert_fires(found, "azure.unmapped")
    assert [f.rule for f in found] == [azure.UNMAPPED]


def _vmss(**changes: Any) -> dict[str, Any]:
    r = next(r for r in _capture("azure-train-ndh100-ib") if r.type == "azure-native:compute:VirtualMachineScaleSet")
    inputs = copy.deepcopy(r.inputs)
    inputs.update(changes)
    return inputs


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"orchestrationMode": "Flex"}, "properties.orchestrationMode", "not one of Uniform, Flexible"),
        ({"location": None}, "location", "required"),
        ({"singlePlacementGroup": "yes"}, "properties.singlePlacementGroup", "expected true or false"),
        ({"platformFaultDomainCount": 1.5}, "properties.platformFaultDomainCount", "expected an integer"),
        ({"sku": {"name": "x", "capacity": "two"}}, "sku.capacity", "expected an integer"),
    ],
)
def test_model_checks_enums_required_and_types(change: dict[str, Any], field: str, message: str) -> None:
    inputs = _vmss(**change)
    if change.get("location", "") is None:
        del inputs["location"]
    found = [
        f for f in _check([_res("azure-native:compute:VirtualMachineScaleSet", inputs)]) if f.rule == "azure.model"
    ]
    assert [f.field for f in found] == [field] and message in found[0].message


def test_model_checks_validation_constraints_and_durations() -> None:
    profile = {"name": "p", "capacity": {"minimum": "0", "maximum": "1", "default": "0"}, "rules": []}
    many = {**_MINIMAL["azure-native:monitor:AutoscaleSetting"], "profiles": [profile] * 21}
    found = _check([_res("azure-native:monitor:AutoscaleSetting", many)])
    assert [(f.field, f.rule) for f in found] == [("properties.profiles", "azure.model")]
    assert "at most 20" in found[0].message  # monitor's _validation max_items (the 20-profile limit)
    rule_ = {
        "metricTrigger": {
            "metricName": "m",
            "metricResourceUri": "/x",
            "timeGrain": "1 minute",
            "statistic": "Average",
            "timeWindow": "PT10M",
            "timeAggregation": "Average",
            "operator": "GreaterThan",
            "threshold": 1.0,
        },
        "scaleAction": {"direction": "Increase", "type": "ChangeCount", "cooldown": "PT5M"},
    }
    bad = {**_MINIMAL["azure-native:monitor:AutoscaleSetting"], "profiles": [{**profile, "rules": [rule_]}]}
    found = _check([_res("azure-native:monitor:AutoscaleSetting", bad)])
    assert [f.field for f in found] == ["properties.profiles[0].rules[0].metricTrigger.timeGrain"]


def test_nested_sub_resource_is_checked_after_unflattening() -> None:
    inputs = _vmss()
    nic = inputs["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"][0]
    nic["enableAcceleratedNetwork"] = True  # a typo of enableAcceleratedNetworking
    found = _check([_res("azure-native:compute:VirtualMachineScaleSet", inputs)])
    assert [f.field for f in found] == [
        "properties.virtualMachineProfile.networkProfile.networkInterfaceConfigurations[0].enableAcceleratedNetwork"
    ]


# --- rules: each one fires on a wrong input ----------------------------------------------------


def _autoscale(hours: list[int], minutes: list[int]) -> Request:
    sched = {"timeZone": "UTC", "days": ["Monday"], "hours": hours, "minutes": minutes}
    body = {"properties": {"profiles": [{"name": "p", "recurrence": {"frequency": "Week", "schedule": sched}}]}}
    return Request("azure", azure.AUTOSCALE_OP, body, "as", "azure-native:monitor:AutoscaleSetting")


def _vmss_req(props: dict[str, Any], capacity: int = 1, identity: str | None = None, **ctx: Any) -> Request:
    body: dict[str, Any] = {"location": "x", "sku": {"capacity": capacity}, "properties": props}
    if identity:
        body["identity"] = {"type": identity}
    return Request("azure", azure.VMSS_OP, body, "vmss", "azure-native:compute:VirtualMachineScaleSet", ctx)


def _vmss_sized(size: str, security_type: str) -> Request:
    profile = {"securityProfile": {"securityType": security_type}}
    body = {"location": "x", "sku": {"name": size, "capacity": 1}, "properties": {"virtualMachineProfile": profile}}
    return Request("azure", azure.VMSS_OP, body, "vmss", "azure-native:compute:VirtualMachineScaleSet")


RULE_CASES: dict[str, tuple[Request, Request]] = {
    # rule id: (a request it must flag, a close request it must pass)
    "azure.autoscale.recurrence-one-hour-one-minute": (_autoscale([8, 20], [0]), _autoscale([8], [0])),
    "azure.vmss.flexible-no-system-assigned-identity": (
        _vmss_req({"orchestrationMode": "Flexible"}, identity="SystemAssigned"),
        _vmss_req({"orchestrationMode": "Flexible"}, identity="UserAssigned"),
    ),
    "azure.vmss.single-placement-group-100": (
        _vmss_req({"orchestrationMode": "Uniform", "singlePlacementGroup": True}, autoscaleMaximum=101),
        _vmss_req({"orchestrationMode": "Uniform", "singlePlacementGroup": False}, capacity=150),
    ),
    "azure.vmss.trusted-launch-size": (
        _vmss_sized("Standard_ND96asr_v4", "TrustedLaunch"),
        _vmss_sized("Standard_ND96isr_H100_v5", "TrustedLaunch"),
    ),
    "azure.tags.max-50": (
        Request("azure", azure.VMSS_OP, {"tags": {f"k{i}": "v" for i in range(51)}}, "v", "t"),
        Request("azure", azure.VMSS_OP, {"tags": {f"k{i}": "v" for i in range(50)}}, "v", "t"),
    ),
}


def _fired(rule_id: str) -> list[Finding]:
    """Every registered rule over the rule's wrong input (a rule dropped from RULES fires nothing)."""
    return apply_rules([RULE_CASES[rule_id][0]])


def test_each_rule_fires_on_its_wrong_input() -> None:
    # one literal assert_fires per rule id: tests/contract/test_meta.py requires it of every rule
    sched = "properties.profiles[0].recurrence.schedule"
    assert_fires(
        _fired("azure.autoscale.recurrence-one-hour-one-minute"),
        "azure.autoscale.recurrence-one-hour-one-minute",
        f"{sched}.hours",
    )
    assert_fires(
        _fired("azure.vmss.flexible-no-system-assigned-identity"),
        "azure.vmss.flexible-no-system-assigned-identity",
        "identity.type",
    )
    assert_fires(_fired("azure.vmss.single-placement-group-100"), "azure.vmss.single-placement-group-100")
    assert_fires(_fired("azure.tags.max-50"), "azure.tags.max-50", "tags")
    assert_fires(
        _fired("azure.vmss.trusted-launch-size"),
        "azure.vmss.trusted-launch-size",
        "properties.virtualMachineProfile.securityProfile.securityType",
    )


def test_standard_is_not_a_security_type_at_the_api_version_sent() -> None:
    # Why gpufleet expresses Standard by leaving securityType unset: the 2024-11-01 model (what
    # azure-native 3.29 sends) declares TrustedLaunch and ConfidentialVM only.
    req = _vmss_sized("Standard_ND96asr_v4", "Standard")
    found = azure.model_findings([req])
    hit = assert_fires(found, "azure.model", "properties.virtualMachineProfile.securityProfile.securityType")
    assert "TrustedLaunch, ConfidentialVM" in hit.message


@pytest.mark.parametrize(
    ("size", "secure_type"),
    [
        ("Standard_ND96isr_H100_v5", "TrustedLaunch"),  # ND family: supported
        ("Standard_NV36ads_A10_v5", "TrustedLaunch"),  # NV family (GRID driver): supported, Secure Boot off
        ("Standard_ND96asr_v4", None),  # NDasrA100_v4: not supported -> Standard (unset)
        ("Standard_ND96amsr_A100_v4", None),  # NDm_A100_v4: not supported
    ],
)
def test_security_type_per_size_is_contract_clean(size: str, secure_type: str | None) -> None:
    """Issue 15 item 5: securityType is explicit per size; Secure Boot is off where it is set (the
    node loads an NVIDIA driver not signed for Secure Boot), and the request passes the checks."""
    model = {"Standard_ND96isr_H100_v5": "H100-80GB", "Standard_NV36ads_A10_v5": "A10-24GB"}.get(size, "A100-80GB")
    if size == "Standard_ND96asr_v4":
        model = "A100-40GB"
    fleet = yaml.safe_load(_BASE)["config"]["gpufleet:fleet"]
    g = fleet["groups"][0]
    gpu = {"model": model, "count": 1 if "NV" in size else 8, "instanceTypes": [size]}
    fleet["groups"] = [{**g, "gpu": gpu, "market": {"type": "on-demand"}}]
    resources = _capture("azure-inference-a10-spot", yaml.safe_dump(fleet))
    assert _check(resources) == []
    (vmss,) = [r for r in resources if r.type == "azure-native:compute:VirtualMachineScaleSet"]
    profile = vmss.inputs["virtualMachineProfile"]["securityProfile"]
    assert profile.get("securityType") == secure_type
    assert profile["encryptionAtHost"] is True
    if secure_type is not None:
        assert profile["uefiSettings"] == {"secureBootEnabled": False, "vTpmEnabled": True}


@pytest.mark.parametrize("rule_id", sorted(RULE_CASES))
def test_rule_flags_only_itself_and_passes_a_close_right_input(rule_id: str) -> None:
    bad, good = RULE_CASES[rule_id]
    r = RULES[rule_id]
    assert {f.rule for f in r.findings(bad)} == {rule_id}
    assert r.findings(good) == []
    assert r.source and "2026" in r.source  # every rule says where it comes from and when it was read


def test_recurrence_rule_names_minutes_too() -> None:
    found = RULES["azure.autoscale.recurrence-one-hour-one-minute"].findings(_autoscale([8], [0, 30]))
    assert [f.field for f in found] == ["properties.profiles[0].recurrence.schedule.minutes"]


def test_single_placement_group_counts_the_sku_capacity_and_the_uniform_default() -> None:
    r = RULES["azure.vmss.single-placement-group-100"]
    assert r.findings(_vmss_req({"orchestrationMode": "Uniform"}, capacity=101))  # Uniform defaults to single
    assert r.findings(_vmss_req({"orchestrationMode": "Flexible"}, capacity=101)) == []


def test_missing_model_package_raises_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "azure.mgmt.monitor.v2021_05_01_preview", None)
    monkeypatch.delitem(sys.modules, "gpufleet.contract.azure")
    try:
        with pytest.raises(ImportError):
            importlib.import_module("gpufleet.contract.azure")
    finally:
        sys.modules["gpufleet.contract.azure"] = azure


def test_too_many_tags_are_refused_at_spec_time_before_any_request() -> None:
    """Issue 15 item 12 (review m6): 49 fleet tags + gpufleet's 2 exceed Azure's 50 per resource. The
    spec refuses it with the count; the contract rule (tested above on a raw request) agrees."""
    import specgen
    from gpufleet.errors import ConfigError
    from gpufleet.validation import validate_fleet

    fleet = yaml.safe_load(_BASE)["config"]["gpufleet:fleet"]
    fleet["tags"] = {**fleet["tags"], **{f"t{i}": "x" for i in range(46)}}
    with pytest.raises(ConfigError) as err:
        validate_fleet(fleet, specgen.catalog())
    (problem,) = [p for p in err.value.problems if p.path == "groups[0].tags"]
    assert problem.message.startswith("51 tags per resource") and "at most 50" in problem.message
    fleet["tags"] = dict(list(fleet["tags"].items())[:48])  # 48 + 2 = 50: allowed
    validate_fleet(fleet, specgen.catalog())


_A10 = yaml.safe_load(_BASE)["config"]["gpufleet:fleet"]["groups"][0]
_IB = {
    **_A10,
    "gpu": {"model": "H100-80GB", "count": 8, "instanceTypes": ["Standard_ND96isr_H100_v5"]},
    "rdma": True,
    "zones": ["1"],
    "network": {"create": True, "cidr": "10.50.0.0/16"},
    "bootstrap": {"driver": "580"},  # the HPC image's driver
    "market": {"type": "on-demand"},
}
DONE_WHEN_SPECS: dict[str, dict[str, Any]] = {
    # issue 15 "Done when": a test spec per item, each contract-clean
    "mixed-flexible": {"market": {"type": "mixed", "onDemandBase": 1, "maxPricePercent": 60}},
    "mixed-ib": {
        **_IB,
        "capacity": {"min": 1, "desired": 3, "max": 6},
        "market": {"type": "mixed", "onDemandBase": 2},
        "autoscaling": {"gpuUtilizationTarget": 70, "metricPublished": True},
    },
    "min-0-gpu-autoscaling": {
        "capacity": {"min": 0, "desired": 0, "max": 8},
        "autoscaling": {
            "gpuUtilizationTarget": 70,
            "metricPublished": True,
            "schedules": [{"name": "day", "cron": "0 8 * * 1-5", "timezone": "Europe/Berlin", "desired": 1}],
        },
    },
    "encryption-at-host-off": {"encryptionAtHost": False},
    "no-autoscaling-range": {"autoscaling": None, "capacity": {"min": 0, "desired": 1, "max": 4}},
}


@pytest.mark.parametrize("name", sorted(DONE_WHEN_SPECS))
def test_each_issue_15_spec_is_contract_clean(name: str) -> None:
    fleet = yaml.safe_load(_BASE)["config"]["gpufleet:fleet"]
    fleet["groups"] = [{k: v for k, v in {**_A10, **DONE_WHEN_SPECS[name]}.items() if v is not None}]
    resources = _capture("azure-inference-a10-spot", yaml.safe_dump(fleet))
    assert any(r.type == "azure-native:compute:VirtualMachineScaleSet" for r in resources)
    assert _check(resources) == []
