"""The built-in provider table and the entry points in pyproject.toml name the same plugins."""

from __future__ import annotations

import tomllib
from pathlib import Path

from scalectl.connect import BUILT_IN


def test_built_in_table_matches_the_entry_points() -> None:
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    assert pyproject["project"]["entry-points"]["scalectl.providers"] == BUILT_IN
