"""The rule editor: a group's rules; add, edit, delete, enable/disable; the plan before applying.

A form is generated from the rule kind's schema (one field per input, values written as TOML).
As you type, the form is validated by the core exactly as a rules file is (``loads_rules``), so
the messages are the core's. Every edit becomes the group's whole wanted rule set, planned by the
Console (what changes at the provider, what it cannot express), shown, and applied only on
confirmation, through the Console.
"""

from __future__ import annotations

import json
import re
import tomllib
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, cast

import tomli_w
from pydantic import BaseModel
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from scalectl.core.errors import InputError
from scalectl.core.plan import RulePlan
from scalectl.core.provider import AnyRule
from scalectl.core.rules import (
    RULE_KINDS,
    PredictiveRule,
    ScheduledRule,
    SimpleRule,
    StepRule,
    TargetTrackingRule,
)
from scalectl.core.rulesfile import loads_rules
from scalectl.i18n import t
from scalectl.tui import fmt
from scalectl.tui.keys import RULES_KEYS, bind_all
from scalectl.tui.panels import KeyedTable, Panel
from scalectl.tui.screens.whatif import WhatIfPanel

if TYPE_CHECKING:
    from scalectl.tui.app import ScalectlApp

RULE_COLUMNS = (
    ("name", "col.name"),
    ("kind", "col.kind"),
    ("enabled", "col.enabled"),
    ("summary", "col.summary"),
)
_SKIP = ("kind", "group")
_MODELS: dict[str, type[BaseModel]] = {
    "target_tracking": TargetTrackingRule,
    "step": StepRule,
    "simple": SimpleRule,
    "scheduled": ScheduledRule,
    "predictive": PredictiveRule,
}


# --- TOML values in one line ------------------------------------------------------------------


def inline(value: Any) -> str:
    """A value as an inline TOML literal (tomli_w writes lists of tables as [[tables]])."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json", exclude_none=True)
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(inline(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {inline(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value))


def parse_value(text: str) -> Any:
    """What the operator typed, as TOML; bare words (``cpu``, ``>``) are taken as strings."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def summary(rule: AnyRule) -> str:
    data = rule.model_dump(mode="json", exclude_none=True)
    keep = (
        "metric",
        "target",
        "comparison",
        "threshold",
        "adjustment",
        "cron",
        "at",
        "desired",
        "min",
        "max",
        "mode",
    )
    parts = [f"{k}={data[k]}" for k in keep if k in data]
    if "steps" in data:
        parts.append(f"steps={len(data['steps'])}")
    return " ".join(parts)


def rule_rows(rules: list[AnyRule]) -> list[tuple[str, tuple[Text, ...]]]:
    return [
        (
            r.name,
            (
                Text(r.name),
                Text(r.kind),
                Text(
                    t("yes") if r.enabled else t("no"),
                    style=fmt.style("$success" if r.enabled else "$warning"),
                ),
                Text(summary(r)),
            ),
        )
        for r in sorted(rules, key=lambda r: r.name)
    ]


def field_problem(kind: str, group: str, values: dict[str, str]) -> tuple[AnyRule | None, str, str]:
    """Validate a form through the core: (rule, "", "") or (None, field, message)."""
    data: dict[str, Any] = {"kind": kind, "group": group}
    for name, text in values.items():
        if text.strip():
            data[name] = parse_value(text.strip())
    try:
        document = tomli_w.dumps({"version": 1, "rules": [data]})
    except (TypeError, ValueError) as exc:
        return None, "", str(exc)
    try:
        ruleset = loads_rules(document, source="form")
    except InputError as exc:
        name = (exc.field or "").removeprefix("rules[0]").lstrip(".")
        return None, re.split(r"[.\[]", name)[0] if name else "", exc.detail
    return ruleset.rules[0], "", ""


# --- screens --------------------------------------------------------------------------------


