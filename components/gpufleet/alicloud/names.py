"""Deterministic physical names of one Alibaba group's resources.

Names a node must know before its scaling group exists (the group's name, the RAM role
it assumes) are fixed strings derived from the group, never provider outputs: user data
that waited on the scaling group id would make a cycle (group -> configuration -> user
data -> group).
"""

from __future__ import annotations

import hashlib


def short_name(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else a prefix plus an 8-character hash.

    The hash keeps shortened names unique and stable from run to run.
    """
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"{text[: limit - 9].rstrip('-')}-{digest}"


def scaling_group_name(prefix: str) -> str:
    """The ESS scaling group's name: the group's ``<fleet>-<group>`` prefix.

    Scaling group names are 2-64 characters [SDK: ess.ScalingGroup scaling_group_name
    docstring]; alicloud/rules.py keeps the prefix within 56.
    """
    return short_name(prefix, 64)


def ram_role_name(prefix: str) -> str:
    """The node's RAM role: ``<fleet>-<group>-node`` (RAM role names are at most 64
    characters [DOC: Alibaba Cloud RAM CreateRole, RoleName; UNVERIFIED here])."""
    return short_name(f"{prefix}-node", 64)


def scheduled_task_name(prefix: str, schedule: str) -> str:
    """Scheduled task names are 2-40 characters and unique in the region [SDK:
    ess.ScheduledTask scheduled_task_name docstring; DOC: ESS CreateScheduledTask error
    InvalidScheduledTaskName.Duplicate]."""
    return short_name(f"{prefix}-{schedule}", 40)


def rule_name(prefix: str, role: str) -> str:
    """Scaling rule names are 2-64 characters [SDK: ess.ScalingRule scaling_rule_name]."""
    return short_name(f"{prefix}-{role}", 64)
