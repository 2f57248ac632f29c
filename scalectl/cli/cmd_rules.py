"""``scalectl rules``: export, validate, plan and apply portable rules (rules as code)."""

from __future__ import annotations

from pathlib import Path

import click

from scalectl.cli.confirm import confirmed
from scalectl.cli.context import AppContext
from scalectl.cli.options import global_options
from scalectl.cli.output import emit, note

pass_app = click.make_pass_decorator(AppContext)

file_option = click.option(
    "-f",
    "--file",
    "file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A rules file (TOML).",
)


@click.group()
def rules() -> None:
    """Scaling rules as code: one portable TOML format for every cloud."""


@rules.command("export")
@click.argument("group", required=False)
@click.option(
    "--bounds/--no-bounds", default=True, show_default=True, help="Include each group's min/max."
)
@global_options
@pass_app
def rules_export(app: AppContext, group: str | None, bounds: bool) -> None:
    """Print the provider's rules (all, or GROUP's) as a rules file."""
    from scalectl.core.rules import GroupBounds, RuleSet
    from scalectl.core.rulesfile import dumps_rules

    reader = app.console(read_only=True).reader
    if group:
        groups = [reader.get_group(group)]
        found = reader.list_rules(groups[0].name)
    else:
        groups = reader.list_groups()
        found = reader.list_rules()
    ruleset = RuleSet(
        bounds=[GroupBounds(group=g.name, min=g.min, max=g.max) for g in groups] if bounds else [],
        rules=sorted(found, key=lambda r: (r.group, r.name)),
    )
    if app.output == "table":
        click.echo(dumps_rules(ruleset), nl=False)
    else:
        emit(ruleset.model_dump(mode="json", exclude_none=True), app.output)


@rules.command("validate")
@file_option
@global_options
@pass_app
def rules_validate(app: AppContext, file: Path) -> None:
    """Check a rules file without contacting any provider."""
    from scalectl.core.rulesfile import load_rules

    ruleset = load_rules(file)
    note(f"{file}: ok ({len(ruleset.rules)} rules, {len(ruleset.bounds)} bounds)")


def _print_plan(app: AppContext, plan: object) -> None:
    from scalectl.core.plan import RulePlan

    assert isinstance(plan, RulePlan)
    if app.output != "table":
        emit(plan.to_dict(), app.output)
        return
    for change in plan.changes:
        click.echo(change.describe())
    for item in plan.unsupported:
        click.echo(item.describe())
    if plan.empty:
        click.echo("no changes")


@rules.command("plan")
@file_option
@global_options
@pass_app
def rules_plan(app: AppContext, file: Path) -> None:
    """Show what applying FILE would change at the provider."""
    from scalectl.core.rulesfile import load_rules

    wanted = load_rules(file)
    plan = app.console(read_only=True).plan_rules(wanted)
    _print_plan(app, plan)


@rules.command("apply")
@file_option
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (required without a TTY).")
@global_options
@pass_app
def rules_apply(app: AppContext, file: Path, yes: bool) -> None:
    """Converge the provider to FILE (running it twice changes nothing the second time)."""
    from scalectl.core.errors import ScalectlError
    from scalectl.core.rulesfile import load_rules

    wanted = load_rules(file)
    console = app.console()
    plan = console.plan_rules(wanted)
    if app.output == "table":
        _print_plan(app, plan)
    if plan.empty:
        if app.output != "table":
            emit(
                {
                    "applied": [],
                    "failed": None,
                    "unsupported": [u.to_dict() for u in plan.unsupported],
                },
                app.output,
            )
        return
    ok = confirmed(yes, f"Apply {len(plan.changes)} change(s)?")
    outcome = console.apply_plan(plan, confirmed=ok)
    if app.output != "table":
        emit(
            {
                "applied": [c.to_dict() for c in outcome.applied],
                "failed": outcome.failed.to_dict() if outcome.failed else None,
                "error": outcome.error or None,
                "unsupported": [u.to_dict() for u in plan.unsupported],
            },
            app.output,
        )
    else:
        note(f"applied {len(outcome.applied)} of {len(plan.changes)} change(s)")
    if outcome.failed is not None:
        error = ScalectlError(
            f"stopped at {outcome.failed.describe()}: {outcome.error}; "
            f"{len(outcome.applied)} change(s) applied before it; run apply "
            "again to converge"
        )
        error.exit_code = outcome.exit_code
        raise error
