"""The HTTP server every cloud emulator shares: threads, fault injection, request counting.

A cloud module supplies a ``handle(request) -> Reply`` function; this module owns the socket, the
fault switchboard (``POST /__sim/faults``) and the counters (``GET /__sim/stats``), so tests can
inject throttling, 5xx, slow replies and malformed bodies at the server, not by patching our code.
"""

from __future__ import annotations

import json
import threading
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

FAULT_KINDS = ("throttle", "5xx", "503", "slow", "malformed", "auth", "reset", "lost", "hostile")
# How a "hostile" fault bends a real reply (see ``hostile_body``).
HOSTILE_MODES = ("negative", "wrong_types", "missing", "unicode", "huge")


@dataclass
class Request:
    method: str
    path: str  # without the query string
    query: str
    headers: dict[str, str]  # header names lower-cased
    body: bytes
    host: str


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json;charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, **headers: str) -> Reply:
        return cls(status, json.dumps(payload, ensure_ascii=False).encode(), headers=dict(headers))


@dataclass
class Fault:
    kind: str
    remaining: int  # how many matching requests still get the fault; -1 = until cleared
    action: str = ""  # only requests for this action ('' = any)
    delay_s: float = 0.0
    after: int = 0  # let this many matching requests through first (a fault mid-paging)
    mode: str = ""  # for "hostile": one of HOSTILE_MODES


def _bend(value: Any, mode: str, key: str = "", listed: bool = False) -> Any:
    """One hostile transformation of a decoded JSON reply, applied everywhere in the tree
    (``listed``: inside a list already, which "huge" then leaves alone)."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            # "missing": drop about half the scalar fields, as another API version might.
            kept = k in ("RequestId", "Response", "Error", "request_id")
            dropped = zlib.crc32(k.encode()) % 2 == 0 and not isinstance(v, dict | list)
            if mode == "missing" and dropped and not kept:
                continue
            out[k] = _bend(v, mode, k, listed)
        return out
    if isinstance(value, list):
        items = [_bend(v, mode, key, True) for v in value]
        return items * 20 if mode == "huge" and items and not listed else items
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        if mode == "negative":
            return -abs(value) - 1
        if mode == "wrong_types":
            return {"unexpected": [str(value)]}
        return value
    if isinstance(value, str):
        if mode == "unicode" and "id" not in key.lower() and "time" not in key.lower():
            # Right-to-left override, an escape sequence, Rich markup and wide characters.
            return value + "\u202e\x1b[31m[bold red]伸缩[/]\x00"
        if mode == "wrong_types" and "id" not in key.lower():
            return 12345
        return value
    return value


def hostile_body(body: bytes, mode: str) -> bytes:
    """A real reply bent the way a hostile or broken server might send it, still valid JSON."""
    try:
        payload = json.loads(body)
    except ValueError:
        return body
    return json.dumps(_bend(payload, mode), ensure_ascii=False).encode()


class FaultBoard:
    """Faults waiting to be served, consumed in order by matching requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}; known: {', '.join(FAULT_KINDS)}")
        if fault.kind == "hostile" and fault.mode not in HOSTILE_MODES:
            raise ValueError(
                f"unknown hostile mode {fault.mode!r}; known: {', '.join(HOSTILE_MODES)}"
            )
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, action: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.action and fault.action != action:
                    continue
                if fault.after > 0:
                    fault.after -= 1
                    return None
                if fault.remaining > 0:
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                return fault
        return None


class FaultReplies:
    """How a cloud words each fault: overridden per cloud."""

    def reply(self, kind: str, action: str) -> Reply:  # pragma: no cover - overridden
        return Reply.json(500, {"error": kind})


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout fault, Ctrl-C) is not the server's error to print.
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class EmulatorServer:
    def __init__(
        self,
        handler: Callable[[Request], Reply],
        action_of: Callable[[Request], str],
        faults: FaultReplies,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the emulator listens on loopback only")
        self.board = FaultBoard()
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes: without this every reply waits ~40 ms
            # for the client's delayed ACK.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                return  # quiet: requests carry signatures; never log them

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query=parts.query,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    host=self.headers.get("Host", ""),
                )
                reply: Reply | None
                if parts.path.startswith("/__sim/"):
                    reply = server._control(request)
                else:
                    reply = server._dispatch(request)
                if reply is None:  # connection reset fault
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        self._handler_fn = handler
        self._action_of = action_of
        self._fault_replies = faults
        self.httpd = _QuietServer((host, port), _Handler)
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        self.host = host
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def inject(self, kind: str, count: int = 1, action: str = "", **options: Any) -> None:
        """Add a fault directly (in-process tests); ``POST /__sim/faults`` does the same."""
        self.board.add(Fault(kind=kind, remaining=count, action=action, **options))

    def _dispatch(self, request: Request) -> Reply | None:
        action = self._action_of(request)
        with self._lock:
            self.calls[action] += 1
        fault = self.board.take(action)
        if fault is not None:
            if fault.kind == "slow":
                if self._stopped.wait(fault.delay_s or 5.0):
                    return None  # stopped while the reply was held back: the world is closed
            elif fault.kind == "reset":
                return None
            elif fault.kind == "malformed":
                return Reply(200, b'{"RequestId": "malformed", "truncated": [1, 2,')
            elif fault.kind == "lost":
                # The request is carried out, then the reply is lost on the way back: the
                # client cannot know whether its mutation happened.
                self._handler_fn(request)
                return None
            elif fault.kind == "hostile":
                reply = self._handler_fn(request)
                if reply is not None:
                    reply.body = hostile_body(reply.body, fault.mode)
                return reply
            else:
                return self._fault_replies.reply(fault.kind, action)
        return self._handler_fn(request)

    def _control(self, request: Request) -> Reply:
        if request.path == "/__sim/faults" and request.method == "POST":
            try:
                spec = json.loads(request.body or b"{}")
                self.board.add(
                    Fault(
                        kind=str(spec["kind"]),
                        remaining=int(spec.get("count", 1)),
                        action=str(spec.get("action", "")),
                        delay_s=float(spec.get("delay_s", 0.0)),
                        after=int(spec.get("after", 0)),
                        mode=str(spec.get("mode", "")),
                    )
                )
            except (KeyError, ValueError, TypeError) as exc:
                return Reply.json(400, {"error": f"bad fault spec: {exc}"})
            return Reply.json(200, {"ok": True})
        if request.path == "/__sim/faults" and request.method == "DELETE":
            self.board.clear()
            return Reply.json(200, {"ok": True})
        if request.path == "/__sim/stats":
            with self._lock:
                return Reply.json(200, {"calls": dict(self.calls)})
        if request.path == "/__sim/stats/reset" and request.method == "POST":
            with self._lock:
                self.calls.clear()
            return Reply.json(200, {"ok": True})
        return Reply.json(404, {"error": "unknown control path"})

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, daemon=True, name=f"sim-serve-{self.port}"
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def stop(self) -> None:
        self._stopped.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
