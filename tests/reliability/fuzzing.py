"""Hypothesis strategies for the parsers' fuzz tests: random text, structured documents with the
real keys and values of random types, and byte-level mutations of valid files."""

from __future__ import annotations

import json
from typing import Any

import tomli_w
from hypothesis import strategies as st

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["cpu", "requests_per_target", "UTC", "0 9 * * *", "", "-1", "1e999", "☃"]),
)


def values(depth: int = 2) -> st.SearchStrategy[Any]:
    if depth == 0:
        return SCALARS
    inner = values(depth - 1)
    return st.one_of(
        SCALARS,
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    )


def documents(keys: dict[str, list[str]]) -> st.SearchStrategy[dict[str, Any]]:
    """Dicts shaped like the real file: known keys (and some unknown) with values of any type."""

    def table(names: list[str]) -> st.SearchStrategy[dict[str, Any]]:
        key = st.one_of(st.sampled_from(names), st.text(min_size=1, max_size=10))
        return st.dictionaries(key, values(), max_size=len(names) + 2)

    top: dict[str, st.SearchStrategy[Any]] = {}
    for name, fields in keys.items():
        if fields:
            top[name] = st.one_of(
                st.lists(table(fields), max_size=4),
                st.dictionaries(st.text(min_size=1, max_size=8), table(fields), max_size=3),
                values(),
            )
        else:
            top[name] = values()
    return st.fixed_dictionaries({}, optional=top)


def toml_text(doc: dict[str, Any]) -> str | None:
    try:
        return tomli_w.dumps(_tomlable(doc))
    except (TypeError, ValueError):
        return None


def _tomlable(value: Any) -> Any:
    """None has no TOML form: drop it (the rest of the shape stays as generated)."""
    if isinstance(value, dict):
        return {str(k): _tomlable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_tomlable(v) for v in value if v is not None]
    return value


@st.composite
def mutations(draw: st.DrawFn, seed_text: str) -> str:
    """A valid file with a few characters deleted, duplicated or replaced."""
    text = seed_text
    for _ in range(draw(st.integers(1, 4))):
        if not text:
            break
        at = draw(st.integers(0, len(text) - 1))
        op = draw(st.sampled_from(["delete", "insert", "replace", "cut"]))
        piece = draw(st.sampled_from(['"', "=", "[", "]", "\n", "-", "0", "x", "\x00", "é", "{"]))
        if op == "delete":
            text = text[:at] + text[at + 1 :]
        elif op == "insert":
            text = text[:at] + piece + text[at:]
        elif op == "replace":
            text = text[:at] + piece + text[at + 1 :]
        else:
            text = text[:at]
    return text


def json_text(doc: Any) -> str:
    return json.dumps(doc, allow_nan=True, default=str)
