"""Cron schedules -> Azure autoscale recurrences, and IANA -> Windows time zones.

Pure functions (no Pulumi): ``azure/rules.py`` runs them at spec time so that
``gpufleet validate`` refuses what Azure cannot express, and ``azure/autoscale.py``
builds the recurrence profiles from the same results.

Azure's ``RecurrentSchedule`` repeats weekly: a list of day names, a list of hours
(0-23) and a list of minutes, in a Windows time zone, with ``frequency: "Week"``.
A profile only says when it *starts*; it runs until the next profile starts
[DOC: Azure/azure-rest-api-specs monitor autoscale_API.json (2022-10-01), definitions
RecurrentSchedule / Recurrence; MicrosoftDocs azure-docs autoscale-multiprofile.md].
The model types hours and minutes as lists, but ARM takes exactly one of each ("invalid
count for minutes specified. Specify only one value for minutes", quoted in
Azure/azure-sdk-for-python#41643; MicrosoftDocs/azure-docs#42655; the azurerm provider
limits both to one): a cron with several start times becomes one profile per start time
(:meth:`WeeklyRecurrence.start_times`), rule ``azure.autoscale.recurrence-one-hour-one-minute``.
"""

from __future__ import annotations

from dataclasses import dataclass

from tzlocal.windows_tz import tz_win

from gpufleet.cron import CronError, parse_cron
from gpufleet.spec import CapacitySpec, ScheduleSpec

# Azure day names in cron order (0 = Sunday) [DOC: RecurrentSchedule.days in
# autoscale_API.json: "Sunday", "Monday", ... "Saturday"].
DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")

# An autoscale setting holds at most 20 profiles, and a profile at most 10 rules [DOC:
# autoscale_API.json AutoscaleSetting.profiles "maximum number of profiles is 20" and
# AutoscaleProfile.rules "maximum of 10 rules"; infra-facts section 2].
MAX_PROFILES = 20
MAX_RULES_PER_PROFILE = 10
# The name of the always-on profile that holds the group's own capacity; schedule profiles
# get their schedule's name, so ``azure/rules.py`` reserves this one.
DEFAULT_PROFILE = "default"


class ScheduleError(ValueError):
    """A schedule that Azure autoscale cannot express; the message says why."""


@dataclass(frozen=True)
class WeeklyRecurrence:
    """The start times of one recurrence profile, as Azure writes them."""

    days: tuple[str, ...]
    """Day names, Sunday first."""
    hours: tuple[int, ...]
    minutes: tuple[int, ...]
    time_zone: str
    """Windows time zone name, e.g. ``W. Europe Standard Time``."""

    def start_times(self) -> tuple[tuple[int, int], ...]:
        """Every (hour, minute) the cron starts at, in order: one Azure profile each."""
        return tuple((h, m) for h in self.hours for m in self.minutes)


def profile_name(label: str, recurrence: WeeklyRecurrence, hour: int, minute: int) -> str:
    """The schedule's label for a single start time, ``<label>-HHMM`` for each of several."""
    if len(recurrence.start_times()) == 1:
        return label
    return f"{label}-{hour:02d}{minute:02d}"


def windows_zone(iana: str) -> str:
    """The Windows zone name for an IANA zone, from CLDR windowsZones via ``tzlocal``.

    Azure autoscale takes Windows names only (``RecurrentSchedule.timeZone`` lists
    "W. Europe Standard Time", "UTC", ... [DOC: autoscale_API.json]).
    """
    if iana in ("UTC", "Etc/UTC"):
        return "UTC"
    name = tz_win.get(iana)
    if name is None:
        raise ScheduleError(
            f"time zone '{iana}' has no Windows equivalent (CLDR windowsZones), and Azure autoscale takes only "
            "Windows zone names; use a location-based zone such as 'Europe/London', 'America/New_York' or 'UTC'"
        )
    return name


def cron_to_recurrence(cron: str, timezone: str = "UTC") -> WeeklyRecurrence:
    """Convert five-field cron to an Azure weekly recurrence, or raise ScheduleError.

    Azure repeats weekly, so day-of-month and month must be ``*``. Minutes, hours
    and days of the week map one to one: Azure starts the profile at every
    combination of the listed days, hours and minutes, as cron does.
    """
    try:
        parsed = parse_cron(cron)
    except CronError as e:
        raise ScheduleError(str(e)) from None
    if not parsed.dom_any:
        raise ScheduleError(
            f"'{cron}': Azure autoscale recurrences repeat weekly and cannot pick days of the month; "
            "day-of-month must be '*' (use day-of-week instead, e.g. '0 8 * * 1-5')"
        )
    if not parsed.month_any:
        raise ScheduleError(
            f"'{cron}': Azure autoscale recurrences repeat weekly and cannot pick months; month must be '*'"
        )
    return WeeklyRecurrence(
        days=tuple(DAY_NAMES[d] for d in sorted(parsed.days_of_week)),
        hours=tuple(sorted(parsed.hours)),
        minutes=tuple(sorted(parsed.minutes)),
        time_zone=windows_zone(timezone),
    )


@dataclass(frozen=True)
class ProfileCapacity:
    """Instance counts of one autoscale profile (Azure wants minimum <= default <= maximum).

    ``default`` is not a target: Azure scales *out* to it only when it cannot read the
    metric and the current count is below it, and never scales in to it [DOC: MicrosoftDocs
    azure-docs autoscale-understanding-settings.md, capacity.default].
    """

    minimum: int
    default: int
    maximum: int


def schedule_capacity(schedule: ScheduleSpec, group: CapacitySpec, base: int = 0) -> ProfileCapacity:
    """Counts for a schedule's profile: the values it sets, the group's for the others.

    Azure has no "leave unchanged" (AWS's -1): a profile always carries all three counts.
    Unset ``min``/``max`` fall back to the group's, widened so the set values still hold.
    ``desired`` becomes the default (so a schedule can start nodes from zero, when there
    is no metric yet); without it the default is the minimum, as in the default profile.
    ``base`` is subtracted from every count, for the spot scale set of a mixed InfiniBand
    group whose on-demand base lives in another scale set.
    """
    # The spec guarantees min <= desired <= max among the values a schedule sets.
    set_lo = schedule.min if schedule.min is not None else 0
    set_mid = schedule.desired if schedule.desired is not None else set_lo
    maximum = schedule.max if schedule.max is not None else max(group.max, set_lo, set_mid)
    top = schedule.desired if schedule.desired is not None else maximum
    minimum = schedule.min if schedule.min is not None else min(group.min, maximum, top)
    default = schedule.desired if schedule.desired is not None else minimum
    return ProfileCapacity(
        minimum=max(minimum - base, 0),
        default=max(default - base, 0),
        maximum=max(maximum - base, 0),
    )


def group_capacity(group: CapacitySpec, base: int = 0) -> ProfileCapacity:
    """Counts of the default profile: the group's min and max, less ``base``.

    The default is the minimum, not the initial size: with a default above a minimum of
    0, a group scaled in to zero nodes has no GPU metric, so Azure would scale it straight
    back out to the default, and round again after every cooldown. The initial size is
    the scale set's ``sku.capacity`` at creation.
    """
    return ProfileCapacity(
        minimum=max(group.min - base, 0),
        default=max(group.min - base, 0),
        maximum=max(group.max - base, 0),
    )
