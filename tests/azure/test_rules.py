"""Spec-time Azure rules: what ``gpufleet validate`` refuses before any cloud call."""

from __future__ import annotations

import base64
import dataclasses
import struct
from typing import Any, cast

import pytest
from azuregroups import A10_TYPE, IB_GROUP, IB_TYPE, KEY, azure_fleet

from gpufleet.azure.ssh import key_problem
from gpufleet.catalog import Catalog
from gpufleet.errors import ConfigError
from gpufleet.pricing import cap_problems
from gpufleet.resolve import resolve_group
from gpufleet.validation import validate_fleet
from helpers import DROP, fleet

A10M_TYPE = "Standard_NV36adms_A10_v5"  # a second A10 size, dearer than A10_TYPE in eastus
SUBNET = "/subscriptions/0000/resourceGroups/net/providers/Microsoft.Network/virtualNetworks/hub/subnets/gpu"


def problems(raw: Any, catalog: Catalog) -> dict[str, str]:
    with pytest.raises(ConfigError) as e:
        validate_fleet(raw, catalog)
    return {p.path: p.message for p in e.value.problems}


def test_the_base_azure_groups_are_valid(catalog: Catalog) -> None:
    assert validate_fleet(azure_fleet({}), catalog).spec.groups[0].access is not None
    assert validate_fleet(azure_fleet(IB_GROUP), catalog).spec.groups[0].rdma


