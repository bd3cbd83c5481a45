"""allowed-regions: allowlists, residency groups from the catalog, and undeterminable regions."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from typing import Any

import pytest

from gpufleet.catalog import Catalog
from gpufleet.policy import evaluate
from gpufleet.policy.allowed_regions import RESIDENCY_GROUPS
from gpufleet.policy.regions import COUNTRY_CODES, residency
from policy.graphs import (
    ASG,
    BUILDERS,
    CLEAN_CONFIG,
    PG,
    VMSS,
    Graph,
    alicloud_graph,
    aws_graph,
    azure_graph,
    check,
    patch,
    where,
)

REGIONAL = {"aws": aws_graph, "azure": azure_graph, "alicloud": alicloud_graph}
ELSEWHERE = {"aws": "eu-west-1", "azure": "westeurope", "alicloud": "eu-central-1"}


@pytest.mark.parametrize("cloud", sorted(BUILDERS))
def test_allowed_region_passes(cloud: str) -> None:
    assert check(BUILDERS[cloud](), "allowed-regions") == []


@pytest.mark.parametrize("cloud", sorted(BUILDERS))
def test_every_resource_outside_the_allowlist_fails(cloud: str) -> None:
    graph = REGIONAL[cloud](ELSEWHERE[cloud])
    found = check(graph, "allowed-regions")
    cloud_resources = [r for r in graph if r.custom and not r.type.startswith("pulumi:")]
    # One violation per cloud resource; components and providers have no region of their own.
    assert sorted(where(found)) == sorted(r.name for r in cloud_resources)
    assert f"region '{ELSEWHERE[cloud]}'" in found[0].message
    assert f"allowedRegions.{cloud}" in found[0].message


def regions_only(graph: list[Any], settings: dict[str, Any]) -> list[Any]:
    """allowed-regions violations with its config replaced (not merged) by ``settings``."""
    config = {**CLEAN_CONFIG, "allowed-regions": settings}
    return [v for v in evaluate(graph, config) if v.policy == "allowed-regions"]


@pytest.mark.parametrize("cloud", sorted(BUILDERS))
def test_residency_groups_come_from_the_catalog(cloud: str) -> None:
    eu_only = {"residency": ["eu"]}
    assert regions_only(REGIONAL[cloud](ELSEWHERE[cloud]), eu_only) == []
    found = regions_only(BUILDERS[cloud](), eu_only)
    home = {"aws": "us", "azure": "us", "alicloud": "cn"}[cloud]
    assert found and "residency = [eu]" in found[0].message and f"is in: {home})" in found[0].message


def test_allowlist_and_residency_must_both_hold() -> None:
    # us-east-1 is on the list but not in the EU: every configured rule must hold.
    assert regions_only(aws_graph(), {"allowedRegions": {"aws": ["us-east-1"]}, "residency": ["eu"]})
    assert regions_only(aws_graph(), {"allowedRegions": {"aws": ["us-east-1"]}, "residency": ["us"]}) == []


def test_a_cloud_without_any_rule_allows_nothing() -> None:
    found = regions_only(azure_graph(), {"allowedRegions": {"aws": ["us-east-1"]}})
    assert found and "no region is allowed on azure" in found[0].message


def test_aws_per_resource_region_wins_over_the_provider() -> None:
    graph = patch(aws_graph(), PG, {"region": "eu-west-1"})
    found = check(graph, "allowed-regions")
    assert where(found) == ["demo-trainers-pg"] and "from its own 'region'" in found[0].message


def test_azure_display_names_are_normalised() -> None:
    assert check(patch(azure_graph(), VMSS, {"location": "East US"}), "allowed-regions") == []


@pytest.mark.parametrize("cloud", sorted(BUILDERS))
def test_default_provider_region_is_unknown_and_fails(cloud: str) -> None:
    # Resources on the default provider: its settings come from stack config or the
    # environment, which policies cannot see offline, so the region is undeterminable.
    graph = [replace(r, provider="") if r.custom and not r.type.startswith("pulumi:") else r for r in BUILDERS[cloud]()]
    if cloud == "azure":  # Azure resources carry their own location; drop it to fall back to the provider
        graph = patch(graph, VMSS, {"location": None})
    found = [v for v in check(graph, "allowed-regions") if "cannot be determined" in v.message]
    assert found, check(graph, "allowed-regions")
    assert "provider 'default'" in found[0].message


def test_explicit_provider_without_region_fails() -> None:
    g = Graph()
    prov = g.add("pulumi:providers:alicloud", "no-region", {})
    g.add("alicloud:ess/scalingGroup:ScalingGroup", "g", {"minSize": 0.0, "maxSize": 1.0}, provider=prov)
    found = check(g.resources, "allowed-regions")
    assert where(found) == ["g"] and "provider 'no-region' has no 'region' input" in found[0].message


def test_residency_groups(catalog: Catalog) -> None:
    groups = residency(catalog)
    assert ("aws", "eu-west-1") in groups.groups["eu"]
    assert ("azure", "westeurope") in groups.groups["eu"]
    assert ("aws", "eu-west-2") not in groups.groups["eu"]  # London is not in the EU
    assert ("alicloud", "cn-beijing") in groups.groups["cn"]
    assert ("alicloud", "cn-hongkong") in groups.groups["hk"]  # Hong Kong is its own group
    assert ("aws", "us-east-1") in groups.groups["us"]


def test_every_country_in_the_regions_table_has_a_group(catalog: Catalog) -> None:
    # A new country in regions.csv must get a residency code, or its regions drop out of residency rules.
    missing = sorted({r.country for r in catalog.regions if r.country and r.country not in COUNTRY_CODES})
    assert missing == []


def test_asg_region_comes_from_the_provider() -> None:
    found = check(patch(aws_graph(), ASG, {"region": "us-west-2"}), "allowed-regions")
    assert where(found) == ["demo-trainers-asg"]


def test_importing_the_pack_does_not_load_the_catalog() -> None:
    # The catalog loads on the first policy run, not when the pack (or gpufleet.policy) is imported.
    code = (
        "import gpufleet.catalog as c, gpufleet.policy.allowed_regions, gpufleet.policy; "
        "print(c.load_catalog.cache_info().currsize)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "0", out.stdout + out.stderr


def test_every_catalog_residency_group_is_accepted_by_the_schema(catalog: Catalog) -> None:
    assert set(residency(catalog).groups) <= set(RESIDENCY_GROUPS)
    assert "eu" in RESIDENCY_GROUPS and "europe" not in RESIDENCY_GROUPS
