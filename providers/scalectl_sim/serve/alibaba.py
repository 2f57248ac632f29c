"""`scalectl sim serve --api alibaba`: a sim world behind Alibaba Cloud's RPC API.

One endpoint answers three products, told apart by ``Version`` as the SDK sends it: ESS
(2014-08-28), SLB (2014-05-15) and CMS (2019-01-01). Every request's HMAC-SHA1 signature is
checked (provider-wire-facts §2.3), with the API's replay checks (Timestamp within 15 minutes,
SignatureNonce used once); errors use the RPC envelope ``{RequestId, HostId, Code, Message}``
with the documented HTTP statuses. The actions live in alibaba_ess and alibaba_slb.

Where the sim is narrower than ESS (each answered with ``InvalidParameter.NotSupported``):
an alarm task must trigger exactly one simple or step rule of its group (the sim keeps a rule and
its alarm as one portable rule; a simple/step rule created first waits, runnable by nobody, until
its CreateAlarm); the sim's own standalone alarms are read-only; scheduled tasks set
Min/Max/Desired of a group with a Cron recurrence or a one-off LaunchTime (no ScheduledAction,
no Daily/Weekly/Monthly). Target-tracking rules keep no description, and a sim M-of-N alarm shows
as EvaluationCount = N, because ESS has neither.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote

from pydantic import ValidationError

from scalectl.core.errors import NotFoundError, ProviderError, RefusedError, ScalectlError
from scalectl.core.provider import ProviderReader, ProviderWriter
from scalectl_sim.serve.common import EmulatorServer, FaultReplies, Reply, Request

VERSIONS = {"2014-08-28": "ess", "2014-05-15": "slb", "2019-01-01": "cms"}
HOSTS = {"ess": "ess.aliyuncs.com", "slb": "slb.aliyuncs.com", "cms": "metrics.aliyuncs.com"}


def new_request_id() -> str:
    return str(uuid.uuid4()).upper()


class ApiError(Exception):
    """An error reply: the handlers raise it, the dispatcher words it in the RPC envelope."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def invalid(name: str, detail: str = "") -> ApiError:
    text = f'The specified parameter "{name}" is not valid.'
    return ApiError(400, "InvalidParameter", f"{text} {detail}".strip())


def error_reply(status: int, code: str, message: str, product: str = "ess") -> Reply:
    return Reply.json(
        status,
        {
            "RequestId": new_request_id(),
            "HostId": HOSTS.get(product, HOSTS["ess"]),
            "Code": code,
            "Message": message,
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={code}",
        },
    )


