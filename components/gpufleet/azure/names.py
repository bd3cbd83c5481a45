"""Deterministic physical names of one Azure group's resources.

Scale set names are fixed strings derived from the group (``<fleet>-<group>`` plus a role
suffix for the halves of a mixed InfiniBand group), like the AWS ASG and the Alibaba
scaling group names, so nothing that a node needs waits on a provider output.
"""

from __future__ import annotations

from gpufleet.azure.layout import ScaleSetPlan
from gpufleet.context import GroupContext

# Linux computer name prefixes: azurerm allows 1-58 characters (64 minus a 6-character
# instance suffix) [infra-facts 5d, hashicorp/terraform-provider-azurerm validator]; the
# SDK docstring's "1 to 15" is the Windows limit.
COMPUTER_NAME_PREFIX_MAX = 58


def scale_set_name(ctx: GroupContext, plan: ScaleSetPlan) -> str:
    """``<fleet>-<group>``, plus ``-regular`` or ``-spot`` for the halves of a mixed InfiniBand group."""
    return f"{ctx.name}{plan.suffix()}"


def computer_name_prefix(scale_set_name: str) -> str:
    """The VMs' host name prefix: the scale set name, cut to the limit, ending in ``-``."""
    return f"{scale_set_name[: COMPUTER_NAME_PREFIX_MAX - 1].rstrip('-.')}-"
