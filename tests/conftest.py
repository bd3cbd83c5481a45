"""Shared fixtures: the bundled catalog and small spec builders."""

from __future__ import annotations

import pytest

from gpufleet.catalog import Catalog, load_catalog


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """A banner when the cloud-init schema tests were skipped, so nobody reads the run as complete."""
    from helpers import CLOUD_INIT_HINT, CLOUD_INIT_SKIPS

    if CLOUD_INIT_SKIPS:
        terminalreporter.write_sep("!", f"{len(CLOUD_INIT_SKIPS)} cloud-init schema test(s) SKIPPED", red=True)
        terminalreporter.write_line(CLOUD_INIT_HINT, red=True)
