"""The HTTP server every cloud emulator shares: threads, fault injection, request counting.

A cloud module supplies a ``handle(request) -> Reply`` function; this module owns the socket, the
fault switchboard (``POST /__sim/faults``) and the counters (``GET /__sim/stats``), so tests can
inject throttling, 5xx, slow replies and malformed bodies at the server, not by patching our code.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

FAULT_KINDS = ("throttle", "5xx", "503", "slow", "malformed", "auth", "reset")


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


class FaultBoard:
    """Faults waiting to be served, consumed in order by matching requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}; known: {', '.join(FAULT_KINDS)}")
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

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _dispatch(self, request: Request) -> Reply | None:
        action = self._action_of(request)
        with self._lock:
            self.calls[action] += 1
        fault = self.board.take(action)
        if fault is not None:
            if fault.kind == "slow":
                time.sleep(fault.delay_s or 5.0)
            elif fault.kind == "reset":
                return None
            elif fault.kind == "malformed":
                return Reply(200, b'{"RequestId": "malformed", "truncated": [1, 2,')
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
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
