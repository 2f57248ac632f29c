from __future__ import annotations

import pytest

from scalectl.core.errors import InputError
from scalectl.core.guard import ScaleTarget, check_bounds, check_scale
from scalectl.core.timeparse import parse_duration


@pytest.mark.parametrize(
    ("text", "current", "expected"),
    [
        ("8", 4, 8),
        ("+2", 4, 6),
        ("-1", 4, 3),
        ("+50%", 4, 6),
        ("-25%", 4, 3),
        ("+10%", 4, 5),  # 0.4 of an instance rounds to 1 (AWS)
        ("-25%", 10, 8),  # -2.5 truncates toward zero
    ],
)
def test_targets(text: str, current: int, expected: int) -> None:
    assert ScaleTarget.parse(text).resolve(current) == expected


@pytest.mark.parametrize("text", ["", "abc", "50%", "+1.5", "8x", "--2"])
def test_bad_targets(text: str) -> None:
    with pytest.raises(InputError):
        ScaleTarget.parse(text)


def scale(**overrides: object) -> object:
    args: dict[str, object] = dict(
        group="web",
        current=4,
        desired=8,
        min_size=2,
        max_size=20,
        read_only=False,
        step_limit=10,
        force=False,
        honor_cooldown=False,
        cooldown_left_s=0.0,
    )
    args.update(overrides)
    return check_scale(**args)  # type: ignore[arg-type]


def test_allowed() -> None:
    verdict = scale()
    assert verdict.allowed and not verdict.warnings  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("overrides", "rule", "words"),
    [
        ({"read_only": True}, "read_only", "read-only"),
        ({"desired": 21}, "bounds", "above web's max 20"),
        ({"desired": 1}, "bounds", "below web's min 2"),
        ({"desired": 0, "min_size": 0}, "zero", "--force"),
        ({"desired": 15, "current": 2}, "step_limit", "larger than the limit 10"),
        ({"honor_cooldown": True, "cooldown_left_s": 40.0}, "cooldown", "40 s"),
    ],
)
def test_refusals(overrides: dict[str, object], rule: str, words: str) -> None:
    verdict = scale(**overrides)
    assert not verdict.allowed  # type: ignore[attr-defined]
    assert verdict.rule == rule  # type: ignore[attr-defined]
    assert words in verdict.reason  # type: ignore[attr-defined]


def test_force_allows_big_steps_and_zero() -> None:
    assert scale(desired=15, current=2, force=True).allowed  # type: ignore[attr-defined]
    assert scale(desired=0, min_size=0, force=True).allowed  # type: ignore[attr-defined]


def test_cooldown_is_a_warning_for_manual_scaling() -> None:
    verdict = scale(cooldown_left_s=40.0)
    assert verdict.allowed and "cooldown 40 s left" in verdict.warnings[0]  # type: ignore[attr-defined]


def test_bounds() -> None:
    assert not check_bounds(
        group="w", min_size=5, max_size=2, desired=None, read_only=False
    ).allowed
    assert not check_bounds(group="w", min_size=1, max_size=2, desired=3, read_only=False).allowed
    assert check_bounds(group="w", min_size=1, max_size=5, desired=3, read_only=False).allowed


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("10m", 600), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), ("120", 120)],
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


def test_bad_duration() -> None:
    with pytest.raises(InputError, match="not a duration"):
        parse_duration("10 minutes please")
