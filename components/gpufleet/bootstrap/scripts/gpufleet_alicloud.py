"""Alibaba Cloud for gpufleet-cloud: instance metadata, RPC signature v1, ESS SetInstanceHealth.

[DOC: Alibaba ECS "Obtain instance metadata" (100.100.100.200, hardened-mode token,
ram/security-credentials/<role>); "Request signatures" for RPC APIs (HMAC-SHA1);
Auto Scaling API SetInstanceHealth, version 2014-08-28, RAM action ess:SetInstanceHealth.]
The endpoint is the region's, from GPUFLEET_ESS_ENDPOINT (gpufleet.alicloud.endpoints);
ess.aliyuncs.com only when it is unset. A node of a static cluster (GPUFLEET_STATIC_CLUSTER) has
no scaling group: it tags its own instance gpufleet-health=Unhealthy with ECS TagResources
(2014-05-26, RAM action ecs:TagResources) at GPUFLEET_ECS_ENDPOINT, for the operator to replace.
"""

import base64
import datetime as dt
import hashlib
import hmac
import json
import urllib.parse
import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the flat import below is how the node loads it (from /usr/local/lib/gpufleet)
    from gpufleet.bootstrap.scripts.gpufleet_node import S, http
else:
    from gpufleet_node import S, http

META = S.get("GPUFLEET_ALI_META", "http://100.100.100.200")


def meta(path: str) -> str:
    headers: dict[str, str] = {}
    try:
        token = http("PUT", META + "/latest/api/token", {"X-aliyun-ecs-metadata-token-ttl-seconds": "300"})
        headers["X-aliyun-ecs-metadata-token"] = token
    except OSError:
        pass  # normal (not hardened) mode needs no token
    return http("GET", META + "/latest/meta-data/" + path, headers)


def quote(s: object) -> str:
    return urllib.parse.quote(str(s), safe="-_.~")


def signature(params: dict[str, str], secret: str, method: str = "GET") -> str:
    canonical = "&".join(f"{quote(k)}={quote(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{quote('/')}&{quote(canonical)}"
    return base64.b64encode(hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


def ess(action: str, params: dict[str, str]) -> str:
    """Call the Auto Scaling (ESS) RPC API as this instance's RAM role."""
    url = S.get("GPUFLEET_ESS_ENDPOINT") or "https://ess.aliyuncs.com/"
    return rpc(url, "2014-08-28", action, params)


def rpc(url: str, version: str, action: str, params: dict[str, str]) -> str:
    """Call an Alibaba RPC API at ``url`` as this instance's RAM role (signature v1)."""
    role = meta("ram/security-credentials/").split()
    if not role:
        raise RuntimeError("no RAM role on the instance (it reports its health with it)")
    c = json.loads(meta("ram/security-credentials/" + role[0]))
    now = dt.datetime.now(dt.timezone.utc)  # noqa: UP017 - nodes may run Python 3.10 (no dt.UTC)
    p = {
        "Format": "JSON",
        "Version": version,
        "AccessKeyId": c["AccessKeyId"],
        "SecurityToken": c["SecurityToken"],
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": uuid.uuid4().hex,
        "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Action": action,
        "RegionId": S.get("GPUFLEET_REGION") or meta("region-id"),
        **params,
    }
    p["Signature"] = signature(p, c["AccessKeySecret"])
    return http("GET", url + "?" + urllib.parse.urlencode(p, quote_via=urllib.parse.quote), timeout=20)


def instance_type() -> str:
    return meta("instance/instance-type")


def report_unhealthy(reason: str) -> str:
    iid = meta("instance-id")
    cluster = S.get("GPUFLEET_STATIC_CLUSTER")
    if cluster:
        url = S.get("GPUFLEET_ECS_ENDPOINT") or "https://ecs.aliyuncs.com/"
        tag = {"ResourceType": "instance", "ResourceId.1": iid, "Tag.1.Key": "gpufleet-health"}
        rpc(url, "2014-05-26", "TagResources", {**tag, "Tag.1.Value": "Unhealthy"})
        return f"tagged {iid} gpufleet-health=Unhealthy in static cluster {cluster} (replace it): {reason}"
    ess("SetInstanceHealth", {"InstanceId": iid, "HealthStatus": "Unhealthy"})
    group = S.get("GPUFLEET_SCALING_GROUP_ID") or S.get("GPUFLEET_SCALING_GROUP_NAME") or "its scaling group"
    return f"marked {iid} Unhealthy in {group}: {reason}"


def lifecycle_state() -> str:
    raise RuntimeError("lifecycle hooks are AWS only")


def complete_lifecycle(result: str) -> str:
    return lifecycle_state()


def resource_id() -> str:
    raise RuntimeError("resource ids are Azure only")
