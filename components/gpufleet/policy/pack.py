"""The policies of the gpufleet pack, in one list. Building the PolicyPack is left to policies/__main__.py."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, Policy

from gpufleet.policy.allowed_regions import ALLOWED_REGIONS
from gpufleet.policy.budget import GPU_BUDGET_CAP, GPU_QUOTA
from gpufleet.policy.images import IMAGE_BUILDER_HARDENING
from gpufleet.policy.rdma import RDMA_CONSISTENCY
from gpufleet.policy.secrets import NO_SECRETS_IN_USER_DATA
from gpufleet.policy.security import ENCRYPTED_DISKS, IMDSV2_REQUIRED, NO_OPEN_INGRESS, NO_PUBLIC_IP
from gpufleet.policy.spot import SPOT_PRICE_CAP
from gpufleet.policy.tags import REQUIRED_TAGS

PACK_NAME = "gpufleet"
PACK_ENFORCEMENT = EnforcementLevel.ADVISORY
"""The pack-wide level; every policy sets its own, so this only covers future additions."""

POLICIES: tuple[Policy, ...] = (
    GPU_BUDGET_CAP,
    ALLOWED_REGIONS,
    SPOT_PRICE_CAP,
    REQUIRED_TAGS,
    IMDSV2_REQUIRED,
    ENCRYPTED_DISKS,
    NO_PUBLIC_IP,
    NO_OPEN_INGRESS,
    NO_SECRETS_IN_USER_DATA,
    RDMA_CONSISTENCY,
    GPU_QUOTA,
    IMAGE_BUILDER_HARDENING,
)

POLICY_NAMES: tuple[str, ...] = tuple(p.name for p in POLICIES)


def build_pack_policies() -> list[Policy]:
    """The policies to hand to ``PolicyPack`` (a new list; the policy objects are stateless)."""
    return list(POLICIES)