class KindPicker(ModalScreen[str | None]):
    DEFAULT_CSS = """
    KindPicker { align: center middle; }
    KindPicker > Vertical { width: 40; height: auto; border: thick $primary; background: $surface; }
    KindPicker OptionList { height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(t("rules.kind"))
            yield OptionList(*(Option(kind, id=kind) for kind in RULE_KINDS))

    @on(OptionList.OptionSelected)
    def picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class RuleForm(ModalScreen[AnyRule | None]):
    """One input per field of the rule kind; checked by the core on every keystroke."""

    DEFAULT_CSS = """
    RuleForm { align: center middle; }
    RuleForm > Vertical {
        width: 96; max-width: 98%; height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    RuleForm VerticalScroll { height: 1fr; }
    RuleForm .row { height: 3; }
    RuleForm .row Label { width: 26; padding: 1 1 0 0; }
    RuleForm .row Input { width: 1fr; }
    RuleForm Input.-invalid { border: tall $error; }
    RuleForm #problem { height: auto; min-height: 1; }
    RuleForm Horizontal.buttons { height: auto; align-horizontal: right; }
    RuleForm Button { margin-left: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def __init__(self, kind: str, group: str, rule: AnyRule | None = None) -> None:
        super().__init__()
        self.kind = kind
        self.group = group
        self.rule = rule
        self.model = _MODELS[kind]
        self.fields = [n for n in self.model.model_fields if n not in _SKIP]
        self.valid: AnyRule | None = None

    def compose(self) -> ComposeResult:
        verb = t("rules.form.edit" if self.rule else "rules.form.add")
        with Vertical():
            yield Label(t("rules.form.title", verb=verb, kind=self.kind, group=self.group))
            yield Label(t("rules.form.hint"), classes="hint")
            with VerticalScroll():
                for name in self.fields:
                    info = self.model.model_fields[name]
                    value = getattr(self.rule, name, None) if self.rule else None
                    text = "" if value is None else inline(value)
                    if not self.rule and info.is_required():
                        text = ""
                    placeholder = self._placeholder(name)
                    with Horizontal(classes="row"):
                        yield Label(name + (" *" if info.is_required() else ""))
                        yield Input(value=text, placeholder=placeholder, id=f"f-{name}")
            yield Static("", id="problem")
            with Horizontal(classes="buttons"):
                yield Button(t("rules.form.cancel"), id="cancel")
                yield Button(t("rules.form.plan"), id="plan", variant="primary", disabled=True)

    def _placeholder(self, name: str) -> str:
        info = self.model.model_fields[name]
        annotation = info.annotation
        choices = getattr(annotation, "__members__", None)
        if choices:
            return " | ".join(str(m.value) for m in choices.values())
        if info.is_required():
            return ""
        default = info.get_default(call_default_factory=True)
        return "" if default is None else inline(default)

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()
        self.validate_form()

    def values(self) -> dict[str, str]:
        return {name: self.query_one(f"#f-{name}", Input).value for name in self.fields}

    @on(Input.Changed)
    def validate_form(self) -> None:
        rule, bad, message = field_problem(self.kind, self.group, self.values())
        self.valid = rule
        for name in self.fields:
            self.query_one(f"#f-{name}", Input).set_class(name == bad, "-invalid")
        problem = self.query_one("#problem", Static)
        if rule is None:
            where = f"{bad}: " if bad else ""
            problem.update(Text(where + message, style=fmt.style("bold $error")))
        else:
            problem.update(Text(t("rules.form.valid"), style=fmt.style("$success")))
        self.query_one("#plan", Button).disabled = rule is None

    @on(Button.Pressed, "#plan")
    def plan(self) -> None:
        if self.valid is not None:
            self.dismiss(self.valid)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class PlanModal(ModalScreen[bool]):
    """The Console's plan; Apply only on a writable console, and focus starts on Cancel."""

    DEFAULT_CSS = """
    PlanModal { align: center middle; }
    PlanModal > Vertical {
        width: 100; max-width: 98%; height: auto; max-height: 90%;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    PlanModal #plan-body { height: auto; max-height: 12; }
    PlanModal Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    PlanModal Button { margin-left: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", show=False),
        Binding("w", "whatif_window", show=False),
    ]

    def __init__(
        self,
        what: str,
        plan: RulePlan,
        *,
        read_only: bool,
        whatif: WhatIfPanel | None = None,
    ) -> None:
        super().__init__()
        self.what = what
        self.plan = plan
        self.read_only = read_only
        self.whatif = whatif

    def compose(self) -> ComposeResult:
        body = Text()
        if self.plan.empty:
            body.append(t("rules.plan.empty") + "\n", style="dim")
        for change in self.plan.changes:
            colour = {"create": "$success", "delete": "$error"}.get(change.kind, "$warning")
            body.append(change.describe() + "\n", style=fmt.style(colour))
        if self.plan.unsupported:
            body.append(t("rules.plan.unsupported") + "\n", style="bold")
            for item in self.plan.unsupported:
                body.append(item.describe() + "\n", style=fmt.style("$error"))
        if self.read_only:
            body.append(t("rules.plan.read_only"), style=fmt.style("bold $warning"))
        with Vertical():
            yield Label(t("rules.plan.title", what=self.what))
            with VerticalScroll(id="plan-body"):
                yield Static(body, id="plan-text")
            if self.whatif is not None:
                yield self.whatif
            with Horizontal():
                yield Button(t("rules.plan.cancel"), id="cancel")
                yield Button(
                    t("rules.plan.apply"),
                    id="apply",
                    variant="error",
                    disabled=self.read_only or self.plan.empty,
                )

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def action_whatif_window(self) -> None:
        if self.whatif is not None:
            self.whatif.next_window()

    @on(Button.Pressed, "#apply")
    def apply(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)


class RulesFileModal(ModalScreen[str | None]):
    DEFAULT_CSS = """
    RulesFileModal { align: center middle; }
    RulesFileModal > Vertical {
        width: 80; max-width: 95%; height: auto; border: thick $primary; background: $surface;
    }
    RulesFileModal Horizontal { height: auto; align-horizontal: right; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", show=False)]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(t("rules.file.title"))
            yield Input(placeholder=t("rules.file.placeholder"), id="path")
            with Horizontal():
                yield Button(t("scale.cancel"), id="cancel")
                yield Button(t("rules.file.plan"), id="plan", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#plan")
    def submit(self) -> None:
        path = self.query_one("#path", Input).value.strip()
        self.dismiss(path or None)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class RulesScreen(Screen[None]):
    """The group's rules. An edit goes: form -> wanted set -> Console plan -> confirm -> apply."""

    def __init__(self, group: str) -> None:
        super().__init__()
        bind_all(self, RULES_KEYS)
        self.group = group
        self.rules: list[AnyRule] = []

    @property
    def scalectl(self) -> ScalectlApp:
        return cast("ScalectlApp", self.app)

    def compose(self) -> ComposeResult:
        with Panel(t("rules.title", group=self.group), id="rules-panel"):
            yield KeyedTable(RULE_COLUMNS, id="rules-table")
            yield Static("", id="rules-empty")
        yield Footer()

    def on_mount(self) -> None:
        self.scalectl.frame(self)
        self.reload()

    def reload(self) -> None:
        self.scalectl.load_rules(self.group, self)

    def show_rules(self, rules: list[AnyRule], error: str) -> None:
        panel = self.query_one(Panel)
        now = self.scalectl.clock()
        if error:
            panel.mark(now, error=error, ok=False)
            return
        self.rules = [r for r in rules if r.group == self.group]
        self.query_one(KeyedTable).sync(rule_rows(self.rules))
        self.query_one("#rules-empty", Static).update(
            "" if self.rules else t("rules.none", group=self.group)
        )
        panel.mark(now)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.scalectl.check_action(action, parameters)

    def selected(self) -> AnyRule | None:
        key = self.query_one(KeyedTable).current_key
        return next((r for r in self.rules if r.name == key), None)

    def propose(self, wanted: list[AnyRule], what: str) -> None:
        # The plan dialog replays the current and the wanted rules on the group's history.
        whatif = WhatIfPanel(self.group, list(self.rules), wanted)
        self.scalectl.plan_rules_for(self.group, wanted, what, on_done=self.reload, whatif=whatif)

    def action_add(self) -> None:
        def picked(kind: str | None) -> None:
            if kind:
                self.app.push_screen(RuleForm(kind, self.group), self._formed(None))

        self.app.push_screen(KindPicker(), picked)

    def _formed(self, old: AnyRule | None) -> Any:
        def done(rule: AnyRule | None) -> None:
            if rule is None:
                return
            others = [r for r in self.rules if old is None or r.name != old.name]
            others = [r for r in others if r.name != rule.name]
            self.propose([*others, rule], f"{self.group}/{rule.name}")

        return done

    def action_edit(self) -> None:
        rule = self.selected()
        if rule is None:
            self.notify(t("rules.no_rule"), severity="warning")
            return
        self.app.push_screen(RuleForm(rule.kind, self.group, rule), self._formed(rule))

    def action_delete(self) -> None:
        rule = self.selected()
        if rule is None:
            self.notify(t("rules.no_rule"), severity="warning")
            return
        self.propose(
            [r for r in self.rules if r.name != rule.name],
            t("rules.confirm_delete", name=rule.name),
        )

    def action_toggle_rule(self) -> None:
        rule = self.selected()
        if rule is None:
            self.notify(t("rules.no_rule"), severity="warning")
            return
        flipped = rule.model_copy(update={"enabled": not rule.enabled})
        wanted = [flipped if r.name == rule.name else r for r in self.rules]
        self.propose(
            wanted, t("rules.toggle_to", name=rule.name, value=str(flipped.enabled).lower())
        )
