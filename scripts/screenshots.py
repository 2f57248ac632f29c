"""Render SVG screenshots of the main TUI screens from the sim into screenshots/.

The world is the shop at seed 42, paused at its start clock (speed 0), in a throw-away
SCALECTL_HOME, and the data-age clock is fixed: the same code gives the same pictures.

    uv run python scripts/screenshots.py [--out screenshots] [--size 140x40]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

ROOT = Path(__file__).resolve().parents[1]
CONFIG = """\
default_profile = "sim"

[profiles.sim]
provider = "sim"
speed = 0

[profiles.prod]
provider = "sim"
speed = 0
read_only = true
accent = "red"
"""

Scene = Callable[[Pilot[Any]], Awaitable[None]]


async def until(pilot: Pilot[Any], predicate: Callable[[], bool]) -> None:
    for _ in range(500):
        if predicate():
            return
        await pilot.pause(0.02)
    raise RuntimeError("the app did not reach the expected state")


async def ready(pilot: Pilot[Any]) -> None:
    app: Any = pilot.app
    await until(pilot, lambda: app.snapshot is not None and app.chart is not None)
    await pilot.pause()


async def scale(pilot: Pilot[Any]) -> None:
    from scalectl.tui.screens.scale import ScaleModal

    await ready(pilot)
    await pilot.press("s")
    await until(pilot, lambda: isinstance(pilot.app.screen, ScaleModal))
    modal: Any = pilot.app.screen
    modal.query_one("#target", Input).value = "+4"
    modal.query_one("#reason", Input).value = "flash sale at 20:00"
    await until(pilot, lambda: modal.plan is not None)
    await pilot.pause()


async def rules(pilot: Pilot[Any]) -> None:
    from scalectl.tui.panels import KeyedTable
    from scalectl.tui.screens.rules import PlanModal, RulesScreen
    from scalectl.tui.screens.whatif import WhatIfPanel

    await ready(pilot)
    await pilot.press("r")
    await until(pilot, lambda: isinstance(pilot.app.screen, RulesScreen))
    table = pilot.app.screen.query_one(KeyedTable)
    await until(pilot, lambda: "cpu-55" in table.keys)
    table.move_cursor(row=table.keys.index("cpu-55"))
    await pilot.press("space")
    await until(pilot, lambda: isinstance(pilot.app.screen, PlanModal))
    whatif = pilot.app.screen.query_one(WhatIfPanel)
    await until(pilot, lambda: whatif.has_class("-ready"))  # the what-if replay is drawn
    await pilot.pause()


async def detail(pilot: Pilot[Any]) -> None:
    from scalectl.tui.screens.detail import GroupDetailScreen

    await ready(pilot)
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(pilot.app.screen, GroupDetailScreen))
    screen: Any = pilot.app.screen
    await until(pilot, lambda: screen.group is not None)
    await pilot.pause()


# name -> (profile, monitor, language, theme, scene)
SHOTS: dict[str, tuple[str, bool, str, str, Scene]] = {
    "dashboard": ("sim", False, "en", "scalectl-dark", ready),
    "dashboard-zh": ("sim", False, "zh", "scalectl-dark", ready),
    "dashboard-light": ("sim", False, "en", "scalectl-light", ready),
    "monitor-production": ("prod", True, "en", "scalectl-high-contrast", ready),
    "scale": ("sim", False, "en", "scalectl-dark", scale),
    "rules-plan": ("sim", False, "en", "scalectl-dark", rules),
    "group-detail": ("sim", False, "en", "scalectl-dark", detail),
}


async def shoot(name: str, out: Path, size: tuple[int, int]) -> Path:
    from scalectl.config import load_settings, pick_profile, resolve_paths
    from scalectl.connect import open_console
    from scalectl.i18n import set_lang
    from scalectl.tui.app import ScalectlApp
    from scalectl.tui.keys import Mode

    profile_name, monitor, lang, theme, scene = SHOTS[name]
    set_lang(lang)
    paths = resolve_paths()
    profile = pick_profile(load_settings(paths), profile_name, read_only=monitor)
    app = ScalectlApp(
        console=open_console(profile, paths),
        profile_name=profile.name,
        provider=profile.provider,
        region=profile.region,
        mode=Mode.MONITOR if monitor else Mode.NORMAL,
        accent=profile.accent,
        interval=3600.0,
        theme=theme,
        clock=lambda: 1000.0,
    )
    async with app.run_test(size=size) as pilot:
        await scene(pilot)
        svg = app.export_screenshot(title=f"scalectl · {name}")
    path = out / f"{name}.svg"
    path.write_text(svg, encoding="utf-8")
    app.core.reader.close()
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--size", default="140x40", help="COLUMNSxROWS")
    parser.add_argument("names", nargs="*", help=f"default: all of {', '.join(SHOTS)}")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in SHOTS]
    if unknown:
        parser.error(f"unknown screenshot {unknown[0]!r} (known: {', '.join(SHOTS)})")
    width, height = (int(n) for n in args.size.lower().split("x"))
    args.out.mkdir(parents=True, exist_ok=True)
    # Input's cursor blinks on a timer: stop it so a capture never lands mid-blink.
    Input._toggle_cursor = lambda self: None  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory(prefix="scalectl-shots-") as home:
        os.environ["SCALECTL_HOME"] = home
        os.environ.pop("SCALECTL_CONFIG", None)
        Path(home, "config.toml").write_text(CONFIG, encoding="utf-8")
        for name in args.names or list(SHOTS):
            # Each picture starts from the same fresh world (a scale shot must not leak).
            for state in Path(home).glob("state/*"):
                state.unlink()
            path = asyncio.run(shoot(name, args.out, (width, height)))
            print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
