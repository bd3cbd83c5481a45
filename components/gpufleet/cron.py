"""Five-field cron parsing, shared by spec validation and the per-cloud schedule converters."""

from __future__ import annotations

from dataclasses import dataclass

_MONTHS = {
    m: i
    for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)
}
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])}

# (name, low, high, names)
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 0, 7, _DAYS),
)


class CronError(ValueError):
    """A cron expression that is not valid five-field cron."""


@dataclass(frozen=True)
class Cron:
    """A parsed cron expression. Day-of-week 7 is folded into 0 (Sunday)."""

    text: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int]
    months: frozenset[int]
    days_of_week: frozenset[int]
    dom_any: bool
    """Day-of-month was ``*``."""
    dow_any: bool
    """Day-of-week was ``*``."""
    month_any: bool
    """Month was ``*``."""


def _value(token: str, name: str, lo: int, hi: int, names: dict[str, int]) -> int:
    up = token.upper()
    if up in names:
        return names[up]
    if not token.isdigit():
        raise CronError(
            f"{name} value '{token}' is not a number" + (f" or a name ({', '.join(names)})" if names else "")
        )
    v = int(token)
    if not lo <= v <= hi:
        raise CronError(f"{name} value {v} is outside {lo}-{hi}")
    return v


def _field(text: str, name: str, lo: int, hi: int, names: dict[str, int]) -> frozenset[int]:
    out: set[int] = set()
    for part in text.split(","):
        if not part:
            raise CronError(f"{name} field '{text}' has an empty list item")
        rng, _, step_s = part.partition("/")
        step = 1
        if step_s:
            if not step_s.isdigit() or int(step_s) == 0:
                raise CronError(f"{name} step '{step_s}' must be a positive number")
            step = int(step_s)
        if rng == "*":
            a, b = lo, hi
        elif "-" in rng:
            a_s, _, b_s = rng.partition("-")
            a, b = _value(a_s, name, lo, hi, names), _value(b_s, name, lo, hi, names)
            if a > b:
                raise CronError(f"{name} range '{rng}' runs backwards")
        else:
            a = _value(rng, name, lo, hi, names)
            b = hi if step_s else a
        out.update(range(a, b + 1, step))
    return frozenset(out)


def parse_cron(text: str) -> Cron:
    """Parse ``minute hour day-of-month month day-of-week``; raise CronError with the reason."""
    if text.strip().startswith("@"):
        raise CronError(f"'{text}': macros like @daily are not supported; write the five fields")
    parts = text.split()
    if len(parts) != 5:
        raise CronError(
            f"'{text}' has {len(parts)} fields; cron needs 5: minute hour day-of-month month day-of-week "
            "(e.g. '0 20 * * 1-5')"
        )
    sets = []
    for part, (name, lo, hi, names) in zip(parts, _FIELDS, strict=True):
        try:
            sets.append(_field(part, name, lo, hi, names))
        except CronError as e:
            raise CronError(f"'{text}': {e}") from None
    dow = frozenset(0 if d == 7 else d for d in sets[4])
    return Cron(
        text=text,
        minutes=sets[0],
        hours=sets[1],
        days_of_month=sets[2],
        months=sets[3],
        days_of_week=dow,
        dom_any=parts[2] == "*",
        dow_any=parts[4] == "*",
        month_any=parts[3] == "*",
    )
