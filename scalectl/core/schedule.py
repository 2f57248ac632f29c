"""When scheduled rules fire: cron (five fields, in the rule's IANA time zone) or one-off.

Cron expressions are matched against local wall-clock time with croniter; zoneinfo turns each wall
time into an instant. Daylight saving time follows cron's usual reading:
- a wall time that happens twice (clocks go back) fires once, at its first occurrence;
- a wall time that does not exist (clocks go forward) fires once, at the moment the clocks jump.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from scalectl.core.rules import ScheduledRule

# croniter is imported where a cron is read, not here: every command imports this module (through
# the rule schema) and most never look at a cron.

# A five-field cron that can fire at all fires within 8 years (29 February skips 2100).
_MAX_YEARS_BETWEEN_FIRES = 9
_ONE_SECOND = timedelta(seconds=1)


def zone(name: str) -> ZoneInfo | None:
    """The IANA time zone called ``name``, or None when there is no such zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def cron_problem(cron: str) -> str | None:
    """Why ``cron`` is not a usable five-field cron expression, or None when it is."""
    fields = cron.split()
    if len(fields) != 5:
        return (
            f"cron must have five fields (minute hour day-of-month month day-of-week), "
            f"got {len(fields)}: {cron!r}"
        )
    from croniter import croniter

    if not croniter.is_valid(cron):
        return f"not a valid cron expression: {cron!r}"
    if never_fires(cron):
        return f"cron {cron!r} never fires"
    return None


def never_fires(cron: str) -> bool:
    """True when the cron expression matches no date at all (e.g. ``0 0 31 2 *``)."""
    from croniter import CroniterBadCronError, CroniterBadDateError, croniter

    try:
        croniter(
            cron, datetime(2000, 1, 1), max_years_between_matches=_MAX_YEARS_BETWEEN_FIRES
        ).get_next(datetime)
    except CroniterBadDateError:
        return True
    except CroniterBadCronError as err:
        raise ValueError(f"not a valid cron expression: {cron!r}") from err
    return False


def next_fire(rule: ScheduledRule, after: datetime) -> datetime | None:
    """The first time strictly after ``after`` at which ``rule`` fires; None if it never will.

    Recurring rules fire only within [start, end]. A cron fire carries the UTC offset of the rule's
    time zone at that instant.
    """
    _require_aware(after, "after")
    if rule.at is not None:
        return rule.at if rule.at > after else None
    if rule.cron is None:
        return None
    if rule.start is not None and rule.start > after:
        after = rule.start - timedelta(microseconds=1)
    fire = next(_cron_fires(rule.cron, _rule_zone(rule), after), None)
    if fire is None or (rule.end is not None and fire > rule.end):
        return None
    return fire


def fires_between(rule: ScheduledRule, start: datetime, end: datetime) -> list[datetime]:
    """Every time ``rule`` fires in the half-open interval [start, end)."""
    _require_aware(start, "start")
    _require_aware(end, "end")
    fires: list[datetime] = []
    if rule.at is not None:
        return [rule.at] if start <= rule.at < end else []
    if rule.cron is None:
        return fires
    after = start - timedelta(microseconds=1)
    if rule.start is not None and rule.start > start:
        after = rule.start - timedelta(microseconds=1)
    stop = end if rule.end is None else min(end, rule.end + timedelta(microseconds=1))
    for fire in _cron_fires(rule.cron, _rule_zone(rule), after):
        if fire >= stop:
            break
        fires.append(fire)
    return fires


def _cron_fires(cron: str, tz: ZoneInfo, after: datetime) -> Iterator[datetime]:
    """Fire instants strictly after ``after``, ascending, without repeats."""
    # Wall times map to instants in the same order (see _wall_to_instant), so matching from the
    # wall time of ``after`` and skipping instants not after it misses nothing.
    from croniter import CroniterBadDateError, croniter

    wall = after.astimezone(tz).replace(tzinfo=None)
    matches = croniter(cron, wall, max_years_between_matches=_MAX_YEARS_BETWEEN_FIRES)
    last = after
    while True:
        try:
            candidate = matches.get_next(datetime)
        except CroniterBadDateError:
            return
        instant = _wall_to_instant(candidate, tz)
        if instant > last:
            last = instant
            yield instant


def _wall_to_instant(wall: datetime, tz: ZoneInfo) -> datetime:
    """A local wall time as an instant: first occurrence if repeated, the jump if skipped."""
    first = wall.replace(tzinfo=tz, fold=0)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall:
        return _fixed(first)
    # A skipped wall time: fold=1 reads it with the offset after the jump (an instant before the
    # jump), fold=0 with the offset before it (an instant after). Search the jump in between.
    low = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    high = first.astimezone(UTC)
    target = high.astimezone(tz).utcoffset()
    while high - low > _ONE_SECOND:
        middle = low + (high - low) / 2
        if middle.astimezone(tz).utcoffset() == target:
            high = middle
        else:
            low = middle
    return _fixed(high.replace(microsecond=0).astimezone(tz))


def _fixed(instant: datetime) -> datetime:
    """The same instant with a fixed offset: an ambiguous ZoneInfo time compares unequal to every
    time in another zone (PEP 495), which would make fire times treacherous to compare."""
    offset = instant.utcoffset()
    assert offset is not None
    return instant.astimezone(timezone(offset))


def _rule_zone(rule: ScheduledRule) -> ZoneInfo:
    tz = zone(rule.timezone)
    if tz is None:
        raise ValueError(f"unknown time zone {rule.timezone!r}")
    return tz


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")
