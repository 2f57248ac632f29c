"""The manual scale modal: target and reason, with the policy core's verdict live as you type.

Every keystroke asks ``Console.plan_scale`` (in a worker: it reads the provider) and shows the
verdict: allowed or refused and why, warnings (cooldown), and what the group's rules will do next.
The dialog opens on Cancel. Confirming only returns the request; the app sends it through
``Console.scale``, which checks everything again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Static

from scalectl.core.console import ScalePlan
from scalectl.core.errors import ScalectlError
from scalectl.core.model import Group
from scalectl.i18n import t
from scalectl.tui import fmt

if TYPE_CHECKING:
    from scalectl.tui.app import ScalectlApp


@dataclass(frozen=True)
class ScaleRequest:
    group: str
    target: str
    reason: str
    honor_cooldown: bool


class VerdictReady(Message):
    def __init__(self, token: int, plan: ScalePlan | None, error: str) -> None:
        super().__init__()
        self.token = token
        self.plan = plan
        self.error = error


def verdict_text(plan: ScalePlan | None, error: str) -> Text:
    if plan is None:
        return Text(error, style=fmt.style("bold $error"))
    verdict = plan.verdict
    text = Text()
    if verdict.allowed:
        line = t("scale.allowed", group=plan.group, current=plan.current, desired=plan.desired)
        text.append(line, style=fmt.style("bold $success"))
    else:
        line = t("scale.refused", rule=verdict.rule, reason=verdict.reason)
        text.append(line, style=fmt.style("bold $error"))
    for warning in verdict.warnings:
        text.append("\n" + t("scale.warning", text=warning), style=fmt.style("$warning"))
    for line in plan.preview:
        text.append("\n" + t("scale.preview", text=line))
    return text


class ScaleModal(ModalScreen[ScaleRequest | None]):
    DEFAULT_CSS = """
    ScaleModal { align: center middle; }
    ScaleModal > Vertical {
        width: 80; max-width: 98%; height: auto; max-height: 100%;
        border: thick $error 70%; background: $surface; padding: 0 1;
    }
    ScaleModal .title { text-style: bold; width: 100%; }
    ScaleModal .field { height: 3; }
    ScaleModal .field Label { width: 10; padding: 1 1 0 0; }
    ScaleModal .field Input { width: 1fr; }
    ScaleModal #verdict { height: auto; min-height: 2; max-height: 8; }
    ScaleModal .buttons { height: 3; }
    ScaleModal .buttons Checkbox { width: 1fr; }
    ScaleModal Button { margin-left: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def __init__(self, group: Group) -> None:
        super().__init__()
        self.group = group
        self.token = 0
        self.plan: ScalePlan | None = None

    @property
    def scalectl(self) -> ScalectlApp:
        return cast("ScalectlApp", self.app)

    def compose(self) -> ComposeResult:
        g = self.group
        with Vertical():
            yield Label(t("scale.title", group=g.name), classes="title")
            yield Label(
                t("scale.current", desired=g.desired, min=g.min, max=g.max, in_service=g.in_service)
            )
            with Horizontal(classes="field"):
                yield Label(t("scale.target"))
                yield Input(placeholder=t("scale.target.placeholder"), id="target")
            with Horizontal(classes="field"):
                yield Label(t("scale.reason"))
                yield Input(placeholder=t("scale.reason.placeholder"), id="reason")
            yield Static(t("scale.empty"), id="verdict")
            with Horizontal(classes="buttons"):
                yield Checkbox(t("scale.honor_cooldown"), id="honor")
                yield Button(t("scale.cancel"), id="cancel")
                yield Button(t("scale.confirm"), id="confirm", variant="error", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Input.Changed, "#target")
    @on(Checkbox.Changed, "#honor")
    def recheck(self) -> None:
        text = self.query_one("#target", Input).value.strip()
        self.token += 1
        self.plan = None
        self.query_one("#confirm", Button).disabled = True
        verdict = self.query_one("#verdict", Static)
        if not text:
            verdict.update(t("scale.empty"))
            return
        verdict.update(t("scale.checking"))
        self._plan(self.token, text, self.query_one("#honor", Checkbox).value)

    @work(thread=True, exclusive=True, group="scale-verdict", exit_on_error=False)
    def _plan(self, token: int, text: str, honor_cooldown: bool) -> None:
        app = self.scalectl
        try:
            with app.provider_lock:
                plan = app.core.plan_scale(self.group.name, text, honor_cooldown=honor_cooldown)
        except ScalectlError as exc:
            self.post_message(VerdictReady(token, None, str(exc)))
            return
        self.post_message(VerdictReady(token, plan, ""))

    def on_verdict_ready(self, message: VerdictReady) -> None:
        if message.token != self.token:
            return  # an answer to an older keystroke
        self.plan = message.plan
        self.query_one("#verdict", Static).update(verdict_text(message.plan, message.error))
        allowed = message.plan is not None and message.plan.verdict.allowed
        self.query_one("#confirm", Button).disabled = not allowed

    @on(Input.Submitted, "#target")
    @on(Input.Submitted, "#reason")
    def focus_next_field(self) -> None:
        self.focus_next()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#confirm")
    def confirm(self) -> None:
        self.dismiss(
            ScaleRequest(
                group=self.group.name,
                target=self.query_one("#target", Input).value.strip(),
                reason=self.query_one("#reason", Input).value.strip(),
                honor_cooldown=self.query_one("#honor", Checkbox).value,
            )
        )
