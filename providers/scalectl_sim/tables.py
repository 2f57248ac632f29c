"""The lists a dashboard reads, stored beside the world at each save, one row per object.

The world is one JSON document: parsing it costs ~350 ms for 40,000 instances (holding the GIL in
long C calls) and builds every model object. A reader on a paused clock needs none of that: it
reads these rows instead. Each row is a model object (groups without their instances, balancers,
alarms) as msgspec writes and reads the model's dataclasses, or a rule as ``[group, rule]``;
the objects are the ones the world path converts, so both paths give equal objects.

Decoding keeps, per table, the object of each row text it has seen: a row that did not change
gives the very same object again, and a list that did not change is not decoded at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import msgspec

from scalectl.core.model import Alarm, Balancer, Group

if TYPE_CHECKING:
    from scalectl.core.rules import AnyRule
    from scalectl_sim.world import World

# -- written at save -------------------------------------------------------------------------------

# name -> CREATE statement. Rows are read in ``pos`` order; ``data`` is the row's JSON.
SCHEMA = {
    name: f"CREATE TABLE IF NOT EXISTS {name} (pos INTEGER PRIMARY KEY, data TEXT NOT NULL)"
    for name in ("groups", "balancers", "alarms", "rules")
}
# The rows' format: a state file written with another format gets its tables written again.
FORMAT = "3"

_encode = msgspec.json.Encoder().encode


def _text(obj: object) -> str:
    return _encode(obj).decode()


def rows(world: World, rules_json: dict[str, list[Any]]) -> dict[str, list[str]]:
    """Each table's rows for ``world``, in order; ``rules_json`` is the rules as the world's JSON
    holds them (plain data there already, so not converted twice)."""
    from scalectl_sim.convert import scaling_groups, to_alarms, to_balancers, to_group

    scaling = scaling_groups(world)
    return {
        "groups": [
            _text(to_group(world, g, with_instances=False, scaling=scaling))
            for g in world.groups.values()
        ],
        "balancers": [_text(b) for b in to_balancers(world)],
        "alarms": [_text(a) for a in to_alarms(world)],
        "rules": [_text([group, rule]) for group, items in rules_json.items() for rule in items],
    }


# -- read back -------------------------------------------------------------------------------------


def _rule(row: tuple[str, dict[str, Any]]) -> tuple[str, AnyRule]:
    from scalectl.core.rules import rule_adapter  # the rule schema loads with the first rule

    group, data = row
    return group, rule_adapter().validate_python(data)


class RowCache:
    """Row text -> its object, for one table of ``item`` rows (``finish``: what a decoded row
    becomes, when msgspec's object is not the end): unchanged rows keep their objects."""

    CHUNK = 500  # rows decoded per msgspec call: C-speed, yet no long hold of the GIL

    def __init__(self, item: Any, finish: Callable[[Any], Any] | None = None) -> None:
        self._decoder = msgspec.json.Decoder(list[item])
        self._finish = finish
        self._seen: dict[str, Any] = {}

    def decode(self, texts: Sequence[str]) -> list[Any]:
        seen = self._seen
        new = [text for text in texts if text not in seen]
        for start in range(0, len(new), self.CHUNK):
            chunk = new[start : start + self.CHUNK]
            objs = self._decoder.decode(f"[{','.join(chunk)}]")
            if self._finish is not None:
                objs = [self._finish(obj) for obj in objs]
            seen.update(zip(chunk, objs, strict=True))
        out = [seen[text] for text in texts]
        if len(seen) > len(texts):  # forget rows that went away
            self._seen = dict(zip(texts, out, strict=True))
        return out


def _caches() -> dict[str, RowCache]:
    return {
        "groups": RowCache(Group),
        "balancers": RowCache(Balancer),
        "alarms": RowCache(Alarm),
        "rules": RowCache(tuple[str, dict[str, Any]], _rule),
    }


class StoredLists:
    """The stored tables as one process decoded them, each with the stored version it read."""

    def __init__(self) -> None:
        self._caches = _caches()
        self._lists: dict[str, tuple[int, list[Any]]] = {}

    def known_version(self, table: str) -> int | None:
        hit = self._lists.get(table)
        return None if hit is None else hit[0]

    def take(self, table: str, version: int, texts: Sequence[str] | None) -> list[Any]:
        """The table's objects at ``version``, in a new list; ``texts`` None: the version is
        the known one."""
        if texts is not None:
            self._lists[table] = (version, self._caches[table].decode(texts))
        return list(self._lists[table][1])


def checked(table: str) -> str:
    """``table``, if it is one of these tables (its name goes into SQL)."""
    if table not in SCHEMA:
        raise ValueError(f"no stored table {table!r}")
    return table
