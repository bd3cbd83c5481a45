"""The resource graph as the engine sees it: one :class:`CapturedResource` per registration.

Shared by the offline plan (``gpufleet.plan``, which records it) and the policies
(``gpufleet.policy``, which judge it), so neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CapturedResource:
    """One registration as the engine would see it (inputs before provider Check)."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    """Parent URN; empty for children of the stack."""
    provider: str
    """Explicit provider reference ``<urn>::<id>``, or empty for the default provider."""
    inputs: dict[str, Any]
    """camelCase wire inputs, plain values (protobuf numbers arrive as floats)."""
    dependencies: tuple[str, ...]
    ignore_changes: tuple[str, ...]
    protect: bool

    @property
    def provider_urn(self) -> str:
        return self.provider.rsplit("::", 1)[0] if self.provider else ""
