"""The audit log: JSON Lines, append-only, fsync'd, hash-chained.

Each entry carries ``prev`` (the previous entry's hash) and ``hash`` (SHA-256 over the canonical
JSON of the entry without ``hash``). ``verify`` recomputes the chain and names the first line that
was edited, removed, reordered or torn. Writers take an exclusive lock on the file so a TUI and
several CLI processes never interleave lines, and each line is written with one ``write`` call.
"""

from __future__ import annotations

import fcntl
import getpass
import json
import os
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

GENESIS = "0" * 64
Result = Literal["ok", "refused", "failed", "interrupted"]


@dataclass(frozen=True)
class Actor:
    user: str
    host: str
    identity: str = ""

    @classmethod
    def current(cls, identity: str = "") -> Actor:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry in some containers
            user = str(os.getuid())
        return cls(user=user, host=socket.gethostname(), identity=identity)

    def to_dict(self) -> dict[str, str]:
        return {"user": self.user, "host": self.host, "identity": self.identity}


def _canonical(entry: Mapping[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: Mapping[str, Any]) -> str:
    body = {k: v for k, v in entry.items() if k != "hash"}
    import hashlib  # on the first entry: a read-only session never hashes (~1 ms at start)

    return hashlib.sha256(_canonical(body)).hexdigest()


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    entries: int
    message: str
    line: int | None = None


PAGE = 4096


def _align_to_page(fd: int, length: int) -> None:
    """Keep the coming line inside one page of the file.

    Linux copies a write page by page and stops between pages when the process is killed
    (SIGKILL), so a line that crosses a page boundary can be torn. A line that fits in one page is
    copied in one step: all of it or none. Blank lines (which every reader skips) fill the rest of
    the page when the line would cross it.
    """
    offset = os.fstat(fd).st_size % PAGE
    if offset and length <= PAGE and offset + length > PAGE:
        os.write(fd, b"\n" * (PAGE - offset))


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def append(
        self,
        *,
        actor: Actor,
        profile: str,
        provider: str,
        action: str,
        target: str,
        params: Mapping[str, Any],
        result: Result,
        reason: str = "",
        before: Any = None,
        after: Any = None,
        request_ids: tuple[str, ...] = (),
        at: datetime | None = None,
    ) -> dict[str, Any]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        entry: dict[str, Any] = {
            "time": (at or datetime.now(UTC)).isoformat(),
            "actor": actor.to_dict(),
            "profile": profile,
            "provider": provider,
            "action": action,
            "target": target,
            "params": dict(params),
            "before": before,
            "after": after,
            "result": result,
            "reason": reason,
            "request_ids": [r for r in request_ids if r],
        }
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            prev, needs_newline = self._tail_state(fd)
            if needs_newline:
                self._set_aside_torn_tail(fd)
            entry["prev"] = prev
            entry["hash"] = entry_hash(entry)
            line = _canonical(entry) + b"\n"
            _align_to_page(fd, len(line))
            os.write(fd, line)
            os.fsync(fd)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        return entry

    @property
    def torn_path(self) -> Path:
        return self.path.with_name(self.path.name + ".torn")

    def _set_aside_torn_tail(self, fd: int) -> None:
        """A writer was killed mid-line (a line longer than a page): keep the fragment, in a
        side file, and cut it from the log so the chain file holds only whole entries."""
        size = os.fstat(fd).st_size
        start = max(0, size - 1_048_576)
        data = os.pread(fd, size - start, start)
        cut = start + data.rfind(b"\n") + 1 if b"\n" in data else start
        fragment = os.pread(fd, size - cut, cut)
        with self.torn_path.open("ab") as side:
            side.write(fragment + b"\n")
            side.flush()
            os.fsync(side.fileno())
        os.ftruncate(fd, cut)

    @staticmethod
    def _tail_state(fd: int) -> tuple[str, bool]:
        """The hash of the last whole entry, and whether the file ends mid-line."""
        size = os.fstat(fd).st_size
        if size == 0:
            return GENESIS, False
        chunk = 65536
        offset = max(0, size - chunk)
        data = os.pread(fd, size - offset, offset)
        while offset > 0 and data.count(b"\n") < 2:
            offset = max(0, offset - chunk)
            data = os.pread(fd, size - offset, offset)
        needs_newline = not data.endswith(b"\n")
        for raw in reversed(data.split(b"\n")):
            raw = raw.strip()
            if not raw:
                continue
            try:
                value = json.loads(raw)
            except json.JSONDecodeError:
                continue  # a torn line: chain from the last whole entry
            if isinstance(value, dict) and isinstance(value.get("hash"), str):
                return str(value["hash"]), needs_newline
        return GENESIS, needs_newline

    def entries(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        with self.path.open("rb") as handle:
            for raw in handle:
                raw = raw.strip()
                if not raw:
                    continue
                try:
                    value = json.loads(raw)
                except json.JSONDecodeError:
                    continue
                if isinstance(value, dict):
                    yield value

    def verify(self) -> VerifyReport:
        if not self.path.exists():
            return VerifyReport(True, 0, f"{self.path}: no audit log yet")
        prev = GENESIS
        count = 0
        torn: list[int] = []
        with self.path.open("rb") as handle:
            for number, raw in enumerate(handle, 1):
                if not raw.strip():
                    continue
                where = f"{self.path}:{number}"
                if not raw.endswith(b"\n"):
                    # The last line of a writer killed mid-write: every whole entry verifies; the
                    # next append moves the fragment to the .torn side file.
                    return VerifyReport(
                        not torn,
                        count,
                        f"{self.path}: {count} entries, chain intact; line {number} is an "
                        "incomplete last line (a writer was interrupted mid-write; the next "
                        f"append moves it to {self.torn_path.name})",
                        number,
                    )
                try:
                    entry = json.loads(raw)
                except json.JSONDecodeError:
                    if raw.lstrip().startswith(b"{"):
                        # The start of an entry whose write was cut short (power loss, full
                        # disk): the next writer chained from the entry before it, so the
                        # chain is checked on across it.
                        torn.append(number)
                        continue
                    return VerifyReport(False, count, f"{where}: not valid JSON", number)
                if not isinstance(entry, dict) or "hash" not in entry or "prev" not in entry:
                    return VerifyReport(False, count, f"{where}: not an audit entry", number)
                if entry["prev"] != prev:
                    return VerifyReport(
                        False,
                        count,
                        f"{where}: chain broken: prev does not match the entry before it "
                        "(a line was removed, inserted or reordered)",
                        number,
                    )
                if entry_hash(entry) != entry["hash"]:
                    return VerifyReport(
                        False, count, f"{where}: hash mismatch: the entry was edited", number
                    )
                prev = entry["hash"]
                count += 1
        if torn:
            lines = ", ".join(str(n) for n in torn)
            return VerifyReport(
                False,
                count,
                f"{self.path}:{torn[0]}: torn line(s) {lines} (a write was cut short; what it "
                f"held is lost); the chain is intact across the other {count} entries",
                torn[0],
            )
        return VerifyReport(True, count, f"{self.path}: {count} entries, chain intact")
