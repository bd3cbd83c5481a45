"""Local cron + IANA time zone -> the UTC cron Alibaba ESS runs, and the task's time window.

ESS scheduled tasks have no time-zone field: a ``Cron`` recurrence "is written in UTC"
and has five fields, minute hour day-of-month month day-of-week [DOC: ESS
CreateScheduledTask RecurrenceValue]. A local schedule becomes one UTC cron only when

- the zone's UTC offset is the same for the whole task window (no daylight saving time:
  a fixed UTC cron would fire an hour off for half the year);
- the shifted times still form a cron (hours x minutes), which a non-whole-hour offset
  such as +05:30 can break;
- a shift across midnight can move the days: day-of-week moves with it, but
  day-of-month and month cannot ("the 1st" would become "the last day of the previous
  month"), and all the times must cross to the same day.

Anything else is refused with the reason; gpufleet never installs a schedule that fires
at the wrong time. Everything here is pure: no Pulumi, no clock.

ESS's cron dialect is not Vixie cron [DOC: help.aliyun.com/zh/auto-scaling/user-guide/overview-8,
"Cron表达式" section, and its copy jaq-doc.alibaba.com/docs/doc.htm?articleId=112301, read
2026-11-29]: "单个Cron定时任务一小时限制执行一次" (a cron task runs at most once an hour),
"当日期或星期域其中之一被指定了值以后 ... 需要将另一个域的值设为?" (one of day-of-month and
day-of-week must be ``?``; the daily example is ``0 12 * * ?``). :func:`ess_schedule` renders
that dialect and refuses what it cannot express. Day-of-week numbering is NOT settled by a
primary source: the official field table is cut off in every copy we could read; an ESS
team article (developer.aliyun.com/article/682234) says "1-7，1表示星期一" while Quartz, whose
character set the API text lists (alibabacloud_ess20220222 CreateScheduledTaskRequest.
recurrence_value: "L and W and , ? - * # /"), uses 1 = Sunday. UNVERIFIED either way, so
day-of-week crons are refused on Alibaba rather than guessed.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from gpufleet.cron import Cron, parse_cron

MINUTES_PER_DAY = 24 * 60

LAUNCH_WITHIN_DAYS = 90
"""A task's LaunchTime must be at most 90 days after the task is created or modified [DOC:
ESS CreateScheduledTask LaunchTime, "You cannot enter a time point later than 90 days"]."""

END_WITHIN_DAYS = 365
"""RecurrenceEndTime must be at most 365 days after the task is created [DOC: ESS
CreateScheduledTask RecurrenceEndTime]."""

WINDOW_DAYS = END_WITHIN_DAYS - LAUNCH_WITHIN_DAYS
"""How long a window runs: 275 days from its start. Deploying up to 90 days before a pinned
``scheduleStart`` keeps the end within ESS's 365 days (90 + 275 = 365); a start derived from the
deploy date is the creation day, so it is within both limits. Renew a pinned window by moving
``scheduleStart``, a derived one with ``pulumi up --replace`` on the tasks (docs/alicloud.md)."""

DERIVED_CHECK_DAYS = 10 * 365
"""Without ``scheduleStart`` the window starts on the deploy date, unknown at spec time, so a
schedule's zone and first run are checked for every start in ten years from
``REFERENCE_START``: far enough for any deploy of this release (about 30 ms a schedule, measured on a
2-core machine)."""

REFERENCE_START = dt.date(2026, 1, 1)
"""First start date the spec-time checks of a derived window consider (any fixed date keeps
``validate`` reproducible)."""

TIME_FORMAT = "%Y-%m-%dT%H:%MZ"
"""ESS LaunchTime/RecurrenceEndTime format, UTC [DOC: ESS CreateScheduledTask,
"YYYY-MM-DDThh:mmZ"]."""


class ScheduleError(ValueError):
    """A local schedule that cannot be one UTC cron; the message says why and what to do."""


@dataclass(frozen=True)
class UtcSchedule:
    """A schedule converted to UTC."""

    cron: str
    """Five-field cron in UTC, numeric fields: Vixie cron from :func:`to_utc` (day-of-week 0 =
    Sunday), ESS's dialect from :func:`ess_schedule` (day-of-week always ``?``)."""
    offset_minutes: int
    """The zone's fixed offset from UTC (UTC+08:00 is 480)."""
    day_shift: int
    """-1: every run lands on the previous UTC day; +1: the next one; 0: the same day."""


@dataclass(frozen=True)
class TaskWindow:
    """When a recurring ESS task starts and stops repeating."""

    launch_time: str
    """First run, ``YYYY-MM-DDThh:mmZ``: the cron's first time on or after the start."""
    end_time: str
    """Last moment it repeats, ``YYYY-MM-DDThh:mmZ``: start + ``WINDOW_DAYS``."""


