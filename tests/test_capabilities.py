"""The per-cloud capability table, and the seams it closes: keys that do not apply, the
created-subnet size on every cloud, and Azure's one size per group through ``resolve``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from azure.azuregroups import AZURE_GROUP, azure_fleet

from gpufleet.capabilities import CAPABILITIES, CLOUD_KEYS
from gpufleet.catalog import Catalog
from gpufleet.errors import ConfigError
from gpufleet.pinning import pin_stack_file
from gpufleet.validation import validate_fleet
from helpers import fleet


def problems(raw: Any, catalog: Catalog) -> dict[str, str]:
    with pytest.raises(ConfigError) as e:
        validate_fleet(raw, catalog)
    return {p.path: p.message for p in e.value.problems}


def test_reserved_addresses_per_subnet_match_the_cloud_docs() -> None:
    # AWS: first four + last [Amazon VPC UG, "Subnet CIDR blocks"]; Azure: first four + last
    # [Azure Virtual Network FAQ]; Alibaba: first one + last three [VPC API CreateVSwitchCidrReservation].
    assert {c: caps.reserved_per_subnet for c, caps in CAPABILITIES.items()} == {"aws": 5, "azure": 5, "alicloud": 4}


def test_eviction_policy_on_an_aws_group_is_refused_with_its_path(catalog: Catalog) -> None:
    # Reproduction (issue 13): market.evictionPolicy on an AWS group used to pass silently.
    found = problems(fleet({"market": {"type": "spot", "evictionPolicy": "deallocate"}}), catalog)
    assert set(found) == {"groups[0].market.evictionPolicy"}
    assert "Azure only" in found["groups[0].market.evictionPolicy"]


@pytest.mark.parametrize(
    ("group", "path"),
    [
        # Azure-only keys on AWS.
        ({"market": {"type": "spot", "evictionPolicy": "delete"}}, "groups[0].market.evictionPolicy"),
        ({"network": {"create": True, "resourceGroup": "rg"}}, "groups[0].network.resourceGroup"),
        # An AWS-only key on Azure: Azure scale sets run one size, no allocation strategy.
        ({**AZURE_GROUP, "market": {"type": "spot", "allocationStrategy": "lowest-price"}}, "groups[0].market"),
    ],
)
def test_every_cloud_specific_key_is_refused_elsewhere(catalog: Catalog, group: dict[str, Any], path: str) -> None:
    found = problems(fleet(group), catalog)
    assert any(p.startswith(path) for p in found), found


def test_the_key_table_covers_the_cloud_only_fields() -> None:
    # Every key the spec documents as one cloud's appears in the table with that cloud.
    assert CLOUD_KEYS["access"] == {"azure"}
    assert CLOUD_KEYS["market.evictionPolicy"] == {"azure"}
    assert CLOUD_KEYS["autoscaling.scheduleStart"] == {"alicloud"}
    assert CLOUD_KEYS["bootstrap.image.ssmParameter"] == {"aws"}


def test_azure_created_subnet_must_hold_max_nodes(catalog: Catalog) -> None:
    # Reproduction (issue 13): an Azure /24 with max 600 validated. A /24 holds 256 - 5 = 251.
    found = problems(
        azure_fleet({"network": {"create": True, "cidr": "10.60.0.0/24"}, "capacity": {"max": 600}}), catalog
    )
    assert "251 usable addresses" in found["groups[0].network.cidr"]
    ok = azure_fleet({"network": {"create": True, "cidr": "10.60.0.0/24"}, "capacity": {"max": 251}})
    validate_fleet(ok, catalog)
    with pytest.raises(ConfigError):
        validate_fleet(azure_fleet({"network": {"create": True, "cidr": "10.60.0.0/24"}, "capacity": {"max": 252}}))


def test_resolve_on_azure_pins_one_size_that_validates(tmp_path: Path, catalog: Catalog) -> None:
    # Reproduction (issue 13): {model: T4-16GB, count: 1} validated, resolve pinned three sizes,
    # and the next validate refused them (an Azure scale set runs one VM size).
    group = {**AZURE_GROUP, "gpu": {"model": "T4-16GB", "count": 1}}
    f = tmp_path / "Pulumi.t4.yaml"
    f.write_text(yaml.safe_dump({"config": {"gpufleet:fleet": azure_fleet(group)}}))
    validate_fleet(azure_fleet(group), catalog)
    r = pin_stack_file(f, catalog)
    pinned = yaml.safe_load(r.after)["config"]["gpufleet:fleet"]
    types = pinned["groups"][0]["gpu"]["instanceTypes"]
    assert len(types) == 1
    validate_fleet(pinned, catalog)  # the pinned file still validates
