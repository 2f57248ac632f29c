"""Rule files: TOML text <-> RuleSet, with one-line errors naming the file, the line and the field.

Loading parses with tomllib, validates with the pydantic schema (scalectl.core.rules), then checks
what the fields mean together. The first problem in file order is raised as an InputError.
Line numbers come from a small scanner of the TOML text (_LineIndex): it knows table headers,
``key =`` lines and the elements of multi-line arrays, which is all a rules file needs.
"""

from __future__ import annotations

import re
import tomllib
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from scalectl.core.errors import InputError
from scalectl.core.rules import (
    RULE_KINDS,
    GroupBounds,
    PredictiveRule,
    Problem,
    RuleSet,
    ScheduledRule,
    SimpleRule,
    Step,
    StepRule,
    TargetTrackingRule,
    bounds_problems,
    canonical,
    format_path,
    rule_adapter,
    rule_problems,
    ruleset_problems,
)
from scalectl.core.rules import Path as FieldPath

_MODELS: dict[str, type[BaseModel]] = {
    "target_tracking": TargetTrackingRule,
    "step": StepRule,
    "simple": SimpleRule,
    "scheduled": ScheduledRule,
    "predictive": PredictiveRule,
}
_SYNTAX_AT = re.compile(r"^(?P<what>.*?)\s*\(at line (?P<line>\d+), column (?P<column>\d+)\)$")
_SYNTAX_END = re.compile(r"^(?P<what>.*?)\s*\(at end of document\)$")


# --- loading -------------------------------------------------------------------------------------


