"""Rule files: loading with located one-line errors, dumping, and the lossless round trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scalectl.core.errors import ExitCode, InputError
from scalectl.core.model import METRICS, Comparison, MissingData, Statistic
from scalectl.core.rules import (
    AdjustmentType,
    GroupBounds,
    MaxCapacityBehavior,
    PredictiveMode,
    PredictiveRule,
    RuleSet,
    ScheduledRule,
    SimpleRule,
    Step,
    StepRule,
    TargetTrackingRule,
    canonical,
    ruleset_problems,
)
from scalectl.core.rulesfile import dump_rules, dumps_rules, load_rules, loads_rules

DATA = Path(__file__).parent / "data" / "rules"


def error_of(text: str) -> str:
    with pytest.raises(InputError) as caught:
        loads_rules(dedent(text), "rules.toml")
    message = str(caught.value)
    assert "\n" not in message and "pydantic" not in message
    assert caught.value.exit_code is ExitCode.USAGE
    return message


# --- the fixture files ----------------------------------------------------------------------------


def test_shop_example_has_every_kind() -> None:
    ruleset = load_rules(DATA / "shop.toml")
    kinds = {rule.kind for rule in ruleset.rules}
    assert kinds == {"target_tracking", "step", "simple", "scheduled", "predictive"}
    assert {type(rule) for rule in ruleset.rules} == {
        TargetTrackingRule,
        StepRule,
        SimpleRule,
        ScheduledRule,
        PredictiveRule,
    }
    assert [b.group for b in ruleset.bounds] == ["web", "checkout"]
    scheduled = [r for r in ruleset.rules if isinstance(r, ScheduledRule)]
    assert {r.cron for r in scheduled} == {"30 8 * * 1-5", None}
    flash = next(r for r in scheduled if r.at is not None)
    assert flash.at == datetime(2026, 11, 27, 11, 45, tzinfo=UTC)
    step = next(r for r in ruleset.rules if isinstance(r, StepRule))
    assert step.steps == [
        Step(lower=0.0, upper=200.0, adjustment=1),
        Step(lower=200.0, adjustment=3),
    ]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("broken_syntax.toml", ":7: TOML syntax error: Invalid value (column 10)"),
        (
            "overlapping_steps.toml",
            ":26: rules[1].steps[2]: steps overlap: [10, 20) and [15, +inf)",
        ),
        ("min_above_max.toml", ":10: bounds[1].min: min (8) must not exceed max (4)"),
        ("unknown_metric.toml", ":19: rules[1].metric: unknown metric 'queue_depth' (known: cpu,"),
        ("never_fires.toml", ":15: rules[1].cron: cron '0 0 31 2 *' never fires"),
        (
            "unknown_key.toml",
            ":8: rules[0].scale_in_cooldown: unknown key 'scale_in_cooldown' (known: name,",
        ),
    ],
)
def test_broken_fixture_names_file_line_and_field(name: str, expected: str) -> None:
    path = DATA / name
    with pytest.raises(InputError) as caught:
        load_rules(path)
    assert str(caught.value).startswith(f"{path}{expected}")
    assert caught.value.source == str(path)


def test_unreadable_files() -> None:
    with pytest.raises(InputError, match=r"nope\.toml: no such file"):
        load_rules(DATA / "nope.toml")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('description = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8 text"):
        load_rules(path)


# --- syntax and schema errors ---------------------------------------------------------------------


def test_syntax_error_at_end_of_document() -> None:
    assert error_of('version = 1\nbounds = [\n  { group = "web", min = 1, max = 2 },\n') == (
        "rules.toml:3: TOML syntax error: Invalid value at end of file"
    )


def test_empty_file_is_an_empty_ruleset() -> None:
    assert loads_rules("") == RuleSet()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            """
            [[rules]]
            name = "cpu"
            group = "web"
            kind = "target_tracking"
            """,
            "rules.toml:2: rules[0].target: required field is missing",
        ),
        (
            """
            [[rules]]
            name = "cpu"
            group = "web"
            kind = "target_trekking"
            target = 50
            """,
            "rules.toml:5: rules[0].kind: unknown rule kind 'target_trekking' "
            "(known: target_tracking, step,",
        ),
        (
            """
            [[rules]]
            name = "cpu"
            group = "web"
            target = 50
            """,
            "rules.toml:2: rules[0]: a rule needs kind = one of: target_tracking, step,",
        ),
        (
            """
            [[rules]]
            name = "cpu"
            group = "web"
            kind = "target_tracking"
            target = -5
            """,
            "rules.toml:6: rules[0].target: must be greater than 0 (got -5)",
        ),
        (
            """
            [[rules]]
            name = "-cpu"
            group = "web"
            kind = "target_tracking"
            target = 5
            """,
            "rules.toml:3: rules[0].name: must start with a letter or digit",
        ),
        (
            """
            version = 2
            """,
            "rules.toml:2: version: must be 1 (got 2)",
        ),
        (
            """
            colour = "red"
            """,
            "rules.toml:2: colour: unknown key 'colour' (known: version, bounds, rules)",
        ),
        (
            """
            [[rules]]
            name = "s"
            group = "web"
            kind = "step"
            comparison = "=>"
            threshold = 1
            steps = [{ lower = 0, adjustment = 1 }]
            """,
            "rules.toml:6: rules[0].comparison: must be '>', '>=', '<' or '<=' (got '=>')",
        ),
        (
            """
            [[rules]]
            name = "s"
            group = "web"
            kind = "step"
            comparison = ">"
            threshold = 1
            steps = [
                { lower = 0, upper = 5, adjustment = 1 },
                { lower = 5, adjustment = 2, upperr = 9 },
            ]
            """,
            "rules.toml:10: rules[0].steps[1].upperr: unknown key 'upperr' "
            "(known: lower, upper, adjustment)",
        ),
        (
            """
            bounds = [
              { group = "web", min = 1, max = 2 },
              { group = "api", min = -1, max = 2 },
            ]
            """,
            "rules.toml:4: bounds[1].min: must be greater than or equal to 0 (got -1)",
        ),
        (
            """
            [[rules]]
            name = "t"
            group = "web"
            kind = "target_tracking"
            target = inf
            """,
            "rules.toml:6: rules[0].target: must be a finite number",
        ),
    ],
)
def test_schema_errors_in_plain_english(text: str, expected: str) -> None:
    assert error_of(text).startswith(expected)


def test_first_problem_in_file_order_wins() -> None:
    # A meaning problem in rules[0] comes before a schema problem in rules[1].
    text = """
        [[rules]]
        name = "a"
        group = "web"
        kind = "target_tracking"
        metric = "gpu"
        target = 50

        [[rules]]
        name = "b"
        group = "web"
        kind = "target_tracking"
        target = "fifty"
        """
    assert error_of(text).startswith("rules.toml:6: rules[0].metric: unknown metric 'gpu'")


def test_duplicate_rule_points_at_the_second() -> None:
    text = """
        [[rules]]
        name = "a"
        group = "web"
        kind = "target_tracking"
        target = 50

        [[rules]]
        name = "a"
        group = "web"
        kind = "target_tracking"
        target = 60
        """
    assert (
        error_of(text)
        == "rules.toml:9: rules[1].name: duplicate rule 'a' in group 'web' (first at rules[0])"
    )


def test_naive_datetime_needs_an_offset() -> None:
    text = """
        [[rules]]
        name = "sale"
        group = "web"
        kind = "scheduled"
        at = 2026-11-27T19:45:00
        min = 10
        """
    assert (
        error_of(text)
        == "rules.toml:6: rules[0].at: needs a UTC offset, e.g. 2026-11-27T19:45:00+00:00"
    )


def test_line_scanner_ignores_lookalikes_in_strings_and_comments() -> None:
    text = dedent('''
        # [[rules]] in a comment
        [[rules]]
        name = "a"   # target = 1
        group = "web"
        kind = "target_tracking"
        description = """
        [[rules]]
        metric = "x"
        """
        'target' = 50

        [[rules]]
        name = "b"
        group = "w[eb]"
        kind = "step"
        comparison = ">"
        threshold = 1
        steps = [ { lower = 0, upper = 1, adjustment = 1 }, { lower = 1, adjustment = 1 } ]
        ''')
    assert len(loads_rules(text).rules) == 2
    broken = text.replace('group = "w[eb]"', 'group = "w[eb]"\nmetric = "disk"')
    assert error_of(broken).startswith("rules.toml:16: rules[1].metric: unknown metric 'disk'")
    overlapping = text.replace("{ lower = 1, adjustment", "{ lower = 0.5, adjustment")
    assert error_of(overlapping).startswith(
        "rules.toml:19: rules[1].steps[1]: steps overlap: [0, 1) and [0.5, +inf)"
    )


def test_array_of_tables_steps_and_dotted_headers() -> None:
    text = """
        [[rules]]
        name = "a"
        group = "web"
        kind = "step"
        comparison = "<"
        threshold = 10

        [[rules.steps]]
        upper = -5
        adjustment = -2

        [[rules.steps]]
        lower = -5
        upper = 1
        adjustment = -1
        """
    assert error_of(text).startswith(
        "rules.toml:13: rules[0].steps[1]: with comparison '<' the steps lie below"
    )


# --- dumping and the round trip -------------------------------------------------------------------


def test_dump_is_sorted_short_and_loads_back(tmp_path: Path) -> None:
    ruleset = load_rules(DATA / "shop.toml")
    text = dumps_rules(ruleset)
    assert text.startswith("version = 1\n")
    assert "enabled" not in text and "statistic" not in text  # defaults left out
    assert "at = 2026-11-27 19:45:00+08:00" in text  # the offset is kept
    names = [line.split('"')[1] for line in text.splitlines() if line.startswith("name = ")]
    assert names == [
        "checkout-cpu-in",
        "checkout-latency-out",
        "web-cpu-50",
        "web-flash-sale",
        "web-forecast",
        "web-morning",
    ]
    assert loads_rules(text) == canonical(ruleset)
    path = tmp_path / "out.toml"
    dump_rules(ruleset, path)
    assert load_rules(path) == canonical(ruleset)
    assert dumps_rules(load_rules(path)) == text


def test_dump_keeps_fields_in_schema_order() -> None:
    rule = SimpleRule(
        name="r",
        group="g",
        enabled=False,
        comparison=Comparison.LT,
        threshold=3.0,
        adjustment=-1,
        cooldown_s=60,
    )
    keys = [
        line.split(" = ")[0]
        for line in dumps_rules(RuleSet(rules=[rule])).splitlines()
        if " = " in line
    ]
    assert keys == [
        "version",
        "name",
        "group",
        "enabled",
        "kind",
        "comparison",
        "threshold",
        "adjustment",
        "cooldown_s",
    ]


# Strategies for valid rule sets of every kind.

names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,15}", fullmatch=True)
groups = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12)
texts = st.text(st.characters(codec="utf-8"), max_size=30)
finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
positive = st.floats(min_value=0, exclude_min=True, allow_infinity=False)
metrics = st.sampled_from(sorted(METRICS))
offsets = st.sampled_from(
    [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-3, minutes=-30))]
)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=offsets
)
periods = st.sampled_from([10, 20, 30, 60, 300, 3600])


def common(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {"name": draw(names), "group": draw(groups)}
    if draw(st.booleans()):
        out["enabled"] = draw(st.booleans())
        out["description"] = draw(texts)
    return out


def alarm(draw: st.DrawFn) -> dict[str, Any]:
    period = draw(periods)
    evaluations = draw(st.integers(1, min(1440, 86400 // period)))
    return {
        "metric": draw(metrics),
        "comparison": draw(st.sampled_from(Comparison)),
        "threshold": draw(finite),
        "statistic": draw(st.sampled_from(Statistic)),
        "period_s": period,
        "evaluation_periods": evaluations,
        "datapoints_to_alarm": draw(st.none() | st.integers(1, evaluations)),
        "missing_data": draw(st.sampled_from(MissingData)),
    }


def adjustment_fields(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(AdjustmentType))
    magnitude = draw(st.none() | st.integers(1, 100)) if kind is AdjustmentType.PERCENT else None
    return {"adjustment_type": kind, "min_adjustment_magnitude": magnitude}


@st.composite
def step_rules(draw: st.DrawFn) -> StepRule:
    fields = common(draw) | alarm(draw) | adjustment_fields(draw)
    cuts = sorted(set(draw(st.lists(st.floats(0, 1e6), min_size=1, max_size=4))))
    low = (
        st.integers(0, 50)
        if fields["adjustment_type"] is AdjustmentType.EXACT
        else st.integers(-50, 50)
    )
    bounds: list[tuple[float | None, float | None]] = [(a, b) for a, b in pairwise(cuts)]
    bounds.append((cuts[-1], None))
    if fields["comparison"] in (Comparison.LT, Comparison.LE):
        bounds = [(None if b is None else -b, -a) for a, b in reversed(bounds)]  # type: ignore[operator]
    steps = [Step(lower=lo, upper=hi, adjustment=draw(low)) for lo, hi in bounds]
    return StepRule(**fields, steps=steps, warmup_s=draw(st.none() | st.integers(0, 86400)))


@st.composite
def simple_rules(draw: st.DrawFn) -> SimpleRule:
    fields = common(draw) | alarm(draw) | adjustment_fields(draw)
    low = 0 if fields["adjustment_type"] is AdjustmentType.EXACT else -100
    return SimpleRule(
        **fields,
        adjustment=draw(st.integers(low, 100)),
        cooldown_s=draw(st.none() | st.integers(0, 86400)),
    )


@st.composite
def target_rules(draw: st.DrawFn) -> TargetTrackingRule:
    return TargetTrackingRule(
        **common(draw),
        metric=draw(metrics),
        target=draw(positive),
        disable_scale_in=draw(st.booleans()),
        warmup_s=draw(st.none() | st.integers(0, 86400)),
    )


@st.composite
def capacities(draw: st.DrawFn) -> dict[str, int | None]:
    low, high = sorted(draw(st.lists(st.integers(0, 1000), min_size=2, max_size=2)))
    desired = draw(st.integers(low, high))
    chosen = draw(st.sets(st.sampled_from(["min", "max", "desired"]), min_size=1))
    return {
        k: (v if k in chosen else None)
        for k, v in (("min", low), ("max", high), ("desired", desired))
    }


@st.composite
def scheduled_rules(draw: st.DrawFn) -> ScheduledRule:
    fields = common(draw) | draw(capacities())
    fields["timezone"] = draw(
        st.sampled_from(["UTC", "Asia/Shanghai", "America/New_York", "Europe/Berlin"])
    )
    if draw(st.booleans()):
        return ScheduledRule(**fields, at=draw(moments))
    start, end = draw(st.none() | moments), draw(st.none() | moments)
    if start is not None and end is not None and end <= start:
        start, end = end - timedelta(days=1), start + timedelta(minutes=1)
    cron = draw(
        st.sampled_from(["0 8 * * 1-5", "*/15 * * * *", "0 0 29 2 *", "30 6 1 */3 *", "0 0 31 2 1"])
    )
    return ScheduledRule(**fields, cron=cron, start=start, end=end)


@st.composite
def predictive_rules(draw: st.DrawFn) -> PredictiveRule:
    behavior = draw(st.sampled_from(MaxCapacityBehavior))
    return PredictiveRule(
        **common(draw),
        metric=draw(metrics),
        target=draw(positive),
        mode=draw(st.sampled_from(PredictiveMode)),
        buffer_s=draw(st.integers(0, 3599)),
        max_capacity_behavior=behavior,
        max_capacity_buffer=draw(st.integers(0, 100))
        if behavior is MaxCapacityBehavior.INCREASE
        else None,
    )


@st.composite
def rulesets(draw: st.DrawFn) -> RuleSet:
    rules = draw(
        st.lists(
            st.one_of(
                step_rules(), simple_rules(), target_rules(), scheduled_rules(), predictive_rules()
            ),
            max_size=6,
            unique_by=lambda r: (r.group, r.name),
        )
    )
    bounds = []
    for group in draw(st.lists(groups, max_size=3, unique=True)):
        caps = draw(capacities())
        low = caps["min"] if caps["min"] is not None else 0
        high = caps["max"] if caps["max"] is not None else max(low, caps["desired"] or 0)
        bounds.append(GroupBounds(group=group, min=low, max=high, desired=caps["desired"]))
    return RuleSet(bounds=bounds, rules=rules)


@settings(max_examples=150, deadline=None)
@given(rulesets())
def test_round_trip_is_lossless(ruleset: RuleSet) -> None:
    assert ruleset_problems(ruleset) == []  # the strategy makes valid sets only
    text = dumps_rules(ruleset)
    loaded = loads_rules(text)
    assert loaded == canonical(ruleset)
    assert dumps_rules(loaded) == text


MUTATIONS = [
    "",
    "x = 1",
    "[[rules]]",
    "[[rules.steps]]",
    'metric = "nope"',
    "min = -1",
    "max = 0",
    "steps = [{ lower = 1 }]",
    'cron = "0 0 31 2 *"',
    'timezone = "Nowhere/Land"',
    "at = 2026-01-01T00:00:00",
    "threshold = nan",
    '"unclosed',
    "period_s = 45",
    'adjustment_type = "exact"',
    'kind = "scheduled"',
]


@settings(max_examples=200, deadline=None)
@given(rulesets(), st.data())
def test_broken_files_give_one_located_line(ruleset: RuleSet, data: st.DataObject) -> None:
    lines = dumps_rules(ruleset).splitlines()
    index = data.draw(st.integers(0, len(lines) - 1))
    lines[index] = data.draw(st.sampled_from(MUTATIONS))
    text = "\n".join(lines) + "\n"
    try:
        loads_rules(text, "f.toml")
    except InputError as err:
        message = str(err)
        assert "\n" not in message and message.startswith("f.toml:")
        assert err.line is not None and 1 <= err.line <= len(lines)


def test_line_index_paths() -> None:
    from scalectl.core.rulesfile import _LineIndex

    text = dedent(
        """\
        version = 1
        bounds = [
          { group = "web", min = 1, max = 2 },  # [[rules]]

          { group = "api", min = 1, max = 2 },
        ]
        [[ "rules" ]]
        name = 'a'
        "kind" = "step"
        steps = [
            [1, 2], { lower = 0 },
            { lower = 5 },
        ]
        [[rules]]
        s = '''
        [[rules]]
        '''
        target = 5
        [[rules . steps]]
        lower = 1
        """
    )
    index = _LineIndex(text)
    assert index.line_of(("version",)) == 1
    assert index.line_of(("bounds", 0, "min")) == 3
    assert index.line_of(("bounds", 1)) == 5
    assert index.line_of(("bounds", 2)) == 2  # no such element: the array's key line
    assert index.line_of(("rules", 0)) == 7
    assert index.line_of(("rules", 0, "kind")) == 9
    assert index.line_of(("rules", 0, "steps", 1, "lower")) == 11
    assert index.line_of(("rules", 0, "steps", 2)) == 12
    assert index.line_of(("rules", 1, "target")) == 18
    assert index.line_of(("rules", 1, "steps", 0, "lower")) == 20
    assert index.line_of(("rules", 2)) == 7  # no such table: where the array of tables begins
    assert index.line_of(("colour",)) is None
