"""allowed-regions: every cloud resource sits in an allowed region, and its region is known."""

from __future__ import annotations

import functools
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from gpufleet.catalog import CLOUDS, load_catalog
from gpufleet.policy.base import schema, settings
from gpufleet.policy.regions import COUNTRY_CODES, Residency, cloud_of, placement, residency

RESIDENCY_GROUPS = sorted({"eu", *COUNTRY_CODES.values()})
"""Every residency group name the catalog's regions can form (``eu`` and the country codes),
known without loading the catalog; a group with no catalog region simply matches none."""


@functools.cache
def _residency() -> Residency:
    """The catalog's residency groups, loaded on first use rather than at import."""
    return residency(load_catalog())


REGIONS_SCHEMA = schema(
    {
        "allowedRegions": {
            "type": "object",
            "description": (
                "Allowlist per cloud: {aws: [us-east-1, ...], azure: [eastus, ...], alicloud: [cn-beijing, ...]}. "
                "A cloud with neither a list nor residency groups allows no region."
            ),
            "properties": {c: {"type": "array", "items": {"type": "string", "minLength": 1}} for c in CLOUDS},
            "additionalProperties": False,
            "default": {},
        },
        "residency": {
            "type": "array",
            "items": {"type": "string", "enum": RESIDENCY_GROUPS},
            "uniqueItems": True,
            "default": [],
            "description": (
                "Residency groups from the catalog's regions table: 'eu' (EU member states) or a lower-case "
                "ISO country code such as 'us', 'cn', 'jp'. A region must be in one of them."
            ),
        },
    }
)


def _allowed(cloud: str, region: str, config: dict[str, Any]) -> tuple[bool, str]:
    """Whether ``region`` passes every configured rule for ``cloud``, and the rules for messages."""
    lists: dict[str, list[str]] = config["allowedRegions"]
    groups: list[str] = config["residency"]
    rules = []
    ok = True
    if cloud in lists:
        allowed = [r.strip() if cloud != "azure" else r.replace(" ", "").lower() for r in lists[cloud]]
        ok = ok and region in allowed
        rules.append(f"allowedRegions.{cloud} = [{', '.join(lists[cloud])}]")
    if groups:
        found = _residency().of(cloud, region)
        ok = ok and bool(set(found) & set(groups))
        rules.append(f"residency = [{', '.join(groups)}] ({region} is in: {', '.join(found) or 'no group'})")
    if not rules:
        return False, f"no region is allowed on {cloud}: neither allowedRegions.{cloud} nor residency is set"
    return ok, "; ".join(rules)


def validate_regions(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    cloud = cloud_of(args.resource_type)
    if cloud is None:
        return  # components, providers and other packages have no region of their own
    config = settings(args.get_config(), REGIONS_SCHEMA)
    where = placement(cloud, args.props, args.provider)
    if where.region is None:
        report_violation(
            f"the region of {args.resource_type} '{args.name}' cannot be determined: {where.source}. A resource "
            "whose region policies cannot see is not allowed.",
            None,
        )
        return
    ok, rules = _allowed(cloud, where.region, config)
    if not ok:
        report_violation(
            f"{args.resource_type} '{args.name}' is in {cloud} region '{where.region}' (from {where.source}), which "
            f"is not allowed ({rules}). Move the group to an allowed region (groups[].region in the stack config) "
            "or allow the region in the allowed-regions config.",
            None,
        )


ALLOWED_REGIONS = ResourceValidationPolicy(
    name="allowed-regions",
    description="GPU fleet resources must be deployed in approved regions.",
    validate=validate_regions,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=REGIONS_SCHEMA,
    severity=Severity.HIGH,
    remediation_steps="Change groups[].region to an allowed region, or extend the allowlist.",
)
