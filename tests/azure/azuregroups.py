"""Azure group builders shared by the Azure tests."""

from __future__ import annotations

from typing import Any

from helpers import DROP, fleet

# A real ed25519 public key whose private half was discarded (same as the stack templates).
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAULps34f0r5pjD9iO4Wsw6kuCgJAW2hI4Ampxs/n482 gpufleet-placeholder-replace-me"

IB_TYPE = "Standard_ND96isr_H100_v5"
A10_TYPE = "Standard_NV36ads_A10_v5"

AZURE_GROUP: dict[str, Any] = {
    "name": "nodes",
    "cloud": "azure",
    "region": "eastus",
    "zones": DROP,
    "gpu": {"model": "A10-24GB", "count": 1, "instanceTypes": [A10_TYPE]},
    "capacity": {"min": 0, "desired": 1, "max": 4},
    "network": {"create": True, "cidr": "10.60.0.0/16"},
    "access": {"sshPublicKeys": [KEY]},
}

IB_GROUP: dict[str, Any] = {
    **AZURE_GROUP,
    "name": "train",
    "gpu": {"model": "H100-80GB", "count": 8, "instanceTypes": [IB_TYPE]},
    "capacity": {"min": 0, "desired": 2, "max": 4},
    "rdma": True,
}


def azure_fleet(*groups: dict[str, Any]) -> dict[str, Any]:
    """A valid fleet of Azure groups; each group is merged over AZURE_GROUP."""
    return fleet(*({**AZURE_GROUP, **g} for g in groups or ({},)))
