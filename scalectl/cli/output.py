"""Rendering data: JSON and YAML documents with stable keys, or tables that fit 80 columns.

Data goes to stdout, diagnostics to stderr.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

import click

Column = tuple[str, Callable[[dict[str, Any]], Any]]


def emit(
    data: Any, fmt: str, *, columns: Sequence[Column] | None = None, title: str | None = None
) -> None:
    """Print ``data`` (a dict or a list of dicts) in the chosen format."""
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    elif fmt == "yaml":
        import yaml

        click.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True).rstrip())
    else:
        rows = data if isinstance(data, list) else [data]
        if columns is None:
            columns = [(key, _getter(key)) for key in (rows[0] if rows else {})]
        table(rows, columns, title=title)


def _getter(key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda row: row.get(key)


def table(
    rows: Sequence[dict[str, Any]], columns: Sequence[Column], *, title: str | None = None
) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    # On a terminal rich measures it; in a pipe keep to 80 columns (or $COLUMNS).
    width = None if sys.stdout.isatty() else int(os.environ.get("COLUMNS") or 80)
    console = Console(width=width, soft_wrap=False, highlight=False)
    grid = Table(
        box=box.SIMPLE_HEAD,
        title=title,
        title_justify="left",
        pad_edge=False,
        show_edge=False,
        expand=False,
    )
    for name, _ in columns:
        grid.add_column(name.upper(), overflow="fold")
    for row in rows:
        grid.add_row(*(_cell(get(row)) for _, get in columns))
    if not rows:
        click.echo("(none)", err=True)
        return
    console.print(grid)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.1f}"
    from rich.markup import escape

    from scalectl.core.errors import one_line

    if isinstance(value, list | tuple):
        return escape(one_line(", ".join(str(v) for v in value))) or "-"
    # A provider's names reach the terminal: no escape sequence or bidi override gets through.
    return escape(one_line(str(value)))


def note(message: str) -> None:
    """A diagnostic line on stderr."""
    click.echo(message, err=True)
