#!/usr/bin/env python3
"""gpufleet-fetch: the AWS node's user-data loader. Fetches the node's file bundle from S3 as
this instance, checks its SHA-256 against the one in user data, and only then unpacks it.

Usage: gpufleet-fetch REGION BUCKET KEY SHA256 ASG_NAME

Standard library only, self-contained (it runs before any other gpufleet file exists).
After its retries run out it marks the instance Unhealthy in its group, as a failed
bootstrap does, so the group replaces it.

[DOC: EC2 UG "Use the Instance Metadata Service" (IMDSv2 token, iam/security-credentials);
Amazon S3 API Reference "Authenticating Requests (AWS Signature Version 4)": every request
signs x-amz-content-sha256; EC2 Auto Scaling API SetInstanceHealth (2011-01-01).]
"""

import datetime
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

IMDS = os.environ.get("GPUFLEET_AWS_IMDS", "http://169.254.169.254") + "/latest/"
DEST = os.environ.get("GPUFLEET_FETCH_DEST", "/")
BUNDLE = os.environ.get("GPUFLEET_FETCH_BUNDLE", "/var/lib/gpufleet/files.tar.gz")
DEADLINE_SECONDS = 900


class Mismatch(Exception):
    """The object is not the bundle user data names: never unpacked, never retried."""


def call(
    method: str, url: str, headers: dict[str, str] | None = None, data: bytes | None = None, timeout: float = 10
) -> bytes:
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return bytes(resp.read())


def imds(path: str) -> str:
    token = call("PUT", IMDS + "api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "300"}).decode()
    return call("GET", IMDS + path, {"X-aws-ec2-metadata-token": token}).decode()


def signed(
    method: str, url: str, region: str, service: str, body: bytes = b"", extra: dict[str, str] | None = None
) -> bytes:
    """A SigV4-signed request as the instance role (credentials from IMDS at call time)."""
    role = imds("meta-data/iam/security-credentials/").split()[0]
    cred = json.loads(imds("meta-data/iam/security-credentials/" + role))
    u = urllib.parse.urlsplit(url)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")  # noqa: UP017 - Python 3.10 nodes
    payload = hashlib.sha256(body).hexdigest()
    h = {"host": u.netloc, "x-amz-date": now, "x-amz-content-sha256": payload, **(extra or {})}
    if cred.get("Token"):
        h["x-amz-security-token"] = cred["Token"]
    names = sorted(h)
    canonical = "\n".join(
        [method, u.path or "/", u.query, "".join(f"{n}:{h[n].strip()}\n" for n in names), ";".join(names), payload]
    )
    scope = f"{now[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", now, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = ("AWS4" + cred["SecretAccessKey"]).encode()
    for part in (now[:8], region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    h["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={cred['AccessKeyId']}/{scope}, SignedHeaders={';'.join(names)}, Signature={sig}"
    )
    return call(method, url, h, body or None, 60)


def endpoint(service: str, region: str) -> str:
    suffix = ".com.cn" if region.startswith("cn-") else ".com"
    return os.environ.get("GPUFLEET_AWS_ENDPOINT") or f"https://{service}.{region}.amazonaws{suffix}"


def s3_url(region: str, bucket: str, key: str) -> str:
    """Virtual-hosted-style object URL [DOC: S3 UG "Virtual hosting of general purpose buckets"];
    path style against GPUFLEET_AWS_ENDPOINT (a local stand-in in tests)."""
    if os.environ.get("GPUFLEET_AWS_ENDPOINT"):
        return f"{os.environ['GPUFLEET_AWS_ENDPOINT']}/{bucket}/{urllib.parse.quote(key)}"
    suffix = ".com.cn" if region.startswith("cn-") else ".com"
    return f"https://{bucket}.s3.{region}.amazonaws{suffix}/{urllib.parse.quote(key)}"


def fetch(region: str, bucket: str, key: str, sha256: str) -> bytes:
    """The bundle's bytes, or Mismatch if they are not the ones user data names."""
    url = s3_url(region, bucket, key)
    data = signed("GET", url, region, "s3")
    got = hashlib.sha256(data).hexdigest()
    if got != sha256:
        raise Mismatch(f"s3://{bucket}/{key} has SHA-256 {got}, user data expects {sha256}")
    return data


def unhealthy(region: str, asg: str, reason: str) -> None:
    iid = imds("meta-data/instance-id")
    form = {"Action": "SetInstanceHealth", "Version": "2011-01-01", "InstanceId": iid}
    form |= {"HealthStatus": "Unhealthy", "ShouldRespectGracePeriod": "false"}
    body = urllib.parse.urlencode(form).encode()
    ctype = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}
    signed("POST", endpoint("autoscaling", region) + "/", region, "autoscaling", body, ctype)
    print(f"gpufleet-fetch: marked {iid} Unhealthy in {asg}: {reason}", file=sys.stderr)


def main(argv: list[str]) -> int:
    region, bucket, key, sha256, asg = argv
    delay, deadline, reason = 2, time.monotonic() + DEADLINE_SECONDS, ""
    while True:
        try:
            data = fetch(region, bucket, key, sha256)
            os.makedirs(os.path.dirname(BUNDLE), exist_ok=True)
            with open(BUNDLE, "wb") as f:
                f.write(data)
            subprocess.run(["tar", "-xzf", BUNDLE, "-C", DEST], check=True)
            return 0
        except Mismatch as e:
            reason = str(e)
            break
        except (OSError, ValueError, KeyError, IndexError, subprocess.CalledProcessError) as e:
            # The role's credentials and the network can lag the first seconds of boot.
            detail = e.read().decode(errors="replace")[:300] if isinstance(e, urllib.error.HTTPError) else ""
            reason = f"{e} {detail}".strip()
            print(f"gpufleet-fetch: {reason}", file=sys.stderr, flush=True)
            if time.monotonic() + delay > deadline:
                break
            time.sleep(delay)
            delay = min(delay * 2, 60)
    print(f"gpufleet-fetch: giving up: {reason}", file=sys.stderr, flush=True)
    try:
        unhealthy(region, asg, reason)
    except (OSError, ValueError, KeyError, IndexError) as e:
        print(f"gpufleet-fetch: could not report: {e}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
