"""A moto server on 127.0.0.1 for the AWS adapter's tests (and the CLI's), and its seed data.

- ``MotoServer``: moto's WSGI app behind a small middleware that logs every request by service and
  action (to count API calls at the server) and can inject faults (throttling, 5xx, auth errors,
  slow answers) for the next N matching requests.
- ``seed_aws(endpoint)``: a small shop: four groups with a launch template, an ALB with three
  target groups (one per balancing algorithm) and listeners, alarms, policies of every kind and
  scheduled actions. ``seed_many(endpoint, n)``: n bare groups with instances, for paging.
- ``fake_aws_env(monkeypatch)``: fake credentials, no proxies, no real ~/.aws files, no IMDS.
"""

from __future__ import annotations

import io
import json
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scalectl.config import Profile

REGION = "us-east-1"
FAKE_KEY_ID = "AKIATESTINGSCALECTL"
FAKE_SECRET = "testing-secret-not-real"  # moto does not check signatures

ALGORITHMS = {
    "tg-web": "round_robin",
    "tg-api": "least_outstanding_requests",
    "tg-checkout": "weighted_random",
}


@dataclass
class Fault:
    """Answer the next ``count`` requests whose action matches with this error (or body)."""

    status: int
    code: str
    count: int
    action: str | None = None
    delay_s: float = 0.0  # answer late (to trigger client read timeouts)
    html: bool = False  # an HTML error page instead of an AWS error body
    body: str = ""  # a canned answer (status 200): what AWS sends where moto has a stub


@dataclass(frozen=True)
class Call:
    service: str
    action: str
    params: dict[str, Any]  # form fields (query protocol) or the JSON body


@dataclass
class RequestLog:
    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)

    def of(self, action: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.action == action]

    def clear(self) -> None:
        with self.lock:
            self.calls.clear()

    def counts(self) -> Counter[str]:
        with self.lock:
            return Counter(c.action for c in self.calls)


def _service_of(environ: dict[str, Any]) -> str:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    # SigV4: Credential=KEY/DATE/REGION/SERVICE/aws4_request
    if "Credential=" in auth:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        if len(scope) >= 4:
            return str(scope[3])
    return ""


