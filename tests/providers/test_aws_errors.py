"""Errors from the wire, injected at the server: normalized, bounded retries, no secrets."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from aws_seed import FAKE_KEY_ID, FAKE_SECRET, Fault, MotoServer, make_profile
from scalectl_aws.provider import AwsProvider

from scalectl.core.errors import ErrorKind, ExitCode, ProviderError

pytest_plugins = ["conftest_aws"]


def _reader(server: MotoServer, **profile: Any) -> Any:
    return AwsProvider().open_reader(make_profile(server.endpoint, **profile))


def _assert_clean(err: ProviderError) -> None:
    text = str(err)
    assert "\n" not in text and "Traceback" not in text
    assert FAKE_SECRET not in text and FAKE_KEY_ID not in text
    assert err.__cause__ is None and err.__suppress_context__


def test_throttling_is_retried_then_succeeds(aws_shop: dict[str, Any], aws_env: MotoServer) -> None:
    aws_env.inject(Fault(400, "Throttling", count=1, action="DescribeAutoScalingGroups"))
    groups = _reader(aws_env, max_retries=2).list_groups()
    assert len(groups) == 4
    assert aws_env.log.counts()["DescribeAutoScalingGroups"] == 2


def test_throttling_gives_up_after_max_retries(aws_env: MotoServer) -> None:
    aws_env.inject(Fault(400, "Throttling", count=10))
    with pytest.raises(ProviderError) as err:
        _reader(aws_env, max_retries=1).list_groups()
    assert err.value.kind is ErrorKind.THROTTLED
    assert err.value.code == "Throttling"
    assert err.value.request_id == "req-fault-0001"
    assert err.value.http_status == 400
    assert err.value.retryable and err.value.exit_code is ExitCode.PROVIDER
    assert aws_env.log.counts()["DescribeAutoScalingGroups"] == 2  # 1 try + 1 retry, bounded
    _assert_clean(err.value)


def test_throttling_on_the_json_protocol(aws_env: MotoServer) -> None:
    # CloudWatch speaks the JSON protocol (X-Amz-Target): its errors normalize the same way.
    aws_env.inject(Fault(400, "ThrottlingException", count=10, action="DescribeAlarms"))
    with pytest.raises(ProviderError) as err:
        _reader(aws_env).list_alarms()
    assert (err.value.kind, err.value.code) == (ErrorKind.THROTTLED, "ThrottlingException")


@pytest.mark.parametrize(
    "code",
    [
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "UnrecognizedClientException",
    ],
)
def test_auth_errors_are_not_retried(aws_env: MotoServer, code: str) -> None:
    aws_env.inject(Fault(403, code, count=10))
    with pytest.raises(ProviderError) as err:
        _reader(aws_env, max_retries=3).list_groups()
    assert err.value.kind is ErrorKind.AUTH and err.value.code == code
    assert not err.value.retryable
    assert aws_env.log.counts()["DescribeAutoScalingGroups"] == 1
    _assert_clean(err.value)


def test_server_errors_are_retried_then_unavailable(aws_env: MotoServer) -> None:
    aws_env.inject(Fault(503, "ServiceUnavailable", count=10))
    with pytest.raises(ProviderError) as err:
        _reader(aws_env, max_retries=1).list_groups()
    assert err.value.kind is ErrorKind.UNAVAILABLE and err.value.http_status == 503
    assert aws_env.log.counts()["DescribeAutoScalingGroups"] == 2


def test_a_body_that_is_not_aws_is_malformed_and_not_echoed(aws_env: MotoServer) -> None:
    aws_env.inject(Fault(500, "", count=10, html=True))
    with pytest.raises(ProviderError) as err:
        _reader(aws_env).list_groups()
    assert err.value.kind is ErrorKind.MALFORMED
    assert "doctype" not in str(err.value)
    _assert_clean(err.value)


def test_validation_not_found_is_not_found(
    aws_shop: dict[str, Any], aws_env: MotoServer, aws_writer: Any
) -> None:
    # AWS (and moto) answer ValidationError "AutoScalingGroup name not found".
    with pytest.raises(ProviderError) as err:
        aws_writer.set_bounds("nope", min_size=1, max_size=2, desired=None)
    assert err.value.kind is ErrorKind.NOT_FOUND and err.value.code == "ValidationError"
    assert err.value.exit_code is ExitCode.NOT_FOUND
    assert err.value.request_id


def test_validation_errors_are_invalid(aws_env: MotoServer) -> None:
    aws_env.inject(Fault(400, "ValidationError", count=1))
    with pytest.raises(ProviderError) as err:
        _reader(aws_env).list_groups()
    assert err.value.kind is ErrorKind.INVALID


def test_a_slow_server_is_a_timeout(aws_env: MotoServer) -> None:
    aws_env.inject(Fault(200, "", count=1, delay_s=1.0))
    with pytest.raises(ProviderError) as err:
        _reader(aws_env, timeout_s=0.2).list_groups()
    assert err.value.kind is ErrorKind.TIMEOUT


def test_nobody_listening_is_unavailable(aws_env: MotoServer) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    reader = AwsProvider().open_reader(make_profile(f"http://127.0.0.1:{port}"))
    with pytest.raises(ProviderError) as err:
        reader.list_groups()
    assert err.value.kind is ErrorKind.UNAVAILABLE
    _assert_clean(err.value)


def test_no_credentials_is_an_auth_error(
    aws_env: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(ProviderError) as err:
        _reader(aws_env).list_groups()
    assert err.value.kind is ErrorKind.AUTH
    assert aws_env.log.calls == []


def test_an_unknown_aws_profile_is_an_auth_error(aws_env: MotoServer) -> None:
    with pytest.raises(ProviderError) as err:
        _reader(aws_env, aws_profile="does-not-exist")
    assert err.value.kind is ErrorKind.AUTH
