"""The messages a new user meets on the most common edits: one line per real problem, with a hint that fits.

Each case is a template-like fleet with one or two edits; the table holds the exact first
line of the report (the first problem) and how many problems it lists. The cases come from
the newcomer review behind issue 19: a cascade line (``groups: Tuple should have at least
1 item``), a hard-coded zone hint, a wrong "did you mean" and a problem hidden behind a typo
were each reported there.
"""

from __future__ import annotations

from typing import Any

import pytest

from gpufleet.catalog import Catalog
from gpufleet.errors import ConfigError
from gpufleet.validation import validate_fleet
from helpers import DROP, fleet

GROUP_KEYS = (
    "name, cloud, region, zones, gpu, capacity, market, rdma, bootstrap, autoscaling, network, tags, access, "
    "encryptionAtHost, rollout, alicloud"
)
L4_EFA = "g6.8xlarge, g6.12xlarge, g6.16xlarge, g6.24xlarge, g6.48xlarge"
NO_EFA_G6 = (
    "rdma: true needs efa on 'g6.xlarge', but the catalog has no RDMA facts for it. "
    f"Types with L4-24GB and efa: {L4_EFA}"
)

CASES: list[tuple[str, dict[str, Any], str, int]] = [
    # A typo in a required key: one line (not the tuple-length cascade, not "capacity: Field required").
    (
        "typo-capcity",
        fleet({"capcity": {"max": 4}, "capacity": DROP}),
        f"groups[0].capcity: unknown key 'capcity'. Did you mean 'capacity'? Valid keys here: {GROUP_KEYS}",
        1,
    ),
    # A missing required key in the only group: no cascade line first.
    ("missing-region", fleet({"region": DROP}), "groups[0].region: Field required", 1),
    ("missing-cloud", fleet({"cloud": DROP}), "groups[0].cloud: Field required", 1),
    (
        "cap-min-gt-max",
        fleet({"capacity": {"min": 5, "max": 2}}),
        "groups[0].capacity: need min <= desired <= max, got min=5, desired=5, max=2 (got {'min': 5, 'max': 2})",
        1,
    ),
    # The zone hint names the group's own region, not a hard-coded example.
    (
        "region-only",
        fleet({"region": "us-west-2"}),
        "groups[0].zones[0]: 'us-east-1a' is not a zone of us-west-2 "
        "(zones of us-west-2 are 'us-west-2' plus a letter, e.g. 'us-west-2a', 'us-west-2b', "
        "or AZ IDs: usw2-az1, usw2-az2, usw2-az3, usw2-az4)",
        1,
    ),
    (
        "alicloud-zone",
        fleet(
            {
                "cloud": "alicloud",
                "region": "cn-beijing",
                "zones": ["cn-hangzhou-h"],
                "gpu": {"instanceTypes": ["ecs.gn8is-8x.32xlarge"]},
            }
        ),
        "groups[0].zones[0]: 'cn-hangzhou-h' is not a zone of cn-beijing "
        "(zones of cn-beijing are 'cn-beijing-' plus a letter, e.g. 'cn-beijing-h')",
        1,
    ),
    # An ambiguous model with the type still pinned: name the model the pinned type carries,
    # and do not call the pinned type "not one of the group's instance types ()".
    (
        "gpu-H100-pinned",
        fleet(
            {
                "gpu": {"model": "H100", "count": 8, "instanceTypes": ["p5.48xlarge"]},
                "market": {"type": "spot", "maxPrices": {"p5.48xlarge": 50}},
            }
        ),
        "groups[0].gpu.model: GPU model 'H100' is ambiguous: it could be H100-80GB, H100-NVL-94GB. "
        "Name one of them. The pinned instance types (p5.48xlarge) carry H100-80GB: write 'model: H100-80GB'",
        1,
    ),
    # A key at the wrong level points to where it belongs (not difflib's "Did you mean 'cloud'?").
    (
        "nesting-count-group",
        fleet({"count": 8, "gpu": {"model": "H100-80GB"}}),
        f"groups[0].count: unknown key 'count' at this level. Did you mean 'gpu.count'? Valid keys here: {GROUP_KEYS}",
        1,
    ),
    (
        "nesting-instanceTypes-group",
        fleet({"instanceTypes": ["p5.48xlarge"], "gpu": {"model": "H100-80GB", "count": 8}}),
        "groups[0].instanceTypes: unknown key 'instanceTypes' at this level. Did you mean 'gpu.instanceTypes'? "
        f"Valid keys here: {GROUP_KEYS}",
        1,
    ),
    (
        "nesting-maxPricePercent-group",
        fleet({"maxPricePercent": 70}),
        "groups[0].maxPricePercent: unknown key 'maxPricePercent' at this level. "
        f"Did you mean 'market.maxPricePercent'? Valid keys here: {GROUP_KEYS}",
        1,
    ),
    # One spelling: snake_case gets the camelCase key it meant (issue 19 item 8).
    (
        "snake-case",
        fleet({"autoscaling": {"gpu_utilization_target": 70}}),
        "groups[0].autoscaling.gpu_utilization_target: unknown key 'gpu_utilization_target': keys are camelCase. "
        "Did you mean 'gpuUtilizationTarget'?",
        1,
    ),
    (
        "snake-case-required",
        fleet({"gpu": {"instance_types": ["p5.48xlarge"]}}),
        "groups[0].gpu.instance_types: unknown key 'instance_types': keys are camelCase. Did you mean 'instanceTypes'?",
        1,
    ),
    # Every problem at once: the RDMA problem is not hidden behind a typo in the same group ...
    (
        "combo",
        fleet(
            {
                "capcity": {"max": 4},
                "capacity": DROP,
                "gpu": {"instanceTypes": ["g6.xlarge"]},
                "rdma": True,
                "autoscaling": {"schedules": [{"cron": "0 8 * * *", "timezone": "Europe/Berln", "desired": 1}]},
            }
        ),
        "groups[0].autoscaling.schedules[0].timezone: 'Europe/Berln' is not an IANA time zone "
        "(e.g. 'Europe/Berlin', 'America/New_York', 'UTC'). Did you mean 'Europe/Berlin'?",
        3,
    ),
    # ... nor behind a shape error in another group.
    (
        "two-groups",
        fleet(
            {"capcity": {"max": 4}, "capacity": DROP},
            {"name": "b", "gpu": {"instanceTypes": ["g6.xlarge"]}, "rdma": True},
        ),
        f"groups[0].capcity: unknown key 'capcity'. Did you mean 'capacity'? Valid keys here: {GROUP_KEYS}",
        2,
    ),
]


