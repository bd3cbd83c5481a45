"""Table tests: cron -> Azure weekly recurrence, IANA -> Windows zone, and schedule capacities."""

from __future__ import annotations

import pytest

from gpufleet.azure.schedule import (
    ProfileCapacity,
    ScheduleError,
    cron_to_recurrence,
    group_capacity,
    schedule_capacity,
    windows_zone,
)
from gpufleet.spec import CapacitySpec, ScheduleSpec

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
ALL_DAYS = ("Sunday", *WEEKDAYS, "Saturday")


@pytest.mark.parametrize(
    ("cron", "days", "hours", "minutes"),
    [
        # weekday evenings, the README config example
        ("0 20 * * 1-5", WEEKDAYS, (20,), (0,)),
        # every day: day-of-week '*' lists all seven days
        ("30 6 * * *", ALL_DAYS, (6,), (30,)),
        # lists and names map one to one; Sunday as 0 and as 7 fold together
        ("0,30 8,18 * * SUN,sat,7", ("Sunday", "Saturday"), (8, 18), (0, 30)),
        # steps expand to explicit hour lists
        ("15 */6 * * MON", ("Monday",), (0, 6, 12, 18), (15,)),
        # ranges of days
        ("0 0 * * 5-6", ("Friday", "Saturday"), (0,), (0,)),
    ],
)
def test_cron_converts_to_a_weekly_recurrence(
    cron: str, days: tuple[str, ...], hours: tuple[int, ...], minutes: tuple[int, ...]
) -> None:
    r = cron_to_recurrence(cron)
    assert (r.days, r.hours, r.minutes, r.time_zone) == (days, hours, minutes, "UTC")


@pytest.mark.parametrize(
    ("cron", "fragment"),
    [
        # first of the month: Azure recurrences repeat weekly
        ("0 0 1 * *", "day-of-month must be '*'"),
        # a day-of-month range that happens to cover the month is still not '*'
        ("0 0 1-31 * 1", "day-of-month must be '*'"),
        # months cannot be picked
        ("0 9 * 1-6 *", "month must be '*'"),
        ("0 9 * JAN *", "month must be '*'"),
        # not cron at all: the parser's reason comes through
        ("0 9 * *", "cron needs 5"),
        ("@daily", "macros"),
    ],
)
def test_cron_azure_cannot_express_is_refused(cron: str, fragment: str) -> None:
    with pytest.raises(ScheduleError, match=fragment):
        cron_to_recurrence(cron)


@pytest.mark.parametrize(
    ("iana", "windows"),
    [
        ("UTC", "UTC"),
        ("Etc/UTC", "UTC"),
        ("Europe/Berlin", "W. Europe Standard Time"),
        ("America/New_York", "Eastern Standard Time"),
        ("Asia/Shanghai", "China Standard Time"),
        ("Asia/Kolkata", "India Standard Time"),
        # IANA backward-compatible aliases map too
        ("Asia/Calcutta", "India Standard Time"),
        ("US/Eastern", "Eastern Standard Time"),
        ("Europe/London", "GMT Standard Time"),
        ("Etc/GMT+9", "UTC-09"),
    ],
)
def test_iana_zone_maps_to_windows(iana: str, windows: str) -> None:
    assert windows_zone(iana) == windows
    assert cron_to_recurrence("0 8 * * 1-5", iana).time_zone == windows


@pytest.mark.parametrize(
    "iana",
    [
        # valid IANA names that CLDR windowsZones does not list
        "GMT",
        "EST5EDT",
        "Factory",
        # not a zone at all
        "Mars/Olympus",
    ],
)
def test_zone_without_windows_name_is_refused(iana: str) -> None:
    with pytest.raises(ScheduleError, match="no Windows equivalent"):
        windows_zone(iana)


GROUP = CapacitySpec(min=1, desired=3, max=8)


@pytest.mark.parametrize(
    ("schedule", "base", "expected"),
    [
        # only min: max and default fall back (default = the minimum, see group_capacity)
        ({"min": 2}, 0, ProfileCapacity(2, 2, 8)),
        # only desired: it is the default; min and max come from the group
        ({"desired": 5}, 0, ProfileCapacity(1, 5, 8)),
        # desired below the group's min: the fallback min gives way so min <= default holds
        ({"desired": 0}, 0, ProfileCapacity(0, 0, 8)),
        # min above the group's max: the fallback max widens
        ({"min": 10}, 0, ProfileCapacity(10, 10, 10)),
        # max below the group's min: the fallback min narrows
        ({"max": 0}, 0, ProfileCapacity(0, 0, 0)),
        # all three set: taken as given
        ({"min": 2, "desired": 4, "max": 6}, 0, ProfileCapacity(2, 4, 6)),
        # spot half of a mixed InfiniBand group: the on-demand base (2) is subtracted, floored at 0
        ({"min": 1, "desired": 4, "max": 6}, 2, ProfileCapacity(0, 2, 4)),
    ],
)
def test_schedule_capacity_falls_back_to_the_group(
    schedule: dict[str, int], base: int, expected: ProfileCapacity
) -> None:
    got = schedule_capacity(ScheduleSpec(cron="0 8 * * *", **schedule), GROUP, base)
    assert got == expected
    assert got.minimum <= got.default <= got.maximum


def test_default_profile_default_is_the_minimum_not_the_initial_size() -> None:
    # A group scaled in to zero nodes has no GPU metric, and Azure scales out to a default
    # above the current count when the metric is missing: default = min avoids that loop.
    assert group_capacity(CapacitySpec(min=0, desired=2, max=4)) == ProfileCapacity(0, 0, 4)
    assert group_capacity(CapacitySpec(min=3, desired=5, max=9), base=2) == ProfileCapacity(1, 1, 7)
