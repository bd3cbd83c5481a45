"""The scale set's ``securityProfile``: encryption at host and the security type (pure).

Security type, per VM size and image [DOC: MicrosoftDocs/azure-compute-docs
articles/virtual-machines/trusted-launch.md (ms.date 2025-04-21), read 2026-11-29]:

- Trusted Launch is the default for new Gen2 VMs and scale sets; when ``securityProfile``
  names no type, Azure picks Trusted Launch with Secure Boot *on* if the image and the size
  support it ("Trusted Launch as default"), which the NVIDIA driver cannot live with here:
  "Installation of the GRID driver requires Secure Boot to be disabled for Linux VMs", and
  the CUDA driver on Ubuntu needs signing steps the bootstrap does not take (the bootstrap
  installs DKMS-built modules; the HPC image's modules are assumed unsigned, UNVERIFIED).
  So gpufleet names the type: **TrustedLaunch with Secure Boot off and vTPM on** wherever
  the size supports it (NC, ND, NV families).
- Sizes Trusted Launch does not support: NDasrA100_v4 and NDm_A100_v4 ("currently not
  supported"), and the Gen1-only NC, NV, NP series. For them the type stays unset, which is
  Standard: Trusted Launch as default "won't default ... if the VM size" does not support it,
  and the API version azure-native sends (compute 2024-11-01) knows no ``Standard`` value
  (azure-mgmt-compute v2024_11_01 ``SecurityTypes``: TrustedLaunch, ConfidentialVM; the SDK
  says a Standard value exists from API version 2025-11-01), so sending it would be outside
  that model (contract rule ``azure.model``).
- A managed image (``.../Microsoft.Compute/images/...``) does not support Trusted Launch
  ("Unsupported features: Managed Image"); a gallery image may or may not be validated for it,
  which gpufleet cannot see at plan time. Both stay unset (Standard, or Azure's default for a
  gallery image that declares Trusted Launch; UNVERIFIED for gallery images).
"""

from __future__ import annotations

import re
from typing import Literal

from pulumi_azure_native import compute

from gpufleet.azure.image import AzureImage

SecurityType = Literal["Standard", "TrustedLaunch"]

TRUSTED_LAUNCH_UNSUPPORTED = (
    # NDasrA100_v4 (Standard_ND96asr_v4) and NDm_A100_v4 (Standard_ND96amsr_A100_v4):
    # "Currently not supported size families" [DOC: trusted-launch.md, GPU row].
    re.compile(r"^Standard_ND\d+asr_v4$", re.I),
    re.compile(r"^Standard_ND\d+amsr_A100_v4$", re.I),
    # NC-, NV-, NP-series (Gen1 only): "Not supported size families" [same row].
    re.compile(r"^Standard_N[CVP]\d+r?(_Promo)?$", re.I),
)
"""VM sizes Trusted Launch does not support."""

MANAGED_IMAGE_RE = re.compile(r"/providers/Microsoft\.Compute/images/", re.I)


def supports_trusted_launch(size: str) -> bool:
    """The size is in a family the Trusted Launch doc lists as supported."""
    return not any(p.match(size) for p in TRUSTED_LAUNCH_UNSUPPORTED)


def security_type(size: str, image: AzureImage) -> SecurityType:
    """``TrustedLaunch`` (with Secure Boot off) where the size and a marketplace image allow it,
    else ``Standard``; see the module docstring for the sources."""
    if image.resource_id is not None:
        return "Standard"
    return "TrustedLaunch" if supports_trusted_launch(size) else "Standard"


def security_profile(size: str, image: AzureImage, encryption_at_host: bool) -> compute.SecurityProfileArgs:
    """Always sent, with ``encryptionAtHost`` explicit either way. ``Standard`` is expressed by
    leaving ``securityType`` unset (the API version sent has no Standard value)."""
    if security_type(size, image) == "TrustedLaunch":
        return compute.SecurityProfileArgs(
            encryption_at_host=encryption_at_host,
            security_type=compute.SecurityTypes.TRUSTED_LAUNCH,
            # Secure Boot off: the node loads an NVIDIA driver that is not signed for it; vTPM on
            # (measured boot and attestation cost nothing) [DOC: trusted-launch.md, GPU notes].
            uefi_settings=compute.UefiSettingsArgs(secure_boot_enabled=False, v_tpm_enabled=True),
        )
    return compute.SecurityProfileArgs(encryption_at_host=encryption_at_host)
