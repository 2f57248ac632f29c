"""Panels: a titled frame that says how old its data is, around a table updated by key.

``KeyedTable.sync`` never clears: it removes rows that went away, updates only the cells that
changed, adds new rows, and re-orders only when the order changed, all inside one
``batch_update`` so the screen repaints once (and the table refreshes once, not once per cell).
The cursor stays on the same key. ``KeyedTable.sync_from`` skips even that when the data the
rows are made from is the data of the last call: an unchanged refresh costs one comparison.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Self

from rich.text import Text
from textual.containers import Vertical
from textual.geometry import Region
from textual.widgets import DataTable

from scalectl.i18n import t
from scalectl.tui import fmt

Row = tuple[str, tuple[Text, ...]]


class Memo:
    """The inputs of the last draw: ``changed(inputs)`` says whether to draw again. Compared with
    ``==``: lists holding the very same objects compare at the cost of an identity check each."""

    def __init__(self) -> None:
        self._last: tuple[object, ...] | None = None

    def changed(self, inputs: tuple[object, ...]) -> bool:
        if self._last is not None and self._last == inputs:
            return False
        self._last = inputs
        return True

    def forget(self) -> None:
        self._last = None


def _same(a: Text, b: Text) -> bool:
    # Text.__eq__ ignores the base style, and a colour change (theme, state) must repaint.
    if a is b:
        return True
    return a.plain == b.plain and str(a.style) == str(b.style) and a.spans == b.spans


class KeyedTable(DataTable[Text]):
    DEFAULT_CSS = """
    KeyedTable { height: 1fr; }
    """

    # Class defaults: DataTable's constructor refreshes before ours has run.
    _syncing = False
    _asked: bool | None = None  # during a sync: a refresh was asked (True: with layout)

    def __init__(self, columns: Sequence[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)  # type: ignore[arg-type]
        self._column_spec = list(columns)
        self._cells: dict[str, tuple[Text, ...]] = {}
        self.updates = 0  # cells written by the last sync (tests and benchmarks read it)
        self.source = Memo()  # what the rows of the last sync_from were made from

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        """Once, on mount or at the first rows (a table mounted with its data gets them first)."""
        if not self.columns:
            for key, label in self._column_spec:
                self.add_column(Text(t(label)), key=key)

    @property
    def keys(self) -> list[str]:
        return [str(row.key.value) for row in self.ordered_rows]

    def has_row(self, key: str) -> bool:
        return key in self._cells

    @property
    def current_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)
        except Exception:
            return None

    def refresh(
        self,
        *regions: Region,
        repaint: bool = True,
        layout: bool = False,
        recompose: bool = False,
    ) -> Self:
        # Each written cell asks for a refresh: during a sync they become one, at its end.
        if self._syncing and not recompose:
            self._asked = bool(self._asked) or layout
            return self
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def sync_from(self, inputs: tuple[object, ...], rows: Callable[[], Sequence[Row]]) -> None:
        """``sync(rows())``, unless ``inputs`` (everything the rows are made from) equal those of
        the last call: then nothing is built, compared or written."""
        if not self.source.changed(inputs):
            self.updates = 0
            return
        try:
            self._sync(rows())
        except BaseException:
            self.source.forget()
            raise

    def sync(self, rows: Sequence[Row]) -> None:
        self.source.forget()  # rows from elsewhere: the next sync_from compares afresh
        self._sync(rows)

    def _sync(self, rows: Sequence[Row]) -> None:
        self._add_columns()
        self._syncing, self._asked = True, None
        try:
            self._write(rows)
        finally:
            self._syncing = False
            if self._asked is not None:
                self.refresh(layout=self._asked)

    def _write(self, rows: Sequence[Row]) -> None:
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
        self.drawn = Memo()  # what the panel's content was last drawn from (where it is kept)
        self.state = PanelState()
        self.stale_after = 10.0
        self._title_shown: str | None = None
        # Until the first tick (within a second): the first frame may come before any data.
        self._subtitle_shown: str | None = t("panel.loading")
        self.border_subtitle = self._subtitle_shown
        self.set_title()

    def set_title(self, suffix: str = "") -> None:
        title = self.title
        text = t("panel.for_group", title=title, group=suffix) if suffix else title
        if text != self._title_shown:  # setting a border title repaints the whole panel
            self._title_shown = self.border_title = text

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
        if text != self._subtitle_shown:  # every second, and mostly the same text
            self._subtitle_shown = self.border_subtitle = text
        self.set_class(bool(state.error), "-error")
        self.set_class(not state.error and seen is not None and seen > self.stale_after, "-stale")
