"""The ``scalectl`` entry point: bare ``scalectl`` opens the TUI, anything else is a command.

Bare ``scalectl`` has nothing to parse (every global option at its default), so it starts the TUI
without loading the click command line: ~10 ms of a ~0.2 s start. Every other invocation goes
through ``scalectl.cli.commands``. Errors become one line on stderr and an exit code (ExitCode).
"""

from __future__ import annotations

import sys
from typing import NoReturn


def main(argv: list[str] | None = None) -> None:
    """Console-script entry."""
    args = sys.argv[1:] if argv is None else argv
    if args:
        from scalectl.cli.commands import run

        run(args)
        return
    from scalectl.cli.context import AppContext
    from scalectl.cli.start_tui import run_tui

    try:
        # What the command line's group makes when given no option (scalectl.cli.commands.cli).
        run_tui(AppContext(None, "table", False, None, None, False), monitor=False)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:
        report(exc, debug=False)


def report(exc: BaseException, debug: bool) -> NoReturn:
    """An error as one line on stderr, and its exit code (a traceback only with --debug)."""
    from scalectl.core.errors import ExitCode, ScalectlError

    if isinstance(exc, ScalectlError):
        print(f"error: {exc}", file=sys.stderr)
        if debug:
            import traceback

            traceback.print_exception(exc)
        sys.exit(int(exc.exit_code))
    if debug:
        raise exc
    text = str(exc) or type(exc).__name__
    print(
        f"internal error: {type(exc).__name__}: {text} (run with --debug for details)",
        file=sys.stderr,
    )
    sys.exit(int(ExitCode.INTERNAL))


if __name__ == "__main__":  # pragma: no cover
    main()
