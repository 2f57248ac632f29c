"""One key table per mode: it drives the bindings, the help screen and the command palette.

A command marked ``mutating`` is absent from the monitor table, and ``check_action`` hides it on any
read-only console as well. The Console refuses a forged call anyway: hiding keys is courtesy,
not the guarantee.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from textual.binding import Binding
from textual.dom import DOMNode

from scalectl.i18n import t


class Mode(StrEnum):
    NORMAL = "normal"
    MONITOR = "monitor"


@dataclass(frozen=True)
class Command:
    action: str  # the App action it runs
    key: str  # Textual key name(s), comma separated
    label: str  # catalogue key for the footer label; "<label>.help" is the long help
    mutating: bool = False
    show: bool = True  # in the footer
    key_display: str | None = None

    @property
    def title(self) -> str:
        return t(self.label)

    @property
    def help(self) -> str:
        return t(self.label + ".help")

    def binding(self) -> Binding:
        return Binding(
            self.key,
            self.action,
            self.title,
            show=self.show,
            key_display=self.key_display,
            priority=False,
        )


_NORMAL: tuple[Command, ...] = (
    Command("open_group", "enter", "key.open", show=False),  # shown by the groups table
    Command("scale", "s", "key.scale", mutating=True),
    Command("rules", "r", "key.rules", mutating=True),
    Command("rules_file", "R", "key.rules_file", mutating=True, show=False),
    Command("filter", "slash", "key.filter", key_display="/"),
    Command("clear_filter", "escape", "key.clear_filter", show=False, key_display="esc"),
    Command("command_palette", "colon", "key.palette", key_display=":"),
    Command("window", "w", "key.window"),
    Command("balancers", "b", "key.balancers"),
    Command("refresh", "ctrl+r", "key.refresh", show=False),
    Command("cycle_theme", "t", "key.theme", show=False),
    Command("help", "question_mark", "key.help", key_display="?"),
    Command("quit", "q", "key.quit"),
)

KEY_TABLES: dict[Mode, tuple[Command, ...]] = {
    Mode.NORMAL: _NORMAL,
    # The on-call view: the same reading keys, and no mutating command at all.
    Mode.MONITOR: tuple(c for c in _NORMAL if not c.mutating),
}

# The group screens' own keys (actions on the screen, or on the app with "app.").
DETAIL_KEYS: tuple[Command, ...] = (
    Command("app.pop_screen", "escape", "key.back", key_display="esc"),
    Command("app.scale", "s", "key.scale", mutating=True),
    Command("app.rules", "r", "key.rules", mutating=True),
    Command("reload", "ctrl+r", "key.refresh", show=False),
)
RULES_KEYS: tuple[Command, ...] = (
    Command("app.pop_screen", "escape", "key.back", key_display="esc"),
    Command("add", "a", "key.add", mutating=True),
    Command("edit", "e", "key.edit", mutating=True),
    Command("delete", "d", "key.delete", mutating=True),
    Command("toggle_rule", "space", "key.toggle", mutating=True),
    Command("app.rules_file", "f", "key.rules_file", mutating=True),
)

MUTATING_ACTIONS: frozenset[str] = frozenset(
    c.action.removeprefix("app.") for c in (*_NORMAL, *DETAIL_KEYS, *RULES_KEYS) if c.mutating
)


def bind_all(node: DOMNode, commands: tuple[Command, ...]) -> None:
    """Bind a key table on a node at run time, so labels come in the chosen language."""
    for c in commands:
        node._bindings.bind(c.key, c.action, c.title, show=c.show, key_display=c.key_display)


def table(mode: Mode) -> tuple[Command, ...]:
    return KEY_TABLES[mode]
