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
