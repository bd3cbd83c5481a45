"""AzureGpuGroup under Pulumi mocks: the real program (__main__.py) with Azure-only fleets."""

from __future__ import annotations

import base64
import gzip
import io
import shlex
import tarfile
from typing import Any

import pulumi
import pytest
import yaml
from azuregroups import A10_TYPE, IB_GROUP, IB_TYPE, KEY, azure_fleet

from gpufleet.azure import mock_outputs
from gpufleet.azure.autoscale import METRICS_PUBLISHER_ROLE_ID
from gpufleet.catalog import Catalog
from gpufleet.metrics import AZURE_GPU_UTILIZATION
from gpufleet.plan.engine import CapturedResource, ProgramRun, run_program
from helpers import ROOT, STACKS, assert_golden, graph_snapshot

PROGRAM = ROOT / "__main__.py"
VMSS = "azure-native:compute:VirtualMachineScaleSet"
PPG = "azure-native:compute:ProximityPlacementGroup"
NSG = "azure-native:network:NetworkSecurityGroup"
AUTOSCALE = "azure-native:monitor:AutoscaleSetting"
ROLE = "azure-native:authorization:RoleAssignment"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
SUBNET = "/subscriptions/0000/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/gpu"
# Types without a location property (children of a located parent, or scoped to one).
NO_LOCATION = {"azure-native:network:Subnet", ROLE}


def run(*groups: dict[str, Any]) -> ProgramRun:
    return run_program(PROGRAM, {"gpufleet:fleet": azure_fleet(*groups)}, stack="azure")


def outputs(r: ProgramRun, group: str) -> dict[str, Any]:
    found: dict[str, Any] = r.outputs["groups"][group]
    return found


@pytest.fixture(scope="module")
def ib() -> ProgramRun:
    return run({**IB_GROUP, "zones": ["1"]})


@pytest.fixture(scope="module")
def mixed_ib() -> ProgramRun:
    return run(
        {
            **IB_GROUP,
            "capacity": {"min": 1, "desired": 3, "max": 6},
            "market": {"type": "mixed", "onDemandBase": 2, "maxPricePercent": 70},
            "autoscaling": {
                "gpuUtilizationTarget": 70,
                "metricPublished": True,
                "schedules": [{"name": "weekend", "cron": "0 0 * * SAT", "timezone": "Europe/Berlin", "min": 3}],
            },
        }
    )


@pytest.fixture(scope="module")
def spot() -> ProgramRun:
    return run(
        {
            "market": {"type": "spot", "maxPricePercent": 60},
            "autoscaling": {
                "gpuUtilizationTarget": 60,
                "metricPublished": True,
                "scaleInCooldownSeconds": 900,
                "schedules": [
                    {"name": "office-hours", "cron": "0 8 * * 1-5", "timezone": "America/New_York", "min": 1},
                    {"name": "night", "cron": "30 20 * * 1-5", "timezone": "America/New_York", "min": 0},
                ],
            },
        }
    )


# -- InfiniBand -------------------------------------------------------------------------------


def test_ib_is_uniform_single_placement_group_in_a_ppg_with_the_hpc_image(ib: ProgramRun) -> None:
    vmss = ib.one(VMSS).inputs
    assert vmss["orchestrationMode"] == "Uniform"
    assert vmss["singlePlacementGroup"] is True
    assert vmss["platformFaultDomainCount"] == 1
    assert vmss["overprovision"] is False
    assert vmss["sku"]["name"] == IB_TYPE
    assert vmss["sku"]["capacity"] == 2
    ppg = ib.one(PPG).inputs
    assert ppg["intent"]["vmSizes"] == [IB_TYPE]
    assert ppg["zones"] == ["1"] and vmss["zones"] == ["1"]
    assert vmss["proximityPlacementGroup"]["id"] == outputs(ib, "train")["proximityPlacementGroupId"]
    image = vmss["virtualMachineProfile"]["storageProfile"]["imageReference"]
    assert (image["publisher"], image["offer"], image["sku"]) == ("microsoft-dsvm", "ubuntu-hpc", "2204")


