"""AWS for gpufleet-cloud: IMDSv2, SigV4 and the EC2 Auto Scaling query API.

[DOC: EC2 UG "Use the Instance Metadata Service" (IMDSv2 token; iam/security-credentials);
AWS General Reference "Create a signed AWS API request" (SigV4); EC2 Auto Scaling API
SetInstanceHealth, CompleteLifecycleAction, DescribeAutoScalingInstances (2011-01-01).]
"""

import datetime as dt
import hashlib
import hmac
import json
import re
import urllib.parse
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the flat import below is how the node loads it (from /usr/local/lib/gpufleet)
    from gpufleet.bootstrap.scripts.gpufleet_node import S, http
else:
    from gpufleet_node import S, http

IMDS = S.get("GPUFLEET_AWS_IMDS", "http://169.254.169.254")


def imds(path: str) -> str:
    token = http("PUT", IMDS + "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": "300"})
    return http("GET", IMDS + "/latest/" + path, {"X-aws-ec2-metadata-token": token})


def credentials() -> tuple[str, str, str]:
    role = imds("meta-data/iam/security-credentials/").split()[0]
    c = json.loads(imds("meta-data/iam/security-credentials/" + role))
    return str(c["AccessKeyId"]), str(c["SecretAccessKey"]), str(c.get("Token", ""))


def sigv4_headers(
    method: str,
    url: str,
    region: str,
    service: str,
    body: bytes,
    key: str,
    secret: str,
    token: str,
    now: dt.datetime,
) -> dict[str, str]:
    """Signature Version 4 headers for a request with a form body."""
    u = urllib.parse.urlsplit(url)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    headers = {
        "content-type": "application/x-www-form-urlencoded; charset=utf-8",
        "host": u.netloc,
        "x-amz-date": amz_date,
    }
    if token:
        headers["x-amz-security-token"] = token
    names = sorted(headers)
    signed = ";".join(names)
    canonical = "\n".join(
        [
            method,
            u.path or "/",
            u.query,
            "".join(f"{n}:{headers[n].strip()}\n" for n in names),
            signed,
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (day, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={signed}, Signature={signature}"
    )
    return headers


def query(service: str, version: str, action: str, params: dict[str, str]) -> str:
    """Call an AWS query API (autoscaling, monitoring) as this instance."""
    region = S.get("GPUFLEET_REGION") or imds("meta-data/placement/region")
    suffix = ".com.cn" if region.startswith("cn-") else ".com"
    url = S.get("GPUFLEET_AWS_ENDPOINT_" + service) or f"https://{service}.{region}.amazonaws{suffix}/"
    body = urllib.parse.urlencode({"Action": action, "Version": version, **params}).encode()
    key, secret, token = credentials()
    now = dt.datetime.now(dt.timezone.utc)  # noqa: UP017 - nodes may run Python 3.10 (no dt.UTC)
    return http("POST", url, sigv4_headers("POST", url, region, service, body, key, secret, token, now), body, 20)


def autoscaling(action: str, params: dict[str, str]) -> str:
    return query("autoscaling", "2011-01-01", action, params)


def cw(action: str, params: dict[str, str]) -> str:
    return query("monitoring", "2010-08-01", action, params)


def count_failure(cls: str) -> str:
    """One datapoint of gpufleet/NodeFailures for this group and class (CloudWatch PutMetricData;
    the alarms of gpufleet.aws.loopbreaker sum it)."""
    m = "MetricData.member.1."
    d = m + "Dimensions.member."
    p = {"Namespace": "gpufleet", m + "MetricName": "NodeFailures", m + "Value": "1", d + "1.Name": "Class"}
    p |= {d + "1.Value": cls, d + "2.Name": "AutoScalingGroupName", d + "2.Value": group()}
    return cw("PutMetricData", p)


def group() -> str:
    return asg_name(imds("meta-data/instance-id"))


def loop_tripped() -> bool:
    """The group's replacement-loop alarm is in ALARM: hold the node instead of replacing it."""
    return "<StateValue>ALARM<" in cw("DescribeAlarms", {"AlarmNames.member.1": group() + "-replacement-loop"})


def asg_name(instance_id: str) -> str:
    if S.get("GPUFLEET_ASG_NAME"):
        return S["GPUFLEET_ASG_NAME"]
    xml = autoscaling("DescribeAutoScalingInstances", {"InstanceIds.member.1": instance_id})
    m = re.search(r"<AutoScalingGroupName>([^<]+)</AutoScalingGroupName>", xml)
    if not m:
        raise RuntimeError(f"{instance_id} is in no Auto Scaling group")
    return m.group(1)


def instance_type() -> str:
    return imds("meta-data/instance-type")


def report_unhealthy(reason: str) -> str:
    # ShouldRespectGracePeriod=false: a node that knows it is broken is replaced now.
    iid = imds("meta-data/instance-id")
    autoscaling(
        "SetInstanceHealth", {"InstanceId": iid, "HealthStatus": "Unhealthy", "ShouldRespectGracePeriod": "false"}
    )
    return f"marked {iid} Unhealthy in its Auto Scaling group: {reason}"


def lifecycle_state() -> str:
    return imds("meta-data/autoscaling/target-lifecycle-state")


def complete_lifecycle(result: str) -> str:
    iid = imds("meta-data/instance-id")
    hook = S.get("GPUFLEET_LIFECYCLE_HOOK")
    if not hook:
        raise RuntimeError("GPUFLEET_LIFECYCLE_HOOK is not set")
    autoscaling(
        "CompleteLifecycleAction",
        {
            "AutoScalingGroupName": asg_name(iid),
            "LifecycleHookName": hook,
            "LifecycleActionResult": result,
            "InstanceId": iid,
        },
    )
    return f"completed lifecycle hook {hook} for {iid} with {result}"


def resource_id() -> str:
    raise RuntimeError("resource ids are Azure only")
