"""Local cron + IANA zone -> UTC cron for ESS, and the pinned task window (pure)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpufleet.alicloud.schedule import (
    LAUNCH_WITHIN_DAYS,
    WINDOW_DAYS,
    ScheduleError,
    derived_window_note,
    ending_window_warning,
    ess_schedule,
    first_run,
    fixed_offset_minutes,
    longest_gap_days,
    task_window,
    to_utc,
    window_warnings,
)
from gpufleet.cron import parse_cron

START = dt.date(2026, 12, 1)  # a Tuesday


@pytest.mark.parametrize(
    ("cron", "zone", "utc", "shift"),
    [
        # Shanghai is UTC+8 all year: 09:00 local is 01:00 UTC, same weekdays.
        ("0 9 * * 1-5", "Asia/Shanghai", "0 1 * * 1-5", 0),
        ("0 21 * * 1-5", "Asia/Shanghai", "0 13 * * 1-5", 0),
        # 06:00 local is 22:00 UTC the day before: Monday-Friday becomes Sunday-Thursday.
        ("0 6 * * 1-5", "Asia/Shanghai", "0 22 * * 0-4", -1),
        # Sunday (0 or 7) wraps to Saturday.
        ("15 7 * * 0", "Asia/Shanghai", "15 23 * * 6", -1),
        ("15 7 * * 7", "Asia/Shanghai", "15 23 * * 6", -1),
        # Every day: a time crossing midnight needs no day fields, so mixed crossings are fine.
        ("0 6,9 * * *", "Asia/Shanghai", "0 1,22 * * *", 0),
        # A west-of-UTC zone without DST moves times to the next UTC day.
        ("0 20 * * 1-5", "America/Phoenix", "0 3 * * 2-6", 1),
        # Half-hour offset: one minute value stays expressible.
        ("30 9 * * *", "Asia/Kolkata", "0 4 * * *", 0),
        ("45 10 * * 1", "Asia/Kathmandu", "0 5 * * 1", 0),
        # Day-of-month survives when no midnight is crossed.
        ("0 9 1 * *", "Asia/Tokyo", "0 0 1 * *", 0),
        # UTC and fixed Etc zones (Etc/GMT-8 is UTC+8: the Etc sign is inverted).
        ("0 9 * * 1-5", "UTC", "0 9 * * 1-5", 0),
        ("0 8 * * 0", "Etc/GMT-8", "0 0 * * 0", 0),
        # Names and steps come out numeric.
        ("0 */6 * JAN-MAR MON", "UTC", "0 0,6,12,18 * 1-3 1", 0),
    ],
)
def test_converts_local_cron_to_utc(cron: str, zone: str, utc: str, shift: int) -> None:
    result = to_utc(cron, zone, START)
    assert result.cron == utc
    assert result.day_shift == shift
    parse_cron(result.cron)  # still valid five-field cron


@pytest.mark.parametrize(
    ("cron", "zone", "reason"),
    [
        # DST: Berlin is UTC+1 in winter and UTC+2 in summer.
        ("0 20 * * 1-5", "Europe/Berlin", "daylight saving time"),
        ("0 8 * * 1-5", "America/New_York", "daylight saving time"),
        ("0 8 * * 1-5", "Australia/Sydney", "daylight saving time"),
        # +05:30 puts minute 0 and minute 45 of 09:xx into different UTC hours.
        ("0,45 9 * * 1", "Asia/Kolkata", "different UTC hour"),
        # 06:00 crosses midnight, 09:00 does not: the weekdays would need two shifts.
        ("0 6,9 * * 1-5", "Asia/Shanghai", "different UTC days"),
        # Day-of-month cannot move to the previous day.
        ("0 6 1 * *", "Asia/Shanghai", "day-of-month cannot move"),
        # A month restriction cannot either.
        ("15 2 * 1 *", "Asia/Shanghai", "month restriction"),
    ],
)
def test_refuses_what_one_utc_cron_cannot_express(cron: str, zone: str, reason: str) -> None:
    with pytest.raises(ScheduleError, match=reason):
        to_utc(cron, zone, START)


def test_berlin_message_names_both_offsets_and_a_way_out() -> None:
    with pytest.raises(ScheduleError) as e:
        to_utc("0 20 * * 1-5", "Europe/Berlin", START)
    msg = str(e.value)
    assert "UTC+01:00" in msg and "UTC+02:00" in msg
    assert "Etc/GMT-1" in msg and "'UTC'" in msg


def test_split_suggestion_is_two_valid_local_schedules() -> None:
    with pytest.raises(ScheduleError) as e:
        to_utc("0 6,9 * * 1-5", "Asia/Shanghai", START)
    assert "'0 6 * * 1-5', '0 9 * * 1-5'" in str(e.value)
    # ...and each suggested piece converts on its own.
    assert to_utc("0 6 * * 1-5", "Asia/Shanghai", START).cron == "0 22 * * 0-4"
    assert to_utc("0 9 * * 1-5", "Asia/Shanghai", START).cron == "0 1 * * 1-5"


def test_dst_is_judged_over_the_task_window_only() -> None:
    # A zone that dropped DST is fine for a window after the change: Asia/Shanghai had DST
    # until 1991, and Europe/Istanbul has been UTC+3 since late 2016.
    assert fixed_offset_minutes("Europe/Istanbul", dt.date(2018, 1, 1)) == 180
    with pytest.raises(ScheduleError):
        fixed_offset_minutes("Europe/Istanbul", dt.date(2015, 1, 1))


@pytest.mark.parametrize(
    ("cron", "zone", "ess"),
    [
        # The official daily example: 20:00 in China is '0 12 * * ?' (help.aliyun.com .../overview-8).
        ("0 20 * * *", "Asia/Shanghai", "0 12 * * ?"),
        ("0 6,9 * * *", "Asia/Shanghai", "0 1,22 * * ?"),
        ("30 9 * * *", "Asia/Kolkata", "0 4 * * ?"),
        ("0 9 1,15 * *", "Asia/Tokyo", "0 0 1,15 * ?"),
        ("0 9-17 * 1-3 *", "UTC", "0 9-17 * 1-3 ?"),
    ],
)
def test_ess_dialect_puts_a_question_mark_in_day_of_week(cron: str, zone: str, ess: str) -> None:
    got = ess_schedule(cron, zone, START)
    assert got.cron == ess
    fields = got.cron.split()
    assert len(fields) == 5 and fields[0].isdigit() and fields[4] == "?" and fields[2] != "?"


@pytest.mark.parametrize(
    ("cron", "reason"),
    [
        ("0 9 * * 0", "day of the week"),  # a Sunday schedule
        ("0 9 * * 7", "day of the week"),
        ("0 9 * * 1-5", "day of the week"),
        ("0 9 * * MON", "day of the week"),
        ("0,30 9 * * *", "at most once an hour"),
        ("*/15 * * * *", "at most once an hour"),
    ],
)
def test_ess_dialect_refuses_day_of_week_and_several_runs_an_hour(cron: str, reason: str) -> None:
    with pytest.raises(ScheduleError, match=reason):
        ess_schedule(cron, "UTC", START)


def test_ess_window_reads_the_question_mark() -> None:
    assert task_window("0 12 * * ?", START).launch_time == "2026-12-01T12:00Z"
    assert first_run("0 0 15 * ?", START) == dt.datetime(2026, 12, 15, 0, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("cron", "start", "expected"),
    [
        # Weekdays at 01:00 UTC; 2026-12-01 is a Tuesday.
        ("0 1 * * 1-5", START, dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)),
        # Sundays only: the first Sunday after the start.
        ("0 0 * * 0", START, dt.datetime(2026, 12, 6, 0, 0, tzinfo=dt.UTC)),
        # Day-of-month and day-of-week both restricted: either matches (Vixie cron).
        ("30 4 15 * 5", START, dt.datetime(2026, 12, 4, 4, 30, tzinfo=dt.UTC)),
        # Month restricted: the first day of that month.
        ("0 2 * 2 *", START, dt.datetime(2027, 2, 1, 2, 0, tzinfo=dt.UTC)),
    ],
)
def test_first_run(cron: str, start: dt.date, expected: dt.datetime) -> None:
    assert first_run(cron, start) == expected


def test_window_is_deterministic_and_within_ess_limits() -> None:
    window = task_window("0 1 * * 1-5", START)
    assert window == task_window("0 1 * * 1-5", START)  # no clock involved
    assert window.launch_time == "2026-12-01T01:00Z"
    end = dt.datetime.strptime(window.end_time, "%Y-%m-%dT%H:%MZ").date()
    assert end - START == dt.timedelta(days=WINDOW_DAYS)
    # Deployed as early as allowed (90 days before the start), the end is still within
    # 365 days of creation.
    assert WINDOW_DAYS + LAUNCH_WITHIN_DAYS <= 365


def test_window_refuses_a_first_run_beyond_90_days() -> None:
    # 29 February: 2027 has none, so nothing runs within 90 days of 2026-12-01.
    with pytest.raises(ScheduleError, match="within 90 days"):
        task_window("0 0 29 2 *", START)


# -- property: a converted schedule fires at exactly the same instants ---------------------------

FIXED_ZONES = [
    "UTC",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "America/Phoenix",
    "Pacific/Honolulu",
    "Etc/GMT+5",
]


def _fires(cron: str, zone: str, first: dt.date, days: int) -> set[dt.datetime]:
    """Every instant (UTC) ``cron`` fires in ``zone`` on the local days [first, first + days)."""
    c = parse_cron(cron)
    tz = zoneinfo.ZoneInfo(zone)
    out = set()
    for i in range(days):
        day = first + dt.timedelta(days=i)
        dom_ok, dow_ok = day.day in c.days_of_month, (day.weekday() + 1) % 7 in c.days_of_week
        day_ok = (dom_ok and dow_ok) if (c.dom_any or c.dow_any) else (dom_ok or dow_ok)
        if day.month in c.months and day_ok:
            for h in c.hours:
                for m in c.minutes:
                    out.add(dt.datetime(day.year, day.month, day.day, h, m, tzinfo=tz).astimezone(dt.UTC))
    return out


@settings(max_examples=300, deadline=None)
@given(
    minutes=st.sets(st.sampled_from([0, 15, 30, 45, 50]), min_size=1, max_size=2),
    hours=st.sets(st.integers(0, 23), min_size=1, max_size=3),
    dow=st.one_of(
        st.just("*"), st.sets(st.integers(0, 6), min_size=1, max_size=4).map(lambda s: ",".join(map(str, sorted(s))))
    ),
    dom=st.sampled_from(["*", "*", "*", "1,15", "10-12"]),
    zone=st.sampled_from(FIXED_ZONES),
)
def test_converted_cron_fires_at_the_same_instants(
    minutes: set[int], hours: set[int], dow: str, dom: str, zone: str
) -> None:
    local = f"{','.join(map(str, sorted(minutes)))} {','.join(map(str, sorted(hours)))} {dom} * {dow}"
    try:
        utc = to_utc(local, zone, START)
    except ScheduleError:
        return  # refusing is always allowed; firing at a wrong time never is
    # Compare over a month, away from the edges of the sampled days.
    lo = dt.datetime(2027, 1, 3, tzinfo=dt.UTC)
    hi = lo + dt.timedelta(days=28)
    expected = {t for t in _fires(local, zone, dt.date(2027, 1, 1), 33) if lo <= t < hi}
    got = {t for t in _fires(utc.cron, "UTC", dt.date(2027, 1, 1), 33) if lo <= t < hi}
    assert got == expected, (local, zone, utc.cron)


# -- the pinned window seen from the plan date (issue 16 item 3) ---------------------------------


def test_a_window_starting_on_or_after_the_plan_date_is_fine() -> None:
    assert window_warnings(START, dt.date(2026, 11, 24)) == []
    assert window_warnings(START, START) == []


def test_a_start_in_the_past_is_warned() -> None:
    (msg,) = window_warnings(dt.date(2026, 11, 1), dt.date(2026, 11, 24))
    assert "23 days before 2026-11-24" in msg and "in the past" in msg


def test_a_window_that_has_ended_is_warned() -> None:
    # A start from 2025 validates (the 90/365-day limits are relative to creation), but its
    # 275-day window has ended by the plan date.
    (msg,) = window_warnings(dt.date(2025, 1, 10), dt.date(2026, 11, 24))
    assert "ended on 2025-10-12" in msg


def test_a_window_ending_within_30_days_is_warned() -> None:
    start = dt.date(2026, 11, 24) - dt.timedelta(days=WINDOW_DAYS - 20)
    msgs = window_warnings(start, dt.date(2026, 11, 24))
    assert any("ends on 2026-12-14, 20 days after 2026-11-24" in m for m in msgs)


def test_a_derived_window_says_where_it_ends_and_how_to_renew() -> None:
    note = derived_window_note(dt.date(2026, 11, 24))
    # 2026-11-24 + 275 days, by hand: 249 days to 2027-07-31 (6 + 31 + 31 + 28 + 31 + 30 + 31 + 30 + 31), + 26.
    assert "2026-11-24" in note and "2027-08-26" in note
    assert "pulumi up --replace" in note and "scheduleStart" in note


@pytest.mark.parametrize(
    ("end", "today", "expected"),
    [
        ("2027-01-05T00:00Z", dt.date(2026, 12, 20), "ends on 2027-01-05, 16 days after 2026-12-20"),
        ("2027-01-19T00:00Z", dt.date(2026, 12, 20), "ends on 2027-01-19, 30 days after"),
        ("2027-01-20T00:00Z", dt.date(2026, 12, 20), None),
        ("2026-12-01T00:00Z", dt.date(2026, 12, 20), "ended on 2026-12-01"),
        ("not a time", dt.date(2026, 12, 20), None),
    ],
)
def test_a_deployed_window_near_its_end_is_warned(end: str, today: dt.date, expected: str | None) -> None:
    msg = ending_window_warning("t", end, today)
    assert (msg is None) is (expected is None)
    if expected is not None:
        assert msg is not None and expected in msg


def test_longest_gap_counts_days_without_a_run() -> None:
    assert longest_gap_days("0 1 * * ?") == 0
    assert longest_gap_days("0 6 1,15 * ?") == 16  # the 16th to the 31st
