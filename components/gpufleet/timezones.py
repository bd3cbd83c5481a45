"""IANA time zone checks, from the tz database that ships with the ``tzdata`` package."""

from __future__ import annotations

import functools
import zoneinfo


@functools.cache
def iana_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_iana_zone(name: str) -> bool:
    return name in iana_zones()
