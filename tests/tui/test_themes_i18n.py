"""Themes as files (built-in and user), the accent frame, and the two complete languages."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.color import Color
from textual.widgets import Static

from scalectl.i18n import EN, ZH, resolve_lang, t
from scalectl.tui.app import ScalectlApp
from scalectl.tui.keys import Mode
from scalectl.tui.panels import KeyedTable
from scalectl.tui.themes import builtin_dirs, load_theme
from tests.tui.conftest import wait_for_data

SOURCES = Path(__file__).resolve().parents[2] / "scalectl"


def test_builtin_themes_are_valid_files() -> None:
    names = {load_theme(p).name for p in builtin_dirs()[0].glob("*.toml")}
    assert {"scalectl-dark", "scalectl-light", "scalectl-high-contrast"} <= names


def test_a_broken_theme_names_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nprimary = "#12345"\n')
    with pytest.raises(ValueError):
        load_theme(bad)
    bad.write_text('name = "x"\nprimary = "#123456"\ncolour = "red"\n')
    with pytest.raises(ValueError, match="unknown key 'colour'"):
        load_theme(bad)


async def test_user_themes_load_and_the_palette_switches(
    make_app: Callable[..., ScalectlApp], paused_sim: Path
) -> None:
    themes = paused_sim / "themes"
    themes.mkdir()
    (themes / "night.toml").write_text('name = "night-ops"\nprimary = "#884488"\n')
    (themes / "broken.toml").write_text("name = \n")
    app = make_app()
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        await wait_for_data(pilot)
        assert "night-ops" in app.available_themes
        assert any("broken.toml" in n.message for n in app._notifications)
        assert app.theme == "scalectl-dark"
        await pilot.press("t")
        assert app.theme == "scalectl-light"
        command = next(
            c
            for c in app.get_system_commands(app.screen)
            if c.title == "Theme: scalectl-high-contrast"
        )
        command.callback()
        assert app.theme == "scalectl-high-contrast"


async def test_the_profile_accent_frames_the_screen(make_app: Callable[..., ScalectlApp]) -> None:
    app = make_app(accent="red", read_only=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        kind, colour = app.screen.styles.border.top
        assert kind == "heavy" and colour == Color.parse("red")
        assert "[READ-ONLY]" in str(app.query_one("#header", Static).render())


def test_both_languages_are_complete() -> None:
    assert set(EN) == set(ZH)
    for key, text in EN.items():
        fields = set(re.findall(r"{(\w+)", text))
        assert fields == set(re.findall(r"{(\w+)", ZH[key])), key


def test_every_key_the_code_uses_exists() -> None:
    used: set[str] = set()
    for path in SOURCES.glob("tui/**/*.py"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_.]+)["']""", text))
        used |= set(re.findall(r"""["']((?:key|panel|col)\.[a-z_.]+)["']""", text))
    missing = sorted(k for k in used if k not in EN)
    assert not missing


def test_lang_comes_from_option_then_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    assert resolve_lang(None) == "en"
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert resolve_lang(None) == "zh"
    assert resolve_lang("en") == "en"
    assert resolve_lang("zh-CN") == "zh"


async def test_chinese_ui_aligns_by_terminal_cells(make_app: Callable[..., ScalectlApp]) -> None:
    app = make_app(lang="zh", mode=Mode.MONITOR)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for_data(pilot)
        assert t("panel.alarms") == "告警"
        assert "[只读]" in str(app.query_one("#header", Static).render())
        alarms = app.query_one("#alarms", KeyedTable)
        for column in alarms.columns.values():
            cells = [alarms.get_cell(row, column.key).cell_len for row in alarms.keys]
            # the column is as wide as its widest cell, counted in terminal cells (CJK = 2)
            assert column.content_width >= max([cell_len(column.label.plain), *cells])
        lines = app.export_screenshot()
        assert "告警" in lines
