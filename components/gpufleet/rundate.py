"""The date a run of the program is for: the plan's ``--as-of`` under the mock engine, today (UTC) at ``pulumi up``.

Builders never read the clock; the components ask :func:`today` and pass the date in. The plan
engine pins it (:func:`pinned`) so that a plan with a given ``--as-of`` is byte-identical on
every run and machine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

_pinned: dt.date | None = None


def today() -> dt.date:
    """The pinned run date, else today's date in UTC (Alibaba ESS task times are UTC)."""
    return _pinned if _pinned is not None else dt.datetime.now(dt.UTC).date()


@contextmanager
def pinned(day: dt.date | None) -> Iterator[None]:
    """Make :func:`today` return ``day`` inside the block (None: the clock); restored after it."""
    global _pinned
    before, _pinned = _pinned, day
    try:
        yield
    finally:
        _pinned = before