class _Middleware:
    def __init__(self, app: Callable[..., Any], log: RequestLog) -> None:
        self.app = app
        self.log = log
        self.faults: list[Fault] = []
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        params: dict[str, Any]
        if target:
            action = target.rsplit(".", 1)[-1]
            try:
                params = json.loads(body or b"{}")
            except ValueError:
                params = {}
        else:
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            form.update(urllib.parse.parse_qs(environ.get("QUERY_STRING", "")))
            params = {key: values[0] for key, values in form.items()}
            action = str(params.get("Action", ""))
        service = _service_of(environ)
        if not service and environ.get("PATH_INFO", "").startswith("/moto-api"):
            return self.app(environ, start_response)
        self.log.add(Call(service, action, params))
        fault = self._take_fault(action)
        if fault is not None:
            return self._fail(fault, bool(target), start_response)
        return self.app(environ, start_response)

    def _take_fault(self, action: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.count > 0 and fault.action in (None, action):
                    fault.count -= 1
                    return fault
        return None

    @staticmethod
    def _fail(fault: Fault, json_protocol: bool, start_response: Callable[..., Any]) -> Any:
        if fault.delay_s:
            time.sleep(fault.delay_s)
        request_id = "req-fault-0001"
        if fault.body:
            payload = fault.body.encode()
            content_type = "text/xml"
        elif fault.html:
            payload = b"<!doctype html><title>Internal Server Error</title>"
            content_type = "text/html"
        elif json_protocol:
            payload = json.dumps(
                {"__type": fault.code, "message": f"injected {fault.code}"}
            ).encode()
            content_type = "application/x-amz-json-1.0"
        else:
            payload = (
                "<ErrorResponse><Error><Type>Sender</Type>"
                f"<Code>{fault.code}</Code><Message>injected {fault.code}</Message>"
                f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
            ).encode()
            content_type = "text/xml"
        reason = {
            400: "Bad Request",
            403: "Forbidden",
            500: "Internal Server Error",
            503: "Service Unavailable",
        }.get(fault.status, "Error")
        start_response(
            f"{fault.status} {reason}",
            [
                ("Content-Type", content_type),
                ("Content-Length", str(len(payload))),
                ("x-amzn-RequestId", request_id),
            ],
        )
        return [payload]


class MotoServer:
    """moto's server app in a daemon thread on 127.0.0.1 with a free port."""

    def __init__(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import WSGIRequestHandler, make_server

        class QuietHandler(WSGIRequestHandler):
            def log(self, type: str, message: str, *args: Any) -> None:
                pass  # one line per request would drown the test output

        self.log = RequestLog()
        self._middleware = _Middleware(DomainDispatcherApplication(create_backend_app), self.log)
        self._server = make_server(
            "127.0.0.1", 0, self._middleware, threaded=True, request_handler=QuietHandler
        )
        self.endpoint = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> MotoServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def reset(self) -> None:
        """Forget every resource (moto's own reset) and every logged call and fault."""
        urllib.request.urlopen(self.endpoint + "/moto-api/reset", data=b"").read()
        self.log.clear()
        self.clear_faults()

    def inject(self, fault: Fault) -> None:
        with self._middleware.lock:
            self._middleware.faults.append(fault)

    def clear_faults(self) -> None:
        with self._middleware.lock:
            self._middleware.faults.clear()


def fake_aws_env(monkeypatch: Any, tmp_path: Any) -> None:
    """Fake credentials only; nothing from the real environment can leak into a test."""
    for var in (
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def make_profile(endpoint: str, **overrides: Any) -> Profile:
    """A ``local-aws`` profile on the server; no retries unless a test asks."""
    from scalectl.config import Profile

    values: dict[str, Any] = {
        "name": "local-aws",
        "provider": "aws",
        "region": REGION,
        "endpoint": endpoint,
        "timeout_s": 10.0,
        "max_retries": 0,
    }
    values.update(overrides)
    return Profile(**values)


def clients(endpoint: str, *services: str) -> list[Any]:
    """Plain boto3 clients on the server: one attempt each, fake keys."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30)
    return [
        boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id=FAKE_KEY_ID,
            aws_secret_access_key=FAKE_SECRET,
            config=config,
        )
        for service in services
    ]


def _network(ec2: Any) -> tuple[str, list[str]]:
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    return vpc, [s["SubnetId"] for s in subnets][:2]


def _launch_template(ec2: Any) -> dict[str, str]:
    name = "lt-scalectl"
    existing = ec2.describe_launch_templates(
        Filters=[{"Name": "launch-template-name", "Values": [name]}]
    )["LaunchTemplates"]
    if not existing:
        ec2.create_launch_template(
            LaunchTemplateName=name,
            LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "t3.micro"},
        )
    return {"LaunchTemplateName": name, "Version": "$Latest"}


def _policy_arn(asg: Any, group: str, name: str) -> str:
    # moto omits PolicyARN from PutScalingPolicy's response (AWS returns it).
    found = asg.describe_policies(AutoScalingGroupName=group, PolicyNames=[name])
    return str(found["ScalingPolicies"][0]["PolicyARN"])


def seed_aws(endpoint: str) -> dict[str, Any]:
    """Seed the shop; returns the names and ARNs the tests refer to."""
    asg, elbv2, cw, ec2 = clients(endpoint, "autoscaling", "elbv2", "cloudwatch", "ec2")
    vpc, subnets = _network(ec2)
    template = _launch_template(ec2)
    lb = elbv2.create_load_balancer(Name="alb-shop", Subnets=subnets, Type="application")
    lb_arn = lb["LoadBalancers"][0]["LoadBalancerArn"]
    target_groups: dict[str, str] = {}
    for port, (name, algorithm) in zip((80, 8080, 8443), ALGORITHMS.items(), strict=True):
        tg = elbv2.create_target_group(
            Name=name, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="instance"
        )["TargetGroups"][0]["TargetGroupArn"]
        elbv2.modify_target_group_attributes(
            TargetGroupArn=tg,
            Attributes=[{"Key": "load_balancing.algorithm.type", "Value": algorithm}],
        )
        elbv2.create_listener(
            LoadBalancerArn=lb_arn,
            Protocol="HTTP",
            Port=port,
            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
        )
        target_groups[name] = tg
    groups = {
        "web": (2, 10, 3, "tg-web"),
        "api": (1, 6, 2, "tg-api"),
        "checkout": (1, 4, 1, "tg-checkout"),
        "batch": (0, 5, 0, None),
    }
    for name, (low, high, desired, tg_name) in groups.items():
        params: dict[str, Any] = {
            "AutoScalingGroupName": name,
            "LaunchTemplate": template,
            "MinSize": low,
            "MaxSize": high,
            "DesiredCapacity": desired,
            "VPCZoneIdentifier": ",".join(subnets),
            "DefaultCooldown": 120,
        }
        if tg_name:
            params["TargetGroupARNs"] = [target_groups[tg_name]]
        asg.create_auto_scaling_group(**params)

    # Target tracking on CPU (web) and on ALB requests per target (checkout).
    asg.put_scaling_policy(
        AutoScalingGroupName="web",
        PolicyName="cpu50",
        PolicyType="TargetTrackingScaling",
        EstimatedInstanceWarmup=120,
        TargetTrackingConfiguration={
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
            "TargetValue": 50.0,
        },
    )
    label = (
        lb_arn.split(":loadbalancer/", 1)[1]
        + "/targetgroup/"
        + target_groups["tg-checkout"].split(":targetgroup/", 1)[1]
    )
    asg.put_scaling_policy(
        AutoScalingGroupName="checkout",
        PolicyName="rps1000",
        PolicyType="TargetTrackingScaling",
        TargetTrackingConfiguration={
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "ALBRequestCountPerTarget",
                "ResourceLabel": label,
            },
            "TargetValue": 1000.0,
            "DisableScaleIn": True,
        },
    )
    # AWS creates these two alarms for a target-tracking policy; moto does not, so seed them.
    web_tt = _policy_arn(asg, "web", "cpu50")
    for suffix, op, threshold, periods in (
        ("AlarmHigh", "GreaterThanThreshold", 50.0, 3),
        ("AlarmLow", "LessThanThreshold", 45.0, 15),
    ):
        cw.put_metric_alarm(
            AlarmName=f"TargetTracking-web-{suffix}-6f1c1b1e-8c7d-4a52-9d0e-3b9a8c1d2e3f",
            AlarmDescription="DO NOT EDIT OR DELETE. For TargetTrackingScaling policy " + web_tt,
            Namespace="AWS/EC2",
            MetricName="CPUUtilization",
            Statistic="Average",
            Dimensions=[{"Name": "AutoScalingGroupName", "Value": "web"}],
            Period=60,
            EvaluationPeriods=periods,
            Threshold=threshold,
            ComparisonOperator=op,
            AlarmActions=[web_tt],
        )
    # Predictive on web.
    asg.put_scaling_policy(
        AutoScalingGroupName="web",
        PolicyName="forecast",
        PolicyType="PredictiveScaling",
        PredictiveScalingConfiguration={
            "MetricSpecifications": [
                {
                    "TargetValue": 40.0,
                    "PredefinedMetricPairSpecification": {
                        "PredefinedMetricType": "ASGCPUUtilization"
                    },
                }
            ],
            "Mode": "ForecastAndScale",
            "SchedulingBufferTime": 600,
            "MaxCapacityBreachBehavior": "IncreaseMaxCapacity",
            "MaxCapacityBuffer": 10,
        },
    )
    # Step scale-out and simple scale-in on api, each driven by its alarm.
    asg.put_scaling_policy(
        AutoScalingGroupName="api",
        PolicyName="cpu-step-out",
        PolicyType="StepScaling",
        AdjustmentType="ChangeInCapacity",
        MetricAggregationType="Average",
        EstimatedInstanceWarmup=60,
        StepAdjustments=[
            {
                "MetricIntervalLowerBound": 0.0,
                "MetricIntervalUpperBound": 20.0,
                "ScalingAdjustment": 1,
            },
            {"MetricIntervalLowerBound": 20.0, "ScalingAdjustment": 3},
        ],
    )
    cw.put_metric_alarm(
        AlarmName="api-cpu-high",
        Namespace="AWS/EC2",
        MetricName="CPUUtilization",
        Statistic="Average",
        Dimensions=[{"Name": "AutoScalingGroupName", "Value": "api"}],
        Period=60,
        EvaluationPeriods=3,
        DatapointsToAlarm=2,
        Threshold=70.0,
        ComparisonOperator="GreaterThanThreshold",
        TreatMissingData="notBreaching",
        AlarmActions=[_policy_arn(asg, "api", "cpu-step-out")],
    )
    asg.put_scaling_policy(
        AutoScalingGroupName="api",
        PolicyName="cpu-scale-in",
        PolicyType="SimpleScaling",
        AdjustmentType="PercentChangeInCapacity",
        ScalingAdjustment=-25,
        Cooldown=300,
        MinAdjustmentMagnitude=1,
    )
    cw.put_metric_alarm(
        AlarmName="api-cpu-low",
        Namespace="AWS/EC2",
        MetricName="CPUUtilization",
        Statistic="Average",
        Dimensions=[{"Name": "AutoScalingGroupName", "Value": "api"}],
        Period=300,
        EvaluationPeriods=2,
        Threshold=20.0,
        ComparisonOperator="LessThanOrEqualToThreshold",
        AlarmActions=[_policy_arn(asg, "api", "cpu-scale-in")],
    )
    cw.set_alarm_state(
        AlarmName="api-cpu-high",
        StateValue="ALARM",
        StateReason="Threshold Crossed: 2 out of the last 3 datapoints were greater than 70.0",
        # The shape CloudWatch writes when it evaluates an alarm.
        StateReasonData=json.dumps(
            {
                "version": "1.0",
                "statistic": "Average",
                "period": 60,
                "recentDatapoints": [64.0, 78.5, 83.25],
                "threshold": 70.0,
            }
        ),
    )
    # Scheduled: a recurring night shrink with a time zone, and a one-off launch-day boost.
    asg.put_scheduled_update_group_action(
        AutoScalingGroupName="batch",
        ScheduledActionName="nightly",
        Recurrence="0 2 * * *",
        TimeZone="Europe/Paris",
        MinSize=0,
        MaxSize=3,
        DesiredCapacity=1,
    )
    asg.put_scheduled_update_group_action(
        AutoScalingGroupName="web",
        ScheduledActionName="launch-day",
        StartTime=datetime(2030, 1, 15, 8, 0, tzinfo=UTC),
        MinSize=4,
        DesiredCapacity=6,
    )
    # moto generates no metrics: put the last ten minutes of web's CPU.
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    cw.put_metric_data(
        Namespace="AWS/EC2",
        MetricData=[
            {
                "MetricName": "CPUUtilization",
                "Dimensions": [{"Name": "AutoScalingGroupName", "Value": "web"}],
                "Timestamp": now - timedelta(minutes=m),
                "Value": 40.0 + m,
                "Unit": "Percent",
            }
            for m in range(1, 11)
        ],
    )
    return {
        "endpoint": endpoint,
        "region": REGION,
        "groups": list(groups),
        "balancer": "alb-shop",
        "balancer_arn": lb_arn,
        "target_groups": target_groups,
        "alarms": [
            "api-cpu-high",
            "api-cpu-low",
            "TargetTracking-web-AlarmHigh-6f1c1b1e-8c7d-4a52-9d0e-3b9a8c1d2e3f",
            "TargetTracking-web-AlarmLow-6f1c1b1e-8c7d-4a52-9d0e-3b9a8c1d2e3f",
        ],
        "rules": {
            "web": ["cpu50", "forecast", "launch-day"],
            "api": ["cpu-step-out", "cpu-scale-in"],
            "checkout": ["rps1000"],
            "batch": ["nightly"],
        },
    }


def seed_many(endpoint: str, count: int, *, instances: int = 1, prefix: str = "g") -> list[str]:
    """``count`` plain groups (each with ``instances`` instances) for paging tests."""
    asg, ec2 = clients(endpoint, "autoscaling", "ec2")
    _, subnets = _network(ec2)
    template = _launch_template(ec2)
    names = [f"{prefix}-{i:04d}" for i in range(count)]
    for name in names:
        asg.create_auto_scaling_group(
            AutoScalingGroupName=name,
            LaunchTemplate=template,
            MinSize=0,
            MaxSize=5,
            DesiredCapacity=instances,
            VPCZoneIdentifier=",".join(subnets),
        )
    return names


def action_counts(log: RequestLog, actions: Iterable[str] | None = None) -> dict[str, int]:
    counts = log.counts()
    if actions is None:
        return dict(counts)
    return {a: counts.get(a, 0) for a in actions}
