"""``scalectl sim``: drive the embedded cloud (reset, advance its clock, flash sales, failures).

These are events in the simulated world, not scaling changes: they bypass the Console the way a
real outage bypasses your change process. A read-only profile refuses them all the same.
"""

from __future__ import annotations

from typing import Any

import click

from scalectl.cli.context import AppContext
from scalectl.cli.options import global_options
from scalectl.cli.output import emit, note

pass_app = click.make_pass_decorator(AppContext)


def _control(app: AppContext, *, mutating: bool = True) -> Any:
    from scalectl.core.errors import InputError, RefusedError

    profile = app.profile()
    if profile.provider != "sim":
        raise InputError(
            f"profile {profile.name!r} is a {profile.provider} profile; "
            "sim commands need a sim profile",
            field="--profile",
        )
    if mutating and profile.read_only:
        raise RefusedError("this profile is read-only: no change is possible", rule="read_only")
    from scalectl_sim.provider import SimControl

    return SimControl(profile)


@click.group()
def sim() -> None:
    """The embedded simulated cloud: reset, advance, flash-sale, fail, heal, status, serve."""


@sim.command("status")
@global_options
@pass_app
def sim_status(app: AppContext) -> None:
    """The simulated clock, speed, world and counts."""
    emit(_control(app, mutating=False).status(), app.output if app.output != "table" else "yaml")


@sim.command("reset")
@click.option(
    "--world",
    type=click.Choice(["shop", "large"]),
    default=None,
    help="Which world (default: the profile's).",
)
@click.option("--seed", type=int, default=None, help="Seed (default: the profile's).")
@click.option(
    "--groups", type=click.IntRange(1, 20000), default=None, help="Groups in a large world."
)
@global_options
@pass_app
def sim_reset(app: AppContext, world: str | None, seed: int | None, groups: int | None) -> None:
    """Throw the world away and build it again from its seed."""
    result = _control(app).reset(world=world, seed=seed, groups=groups)
    emit(result, app.output if app.output != "table" else "yaml")


@sim.command("advance")
@click.argument("duration")
@global_options
@pass_app
def sim_advance(app: AppContext, duration: str) -> None:
    """Advance the simulated clock by DURATION (e.g. 10m, 2h, 1d)."""
    from scalectl.core.timeparse import parse_duration

    delta = parse_duration(duration, field="DURATION")
    if delta.total_seconds() < 60:
        raise click.BadParameter(
            "the sim advances in whole minutes: at least 1m", param_hint="DURATION"
        )
    if delta.days > 60:
        raise click.BadParameter("at most 60d at once", param_hint="DURATION")
    emit(_control(app).advance(delta), app.output if app.output != "table" else "yaml")


@sim.command("flash-sale")
@click.option(
    "--multiplier",
    type=click.FloatRange(1.0, 50.0),
    default=4.0,
    show_default=True,
    help="Load multiple at the peak.",
)
@click.option("--duration", default="45m", show_default=True, help="How long the peak holds.")
@click.option("--ramp", default="5m", show_default=True, help="Ramp-up time.")
@click.option("--group", default=None, help="Only this group (default: the whole shop).")
@global_options
@pass_app
def sim_flash_sale(
    app: AppContext, multiplier: float, duration: str, ramp: str, group: str | None
) -> None:
    """Start a flash sale now: load ramps to MULTIPLIER x normal, holds, then decays."""
    from scalectl.core.timeparse import parse_duration

    result = _control(app).flash_sale(
        multiplier=multiplier,
        duration=parse_duration(duration, field="--duration"),
        ramp=parse_duration(ramp, field="--ramp"),
        group=group,
    )
    emit(result, app.output if app.output != "table" else "yaml")


@sim.command("fail")
@click.option("--instance", "instance", help="Fail this instance.")
@click.option("--group", "group", help="Fail instances of this group.")
@click.option("--count", type=click.IntRange(1, 10000), default=1, show_default=True)
@click.option("--zone", "zone", help="Fail a whole zone.")
@global_options
@pass_app
def sim_fail(
    app: AppContext, instance: str | None, group: str | None, count: int, zone: str | None
) -> None:
    """Fail an instance, some of a group's instances, or a whole zone."""
    chosen = [x for x in (instance, group, zone) if x]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --instance, --group or --zone")
    control = _control(app)
    if instance:
        result = control.fail_instance(instance)
    elif group:
        result = control.fail_group(group, count)
    else:
        result = control.fail_zone(zone)
    emit(result, app.output if app.output != "table" else "yaml")


@sim.command("heal")
@click.option("--zone", "zone", required=True, help="Bring a failed zone back.")
@global_options
@pass_app
def sim_heal(app: AppContext, zone: str) -> None:
    """Bring a failed zone back."""
    emit(_control(app).heal_zone(zone), app.output if app.output != "table" else "yaml")


@sim.command("serve")
@click.option(
    "--api",
    type=click.Choice(["alibaba", "tencent", "huawei"]),
    required=True,
    help="Which cloud's wire protocol to speak.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port on 127.0.0.1 (0 = any free port).",
)
@global_options
@pass_app
def sim_serve(app: AppContext, api: str, port: int) -> None:
    """Expose the sim world through a cloud's real API on 127.0.0.1 (signatures checked)."""
    import os
    from importlib import import_module

    from scalectl_sim.provider import SimProvider

    profile = app.profile()
    if profile.provider != "sim":
        raise click.UsageError("sim serve needs a sim profile")
    plugin = SimProvider()
    reader = plugin.open_reader(profile)
    writer = plugin.open_writer(profile, reader) if not profile.read_only else None
    module = import_module(f"scalectl_sim.serve.{api}")
    server = module.make_server(
        reader,
        writer,
        host="127.0.0.1",
        port=port,
        access_key_id=os.environ.get("SCALECTL_SIM_ACCESS_KEY_ID", "sim-access-key-id"),
        access_key_secret=os.environ.get("SCALECTL_SIM_ACCESS_KEY_SECRET", "sim-access-key-secret"),
    )
    note(f"serving the {profile.name!r} world as {api} on {server.endpoint} (Ctrl-C to stop)")
    click.echo(server.endpoint)
    try:
        server.serve_forever()
    finally:
        server.stop()
