"""Alarms built on alarms and on forecasts.

Composite alarms combine other alarms' states with the grammar of CloudWatch's ``AlarmRule``:
``ALARM("web-cpu") AND (ALARM("web-latency") OR NOT OK("checkout-5xx"))``, with the functions
ALARM, OK, INSUFFICIENT_DATA, the constants TRUE and FALSE, the operators AND, OR, NOT and
parentheses. A composite alarm whose parts are unknown is INSUFFICIENT_DATA, never a guess.

Predictive alarms fire when the forecast of a metric crosses a threshold within a horizon
("cpu will exceed 80 in ~25 min"): a seasonal forecast when a day of history exists, anchored to
the latest actual value, otherwise the recent linear trend.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from scalectl.core.errors import InputError
from scalectl.core.forecast import forecast_hourly
from scalectl.core.model import AlarmState, Comparison

# -- composite -------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<func>ALARM|OK|INSUFFICIENT_DATA)\s*\(\s*(?P<quote>["']?)(?P<name>[^"')]+)(?P=quote)\s*\)
      | (?P<op>AND|OR|NOT|TRUE|FALSE)\b
      | (?P<paren>[()])
    )""",
    re.VERBOSE,
)

_STATE_OF_FUNC = {
    "ALARM": AlarmState.ALARM,
    "OK": AlarmState.OK,
    "INSUFFICIENT_DATA": AlarmState.INSUFFICIENT_DATA,
}


@dataclass(frozen=True)
class Term:
    func: str  # ALARM | OK | INSUFFICIENT_DATA | TRUE | FALSE
    name: str = ""


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class Op:
    op: str  # AND | OR
    left: Node
    right: Node


Node = Term | Not | Op


def _tokens(text: str) -> list[tuple[str, str, str]]:
    tokens: list[tuple[str, str, str]] = []
    position = 0
    stripped = text.rstrip()
    while position < len(stripped):
        match = _TOKEN.match(stripped, position)
        if not match or match.end() == position:
            raise InputError(
                f"cannot read the alarm rule at character {position + 1}: "
                f"{stripped[position : position + 20]!r}",
                field="rule",
            )
        if match["func"]:
            tokens.append(("func", match["func"], match["name"].strip()))
        elif match["op"]:
            tokens.append(("op", match["op"], ""))
        else:
            tokens.append(("paren", match["paren"], ""))
        position = match.end()
    return tokens


class _Parser:
    """Precedence: NOT binds tighter than AND, which binds tighter than OR (as CloudWatch)."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self) -> tuple[str, str, str] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str, str]:
        token = self.peek()
        if token is None:
            raise InputError("the alarm rule ends too early", field="rule")
        self.index += 1
        return token

    def parse(self) -> Node:
        if not self.tokens:
            raise InputError("the alarm rule is empty", field="rule")
        node = self.or_expr()
        if self.peek() is not None:
            raise InputError(
                f"unexpected {self.peek()[1]!r} in the alarm rule",  # type: ignore[index]
                field="rule",
            )
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while (token := self.peek()) and token[:2] == ("op", "OR"):
            self.take()
            node = Op("OR", node, self.and_expr())
        return node

    def and_expr(self) -> Node:
        node = self.not_expr()
        while (token := self.peek()) and token[:2] == ("op", "AND"):
            self.take()
            node = Op("AND", node, self.not_expr())
        return node

    def not_expr(self) -> Node:
        token = self.peek()
        if token and token[:2] == ("op", "NOT"):
            self.take()
            return Not(self.not_expr())
        return self.atom()

    def atom(self) -> Node:
        kind, value, name = self.take()
        if kind == "func":
            return Term(value, name)
        if kind == "op" and value in ("TRUE", "FALSE"):
            return Term(value)
        if (kind, value) == ("paren", "("):
            node = self.or_expr()
            if self.take()[1] != ")":
                raise InputError("a '(' in the alarm rule is not closed", field="rule")
            return node
        raise InputError(f"unexpected {value!r} in the alarm rule", field="rule")


def parse_rule(text: str) -> Node:
    return _Parser(text).parse()


def parts(node: Node) -> tuple[str, ...]:
    """The alarms a rule names, in order of first mention."""
    found: list[str] = []

    def walk(n: Node) -> None:
        if isinstance(n, Term):
            if n.name and n.name not in found:
                found.append(n.name)
        elif isinstance(n, Not):
            walk(n.operand)
        else:
            walk(n.left)
            walk(n.right)

    walk(node)
    return tuple(found)


def _truth(node: Node, states: Mapping[str, AlarmState]) -> bool | None:
    """Three-valued: None when a part's state is unknown and it decides the outcome."""
    if isinstance(node, Term):
        if node.func == "TRUE":
            return True
        if node.func == "FALSE":
            return False
        state = states.get(node.name)
        return None if state is None else state is _STATE_OF_FUNC[node.func]
    if isinstance(node, Not):
        value = _truth(node.operand, states)
        return None if value is None else not value
    left = _truth(node.left, states)
    right = _truth(node.right, states)
    if node.op == "AND":
        if left is False or right is False:
            return False
        return None if left is None or right is None else True
    if left is True or right is True:
        return True
    return None if left is None or right is None else False


