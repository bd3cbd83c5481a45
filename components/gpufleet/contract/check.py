"""``check_plan``: every captured resource through its cloud's contract module."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gpufleet.contract.base import Cloud, Finding, Resource, apply_rules

PREFIXES: dict[str, Cloud] = {"aws:": "aws", "azure-native:": "azure", "alicloud:": "alicloud"}
"""Resource type prefix -> cloud module ``gpufleet.contract.<cloud>``. ``pulumi:`` and gpufleet
component types cause no request."""

INSTALL_HINT = "install gpufleet[contract]"


@dataclass(frozen=True)
class CloudStatus:
    """How one cloud was checked: the model it used, or why it was skipped."""

    cloud: Cloud
    checked: bool
    detail: str
    """Model and version when checked; the reason when skipped."""
    resources: int

    def as_dict(self) -> dict[str, Any]:
        return {"cloud": self.cloud, "checked": self.checked, "detail": self.detail, "resources": self.resources}


@dataclass(frozen=True)
class ContractReport:
    findings: list[Finding] = field(default_factory=list)
    unmapped_types: list[str] = field(default_factory=list)
    """Cloud resource types no mapping covers (nothing about them was checked)."""
    clouds: list[CloudStatus] = field(default_factory=list)
    requests: int = 0

    @property
    def skipped(self) -> list[CloudStatus]:
        return [c for c in self.clouds if not c.checked]


def cloud_of(type_: str) -> Cloud | None:
    return next((c for p, c in PREFIXES.items() if type_.startswith(p)), None)


def _sort_key(f: Finding) -> tuple[str, ...]:
    return (f.resource_type, f.resource, f.field, f.rule, f.message)


def check_plan(resources: Sequence[Resource]) -> ContractReport:
    """Map each cloud's captured resources to requests, check them against the cloud's model
    and rules. A cloud whose module or model package is missing is reported as skipped."""
    findings: list[Finding] = []
    unmapped: set[str] = set()
    statuses: list[CloudStatus] = []
    total = 0
    for cloud in dict.fromkeys(PREFIXES.values()):
        mine = [r for r in resources if cloud_of(r.type) == cloud]
        if not mine:
            continue
        try:
            module = importlib.import_module(f"gpufleet.contract.{cloud}")
        except ModuleNotFoundError as e:
            statuses.append(
                CloudStatus(cloud, False, f"contract check skipped for {cloud}: {INSTALL_HINT} ({e})", len(mine))
            )
            continue
        reqs = module.requests(mine)
        total += len(reqs)
        findings += module.model_findings(reqs)
        findings += apply_rules(reqs)
        covered = {q.resource_type for q in reqs}
        unmapped |= {r.type for r in mine} - covered
        version_of = getattr(module, "model_version", None)
        version = str(version_of()) if callable(version_of) else f"gpufleet.contract.{cloud}"
        statuses.append(CloudStatus(cloud, True, version, len(mine)))
    unique = {(*_sort_key(f), f.source): f for f in findings}
    return ContractReport(sorted(unique.values(), key=_sort_key), sorted(unmapped), statuses, total)
