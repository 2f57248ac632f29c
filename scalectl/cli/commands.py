"""The ``scalectl`` command line (click): nouns, then verbs; no command opens the TUI.

Subcommands live in their own modules and are imported only when used (a lazy group), so
``scalectl --version`` imports click and nothing else of weight, and no command imports Textual
or a cloud SDK it does not use. Errors become one line on stderr and an exit code (ExitCode).
"""

from __future__ import annotations

import sys
from importlib import import_module

import click

from scalectl import __version__

# name -> "module:attribute", imported on first use.
COMMANDS: dict[str, str] = {
    "groups": "scalectl.cli.cmd_read:groups",
    "balancers": "scalectl.cli.cmd_read:balancers",
    "alarms": "scalectl.cli.cmd_read:alarms",
    "activity": "scalectl.cli.cmd_read:activity",
    "metrics": "scalectl.cli.cmd_read:metrics",
    "scale": "scalectl.cli.cmd_scale:scale",
    "rules": "scalectl.cli.cmd_rules:rules",
    "audit": "scalectl.cli.cmd_admin:audit",
    "profiles": "scalectl.cli.cmd_admin:profiles",
    "info": "scalectl.cli.cmd_admin:info",
    "monitor": "scalectl.cli.cmd_tui:monitor",
    "tui": "scalectl.cli.cmd_tui:tui",
    "sim": "scalectl.cli.cmd_sim:sim",
    "backtest": "scalectl.cli.cmd_foresight:backtest",
    "forecast": "scalectl.cli.cmd_foresight:forecast",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attribute = target.split(":")
        command: click.Command = getattr(import_module(module), attribute)
        return command


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="scalectl")
@click.option(
    "--profile",
    "profile",
    metavar="NAME",
    help="Profile from the config (default: its default_profile, else sim).",
)
@click.option(
    "-o",
    "--output",
    type=click.Choice(["table", "json", "yaml"]),
    default="table",
    show_default=True,
    help="Output format for data.",
)
@click.option(
    "--read-only", is_flag=True, help="Open the profile read-only: every change is refused."
)
@click.option(
    "--config",
    "config",
    metavar="FILE",
    help="Config file (else $SCALECTL_CONFIG, else config.toml in the config dir).",
)
@click.option("--lang", metavar="LANG", help="Language of the TUI: en or zh (else $LANG).")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
@click.pass_context
def cli(
    ctx: click.Context,
    profile: str | None,
    output: str,
    read_only: bool,
    config: str | None,
    lang: str | None,
    debug: bool,
) -> None:
    """scalectl: a terminal console for cloud autoscaling.

    Bare `scalectl` opens the TUI on the default profile (the embedded simulated shop).
    """
    from scalectl.cli.context import AppContext

    ctx.obj = AppContext(
        profile_name=profile,
        output=output,
        read_only=read_only,
        config=config,
        lang=lang,
        debug=debug,
    )
    if ctx.invoked_subcommand is None:
        from scalectl.cli.start_tui import run_tui

        run_tui(ctx.obj, monitor=False)


def run(args: list[str]) -> None:
    """Run the command line; its errors become one line and an exit code."""
    from scalectl.cli.main import report

    debug = "--debug" in args
    try:
        cli.main(args=args, prog_name="scalectl", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.Abort:
        click.echo("error: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if exc.exit_code in (1, 2) else exc.exit_code)
    except KeyboardInterrupt:
        click.echo("error: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:
        report(exc, debug)