def test_without_ib_there_is_no_ppg_and_many_placement_groups(spot: ProgramRun) -> None:
    assert spot.of_type(PPG) == []
    vmss = spot.one(VMSS).inputs
    assert vmss["singlePlacementGroup"] is False
    assert "proximityPlacementGroup" not in vmss
    assert vmss["virtualMachineProfile"]["storageProfile"]["imageReference"]["publisher"] == "Canonical"


# -- Spot -------------------------------------------------------------------------------------


def test_spot_max_price_is_the_percent_of_the_catalog_on_demand_price(spot: ProgramRun, catalog: Catalog) -> None:
    profile = spot.one(VMSS).inputs["virtualMachineProfile"]
    quote = catalog.quote("azure", A10_TYPE, "eastus", "on-demand")
    assert quote is not None and quote.currency == "USD"
    assert profile["billingProfile"]["maxPrice"] == pytest.approx(quote.amount * 0.60)
    assert profile["priority"] == "Spot"
    assert profile["evictionPolicy"] == "Delete"
    assert spot.one(VMSS).inputs["spotRestorePolicy"]["enabled"] is True


def test_a_pinned_max_price_without_a_percentage_reaches_the_billing_profile() -> None:
    """``gpufleet resolve`` pins market.maxPrices; that cap must not fall back to -1 ("up to on-demand")."""
    r = run({"market": {"type": "spot", "maxPrices": {A10_TYPE: 1.25}}})
    assert r.one(VMSS).inputs["virtualMachineProfile"]["billingProfile"]["maxPrice"] == 1.25


def test_spot_up_to_on_demand_and_deallocate() -> None:
    r = run({"market": {"type": "spot", "evictionPolicy": "deallocate"}})
    profile = r.one(VMSS).inputs["virtualMachineProfile"]
    assert profile["billingProfile"]["maxPrice"] == -1
    assert profile["evictionPolicy"] == "Deallocate"


def test_on_demand_has_no_spot_settings(ib: ProgramRun) -> None:
    vmss = ib.one(VMSS).inputs
    assert vmss["virtualMachineProfile"]["priority"] == "Regular"
    assert "billingProfile" not in vmss["virtualMachineProfile"]
    assert "spotRestorePolicy" not in vmss


def test_mixed_ib_group_is_two_uniform_scale_sets_in_one_ppg(mixed_ib: ProgramRun, catalog: Catalog) -> None:
    sets = {r.inputs["vmScaleSetName"]: r.inputs for r in mixed_ib.of_type(VMSS)}
    regular, spot = sets["demo-train-regular"], sets["demo-train-spot"]
    assert len(sets) == 2
    assert {s["orchestrationMode"] for s in (regular, spot)} == {"Uniform"}
    assert regular["proximityPlacementGroup"] == spot["proximityPlacementGroup"]
    assert len(mixed_ib.of_type(PPG)) == 1
    # the regular set is the on-demand base; the spot set is the rest of the initial size
    assert (regular["virtualMachineProfile"]["priority"], regular["sku"]["capacity"]) == ("Regular", 2)
    assert (spot["virtualMachineProfile"]["priority"], spot["sku"]["capacity"]) == ("Spot", 1)
    quote = catalog.quote("azure", IB_TYPE, "eastus", "on-demand")
    assert quote is not None
    assert spot["virtualMachineProfile"]["billingProfile"]["maxPrice"] == pytest.approx(quote.amount * 0.70)
    # autoscale targets the spot set, with counts less the base
    setting = mixed_ib.one(AUTOSCALE).inputs
    out = outputs(mixed_ib, "train")
    assert setting["targetResourceUri"] == out["scaleSets"]["spot"]["id"] == out["scaleSetId"]
    default, weekend = setting["profiles"]
    assert default["capacity"] == {"minimum": "0", "default": "0", "maximum": "4"}
    assert weekend["capacity"] == {"minimum": "1", "default": "1", "maximum": "4"}
    # each set's identity may publish its own metrics
    assert sorted(r.inputs["scope"] for r in mixed_ib.of_type(ROLE)) == sorted(
        s["id"] for s in out["scaleSets"].values()
    )


