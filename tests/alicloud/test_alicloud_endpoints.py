"""Issue 16 item 10: the node's ESS calls go to the region's endpoint, as Alibaba's own SDK resolves it."""

from __future__ import annotations

import ast
import inspect
import re

import pytest
from aligroups import MakeCtx

from gpufleet.alicloud import launch
from gpufleet.alicloud.endpoints import CENTRAL_ENDPOINT, ecs_endpoint, ess_endpoint, ess_host
from gpufleet.alicloud.image import image_for
from gpufleet.bootstrap import AlicloudNode
from gpufleet.bootstrap.render import node_env
from gpufleet.catalog import Catalog

ess_client = pytest.importorskip("alibabacloud_ess20220222.client")
openapi = pytest.importorskip("alibabacloud_tea_openapi.models")


def _sdk_map() -> dict[str, str]:
    src = inspect.getsource(ess_client.Client.__init__)
    match = re.search(r"self\._endpoint_map = (\{.*?\})", src, re.S)
    assert match, "the SDK no longer carries an endpoint map: re-source gpufleet/alicloud/endpoints.py"
    table: dict[str, str] = ast.literal_eval(match.group(1))
    return table


def _sdk_host(region: str) -> str:
    """What the official ESS SDK connects to for ``region`` (no call is made)."""
    client = ess_client.Client(openapi.Config(region_id=region, access_key_id="x", access_key_secret="y"))
    return str(client._endpoint)


def test_every_region_in_the_sdk_table_resolves_as_the_sdk_does() -> None:
    table = _sdk_map()
    assert len(table) > 20
    assert {r: ess_host(r) for r in table} == {r: _sdk_host(r) for r in table}


def test_every_catalog_region_and_an_unlisted_one_resolve_as_the_sdk_does(catalog: Catalog) -> None:
    regions = {p.region for p in catalog.prices if p.cloud == "alicloud"} | {"xx-unlisted-1"}
    assert {r: ess_host(r) for r in regions} == {r: _sdk_host(r) for r in regions}


def test_frankfurt_group_reports_health_to_the_frankfurt_endpoint(make_ctx: MakeCtx) -> None:
    # One non-China region: Frankfurt has its own ESS endpoint; the node used ess.aliyuncs.com before.
    ctx = make_ctx({"region": "eu-central-1", "zones": ["eu-central-1a"]})
    node = launch.node_context(ctx, image_for(ctx))
    assert isinstance(node.cloud_node, AlicloudNode)
    assert node.cloud_node.ess_endpoint == "https://ess.eu-central-1.aliyuncs.com/"
    env = node_env(ctx.group.bootstrap, node)
    assert env["GPUFLEET_ESS_ENDPOINT"] == "https://ess.eu-central-1.aliyuncs.com/"


def test_beijing_stays_on_the_central_endpoint(make_ctx: MakeCtx) -> None:
    ctx = make_ctx()
    env = node_env(ctx.group.bootstrap, launch.node_context(ctx, image_for(ctx)))
    assert env["GPUFLEET_ESS_ENDPOINT"] == ess_endpoint("cn-beijing") == f"https://{CENTRAL_ENDPOINT}/"


def test_ecs_endpoint_resolves_as_the_ecs_sdk_does(catalog: Catalog) -> None:
    """A static node's TagResources goes where the official ECS SDK would connect."""
    ecs_client = pytest.importorskip("alibabacloud_ecs20140526.client")
    src = inspect.getsource(ecs_client.Client.__init__)
    match = re.search(r"self\._endpoint_map = (\{.*?\})", src, re.S)
    assert match
    table: dict[str, str] = ast.literal_eval(match.group(1))
    regions = set(table) | {p.region for p in catalog.prices if p.cloud == "alicloud"} | {"eu-central-1"}

    def sdk(region: str) -> str:
        client = ecs_client.Client(openapi.Config(region_id=region, access_key_id="x", access_key_secret="y"))
        return f"https://{client._endpoint}/"

    assert {r: ecs_endpoint(r) for r in regions} == {r: sdk(r) for r in regions}
