"""How ``gpufleet plan`` runs Python's cyclic garbage collector.

A mock run allocates about a hundred ``Output``/future/task objects per resource on top of the
~390k objects the provider SDKs leave after import, so every full collection walks the whole
heap and the collector took half of the plan's time (docs/performance.md). A plan is
short-lived and its garbage is small next to its imports, so the CLI and the mock run pause the
collector; reference counting still frees everything that is not in a cycle.

Set ``GPUFLEET_PLAN_GC=on`` to keep the collector running (to measure what pausing it costs).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager

ENV = "GPUFLEET_PLAN_GC"


def wanted_off() -> bool:
    """False when ``GPUFLEET_PLAN_GC=on`` asks for Python's default collector."""
    return os.environ.get(ENV, "").strip().lower() != "on"


def pause_for_process() -> None:
    """For one-shot processes (the CLI): no cyclic collection until exit."""
    if wanted_off():
        gc.disable()


@contextmanager
def paused() -> Iterator[None]:
    """Pause the collector for the block and restore its previous state afterwards."""
    was_enabled = gc.isenabled()
    if wanted_off():
        gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
