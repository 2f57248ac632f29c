"""The Console over the real sim provider: guardrails, read-only, audit of every attempt."""

from __future__ import annotations

from pathlib import Path

import pytest

from scalectl.config import load_settings, pick_profile, resolve_paths
from scalectl.connect import open_console
from scalectl.core.console import Console
from scalectl.core.errors import RefusedError
from scalectl.core.provider import WRITE_OPERATIONS
from scalectl.core.rules import SimpleRule

pytestmark = pytest.mark.usefixtures("paused_sim")


def console(read_only: bool = False) -> Console:
    paths = resolve_paths()
    return open_console(pick_profile(load_settings(paths), None, read_only=read_only), paths)


def test_read_only_console_holds_no_writer() -> None:
    c = console(read_only=True)
    assert c._writer is None
    with pytest.raises(ValueError, match="without a provider writer"):
        Console(
            profile="x",
            reader=c.reader,
            writer=object(),  # type: ignore[arg-type]
            audit=c.audit,
            actor=c.actor,
            read_only=True,
        )


def test_every_mutation_is_refused_read_only_and_audited(home: Path) -> None:
    c = console(read_only=True)
    rule = SimpleRule(
        name="x",
        group="web",
        comparison=">",
        threshold=80,  # type: ignore[arg-type]
        adjustment=1,
    )
    attempts = {
        "set_desired": lambda: c.scale("web", "+1", confirmed=True),
        "set_bounds": lambda: c.set_bounds(
            "web", min_size=1, max_size=9, desired=None, confirmed=True
        ),
        "put_rule": lambda: c.put_rule(rule, confirmed=True),
        "delete_rule": lambda: c.delete_rule("web", "x", confirmed=True),
        "execute_rule": lambda: c.execute_rule("web", "x", confirmed=True),
        "suspend": lambda: c.suspend("web", confirmed=True),
        "resume": lambda: c.resume("web", confirmed=True),
    }
    assert set(attempts) == set(WRITE_OPERATIONS)
    before = c.reader.get_group("web")
    for name, attempt in attempts.items():
        with pytest.raises(RefusedError) as err:
            attempt()
        assert err.value.rule == "read_only", name
    assert c.reader.get_group("web") == before
    results = [e["result"] for e in c.audit.entries()]
    assert results == ["refused"] * len(attempts)


def test_scale_plan_previews_the_rules_reaction() -> None:
    c = console()
    group = c.reader.get_group("web")
    plan = c.plan_scale("web", str(min(group.max, group.desired + 6)))
    assert plan.verdict.allowed
    assert any("target tracking" in line for line in plan.preview), plan.preview


def test_unconfirmed_scale_is_refused_and_changes_nothing() -> None:
    c = console()
    before = c.reader.get_group("web").desired
    with pytest.raises(RefusedError) as err:
        c.scale("web", "+1", confirmed=False)
    assert err.value.rule == "confirmation"
    assert c.reader.get_group("web").desired == before


def test_scale_applies_and_is_audited() -> None:
    c = console()
    before = c.reader.get_group("web").desired
    plan, _result = c.scale("web", "+2", confirmed=True, reason="sale")
    assert c.reader.get_group("web").desired == before + 2 == plan.desired
    entry = list(c.audit.entries())[-1]
    assert entry["result"] == "ok" and entry["before"]["desired"] == before
    assert entry["reason"] == "sale"
    assert c.audit.verify().ok