class Params:
    """The request's parameters with typed, validated getters (errors are ``InvalidParameter``)."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def text(self, name: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self.values.get(name)
        if value in (None, ""):
            if required:
                raise ApiError(
                    400,
                    f"MissingParameter.{name}" if name else "MissingParameter",
                    f'The input parameter "{name}" that is mandatory for processing '
                    "this request is not supplied.",
                )
            return default
        return value

    def need(self, name: str) -> str:
        value = self.text(name, required=True)
        assert value is not None
        return value

    def integer(
        self,
        name: str,
        default: int | None = None,
        *,
        low: int | None = None,
        high: int | None = None,
    ) -> int | None:
        text = self.text(name)
        if text is None:
            return default
        try:
            value = int(text)
        except ValueError:
            raise invalid(name, "It must be an integer.") from None
        if (low is not None and value < low) or (high is not None and value > high):
            raise invalid(name, f"It must be between {low} and {high}.")
        return value

    def number(self, name: str) -> float | None:
        text = self.text(name)
        if text is None:
            return None
        try:
            return float(text)
        except ValueError:
            raise invalid(name, "It must be a number.") from None

    def repeated(self, name: str) -> list[str]:
        """``Name.1``, ``Name.2`` ... in order (RPC repeat lists start at 1)."""
        found = []
        index = 1
        while f"{name}.{index}" in self.values:
            found.append(self.values[f"{name}.{index}"])
            index += 1
        return found

    def repeated_maps(self, name: str) -> list[dict[str, str]]:
        """``Name.N.Key`` entries as one dict per N, in N order."""
        rows: dict[int, dict[str, str]] = {}
        prefix = f"{name}."
        for key, value in self.values.items():
            if not key.startswith(prefix):
                continue
            index, _, sub = key[len(prefix) :].partition(".")
            if index.isdigit() and sub:
                rows.setdefault(int(index), {})[sub] = value
        return [rows[i] for i in sorted(rows)]

    def page(self, max_size: int, default_size: int = 10) -> tuple[int, int]:
        number = self.integer("PageNumber", 1, low=1, high=100000) or 1
        size = self.integer("PageSize", default_size, low=1, high=max_size) or default_size
        return number, size


def paged(items: list[Any], number: int, size: int) -> list[Any]:
    return items[(number - 1) * size : number * size]


def pct(text: str) -> str:
    return quote(text, safe="~")


def string_to_sign(method: str, params: dict[str, str]) -> str:
    canonical = "&".join(
        f"{pct(k)}={pct(v)}" for k, v in sorted(params.items()) if k != "Signature"
    )
    return f"{method}&{pct('/')}&{pct(canonical)}"


def sign(secret: str, text: str) -> str:
    digest = hmac.new(f"{secret}&".encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AlibabaFaults(FaultReplies):
    """Faults worded as Alibaba's API words them (codes and statuses from the ESS error center)."""

    def reply(self, kind: str, action: str) -> Reply:
        if kind == "throttle":
            return error_reply(400, "Throttling", "Request was denied due to request throttling.")
        if kind == "503":
            return error_reply(
                503,
                "ServiceUnavailable",
                "The request has failed due to a temporary failure of the server.",
            )
        if kind == "auth":
            return error_reply(
                404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."
            )
        return error_reply(
            500, "InternalError", "The request processing has failed due to some unknown error."
        )


ActionHandler = Callable[["AlibabaApi", Params, str], dict[str, Any]]