def _rsa_key(bits: int) -> str:
    def s(b: bytes) -> bytes:
        return struct.pack(">I", len(b)) + b

    n = (1 << (bits - 1)) | 1
    blob = s(b"ssh-rsa") + s(b"\x01\x00\x01") + s(b"\x00" + n.to_bytes(bits // 8, "big"))
    return "ssh-rsa " + base64.b64encode(blob).decode()


@pytest.mark.parametrize(
    ("group", "path", "fragment"),
    [
        # no SSH key: Azure Linux scale sets need one, and passwords are never used
        ({"access": DROP}, "groups[0].access", "need an SSH public key"),
        # an ECDSA key: Azure supports RSA and ED25519 only
        (
            {"access": {"sshPublicKeys": ["ecdsa-sha2-nistp256 AAAAE2VjZHNh bob@host"]}},
            "groups[0].access.sshPublicKeys[0]",
            "not supported by Azure",
        ),
        # a short RSA key
        ({"access": {"sshPublicKeys": [_rsa_key(1024)]}}, "groups[0].access.sshPublicKeys[0]", "1024-bit"),
        # a private key pasted by mistake
        (
            {"access": {"sshPublicKeys": ["-----BEGIN OPENSSH PRIVATE KEY----- abc"]}},
            "groups[0].access.sshPublicKeys[0]",
            "private key",
        ),
        # an admin name Azure refuses
        ({"access": {"sshPublicKeys": [KEY], "adminUsername": "root"}}, "groups[0].access.adminUsername", "refuses"),
        # several VM sizes: a scale set runs one
        (
            {"gpu": {"model": "A10-24GB", "instanceTypes": ["Standard_NV36ads_A10_v5", "Standard_NV36adms_A10_v5"]}},
            "groups[0].gpu.instanceTypes",
            "runs one VM size",
        ),
        # over the 1,000 VMs of a scale set
        ({"capacity": {"max": 1001}}, "groups[0].capacity.max", "most VMs a scale set holds"),
        # bring-your-own network: one subnet, shaped like an Azure subnet id
        ({"network": {"subnetIds": [SUBNET, SUBNET + "2"]}}, "groups[0].network.subnetIds", "give one"),
        ({"network": {"subnetIds": ["subnet-0abc"]}}, "groups[0].network.subnetIds[0]", "not an Azure subnet id"),
        # bring-your-own resource group with a bad name
        (
            {"network": {"create": True, "resourceGroup": "rg."}},
            "groups[0].network.resourceGroup",
            "not a valid resource group name",
        ),
        # image: a URN with three parts, and an AWS-only SSM parameter
        (
            {"bootstrap": {"image": {"id": "Canonical:ubuntu:22_04"}}},
            "groups[0].bootstrap.image.id",
            "publisher:offer:sku:version",
        ),
        (
            {"bootstrap": {"image": {"ssmParameter": "/aws/service/x"}}},
            "groups[0].bootstrap.image.ssmParameter",
            "AWS only",
        ),
        # a spot cap needs the catalog's on-demand price in the region (none for NV36ads in centralus)
        (
            {"region": "centralus", "market": {"type": "spot", "maxPricePercent": 60}},
            "groups[0].market.maxPricePercent",
            "no on-demand price",
        ),
        # a pinned cap for a size the scale set does not run (resolve keeps the cheapest, one size)
        (
            {"gpu": {"model": "A10-24GB", "count": 1}, "market": {"type": "spot", "maxPrices": {A10M_TYPE: 2.0}}},
            f"groups[0].market.maxPrices.{A10M_TYPE}",
            f"not one of the group's instance types ({A10_TYPE})",
        ),
        # "default" is the name of the always-on autoscale profile
        (
            {"autoscaling": {"schedules": [{"name": "default", "cron": "0 8 * * 1-5", "min": 1}]}},
            "groups[0].autoscaling.schedules[0].name",
            "'default' is reserved",
        ),
        # InfiniBand: at most one zone (one proximity placement group)
        ({**IB_GROUP, "zones": ["1", "2"]}, "groups[0].zones", "at most one zone"),
        # InfiniBand mixed: a percentage above the base cannot be split into two scale sets
        (
            {**IB_GROUP, "market": {"type": "mixed", "onDemandBase": 1, "onDemandPercentAboveBase": 50}},
            "groups[0].market.onDemandPercentAboveBase",
            "no percentage",
        ),
        # InfiniBand mixed: the base must leave room for spot nodes
        (
            {**IB_GROUP, "market": {"type": "mixed", "onDemandBase": 4}},
            "groups[0].market.onDemandBase",
            "no room for spot",
        ),
        # cron that Azure cannot express: first of the month
        (
            {"autoscaling": {"schedules": [{"name": "monthly", "cron": "0 0 1 * *", "min": 1}]}},
            "groups[0].autoscaling.schedules[0].cron",
            "Azure cannot express schedule 'monthly'",
        ),
        # an IANA zone without a Windows name
        (
            {"autoscaling": {"schedules": [{"cron": "0 8 * * 1-5", "timezone": "EST5EDT", "min": 1}]}},
            "groups[0].autoscaling.schedules[0].timezone",
            "no Windows equivalent",
        ),
        # 20 schedules + the default profile exceed Azure's 20 profiles
        (
            {"autoscaling": {"schedules": [{"cron": f"0 {h} * * *", "min": 1, "name": f"s{h}"} for h in range(20)]}},
            "groups[0].autoscaling.schedules",
            "needs 21 autoscale profiles",
        ),
        # one schedule starting 20 times a day (ARM takes one hour and one minute per recurrence,
        # so one profile each) plus the default: 21 profiles (issue 15 item 1)
        (
            {"autoscaling": {"schedules": [{"name": "often", "cron": "0,30 8-17 * * 1-5", "min": 1}]}},
            "groups[0].autoscaling.schedules",
            "needs 21 autoscale profiles (the default one plus one per start time of each schedule; start "
            "times: 'often' 20)",
        ),
    ],
)
def test_azure_refusals_name_the_field(catalog: Catalog, group: dict[str, Any], path: str, fragment: str) -> None:
    found = problems(azure_fleet(group), catalog)
    assert path in found, found
    assert fragment in found[path]


def test_the_infiniband_limits_are_refused(catalog: Catalog) -> None:
    # Already covered in tests/test_validation.py; repeated here with a valid Azure group so
    # the only problems are the ones under test.
    found = problems(azure_fleet({**IB_GROUP, "capacity": {"max": 101}}), catalog)
    assert set(found) == {"groups[0].capacity.max"}
    found = problems(azure_fleet({**IB_GROUP, "network": {"create": True, "cidr": "172.16.0.0/20"}}), catalog)
    assert set(found) == {"groups[0].network.cidr"}


def test_azure_only_keys_are_refused_on_other_clouds(catalog: Catalog) -> None:
    found = problems(fleet({"access": {"sshPublicKeys": [KEY]}}), catalog)
    assert "'access' is Azure only" in found["groups[0].access"]
    found = problems(fleet({"network": {"create": True, "resourceGroup": "rg"}}), catalog)
    assert "'network.resourceGroup' is Azure only" in found["groups[0].network.resourceGroup"]
    found = problems(fleet({"encryptionAtHost": False}), catalog)
    assert "'encryptionAtHost' is Azure only" in found["groups[0].encryptionAtHost"]


def test_byo_network_and_resource_group_pass(catalog: Catalog) -> None:
    spec = validate_fleet(azure_fleet({"network": {"subnetIds": [SUBNET], "resourceGroup": "gpu-rg"}}), catalog).spec
    assert spec.groups[0].network.resource_group == "gpu-rg"


@pytest.mark.parametrize(
    "key",
    [
        KEY,
        _rsa_key(2048),
        _rsa_key(4096) + " alice@laptop",
    ],
)
def test_supported_keys_pass(key: str) -> None:
    assert key_problem(key) is None


@pytest.mark.parametrize(
    ("key", "fragment"),
    [
        # type says ed25519, data is RSA
        ("ssh-ed25519 " + _rsa_key(2048).split()[1], "another type"),
        # not base64
        ("ssh-ed25519 !!!notbase64", "not valid base64"),
        # one field only
        ("ssh-ed25519", "not an OpenSSH public key line"),
    ],
)
def test_malformed_keys_are_refused(key: str, fragment: str) -> None:
    problem = key_problem(key)
    assert problem is not None and fragment in problem


def test_templates_with_schedules_validate(catalog: Catalog) -> None:
    raw = azure_fleet(
        {
            "market": {"type": "spot", "maxPricePercent": 60},
            "autoscaling": {
                "gpuUtilizationTarget": 60,
                "schedules": [
                    {"name": "day", "cron": "0 8 * * 1-5", "timezone": "Europe/Berlin", "min": 1},
                    {"name": "night", "cron": "0 20 * * *", "timezone": "Europe/Berlin", "min": 0},
                ],
            },
        }
    )
    assert len(validate_fleet(raw, catalog).spec.groups[0].autoscaling.schedules) == 2  # type: ignore[union-attr]


def test_ib_group_uses_the_catalog_ib_sku(catalog: Catalog) -> None:
    it = catalog.instance("azure", IB_TYPE)
    assert it is not None and it.rdma == "infiniband"


def test_a_pinned_cap_needs_no_catalog_price(catalog: Catalog) -> None:
    """maxPrices alone is a cap in its own right: no on-demand price is needed (none for NV36ads in centralus)."""
    raw = azure_fleet({"region": "centralus", "market": {"type": "spot", "maxPrices": {A10_TYPE: 1.5}}})
    assert validate_fleet(raw, catalog).spec.groups[0].market.max_prices == {A10_TYPE: 1.5}


@pytest.mark.parametrize(
    ("market", "path"),
    [
        ({"type": "spot", "maxPricePercent": 60}, "groups[0].market.maxPricePercent"),
        ({"type": "spot", "maxPrices": {A10_TYPE: 1.5}}, "groups[0].market.maxPrices"),
    ],
)
def test_a_spot_cap_in_another_currency_is_refused(catalog: Catalog, market: dict[str, Any], path: str) -> None:
    """Azure's max price is in USD: a catalog priced in another currency cannot back either kind of cap
    (checked by the caps model for every cloud with a wire currency)."""

    class InEuro:  # the catalog is frozen; the rule only asks it for quotes
        def quote(self, *args: Any) -> Any:
            q = catalog.quote(*args)
            return dataclasses.replace(q, currency="EUR") if q is not None else None

    group = validate_fleet(azure_fleet({"market": market}), catalog).spec.groups[0]
    types = [t.instance for t in resolve_group(group, catalog).types]
    found = {p.path: p.message for p in cap_problems(group, "groups[0]", types, cast(Catalog, InEuro()))}
    assert "spot max price is in USD" in found[path], found


def _warnings(raw: Any, catalog: Catalog) -> dict[str, str]:
    return {w.path: w.message for w in validate_fleet(raw, catalog).warnings}


def test_gpu_autoscaling_at_min_zero_without_a_way_out_warns(catalog: Catalog) -> None:
    # issue 15 item 6: no node, no metric; the burst template's old 0/0/8 shape
    w = _warnings(
        azure_fleet({"capacity": {"min": 0, "desired": 0, "max": 8}, "autoscaling": {"gpuUtilizationTarget": 70}}),
        catalog,
    )
    assert "cannot scale out from zero nodes" in w["groups[0].capacity.min"]
    assert "No node will publish it" in w["groups[0].autoscaling.metricPublished"]
    # a way out: min 1, or a schedule that starts nodes
    for way_out in (
        {"capacity": {"min": 1, "desired": 1, "max": 8}, "autoscaling": {"gpuUtilizationTarget": 70}},
        {
            "capacity": {"min": 0, "desired": 0, "max": 8},
            "autoscaling": {"gpuUtilizationTarget": 70, "schedules": [{"cron": "0 8 * * 1-5", "min": 1}]},
        },
    ):
        assert "groups[0].capacity.min" not in _warnings(azure_fleet(way_out), catalog)


def test_published_metric_silences_the_two_phase_warning(catalog: Catalog) -> None:
    on = {
        "capacity": {"min": 1, "desired": 1, "max": 4},
        "autoscaling": {"gpuUtilizationTarget": 70, "metricPublished": True},
    }
    assert "groups[0].autoscaling.metricPublished" not in _warnings(azure_fleet(on), catalog)
    found = problems(fleet({"autoscaling": {"gpuUtilizationTarget": 70, "metricPublished": True}}), catalog)
    assert "is Azure only" in found["groups[0].autoscaling.metricPublished"]


@pytest.mark.parametrize(
    ("iana", "windows"),
    [("America/Vancouver", "British Columbia Standard Time"), ("America/Edmonton", "Alberta Standard Time")],
)
def test_a_windows_zone_on_neither_autoscale_list_warns_and_names_it(catalog: Catalog, iana: str, windows: str) -> None:
    # issue 15 item 9: CLDR (tzlocal) knows names newer than the autoscale API's lists; a hint, not a refusal
    spec = {"autoscaling": {"schedules": [{"name": "am", "cron": "0 8 * * 1-5", "timezone": iana, "min": 1}]}}
    w = _warnings(azure_fleet(spec), catalog)
    msg = w["groups[0].autoscaling.schedules[0].timezone"]
    assert f"'{iana}' maps to the Windows zone '{windows}'" in msg
    ok = {"autoscaling": {"schedules": [{"cron": "0 8 * * 1-5", "timezone": "America/Los_Angeles", "min": 1}]}}
    assert "groups[0].autoscaling.schedules[0].timezone" not in _warnings(azure_fleet(ok), catalog)


def test_the_rest_zone_list_is_the_monitor_models_own() -> None:
    # the copy in gpufleet.azure.tzlists against the azure-mgmt-monitor docstring it was taken from
    from azure.mgmt.monitor.v2021_05_01_preview import models

    from gpufleet.azure.tzlists import CLI_ZONES, REST_API_ZONES

    doc = " ".join((models.RecurrentSchedule.__doc__ or "").split())
    listed = doc.split("Some examples of valid time zones are: ", 1)[1].split(". Required.", 1)[0]
    assert tuple(x.strip() for x in listed.split(",")) == REST_API_ZONES
    assert len(CLI_ZONES) == 136  # what Azure CLI's own live test expects of list-timezones