def format_offset(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"UTC{sign}{h:02d}:{m:02d}"


def fixed_offset_minutes(zone: str, start: dt.date, days: int = WINDOW_DAYS) -> int:
    """The zone's UTC offset in minutes, if it is the same on every day of
    ``[start, start + days]``; else ScheduleError (daylight saving time or a rule change).

    The offset is sampled at 00:00 and 12:00 UTC each day: an offset regime shorter than
    half a day would slip through, and none exists in the tz database.
    """
    tz = zoneinfo.ZoneInfo(zone)
    base = dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC)
    offsets: dict[int, dt.datetime] = {}
    for half_days in range(2 * days + 1):
        at = base + dt.timedelta(hours=12 * half_days)
        delta = at.astimezone(tz).utcoffset()
        assert delta is not None  # a ZoneInfo always knows its offset
        offsets.setdefault(int(delta.total_seconds()) // 60, at)
    if len(offsets) == 1:
        return next(iter(offsets))
    seen = ", ".join(f"{format_offset(o)} (from {when:%Y-%m-%d})" for o, when in sorted(offsets.items(), key=_when))
    end = start + dt.timedelta(days=days)
    raise ScheduleError(
        f"'{zone}' does not keep one UTC offset between {start} and {end}: {seen}, usually daylight saving time. "
        "Alibaba ESS runs scheduled tasks in UTC only, so one UTC cron would fire an hour off for part of the "
        "year. Use a zone without daylight saving time (for example 'Asia/Shanghai', or 'Etc/GMT-1' for a fixed "
        "UTC+01:00 - the Etc sign is inverted) or write the cron in 'UTC'"
    )


def _when(item: tuple[int, dt.datetime]) -> dt.datetime:
    return item[1]


def to_utc(cron_text: str, zone: str, start: dt.date, days: int = WINDOW_DAYS) -> UtcSchedule:
    """Convert ``cron_text`` in ``zone`` to one UTC cron, valid for ``[start, start + days]``."""
    cron = parse_cron(cron_text)
    offset = fixed_offset_minutes(zone, start, days)
    by_shift: dict[int, set[tuple[int, int]]] = {}
    local_by_shift: dict[int, set[tuple[int, int]]] = {}
    for h in cron.hours:
        for m in cron.minutes:
            shift, rest = divmod(h * 60 + m - offset, MINUTES_PER_DAY)
            by_shift.setdefault(shift, set()).add(divmod(rest, 60))
            local_by_shift.setdefault(shift, set()).add((h, m))

    days_matter = not (cron.dom_any and cron.month_any and cron.dow_any)
    if not days_matter:  # every day runs, so which UTC day a time falls on does not matter
        by_shift = {0: set().union(*by_shift.values())}
    elif len(by_shift) > 1:
        raise ScheduleError(_split_message(cron, zone, offset, local_by_shift))
    ((shift, times),) = by_shift.items()

    hours = {h for h, _ in times}
    minutes = {m for _, m in times}
    if len(times) != len(hours) * len(minutes):
        raise ScheduleError(
            f"'{cron_text}' in {zone} ({format_offset(offset)}): the offset moves some of its minutes into a "
            f"different UTC hour than others (UTC times {_clock(times)}), which one cron cannot express. Use "
            "minutes that all stay in the same hour after the shift, split it into several schedules, or write "
            "the cron in 'UTC'"
        )
    if shift != 0 and not cron.dom_any:
        raise ScheduleError(
            f"'{cron_text}' in {zone} ({format_offset(offset)}) runs on the {_day_word(shift)} UTC day, and a "
            "day-of-month cannot move with it (the 1st would become the last day of the previous month). Use "
            "day-of-week instead of day-of-month, pick times that stay on the same UTC day, or write the cron in 'UTC'"
        )
    if shift != 0 and not cron.month_any:
        raise ScheduleError(
            f"'{cron_text}' in {zone} ({format_offset(offset)}) runs on the {_day_word(shift)} UTC day, and a "
            "month restriction cannot move with it (its first or last day would fall in the wrong month). Pick "
            "times that stay on the same UTC day or write the cron in 'UTC'"
        )
    dow = cron.days_of_week if cron.dow_any else frozenset((d + shift) % 7 for d in cron.days_of_week)
    fields = (
        _render(minutes, 0, 59, any_=False),
        _render(hours, 0, 23, any_=False),
        _render(cron.days_of_month, 1, 31, any_=cron.dom_any),
        _render(cron.months, 1, 12, any_=cron.month_any),
        _render(dow, 0, 6, any_=cron.dow_any),
    )
    return UtcSchedule(cron=" ".join(fields), offset_minutes=offset, day_shift=shift if days_matter else 0)


def ess_schedule(cron_text: str, zone: str, start: dt.date, days: int = WINDOW_DAYS) -> UtcSchedule:
    """``cron_text`` in ``zone`` as the UTC cron ESS runs (``?`` in day-of-week), or ScheduleError
    for what ESS cannot run as written: a day-of-week restriction (numbering unsourced, see the
    module docstring) or more than one run an hour."""
    cron = parse_cron(cron_text)
    if not cron.dow_any:
        raise ScheduleError(
            f"'{cron_text}' restricts the day of the week ('{cron_text.split()[4]}'). Alibaba's documentation does "
            "not settle whether ESS numbers days 1-7 from Monday or from Sunday, so gpufleet refuses day-of-week "
            "crons on Alibaba rather than risk running on the wrong days. Use '*' in day-of-week (every day, "
            "e.g. '0 9 * * *') or days of the month (e.g. '0 9 1,15 * *')"
        )
    if len(cron.minutes) > 1:
        minutes = _render(cron.minutes, 0, 59, any_=False)
        raise ScheduleError(
            f"'{cron_text}' runs {len(cron.minutes)} times an hour (minutes {minutes}); "
            "an Alibaba ESS cron task runs at most once an hour. Use one minute value, e.g. "
            f"'{min(cron.minutes)} {' '.join(cron_text.split()[1:])}', and a second schedule for the other time"
        )
    utc = to_utc(cron_text, zone, start, days)
    fields = utc.cron.split()
    return UtcSchedule(cron=" ".join([*fields[:4], "?"]), offset_minutes=utc.offset_minutes, day_shift=utc.day_shift)


def _parse_utc(utc_cron: str) -> Cron:
    # ESS's '?' means "no restriction" here: the other day field carries it.
    return parse_cron(utc_cron.replace("?", "*"))


def first_run(utc_cron: str, start: dt.date, within_days: int = LAUNCH_WITHIN_DAYS) -> dt.datetime | None:
    """The first time ``utc_cron`` fires on or after ``start`` 00:00 UTC, within
    ``within_days`` days; None if it does not fire in that time. Takes Vixie or ESS text."""
    cron = _parse_utc(utc_cron)
    first_time = (min(cron.hours), min(cron.minutes))
    for i in range(within_days):
        day = start + dt.timedelta(days=i)
        if _day_matches(cron, day):
            return dt.datetime(day.year, day.month, day.day, *first_time, tzinfo=dt.UTC)
    return None


def task_window(utc_cron: str, start: dt.date) -> TaskWindow:
    """The ESS window of a recurring task that starts repeating on ``start`` (UTC)."""
    launch = first_run(utc_cron, start)
    if launch is None:
        raise ScheduleError(
            f"'{utc_cron}' (UTC) does not run within {LAUNCH_WITHIN_DAYS} days of scheduleStart {start}, and an ESS "
            f"task must first run within {LAUNCH_WITHIN_DAYS} days of its creation; move scheduleStart closer to "
            "the first run"
        )
    end = dt.datetime(start.year, start.month, start.day, tzinfo=dt.UTC) + dt.timedelta(days=WINDOW_DAYS)
    return TaskWindow(launch_time=launch.strftime(TIME_FORMAT), end_time=end.strftime(TIME_FORMAT))


def window_end(start: dt.date) -> dt.date:
    """The UTC day a window that starts on ``start`` stops repeating (00:00 UTC)."""
    return start + dt.timedelta(days=WINDOW_DAYS)


def longest_gap_days(utc_cron: str, since: dt.date = REFERENCE_START, days: int = DERIVED_CHECK_DAYS) -> int:
    """The most consecutive days in ``[since, since + days)`` on which ``utc_cron`` never fires.

    A start date inside a gap of 90 or more days has no first run within ESS's 90 days, so a
    derived start (the deploy date, any day) needs this below :data:`LAUNCH_WITHIN_DAYS`.
    """
    cron = _parse_utc(utc_cron)
    longest = run = 0
    for i in range(days):
        run = 0 if _day_matches(cron, since + dt.timedelta(days=i)) else run + 1
        longest = max(longest, run)
    return longest


def _day_matches(cron: Cron, day: dt.date) -> bool:
    # Vixie cron: with both day-of-month and day-of-week restricted, either one matches.
    if day.month not in cron.months:
        return False
    dom_ok = day.day in cron.days_of_month
    dow_ok = (day.weekday() + 1) % 7 in cron.days_of_week  # Python: Monday 0; cron: Sunday 0
    if cron.dom_any or cron.dow_any:
        return dom_ok and dow_ok
    return dom_ok or dow_ok


def _render(values: Iterable[int], lo: int, hi: int, *, any_: bool) -> str:
    """Cron text for a set of values: ``*`` for "any", else runs as ``a-b`` joined by commas."""
    vals = sorted(set(values))
    if any_ or vals == list(range(lo, hi + 1)):
        return "*"
    runs: list[list[int]] = []
    for v in vals:
        if runs and v == runs[-1][-1] + 1:
            runs[-1].append(v)
        else:
            runs.append([v])
    return ",".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def _day_word(shift: int) -> str:
    return "previous" if shift < 0 else "next"


def _clock(times: Iterable[tuple[int, int]]) -> str:
    shown = [f"{h:02d}:{m:02d}" for h, m in sorted(times)]
    return ", ".join(shown[:6]) + (", ..." if len(shown) > 6 else "")


def _split_message(cron: Cron, zone: str, offset: int, local_by_shift: dict[int, set[tuple[int, int]]]) -> str:
    parts = [f"local {_clock(times)} on the {_day_label(shift)}" for shift, times in sorted(local_by_shift.items())]
    suggestion = ""
    pieces = []
    for _, times in sorted(local_by_shift.items()):
        hours = {h for h, _ in times}
        minutes = {m for _, m in times}
        if len(times) != len(hours) * len(minutes):
            break
        rest = cron.text.split()[2:]
        pieces.append(" ".join([_render(minutes, 0, 59, any_=False), _render(hours, 0, 23, any_=False), *rest]))
    else:
        suggestion = " Split it into one schedule per UTC day: " + ", ".join(f"'{p}'" for p in pieces) + "."
    return (
        f"'{cron.text}' in {zone} ({format_offset(offset)}) runs on different UTC days ({'; '.join(parts)}), and "
        f"its day fields cannot shift by different amounts in one cron.{suggestion}"
    )


def _day_label(shift: int) -> str:
    return {-1: "previous UTC day", 0: "same UTC day", 1: "next UTC day"}.get(shift, f"UTC day {shift:+d}")


WARN_WINDOW_ENDS_WITHIN_DAYS = 30
"""Warn when a window ends this soon: renewing takes a deploy (move ``scheduleStart``, or
replace the tasks of a derived window)."""


def window_warnings(start: dt.date, today: dt.date) -> list[str]:
    """What is wrong with a window pinned at ``start`` as seen on ``today`` (the plan's ``--as-of``)."""
    end = start + dt.timedelta(days=WINDOW_DAYS)
    out = []
    if end <= today:
        out.append(
            f"{start}: the task window ended on {end} ({(today - end).days} days before {today}); ESS would not run "
            "the tasks. Move scheduleStart to a date on or after the deploy"
        )
    elif start < today:
        out.append(
            f"{start} is {(today - start).days} days before {today}: a new task's launch time would be in the past "
            "(what ESS does with it is UNVERIFIED). Move scheduleStart to the deploy day or later"
        )
    if today < end and (end - today).days <= WARN_WINDOW_ENDS_WITHIN_DAYS:
        out.append(
            f"{start}: the task window ends on {end}, {(end - today).days} days after {today}; move scheduleStart "
            "forward and deploy before then, or the schedules stop"
        )
    return out


def derived_window_note(today: dt.date) -> str:
    """What a window derived from the run date means, for the plan (``today`` is its ``--as-of``)."""
    return (
        f"no scheduleStart: new ESS tasks start on the deploy date ({today} in this plan) and stop repeating "
        f"{WINDOW_DAYS} days later ({window_end(today)} here). Tasks keep the window they were created with "
        "(launchTime and recurrenceEndTime are in ignore_changes), so a later 'pulumi up' does not move it: "
        "renew it before it ends with 'pulumi up --replace' on the tasks, or pin scheduleStart "
        "(docs/alicloud.md, Schedules)"
    )


def ending_window_warning(task: str, end_time: str, today: dt.date) -> str | None:
    """A warning when a deployed task's ``recurrenceEndTime`` (``YYYY-MM-DDThh:mmZ``, from the
    stack's state) is within :data:`WARN_WINDOW_ENDS_WITHIN_DAYS` of ``today`` or past; else None."""
    try:
        end = dt.datetime.strptime(end_time, TIME_FORMAT).date()
    except ValueError:
        return None  # not a time ESS would have taken; nothing to judge
    left = (end - today).days
    if left > WARN_WINDOW_ENDS_WITHIN_DAYS:
        return None
    when = f"ended on {end}" if left <= 0 else f"ends on {end}, {left} days after {today}"
    return (
        f"scheduled task {task}: its window {when}, and then ESS stops running it. Renew it with "
        f"'pulumi up --replace <the task's URN>' (a new window from the deploy date), or pin "
        "autoscaling.scheduleStart (docs/alicloud.md, Schedules)"
    )
