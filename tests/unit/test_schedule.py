"""When scheduled rules fire: cron in a time zone (with DST), start/end, one-off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scalectl.core.rules import ScheduledRule
from scalectl.core.schedule import cron_problem, fires_between, never_fires, next_fire

NEW_YORK = ZoneInfo("America/New_York")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def cron_rule(cron: str, timezone: str = "UTC", **kwargs: object) -> ScheduledRule:
    return ScheduledRule(name="r", group="web", cron=cron, timezone=timezone, desired=2, **kwargs)  # type: ignore[arg-type]


def test_next_fire_in_rule_time_zone() -> None:
    rule = cron_rule("30 8 * * 1-5", "Asia/Shanghai")
    # Thursday 2026-11-26 00:00 UTC is 08:00 in Shanghai: the next fire is 08:30 local the same day.
    fire = next_fire(rule, datetime(2026, 11, 26, 0, 0, tzinfo=UTC))
    assert fire == datetime(2026, 11, 26, 8, 30, tzinfo=SHANGHAI)
    assert fire is not None and fire.utcoffset() == timedelta(hours=8)


def test_next_fire_is_strictly_after() -> None:
    rule = cron_rule("0 * * * *")
    at_fire = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    assert next_fire(rule, at_fire) == datetime(2026, 1, 1, 11, 0, tzinfo=UTC)
    assert next_fire(rule, at_fire - timedelta(microseconds=1)) == at_fire


def test_next_fire_skips_weekend() -> None:
    rule = cron_rule("0 9 * * 1-5")
    friday_evening = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
    assert next_fire(rule, friday_evening) == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def test_dst_spring_forward_fires_once_at_the_jump() -> None:
    # 2026-03-08: New York clocks jump from 02:00 EST to 03:00 EDT; 02:30 does not exist.
    rule = cron_rule("30 2 * * *", "America/New_York")
    fire = next_fire(rule, datetime(2026, 3, 8, 0, 0, tzinfo=NEW_YORK))
    assert fire == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 03:00 EDT, the moment of the jump
    assert next_fire(rule, fire) == datetime(2026, 3, 9, 2, 30, tzinfo=NEW_YORK)


def test_dst_spring_forward_keeps_order_and_no_repeats() -> None:
    rule = cron_rule("*/30 * * * *", "America/New_York")
    fires = fires_between(
        rule,
        datetime(2026, 3, 8, 1, 0, tzinfo=NEW_YORK),
        datetime(2026, 3, 8, 4, 0, tzinfo=NEW_YORK),
    )
    local = [f.astimezone(NEW_YORK).strftime("%H:%M %Z") for f in fires]
    # 02:00 and 02:30 do not exist: they fire once, at the jump, which is also 03:00 EDT.
    assert local == ["01:00 EST", "01:30 EST", "03:00 EDT", "03:30 EDT"]
    assert fires == sorted(fires)


def test_dst_fall_back_fires_once_at_first_occurrence() -> None:
    # 2026-11-01: New York clocks go back from 02:00 EDT to 01:00 EST; 01:30 happens twice.
    rule = cron_rule("30 1 * * *", "America/New_York")
    fires = fires_between(
        rule, datetime(2026, 11, 1, tzinfo=NEW_YORK), datetime(2026, 11, 2, tzinfo=NEW_YORK)
    )
    assert fires == [datetime(2026, 11, 1, 5, 30, tzinfo=UTC)]  # 01:30 EDT
    second_pass = datetime(2026, 11, 1, 6, 0, tzinfo=UTC)  # 01:00 EST
    assert next_fire(rule, second_pass) == datetime(
        2026, 11, 2, 6, 30, tzinfo=UTC
    )  # next day 01:30 EST


def test_hourly_cron_over_fall_back_has_25_hours() -> None:
    rule = cron_rule("0 * * * *", "America/New_York")
    fires = fires_between(
        rule, datetime(2026, 11, 1, tzinfo=NEW_YORK), datetime(2026, 11, 2, tzinfo=NEW_YORK)
    )
    # Wall 01:00 fires once (EDT); the repeated 01:00 (EST) is the same wall time: no second fire.
    assert len(fires) == 24
    assert len(set(fires)) == 24


def test_start_and_end_bound_the_fires() -> None:
    start = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    end = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)
    rule = cron_rule("0 12 * * *", start=start, end=end)
    assert (
        next_fire(rule, datetime(2026, 1, 1, tzinfo=UTC)) == start
    )  # a fire exactly at start counts
    assert next_fire(rule, start) == datetime(2026, 1, 6, 12, 0, tzinfo=UTC)
    assert (
        next_fire(rule, datetime(2026, 1, 6, 13, 0, tzinfo=UTC)) == end
    )  # a fire exactly at end counts
    assert next_fire(rule, end) is None
    everything = fires_between(
        rule, datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
    )
    assert everything == [start, datetime(2026, 1, 6, 12, 0, tzinfo=UTC), end]


def test_fires_between_is_half_open() -> None:
    rule = cron_rule("0 0 * * *")
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 4, tzinfo=UTC)
    assert fires_between(rule, start, end) == [start + timedelta(days=d) for d in range(3)]


def test_one_off_fires_once() -> None:
    at = datetime(2026, 11, 27, 19, 45, tzinfo=SHANGHAI)
    rule = ScheduledRule(name="sale", group="web", at=at, min=10)
    assert next_fire(rule, at - timedelta(seconds=1)) == at
    assert next_fire(rule, at) is None
    assert fires_between(rule, at, at + timedelta(seconds=1)) == [at]
    assert fires_between(rule, at - timedelta(days=1), at) == []


def test_naive_after_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_fire(cron_rule("0 * * * *"), datetime(2026, 1, 1))


@pytest.mark.parametrize("cron", ["0 0 31 2 *", "0 0 30 2 *", "0 0 31 4,6,9,11 *"])
def test_never_fires(cron: str) -> None:
    assert never_fires(cron)
    assert cron_problem(cron) == f"cron {cron!r} never fires"


@pytest.mark.parametrize("cron", ["0 0 29 2 *", "0 0 31 2 1", "*/5 * * * *", "30 8 * * 1-5"])
def test_fires_sometime(cron: str) -> None:
    # 29 February is rare but real; with a day of week too, cron fires on either (February Mondays).
    assert not never_fires(cron)
    assert cron_problem(cron) is None


def test_leap_day_next_fire_crosses_the_skipped_2100() -> None:
    rule = cron_rule("0 0 29 2 *")
    assert next_fire(rule, datetime(2097, 1, 1, tzinfo=UTC)) == datetime(2104, 2, 29, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        ("0 0 * *", "five fields"),
        ("0 0 * * * 5", "five fields"),
        ("@daily", "five fields"),
        ("61 0 * * *", "not a valid cron"),
        ("0 0 * * mon-xyz", "not a valid cron"),
    ],
)
def test_cron_problems(cron: str, expected: str) -> None:
    problem = cron_problem(cron)
    assert problem is not None and expected in problem


cron_fields = st.text("0123456789*/,-LW#?HMONTUEFBJAN", min_size=1, max_size=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(cron_fields, min_size=5, max_size=5))
def test_cron_problem_never_raises(fields: list[str]) -> None:
    # Whatever a user types, the answer is a reason or None, never an exception from croniter.
    problem = cron_problem(" ".join(fields))
    assert problem is None or "cron" in problem
