"""Offline outputs for the Alibaba Cloud resources gpufleet declares (used by gpufleet.plan.mocks).

Each function gets the mock args (camelCase inputs) and the mock id, and returns the
computed outputs the real provider would add: prefixed ids, ARNs (ARIs), NAT tables, EIP
addresses. Shapes follow the provider's output properties. Resources carry no region
input (the explicit provider holds it), so ARIs use ``MOCK_REGION``; region placement is
asserted on the provider references instead.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from typing import Any

import pulumi

ACCOUNT = "1234567890123456"
"""A 16-digit Alibaba Cloud account id (UIDs have 16 digits)."""
MOCK_REGION = "cn-hangzhou"

Outputs = Callable[[pulumi.runtime.MockResourceArgs, str], dict[str, Any]]


def _short(rid: str, n: int = 17) -> str:
    return rid.rsplit("/", 1)[-1][:n]


def vpc(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    return {
        "status": "Available",
        "routerId": f"vrt-{_short(rid)}",
        "routeTableId": f"vtb-{_short(rid)}",
        "regionId": MOCK_REGION,
    }


def vswitch(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"status": "Available", "availabilityZone": args.inputs.get("zoneId")}


def nat_gateway(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    return {
        "status": "Available",
        "snatTableIds": f"stb-{_short(rid)}",
        "forwardTableIds": f"ftb-{_short(rid)}",
        "specification": "Small",
    }


def eip(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    # 203.0.113.0/24 is TEST-NET-3 (RFC 5737): never a real address.
    octet = int(_short(rid, 2), 16) % 254 + 1
    return {"ipAddress": f"203.0.113.{octet}", "status": "InUse", "allocationId": f"eip-{_short(rid)}"}


def snat_entry(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"snatEntryId": f"snat-{_short(rid)}", "status": "Available"}


def security_group(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"securityGroupType": args.inputs.get("securityGroupType") or "normal"}


def ram_role(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    name = args.inputs.get("roleName")
    return {"arn": f"acs:ram::{ACCOUNT}:role/{str(name).lower()}", "roleId": _short(rid, 19)}


def ram_policy(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"type": "Custom", "defaultVersion": "v1", "attachmentCount": 0}


def scaling_group(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"scalingGroupName": args.inputs.get("scalingGroupName") or f"asg-{_short(rid)}"}


def scaling_rule(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"ari": f"ari:acs:ess:{MOCK_REGION}:{ACCOUNT}:scalingrule/asr-{_short(rid)}"}


def alarm(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"state": "OK"}


MOCK_TIME = "2026-01-01T00:00:00Z"


def image_component(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    # Without a name the component is named after its id (SDK: image_component_name docstring).
    return {"imageComponentName": args.inputs.get("imageComponentName") or rid, "createTime": MOCK_TIME}


def image_pipeline(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    return {"name": args.inputs.get("name") or rid, "deleteInstanceOnFailure": True}


def image_pipeline_execution(args: pulumi.runtime.MockResourceArgs, rid: str) -> dict[str, Any]:
    # The provider's create returns at BUILDING (resource_alicloud_ecs_image_pipeline_execution.go).
    return {"status": "BUILDING", "createTime": MOCK_TIME}


OUTPUTS: dict[str, Outputs] = {
    "alicloud:vpc/network:Network": vpc,
    "alicloud:vpc/switch:Switch": vswitch,
    "alicloud:vpc/natGateway:NatGateway": nat_gateway,
    "alicloud:ecs/eipAddress:EipAddress": eip,
    "alicloud:vpc/snatEntry:SnatEntry": snat_entry,
    "alicloud:ecs/securityGroup:SecurityGroup": security_group,
    "alicloud:ram/role:Role": ram_role,
    "alicloud:ram/policy:Policy": ram_policy,
    "alicloud:ess/scalingGroup:ScalingGroup": scaling_group,
    "alicloud:ess/scalingRule:ScalingRule": scaling_rule,
    "alicloud:ess/alarm:Alarm": alarm,
    "alicloud:ecs/ecsImageComponent:EcsImageComponent": image_component,
    "alicloud:ecs/ecsImagePipeline:EcsImagePipeline": image_pipeline,
    "alicloud:ecs/imagePipelineExecution:ImagePipelineExecution": image_pipeline_execution,
}


Registered = Sequence[pulumi.runtime.MockResourceArgs]
"""Every resource the program registered so far, in order."""


def get_images(args: pulumi.runtime.MockCallArgs, registered: Registered) -> dict[str, Any]:
    """DescribeImages as the provider filters it (data_source_alicloud_images.go): the account's
    own images are the ones the program's image templates build, each named
    ``{ImageName}_{ExecutionId}`` [SDK: alibabacloud_ecs20140526
    CreateImagePipelineRequestImageOptions.image_name] as if its earlier build had succeeded;
    ``nameRegex`` is matched unanchored (Go ``MatchString``), and no match gives empty ``ids``."""
    q = args.args
    if q.get("owners") != "self" or q.get("status", "Available") != "Available":
        return {"ids": [], "images": []}
    found = []
    for r in registered:
        if r.typ != "alicloud:ecs/ecsImagePipeline:EcsImagePipeline" or not r.inputs.get("imageName"):
            continue
        digest = hashlib.sha256(r.name.encode()).hexdigest()[:20]
        name = f"{r.inputs['imageName']}_exec-{digest}"
        if q.get("nameRegex") and not re.search(str(q["nameRegex"]), name):
            continue
        image_id = f"m-{digest}"
        found.append(_image(image_id, name, str(r.inputs.get("description", ""))))
    if q.get("mostRecent") and len(found) > 1:
        found = found[-1:]
    return {"id": "mock", "ids": [i["id"] for i in found], "images": found, **q}


def _image(image_id: str, name: str, description: str) -> dict[str, Any]:
    """One image as the data source reports it (GetImagesImageResult's fields)."""
    return {
        "id": image_id,
        "imageId": image_id,
        "name": name,
        "architecture": "x86_64",
        "creationTime": MOCK_TIME,
        "description": description,
        "diskDeviceMappings": [],
        "imageOwnerAlias": "self",
        "imageVersion": "",
        "isCopied": False,
        "isSelfShared": "",
        "isSubscribed": False,
        "isSupportIoOptimized": True,
        "osName": "Ubuntu 22.04 64位",
        "osNameEn": "Ubuntu 22.04 64 bit",
        "osType": "linux",
        "platform": "Ubuntu",
        "productCode": "",
        "progress": "100%",
        "size": 100,
        "state": "Available",
        "status": "Available",
        "usage": "none",
    }


CALLS: dict[str, Callable[[pulumi.runtime.MockCallArgs, Registered], dict[str, Any]]] = {
    "alicloud:ecs/getImages:getImages": get_images,
}
"""Invokes gpufleet makes on Alibaba, answered offline."""
