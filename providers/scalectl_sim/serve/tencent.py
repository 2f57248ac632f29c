"""`scalectl sim serve --api tencent`: a sim world through Tencent Cloud API 3.0.

One port serves the three products the adapter uses, told apart by X-TC-Version: AS 2018-04-19,
CLB 2018-03-17 and Cloud Monitor 2018-07-24. Requests are POST JSON signed with TC3-HMAC-SHA256
(verified); replies are ``{"Response": {..., "RequestId"}}`` with HTTP 200, errors
``{"Response": {"Error": {"Code", "Message"}, "RequestId"}}`` with HTTP 200 too, as the real API
does. Content-Type is exactly ``application/json``: the SDK compares it by equality.

Ids are Tencent-style (``asg-``, ``ins-``, ``asp-``, ``asst-``, ``asa-``, ``lb-``, ``lbl-``,
``policy-``) derived from sim names by hash; the map back is kept per server and rebuilt from the
world on a miss, so it is a bijection over the world's objects.

Deviations, on purpose (Tencent cannot say more): time windows (GetMonitorData,
DescribeAlarmHistories) are read relative to the sim's clock, which need not be the wall clock;
sim rules Tencent cannot express (step, predictive, target tracking on other metrics than CPU or
LAN traffic) are not listed; CLB has three schedulers, so other sim algorithms are shown as the
nearest one (WRR, LEAST_CONN, IP_HASH); M-of-N alarms are shown with N consecutive periods;
alarms a target-tracking rule manages carry a fixed Remark (``mapping.TT_ALARM_REMARK``).
Actions are split by product: tencent_as, tencent_clb, tencent_monitor (shared: tencent_wire).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from scalectl.core.errors import InputError, NotFoundError, ProviderError, RefusedError
from scalectl.core.provider import ProviderReader, ProviderWriter
from scalectl_sim.serve.common import EmulatorServer, Reply, Request
from scalectl_sim.serve.tencent_as import AsActions
from scalectl_sim.serve.tencent_clb import ClbActions
from scalectl_sim.serve.tencent_monitor import MonitorActions
from scalectl_sim.serve.tencent_sign import SignatureError, verify
from scalectl_sim.serve.tencent_wire import (
    VERSIONS,
    ApiError,
    TencentFaults,
    error_reply,
    reply_with,
)


class TencentApi(AsActions, ClbActions, MonitorActions):
    """The actions, each a method taking the request's JSON params and returning the payload."""

    def __init__(self, reader: ProviderReader, writer: ProviderWriter | None, region: str) -> None:
        super().__init__(reader, writer, region)
        self.handlers: dict[tuple[str, str], Callable[[dict[str, Any]], dict[str, Any]]] = {
            ("as", "DescribeAutoScalingGroups"): self.describe_groups,
            ("as", "DescribeAutoScalingInstances"): self.describe_instances,
            ("as", "DescribeAutoScalingActivities"): self.describe_activities,
            ("as", "DescribeScalingPolicies"): self.describe_policies,
            ("as", "DescribeScheduledActions"): self.describe_scheduled,
            ("as", "ModifyDesiredCapacity"): self.modify_desired,
            ("as", "ModifyAutoScalingGroup"): self.modify_group,
            ("as", "CreateScalingPolicy"): self.create_policy,
            ("as", "ModifyScalingPolicy"): self.modify_policy,
            ("as", "DeleteScalingPolicy"): self.delete_policy,
            ("as", "ExecuteScalingPolicy"): self.execute_policy,
            ("as", "CreateScheduledAction"): self.create_scheduled,
            ("as", "ModifyScheduledAction"): self.modify_scheduled,
            ("as", "DeleteScheduledAction"): self.delete_scheduled,
            ("as", "DisableAutoScalingGroup"): self.disable_group,
            ("as", "EnableAutoScalingGroup"): self.enable_group,
            ("clb", "DescribeLoadBalancers"): self.describe_balancers,
            ("clb", "DescribeListeners"): self.describe_listeners,
            ("clb", "DescribeTargetHealth"): self.describe_target_health,
            ("monitor", "DescribeAlarmPolicies"): self.describe_alarm_policies,
            ("monitor", "DescribeAlarmHistories"): self.describe_alarm_histories,
            ("monitor", "GetMonitorData"): self.get_monitor_data,
        }


def _status_code(exc: Exception) -> tuple[str, str]:
    if isinstance(exc, ApiError):
        return exc.code, exc.message
    if isinstance(exc, NotFoundError):
        return f"ResourceNotFound.{exc.what.title().replace(' ', '')}NotFound", str(exc)
    if isinstance(exc, InputError):
        return "InvalidParameterValue", str(exc)
    if isinstance(exc, RefusedError):
        return "FailedOperation", str(exc)
    if isinstance(exc, ProviderError):
        return exc.code or "FailedOperation", exc.message
    return "InternalError", "An internal error has occurred."


def make_server(
    reader: ProviderReader,
    writer: ProviderWriter | None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    access_key_id: str,
    access_key_secret: str,
    region: str = "ap-guangzhou",
) -> EmulatorServer:
    api = TencentApi(reader, writer, region)

    def action_of(request: Request) -> str:
        return request.headers.get("x-tc-action", "")

    def handle(request: Request) -> Reply:
        try:
            verify(
                method=request.method,
                uri=request.path,
                query=request.query,
                headers=request.headers,
                body=request.body,
                access_key_id=access_key_id,
                access_key_secret=access_key_secret,
                now=time.time(),
            )
        except SignatureError as exc:
            return error_reply(exc.code, exc.message)
        if request.method != "POST":
            return error_reply("UnsupportedProtocol", "This emulator accepts POST JSON only.")
        service = VERSIONS.get(request.headers.get("x-tc-version", ""))
        action = action_of(request)
        handler = api.handlers.get((service or "", action))
        if handler is None:
            return error_reply(
                "InvalidAction",
                f"The action `{action}` is not supported "
                f"for version `{request.headers.get('x-tc-version', '')}`.",
            )
        try:
            params = json.loads(request.body or b"{}")
            if not isinstance(params, dict):
                raise ValueError("the body is not a JSON object")
        except ValueError as exc:
            return error_reply("InvalidParameter", f"Invalid JSON body: {exc}")
        try:
            return reply_with(handler(params))
        except Exception as exc:  # every failure becomes Tencent's error envelope
            return error_reply(*_status_code(exc))

    return EmulatorServer(handle, action_of, TencentFaults(), host=host, port=port)
