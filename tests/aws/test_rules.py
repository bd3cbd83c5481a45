"""AWS spec rules added with the AWS component: each refusal names the field and the fix."""

from __future__ import annotations

from typing import Any

import pytest

from gpufleet.catalog import Catalog
from gpufleet.errors import ConfigError
from gpufleet.validation import validate_fleet
from helpers import fleet


def problems(raw: dict[str, Any], catalog: Catalog) -> dict[str, str]:
    with pytest.raises(ConfigError) as e:
        validate_fleet(raw, catalog)
    return {p.path: p.message for p in e.value.problems}


@pytest.mark.parametrize(
    ("group", "path", "needle"),
    [
        # A cap needs an on-demand price; p5e.48xlarge has none in the catalog.
        (
            {
                "gpu": {"model": "H200-141GB", "count": 8, "instanceTypes": ["p5e.48xlarge"]},
                "market": {"type": "spot", "maxPricePercent": 60},
            },
            "groups[0].market.maxPricePercent",
            "no on-demand price for p5e.48xlarge in us-east-1",
        ),
        # A GPU-only spec resolves to p5e.48xlarge (no price) and p5en.48xlarge: pin the types.
        (
            {"gpu": {"model": "H200-141GB", "count": 8}, "market": {"type": "spot", "maxPricePercent": 60}},
            "groups[0].market.maxPricePercent",
            "list gpu.instanceTypes without p5e.48xlarge",
        ),
        # Pinned caps without a percentage must cover every type.
        (
            {
                "gpu": {"model": "L4-24GB", "count": 1, "instanceTypes": ["g6.xlarge", "g6.2xlarge"]},
                "market": {"type": "spot", "maxPrices": {"g6.xlarge": 0.3}},
            },
            "groups[0].market.maxPrices",
            "no cap for g6.2xlarge",
        ),
        # Bring-your-own subnets need their VPC for the security group.
        ({"network": {"subnetIds": ["subnet-1"]}}, "groups[0].network.vpcId", "give the VPC of the subnets"),
        # 40 p5 nodes (one address each: the EFAs are EFA-only) do not fit a /27 subnet (from a /24).
        (
            {
                "gpu": {"model": "H100-80GB", "count": 8, "instanceTypes": ["p5.48xlarge"]},
                "rdma": True,
                "capacity": {"min": 0, "desired": 1, "max": 40},
                "network": {"create": True, "cidr": "10.40.0.0/24"},
            },
            "groups[0].network.cidr",
            "27 usable addresses, but the group needs 40 nodes = 40 addresses",
        ),
        # More zones than the created network has blocks for.
        (
            {"zones": [f"us-east-1{c}" for c in "abcdefgh"]},
            "groups[0].zones",
            "at most 7 zones",
        ),
    ],
)
def test_refusals(catalog: Catalog, group: dict[str, Any], path: str, needle: str) -> None:
    found = problems(fleet(group), catalog)
    assert path in found, found
    assert needle in found[path]


def test_small_cidr_error_suggests_a_range_that_fits(catalog: Catalog) -> None:
    group = {
        "gpu": {"model": "H100-80GB", "count": 8, "instanceTypes": ["p5.48xlarge"]},
        "rdma": True,
        "capacity": {"min": 0, "desired": 1, "max": 40},
        "network": {"create": True, "cidr": "10.40.0.0/24"},
    }
    msg = problems(fleet(group), catalog)["groups[0].network.cidr"]
    assert "such as '10.40.0.0/23'" in msg  # /23 -> /26 subnets: 59 usable >= 40


def test_efa_nodes_take_one_address_each(catalog: Catalog) -> None:
    # ENA primary + EFA-only interfaces (no IP): 4 p5 nodes fit a /27 (27 usable); they needed
    # 4 x 32 = 128 addresses with one EFA-with-ENA interface per card (issue 14 item 1).
    group = {
        "gpu": {"model": "H100-80GB", "count": 8, "instanceTypes": ["p5.48xlarge"]},
        "rdma": True,
        "network": {"create": True, "cidr": "10.40.0.0/24"},
    }
    validate_fleet(fleet(group), catalog)


def test_vpc_id_only_with_subnet_ids(catalog: Catalog) -> None:
    found = problems(fleet({"network": {"create": True, "vpcId": "vpc-1"}}), catalog)
    assert "'vpcId' applies only with 'subnetIds'" in found["groups[0].network"]


def test_bring_your_own_network_is_accepted(catalog: Catalog) -> None:
    validate_fleet(fleet({"network": {"subnetIds": ["subnet-1"], "vpcId": "vpc-1"}}), catalog)


def test_pinned_caps_cover_a_type_without_catalog_price(catalog: Catalog) -> None:
    group = {
        "gpu": {"model": "H200-141GB", "count": 8, "instanceTypes": ["p5e.48xlarge"]},
        "market": {"type": "spot", "maxPrices": {"p5e.48xlarge": 30.0}},
    }
    validate_fleet(fleet(group), catalog)


def test_a_created_network_in_a_zone_that_takes_no_subnets_is_refused(catalog: Catalog) -> None:
    # moto's zone table: Tokyo's 1b (AZ ID apne1-az3) takes no new subnets; AWS answers InvalidParameterValue.
    g = {"region": "ap-northeast-1", "gpu": {"model": "A10G-24GB", "count": 1}}
    for zone in ("ap-northeast-1b", "apne1-az3"):
        with pytest.raises(ConfigError) as e:
            validate_fleet(fleet({**g, "zones": ["ap-northeast-1a", zone]}), catalog)
        assert {p.path for p in e.value.problems} == {"groups[0].zones[1]"}
        assert any("takes no new subnets" in p.message for p in e.value.problems)
    # Bring-your-own subnets are the account's business: nothing is created there.
    validate_fleet(fleet({**g, "zones": ["ap-northeast-1b"], "network": {"subnetIds": ["subnet-1"], "vpcId": "vpc-1"}}))


def test_a_created_network_needs_zones(catalog: Catalog) -> None:
    found = problems(fleet({"zones": [], "gpu": {"model": "A10G-24GB", "count": 1}}), catalog)
    assert list(found) == ["groups[0].zones"] and "AZ IDs" in found["groups[0].zones"]
