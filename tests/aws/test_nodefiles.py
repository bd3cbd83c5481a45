"""The node's files as a fetched, checksummed S3 object (gpufleet.aws.nodefiles).

The loader runs as shipped (minified, from user data) against local stand-ins for IMDS and
S3; its signatures are checked with botocore's own SigV4 signers, and a tampered object
must never be unpacked.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import io
import json
import subprocess
import sys
import tarfile
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from awsgroups import P5_EFA, MakeCtx
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from gpufleet.aws import iam, nodefiles
from gpufleet.aws import launch as ltb
from gpufleet.aws.image import image_for
from gpufleet.bootstrap import render as render_mod
from gpufleet.contract.check import check_plan
from gpufleet.plan.engine import run_program
from helpers import ROOT, fleet

KEY, SECRET, TOKEN = "ASIATESTKEY", "test/secret+key", "session-token"
EC2_USER_DATA_MAX = 16 * 1024  # EC2 UG "Run commands when you launch an EC2 instance with user data input"

# The largest AWS group today: p5 with EFA, mixed market, health check and drain (all defaults).
P5_FULL: dict[str, Any] = {**P5_EFA, "bootstrap": {"dcgm": True, "containerToolkit": True, "healthCheck": True}}


def _user_data(make_ctx: MakeCtx, group: dict[str, Any], bucket: str = "fleet-g-boot-abcdef1") -> str:
    ctx = make_ctx(group)
    image = image_for(ctx)
    nb = nodefiles.node_bundle(ctx.group.bootstrap, ltb.node_context(ctx, image))
    text = nodefiles.loader_cloud_config(
        ctx.group.bootstrap, ltb.node_context(ctx, image), bucket=bucket, nb=nb, asg="a"
    )
    return text


def test_p5_user_data_leaves_most_of_the_16_kb_free(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(P5_FULL)
    image = image_for(ctx)
    node = ltb.node_context(ctx, image)
    inline = len(render_mod.render_cloud_config(ctx.group.bootstrap, node, check_size=False).encode())
    loader = len(_user_data(make_ctx, P5_FULL).encode())
    # The loader does not grow with the node's scripts; the bundle it fetches does.
    assert loader < EC2_USER_DATA_MAX // 4, loader
    assert inline > 3 * loader, (inline, loader)


def test_loader_user_data_is_valid_cloud_config(make_ctx: MakeCtx, tmp_path: Path) -> None:
    # Debian's cloud-init validator, as tests/bootstrap/test_render.py uses it for inline user data.
    import shutil

    from helpers import require_cloud_init

    exe = shutil.which("cloud-init")
    require_cloud_init(None if exe else "the 'cloud-init' command")
    assert exe is not None
    f = tmp_path / "loader.yaml"
    f.write_text(_user_data(make_ctx, P5_FULL))
    out = subprocess.run([exe, "schema", "--config-file", str(f)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "Valid cloud-config" in out.stdout, (out.stdout, out.stderr)


def test_bundle_carries_every_node_file_and_user_data_names_its_hash(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(P5_FULL)
    node = ltb.node_context(ctx, image_for(ctx))
    nb = nodefiles.node_bundle(ctx.group.bootstrap, node)
    assert hashlib.sha256(nb.content).hexdigest() == nb.sha256 and nb.key == f"gpufleet/{nb.sha256}.tar.gz"
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(nb.content))) as tar:
        names = {"/" + m.name for m in tar.getmembers()}
    assert names == {f.path for f in render_mod.node_files(ctx.group.bootstrap, node)}
    assert "/etc/gpufleet/node.env" in names and "/usr/local/sbin/gpufleet-health" in names
    doc = yaml.safe_load(_user_data(make_ctx, P5_FULL))
    (line,) = doc["runcmd"]
    assert f" {nb.key} {nb.sha256} " in line and line.startswith("python3 /usr/local/lib/gpufleet/fetch.py us-east-1 ")
    assert "&& systemctl daemon-reload && systemctl enable --now --no-block" in line
    # Reproducible: the same group gives the same bytes (no new object, no refresh, on every run).
    assert nodefiles.node_bundle(ctx.group.bootstrap, node) == nb


def test_read_policy_grants_get_object_on_the_group_bucket_only(make_ctx: MakeCtx) -> None:
    doc = json.loads(nodefiles.read_policy(make_ctx(P5_EFA), "fleet-g-boot-abcdef1"))
    assert doc["Statement"] == [
        {
            "Sid": "OwnNodeFiles",
            "Effect": "Allow",
            "Action": ["s3:GetObject"],
            "Resource": "arn:aws:s3:::fleet-g-boot-abcdef1/gpufleet/*",
        }
    ]
    assert "s3:GetObject" not in iam.node_policy(make_ctx(P5_EFA))


def test_s3_url_is_virtual_hosted_per_partition() -> None:
    loader = _load_loader()
    assert (
        loader.s3_url("us-east-1", "b-1", "gpufleet/x.tar.gz")
        == "https://b-1.s3.us-east-1.amazonaws.com/gpufleet/x.tar.gz"
    )
    assert loader.s3_url("cn-north-1", "b", "k").endswith(".amazonaws.com.cn/k")


# ----------------------------------------------------------------- the loader, as shipped
def _load_loader() -> Any:
    import importlib.util

    src = render_mod.minify(
        nodefiles.LOADER_SCRIPT, (ROOT / "components/gpufleet/bootstrap/scripts" / nodefiles.LOADER_SCRIPT).read_bytes()
    )
    spec = importlib.util.spec_from_loader("gpufleet_fetch_s3", loader=None)
    assert spec is not None
    mod = importlib.util.module_from_spec(spec)
    exec(compile(src, "gpufleet_fetch_s3", "exec"), mod.__dict__)
    return mod


class Stub:
    """IMDSv2 and an S3/Auto Scaling stand-in that records requests."""

    def __init__(self, objects: dict[str, bytes]) -> None:
        self.requests: list[dict[str, Any]] = []
        stub = self
        creds = json.dumps({"AccessKeyId": KEY, "SecretAccessKey": SECRET, "Token": TOKEN}).encode()
        meta = {
            "/latest/meta-data/iam/security-credentials/": b"gpufleet-node",
            "/latest/meta-data/iam/security-credentials/gpufleet-node": creds,
            "/latest/meta-data/instance-id": b"i-0123456789abcdef0",
        }

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                u = urllib.parse.urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                stub.requests.append({"method": self.command, "path": u.path, "headers": headers, "body": body})
                if (self.command, u.path) == ("PUT", "/latest/api/token"):
                    data: bytes | None = b"imds-token"
                elif u.path.startswith("/latest/"):
                    ok = headers.get("x-aws-ec2-metadata-token") == "imds-token"
                    data = meta.get(u.path) if ok else None
                elif self.command == "POST":
                    data = b"<SetInstanceHealthResponse/>"
                else:
                    data = objects.get(u.path)
                if data is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_PUT = do_POST = _any

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def bundle(make_ctx: MakeCtx) -> nodefiles.NodeBundle:
    ctx = make_ctx(P5_FULL)
    return nodefiles.node_bundle(ctx.group.bootstrap, ltb.node_context(ctx, image_for(ctx)))


def _run_loader(tmp_path: Path, stub: Stub, sha256: str, key: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "fetch.py"
    script.write_bytes(_load_loader_source())
    env = {
        "PATH": "/usr/bin:/bin",
        "GPUFLEET_AWS_IMDS": stub.url,
        "GPUFLEET_AWS_ENDPOINT": stub.url,
        "GPUFLEET_FETCH_DEST": str(tmp_path / "root"),
        "GPUFLEET_FETCH_BUNDLE": str(tmp_path / "files.tar.gz"),
    }
    (tmp_path / "root").mkdir()
    args = [sys.executable, str(script), "us-east-1", "bkt", key, sha256, "fleet-g"]
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=60)


def _load_loader_source() -> bytes:
    path = ROOT / "components/gpufleet/bootstrap/scripts" / nodefiles.LOADER_SCRIPT
    return render_mod.minify(nodefiles.LOADER_SCRIPT, path.read_bytes())


def _botocore(req: dict[str, Any], url: str, service: str, monkeypatch: pytest.MonkeyPatch) -> str:
    when = dt.datetime.strptime(req["headers"]["x-amz-date"], "%Y%m%dT%H%M%SZ")
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: when)
    headers = {k: v for k, v in req["headers"].items() if k in ("content-type", "x-amz-content-sha256")}
    ar = AWSRequest(method=req["method"], url=url, data=req["body"], headers=headers)
    signer = S3SigV4Auth if service == "s3" else SigV4Auth
    signer(Credentials(KEY, SECRET, TOKEN), service, "us-east-1").add_auth(ar)
    return str(ar.headers["Authorization"])


def test_loader_fetches_checks_and_unpacks_with_a_botocore_valid_signature(
    tmp_path: Path, bundle: nodefiles.NodeBundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub = Stub({f"/bkt/{bundle.key}": bundle.content})
    r = _run_loader(tmp_path, stub, bundle.sha256, bundle.key)
    assert r.returncode == 0, r.stderr
    env = (tmp_path / "root/etc/gpufleet/node.env").read_text()
    assert "GPUFLEET_CLOUD=aws" in env
    assert (tmp_path / "root/usr/local/sbin/gpufleet-bootstrap").stat().st_mode & 0o111
    get = next(q for q in stub.requests if q["path"].startswith("/bkt/"))
    assert get["headers"]["x-amz-security-token"] == TOKEN
    assert get["headers"]["authorization"] == _botocore(get, stub.url + get["path"], "s3", monkeypatch)
    assert not [q for q in stub.requests if q["method"] == "POST"]


def test_loader_refuses_a_tampered_object_and_marks_the_node_unhealthy(
    tmp_path: Path, bundle: nodefiles.NodeBundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    evil = io.BytesIO()
    with tarfile.open(fileobj=evil, mode="w:gz") as tar:
        data = b"#!/bin/sh\necho owned\n"
        info = tarfile.TarInfo("usr/local/sbin/gpufleet-bootstrap")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    stub = Stub({f"/bkt/{bundle.key}": evil.getvalue()})
    r = _run_loader(tmp_path, stub, bundle.sha256, bundle.key)
    assert r.returncode == 1
    assert "user data expects " + bundle.sha256 in r.stderr
    assert list((tmp_path / "root").iterdir()) == []  # nothing unpacked
    assert not (tmp_path / "files.tar.gz").exists()
    (post,) = [q for q in stub.requests if q["method"] == "POST"]
    form = dict(urllib.parse.parse_qsl(post["body"].decode()))
    assert form["Action"] == "SetInstanceHealth" and form["HealthStatus"] == "Unhealthy"
    assert post["headers"]["authorization"] == _botocore(post, stub.url + "/", "autoscaling", monkeypatch)


# ----------------------------------------------------------------- the component, under the mock engine
def test_component_declares_a_private_encrypted_bundle_that_user_data_names() -> None:
    run = run_program(ROOT / "__main__.py", {"gpufleet:fleet": fleet(P5_FULL)}, stack="nodefiles")
    by_type = {r.type: r for r in run.resources}
    bucket = by_type["aws:s3/bucket:Bucket"]
    obj = by_type["aws:s3/bucketObjectv2:BucketObjectv2"]
    pab = by_type["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"]
    lt = by_type["aws:ec2/launchTemplate:LaunchTemplate"]
    body = base64.b64decode(obj.inputs["contentBase64"])
    assert obj.inputs["key"] == f"gpufleet/{hashlib.sha256(body).hexdigest()}.tar.gz"
    assert obj.inputs["serverSideEncryption"] == "AES256"
    assert all(
        pab.inputs[k] is True
        for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    user_data = base64.b64decode(lt.inputs["userData"]).decode()
    assert f" {obj.inputs['bucket']} {obj.inputs['key']} " in user_data
    assert obj.inputs["bucket"] == pab.inputs["bucket"] and obj.inputs["bucket"].startswith(bucket.name + "-")
    report = check_plan(run.resources)
    assert report.unmapped_types == [] and report.findings == []


def test_minify_survives_cpythons_spurious_ast_recursion_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # python/cpython#106905: ast.parse on 3.11 can raise this SystemError for valid source.
    import ast

    from gpufleet.bootstrap import render

    real, calls = ast.parse, []

    def flaky(source: str | bytes, *args: object, **kwargs: object) -> ast.Module:
        calls.append(1)
        if len(calls) == 1:
            raise SystemError("AST constructor recursion depth mismatch (before=126, after=179)")
        return real(source)

    monkeypatch.setattr(render.ast, "parse", flaky)
    assert isinstance(render._parse("x = 1\n"), ast.Module) and len(calls) == 2
    monkeypatch.setattr(render.ast, "parse", lambda *a, **k: (_ for _ in ()).throw(SystemError("other")))
    with pytest.raises(SystemError, match="other"):
        render._parse("x = 1\n")
