"""gpufleet-cloud and gpufleet-healthd, as shipped in user data (minified), against local
stand-ins for the metadata services and cloud APIs. Signatures are checked against
botocore's SigV4 signer and Alibaba's documented example."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from gpufleet.bootstrap import health

KEY, SECRET, TOKEN = "ASIATESTKEY", "test/secret+key", "session-token"


def unpack(rendered: Any, dest: Path) -> Path:
    for path, (mode, content) in rendered.files().items():
        f = dest / path.lstrip("/")
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(content)
        f.chmod(mode)
    return dest


def load(module_dir: Path, name: str) -> ModuleType:
    sys.path.insert(0, str(module_dir))
    try:
        spec = importlib.util.spec_from_file_location(name, module_dir / f"{name}.py")
        assert spec and spec.loader
        mod = importlib.util.module_from_spec(spec)
        sys.dont_write_bytecode = True
        spec.loader.exec_module(mod)
        return mod
    finally:
        sys.path.remove(str(module_dir))


class Stub:
    """A tiny HTTP server that answers from a routing table and records requests."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Any] = {}
        self.requests: list[dict[str, Any]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                u = urllib.parse.urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                req = {
                    "method": self.command,
                    "path": u.path,
                    "query": u.query,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                }
                stub.requests.append(req)
                route = stub.routes.get((self.command, u.path))
                if route is None:
                    self.send_error(404)
                    return
                code, text = route(req) if callable(route) else (200, route)
                data = text.encode()
                self.send_response(code)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = _any

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def stub() -> Iterator[Stub]:
    s = Stub()
    yield s
    s.close()


def run_cloud(root: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {"PATH": "/usr/bin:/bin", "GPUFLEET_LIBDIR": str(root / "usr/local/lib/gpufleet")}
    base["GPUFLEET_ENV"] = str(root / "etc/gpufleet/node.env")
    cmd = [sys.executable, str(root / "usr/local/sbin/gpufleet-cloud"), *args]
    return subprocess.run(cmd, env={**base, **env}, capture_output=True, text=True, timeout=30)


def aws_imds(stub: Stub) -> None:
    def token_required(value: str) -> Any:
        def route(req: dict[str, Any]) -> tuple[int, str]:
            return (200, value) if req["headers"].get("x-aws-ec2-metadata-token") == "imds-token" else (401, "")

        return route

    stub.routes[("PUT", "/latest/api/token")] = "imds-token"
    stub.routes[("GET", "/latest/meta-data/instance-id")] = token_required("i-0123456789abcdef0")
    stub.routes[("GET", "/latest/meta-data/instance-type")] = token_required("p5.48xlarge")
    stub.routes[("GET", "/latest/meta-data/iam/security-credentials/")] = token_required("gpufleet-node")
    creds = json.dumps({"AccessKeyId": KEY, "SecretAccessKey": SECRET, "Token": TOKEN})
    stub.routes[("GET", "/latest/meta-data/iam/security-credentials/gpufleet-node")] = token_required(creds)


def botocore_authorization(req: dict[str, Any], url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """What botocore's SigV4 signer says the Authorization header must be."""
    when = dt.datetime.strptime(req["headers"]["x-amz-date"], "%Y%m%dT%H%M%SZ")
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: when)
    ar = AWSRequest(method="POST", url=url, data=req["body"], headers={"Content-Type": req["headers"]["content-type"]})
    SigV4Auth(Credentials(KEY, SECRET, TOKEN), "autoscaling", "us-east-1").add_auth(ar)
    return str(ar.headers["Authorization"])


def test_sigv4_matches_botocore(render: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = unpack(render("aws", "g6.xlarge"), tmp_path)
    aws = load(root / "usr/local/lib/gpufleet", "gpufleet_aws")
    body = b"Action=SetInstanceHealth&HealthStatus=Unhealthy&InstanceId=i-1&Version=2011-01-01"
    url = "https://autoscaling.us-east-1.amazonaws.com/"
    now = dt.datetime(2026, 11, 24, 3, 4, 5, tzinfo=dt.UTC)
    ours = aws.sigv4_headers("POST", url, "us-east-1", "autoscaling", body, KEY, SECRET, TOKEN, now)
    req = {"headers": ours, "body": body}
    assert ours["authorization"] == botocore_authorization(req, url, monkeypatch)


def test_alibaba_signature_matches_the_documented_example(render: Any, tmp_path: Path) -> None:
    root = unpack(render("alicloud", "ecs.gn7i-c8g1.2xlarge"), tmp_path)
    ali = load(root / "usr/local/lib/gpufleet", "gpufleet_alicloud")
    # Alibaba Cloud "Request signatures" (RPC): DescribeRegions, secret "testsecret".
    params = {
        "Timestamp": "2016-02-23T12:46:24Z",
        "Format": "XML",
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "Version": "2014-05-26",
        "SignatureVersion": "1.0",
    }
    assert ali.signature(params, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_aws_report_unhealthy_calls_set_instance_health_with_imdsv2_identity(
    render: Any, tmp_path: Path, stub: Stub, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = unpack(render("aws", "p5.48xlarge", image_has_driver=True), tmp_path)
    aws_imds(stub)
    stub.routes[("POST", "/asg/")] = "<SetInstanceHealthResponse/>"
    stub.routes[("POST", "/cw/")] = "<StateValue>OK</StateValue>"
    r = run_cloud(root, "report", "hardware", "4 GPUs missing", **aws_endpoints(stub))
    assert r.returncode == 0, r.stderr
    assert "marked i-0123456789abcdef0 Unhealthy" in r.stdout
    call = next(q for q in stub.requests if q["path"] == "/asg/")
    assert dict(urllib.parse.parse_qsl(call["body"].decode())) == {
        "Action": "SetInstanceHealth",
        "Version": "2011-01-01",
        "InstanceId": "i-0123456789abcdef0",
        "HealthStatus": "Unhealthy",
        "ShouldRespectGracePeriod": "false",
    }
    assert call["headers"]["x-amz-security-token"] == TOKEN
    assert call["headers"]["authorization"] == botocore_authorization(call, stub.url + "/asg/", monkeypatch)


def aws_endpoints(stub: Stub) -> dict[str, str]:
    return {
        "GPUFLEET_AWS_IMDS": stub.url,
        "GPUFLEET_AWS_ENDPOINT_autoscaling": stub.url + "/asg/",
        "GPUFLEET_AWS_ENDPOINT_monitoring": stub.url + "/cw/",
    }


def botocore_query_body(operation: str, params: dict[str, Any]) -> dict[str, str]:
    """What botocore's query serializer sends for ``params`` (its own model of the API)."""
    import botocore.session
    from botocore.serialize import create_serializer

    service, op = operation.split(".")
    model = botocore.session.get_session().get_service_model(service).operation_model(op)
    body = create_serializer("query").serialize_to_request(params, model)["body"]
    return {k: str(v) for k, v in body.items()}


# -- the replacement-loop breaker (issue 17 item 4; gpufleet.aws.loopbreaker) ------------------


@pytest.mark.parametrize(
    ("cls", "alarm", "replaced"),
    [("hardware", "OK", True), ("hardware", "ALARM", False), ("configuration", "OK", False)],
)
def test_aws_report_counts_every_failure_and_replaces_only_hardware_outside_a_loop(
    render: Any,
    catalog: Any,
    tmp_path: Path,
    stub: Stub,
    monkeypatch: pytest.MonkeyPatch,
    cls: str,
    alarm: str,
    replaced: bool,
) -> None:
    from gpufleet.aws.loopbreaker import alarm_args
    from gpufleet.context import GroupContext
    from gpufleet.resolve import resolve_group
    from gpufleet.validation import validate_fleet
    from helpers import fleet

    root = unpack(render("aws", "p5.48xlarge", image_has_driver=True), tmp_path)
    aws_imds(stub)
    stub.routes[("POST", "/asg/")] = "<SetInstanceHealthResponse/>"
    # DescribeAlarms answers as the API documents it (DescribeAlarmsResponse/MetricAlarms/member).
    stub.routes[("POST", "/cw/")] = (
        f"<DescribeAlarmsResponse><DescribeAlarmsResult><MetricAlarms><member><StateValue>{alarm}</StateValue>"
        "</member></MetricAlarms></DescribeAlarmsResult></DescribeAlarmsResponse>"
    )
    r = run_cloud(root, "report", cls, "4 GPUs missing", **aws_endpoints(stub))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("held") != replaced, r.stdout
    cw = [q for q in stub.requests if q["path"] == "/cw/"]
    put = dict(urllib.parse.parse_qsl(cw[0]["body"].decode()))
    # The datapoint, as botocore would serialise it, on the metric and dimensions the alarm watches.
    spec = validate_fleet(fleet({"gpu": {"instanceTypes": ["p5.48xlarge"]}}), catalog).spec
    (_, config), (_, loop) = alarm_args(GroupContext(spec, resolve_group(spec.groups[0], catalog), catalog))
    watched = loop if cls == "hardware" else config
    assert put == botocore_query_body(
        "cloudwatch.PutMetricData",
        {
            "Namespace": watched.namespace,
            "MetricData": [
                {
                    "MetricName": watched.metric_name,
                    "Value": 1.0,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in watched.dimensions.items()],
                }
            ],
        },
    ) | {"MetricData.member.1.Value": "1"}
    assert watched.dimensions["AutoScalingGroupName"] == "demo-trainers"
    when = dt.datetime.strptime(cw[0]["headers"]["x-amz-date"], "%Y%m%dT%H%M%SZ")
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: when)
    ar = AWSRequest(method="POST", url=stub.url + "/cw/", data=cw[0]["body"],
                    headers={"Content-Type": cw[0]["headers"]["content-type"]})  # fmt: skip
    SigV4Auth(Credentials(KEY, SECRET, TOKEN), "monitoring", "us-east-1").add_auth(ar)
    assert cw[0]["headers"]["authorization"] == ar.headers["Authorization"]
    if cls == "hardware":
        described = dict(urllib.parse.parse_qsl(cw[1]["body"].decode()))
        assert described == botocore_query_body("cloudwatch.DescribeAlarms", {"AlarmNames": [loop.name]})
    assert any(q["path"] == "/asg/" for q in stub.requests) == replaced


def test_aws_complete_lifecycle_finds_the_group_when_not_rendered(render: Any, tmp_path: Path, stub: Stub) -> None:
    root = unpack(render("aws", "g6.xlarge"), tmp_path)
    aws_imds(stub)
    seen: list[dict[str, str]] = []

    def asg(req: dict[str, Any]) -> tuple[int, str]:
        p = dict(urllib.parse.parse_qsl(req["body"].decode()))
        seen.append(p)
        if p["Action"] == "DescribeAutoScalingInstances":
            return 200, "<AutoScalingInstances><member><AutoScalingGroupName>found-asg</AutoScalingGroupName></member>"
        return 200, "<CompleteLifecycleActionResponse/>"

    stub.routes[("POST", "/asg/")] = asg
    env = aws_endpoints(stub) | {"GPUFLEET_ASG_NAME": ""}
    r = run_cloud(root, "complete-lifecycle", "CONTINUE", **env)
    assert r.returncode == 0, r.stderr
    assert [p["Action"] for p in seen] == ["DescribeAutoScalingInstances", "CompleteLifecycleAction"]
    assert seen[1] | {"Version": ""} == {
        "Action": "CompleteLifecycleAction",
        "Version": "",
        "AutoScalingGroupName": "found-asg",
        "LifecycleHookName": "demo-trainers-drain",
        "LifecycleActionResult": "CONTINUE",
        "InstanceId": "i-0123456789abcdef0",
    }


def test_api_errors_are_retried_with_backoff_then_reported_in_one_line(
    render: Any, tmp_path: Path, stub: Stub, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = unpack(render("aws", "g6.xlarge"), tmp_path)
    node = load(root / "usr/local/lib/gpufleet", "gpufleet_node")
    sleeps: list[float] = []
    monkeypatch.setattr(node.time, "sleep", sleeps.append)
    calls: list[int] = []

    def denied() -> str:
        calls.append(1)
        raise urllib.error.URLError("AccessDenied")

    with pytest.raises(RuntimeError, match="denied failed after 4 attempts"):
        node.with_retries(denied)
    assert (len(calls), sleeps) == (4, [2, 4, 8])
    # The CLI turns any failure into one line on stderr and exit code 1.
    r = run_cloud(root, "lifecycle-state", GPUFLEET_AWS_IMDS=stub.url + "/nowhere")
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("gpufleet-cloud lifecycle-state: HTTP Error 404")


def test_alibaba_report_unhealthy_signs_ess_set_instance_health(render: Any, tmp_path: Path, stub: Stub) -> None:
    root = unpack(render("alicloud", "ecs.gn8is-8x.32xlarge", rdma=False), tmp_path)
    stub.routes[("PUT", "/latest/api/token")] = "meta-token"
    stub.routes[("GET", "/latest/meta-data/instance-id")] = "i-bp1example"
    stub.routes[("GET", "/latest/meta-data/ram/security-credentials/")] = "GpufleetNodeRole"
    creds = {"AccessKeyId": "STS.key", "AccessKeySecret": "ali-secret", "SecurityToken": "sts-token"}
    stub.routes[("GET", "/latest/meta-data/ram/security-credentials/GpufleetNodeRole")] = json.dumps(creds)
    stub.routes[("GET", "/ess/")] = '{"RequestId": "B755AE57"}'
    env = {"GPUFLEET_ALI_META": stub.url, "GPUFLEET_ESS_ENDPOINT": stub.url + "/ess/"}
    r = run_cloud(root, "report", "hardware", "XID 79", **env)
    assert r.returncode == 0, r.stderr
    call = next(q for q in stub.requests if q["path"] == "/ess/")
    p = dict(urllib.parse.parse_qsl(call["query"]))
    assert {k: p[k] for k in ("Action", "Version", "InstanceId", "HealthStatus", "RegionId", "SecurityToken")} == {
        "Action": "SetInstanceHealth",
        "Version": "2014-08-28",
        "InstanceId": "i-bp1example",
        "HealthStatus": "Unhealthy",
        "RegionId": "cn-hangzhou",
        "SecurityToken": "sts-token",
    }
    # Recompute the RPC v1 signature independently of the shipped code.
    import base64
    import hashlib
    import hmac

    def q(s: str) -> str:
        return urllib.parse.quote(s, safe="-_.~")

    sig = p.pop("Signature")
    canonical = "&".join(f"{q(k)}={q(v)}" for k, v in sorted(p.items()))
    to_sign = "GET&%2F&" + q(canonical)
    assert sig == base64.b64encode(hmac.new(b"ali-secret&", to_sign.encode(), hashlib.sha1).digest()).decode()
    meta = [q for q in stub.requests if q["path"].startswith("/latest/meta-data/")]
    assert all(m["headers"].get("x-aliyun-ecs-metadata-token") == "meta-token" for m in meta), "hardened mode"


def test_alibaba_static_node_tags_itself_unhealthy_with_ecs_tag_resources(
    render_raw: Any, tmp_path: Path, stub: Stub
) -> None:
    """A static-cluster node (no scaling group) marks itself with ECS TagResources; the parameters
    are checked against Alibaba's own TagResourcesRequest model, not against the script."""
    from alibabacloud_ecs20140526 import models as ecs  # type: ignore[import-untyped, unused-ignore]

    from gpufleet.bootstrap import AlicloudNode
    from gpufleet.contract.alicloud_model import params_of
    from gpufleet.spec import BootstrapSpec

    node = AlicloudNode("", static_cluster="demo-trainers", ecs_endpoint="https://ecs.cn-beijing.aliyuncs.com/")
    root = unpack(render_raw("alicloud", "ecs.gn7i-c8g1.2xlarge", BootstrapSpec(), cloud_node=node), tmp_path)
    env_file = (root / "etc/gpufleet/node.env").read_text()
    assert "GPUFLEET_STATIC_CLUSTER=demo-trainers" in env_file and "GPUFLEET_SCALING_GROUP_NAME" not in env_file
    stub.routes[("GET", "/latest/meta-data/instance-id")] = "i-2zeexample"
    stub.routes[("GET", "/latest/meta-data/ram/security-credentials/")] = "GpufleetNodeRole"
    creds = {"AccessKeyId": "STS.key", "AccessKeySecret": "ali-secret", "SecurityToken": "sts-token"}
    stub.routes[("GET", "/latest/meta-data/ram/security-credentials/GpufleetNodeRole")] = json.dumps(creds)
    stub.routes[("GET", "/ecs/")] = '{"RequestId": "C0FFEE"}'
    env = {"GPUFLEET_ALI_META": stub.url, "GPUFLEET_ECS_ENDPOINT": stub.url + "/ecs/"}
    r = run_cloud(root, "report", "hardware", "XID 79", **env)
    assert r.returncode == 0, r.stderr
    assert "static cluster demo-trainers" in r.stdout
    assert not [q for q in stub.requests if q["path"] == "/ess/"]
    call = next(q for q in stub.requests if q["path"] == "/ecs/")
    p = dict(urllib.parse.parse_qsl(call["query"]))
    assert (p["Action"], p["Version"]) == ("TagResources", "2014-05-26")
    # RPC flattening of the SDK model: ResourceId.N, Tag.N.Key/Value; all required ones present.
    model = params_of(ecs.TagResourcesRequest)
    flat = {k.split(".", 1)[0] for k in p if k not in COMMON_RPC_PARAMS}
    assert flat <= set(model) and {k for k, v in model.items() if v.required} <= flat
    assert (p["ResourceType"], p["ResourceId.1"], p["Tag.1.Key"], p["Tag.1.Value"]) == (
        "instance",
        "i-2zeexample",
        "gpufleet-health",
        "Unhealthy",
    )


COMMON_RPC_PARAMS = frozenset(
    {"Format", "Version", "AccessKeyId", "SecurityToken", "SignatureMethod", "SignatureVersion", "SignatureNonce"}
    | {"Timestamp", "Action", "Signature"}
)
"""Alibaba RPC common parameters [DOC: Alibaba Cloud "Request signatures" / common parameters]."""


def test_azure_resource_id_and_unhealthy_need_no_api_call(render: Any, tmp_path: Path, stub: Stub) -> None:
    root = unpack(render("azure", "Standard_NV36ads_A10_v5"), tmp_path)
    compute = {
        "vmSize": "Standard_NV36ads_A10_v5",
        "subscriptionId": "sub-1",
        "resourceGroupName": "rg-1",
        "vmScaleSetName": "demo-trainers",
        "resourceId": "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.Compute/virtualMachines/x",
    }
    stub.routes[("GET", "/metadata/instance/compute")] = lambda req: (
        (200, json.dumps(compute)) if req["headers"].get("metadata") == "true" else (400, "")
    )
    env = {"GPUFLEET_AZURE_IMDS": stub.url}
    rid = run_cloud(root, "azure-resource-id", **env)
    assert rid.stdout.strip() == (
        "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.Compute/virtualMachineScaleSets/demo-trainers"
    )
    assert run_cloud(root, "instance-type", **env).stdout.strip() == "Standard_NV36ads_A10_v5"
    r = run_cloud(root, "report", "hardware", "no GPU", **env)
    assert r.returncode == 0 and "Application Health extension" in r.stdout
    assert all(q["path"] == "/metadata/instance/compute" for q in stub.requests)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("cloud", ["aws", "azure", "alicloud"])
def test_healthd_serves_the_verdict_with_the_shared_constants(render: Any, tmp_path: Path, cloud: str) -> None:
    t = {"aws": "g6.xlarge", "azure": "Standard_NV36ads_A10_v5", "alicloud": "ecs.gn7i-c8g1.2xlarge"}[cloud]
    root = unpack(render(cloud, t), tmp_path / "root")
    state = tmp_path / "health.json"
    port = free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "GPUFLEET_HEALTH_FILE": str(state),
        "GPUFLEET_HEALTH_PORT": str(port),
        "GPUFLEET_HEALTH_BIND": "127.0.0.1",
        # As systemd passes them from node.env (EnvironmentFile=).
        "GPUFLEET_HEALTH_PATH": health.HEALTH_PATH,
        "GPUFLEET_HEALTH_UNHEALTHY_STATUS": str(health.UNHEALTHY_STATUS[cloud]),
    }
    rendered_env = (root / "etc/gpufleet/node.env").read_text()
    assert f"GPUFLEET_HEALTH_PORT={health.HEALTH_PORT}\n" in rendered_env
    assert f"GPUFLEET_HEALTH_UNHEALTHY_STATUS={health.UNHEALTHY_STATUS[cloud]}\n" in rendered_env
    proc = subprocess.Popen([sys.executable, str(root / "usr/local/sbin/gpufleet-healthd")], env=env)
    url = f"http://127.0.0.1:{port}{health.HEALTH_PATH}"

    def get(u: str = url) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(u, timeout=2) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    try:
        for _ in range(100):
            try:
                get()
                break
            except urllib.error.URLError:
                time.sleep(0.05)
        assert get() == (503, health.INITIALIZING_BODY)  # no verdict yet
        state.write_text(json.dumps({"state": "healthy", "reason": "ok", "time": 1}))
        assert get() == (200, health.HEALTHY_BODY)
        state.write_text(json.dumps({"state": "unhealthy", "reason": "XID 79", "time": 2}))
        assert get() == (health.UNHEALTHY_STATUS[cloud], health.UNHEALTHY_BODY)
        assert get(f"http://127.0.0.1:{port}/other")[0] == 404
    finally:
        proc.terminate()
        proc.wait(timeout=10)
