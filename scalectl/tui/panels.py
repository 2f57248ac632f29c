"""Panels: a titled frame that says how old its data is, around a table updated by key.

``KeyedTable.sync`` never clears: it removes rows that went away, updates only the cells that
changed, adds new rows, and re-orders only when the order changed, all inside one
``batch_update`` so the screen repaints once. The cursor stays on the same key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.containers import Vertical
from textual.widgets import DataTable

from scalectl.i18n import t
from scalectl.tui import fmt

Row = tuple[str, tuple[Text, ...]]


def _same(a: Text, b: Text) -> bool:
    # Text.__eq__ ignores the base style, and a colour change (theme, state) must repaint.
    if a is b:
        return True
    return a.plain == b.plain and str(a.style) == str(b.style) and a.spans == b.spans


class KeyedTable(DataTable[Text]):
    DEFAULT_CSS = """
    KeyedTable { height: 1fr; }
    """

    def __init__(self, columns: Sequence[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)  # type: ignore[arg-type]
        self._column_spec = list(columns)
        self._cells: dict[str, tuple[Text, ...]] = {}
        self.updates = 0  # cells written by the last sync (tests and benchmarks read it)

    def on_mount(self) -> None:
        for key, label in self._column_spec:
            self.add_column(Text(t(label)), key=key)

    @property
    def keys(self) -> list[str]:
        return [str(row.key.value) for row in self.ordered_rows]

    @property
    def current_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)
        except Exception:
            return None

    def sync(self, rows: Sequence[Row]) -> None:
        wanted = dict(rows)
        before = self.current_key
        written = 0
        columns = [key for key, _ in self._column_spec]
        with self.app.batch_update():
            for key in [k for k in self._cells if k not in wanted]:
                self.remove_row(key)
                del self._cells[key]
            for key, cells in rows:
                old = self._cells.get(key)
                if old is None:
                    self.add_row(*cells, key=key)
                    written += len(cells)
                    self._cells[key] = cells
                    continue
                kept: list[Text] = []
                for column, was, now in zip(columns, old, cells, strict=True):
                    if _same(was, now):
                        kept.append(was)  # the table holds ``was``: keep it, identity and all
                        continue
                    wider = now.cell_len > was.cell_len
                    self.update_cell(key, column, now, update_width=wider)
                    kept.append(now)
                    written += 1
                self._cells[key] = tuple(kept)
            order = [key for key, _ in rows]
            if self.keys != order:
                rank = {id(self._cells[key][0]): index for index, key in enumerate(order)}
                self.sort(key=lambda values: rank.get(id(values[0]), 0))
                if before in wanted:
                    self.move_cursor(row=order.index(before), scroll=False)
        self.updates = written


@dataclass
class PanelState:
    fetched_at: float | None = None  # monotonic seconds of the last good data
    error: str = ""
    retry_at: float | None = None


class Panel(Vertical):
    """A frame with the panel's name on top and its data age (or error) at the bottom."""

    DEFAULT_CSS = """
    Panel {
        border: round $primary 50%;
        border-title-color: $text;
        border-title-style: bold;
        border-subtitle-color: $text-muted;
        height: 1fr;
        padding: 0 0;
    }
    Panel:focus-within { border: round $primary; }
    Panel.-stale { border: round $warning; border-subtitle-color: $warning; }
    Panel.-error { border: round $error; border-subtitle-color: $error; }
    """

    def __init__(self, title: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.title = title
        self.state = PanelState()
        self.stale_after = 10.0
        self.set_title()

    def set_title(self, suffix: str = "") -> None:
        title = self.title
        self.border_title = t("panel.for_group", title=title, group=suffix) if suffix else title

    def mark(
        self, now: float, *, error: str = "", retry_at: float | None = None, ok: bool = True
    ) -> None:
        if ok:
            self.state = PanelState(fetched_at=now)
        else:
            self.state = PanelState(self.state.fetched_at, error, retry_at)
        self.tick(now)

    def tick(self, now: float) -> None:
        """Refresh the age line (called every second, and after every poll)."""
        state = self.state
        seen = None if state.fetched_at is None else now - state.fetched_at
        text = fmt.age(seen)
        if state.error:
            first = state.error.splitlines()[0]
            left = 0 if state.retry_at is None else max(0, round(state.retry_at - now))
            text = f"{t('panel.stale')} {text} · " + t("panel.error", message=first, n=left)
        elif seen is not None and seen > self.stale_after:
            text = f"{t('panel.stale')} · {text}"
        self.border_subtitle = text
        self.set_class(bool(state.error), "-error")
        self.set_class(not state.error and seen is not None and seen > self.stale_after, "-stale")
