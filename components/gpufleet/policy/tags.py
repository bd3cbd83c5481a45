"""required-tags: the configured tag keys on every GPU resource and on the instances it launches."""

from __future__ import annotations

from collections.abc import Mapping

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from gpufleet.policy import props as p
from gpufleet.policy.base import schema, settings, stack_groups
from gpufleet.policy.groups import ALI_INSTANCE, ALI_LT, ASG, AWS_LT, ESS_CONFIG, ESS_GROUP, VMSS, Group

TAGS_SCHEMA = schema(
    {
        "requiredTags": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "uniqueItems": True,
            "default": ["gpufleet-fleet", "gpufleet-group"],
            "description": "Tag keys every GPU resource and every instance it launches must carry.",
        },
        "allowEmptyValues": {
            "type": "boolean",
            "default": False,
            "description": "Accept a required tag whose value is empty.",
        },
    }
)

OWN_TAGS: dict[str, str] = {
    ASG: "tags",
    AWS_LT: "tags",
    VMSS: "tags",
    ESS_GROUP: "tags",
    ESS_CONFIG: "tags",
    ALI_LT: "templateTags",
    ALI_INSTANCE: "tags",
}
"""Taggable GPU resource type -> the property holding the resource's own tags."""


def instance_tags(group: Group) -> list[tuple[PolicyResource, dict[str, str], str]]:
    """(source, tags, how they reach instances) for each way the group launches instances."""
    r = group.resource
    if group.cloud == "aws":
        asg_tags = {
            key: p.text(t, "value") or ""
            for t in p.items(r.props, "tags")
            if (key := p.text(t, "key")) and p.flag(t, "propagateAtLaunch")
        }
        lt_tags: dict[str, str] = {}
        lt = next((x for x in group.parts if x.resource_type == AWS_LT), None)
        if lt is not None:
            for spec in p.items(lt.props, "tagSpecifications"):
                if p.text(spec, "resourceType") == "instance":
                    lt_tags.update(p.tags(p.get(spec, "tags")))
        how = "ASG tags with propagateAtLaunch=true or the launch template's instance tagSpecifications"
        return [(r, {**lt_tags, **asg_tags}, how)]
    if group.cloud == "azure":
        # Scale-set tags are what cost reports see for its instances; whether Flexible-mode
        # VMs inherit them is UNVERIFIED, so the VMSS tags are checked as the instance tags.
        return [(r, p.tags(p.get(r.props, "tags")), "the scale set's tags")]
    configs = [x for x in group.parts if x.resource_type == ESS_CONFIG]
    if configs:
        # ScalingConfiguration.tags "will be applied for ECS instances finally" (pulumi-alicloud docstring).
        return [(c, p.tags(p.get(c.props, "tags")), "the scaling configuration's tags") for c in configs]
    nodes = [x for x in group.parts if x.resource_type == ALI_INSTANCE]
    if nodes:  # a static cluster: the instances are declared, with their own tags
        return [(n, p.tags(p.get(n.props, "tags")), "the instance's own tags") for n in nodes]
    lts = [x for x in group.parts if x.resource_type == ALI_LT]
    # EcsLaunchTemplate.tags go to "instance, block storage, and elastic network" (docstring).
    return [(lt, p.tags(p.get(lt.props, "tags")), "the launch template's tags") for lt in lts]


def _missing(tags: Mapping[str, str], required: list[str], allow_empty: bool) -> list[str]:
    return [k for k in required if k not in tags or (not allow_empty and not tags[k].strip())]


def validate_tags(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    config = settings(args.get_config(), TAGS_SCHEMA)
    required = list(config["requiredTags"])
    allow_empty = bool(config["allowEmptyValues"])
    if not required:
        return
    fix = "add them to the fleet's or the group's tags (gpufleet:fleet tags / groups[].tags)"
    for r in args.resources:
        key = OWN_TAGS.get(r.resource_type)
        if key is None:
            continue
        missing = _missing(p.tags(p.get(r.props, key)), required, allow_empty)
        if missing:
            report_violation(
                f"{r.resource_type} '{r.name}' is missing required tag(s) {', '.join(missing)} in '{key}': {fix}.",
                r.urn,
            )
    for g in stack_groups(args.resources, None):  # tags do not depend on the spot price currency
        for source, tags, how in instance_tags(g):
            missing = _missing(tags, required, allow_empty)
            if missing:
                report_violation(
                    f"instances launched by {g.label} would miss required tag(s) {', '.join(missing)} "
                    f"(instance tags come from {how}): {fix}.",
                    source.urn,
                )


REQUIRED_TAGS = StackValidationPolicy(
    name="required-tags",
    description="GPU resources and the instances they launch must carry the required tags.",
    validate=validate_tags,
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=TAGS_SCHEMA,
    severity=Severity.LOW,
    remediation_steps="Add the missing keys to the fleet's tags in the stack config.",
)
