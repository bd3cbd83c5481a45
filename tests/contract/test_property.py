"""validate -> resolve -> plan -> contract over generated valid specs (tests/specgen.py).

Nothing but a config error may escape, and a plan may carry only findings of known open
defects: the per-cloud fixes (issues 14-16) are separate work. The generator covers the three
clouds, so the AWS, Azure and Alibaba modules all check its plans. Each table entry must still
reproduce, so whoever fixes a defect has to remove its entry.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings

import specgen
from contract_cases import CLOUD_DEFECT_SPECS, NAMED_SPECS, assert_fires, plan_fleet
from gpufleet.contract import check_plan
from gpufleet.errors import ConfigError
from gpufleet.resolve import resolve_group
from gpufleet.validation import validate_fleet

KNOWN_OPEN_DEFECTS: dict[str, int] = {}
"""Contract rule id -> the open issue whose fix removes it. Remove an entry with its fix."""

REPRODUCERS: dict[str, str] = {}
"""Known defect -> the spec of contract_cases.NAMED_SPECS or CLOUD_DEFECT_SPECS that shows it on today's code."""

SPECS = {**NAMED_SPECS, **CLOUD_DEFECT_SPECS}


def test_every_known_defect_has_a_reproducer() -> None:
    assert set(REPRODUCERS) == set(KNOWN_OPEN_DEFECTS)


@pytest.mark.parametrize("rule_id", sorted(KNOWN_OPEN_DEFECTS))
def test_each_known_defect_still_reproduces(rule_id: str) -> None:
    # If this fails, the defect is fixed (or refused at validation): delete its KNOWN_OPEN_DEFECTS entry.
    spec = SPECS[REPRODUCERS[rule_id]]
    validate_fleet(spec, specgen.catalog())
    assert_fires(check_plan(plan_fleet(spec).resources).findings, rule_id)


def _plan_and_check(fleet: dict[str, Any]) -> list[str]:
    cat = specgen.catalog()
    try:
        validated = validate_fleet(fleet, cat)
    except ConfigError as e:
        assert e.problems and all(p.path for p in e.problems), e.report()
        return []
    for g in validated.spec.groups:
        resolve_group(g, cat)
    report = check_plan(plan_fleet(fleet, stack="gen").resources)
    assert report.unmapped_types == []
    return [
        f"{f.rule} {f.resource} {f.field}: {f.message}" for f in report.findings if f.rule not in KNOWN_OPEN_DEFECTS
    ]


@settings(specgen.PLAN_PROFILE)
@given(specgen.fleets())
def test_generated_specs_plan_contract_clean_or_are_refused_with_a_path(fleet: dict[str, Any]) -> None:
    assert _plan_and_check(fleet) == []


@settings(specgen.PLAN_PROFILE, max_examples=10)
@given(specgen.fleets(cloud="alicloud"))
def test_generated_alicloud_specs_plan_contract_clean(fleet: dict[str, Any]) -> None:
    # about half the groups are static clusters (deployment set + ecs.Instance)
    assert _plan_and_check(fleet) == []


@settings(specgen.PLAN_PROFILE, max_examples=15)
@given(specgen.fleets(cloud="aws"))
def test_generated_aws_specs_plan_contract_clean(fleet: dict[str, Any]) -> None:
    # AWS has the most mappings and open defects: give it examples of its own
    assert _plan_and_check(fleet) == []
