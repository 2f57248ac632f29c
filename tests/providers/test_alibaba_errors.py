"""Errors, retries and log hygiene of the Alibaba adapter, with faults injected at the emulator."""

from __future__ import annotations

import logging

import pytest
from alibaba_fixtures import *  # noqa: F403
from alibaba_fixtures import SECRET, AliWorld

from scalectl.core.errors import ErrorKind, ExitCode, ProviderError
from scalectl.core.rules import TargetTrackingRule


def test_wrong_secret_is_an_auth_error_with_code_and_request_id(
    ali_shared: AliWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "not-the-secret")
    reader, _ = ali_shared.adapter()
    ali_shared.reset_calls()
    with pytest.raises(ProviderError) as err:
        reader.list_groups()
    # The server says SignatureDoesNotMatch; the SDK, seeing the same string to sign, reports
    # the cloud's InvalidAccessKeySecret (provider-wire-facts §2.5).
    assert err.value.kind is ErrorKind.AUTH
    assert err.value.code == "InvalidAccessKeySecret"
    assert err.value.http_status == 400
    assert err.value.request_id
    assert err.value.exit_code is ExitCode.PROVIDER
    assert "not-the-secret" not in str(err.value)
    assert ali_shared.calls()["DescribeScalingGroups"] == 1  # auth errors are not retried


def test_unknown_access_key(ali_shared: AliWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI_SOMEONE_ELSE")
    reader, _ = ali_shared.adapter()
    with pytest.raises(ProviderError) as err:
        reader.list_groups()
    assert (err.value.kind, err.value.code, err.value.http_status) == (
        ErrorKind.AUTH,
        "InvalidAccessKeyId.NotFound",
        404,
    )


def test_missing_credentials(ali_shared: AliWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
    with pytest.raises(ProviderError) as err:
        ali_shared.adapter()
    assert err.value.kind is ErrorKind.AUTH and "ALIBABA_CLOUD_ACCESS_KEY_SECRET" in str(err.value)


def test_throttling_is_retried_and_succeeds(ali_shared: AliWorld) -> None:
    reader, _ = ali_shared.adapter()
    ali_shared.reset_calls()
    ali_shared.fault("throttle", count=2, action="DescribeScalingGroups")
    assert len(reader.list_groups()) == 6
    assert ali_shared.calls()["DescribeScalingGroups"] == 3


def test_5xx_beyond_retries_is_unavailable(ali_shared: AliWorld) -> None:
    reader, _ = ali_shared.adapter(max_retries=2)
    ali_shared.reset_calls()
    ali_shared.fault("5xx", count=10, action="DescribeScalingGroups")
    try:
        with pytest.raises(ProviderError) as err:
            reader.list_groups()
    finally:
        ali_shared.fault_clear()
    assert (err.value.kind, err.value.code, err.value.http_status) == (
        ErrorKind.UNAVAILABLE,
        "InternalError",
        500,
    )
    assert err.value.request_id
    assert ali_shared.calls()["DescribeScalingGroups"] == 3  # 1 + max_retries


def test_503_then_success(ali_shared: AliWorld) -> None:
    reader, _ = ali_shared.adapter()
    ali_shared.fault("503", count=1, action="DescribeLoadBalancers")
    assert {b.name for b in reader.list_balancers()} == {"shop-alb", "shop-clb", "internal-lb"}


def test_throttling_beyond_retries(ali_shared: AliWorld) -> None:
    reader, _ = ali_shared.adapter(max_retries=1)
    ali_shared.fault("throttle", count=5, action="DescribeAlarms")
    try:
        with pytest.raises(ProviderError) as err:
            reader.list_alarms()
    finally:
        ali_shared.fault_clear()
    assert (err.value.kind, err.value.code) == (ErrorKind.THROTTLED, "Throttling")


def test_create_is_not_retried_on_5xx(ali: AliWorld) -> None:
    reader, writer = ali.adapter()
    ali.reset_calls()
    ali.fault("5xx", count=1, action="CreateScalingRule")
    rule = TargetTrackingRule(name="mem-70", group="web", metric="memory", target=70)
    with pytest.raises(ProviderError) as err:
        writer.put_rule(rule)
    assert err.value.kind is ErrorKind.UNAVAILABLE
    assert ali.calls()["CreateScalingRule"] == 1  # it may have run: never create twice
    writer.put_rule(rule)
    assert rule in reader.list_rules("web")


def test_malformed_body(ali_shared: AliWorld) -> None:
    reader, _ = ali_shared.adapter()
    ali_shared.fault("malformed", count=1, action="DescribeScalingGroups")
    with pytest.raises(ProviderError) as err:
        reader.list_groups()
    assert err.value.kind is ErrorKind.MALFORMED


def test_slow_reply_times_out(ali_shared: AliWorld) -> None:
    reader, _ = ali_shared.adapter(timeout_s=0.5, max_retries=0)
    ali_shared.fault("slow", count=1, action="DescribeScalingGroups", delay_s=1.5)
    with pytest.raises(ProviderError) as err:
        reader.list_groups()
    assert err.value.kind is ErrorKind.TIMEOUT
    assert "Signature=" not in str(err.value) or "Signature=***" in str(err.value)


def test_connection_reset_is_retried(ali_shared: AliWorld) -> None:
    reader, _ = ali_shared.adapter()
    ali_shared.fault("reset", count=1, action="DescribeScalingGroups")
    assert len(reader.list_groups()) == 6


def test_no_secret_in_any_log(
    ali_shared: AliWorld,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    # DEBUG=sdk makes the SDK dump request lines and headers through its own stderr handler.
    monkeypatch.setenv("DEBUG", "sdk")
    caplog.set_level(logging.DEBUG)
    for name in ("aliyunsdkcore", "aliyunsdkcore.client", "aliyunsdkcore.http.http_response"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    reader, _ = ali_shared.adapter()
    reader.list_groups()
    ali_shared.fault("5xx", count=1, action="DescribeAlarms")
    reader.list_alarms()
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET + "-wrong")
    bad, _ = ali_shared.adapter(max_retries=0)
    with pytest.raises(ProviderError):
        bad.list_groups()
    captured = capfd.readouterr()
    text = caplog.text + captured.out + captured.err
    assert "DescribeScalingGroups" in text  # the SDK did log at DEBUG
    assert SECRET not in text
    assert "Signature=" not in text.replace("Signature=***", "")
