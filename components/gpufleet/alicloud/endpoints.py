"""Which Auto Scaling (ESS) endpoint a region's API calls go to (the node's health reports).

Alibaba serves ESS for some regions from the central ``ess.aliyuncs.com`` and for the others
from ``ess.<region>.aliyuncs.com``. Source: the official SDK's endpoint table and rule
[SDK: alibabacloud_ess20220222 1.13.3 ``Client._endpoint_map`` and ``_endpoint_rule =
'regional'``, generated from Alibaba's endpoint metadata; read 2026-11-29]: the regions below
map to the central endpoint, every other region (listed there or not) to its regional one.
tests/alicloud/test_alicloud_endpoints.py compares this with the SDK's own resolver. Whether
the node's older API version (2014-08-28) is served at the same endpoints is UNVERIFIED; the
SDK's table is per product, not per version.
"""

from __future__ import annotations

CENTRAL_ENDPOINT = "ess.aliyuncs.com"

CENTRAL_REGIONS = frozenset(
    {
        "ap-northeast-2-pop",
        "ap-southeast-1",
        "cn-beijing",
        "cn-beijing-finance-1",
        "cn-beijing-finance-pop",
        "cn-beijing-gov-1",
        "cn-beijing-nu16-b01",
        "cn-edge-1",
        "cn-fujian",
        "cn-haidian-cm12-c01",
        "cn-hangzhou",
        "cn-hangzhou-bj-b01",
        "cn-hangzhou-finance",
        "cn-hangzhou-internal-prod-1",
        "cn-hangzhou-internal-test-1",
        "cn-hangzhou-internal-test-2",
        "cn-hangzhou-internal-test-3",
        "cn-hangzhou-test-306",
        "cn-hongkong",
        "cn-hongkong-finance-pop",
        "cn-huhehaote-nebula-1",
        "cn-nanjing",
        "cn-north-2-gov-1",
        "cn-qingdao",
        "cn-qingdao-nebula",
        "cn-shanghai",
        "cn-shanghai-et15-b01",
        "cn-shanghai-et2-b01",
        "cn-shanghai-finance-1",
        "cn-shanghai-inner",
        "cn-shanghai-internal-test-1",
        "cn-shenzhen",
        "cn-shenzhen-finance-1",
        "cn-shenzhen-inner",
        "cn-shenzhen-st4-d01",
        "cn-shenzhen-su18-b01",
        "cn-wuhan",
        "cn-yushanfang",
        "cn-zhangbei",
        "cn-zhangbei-na61-b01",
        "cn-zhangjiakou-na62-a01",
        "cn-zhengzhou-nebula-1",
        "eu-west-1-oxs",
        "rus-west-1-pop",
        "us-east-1",
        "us-west-1",
    }
)
"""Regions the SDK's endpoint table maps to :data:`CENTRAL_ENDPOINT`."""


def ess_host(region: str) -> str:
    """The ESS API host for ``region``, e.g. ``ess.eu-central-1.aliyuncs.com``."""
    return CENTRAL_ENDPOINT if region in CENTRAL_REGIONS else f"ess.{region}.aliyuncs.com"


def ess_endpoint(region: str) -> str:
    """The URL the node's ESS calls go to (``GPUFLEET_ESS_ENDPOINT``): HTTPS, trailing slash."""
    return f"https://{ess_host(region)}/"


ECS_ENDPOINTS = {
    "ap-northeast-2-pop": "ecs.aliyuncs.com",
    "cn-beijing-finance-pop": "ecs.aliyuncs.com",
    "cn-beijing-gov-1": "ecs.aliyuncs.com",
    "cn-beijing-nu16-b01": "ecs-cn-hangzhou.aliyuncs.com",
    "cn-edge-1": "ecs.cn-qingdao-nebula.aliyuncs.com",
    "cn-fujian": "ecs-cn-hangzhou.aliyuncs.com",
    "cn-haidian-cm12-c01": "ecs-cn-hangzhou.aliyuncs.com",
    "cn-hangzhou": "ecs-cn-hangzhou.aliyuncs.com",
    "cn-hangzhou-bj-b01": "ecs-cn-hangzhou.aliyuncs.com",
    "cn-hangzhou-finance": "ecs.aliyuncs.com",
    "cn-hangzhou-internal-prod-1": "ecs-cn-hangzhou.aliyuncs.com",
    "cn-hangzhou-internal-test-1": "ecs-cn-hangzhou.aliyuncs.com",
    "cn-hangzhou-internal-test-2": "ecs-cn-hangzhou.aliyuncs.com",
    "cn-hangzhou-internal-test-3": "ecs-cn-hangzhou.aliyuncs.com",
    "cn-hangzhou-test-306": "ecs-cn-hangzhou.aliyuncs.com",
    "cn-hongkong-finance-pop": "ecs.aliyuncs.com",
    "cn-huhehaote-nebula-1": "ecs.cn-qingdao-nebula.aliyuncs.com",
    "cn-north-2-gov-1": "ecs.aliyuncs.com",
    "cn-shanghai-et15-b01": "ecs-cn-hangzhou.aliyuncs.com",
    "cn-shanghai-et2-b01": "ecs-cn-hangzhou.aliyuncs.com",
    "cn-shanghai-finance-1": "ecs-cn-hangzhou.aliyuncs.com",
    "cn-shanghai-inner": "ecs.aliyuncs.com",
    "cn-shanghai-internal-test-1": "ecs-cn-hangzhou.aliyuncs.com",
    "cn-shenzhen-finance-1": "ecs-cn-hangzhou.aliyuncs.com",
    "cn-shenzhen-inner": "ecs.aliyuncs.com",
    "cn-shenzhen-st4-d01": "ecs-cn-hangzhou.aliyuncs.com",
    "cn-shenzhen-su18-b01": "ecs-cn-hangzhou.aliyuncs.com",
    "cn-wuhan": "ecs.aliyuncs.com",
    "cn-yushanfang": "ecs.aliyuncs.com",
    "cn-zhangbei": "ecs.aliyuncs.com",
    "cn-zhangbei-na61-b01": "ecs-cn-hangzhou.aliyuncs.com",
    "cn-zhangjiakou-na62-a01": "ecs.cn-zhangjiakou.aliyuncs.com",
    "cn-zhengzhou-nebula-1": "ecs.cn-qingdao-nebula.aliyuncs.com",
    "eu-west-1-oxs": "ecs.cn-shenzhen-cloudstone.aliyuncs.com",
    "rus-west-1-pop": "ecs.aliyuncs.com",
}
"""ECS hosts the SDK's table names; every other region gets ``ecs.<region>.aliyuncs.com``
[SDK: alibabacloud_ecs20140526 7.11.8 ``Client._endpoint_map``, ``_endpoint_rule = 'regional'``;
read 2026-11-29]. Used by a static cluster's node to tag itself unhealthy (ECS TagResources)."""


def ecs_endpoint(region: str) -> str:
    """The URL a static node's ECS calls go to (``GPUFLEET_ECS_ENDPOINT``), e.g.
    ``https://ecs.cn-beijing.aliyuncs.com/``."""
    return f"https://{ECS_ENDPOINTS.get(region, f'ecs.{region}.aliyuncs.com')}/"