def _report(raw: dict[str, Any], catalog: Catalog) -> list[str]:
    with pytest.raises(ConfigError) as e:
        validate_fleet(raw, catalog)
    return [str(p) for p in e.value.problems]


@pytest.mark.parametrize(("raw", "first", "count"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_first_line_of_the_report(catalog: Catalog, raw: dict[str, Any], first: str, count: int) -> None:
    lines = _report(raw, catalog)
    assert lines[0] == first
    assert len(lines) == count, lines


def test_no_cascade_line_for_any_case(catalog: Catalog) -> None:
    for _, raw, _, _ in CASES:
        assert not any("at least 1 item" in line for line in _report(raw, catalog))


def test_the_hidden_problems_are_reported(catalog: Catalog) -> None:
    combo = _report(CASES[-2][1], catalog)
    assert f"groups[0].gpu.instanceTypes[0]: {NO_EFA_G6}" in combo
    two = _report(CASES[-1][1], catalog)
    assert two[1] == f"groups[1].gpu.instanceTypes[0]: {NO_EFA_G6}"


def test_a_left_out_key_is_not_reported_twice(catalog: Catalog) -> None:
    # The stand-in capacity ({max: 1}) must not produce problems of its own.
    lines = _report(fleet({"capcity": {"max": 400}, "capacity": DROP}), catalog)
    assert len(lines) == 1 and lines[0].startswith("groups[0].capcity:")


def test_snake_case_is_refused_everywhere(catalog: Catalog) -> None:
    raw = fleet({"market": {"type": "spot", "max_price_percent": 70}, "bootstrap": {"health_check": False}})
    lines = _report(raw, catalog)
    assert lines == [
        "groups[0].bootstrap.health_check: unknown key 'health_check': keys are camelCase. Did you mean 'healthCheck'?",
        "groups[0].market.max_price_percent: unknown key 'max_price_percent': keys are camelCase. "
        "Did you mean 'maxPricePercent'?",
    ]
