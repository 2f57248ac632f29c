"""The sim as a scalectl provider: reader, writer, and the controls behind ``scalectl sim``.

Every read first brings the world to "now" (when its clock runs); every write runs under the
store's write lock. Objects cross this boundary as the frozen ``scalectl.core.model`` types.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from scalectl.config import resolve_paths
from scalectl.core.errors import ErrorKind, NotFoundError, ProviderError
from scalectl.core.model import (
    METRICS,
    RULE_KINDS,
    Activity,
    Alarm,
    Balancer,
    Group,
    MetricPoint,
    MetricSeries,
)
from scalectl.core.provider import Capabilities, WriteResult
from scalectl_sim.clock import PROVIDER, REGION, at_minute
from scalectl_sim.store import SimStore, WorldSpec

# The engine, the world's actions and conversions (and through them the rule schema) are imported
# where the world is used: a paused reader serves the dashboard from stored rows without them.
if TYPE_CHECKING:
    from scalectl.core.rules import AnyRule
    from scalectl_sim.world import SimActivity, World

T = TypeVar("T")

EXTRA_METRICS = {"requests": "count", "desired": "count", "in_service": "count"}


def db_path(profile: Any) -> Path:
    name = getattr(profile, "name", "") or "sim"
    return resolve_paths().state_dir / f"sim-{name}.db"


def _spec(profile: Any) -> WorldSpec:
    return WorldSpec(
        world=getattr(profile, "world", "shop"),
        seed=int(getattr(profile, "seed", 42)),
        groups=int(getattr(profile, "groups", 2000)),
    )


def open_store(profile: Any) -> SimStore:
    return SimStore(db_path(profile), _spec(profile))


# ---------------------------------------------------------------------------------------------
# Reader and writer


class SimReader:
    """Reads on a paused clock come from the tables written at save (``tables``): the world
    document is never parsed for them. With the clock running, the world is caught up first."""

    name = PROVIDER

    def __init__(self, profile: Any, store: SimStore | None = None) -> None:
        self.profile = profile
        self.region = getattr(profile, "region", "") or REGION
        self.speed = float(getattr(profile, "speed", 0.0))
        self.store = store or open_store(profile)

    def world(self) -> World:
        """The caught-up world; use it while holding ``self.store.lock`` (other threads write)."""
        return self.store.sync(self.speed)

    def _read(self, view: Callable[[World], T]) -> T:
        with self.store.lock:
            return view(self.world())

    def _table(self, table: str) -> list[Any] | None:
        """A stored table's objects, or None when the clock runs."""
        return self.store.stored(table, self.speed)

    def _group_name(self, group: str) -> str | None:
        """The stored group's name for a name or an id (as ``World.group`` finds it); None when
        the clock runs."""
        groups: list[Group] | None = self._table("groups")
        if groups is None:
            return None
        found = next((g for g in groups if g.name == group), None) or next(
            (g for g in groups if g.id == group), None
        )
        if found is None:
            known = ", ".join(g.name for g in groups[:8])
            raise NotFoundError("group", group, hint=f"known: {known}" if known else "")
        return found.name

    def _stored_now(self) -> int | None:
        meta = self.store.stored_meta(self.speed)
        return None if meta is None else int(meta["now"])

    def capabilities(self) -> Capabilities:
        return Capabilities(
            rule_kinds=frozenset(RULE_KINDS), metrics=frozenset(METRICS), composite_alarms=True
        )

    def now(self) -> datetime:
        minute = self._stored_now()
        if minute is not None:
            return at_minute(minute)
        return self._read(lambda world: at_minute(world.now))

    def identity(self) -> str:
        meta = self.store.stored_meta(self.speed)
        if meta is not None:
            return f"sim:{meta['world']}-{meta['seed']}"
        return self._read(lambda world: f"sim:{world.name}-{world.seed}")

    def list_groups(self) -> list[Group]:
        stored = self._table("groups")
        if stored is not None:
            return stored

        def view(world: World) -> list[Group]:
            from scalectl_sim.convert import scaling_groups, to_group

            scaling = scaling_groups(world)
            return [
                to_group(world, g, with_instances=False, scaling=scaling)
                for g in world.groups.values()
            ]

        return self._read(view)

    def get_group(self, group: str) -> Group:
        from scalectl_sim import actions
        from scalectl_sim.convert import to_group

        return self._read(
            lambda world: to_group(world, actions.find_group(world, group), with_instances=True)
        )

    def list_balancers(self) -> list[Balancer]:
        stored = self._table("balancers")
        if stored is not None:
            return stored
        from scalectl_sim.convert import to_balancers

        return self._read(to_balancers)

    def list_alarms(self) -> list[Alarm]:
        stored = self._table("alarms")
        if stored is not None:
            return stored
        from scalectl_sim.convert import to_alarms

        return self._read(to_alarms)

    def list_activities(self, group: str | None = None, limit: int = 50) -> list[Activity]:
        from scalectl_sim import actions
        from scalectl_sim.convert import to_activity

        name = None if group is None else self._group_name(group)
        if group is None or name is not None:
            return [to_activity(a) for a in self.store.activities(name, limit)]

        def view(world: World) -> list[Activity]:
            found = actions.find_group(world, group).name
            return [to_activity(a) for a in self.store.activities(found, limit)]

        return self._read(view)

    def list_rules(self, group: str | None = None) -> list[AnyRule]:
        from scalectl_sim import actions

        stored: list[tuple[str, AnyRule]] | None = self._table("rules")
        if stored is not None:
            name = None if group is None else self._group_name(group)
            return [rule for owner, rule in stored if name is None or owner == name]

        def view(world: World) -> list[AnyRule]:
            if group is not None:
                return list(world.rules.get(actions.find_group(world, group).name, []))
            return [r for rules in world.rules.values() for r in rules]

        return self._read(view)

    def metric_series(
        self, group: str, metric: str, since: timedelta, period_s: int = 60
    ) -> MetricSeries:
        from scalectl_sim import actions

        name = self._group_name(group)
        now = self._stored_now()
        if name is not None and now is not None:
            return self._series(now, name, metric, since, period_s)
        return self._read(
            lambda world: self._series(
                world.now, actions.find_group(world, group).name, metric, since, period_s
            )
        )

    def _series(
        self, now: int, group: str, metric: str, since: timedelta, period_s: int
    ) -> MetricSeries:
        from scalectl_sim import engine

        units = {**METRICS, **EXTRA_METRICS}
        if metric not in units or metric not in engine.COLUMN:
            raise ProviderError(
                ErrorKind.INVALID,
                f"unknown metric {metric!r} (known: {', '.join(sorted(units))})",
                provider=PROVIDER,
                code="InvalidParameterValue",
            )
        if period_s < 60 or period_s % 60:
            raise ProviderError(
                ErrorKind.INVALID,
                "period must be a multiple of 60 s",
                provider=PROVIDER,
                code="InvalidParameterValue",
            )
        step = period_s // 60
        start = now - int(since.total_seconds() // 60)
        start -= start % step
        index = engine.COLUMN[metric] + 2  # rows start with (grp, minute)
        buckets: dict[int, list[float]] = {}
        for row in self.store.metrics(group, start):
            bucket = row[1] - row[1] % step
            value = row[index]
            slot = buckets.setdefault(bucket, [])
            if value is not None:
                slot.append(float(value))
        points = tuple(
            MetricPoint(at_minute(b), round(sum(v) / len(v), 3) if v else None)
            for b, v in sorted(buckets.items())
        )
        return MetricSeries(group, metric, units[metric], period_s, points)

    def close(self) -> None:
        self.store.close()


class SimWriter:
    def __init__(self, reader: SimReader) -> None:
        self.reader = reader
        self.store = reader.store

    def _write(self, change: Callable[[World], T]) -> T:
        return self.store.mutate(change, speed=self.reader.speed)

    @staticmethod
    def _result(act: SimActivity | None, detail: str = "") -> WriteResult:
        if act is None:
            return WriteResult(request_id="sim-noop", detail=detail or "no change")
        return WriteResult(
            request_id=f"sim-{act.id}", activity_id=act.id, detail=detail or act.cause
        )

    def set_desired(
        self, group: str, desired: int, *, honor_cooldown: bool, reason: str
    ) -> WriteResult:
        from scalectl_sim import actions

        return self._result(
            self._write(
                lambda w: actions.set_desired(
                    w, group, desired, honor_cooldown=honor_cooldown, reason=reason
                )
            )
        )

    def set_bounds(
        self, group: str, *, min_size: int, max_size: int, desired: int | None
    ) -> WriteResult:
        from scalectl_sim import actions

        return self._result(
            self._write(
                lambda w: actions.set_bounds(
                    w, group, min_size=min_size, max_size=max_size, desired=desired
                )
            ),
            detail=f"bounds [{min_size}, {max_size}]",
        )

    def put_rule(self, rule: AnyRule) -> WriteResult:
        from scalectl_sim import actions

        self._write(lambda w: actions.put_rule(w, rule))
        return WriteResult(
            request_id=f"sim-rule-{rule.group}-{rule.name}",
            native_id=f"{rule.group}/{rule.name}",
            detail=f"rule {rule.name} put",
        )

    def delete_rule(self, group: str, name: str) -> WriteResult:
        from scalectl_sim import actions

        self._write(lambda w: actions.delete_rule(w, group, name))
        return WriteResult(
            request_id=f"sim-rule-{group}-{name}",
            native_id=f"{group}/{name}",
            detail=f"rule {name} deleted",
        )

    def execute_rule(self, group: str, name: str, *, honor_cooldown: bool) -> WriteResult:
        from scalectl_sim import actions

        return self._result(
            self._write(
                lambda w: actions.execute_rule(w, group, name, honor_cooldown=honor_cooldown)
            )
        )

    def suspend(self, group: str, processes: Sequence[str] = ()) -> WriteResult:
        from scalectl_sim import actions

        now = self._write(lambda w: actions.suspend(w, group, processes))
        return WriteResult(request_id="sim-suspend", detail=f"suspended: {', '.join(now)}")

    def resume(self, group: str, processes: Sequence[str] = ()) -> WriteResult:
        from scalectl_sim import actions

        now = self._write(lambda w: actions.resume(w, group, processes))
        return WriteResult(
            request_id="sim-resume", detail=f"suspended: {', '.join(now) or 'nothing'}"
        )


class SimProvider:
    """The entry point (``scalectl.providers: sim``)."""

    def open_reader(self, profile: Any) -> SimReader:
        return SimReader(profile)

    def open_writer(self, profile: Any, reader: Any) -> SimWriter:
        if not isinstance(reader, SimReader):
            reader = SimReader(profile)
        return SimWriter(reader)


# ---------------------------------------------------------------------------------------------
# The controls behind `scalectl sim ...`


class SimControl:
    def __init__(self, profile: Any, store: SimStore | None = None) -> None:
        self.profile = profile
        self.speed = float(getattr(profile, "speed", 0.0))
        self.store = store or open_store(profile)

    def close(self) -> None:
        self.store.close()

    def _write(self, change: Callable[[World], T]) -> T:
        return self.store.mutate(change, speed=self.speed)

    def reset(
        self, world: str | None = None, seed: int | None = None, groups: int | None = None
    ) -> dict[str, Any]:
        base = _spec(self.profile)
        spec = WorldSpec(
            world=world or base.world,
            seed=base.seed if seed is None else seed,
            groups=groups or base.groups,
        )
        self.store.reset(spec)
        return self.status()

    def advance(self, duration: timedelta) -> dict[str, Any]:
        minutes = int(duration.total_seconds() // 60)
        if minutes < 0:
            raise ProviderError(
                ErrorKind.INVALID,
                "the clock only moves forward",
                provider=PROVIDER,
                code="ValidationError",
            )
        before = self.store.sync(self.speed)
        start, first_act = before.now, before.activity_seq
        world = self.store.advance(minutes, speed=self.speed)
        return {
            "from": at_minute(start).isoformat(),
            "to": at_minute(world.now).isoformat(),
            "minutes": world.now - start,
            "activities": world.activity_seq - first_act,
            "desired": {g.name: g.desired for g in list(world.groups.values())[:50]},
            "alarms_in_alarm": sorted(a.name for a in world.alarms if a.state == "alarm"),
        }

    def flash_sale(
        self, multiplier: float, duration: timedelta, ramp: timedelta, group: str | None = None
    ) -> dict[str, Any]:
        from scalectl_sim import actions

        sale = self._write(
            lambda w: actions.flash_sale(
                w,
                multiplier,
                int(duration.total_seconds() // 60),
                int(ramp.total_seconds() // 60),
                None if group in (None, "all") else [group],
            )
        )
        return {
            "id": sale.id,
            "start": at_minute(sale.start).isoformat(),
            "end": at_minute(sale.end).isoformat(),
            "multiplier": sale.multiplier,
            "groups": sale.groups or "all",
        }

    def fail_instance(self, instance: str) -> dict[str, Any]:
        from scalectl_sim import actions

        failed = self._write(lambda w: actions.fail_instances(w, instance, 1))
        return {"failed": failed, "replaced": "at the next health check (1 simulated minute)"}

    def fail_group(self, group: str, count: int = 1) -> dict[str, Any]:
        from scalectl_sim import actions

        failed = self._write(lambda w: actions.fail_instances(w, group, count))
        return {"group": group, "failed": failed}

    def fail_zone(self, zone: str) -> dict[str, Any]:
        from scalectl_sim import actions

        failed = self._write(lambda w: actions.fail_zone(w, zone))
        return {"zone": zone, "failed": failed, "launches": "avoid this zone until it is healed"}

    def heal_zone(self, zone: str) -> dict[str, Any]:
        from scalectl_sim import actions

        left = self._write(lambda w: actions.heal_zone(w, zone))
        return {"zone": zone, "healed": True, "failed_zones": left}

    def status(self) -> dict[str, Any]:
        world = self.store.sync(self.speed)
        instances = sum(len(g.instances) for g in world.groups.values())
        sales = [s for s in world.flash_sales if s.start <= world.now < s.end]
        return {
            "clock": at_minute(world.now).isoformat(),
            "speed": self.speed,
            "world": world.name,
            "seed": world.seed,
            "db": str(self.store.path),
            "groups": len(world.groups),
            "instances": instances,
            "balancers": len(world.balancers),
            "alarms": len(world.alarms),
            "alarms_in_alarm": sum(1 for a in world.alarms if a.state == "alarm"),
            "activities_in_progress": len(world.activities),
            "failed_zones": list(world.failed_zones),
            "flash_sale": None
            if not sales
            else {
                "id": sales[0].id,
                "multiplier": sales[0].multiplier,
                "factor_now": round(sales[0].factor(world.now), 2),
                "until": at_minute(sales[0].end).isoformat(),
                "groups": sales[0].groups or "all",
            },
        }
