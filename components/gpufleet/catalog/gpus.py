"""GPU model names: normalisation and aliases.

Canonical names are the catalog's ``gpu_model`` values (``H100-80GB``). Users may
write ``h100``, ``NVIDIA A10G`` or ``a100 80gb``; a name that fits several models
(``A100``) is refused with the choices listed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from gpufleet.suggest import did_you_mean, one_of


class GpuNameError(ValueError):
    """An unknown or ambiguous GPU model name."""


@dataclass(frozen=True)
class GpuNames:
    """Resolves user-written GPU names against the models the catalog knows."""

    models: frozenset[str]

    @classmethod
    def of(cls, models: Iterable[str]) -> GpuNames:
        return cls(frozenset(m for m in models if m))

    def matches(self, name: str) -> list[str]:
        """Every canonical model ``name`` could mean: one for an exact name or alias, all the
        variants for a bare family (``H100`` -> H100-80GB, H100-NVL-94GB), none if unknown."""
        key = _norm(name)
        by_norm = {_norm(m): m for m in self.models}
        if key in by_norm:
            return [by_norm[key]]
        # A bare family ("H100", "A100-80") matches every model whose name starts with it.
        return sorted(m for n, m in by_norm.items() if key and n.startswith(key + "-"))

    def resolve(self, name: str) -> str:
        """Return the canonical model for ``name`` or raise GpuNameError."""
        key = _norm(name)
        if not key:
            raise GpuNameError(f"empty GPU model. Valid: {one_of(self.models)}")
        matches = self.matches(name)
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise GpuNameError(f"GPU model '{name}' is ambiguous: it could be {', '.join(matches)}. Name one of them.")
        hint = did_you_mean(name, self.models)
        raise GpuNameError(f"unknown GPU model '{name}'.{hint} Valid: {one_of(self.models, 30)}")


def _norm(name: str) -> str:
    s = name.strip().upper()
    s = re.sub(r"^(NVIDIA|TESLA)[\s_-]+", "", s)
    s = re.sub(r"[\s_]+", "-", s)
    s = re.sub(r"-(\d+)(G|GB|GIB)?$", r"-\1GB", s)  # "A100 80", "a100-80g" -> "A100-80GB"
    return s