def test_mixed_group_without_ib_is_one_flexible_set_with_a_priority_mix() -> None:
    r = run({"market": {"type": "mixed", "onDemandBase": 1, "onDemandPercentAboveBase": 20}})
    vmss = r.one(VMSS).inputs
    assert vmss["orchestrationMode"] == "Flexible"
    assert vmss["priorityMixPolicy"] == {"baseRegularPriorityCount": 1, "regularPriorityPercentageAboveBase": 20}
    assert vmss["platformFaultDomainCount"] == 1
    assert vmss["virtualMachineProfile"]["networkProfile"]["networkApiVersion"] == "2020-11-01"
    assert vmss["virtualMachineProfile"]["priority"] == "Spot"
    assert "overprovision" not in vmss and "singlePlacementGroup" not in vmss


# -- Safe updates and security defaults -------------------------------------------------------


@pytest.mark.parametrize("name", ["mixed_ib", "spot"])
def test_capacity_is_left_to_the_autoscaler_only_on_the_set_it_scales(
    name: str, request: pytest.FixtureRequest
) -> None:
    # issue 15 item 7: the fixed '-regular' base of a mixed IB group keeps its count under Pulumi,
    # so a change of market.onDemandBase reaches Azure; the autoscaled set's count is left alone.
    r: ProgramRun = request.getfixturevalue(name)
    (setting,) = r.of_type(AUTOSCALE)
    for s in r.of_type(VMSS):
        scaled = setting.inputs["targetResourceUri"].endswith("/" + s.name)
        assert ("sku.capacity" in s.ignore_changes) == scaled, (s.name, s.ignore_changes)
    assert any("sku.capacity" in s.ignore_changes for s in r.of_type(VMSS))
    if name == "mixed_ib":
        regular = [s for s in r.of_type(VMSS) if s.name.endswith("-regular-vmss")]
        assert len(regular) == 1 and regular[0].ignore_changes == ()


def test_without_rules_or_schedules_pulumi_keeps_the_count(ib: ProgramRun) -> None:
    # nothing else changes the count of a group without autoscaling, so `pulumi up` must
    assert ib.one(AUTOSCALE).inputs["profiles"][0]["rules"] == []
    assert all(s.ignore_changes == () for s in ib.of_type(VMSS))


def test_a_range_without_autoscaling_reaches_azure_as_a_rule_less_setting(ib: ProgramRun) -> None:
    # A scale set has no min or max; capacity.max reaches Azure only in an autoscale setting, and the
    # budget policy reads its maximum (tests/test_properties.py compares it with the cost table).
    (setting,) = ib.of_type(AUTOSCALE)
    (default,) = setting.inputs["profiles"]
    assert default == {"name": "default", "capacity": {"minimum": "0", "default": "0", "maximum": "4"}, "rules": []}
    assert setting.inputs["targetResourceUri"] == outputs(ib, "train")["scaleSetId"]
    assert ib.one(VMSS).inputs["sku"]["capacity"] == 2  # desired stays the count


def _inbound_allows(nsg: CapturedResource) -> list[dict[str, Any]]:
    return [r for r in nsg.inputs["securityRules"] if r["direction"] == "Inbound" and r["access"] == "Allow"]


def test_nsg_has_no_inbound_rule_from_the_internet(ib: ProgramRun) -> None:
    nsg = ib.one(NSG)
    open_sources = {"*", "Internet", "0.0.0.0/0", "any"}
    for rule in _inbound_allows(nsg):
        sources = {rule.get("sourceAddressPrefix"), *rule.get("sourceAddressPrefixes", [])}
        assert not sources & open_sources, rule
    denies = [r for r in nsg.inputs["securityRules"] if r["access"] == "Deny" and r["direction"] == "Inbound"]
    assert [r["sourceAddressPrefix"] for r in denies] == ["Internet"]
    # the created subnet carries the NSG and leaves the Internet through NAT only
    subnet = ib.one("azure-native:network:Subnet").inputs
    assert subnet["networkSecurityGroup"]["id"] == outputs(ib, "train")["networkSecurityGroupId"]
    assert subnet["defaultOutboundAccess"] is False
    assert "natGateway" in subnet


