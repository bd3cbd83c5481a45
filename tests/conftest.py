"""Shared fixtures: the bundled catalog and small spec builders."""

from __future__ import annotations

import pytest

from gpufleet.catalog import Catalog, load_catalog


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()
