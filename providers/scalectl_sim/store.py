"""The world's state in SQLite: one TUI and several CLI processes share it safely.

- WAL mode and a busy timeout; every change (advance, write, control) runs under BEGIN IMMEDIATE, so
  two processes never simulate the same minute twice.
- The clock: with speed > 0 the simulated time is an anchor plus wall time x speed, caught up in
  whole-minute ticks, so the result does not depend on how often anyone looks. With speed 0 the
  clock moves only by an explicit advance, and no wall time is stored at all.
- The world is one JSON document (sorted keys): the same seed and the same commands give the same
  bytes. Per-minute metrics and activities have their own tables, pruned by age.
- Beside it, each save writes the lists a dashboard reads, one row per object (``tables``):
  on a paused clock readers take those and never parse the world (~350 ms for 40,000
  instances). The world stays the source of truth: the rows are made from it at every save.
- A new world is a pure function of its spec, so a process that creates many (a test suite) can
  keep the tables of a freshly created one in memory and copy them into the next database asking
  for the same spec: 26 h of history is simulated once, not per world (``keep_fresh_worlds``).
"""

from __future__ import annotations

import functools
import json
import math
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from scalectl.core.errors import ErrorKind, ProviderError

# The world's module loads when a world is read, the engine (and with it the decision engine and
# the rule schema) when it is built or simulated: a paused reader needs only the stored rows.
from scalectl_sim import tables
from scalectl_sim.clock import START, minute_of

if TYPE_CHECKING:
    from scalectl_sim.world import SimActivity, World