def test_encryption_at_host_off_still_sends_the_security_profile() -> None:
    # issue 15 item 4: the opt-out is explicit (false, not absent), and the security type stays
    # (Trusted Launch with Secure Boot off on the A10 size; item 5)
    r = run({"encryptionAtHost": False})
    profile = r.one(VMSS).inputs["virtualMachineProfile"]["securityProfile"]
    assert profile == {
        "encryptionAtHost": False,
        "securityType": "TrustedLaunch",
        "uefiSettings": {"secureBootEnabled": False, "vTpmEnabled": True},
    }


def test_nodes_are_private_encrypted_and_key_only(ib: ProgramRun) -> None:
    vmss = ib.one(VMSS).inputs
    profile = vmss["virtualMachineProfile"]
    nic = profile["networkProfile"]["networkInterfaceConfigurations"][0]
    assert all("publicIPAddressConfiguration" not in ip for ip in nic["ipConfigurations"])
    assert profile["securityProfile"]["encryptionAtHost"] is True
    assert profile["storageProfile"]["osDisk"]["managedDisk"]["storageAccountType"] == "Premium_LRS"
    os_profile = profile["osProfile"]
    assert "adminPassword" not in os_profile
    linux = os_profile["linuxConfiguration"]
    assert linux["disablePasswordAuthentication"] is True
    assert [k["keyData"] for k in linux["ssh"]["publicKeys"]] == [KEY]
    assert base64.b64decode(os_profile["customData"]).decode().startswith("#cloud-config")
    # the group's user-assigned identity (Flexible sets take no system-assigned one; issue 15 item 2)
    (ident,) = ib.of_type(IDENTITY)
    assert vmss["identity"]["type"] == "UserAssigned"
    (identity_id,) = vmss["identity"]["userAssignedIdentities"]
    assert identity_id.endswith(f"UserAssignedIdentity/{ident.name}")  # the mock engine's id of that resource


def test_rolling_upgrades_gated_by_the_health_extension(ib: ProgramRun) -> None:
    vmss = ib.one(VMSS).inputs
    assert vmss["upgradePolicy"]["mode"] == "Rolling"
    assert vmss["upgradePolicy"]["rollingUpgradePolicy"]["maxBatchInstancePercent"] == 20
    (ext,) = vmss["virtualMachineProfile"]["extensionProfile"]["extensions"]
    assert (ext["publisher"], ext["type"], ext["typeHandlerVersion"]) == (
        "Microsoft.ManagedServices",
        "ApplicationHealthLinux",
        "2.0",
    )
    assert ext["settings"]["gracePeriod"] >= 3600
    assert (ext["settings"]["protocol"], ext["settings"]["port"], ext["settings"]["requestPath"]) == (
        "http",
        8787,
        "/healthz",
    )
    assert vmss["automaticRepairsPolicy"]["enabled"] is True


@pytest.mark.parametrize(("max_nodes", "percent"), [(2, 50), (3, 34), (4, 25), (5, 20), (40, 20)])
def test_one_unhealthy_node_never_blocks_a_rollout(max_nodes: int, percent: int) -> None:
    # issue 15 item 11: a fixed 20 % on 2-4 nodes let one bad node (25-50 %) stop every rollout
    r = run({"capacity": {"min": 1, "desired": 1, "max": max_nodes}})
    policy = r.one(VMSS).inputs["upgradePolicy"]["rollingUpgradePolicy"]
    assert policy["maxUnhealthyInstancePercent"] == percent
    assert policy["maxUnhealthyUpgradedInstancePercent"] == percent
    assert percent * max_nodes >= 100 or percent == 20  # one node of the set always fits


@pytest.mark.parametrize("name", ["ib", "mixed_ib", "spot"])
def test_location_is_explicit_everywhere(name: str, request: pytest.FixtureRequest) -> None:
    r: ProgramRun = request.getfixturevalue(name)
    located = [x for x in r.resources if x.custom and x.type.startswith("azure-native:") and x.type not in NO_LOCATION]
    assert len(located) >= 6
    for x in located:
        assert x.inputs.get("location") == "eastus", x.type
    (prov,) = r.of_type("pulumi:providers:azure-native")
    assert prov.inputs["location"] == "eastus"
    assert all(x.provider_urn == prov.urn for x in r.resources if x.custom and x.type.startswith("azure-native:"))


