"""Fixtures for the Alibaba tests: a GroupContext from a fleet dict, as GpuFleet builds it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from gpufleet.catalog import Catalog
from gpufleet.context import GroupContext
from gpufleet.resolve import resolve_group
from gpufleet.validation import validate_fleet
from helpers import fleet, merge

# Lets the test modules here import `aligroups` (tests/ is on the path, this dir is not).
sys.path.insert(0, str(Path(__file__).parent))

from aligroups import ALI_BASE, MakeCtx


@pytest.fixture
def make_ctx(catalog: Catalog) -> MakeCtx:
    """``make_ctx({"rdma": True, ...})``: the first group of a validated Alibaba fleet."""

    def make(group: dict[str, Any] | None = None, **top: Any) -> GroupContext:
        spec = validate_fleet(fleet(merge(ALI_BASE, group or {}), **top), catalog).spec
        return GroupContext(fleet=spec, resolved=resolve_group(spec.groups[0], catalog), catalog=catalog)

    return make
