"""Help: every key of the current mode, from the same table that makes the bindings."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

from scalectl.i18n import t
from scalectl.tui.keys import Command, Mode


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 90; max-width: 95%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    HelpScreen DataTable { height: auto; max-height: 24; }
    HelpScreen .title { text-style: bold; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,question_mark,q", "close", show=False)]

    def __init__(self, mode: Mode, commands: tuple[Command, ...]) -> None:
        super().__init__()
        self.mode = mode
        self.commands = commands

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(t("help.title", mode=t(f"help.mode.{self.mode.value}")), classes="title")
            yield DataTable(cursor_type="row", show_header=False)
            yield Label(t("help.footer"))

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("key", "name", "help")
        for command in self.commands:
            key = command.key_display or command.key
            table.add_row(Text(key, style="bold"), Text(command.title), Text(command.help))

    def action_close(self) -> None:
        self.dismiss(None)