def test_every_child_names_its_provider_explicitly(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each Azure child passes ``provider=`` in its own options (as on AWS), not only through the parent.

    The registered graph looks the same either way (the component also carries the provider), so
    this watches the options each resource is constructed with.
    """
    seen: dict[str, Any] = {}
    init = pulumi.CustomResource.__init__

    def spy(
        self: pulumi.CustomResource, t: str, name: str, props: Any = None, opts: Any = None, *a: Any, **k: Any
    ) -> None:
        if t.startswith("azure-native:") and not t.startswith("pulumi:providers:"):
            seen[f"{t}::{name}"] = opts.provider if opts is not None else None
        init(self, t, name, props, opts, *a, **k)

    monkeypatch.setattr(pulumi.CustomResource, "__init__", spy)
    group = {**IB_GROUP, "zones": ["1"], "market": {"type": "mixed", "onDemandBase": 1}}
    r = run({**group, "autoscaling": {"gpuUtilizationTarget": 70}})
    (prov,) = r.of_type("pulumi:providers:azure-native")
    assert {k.split("::")[0] for k in seen} >= {VMSS, PPG, NSG, AUTOSCALE, ROLE}, seen
    providers = {k: v.__class__.__name__ if v is not None else None for k, v in seen.items()}
    assert set(providers.values()) == {"Provider"}, providers
    assert all(x.provider_urn == prov.urn for x in r.resources if x.type.startswith("azure-native:"))


# -- Autoscale --------------------------------------------------------------------------------


def test_autoscale_on_gpu_utilisation_with_recurrence_profiles(spot: ProgramRun) -> None:
    setting = spot.one(AUTOSCALE).inputs
    assert setting["enabled"] is True
    assert setting["targetResourceUri"] == outputs(spot, "nodes")["scaleSetId"]
    default, office, night = setting["profiles"]
    assert "recurrence" not in default
    out_rule, in_rule = default["rules"]
    for rule in (out_rule, in_rule):
        trigger = rule["metricTrigger"]
        assert (trigger["metricNamespace"], trigger["metricName"]) == (
            AZURE_GPU_UTILIZATION.namespace,
            AZURE_GPU_UTILIZATION.name,
        )
        assert trigger["metricResourceUri"] == setting["targetResourceUri"]
    assert (out_rule["metricTrigger"]["operator"], out_rule["metricTrigger"]["threshold"]) == ("GreaterThan", 60)
    assert in_rule["metricTrigger"]["operator"] == "LessThan"
    assert in_rule["metricTrigger"]["threshold"] < 60
    assert in_rule["scaleAction"]["cooldown"] == "PT15M"
    assert office["recurrence"] == {
        "frequency": "Week",
        "schedule": {
            "days": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
            "hours": [8],
            "minutes": [0],
            "timeZone": "Eastern Standard Time",
        },
    }
    assert office["capacity"] == {"minimum": "1", "default": "1", "maximum": "4"}
    assert night["recurrence"]["schedule"]["minutes"] == [30]
    assert office["rules"] == default["rules"]


def test_gpu_autoscaling_grants_the_metrics_role_on_the_scale_set_only(spot: ProgramRun) -> None:
    role = spot.one(ROLE).inputs
    assert role["scope"] == outputs(spot, "nodes")["scaleSetId"]
    assert role["roleDefinitionId"].endswith(f"/roleDefinitions/{METRICS_PUBLISHER_ROLE_ID}")
    # granted to the group's identity, whose client id the node's metrics agent logs in with
    vmss = spot.one(VMSS).inputs
    (identity_id,) = vmss["identity"]["userAssignedIdentities"]
    assert role["principalId"] == mock_outputs._uuid("principal", identity_id)
    env = _node_env(vmss["virtualMachineProfile"]["osProfile"]["customData"])
    assert env["GPUFLEET_AZURE_CLIENT_ID"] == mock_outputs._uuid("clientId", identity_id)


def _node_env(custom_data: str) -> dict[str, str]:
    """``/etc/gpufleet/node.env`` of a node's custom data (it rides in the gzip bundle)."""
    doc = yaml.safe_load(base64.b64decode(custom_data))
    (bundle,) = [f for f in doc["write_files"] if f.get("encoding") == "gz+b64"]
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(base64.b64decode(bundle["content"])))) as tar:
        member = tar.extractfile("etc/gpufleet/node.env")
        assert member is not None
        text = member.read().decode()
    env = {}
    for line in text.splitlines():
        key, _, value = line.partition("=")
        (env[key],) = shlex.split(value) or [""]
    return env


