"""A group's detail: its bounds and instances, refreshed like the dashboard (keyed, re-armed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from scalectl.core.errors import ScalectlError
from scalectl.core.model import Group
from scalectl.i18n import t
from scalectl.tui import fmt
from scalectl.tui.keys import DETAIL_KEYS, bind_all
from scalectl.tui.panels import KeyedTable, Panel, Row

if TYPE_CHECKING:
    from scalectl.tui.app import ScalectlApp

INSTANCE_COLUMNS = (
    ("id", "col.id"),
    ("state", "col.state"),
    ("health", "col.health"),
    ("zone", "col.zone"),
    ("launched", "col.launched"),
    ("flags", "col.flags"),
)


class GroupArrived(Message):
    def __init__(self, group: Group | None, error: str) -> None:
        super().__init__()
        self.group = group
        self.error = error


def instance_rows(group: Group) -> list[Row]:
    rows: list[Row] = []
    for inst in sorted(group.instances, key=lambda i: (i.zone, i.id)):
        flags = [t("flag.warming")] if inst.warming else []
        if inst.protected:
            flags.append(t("flag.protected"))
        rows.append(
            (
                inst.id,
                (
                    Text(inst.id),
                    Text(t(f"inst.{inst.state.value}")),
                    fmt.health(inst.health),
                    Text(inst.zone),
                    Text(fmt.short_time(inst.launched_at)),
                    Text(", ".join(flags), style="dim"),
                ),
            )
        )
    return rows


class GroupDetailScreen(Screen[None]):
    DEFAULT_CSS = """
    GroupDetailScreen #summary { height: auto; padding: 0 1; background: $panel; }
    """

    def __init__(self, group: str) -> None:
        super().__init__()
        bind_all(self, DETAIL_KEYS)
        self.group_name = group
        self.group: Group | None = None
        self._busy = False

    @property
    def scalectl(self) -> ScalectlApp:
        return cast("ScalectlApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static(t("detail.title", group=self.group_name), id="summary")
        with Panel(t("detail.title", group=self.group_name), id="instances"):
            yield KeyedTable(INSTANCE_COLUMNS, id="instance-table")
        yield Footer()

    def on_mount(self) -> None:
        self.scalectl.frame(self)
        self.action_reload()

    def action_reload(self) -> None:
        if not self._busy:
            self._busy = True
            self._fetch()

    @work(thread=True, exclusive=True, group="detail", exit_on_error=False)
    def _fetch(self) -> None:
        app = self.scalectl
        try:
            with app.provider_lock:
                group = app.core.reader.get_group(self.group_name)
        except ScalectlError as exc:
            self.post_message(GroupArrived(None, str(exc)))
            return
        self.post_message(GroupArrived(group, ""))

    def on_group_arrived(self, message: GroupArrived) -> None:
        self._busy = False
        panel = self.query_one(Panel)
        now = self.scalectl.clock()
        if message.group is None:
            panel.mark(now, error=message.error, retry_at=now + self.scalectl.interval, ok=False)
        else:
            g = self.group = message.group
            summary = t(
                "detail.summary",
                min=g.min,
                desired=g.desired,
                in_service=g.in_service,
                max=g.max,
                pending=g.pending,
                cooldown=g.default_cooldown_s,
                zones=", ".join(g.zones) or "—",
            )
            self.query_one("#summary", Static).update(
                Text.assemble((t("detail.title", group=g.name), "bold"), "\n", summary)
            )
            self.query_one(KeyedTable).sync(instance_rows(g))
            panel.mark(now)
        self.set_timer(self.scalectl.interval, self.action_reload)
