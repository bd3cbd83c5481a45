"""Fixtures for the Azure tests: a GroupContext from a fleet dict, as GpuFleet builds it."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gpufleet.catalog import Catalog
from gpufleet.context import GroupContext
from gpufleet.resolve import resolve_group
from gpufleet.validation import validate_fleet

# Lets the test modules here import `azuregroups` (the repo's tests/ dir is on the path, this one is not).
sys.path.insert(0, str(Path(__file__).parent))

from azuregroups import azure_fleet


@pytest.fixture
def group_ctx(catalog: Catalog) -> Callable[..., GroupContext]:
    """``group_ctx(**overrides)``: the validated context of one Azure group."""

    def make(**overrides: Any) -> GroupContext:
        spec = validate_fleet(azure_fleet(overrides), catalog).spec
        return GroupContext(fleet=spec, resolved=resolve_group(spec.groups[0], catalog), catalog=catalog)

    return make