def test_gpu_rules_wait_for_the_metric_but_the_role_does_not() -> None:
    # issue 15 item 3, phase 1: ARM refuses a rule on a custom metric that does not exist yet, so the
    # first `up` creates the setting (bounds only) and the metrics role, and nodes start publishing.
    r = run({"capacity": {"min": 1, "desired": 1, "max": 4}, "autoscaling": {"gpuUtilizationTarget": 60}})
    (default,) = r.one(AUTOSCALE).inputs["profiles"]
    assert default["rules"] == [] and default["capacity"]["maximum"] == "4"
    assert r.one(ROLE).inputs["roleDefinitionId"].endswith(METRICS_PUBLISHER_ROLE_ID)
    assert r.one(VMSS).ignore_changes == ()  # nothing scales yet, so `up` keeps the count
    # phase 2: the same spec with metricPublished adds the rules and hands the count to autoscale
    r2 = run(
        {
            "capacity": {"min": 1, "desired": 1, "max": 4},
            "autoscaling": {"gpuUtilizationTarget": 60, "metricPublished": True},
        }
    )
    assert len(r2.one(AUTOSCALE).inputs["profiles"][0]["rules"]) == 2
    assert "sku.capacity" in r2.one(VMSS).ignore_changes


def test_no_role_assignment_and_no_setting_without_gpu_autoscaling() -> None:
    # a fixed-size group: nothing to scale, no range to hold
    r = run({"autoscaling": None, "capacity": {"min": 2, "desired": 2, "max": 2}})
    assert r.of_type(ROLE) == [] and r.of_type(AUTOSCALE) == []
    r = run({"autoscaling": {"schedules": [{"cron": "0 8 * * *", "min": 1}]}})
    assert r.of_type(ROLE) == []
    (profile_default, profile_8) = r.one(AUTOSCALE).inputs["profiles"]
    assert profile_default["rules"] == [] and profile_8["name"] == "schedule-0"


# -- Bring your own ---------------------------------------------------------------------------


def test_bring_your_own_resource_group_and_subnet() -> None:
    r = run({"network": {"subnetIds": [SUBNET], "resourceGroup": "gpu-rg"}})
    for t in ("ResourceGroup", "VirtualNetwork", "Subnet", "NatGateway", "PublicIPAddress"):
        assert not [x for x in r.resources if x.type.endswith(f":{t}")], t
    vmss = r.one(VMSS).inputs
    assert vmss["resourceGroupName"] == "gpu-rg"
    nic = vmss["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"][0]
    assert nic["ipConfigurations"][0]["subnet"]["id"] == SUBNET
    # our NSG still guards the nodes, on the NIC
    assert nic["networkSecurityGroup"]["id"] == outputs(r, "nodes")["networkSecurityGroupId"]
    assert outputs(r, "nodes")["resourceGroupName"] == "gpu-rg"


def test_outputs(ib: ProgramRun) -> None:
    out = outputs(ib, "train")
    assert set(out) >= {
        "scaleSetId",
        "scaleSetName",
        "resourceGroupName",
        "proximityPlacementGroupId",
        "networkSecurityGroupId",
    }
    assert out["scaleSetName"] == "demo-train"


# -- Golden graph -----------------------------------------------------------------------------


def _redact(node: Any) -> Any:
    """Keep the golden file about Azure wiring: the cloud-config has its own golden tests."""
    if isinstance(node, dict):
        return {k: ("<base64 cloud-config>" if k == "customData" else _redact(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_redact(v) for v in node]
    return node


def test_golden_graph_of_the_reference_stack() -> None:
    doc = yaml.safe_load((STACKS / "Pulumi.azure-train-ndh100-ib.yaml").read_text())
    r = run_program(PROGRAM, doc["config"], stack="azure-train-ndh100-ib")
    assert_golden("azure-reference", _redact(graph_snapshot(r)))
