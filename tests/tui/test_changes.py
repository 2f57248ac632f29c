"""Changes through the TUI: manual scale and the rule editor, through the Console, on the sim."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.widgets import Button, Input, Static

from scalectl.core.rules import TargetTrackingRule
from scalectl.tui.app import ScalectlApp
from scalectl.tui.panels import KeyedTable
from scalectl.tui.screens.rules import KindPicker, PlanModal, RuleForm, RulesScreen
from scalectl.tui.screens.scale import ScaleModal
from tests.tui.conftest import open_sim_console, wait_for, wait_for_data


def desired(group: str) -> int:
    return open_sim_console(read_only=True).reader.get_group(group).desired


async def test_scale_modal_starts_on_cancel_and_shows_the_verdict_live(
    make_app: Callable[..., ScalectlApp],
) -> None:
    start = desired("web")
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ScaleModal), "scale modal")
        modal = app.screen
        assert isinstance(modal, ScaleModal)
        assert modal.focused is modal.query_one("#cancel", Button)
        confirm = modal.query_one("#confirm", Button)
        modal.query_one("#target", Input).focus()
        await pilot.press("9", "9", "9")
        await wait_for(pilot, lambda: modal.plan is not None, "verdict for 999")
        verdict = str(modal.query_one("#verdict", Static).render())
        assert "refused (bounds)" in verdict and "above web's max 40" in verdict
        assert confirm.disabled
        await pilot.press("backspace", "backspace", "backspace", "+", "2")
        await wait_for(
            pilot, lambda: modal.plan is not None and modal.plan.desired == start + 2, "+2"
        )
        verdict = str(modal.query_one("#verdict", Static).render())
        assert f"allowed: web {start} → {start + 2}" in verdict
        assert "target tracking cpu-55 will scale back" in verdict  # the conflict preview
        assert not confirm.disabled
        await pilot.press("escape")
        assert desired("web") == start  # cancel changes nothing


async def test_scale_goes_through_the_console_to_the_sim(
    make_app: Callable[..., ScalectlApp],
) -> None:
    start = desired("web")
    app = make_app()
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        await wait_for_data(pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ScaleModal), "scale modal")
        modal = app.screen
        assert isinstance(modal, ScaleModal)
        modal.query_one("#target", Input).value = "+2"
        modal.query_one("#reason", Input).value = "peak test"
        await wait_for(pilot, lambda: modal.plan is not None, "verdict")
        await pilot.click("#confirm")
        await wait_for(pilot, lambda: desired("web") == start + 2, "the sim has the new desired")
        await wait_for(
            pilot,
            lambda: any(
                f"web: {start} → {start + 2} requested" in n.message for n in app._notifications
            ),
            "toast",
        )
        activity = app.query_one("#activity", KeyedTable)
        await wait_for(
            pilot,
            lambda: (
                bool(activity.keys)
                and f"{start} → {start + 2}" in str(activity.get_row(activity.keys[0])[3])
            ),
            "the new activity on top of the activity panel",
        )


async def test_rule_toggle_shows_the_plan_and_applies_it(
    make_app: Callable[..., ScalectlApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RulesScreen), "rules screen")
        screen = app.screen
        assert isinstance(screen, RulesScreen)
        table = screen.query_one(KeyedTable)
        await wait_for(pilot, lambda: "cpu-55" in table.keys, "web's rules")
        table.move_cursor(row=table.keys.index("cpu-55"))
        table.focus()
        await pilot.press("space")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanModal), "plan")
        plan_modal = app.screen
        assert isinstance(plan_modal, PlanModal)
        text = str(plan_modal.query_one("#plan-text", Static).render())
        assert "~ modify rule web/cpu-55: enabled True -> False" in text
        assert plan_modal.focused is plan_modal.query_one("#cancel", Button)
        await pilot.click("#apply")
        reader = open_sim_console(read_only=True).reader
        await wait_for(
            pilot,
            lambda: not next(r for r in reader.list_rules("web") if r.name == "cpu-55").enabled,
            "rule disabled at the sim",
        )
        await wait_for(pilot, lambda: str(table.get_row("cpu-55")[2]) == "no", "table updated")


async def test_rule_form_validates_with_the_core_and_adds_a_rule(
    make_app: Callable[..., ScalectlApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RulesScreen), "rules screen")
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, KindPicker), "kind picker")
        await pilot.press("enter")  # target_tracking is first
        await wait_for(pilot, lambda: isinstance(app.screen, RuleForm), "form")
        form = app.screen
        assert isinstance(form, RuleForm)
        problem = form.query_one("#problem", Static)
        assert "required field is missing" in str(problem.render())
        form.query_one("#f-name", Input).value = "mem-70"
        form.query_one("#f-metric", Input).value = "memory"
        form.query_one("#f-target", Input).value = "-5"
        await pilot.pause()
        assert "target: must be greater than 0" in str(problem.render())
        assert form.query_one("#f-target", Input).has_class("-invalid")
        assert form.query_one("#plan", Button).disabled
        form.query_one("#f-target", Input).value = "70"
        form.query_one("#f-metric", Input).value = "mem"
        await pilot.pause()
        assert "unknown metric 'mem'" in str(problem.render())
        form.query_one("#f-metric", Input).value = "memory"
        await pilot.pause()
        assert str(problem.render()) == "valid"
        await pilot.click("#plan")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanModal), "plan")
        text = str(app.screen.query_one("#plan-text", Static).render())
        assert "+ create target_tracking rule web/mem-70" in text
        await pilot.click("#apply")
        reader = open_sim_console(read_only=True).reader
        await wait_for(
            pilot, lambda: any(r.name == "mem-70" for r in reader.list_rules("web")), "created"
        )
        rule = next(r for r in reader.list_rules("web") if r.name == "mem-70")
        assert (
            isinstance(rule, TargetTrackingRule) and rule.target == 70 and rule.metric == "memory"
        )


async def test_the_same_plan_from_a_toml_file(
    make_app: Callable[..., ScalectlApp], tmp_path: Path
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(
        'version = 1\n[[rules]]\nname = "cpu-40"\ngroup = "worker"\nkind = "target_tracking"\n'
        "target = 40\n"
    )
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("R")
        await pilot.press(*str(rules))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanModal), "plan from file")
        text = str(app.screen.query_one("#plan-text", Static).render())
        assert "+ create target_tracking rule worker/cpu-40" in text
        assert "- delete simple rule worker/" in text  # the file converges worker's rules


async def test_a_broken_rules_file_is_one_line_naming_file_and_line(
    make_app: Callable[..., ScalectlApp], tmp_path: Path
) -> None:
    rules = tmp_path / "bad.toml"
    rules.write_text('version = 1\n[[rules]]\nname = "x"\ngroup = "web"\nkind = "nope"\n')
    app = make_app()
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        await wait_for_data(pilot)
        app.file_chosen(str(rules))
        await wait_for(pilot, lambda: bool(app._notifications), "error toast")
        message = next(iter(app._notifications)).message
        assert f"{rules}:5" in message and "unknown rule kind 'nope'" in message
        assert "\n" not in message


async def test_rule_delete_plans_the_delete_and_applies_it(
    make_app: Callable[..., ScalectlApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        app.select("worker")
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RulesScreen), "rules screen")
        table = app.screen.query_one(KeyedTable)
        await wait_for(pilot, lambda: "cpu-high-add-2" in table.keys, "worker's rules")
        table.move_cursor(row=table.keys.index("cpu-high-add-2"))
        await pilot.press("d")
        await wait_for(pilot, lambda: isinstance(app.screen, PlanModal), "plan")
        text = str(app.screen.query_one("#plan-text", Static).render())
        assert text.strip() == "- delete simple rule worker/cpu-high-add-2"
        await pilot.click("#apply")
        reader = open_sim_console(read_only=True).reader
        await wait_for(
            pilot,
            lambda: all(r.name != "cpu-high-add-2" for r in reader.list_rules("worker")),
            "deleted at the sim",
        )
        await wait_for(pilot, lambda: "cpu-high-add-2" not in table.keys, "gone from the table")
        assert "cpu-low-remove-1" in table.keys