def evaluate_composite(rule: str | Node, states: Mapping[str, AlarmState]) -> AlarmState:
    node = parse_rule(rule) if isinstance(rule, str) else rule
    value = _truth(node, states)
    if value is None:
        return AlarmState.INSUFFICIENT_DATA
    return AlarmState.ALARM if value else AlarmState.OK


# -- predictive ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prediction:
    state: AlarmState
    expected_at: datetime | None  # when the forecast first breaches, if within the horizon
    predicted: float | None  # the forecast value then (or at the horizon's end)
    method: str  # "seasonal" or "trend"

    def describe(self, metric: str, comparison: Comparison, threshold: float, now: datetime) -> str:
        verb = "exceed" if comparison in (Comparison.GT, Comparison.GE) else "fall below"
        if self.expected_at is None:
            return f"{metric} is not forecast to {verb} {threshold:g} within the horizon"
        minutes = max(0, round((self.expected_at - now).total_seconds() / 60))
        return f"{metric} will {verb} {threshold:g} in ~{minutes} min ({self.method} forecast)"


def _trend(values: Sequence[float]) -> tuple[float, float]:
    """Least-squares slope and the fitted value at the newest point."""
    n = len(values)
    xs = range(n)
    mean_x = (n - 1) / 2
    mean_y = sum(values) / n
    var = sum((x - mean_x) ** 2 for x in xs)
    slope = (
        0.0
        if var == 0
        else sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, values, strict=True)) / var
    )
    return slope, mean_y + slope * (n - 1 - mean_x)


def predict_breach(
    points: Sequence[tuple[datetime, float | None]],
    now: datetime,
    *,
    comparison: Comparison,
    threshold: float,
    horizon: timedelta,
    trend_window: int = 30,
) -> Prediction:
    """When (if at all) the metric is forecast to breach ``threshold`` within ``horizon``.

    ``points`` are per-minute values, oldest first, up to ``now``.
    """
    real = [(at, v) for at, v in points if v is not None and math.isfinite(v)]
    if len(real) < 5:
        return Prediction(AlarmState.INSUFFICIENT_DATA, None, None, "none")
    latest = real[-1][1]
    steps = max(1, int(horizon.total_seconds() // 60))
    hourly = forecast_hourly(points, now, hours=math.ceil(steps / 60) + 2)
    if hourly:
        # Seasonal shape (hourly means, placed at the middle of their hour), anchored at the
        # current level: today's deviation from the usual fades out over the next hour.
        hour_start = now.replace(minute=0, second=0, microsecond=0)

        def seasonal(at: datetime) -> float:
            offset = (at - hour_start).total_seconds() / 3600 - 0.5
            index = max(0.0, min(offset, len(hourly) - 1.0))
            low = int(index)
            high = min(low + 1, len(hourly) - 1)
            return hourly[low] + (hourly[high] - hourly[low]) * (index - low)

        residual = latest - seasonal(now)
        path = [
            (
                now + timedelta(minutes=m),
                seasonal(now + timedelta(minutes=m)) + residual * max(0.0, 1 - m / 60),
            )
            for m in range(1, steps + 1)
        ]
        method = "seasonal"
    else:
        window = [v for _, v in real[-trend_window:]]
        slope, fitted = _trend(window)
        path = [(now + timedelta(minutes=m), fitted + slope * m) for m in range(1, steps + 1)]
        method = "trend"
    if comparison.breaches(latest, threshold):
        return Prediction(AlarmState.ALARM, now, latest, method)
    for at, value in path:
        if comparison.breaches(value, threshold):
            return Prediction(AlarmState.ALARM, at, value, method)
    return Prediction(AlarmState.OK, None, path[-1][1], method)
