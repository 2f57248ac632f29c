"""Themes as TOML data files: the built-in ones, then the user's (``<config dir>/themes/*.toml``).

Built-ins live in ``themes/`` of the repository, shipped in the wheel as ``scalectl/_themes``.
A broken file is reported in one line naming it and skipped; it never stops the app.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from textual.theme import Theme

import scalectl

DEFAULT_THEME = "scalectl-dark"
_ALLOWED = {f.name for f in fields(Theme)}


@dataclass(frozen=True)
class ThemeProblem:
    path: Path
    message: str


def builtin_dirs() -> list[Path]:
    package = Path(scalectl.__file__).resolve().parent
    return [d for d in (package / "_themes", package.parent / "themes") if d.is_dir()]


def load_theme(path: Path) -> Theme:
    """One theme file; ValueError with a one-line reason when it is not a valid theme."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"TOML syntax error: {exc}") from None
    unknown = sorted(set(data) - _ALLOWED)
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r} (known: {', '.join(sorted(_ALLOWED))})")
    for required in ("name", "primary"):
        if not isinstance(data.get(required), str):
            raise ValueError(f"{required} is required and must be a string")
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise ValueError("variables must be a table of strings")
    try:
        theme = Theme(**data)
        theme.to_color_system()  # parses every colour now, so a typo is reported here
    except Exception as exc:  # Textual raises several types for a bad colour
        raise ValueError(str(exc).splitlines()[0]) from None
    return theme


def discover(user_dir: Path | None) -> tuple[list[Theme], list[ThemeProblem]]:
    """Every theme found, built-ins first; a user theme with a built-in's name replaces it."""
    found: dict[str, Theme] = {}
    problems: list[ThemeProblem] = []
    dirs = builtin_dirs()[:1] + ([user_dir] if user_dir is not None and user_dir.is_dir() else [])
    for directory in dirs:
        for path in sorted(directory.glob("*.toml")):
            try:
                theme = load_theme(path)
            except ValueError as exc:
                problems.append(ThemeProblem(path, str(exc)))
                continue
            found[theme.name] = theme
    return list(found.values()), problems
