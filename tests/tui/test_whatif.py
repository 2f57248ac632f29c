"""What-if in the rule editor: the plan dialog replays the current and the edited rules on the
group's history (the core's backtest) and shows them side by side; w changes the window."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from rich.console import Console
from textual.widgets import Static

from scalectl.tui.app import ScalectlApp
from scalectl.tui.panels import KeyedTable
from scalectl.tui.screens.rules import PlanModal, RulesScreen
from scalectl.tui.screens.whatif import WhatIfPanel
from scalectl.tui.whatif import WhatIf, comparison_rows, run_whatif
from tests.tui.conftest import open_sim_console, wait_for, wait_for_data


async def test_plan_dialog_shows_the_backtest_of_the_edit(
    make_app: Callable[..., ScalectlApp],
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_data(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RulesScreen), "rules screen")
        table = app.screen.query_one(KeyedTable)
        await wait_for(pilot, lambda: "cpu-55" in table.keys, "web's rules")
        table.move_cursor(row=table.keys.index("cpu-55"))
        await pilot.press("space")  # disable web's target-tracking rule
        await wait_for(pilot, lambda: isinstance(app.screen, PlanModal), "plan")
        panel = app.screen.query_one(WhatIfPanel)
        await wait_for(pilot, lambda: isinstance(panel.result, WhatIf), "what-if replayed")
        shown = panel.result
        assert isinstance(shown, WhatIf) and shown.window == timedelta(hours=24)
        # the same replay, made outside the TUI from the sim's own rules
        reader = open_sim_console(read_only=True).reader
        current = [r for r in reader.list_rules("web")]
        edited = [
            r.model_copy(update={"enabled": False}) if r.name == "cpu-55" else r for r in current
        ]
        expected = run_whatif(reader, "web", current, edited, timedelta(hours=24))
        assert comparison_rows(shown) == comparison_rows(expected)
        assert 1300 <= shown.minutes <= 1441
        # without its target-tracking rule, web no longer follows the wave
        assert shown.current.scale_outs > shown.edited.scale_outs
        rendered = Console(width=100, record=True)
        rendered.print(panel.query_one("#whatif-body", Static).content)
        body = rendered.export_text()
        assert "instance-hours" in body and f"{shown.current.instance_hours:.1f}" in body
        await pilot.press("w")
        await wait_for(
            pilot,
            lambda: isinstance(panel.result, WhatIf) and panel.result.window == timedelta(hours=6),
            "6 h what-if",
        )
        assert isinstance(panel.result, WhatIf) and panel.result.minutes <= 361
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, RulesScreen), "back, nothing applied")
        assert next(r for r in reader.list_rules("web") if r.name == "cpu-55").enabled
