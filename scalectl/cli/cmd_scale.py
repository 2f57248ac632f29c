"""``scalectl scale``: a manual scale action through the Console's guardrails."""

from __future__ import annotations

import click

from scalectl.cli.confirm import confirmed
from scalectl.cli.context import AppContext
from scalectl.cli.options import global_options
from scalectl.cli.output import emit, note

pass_app = click.make_pass_decorator(AppContext)


@click.command()
@click.argument("group")
@click.option("--to", "to", type=int, metavar="N", help="Set the desired capacity to N.")
@click.option(
    "--by", "by", metavar="±N|±P%", help="Change the desired capacity by N (or a percent)."
)
@click.option("--reason", default="", help="Why: goes to the audit log and the activity.")
@click.option("--honor-cooldown", is_flag=True, help="Refuse while the group is in cooldown.")
@click.option("--force", is_flag=True, help="Allow a step above the limit, or scaling to zero.")
@click.option("--dry-run", is_flag=True, help="Print the plan and the verdict; change nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (required without a TTY).")
@global_options
@pass_app
def scale(
    app: AppContext,
    group: str,
    to: int | None,
    by: str | None,
    reason: str,
    honor_cooldown: bool,
    force: bool,
    dry_run: bool,
    yes: bool,
) -> None:
    """Scale GROUP by hand: --to N or --by ±N."""
    from scalectl.core.errors import RefusedError
    from scalectl.core.guard import ScaleTarget

    if (to is None) == (by is None):
        raise click.UsageError("give exactly one of --to N or --by ±N")
    if to is not None and to < 0:
        raise click.BadParameter("must be 0 or more", param_hint="--to")
    if by is not None and not by.lstrip().startswith(("+", "-")):
        raise click.BadParameter(f"{by!r} needs a sign, e.g. +2, -1 or -25%", param_hint="--by")
    target = ScaleTarget.parse(str(to) if to is not None else str(by))
    console = app.console()
    plan = console.plan_scale(group, target, force=force, honor_cooldown=honor_cooldown)
    if dry_run or app.output != "table":
        if dry_run:
            emit(
                {**plan.to_dict(), "dry_run": True}, app.output if app.output != "table" else "yaml"
            )
            if not plan.verdict.allowed:
                raise RefusedError(plan.verdict.reason, rule=plan.verdict.rule)
            return
    elif plan.verdict.allowed:
        note(f"plan: {plan.describe()}")
        for line in (*plan.verdict.warnings, *plan.preview):
            note(f"  {line}")
    ok = plan.verdict.allowed and confirmed(yes, f"Scale {plan.describe()}?")
    done, result = console.scale(
        group, target, confirmed=ok, reason=reason, force=force, honor_cooldown=honor_cooldown
    )
    outcome = {
        "group": done.group,
        "from": done.current,
        "to": done.desired,
        "result": "ok",
        "request_id": result.request_id or None,
        "activity_id": result.activity_id or None,
    }
    if app.output == "table":
        note(
            f"scaled {done.group}: {done.current} → {done.desired}"
            + (f" (activity {result.activity_id})" if result.activity_id else "")
        )
    else:
        emit(outcome, app.output)
