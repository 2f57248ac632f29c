"""Issue 8, point 6: with canary credentials set, the CLI against every provider and the TUI never
print them: stdout, stderr, every log record (SDK loggers at DEBUG), the audit log and the
screenshots hold zero occurrences. Config files with secrets must be private; plain http only
to loopback."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scalectl.config import load_settings, pick_profile, resolve_paths
from scalectl.connect import open_console
from scalectl.tui.app import ScalectlApp
from tests.cli.helpers import run
from tests.reliability.worlds import CANARY_ID, CANARY_SECRET, PROVIDERS, Served, serve
from tests.tui.conftest import wait_for_data

CANARIES = (CANARY_ID, CANARY_SECRET)
REPO = Path(__file__).resolve().parents[2]
FOUND: list[str] = []


@pytest.fixture
def debug_logs() -> Iterator[io.StringIO]:
    """Every logger at DEBUG, SDK ones included, into one buffer."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    old = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    loggers = [logging.getLogger(n) for n in list(logging.root.manager.loggerDict)]
    levels = [(lg, lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.addHandler(handler)  # some SDK loggers do not propagate
    try:
        yield buffer
    finally:
        for lg, level, _ in levels:
            lg.setLevel(level)
            lg.removeHandler(handler)
        root.removeHandler(handler)
        root.setLevel(old)


def _scan(where: str, text: str) -> None:
    for canary in CANARIES:
        if canary in text:
            at = text.index(canary)
            FOUND.append(f"{where}: {canary[:8]}… in {text[max(0, at - 80) : at + 10]!r}")


@pytest.fixture(params=PROVIDERS)
def served(request: Any, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    monkeypatch.setenv("DEBUG", "sdk")  # Alibaba's SDK logs its requests with this
    with serve(request.param, home, monkeypatch) as world:
        yield world


def test_no_credential_in_any_output(
    served: Served, debug_logs: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = ("--profile", served.provider)
    FOUND.clear()
    commands = [
        ("groups", "list"),
        ("groups", "show", "web", "-o", "json"),
        ("balancers", "list", "-o", "yaml"),
        ("alarms", "list"),
        ("activity", "list", "web"),
        ("rules", "export"),
        ("scale", "web", "--by", "+1", "--yes"),
        ("audit", "list", "-o", "json"),
        ("info",),
        ("profiles", "list", "-o", "json"),
    ]
    if served.provider != "sim":
        served.inject("auth", count=1)  # an error path too: the failing request's details
        commands.insert(0, ("groups", "list"))
        served_auth = True
    else:
        served_auth = False
    for argv in commands:
        result = run(capsys, *profile, *argv)
        assert result.code in (0, 4), (argv, result.err)
        _scan(f"{argv} stdout", result.out)
        _scan(f"{argv} stderr", result.err)
    _scan("logs", debug_logs.getvalue())
    audit = resolve_paths().audit_log
    assert audit.exists()
    _scan("audit log", audit.read_text())
    assert debug_logs.getvalue() or served.provider == "sim"  # the logs were captured
    assert not FOUND, FOUND
    del served_auth


async def test_no_credential_in_the_tui_or_its_screenshot(
    home: Path, monkeypatch: pytest.MonkeyPatch, debug_logs: io.StringIO
) -> None:
    with serve("tencent", home, monkeypatch):
        paths = resolve_paths()
        profile = pick_profile(load_settings(paths), "tencent")
        app = ScalectlApp(
            console=open_console(profile, paths),
            profile_name="tencent",
            provider="tencent",
            region=profile.region,
            interval=3600.0,
            clock=lambda: 1000.0,
        )
        async with app.run_test(size=(160, 45)) as pilot:
            await wait_for_data(pilot)
            svg = app.export_screenshot()
    FOUND.clear()
    _scan("tui screenshot", svg)
    _scan("tui logs", debug_logs.getvalue())
    assert not FOUND, FOUND


def test_no_credential_in_the_shipped_screenshots() -> None:
    shots = sorted((REPO / "screenshots").glob("*.svg"))
    FOUND.clear()
    for shot in shots:
        text = shot.read_text(encoding="utf-8", errors="replace")
        _scan(shot.name, text)
        # Nor the fixtures' test credentials, nor anything shaped like a real access key.
        for marker in ("S3CR3T", "AKIA", "LTAI", "AKID", "test-secret", "testing-secret"):
            assert marker not in text, (shot.name, marker)
    assert not FOUND, FOUND


# -- config hygiene --------------------------------------------------------------------------------


def _load(home: Path, text: str, mode: int) -> str:
    config = home / "config.toml"
    config.write_text(text)
    config.chmod(mode)
    try:
        load_settings(resolve_paths())
    except Exception as exc:  # InputError: the message is what the user sees
        return str(exc)
    return ""


@pytest.mark.parametrize("key", ["secret_key", "access_key", "password", "token", "sk", "my_ak"])
@pytest.mark.parametrize("where", ["top", "profile"])
def test_secret_looking_config_must_be_private(home: Path, key: str, where: str) -> None:
    body = f'{key} = "x"\n' if where == "top" else f'[profiles.p]\nprovider = "sim"\n{key} = "x"\n'
    for mode in (0o644, 0o640, 0o604):
        message = _load(home, body, mode)
        assert "readable by others" in message and str(home) in message, (oct(mode), message)
        assert '"x"' not in message  # the value itself is never echoed
    private = _load(home, body, 0o600)
    assert "readable by others" not in private  # (then refused as an unknown key, by name)


def test_a_private_config_without_secrets_is_fine_world_readable(home: Path) -> None:
    assert _load(home, '[profiles.p]\nprovider = "sim"\n', 0o644) == ""


@pytest.mark.parametrize(
    ("endpoint", "ok"),
    [
        ("http://127.0.0.1:5000", True),
        ("http://127.8.9.10", True),
        ("http://localhost:8080", True),
        ("http://[::1]:5000", True),
        ("https://ess.aliyuncs.com", True),
        ("http://10.0.0.5:8080", False),
        ("http://ess.aliyuncs.com", False),
        ("http://localhost.attacker.example", False),
        ("http://127.0.0.1.nip.io", False),
        ("http://[::ffff:10.0.0.1]", False),
        ("ftp://127.0.0.1", False),
        ("file:///etc/passwd", False),
    ],
)
def test_plain_http_only_to_loopback(home: Path, endpoint: str, ok: bool) -> None:
    text = f'[profiles.p]\nprovider = "alibaba"\nendpoint = "{endpoint}"\n'
    message = _load(home, text, 0o600)
    if ok:
        assert message == ""
    else:
        assert "endpoint" in message and "config.toml:3" in message, message
