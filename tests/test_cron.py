"""Five-field cron parsing."""

from __future__ import annotations

import pytest

from gpufleet.cron import CronError, parse_cron


def test_weekday_evening() -> None:
    c = parse_cron("0 20 * * 1-5")
    assert c.minutes == {0} and c.hours == {20} and c.days_of_week == {1, 2, 3, 4, 5}
    assert c.dom_any and c.month_any and not c.dow_any


@pytest.mark.parametrize(
    ("text", "field", "values"),
    [
        ("*/15 * * * *", "minutes", {0, 15, 30, 45}),  # step over the full range
        ("0 8-18/5 * * *", "hours", {8, 13, 18}),  # stepped range
        ("0 0 1,15 * *", "days_of_month", {1, 15}),  # list
        ("0 0 * JAN,jul *", "months", {1, 7}),  # month names, any case
        ("0 0 * * SUN,7", "days_of_week", {0}),  # 7 is Sunday too
        ("0 0 * * MON-FRI", "days_of_week", {1, 2, 3, 4, 5}),
        ("5/20 * * * *", "minutes", {5, 25, 45}),  # start/step
    ],
)
def test_fields(text: str, field: str, values: set[int]) -> None:
    assert getattr(parse_cron(text), field) == values


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0 20 * *", "needs 5"),
        ("0 20 * * * *", "needs 5"),
        ("60 * * * *", "outside 0-59"),
        ("0 24 * * *", "outside 0-23"),
        ("0 0 0 * *", "outside 1-31"),
        ("0 0 * 13 *", "outside 1-12"),
        ("0 0 * * 8", "outside 0-7"),
        ("0 0 * * FOO", "not a number"),
        ("*/0 * * * *", "positive"),
        ("0 5-1 * * *", "backwards"),
        ("0 1,,2 * * *", "empty"),
        ("@daily", "macros"),
    ],
)
def test_refusals(text: str, reason: str) -> None:
    with pytest.raises(CronError, match=reason):
        parse_cron(text)
