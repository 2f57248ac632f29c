"""The lists a dashboard reads, stored beside the world at each save, one row per object.

The world is one JSON document: parsing it costs ~350 ms for 40,000 instances (holding the GIL in
long C calls) and builds every model object. A reader on a paused clock needs none of that: it
reads these rows instead. Each row is a model object (groups without their instances, balancers,
alarms, rules) as a compact JSON list, made by the same conversion the world path uses, so both
paths give equal objects.

Decoding keeps, per table, the object of each row text it has seen: a row that did not change
gives the very same object again, and a list that did not change is not decoded at all.
"""

from __future__ import annotations

import json
import types
from collections.abc import Callable, Sequence
from dataclasses import fields, is_dataclass
from datetime import datetime
from enum import Enum
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Generic, TypeVar, get_args, get_origin, get_type_hints

from scalectl.core.model import Alarm, Balancer, Group
from scalectl_sim.world import World, at_minute, minute_of

if TYPE_CHECKING:
    from scalectl.core.rules import AnyRule

T = TypeVar("T")

_dumps = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode


# -- model objects as JSON lists -----------------------------------------------------------------


class RowCodec(Generic[T]):
    """A frozen model dataclass as a JSON list of its fields in order (``skip``: fields left at
    their default). Times are minutes (the sim's times are whole minutes in its own zone, which
    ``at_minute`` gives back), enums their values, tuples lists, nested dataclasses lists. Only
    the fields that need it are converted: the rest go through as they are."""

    def __init__(self, cls: type[T], skip: Sequence[str] = ()) -> None:
        hints = get_type_hints(cls)
        self.cls = cls
        self.names = tuple(f.name for f in fields(cls) if f.name not in skip)  # type: ignore[arg-type]
        self._get = attrgetter(*self.names)
        codecs = [(n, _codec(_required(hints[name]))) for n, name in enumerate(self.names)]
        self._encode = [(n, codec[0]) for n, codec in codecs if codec is not None]
        self._decode = [(n, codec[1]) for n, codec in codecs if codec is not None]
        self._positional = not skip

    def encode(self, obj: T) -> list[Any]:
        row = list(self._get(obj))
        for n, encode in self._encode:
            if row[n] is not None:
                row[n] = encode(row[n])
        return row

    def decode(self, row: list[Any]) -> T:
        for n, decode in self._decode:
            if row[n] is not None:
                row[n] = decode(row[n])
        if self._positional:
            return self.cls(*row)
        return self.cls(**dict(zip(self.names, row, strict=True)))


Codec = tuple[Callable[[Any], Any], Callable[[Any], Any]]


def _required(tp: Any) -> Any:
    """``X | None`` -> X (None is stored as null, whatever the type)."""
    if isinstance(tp, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def _codec(tp: Any) -> Codec | None:
    """How a field of type ``tp`` becomes JSON and back; None: it is JSON already."""
    if tp is datetime:
        return minute_of, at_minute
    if isinstance(tp, type) and issubclass(tp, Enum):
        members = {m.value: m for m in tp}
        return attrgetter("value"), members.__getitem__
    if get_origin(tp) is tuple:
        item = get_args(tp)[0]
        if is_dataclass(item):
            codec = RowCodec(item)  # type: ignore[arg-type]
            return (
                lambda v: [codec.encode(x) for x in v],
                lambda v: tuple(codec.decode(x) for x in v),
            )
        return list, tuple
    return None


GROUP = RowCodec(Group, skip=("instances",))
BALANCER = RowCodec(Balancer)
ALARM = RowCodec(Alarm)


# -- written at save -------------------------------------------------------------------------------

# name -> CREATE statement. Rows are read in ``pos`` order; ``data`` is the object as a JSON list.
SCHEMA = {
    name: f"CREATE TABLE IF NOT EXISTS {name} (pos INTEGER PRIMARY KEY, data TEXT NOT NULL)"
    for name in ("groups", "balancers", "alarms", "rules")
}
# The rows' format: a state file written with another format gets its tables written again.
FORMAT = "2"


def rows(world: World, rules_json: dict[str, list[Any]]) -> dict[str, list[str]]:
    """Each table's rows for ``world``, in order; ``rules_json`` is the rules as the world's JSON
    holds them (dumped there already, so not dumped twice)."""
    from scalectl_sim.convert import scaling_groups, to_alarms, to_balancers, to_group

    scaling = scaling_groups(world)
    return {
        "groups": [
            _dumps(GROUP.encode(to_group(world, g, with_instances=False, scaling=scaling)))
            for g in world.groups.values()
        ],
        "balancers": [_dumps(BALANCER.encode(b)) for b in to_balancers(world)],
        "alarms": [_dumps(ALARM.encode(a)) for a in to_alarms(world)],
        "rules": [_dumps([group, rule]) for group, items in rules_json.items() for rule in items],
    }


# -- read back -------------------------------------------------------------------------------------


def _rule(row: list[Any]) -> tuple[str, AnyRule]:
    from scalectl.core.rules import rule_adapter  # the rule schema loads with the first rule

    group, data = row
    return group, rule_adapter().validate_python(data)


DECODERS: dict[str, Callable[[list[Any]], Any]] = {
    "groups": GROUP.decode,
    "balancers": BALANCER.decode,
    "alarms": ALARM.decode,
    "rules": _rule,
}


class RowCache:
    """Row text -> its object, for one table: unchanged rows keep their objects."""

    CHUNK = 500  # rows parsed per json.loads call: C-speed, yet no long hold of the GIL

    def __init__(self, decode: Callable[[list[Any]], Any]) -> None:
        self._decode = decode
        self._seen: dict[str, Any] = {}

    def decode(self, texts: Sequence[str]) -> list[Any]:
        seen = self._seen
        new = [text for text in texts if text not in seen]
        for start in range(0, len(new), self.CHUNK):
            chunk = new[start : start + self.CHUNK]
            for text, row in zip(chunk, json.loads(f"[{','.join(chunk)}]"), strict=True):
                seen[text] = self._decode(row)
        out = [seen[text] for text in texts]
        if len(seen) > len(texts):  # forget rows that went away
            self._seen = dict(zip(texts, out, strict=True))
        return out


class StoredLists:
    """The stored tables as one process decoded them, each with the stored version it read."""

    def __init__(self) -> None:
        self._caches = {table: RowCache(decode) for table, decode in DECODERS.items()}
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
