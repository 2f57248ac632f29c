"""Issue 8, point 5: every mutating operation is refused for a read-only profile and in `monitor`,
whichever way it is reached: the Console (one call per provider writer operation), the CLI, and
the TUI (every mutating key, the command palette, and a forged scale request message)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from scalectl.config import load_settings, pick_profile, resolve_paths
from scalectl.connect import open_console
from scalectl.core.audit import AuditLog
from scalectl.core.console import Console
from scalectl.core.errors import RefusedError
from scalectl.core.plan import RulePlan
from scalectl.core.provider import WRITE_OPERATIONS
from scalectl.core.rules import TargetTrackingRule
from scalectl.tui.app import ScalectlApp
from scalectl.tui.keys import MUTATING_ACTIONS, Mode
from scalectl.tui.screens.scale import ScaleRequest
from tests.cli.helpers import run
from tests.reliability.worlds import PROVIDERS, Served, serve
from tests.tui.conftest import wait_for, wait_for_data

RULE = TargetTrackingRule(name="ro-probe", group="web", target=50.0)
# Each provider writer operation, reached through the Console's public API.
THROUGH_CONSOLE: dict[str, Callable[[Console], Any]] = {
    "set_desired": lambda c: c.scale("web", "+1", confirmed=True),
    "set_bounds": lambda c: c.set_bounds("web", min_size=1, max_size=9, desired=2, confirmed=True),
    "put_rule": lambda c: c.put_rule(RULE, confirmed=True),
    "delete_rule": lambda c: c.delete_rule("web", "ro-probe", confirmed=True),
    "execute_rule": lambda c: c.execute_rule("web", "ro-probe", confirmed=True),
    "suspend": lambda c: c.suspend("web", confirmed=True),
    "resume": lambda c: c.resume("web", confirmed=True),
}
CHECKED: set[str] = set()  # "provider:operation" pairs proved refused (the README figure)


def test_every_writer_operation_has_a_console_path() -> None:
    assert set(THROUGH_CONSOLE) == set(WRITE_OPERATIONS)


@pytest.fixture(params=PROVIDERS)
def served(request: Any, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    with serve(request.param, home, monkeypatch) as world:
        yield world


def _ro_profile(served: Served) -> str:
    return f"{served.provider}-ro"


def _state() -> dict[str, Any]:
    paths = resolve_paths()
    console = open_console(pick_profile(load_settings(paths), "sim", read_only=True), paths)
    try:
        groups = {
            g.name: (g.min, g.max, g.desired, g.suspended) for g in console.reader.list_groups()
        }
        return {"groups": groups, "rules": sorted(r.name for r in console.reader.list_rules())}
    finally:
        console.reader.close()


def test_read_only_console_refuses_every_operation(served: Served) -> None:
    paths = resolve_paths()
    profile = pick_profile(load_settings(paths), _ro_profile(served), read_only=True)
    console = open_console(profile, paths)
    assert console._writer is None  # nothing to reach, whatever a UI does
    before = _state()
    for name, call in THROUGH_CONSOLE.items():
        with pytest.raises(RefusedError) as refused:
            call(console)
        assert refused.value.rule == "read_only", (name, refused.value)
        CHECKED.add(f"{served.provider}:{name}")
    plan = RulePlan(changes=(), unsupported=(), groups=("web",))
    with pytest.raises(RefusedError):
        console.apply_plan(plan, confirmed=True)
    assert _state() == before
    results = [e["result"] for e in AuditLog(paths.audit_log).entries()]
    assert results and set(results) == {"refused"}  # refused attempts are audited too


def test_a_read_only_console_cannot_be_built_with_a_writer(paused_sim: Path) -> None:
    paths = resolve_paths()
    writable = open_console(pick_profile(load_settings(paths), "sim"), paths)
    with pytest.raises(ValueError):
        Console(
            profile="sim",
            reader=writable.reader,
            writer=writable._writer,
            audit=writable.audit,
            actor=writable.actor,
            read_only=True,
        )


def test_cli_refuses_every_mutating_command(
    served: Served, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(
        'version = 1\n[[rules]]\nname = "ro-probe"\ngroup = "web"\nkind = "simple"\n'
        'comparison = ">"\nthreshold = 97.0\nevaluation_periods = 3\nadjustment = 1\n'
    )
    before = _state()
    ro = _ro_profile(served)
    writable = served.provider
    commands = [
        ("scale", "web", "--to", "7", "--yes"),
        ("scale", "web", "--by", "+1", "--yes"),
        ("rules", "apply", "-f", str(rules), "--yes"),
    ]
    for argv in commands:
        for prefix in (("--profile", ro), ("--profile", writable, "--read-only")):
            result = run(capsys, *prefix, *argv)
            assert result.code == 3, (prefix, argv, result.err)
            assert "read-only" in result.err
    assert _state() == before


# -- the TUI in monitor mode -----------------------------------------------------------------------


async def test_monitor_refuses_keys_palette_and_forged_messages(paused_sim: Path) -> None:
    from textual.widgets import Input

    Input._toggle_cursor = lambda self: None  # type: ignore[method-assign]
    paths = resolve_paths()
    console = open_console(pick_profile(load_settings(paths), "sim", read_only=True), paths)
    app = ScalectlApp(
        console=console,
        profile_name="sim",
        provider="sim",
        region="sim-local-1",
        mode=Mode.MONITOR,
        interval=3600.0,
        clock=lambda: 1000.0,
    )
    before = _state()
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        # Every mutating action is disabled, by key and through run_action (the palette's path).
        for action in sorted(MUTATING_ACTIONS):
            assert app.check_action(action, ()) is False, action
            await app.run_action(action)
        for key in ("s", "r", "R", "a", "e", "d", "space", "f"):
            await pilot.press(key)
        await pilot.pause()
        assert app.screen is app.main  # no scale or rules screen opened
        # A forged request, as if a modal had been tricked into returning one.
        app.scale_requested(ScaleRequest("web", "+3", "forged", False))
        await wait_for(
            pilot,
            lambda: any(e["result"] == "refused" for e in AuditLog(paths.audit_log).entries()),
            "the forged request refused and audited",
        )
    assert _state() == before
    assert {e["result"] for e in AuditLog(paths.audit_log).entries()} == {"refused"}


def test_zz_report_operations_checked() -> None:
    if CHECKED:
        print(f"\nread-only operations checked: {len(CHECKED)} (provider x writer operation)")
