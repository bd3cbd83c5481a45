"""Schedule-weighted node counts: how many nodes a group runs over a typical week.

The plan's expected monthly cost multiplies these hours by the same node prices as the
min/desired/max columns. Assumptions (stated in every report): nodes follow the schedules'
``desired`` (or the group's own desired when no schedule has fired), clamped to the
scheduled min/max; metric autoscaling is not modelled; the week is a fixed reference week,
so a time zone's offset is the one it has then (daylight saving moves a schedule by an hour
for part of the year, not its length).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from gpufleet.cron import Cron, parse_cron
from gpufleet.spec import GroupSpec

REFERENCE_WEEK = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
"""A Monday 00:00 UTC. The simulation runs the week before it too, so the state at its start
is what the schedules left, not the group's initial size."""
MINUTES_PER_WEEK = 7 * 24 * 60
ASSUMPTIONS = (
    "nodes follow the schedules' desired counts (the group's desired when no schedule applies) over the "
    f"reference week of {REFERENCE_WEEK.date()}; metric autoscaling is not modelled"
)


@dataclass(frozen=True)
class WeeklyNodes:
    """Hours per week spent at each node count."""

    hours: dict[int, float]
    scheduled: bool
    """False when the group has no schedules (the profile is its desired count all week)."""

    @property
    def node_hours(self) -> float:
        return sum(n * h for n, h in self.hours.items())


def _fires(cron: Cron, local: dt.datetime) -> bool:
    if local.minute not in cron.minutes or local.hour not in cron.hours or local.month not in cron.months:
        return False
    dom = local.day in cron.days_of_month
    dow = local.isoweekday() % 7 in cron.days_of_week
    # Classic cron: with both day fields restricted, either may match.
    return dom and dow if cron.dom_any or cron.dow_any else dom or dow


def weekly_nodes(group: GroupSpec) -> WeeklyNodes:
    """The group's node counts over the reference week (see the module docstring)."""
    cap = group.capacity
    schedules = group.autoscaling.schedules if group.autoscaling else ()
    if not schedules:
        return WeeklyNodes({cap.initial: 168.0}, scheduled=False)
    parsed = [(s, parse_cron(s.cron), ZoneInfo(s.timezone)) for s in schedules]
    lo, desired, hi = cap.min, cap.initial, cap.max
    minutes: Counter[int] = Counter()
    start = REFERENCE_WEEK - dt.timedelta(days=7)
    for m in range(2 * MINUTES_PER_WEEK):
        now = start + dt.timedelta(minutes=m)
        for s, cron, zone in parsed:  # list order breaks ties within a minute
            if _fires(cron, now.astimezone(zone)):
                lo = s.min if s.min is not None else lo
                hi = s.max if s.max is not None else hi
                desired = s.desired if s.desired is not None else desired
                desired = max(lo, min(hi, desired))
        if m >= MINUTES_PER_WEEK:
            minutes[desired] += 1
    return WeeklyNodes({n: c / 60.0 for n, c in sorted(minutes.items())}, scheduled=True)