def load_rules(path: Path) -> RuleSet:
    """Read and check a rules file; any problem raises InputError naming the file and line."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("no such file", source=source) from None
    except UnicodeDecodeError as err:
        raise InputError(
            f"not UTF-8 text ({err.reason} at byte {err.start})", source=source
        ) from None
    except OSError as err:
        raise InputError(f"cannot read: {err.strerror}", source=source) from None
    return loads_rules(text, source)


def loads_rules(text: str, source: str = "<string>") -> RuleSet:
    """Parse and check rules from TOML text; ``source`` names it in error messages."""
    data = _parse_toml(text, source)
    try:
        ruleset = RuleSet.model_validate(data)
    except ValidationError as err:
        schema = [_from_pydantic(detail) for detail in err.errors(include_url=False)]
        raise _first_error(schema + _item_problems(data), text, source) from None
    problems = ruleset_problems(ruleset)
    if problems:
        raise _first_error(problems, text, source)
    return ruleset


def _first_error(problems: list[Problem], text: str, source: str) -> InputError:
    """The problem that stands first in the file (ties: the order found) as an InputError."""
    lines = _LineIndex(text)
    located = [(lines.line_of(p.path), order, p) for order, p in enumerate(problems)]
    line, _, first = min(located, key=lambda item: (item[0] or 1 << 30, item[1]))
    return InputError(
        first.message, source=source, line=line, field=format_path(first.path) or None
    )


def _parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        message = str(err)
        if match := _SYNTAX_AT.match(message):
            raise InputError(
                f"TOML syntax error: {match['what']} (column {match['column']})",
                source=source,
                line=int(match["line"]),
            ) from None
        if match := _SYNTAX_END.match(message):
            last = text.count("\n") + (0 if text.endswith("\n") else 1)
            raise InputError(
                f"TOML syntax error: {match['what']} at end of file",
                source=source,
                line=max(last, 1),
            ) from None
        raise InputError(f"TOML syntax error: {message}", source=source) from None


def _item_problems(data: dict[str, Any]) -> list[Problem]:
    """Meaning problems of the bounds and rules that pass the schema (the whole set does not)."""
    found: list[Problem] = []
    for index, raw in enumerate(_list(data.get("bounds"))):
        try:
            bounds = GroupBounds.model_validate(raw)
        except ValidationError:
            continue
        found += [Problem(("bounds", index, *p.path), p.message) for p in bounds_problems(bounds)]
    for index, raw in enumerate(_list(data.get("rules"))):
        try:
            rule = rule_adapter().validate_python(raw)
        except ValidationError:
            continue
        found += [Problem(("rules", index, *p.path), p.message) for p in rule_problems(rule)]
    return found


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _from_pydantic(detail: ErrorDetails) -> Problem:
    """A pydantic error as a field path and a plain-English message."""
    loc = tuple(detail["loc"])
    # In rules[i] pydantic puts the rule kind (the union tag) into the path; users never write it.
    kind = None
    if len(loc) > 2 and loc[0] == "rules" and isinstance(loc[1], int) and loc[2] in RULE_KINDS:
        kind = str(loc[2])
        loc = loc[:2] + loc[3:]
    path: FieldPath = tuple(part if isinstance(part, int) else str(part) for part in loc)
    kind_of = detail["type"]
    value = detail.get("input")
    ctx = detail.get("ctx") or {}
    if kind_of == "missing":
        return Problem(path, "required field is missing")
    if kind_of == "extra_forbidden":
        known = _known_keys(path, kind)
        return Problem(path, f"unknown key {path[-1]!r}" + (f" (known: {known})" if known else ""))
    if kind_of == "union_tag_invalid":
        return Problem(
            (*path, "kind"),
            f"unknown rule kind {ctx.get('tag')!r} (known: {', '.join(RULE_KINDS)})",
        )
    if kind_of == "union_tag_not_found":
        return Problem(path, f"a rule needs kind = one of: {', '.join(RULE_KINDS)}")
    if kind_of == "string_pattern_mismatch" and path[-1:] == ("name",):
        return Problem(
            path,
            "must start with a letter or digit and use only letters, digits, '.', '_', ':', '-' "
            f"(got {value!r})",
        )
    message = str(detail["msg"]).removeprefix("Value error, ")
    message = message.replace("Input should be", "must be").replace("String should", "must")
    message = message.replace("List should", "must").replace("Dictionary should", "must")
    if isinstance(value, str | int | float | bool | datetime) and not isinstance(value, Enum):
        message += (
            f" (got {value!r})"
            if not isinstance(value, datetime)
            else f" (got {value.isoformat()})"
        )
    return Problem(path, message)


def _known_keys(path: FieldPath, kind: str | None) -> str:
    """The keys allowed where an unknown key ``path[-1]`` stands."""
    model: type[BaseModel] | None = None
    if len(path) == 1:
        model = RuleSet
    elif path[0] == "bounds" and len(path) == 3:
        model = GroupBounds
    elif path[0] == "rules" and kind is not None:
        model = Step if len(path) == 5 and path[2] == "steps" else _MODELS.get(kind)
    return ", ".join(model.model_fields) if model is not None else ""


# --- where things stand in the text ---------------------------------------------------------------

_KEY_PART = re.compile(r"""\s*(?:([A-Za-z0-9_-]+)|"((?:[^"\\]|\\.)*)"|'([^']*)')\s*""")


def _split_key(text: str) -> list[str] | None:
    """A TOML (dotted) key as its parts; None if ``text`` is not a key."""
    parts: list[str] = []
    position = 0
    while True:
        match = _KEY_PART.match(text, position)
        if match is None or match.end() == position:
            return None
        parts.append(next(group for group in match.groups() if group is not None))
        position = match.end()
        if position == len(text):
            return parts
        if text[position] != ".":
            return None
        position += 1