T = TypeVar("T")
_C = TypeVar("_C")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS world (id INTEGER PRIMARY KEY CHECK (id = 1), data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS metrics (
    grp TEXT NOT NULL, minute INTEGER NOT NULL,
    cpu REAL, memory REAL, network_in REAL, network_out REAL, requests_per_target REAL,
    latency_ms REAL, error_rate REAL, requests REAL, desired INTEGER, in_service INTEGER,
    PRIMARY KEY (grp, minute)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS metrics_minute ON metrics (minute);
CREATE TABLE IF NOT EXISTS activities (
    id TEXT PRIMARY KEY, grp TEXT NOT NULL, started INTEGER NOT NULL, data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS activities_group ON activities (grp, started);
CREATE INDEX IF NOT EXISTS activities_started ON activities (started, id);
"""
PRESIMULATE_MIN = {"shop": 26 * 60, "large": 30}  # history a new world starts with
MAX_CATCH_UP_MIN = {"shop": 2 * 24 * 60, "large": 10}  # beyond this a long absence is skipped
ACTIVITY_DAYS = 90
MAX_FRESH_GROUPS = 500  # larger fresh worlds are never kept (2,000 groups would take ~35 MB)
BASE_TABLES = ("world", "metrics", "activities")
TABLES = (*BASE_TABLES, *tables.SCHEMA)  # what _create fills, besides meta


@dataclass(frozen=True)
class WorldSpec:
    world: str = "shop"
    seed: int = 42
    groups: int = 2000


def build_world(spec: WorldSpec) -> World:
    from scalectl_sim import lifecycle
    from scalectl_sim.generators import large_world, shop_world

    start = minute_of(START) - PRESIMULATE_MIN[spec.world]
    if spec.world == "shop":
        world = shop_world(spec.seed, start)
    elif spec.world == "large":
        world = large_world(spec.seed, start, n_groups=spec.groups)
    else:
        raise ValueError(f"unknown sim world {spec.world!r} (shop or large)")
    lifecycle.populate(world, start)
    return world


def _tick(world: World) -> None:
    from scalectl_sim import engine

    engine.tick(world, world.now)


@dataclass(frozen=True)
class _Fresh:
    """The rows of a freshly created world (its version counter is the database's own)."""

    meta: tuple[tuple[str, str], ...]
    tables: tuple[tuple[str, tuple[tuple[Any, ...], ...]], ...]


_FRESH: OrderedDict[WorldSpec, _Fresh] = OrderedDict()
_FRESH_LOCK = threading.Lock()
_fresh_limit = 0  # how many fresh worlds this process keeps: none unless asked (a shop takes ~7 MB)


def keep_fresh_worlds(count: int) -> None:
    """Keep the tables of up to ``count`` freshly created worlds (of at most MAX_FRESH_GROUPS
    groups) in this process, and copy them into later databases of the same spec instead of
    simulating the world again. Off by default: a user's process creates a world once."""
    global _fresh_limit
    with _FRESH_LOCK:
        _fresh_limit = count
        while len(_FRESH) > count:
            _FRESH.popitem(last=False)


def forget_fresh_worlds() -> None:
    """Drop the kept fresh worlds (the next new world is simulated again)."""
    with _FRESH_LOCK:
        _FRESH.clear()


def _state_errors(cls: type[_C]) -> type[_C]:
    """A broken or unreadable state file is a provider error naming the file (exit 4), not an
    internal error: wrap every public method (and the constructor) of the store."""

    def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return method(self, *args, **kwargs)
            except (sqlite3.DatabaseError, json.JSONDecodeError) as exc:
                raise ProviderError(
                    ErrorKind.UNAVAILABLE,
                    f"the sim's state file {self.path} cannot be used ({exc}); "
                    "`scalectl sim reset` builds the world again",
                    provider="sim",
                    retryable=False,
                ) from None

        return guarded

    for name, member in list(vars(cls).items()):
        if callable(member) and (name == "__init__" or not name.startswith("_")):
            setattr(cls, name, wrap(member))
    return cls


@_state_errors
class SimStore:
    """One world's database. Instances are cheap; each process opens its own."""

    def __init__(self, path: Path, spec: WorldSpec, *, clock: Callable[[], float] = time.time):
        self.path = path
        self.spec = spec
        self._clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(
            path, timeout=60.0, isolation_level=None, check_same_thread=False
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=60000")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA + ";\n".join(tables.SCHEMA.values()) + ";")
        self._world: World | None = None
        self._version = -1
        self._lists = tables.StoredLists()  # the stored tables as this process last decoded them
        # Held while a world object is read or changed: readers in other threads of this process
        # see the cached world only between changes.
        self.lock = threading.RLock()

    def close(self) -> None:
        self._db.close()

    # -- transactions ---------------------------------------------------------------------------

    @contextmanager
    def _txn(self, mode: str) -> Iterator[sqlite3.Connection]:
        # One connection per store, shared by the threads of one process (e.g. `sim serve`):
        # the lock keeps their transactions from interleaving on it.
        with self.lock:
            self._db.execute(f"BEGIN {mode}")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str | None) -> None:
        if value is None:
            self._db.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def _load(self) -> World:
        """The world as stored (cached while the stored version is unchanged)."""
        version = int(self._meta("version") or 0)
        if self._world is None or version != self._version:
            row = self._db.execute("SELECT data FROM world WHERE id = 1").fetchone()
            if row is None:
                raise LookupError("no world")
            from scalectl_sim.world import World

            self._world = World.from_json(json.loads(row[0]))
            self._version = version
        return self._world

    def _save(self, world: World, old_now: int) -> None:
        doc = world.to_json()
        data = json.dumps(doc, sort_keys=True, separators=(",", ":"))
        self._db.execute("INSERT OR REPLACE INTO world (id, data) VALUES (1, ?)", (data,))
        if world.out_metrics:
            self._db.executemany(
                "INSERT OR REPLACE INTO metrics VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                world.out_metrics,
            )
            world.out_metrics.clear()
        if world.out_activities:
            self._db.executemany(
                "INSERT OR REPLACE INTO activities (id, grp, started, data) VALUES (?, ?, ?, ?)",
                [
                    (a.id, a.group, a.started, json.dumps(a.to_json(), sort_keys=True))
                    for a in world.out_activities.values()
                ],
            )
            world.out_activities.clear()
        self._write_tables(world, doc["rules"])
        if old_now // 60 != world.now // 60:  # prune once per simulated hour
            keep_from = world.now - int(world.history_days * 1440)
            self._db.execute("DELETE FROM metrics WHERE minute < ?", (keep_from,))
            self._db.execute(
                "DELETE FROM activities WHERE started < ?", (world.now - ACTIVITY_DAYS * 1440,)
            )
        self._version = int(self._meta("version") or 0) + 1
        self._set_meta("version", str(self._version))
        self._set_meta("now", str(world.now))
        self._world = world

    def _write_tables(self, world: World, rules_json: dict[str, list[Any]]) -> None:
        """The lists a dashboard reads, beside the world: a paused reader never parses it."""
        for table, rows in tables.rows(world, rules_json).items():
            self._db.execute(f"DELETE FROM {table}")
            self._db.executemany(
                f"INSERT INTO {table} (pos, data) VALUES (?, ?)", list(enumerate(rows))
            )
        self._set_meta("tables", tables.FORMAT)

    def _recreate_tables(self) -> None:
        # Dropped, not emptied: a state file from an older scalectl may have other columns.
        for table, create in tables.SCHEMA.items():
            self._db.execute(f"DROP TABLE IF EXISTS {table}")
            self._db.execute(create)

    # -- lifecycle --------------------------------------------------------------------------------

    def ensure(self) -> None:
        """Create the world (with its pre-simulated history) if the database has none."""
        with self.lock:
            if self._meta("tables") == tables.FORMAT:
                return
        with self._txn("IMMEDIATE"):
            if self._meta("version") is None:
                self._create(self.spec)
            elif self._meta("tables") != tables.FORMAT:  # written by an older scalectl
                self._recreate_tables()
                world = self._load()
                self._write_tables(world, world.to_json()["rules"])

    def _create(self, spec: WorldSpec) -> None:
        # The version keeps counting across resets, so other processes' caches see the change.
        version = self._meta("version") or "0"
        for table in ("meta", *BASE_TABLES):
            self._db.execute(f"DELETE FROM {table}")
        self._recreate_tables()
        self._world = None
        with _FRESH_LOCK:
            fresh = _FRESH.get(spec)
            if fresh is not None:
                _FRESH.move_to_end(spec)
        if fresh is not None:
            self._copy_fresh(fresh, version)
            return
        world = build_world(spec)
        self._set_meta("world", spec.world)
        self._set_meta("seed", str(spec.seed))
        self._set_meta("groups", str(len(world.groups)))
        self._set_meta("version", version)
        self._world = None
        target = minute_of(START)
        old = world.now
        while world.now < target:
            _tick(world)
        self._save(world, old)
        if _fresh_limit > 0 and len(world.groups) <= MAX_FRESH_GROUPS:
            self._keep_fresh(spec)

    def _keep_fresh(self, spec: WorldSpec) -> None:
        meta = self._db.execute("SELECT key, value FROM meta").fetchall()
        tables = tuple(
            (table, tuple(self._db.execute(f"SELECT * FROM {table}").fetchall()))
            for table in TABLES
        )
        with _FRESH_LOCK:
            _FRESH[spec] = _Fresh(tuple(meta), tables)
            while len(_FRESH) > _fresh_limit:
                _FRESH.popitem(last=False)

    def _copy_fresh(self, fresh: _Fresh, version: str) -> None:
        """The same rows _create would have written (the world is loaded from them on use)."""
        self._version = int(version) + 1  # as _save counts it
        self._db.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?)",
            [(k, str(self._version) if k == "version" else v) for k, v in fresh.meta],
        )
        for table, rows in fresh.tables:
            if rows:
                marks = ", ".join("?" * len(rows[0]))
                self._db.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)

    def reset(self, spec: WorldSpec) -> None:
        with self._txn("IMMEDIATE"):
            self._create(spec)
        self.spec = spec

    # -- the clock --------------------------------------------------------------------------------

    def _catch_up(self, world: World, speed: float) -> None:
        """Advance ``world`` to the simulated "now" implied by wall time x speed."""
        anchor_text = self._meta("anchor")
        if speed <= 0:
            if anchor_text is not None:
                self._set_meta("anchor", None)  # paused: no wall time stays in the state
            return
        wall = self._clock()
        anchor = json.loads(anchor_text) if anchor_text else None
        if anchor is None or anchor["speed"] != speed:
            self._set_meta(
                "anchor",
                json.dumps(
                    {"wall": wall, "sim_s": world.now * 60.0, "speed": speed}, sort_keys=True
                ),
            )
            return
        target = math.floor((anchor["sim_s"] + (wall - anchor["wall"]) * speed) / 60.0)
        limit = world.now + MAX_CATCH_UP_MIN.get(world.name, 60)
        if target > limit:  # nobody watched for a long time: skip the rest of the gap
            target = limit
            self._set_meta(
                "anchor",
                json.dumps({"wall": wall, "sim_s": target * 60.0, "speed": speed}, sort_keys=True),
            )
        while world.now < target:
            _tick(world)

    def sync(self, speed: float) -> World:
        """The world as of now: caught up under a write lock when the clock runs, else as stored."""
        self.ensure()
        with self._txn("DEFERRED"):
            if speed <= 0 and self._meta("anchor") is None:
                return self._load()
        return self.mutate(lambda world: world, speed=speed, writes=False)

    def mutate(self, change: Callable[[World], T], *, speed: float, writes: bool = True) -> T:
        """Run ``change`` on the caught-up world and store the result, all in one write lock.
        ``writes=False`` promises that ``change`` only reads (the world is saved if time moved)."""
        self.ensure()
        with self._txn("IMMEDIATE"):
            world = self._load()
            old_now = world.now
            try:
                self._catch_up(world, speed)
                result = change(world)
                if writes or world.now != old_now or world.out_activities:
                    self._save(world, old_now)
            except BaseException:
                self._world = None  # the cached copy may be half-changed
                raise
            return result

    def advance(self, minutes: int, *, speed: float) -> World:
        def run(world: World) -> World:
            for _ in range(minutes):
                _tick(world)
            return world

        return self.mutate(run, speed=speed)

    # -- reads ------------------------------------------------------------------------------------

    def stored(self, table: str, speed: float) -> list[Any] | None:
        """A table written at save (see ``tables``): its objects in order, in a new list. They
        are decoded once per stored version, and a row that did not change gives the same object
        as before. None when the clock runs: the world must be caught up first."""
        if speed > 0:
            return None
        self.ensure()
        with self.lock:
            with self._txn("DEFERRED"):
                if self._meta("anchor") is not None:
                    return None
                version = int(self._meta("version") or 0)
                texts = None
                if version != self._lists.known_version(table):
                    query = f"SELECT data FROM {tables.checked(table)} ORDER BY pos"
                    texts = [r[0] for r in self._db.execute(query).fetchall()]
            return self._lists.take(table, version, texts)

    def stored_meta(self, speed: float) -> dict[str, str] | None:
        """The stored clock and the world's name and seed; None when the clock runs."""
        if speed > 0:
            return None
        self.ensure()
        with self._txn("DEFERRED"):
            if self._meta("anchor") is not None:
                return None
            return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def metrics(self, group: str, since_minute: int) -> list[tuple[Any, ...]]:
        with self.lock:
            return self._db.execute(
                "SELECT * FROM metrics WHERE grp = ? AND minute >= ? ORDER BY minute",
                (group, since_minute),
            ).fetchall()

    def activities(self, group: str | None, limit: int) -> list[SimActivity]:
        with self.lock:
            return self._activities(group, limit)

    def _activities(self, group: str | None, limit: int) -> list[SimActivity]:
        if group is None:
            rows = self._db.execute(
                "SELECT data FROM activities ORDER BY started DESC, id DESC LIMIT ?", (limit,)
            ).fetchall()
        else:
            rows = self._db.execute(
                "SELECT data FROM activities WHERE grp = ? ORDER BY started DESC, id DESC LIMIT ?",
                (group, limit),
            ).fetchall()
        from scalectl_sim.world import SimActivity

        return [SimActivity.from_json(json.loads(r[0])) for r in rows]

    def info(self) -> dict[str, str]:
        with self.lock:
            return dict(self._db.execute("SELECT key, value FROM meta").fetchall())
