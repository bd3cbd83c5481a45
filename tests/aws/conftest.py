"""Fixtures for the AWS tests: a GroupContext from a fleet dict, as GpuFleet builds it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from gpufleet.catalog import Catalog
from gpufleet.context import GroupContext
from gpufleet.resolve import resolve_group
from gpufleet.validation import validate_fleet
from helpers import fleet

# Lets the test modules here import `awsgroups` (the repo's tests/ dir is on the path, this one is not).
sys.path.insert(0, str(Path(__file__).parent))

from awsgroups import MakeCtx


@pytest.fixture
def make_ctx(catalog: Catalog) -> MakeCtx:
    """``make_ctx({"rdma": True, ...})``: the first group of a validated fleet."""

    def make(group: dict[str, Any] | None = None, **top: Any) -> GroupContext:
        spec = validate_fleet(fleet(group or {}, **top), catalog).spec
        return GroupContext(fleet=spec, resolved=resolve_group(spec.groups[0], catalog), catalog=catalog)

    return make
