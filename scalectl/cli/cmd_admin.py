"""``audit``, ``profiles`` and ``info``: the tool's own records and settings."""

from __future__ import annotations

import sys
from typing import Any

import click

from scalectl.cli.context import AppContext
from scalectl.cli.options import global_options
from scalectl.cli.output import emit, note

pass_app = click.make_pass_decorator(AppContext)


@click.group()
def audit() -> None:
    """The audit log of every change (and every refused attempt)."""


@audit.command("list")
@click.option("--limit", type=click.IntRange(1, 100000), default=20, show_default=True)
@global_options
@pass_app
def audit_list(app: AppContext, limit: int) -> None:
    """Show the latest audit entries, newest last."""
    from scalectl.core.audit import AuditLog

    entries = list(AuditLog(app.paths.audit_log).entries())[-limit:]
    emit(
        entries,
        app.output,
        columns=[
            ("time", lambda e: str(e.get("time", ""))[:19].replace("T", " ")),
            ("actor", lambda e: (e.get("actor") or {}).get("user")),
            ("profile", lambda e: e.get("profile")),
            ("action", lambda e: e.get("action")),
            ("target", lambda e: e.get("target")),
            ("result", lambda e: e.get("result")),
            ("reason", lambda e: e.get("reason")),
        ],
    )


@audit.command("verify")
@global_options
@pass_app
def audit_verify(app: AppContext) -> None:
    """Check the hash chain; name the first line that was edited, removed or reordered."""
    from scalectl.core.audit import AuditLog
    from scalectl.core.errors import ExitCode

    report = AuditLog(app.paths.audit_log).verify()
    if app.output != "table":
        emit(
            {
                "ok": report.ok,
                "entries": report.entries,
                "line": report.line,
                "message": report.message,
            },
            app.output,
        )
    if report.ok:
        note(report.message)
        return
    click.echo(f"error: {report.message}", err=True)
    sys.exit(int(ExitCode.USAGE))


@click.group()
def profiles() -> None:
    """Profiles from the config file."""


@profiles.command("list")
@global_options
@pass_app
def profiles_list(app: AppContext) -> None:
    """List the profiles (the default is marked)."""
    settings = app.settings
    rows = [
        {
            "name": name,
            "default": name == settings.default_profile,
            "provider": p.provider,
            "region": p.region or None,
            "read_only": p.read_only,
            "endpoint": p.endpoint,
        }
        for name, p in sorted(settings.profiles.items())
    ]
    emit(rows, app.output)


@click.command()
@global_options
@pass_app
def info(app: AppContext) -> None:
    """Paths (config, state, audit log, themes) and versions."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    from scalectl import __version__

    def ver(name: str) -> str | None:
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    paths = app.paths
    data: dict[str, Any] = {
        "version": __version__,
        "python": platform.python_version(),
        "config_file": str(paths.config_file),
        "config_file_exists": paths.config_file.exists(),
        "state_dir": str(paths.state_dir),
        "audit_log": str(paths.audit_log),
        "themes_dir": str(paths.themes_dir),
        "versions": {
            name: ver(name)
            for name in (
                "click",
                "textual",
                "pydantic",
                "boto3",
                "aliyun-python-sdk-ess",
                "tencentcloud-sdk-python-autoscaling",
                "huaweicloudsdkas",
            )
        },
    }
    if app.output == "table":
        for key, value in data.items():
            if key == "versions":
                for name, v in value.items():
                    click.echo(f"{name:>38}: {v or 'not installed'}")
            else:
                click.echo(f"{key:>38}: {value}")
    else:
        emit(data, app.output)