class AlibabaApi:
    """The request pipeline: parse, check the signature, run the action against the sim."""

    def __init__(
        self,
        reader: ProviderReader,
        writer: ProviderWriter | None,
        *,
        access_key_id: str,
        access_key_secret: str,
    ) -> None:
        from scalectl_sim.serve import alibaba_ess, alibaba_ess_rules, alibaba_slb

        self.reader = reader
        self._writer = writer
        self._key_id = access_key_id
        self._secret = access_key_secret
        # The sim's reader/writer share one SQLite world; one request at a time touches it.
        self.lock = threading.Lock()
        # Simple/step rules created before their alarm task: ESS keeps them, the portable model
        # cannot (a portable simple rule needs its alarm), so they wait here until CreateAlarm.
        self.pending_rules: dict[tuple[str, str], dict[str, Any]] = {}
        self._nonces: dict[str, None] = {}  # insertion-ordered: the oldest is dropped first
        # ClientToken -> activity id: a retried ExecuteScalingRule runs once (ESS idempotency).
        self.client_tokens: dict[tuple[str, str, str], str] = {}
        self.actions: dict[tuple[str, str], ActionHandler] = {
            **{("ess", name): fn for name, fn in alibaba_ess.ACTIONS.items()},
            **{("ess", name): fn for name, fn in alibaba_ess_rules.ACTIONS.items()},
            **{(product, name): fn for (product, name), fn in alibaba_slb.ACTIONS.items()},
        }

    @property
    def writer(self) -> ProviderWriter:
        """The sim's writer; a read-only sim profile serves reads only (RAM-style denial)."""
        if self._writer is None:
            raise ApiError(
                403,
                "Forbidden.RAM",
                "The sim profile behind this endpoint is "
                "read-only: write actions are not authorized.",
            )
        return self._writer

    @staticmethod
    def params_of(request: Request) -> dict[str, str]:
        params = dict(parse_qsl(request.query, keep_blank_values=True))
        if request.body and "form" in request.headers.get("content-type", ""):
            params.update(parse_qsl(request.body.decode(), keep_blank_values=True))
        return params

    @classmethod
    def action_of(cls, request: Request) -> str:
        return cls.params_of(request).get("Action", "") or request.headers.get("x-acs-action", "")

    def handle(self, request: Request) -> Reply:
        params = self.params_of(request)
        product = VERSIONS.get(params.get("Version", ""), "")
        action = params.get("Action", "")
        try:
            self._authenticate(request.method, params)
            if not product:
                raise ApiError(
                    400,
                    "InvalidVersion",
                    f"Specified parameter Version {params.get('Version', '')!r} is not valid.",
                )
            handler = self.actions.get((product, action))
            if handler is None:
                raise ApiError(
                    404,
                    "InvalidAction.NotFound",
                    "Specified api is not found, please check your url and method.",
                )
            region = params.get("RegionId") or "cn-hangzhou"
            with self.lock:
                body = handler(self, Params(params), region)
        except ApiError as err:
            return error_reply(err.status, err.code, err.message, product or "ess")
        except ValidationError as err:
            first = err.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            return error_reply(400, "InvalidParameter", f"{field}: {first['msg']}", product)
        except NotFoundError as err:
            return error_reply(
                404,
                "InvalidScalingGroupId.NotFound"
                if err.what == "group"
                else "InvalidParameter.NotFound",
                str(err),
                product,
            )
        except (KeyError, ValueError) as err:
            return error_reply(
                400, "InvalidParameter", f"A parameter is missing or not valid: {err}", product
            )
        except (RefusedError, ProviderError, ScalectlError) as err:
            return error_reply(400, "InvalidParameter.Conflict", str(err), product)
        except Exception as err:  # the API's own failure mode: a 500 envelope, never a hang-up
            return error_reply(
                500,
                "InternalError",
                "The request processing has failed due to "
                f"some unknown error. ({type(err).__name__})",
                product,
            )
        body = {"RequestId": new_request_id(), **body}
        return Reply.json(200, body)

    def _authenticate(self, method: str, params: dict[str, str]) -> None:
        key_id = params.get("AccessKeyId", "")
        if not key_id:
            raise ApiError(400, "MissingAccessKeyId", "AccessKeyId is mandatory for this action.")
        if key_id != self._key_id:
            raise ApiError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        if params.get("SignatureMethod", "HMAC-SHA1") != "HMAC-SHA1":
            raise ApiError(
                400, "InvalidSignatureMethod", "Specified signature method is not supported."
            )
        text = string_to_sign(method, params)
        if not hmac.compare_digest(sign(self._secret, text), params.get("Signature", "")):
            # The SDK compares the string after the colon with its own (wire facts §2.5).
            raise ApiError(
                400,
                "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation. "
                f"server string to sign is:{text}",
            )
        self._check_freshness(params)

    def _check_freshness(self, params: dict[str, str]) -> None:
        """Replay protection as the RPC API does it: a Timestamp within 15 minutes of the
        server's (wall) clock, and a SignatureNonce never seen before."""
        try:
            sent = datetime.strptime(params.get("Timestamp", ""), "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            raise ApiError(
                400,
                "InvalidTimeStamp.Format",
                "Specified time stamp does not match the specified format.",
            ) from None
        if abs(datetime.now(UTC) - sent.replace(tzinfo=UTC)) > timedelta(minutes=15):
            raise ApiError(
                400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."
            )
        nonce = params.get("SignatureNonce", "")
        with self.lock:
            if not nonce or nonce in self._nonces:
                raise ApiError(
                    400, "SignatureNonceUsed", "Specified signature nonce was used already."
                )
            self._nonces[nonce] = None
            if len(self._nonces) > 100_000:  # remember a bounded window
                self._nonces.pop(next(iter(self._nonces)))


def make_server(
    reader: ProviderReader,
    writer: ProviderWriter | None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    access_key_id: str,
    access_key_secret: str,
) -> EmulatorServer:
    api = AlibabaApi(
        reader, writer, access_key_id=access_key_id, access_key_secret=access_key_secret
    )
    server = EmulatorServer(api.handle, api.action_of, AlibabaFaults(), host=host, port=port)
    return server