class _LineIndex:
    """Maps field paths like ("rules", 2, "steps", 1) to the line where they stand (1-based)."""

    def __init__(self, text: str) -> None:
        self._lines: dict[FieldPath, int] = {}
        self._tables: dict[FieldPath, int] = {}  # array of tables -> how many so far
        table: FieldPath = ()
        value: FieldPath | None = None  # the key whose value continues on the next lines
        stack: list[str] = []  # open [ and { of that value
        elements = 0
        string: str | None = None  # the open multi-line string delimiter
        for number, line in enumerate(text.splitlines(), start=1):
            start = 0
            if string is None and not stack:
                value = None
                stripped = line.strip()
                if stripped.startswith("["):
                    table = self._header(stripped, number, table)
                    continue
                if "=" not in stripped or stripped.startswith("#"):
                    continue
                key_text, _, _ = stripped.partition("=")
                key = _split_key(key_text)
                if key is None:
                    continue
                value = (*table, *key)
                self._note(value, number)
                elements = 0
                start = line.index("=") + 1
            string, elements = self._scan(line, start, number, value, stack, string, elements)

    def _scan(
        self,
        line: str,
        start: int,
        number: int,
        value: FieldPath | None,
        stack: list[str],
        string: str | None,
        elements: int,
    ) -> tuple[str | None, int]:
        """Follow strings and brackets of a value through one line; note array elements' lines."""
        index = start
        while index < len(line):
            char = line[index]
            if string is not None:
                if char == "\\" and string.startswith('"'):
                    index += 2
                    continue
                if line.startswith(string, index):
                    index += len(string)
                    string = None
                    continue
                index += 1
                continue
            if char == "#":
                break
            if char in "\"'":
                string = char * 3 if line.startswith(char * 3, index) else char
                index += len(string)
                continue
            if char in "[{":
                if stack == ["["] and value is not None:
                    self._note((*value, elements), number)
                    elements += 1
                stack.append(char)
            elif char in "]}" and stack:
                stack.pop()
            elif stack == ["["] and not char.isspace() and char != "," and value is not None:
                # A scalar element of an array: it counts, and stands on this line.
                self._note((*value, elements), number)
                elements += 1
                while index + 1 < len(line) and line[index + 1] not in ",]#":
                    index += 1
            index += 1
        if string is not None and len(string) == 1:
            string = None  # a one-line string cannot continue; tomllib already accepted the text
        return string, elements

    def _header(self, stripped: str, number: int, table: FieldPath) -> FieldPath:
        array = stripped.startswith("[[")
        close = "]]" if array else "]"
        inner = stripped[2 if array else 1 :].split(close, 1)[0]
        key = _split_key(inner)
        if key is None:
            return table
        path: FieldPath = ()
        for part in key[:-1]:
            path = (*path, part)
            if path in self._tables:
                path = (*path, self._tables[path] - 1)
        path = (*path, key[-1])
        if array:
            self._tables[path] = self._tables.get(path, 0) + 1
            path = (*path, self._tables[path] - 1)
        self._note(path, number)
        return path

    def _note(self, path: FieldPath, number: int) -> None:
        """``path`` stands on line ``number``; so do its parents, unless seen earlier."""
        for end in range(1, len(path) + 1):
            self._lines.setdefault(path[:end], number)

    def line_of(self, path: FieldPath) -> int | None:
        """The line of ``path``, else of the nearest enclosing table or key that has one."""
        for end in range(len(path), 0, -1):
            line = self._lines.get(path[:end])
            if line is not None:
                return line
        return None


# --- dumping -------------------------------------------------------------------------------------


def dumps_rules(ruleset: RuleSet) -> str:
    """TOML text for ``ruleset``: bounds by group, rules by group then name, fields in schema order.

    Fields that hold their default are left out (loading restores them), so the text is short and
    ``loads_rules(dumps_rules(x)) == canonical(x)``.
    """
    ordered = canonical(ruleset)
    document: dict[str, Any] = {"version": ordered.version}
    if ordered.bounds:
        document["bounds"] = [_fields(bounds) for bounds in ordered.bounds]
    if ordered.rules:
        document["rules"] = [
            _fields(rule, always=("name", "group", "kind")) for rule in ordered.rules
        ]
    return tomli_w.dumps(document)


def dump_rules(ruleset: RuleSet, path: Path) -> None:
    """Write ``ruleset`` to ``path`` as TOML (see dumps_rules)."""
    path.write_text(dumps_rules(ruleset), encoding="utf-8")


def _fields(model: BaseModel, always: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if value is None:
            continue  # every optional field defaults to None, so leaving it out loses nothing
        if (
            name not in always
            and not info.is_required()
            and _same(value, info.get_default(call_default_factory=True))
        ):
            continue
        out[name] = _plain(value)
    return out


def _same(value: object, default: object) -> bool:
    return type(value) is type(default) and value == default


def _plain(value: object) -> object:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, BaseModel):
        return _fields(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
