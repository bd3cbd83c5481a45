"""Alibaba Cloud limits checked at spec time."""

from __future__ import annotations

import re

from gpufleet.rules import CloudRules, generic_tag_problem


def _zone_ok(region: str, zone: str) -> bool:
    # Zone ids are the region plus a letter: "cn-hangzhou-h" in mainland regions,
    # "us-east-1a" where the region ends in a digit [DOC: Alibaba Cloud "Regions and zones"].
    return re.fullmatch(re.escape(region) + r"-?[a-z]", zone) is not None


def _tag_problem(key: str, value: str) -> str | None:
    # Keys may not start with "aliyun" or "acs:" and values are at most 128 characters
    # [DOC: Alibaba Cloud Resource Management "Tag" limits; from memory, UNVERIFIED here].
    if key.lower().startswith(("aliyun", "acs:")):
        return f"Alibaba Cloud tag keys may not start with 'aliyun' or 'acs:' (got '{key}')"
    if len(value) > 128:
        return f"tag '{key}' has a value longer than 128 characters (Alibaba Cloud limit)"
    return generic_tag_problem(key, value)


RULES = CloudRules(
    cloud="alicloud",
    # ESS scaling group names are 2-64 characters [DOC: Alibaba Cloud ESS CreateScalingGroup,
    # ScalingGroupName; from memory, UNVERIFIED here]; leave room for a suffix.
    max_name_length=56,
    name_limit_source="ESS scaling group names are at most 64 characters, including an 8-character suffix",
    zone_example="cn-hangzhou-h",
    zone_ok=_zone_ok,
    tag_problems=_tag_problem,
    check=None,  # eRDMA support is checked from the catalog, like every cloud's RDMA
)
