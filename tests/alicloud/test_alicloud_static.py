"""``capacity.mode: static`` (issue 16 item 4): spec-time limits, the builders, the program under
the mock engine and the requests Alibaba would get, checked against its SDK models."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pulumi_alicloud as alicloud
import pytest
from alibabacloud_ecs20140526 import models as ecs_models  # type: ignore[import-untyped, unused-ignore]
from aligroups import A10_SPOT, EBMGN8IS_ERDMA, GN8IS_ERDMA, STATIC_EBMGN8IS, MakeCtx, ali
from test_alicloud_builders import _node_file

from gpufleet.alicloud import cluster
from gpufleet.alicloud.image import image_for
from gpufleet.alicloud.static import MAX_PER_ZONE, families_command, family_of
from gpufleet.catalog import Catalog
from gpufleet.contract import alicloud as contract
from gpufleet.contract.alicloud_model import check as model_check
from gpufleet.contract.base import Finding, apply_rules
from gpufleet.cost import estimate_group
from gpufleet.errors import ConfigError
from gpufleet.plan.engine import ProgramRun, run_program
from gpufleet.validation import validate_fleet
from helpers import ROOT, fleet, merge

INSTANCE = "alicloud:ecs/instance:Instance"
DEPLOYMENT_SET = "alicloud:ecs/ecsDeploymentSet:EcsDeploymentSet"


def problems(group: dict[str, Any], catalog: Catalog) -> dict[str, str]:
    try:
        validate_fleet(fleet(group), catalog)
    except ConfigError as e:
        return {p.path: p.message for p in e.problems}
    return {}


def static(**over: Any) -> dict[str, Any]:
    return merge(ali(STATIC_EBMGN8IS), over)


@pytest.fixture(scope="module")
def run() -> ProgramRun:
    return run_program(ROOT / "__main__.py", {"gpufleet:fleet": fleet(ali(STATIC_EBMGN8IS))}, stack="static")


def _check(run: ProgramRun) -> list[Finding]:
    reqs = contract.requests(run.resources)
    return contract.model_findings(reqs) + apply_rules(reqs)


# -- spec time ----------------------------------------------------------------------------------


def test_static_ebmgn8is_cluster_is_valid(catalog: Catalog) -> None:
    assert problems(ali(STATIC_EBMGN8IS), catalog) == {}


def test_two_card_erdma_through_ess_points_to_static_mode(catalog: Catalog) -> None:
    found = problems(ali(EBMGN8IS_ERDMA), catalog)
    assert "capacity: {mode: static" in found["groups[0].gpu.instanceTypes"]


def test_family_list_is_required_and_names_the_api_call(catalog: Catalog) -> None:
    group = ali(STATIC_EBMGN8IS)
    del group["alicloud"]
    found = problems(group, catalog)
    assert list(found) == ["groups[0].alicloud.lowLatencyFamilies"]
    assert families_command("cn-beijing") in found["groups[0].alicloud.lowLatencyFamilies"]
    assert "--Strategy LowLatency" in families_command("cn-beijing")


def test_a_family_missing_from_the_users_list_is_refused(catalog: Catalog) -> None:
    found = problems(static(alicloud={"lowLatencyFamilies": ["ecs.gn8is"]}), catalog)
    assert list(found) == ["groups[0].gpu.instanceTypes"]
    assert "ecs.ebmgn8is is not in alicloud.lowLatencyFamilies" in found["groups[0].gpu.instanceTypes"]


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("ecs.gn8is-4x.16xlarge", "ecs.gn8is"),
        ("ecs.ebmgn8is.32xlarge", "ecs.ebmgn8is"),
        ("ecs.gn7i-c8g1.2xlarge", "ecs.gn7i"),
        ("ecs.gn8v.4xlarge", "ecs.gn8v"),
    ],
)
def test_family_of_a_type(name: str, family: str) -> None:
    assert family_of(name) == family


def test_spot_is_refused_in_a_deployment_set(catalog: Catalog) -> None:
    found = problems(static(market={"type": "spot"}), catalog)
    assert "groups[0].market.type" in found and "no spot" in found["groups[0].market.type"]


def test_more_than_20_nodes_is_refused(catalog: Catalog) -> None:
    n = MAX_PER_ZONE + 1
    found = problems(static(capacity={"mode": "static", "min": n, "max": n}), catalog)
    assert set(found) == {"groups[0].capacity.max"}
    assert problems(static(capacity={"mode": "static", "min": 20, "max": 20}), catalog) == {}


def test_size_is_fixed(catalog: Catalog) -> None:
    assert set(problems(static(capacity={"mode": "static", "min": 1, "max": 2}), catalog)) == {"groups[0].capacity.min"}
    found = problems(static(capacity={"mode": "static", "min": 2, "max": 2, "desired": 2}), catalog)
    assert found == {}


def test_no_autoscaling_and_one_zone(catalog: Catalog) -> None:
    found = problems(static(autoscaling={"gpuUtilizationTarget": 60}, zones=["cn-beijing-l", "cn-beijing-k"]), catalog)
    assert {"groups[0].autoscaling", "groups[0].zones"} <= set(found)


def test_one_type_and_at_most_two_eris(catalog: Catalog) -> None:
    two = static(
        gpu={"model": "L20-48GB", "count": 8, "instanceTypes": ["ecs.ebmgn8is.32xlarge", "ecs.gn8is-8x.32xlarge"]}
    )
    two["alicloud"] = {"lowLatencyFamilies": ["ecs.ebmgn8is", "ecs.gn8is"]}
    assert set(problems(two, catalog)) == {"groups[0].gpu.instanceTypes"}
    # ecs.ebmgn8i.32xlarge (4 ERIs in the PAI table) has no catalog row: check the rule directly.
    from dataclasses import replace

    from gpufleet.alicloud.static import static_problems
    from gpufleet.spec import GroupSpec

    base = catalog.instance("alicloud", "ecs.ebmgn8is.32xlarge")
    assert base is not None
    spec = GroupSpec.model_validate({**static(alicloud={"lowLatencyFamilies": ["ecs.ebmgn8i"]}), "name": "g"})
    found = {
        p.path: p.message for p in static_problems(spec, "groups[0]", [replace(base, name="ecs.ebmgn8i.32xlarge")])
    }
    assert "more than 2 eRDMA interfaces" in found["groups[0].gpu.instanceTypes"]
    assert static_problems(spec, "groups[0]", [replace(base, name="ecs.ebmgn8i.16xlarge")]) == []


def test_static_keys_are_alibaba_only_and_families_need_static(catalog: Catalog) -> None:
    found = problems(ali(GN8IS_ERDMA, {"alicloud": {"lowLatencyFamilies": ["ecs.gn8is"]}}), catalog)
    assert set(found) == {"groups[0].alicloud.lowLatencyFamilies"}
    aws = {
        "cloud": "aws",
        "region": "us-east-1",
        "zones": ["us-east-1a"],
        "gpu": {"model": "H100-80GB", "count": 8},
        "capacity": {"mode": "static", "min": 2, "max": 2},
    }
    assert "groups[0].capacity.mode" in problems(aws, catalog)


def test_static_cost_uses_the_same_price_model(make_ctx: MakeCtx, catalog: Catalog) -> None:
    """A static group is priced like any on-demand group of min = desired = max nodes."""
    on_demand = {"zones": ["cn-beijing-h"], "gpu": {"instanceTypes": ["ecs.gn7i-c8g1.2xlarge"]}}
    elastic = make_ctx(merge(on_demand, {"capacity": {"min": 3, "desired": 3, "max": 3}}))
    fixed = make_ctx(
        merge(
            on_demand,
            {"capacity": {"mode": "static", "min": 3, "max": 3}, "alicloud": {"lowLatencyFamilies": ["ecs.gn7i"]}},
        )
    )
    a, b = estimate_group(elastic.resolved, catalog), estimate_group(fixed.resolved, catalog)
    assert b.monthly_usd == a.monthly_usd and b.monthly_usd["max"] is not None
    price = catalog.price("alicloud", "ecs.gn7i-c8g1.2xlarge", "cn-beijing")
    assert price is not None and price.ondemand is not None and price.currency == "CNY"
    # every level is the same 3 on-demand nodes, at the catalog's dated CNY rate
    expected = 3 * price.ondemand * catalog.fx_rate("CNY").usd_per_unit * 730
    assert b.monthly_usd["min"] == b.monthly_usd["desired"] == b.monthly_usd["max"] == pytest.approx(expected, abs=0.01)


# -- builders ------------------------------------------------------------------------------------


def test_node_context_marks_health_with_a_tag_not_ess(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(STATIC_EBMGN8IS)
    node = cluster.node_context(ctx, image_for(ctx)).cloud_node
    assert node is not None and node.static_cluster == "demo-trainers"  # type: ignore[union-attr]
    assert node.erdma_interfaces == 2 and node.nccl_settings["NCCL_IB_HCA"] == "erdma"  # type: ignore[union-attr]
    assert node.ecs_endpoint == "https://ecs.cn-beijing.aliyuncs.com/"  # type: ignore[union-attr]
    env = _node_file(cluster.user_data(ctx, image_for(ctx)), "/etc/gpufleet/node.env")
    lines = dict(line.split("=", 1) for line in env.splitlines() if "=" in line)
    assert lines["GPUFLEET_STATIC_CLUSTER"] == "demo-trainers" and "GPUFLEET_SCALING_GROUP_NAME" not in lines
    assert lines["GPUFLEET_ECS_ENDPOINT"] == "https://ecs.cn-beijing.aliyuncs.com/"
    assert lines["GPUFLEET_ERDMA_INTERFACES"] == "2"


# -- program and contract ------------------------------------------------------------------------


def test_static_cluster_is_a_low_latency_set_of_instances(run: ProgramRun) -> None:
    ds = run.one(DEPLOYMENT_SET)
    assert ds.inputs["strategy"] == "LowLatency"
    nodes = run.of_type(INSTANCE)
    assert len(nodes) == 2
    for n in nodes:
        i = n.inputs
        assert i["deploymentSetId"] == run.outputs["groups"]["trainers"]["deploymentSetId"]
        assert (i["instanceChargeType"], i["spotStrategy"]) == ("PostPaid", "NoSpot")
        assert i["networkInterfaceTrafficMode"] == "HighPerformance" and i["networkCardIndex"] == 0
        nic = i["networkInterfaces"]
        assert (nic["networkInterfaceTrafficMode"], nic["networkCardIndex"]) == ("HighPerformance", 1)
        assert i["internetMaxBandwidthOut"] == 0 and i["systemDiskEncrypted"] is True
        assert i["httpTokens"] == "required"
    assert not [r for r in run.resources if r.type.startswith("alicloud:ess/")]


def test_static_node_policy_lets_nodes_tag_only_their_cluster(run: ProgramRun) -> None:
    doc = json.loads(run.one("alicloud:ram/policy:Policy").inputs["policyDocument"])
    (stmt,) = doc["Statement"]
    assert stmt["Action"] == ["ecs:TagResources"]
    ids = run.outputs["groups"]["trainers"]["instanceIds"]
    assert stmt["Resource"] == [f"acs:ecs:cn-beijing:*:instance/{i}" for i in ids]


def test_static_erdma_cluster_plans_contract_clean(run: ProgramRun) -> None:
    from gpufleet.contract.check import check_plan

    assert _check(run) == []
    assert check_plan(run.resources).findings == []  # what `gpufleet plan` runs: exit 0/1, never 3
    ops = [r.operation for r in contract.requests(run.resources)]
    assert ops.index("Ecs.CreateDeploymentSet") < ops.index("Ecs.RunInstances")


def test_run_instances_request_carries_the_eris_on_two_cards(run: ProgramRun) -> None:
    req = next(r for r in contract.requests(run.resources) if r.operation == "Ecs.RunInstances")
    nics = req.params["NetworkInterface"]
    assert [(n["InstanceType"], n["NetworkInterfaceTrafficMode"], n["NetworkCardIndex"]) for n in nics] == [
        ("Primary", "HighPerformance", 0),
        ("Secondary", "HighPerformance", 1),
    ]
    # The interfaces carry the vSwitch and security group, so they are not sent twice.
    assert "VSwitchId" not in req.params and "SecurityGroupIds" not in req.params
    assert req.params["SystemDisk"] == {
        "Category": "cloud_essd",
        "PerformanceLevel": "PL1",
        "Size": "200",
        "Encrypted": "true",
    }


def test_a_wrong_request_fails_the_sdk_model(run: ProgramRun) -> None:
    """The mapping is checked against Alibaba's own RunInstances / CreateDeploymentSet models."""
    req = next(r for r in contract.requests(run.resources) if r.operation == "Ecs.RunInstances")
    bad_nic = {**req.params, "NetworkInterface": [{**req.params["NetworkInterface"][1], "NetworkCard": 1}]}
    assert [f for f, _ in model_check(ecs_models.RunInstancesRequest, bad_nic)] == ["NetworkInterface[0].NetworkCard"]
    bad_size = {**req.params, "SystemDisk": {**req.params["SystemDisk"], "Size": 200}}
    assert [f for f, _ in model_check(ecs_models.RunInstancesRequest, bad_size)] == ["SystemDisk.Size"]
    ds = next(r for r in contract.requests(run.resources) if r.operation == "Ecs.CreateDeploymentSet")
    no_region = {k: v for k, v in ds.params.items() if k != "RegionId"}
    assert [f for f, _ in model_check(ecs_models.CreateDeploymentSetRequest, no_region)] == ["RegionId"]


def test_spot_or_too_many_members_in_a_deployment_set_are_findings(run: ProgramRun) -> None:
    reqs = contract.requests(run.resources)
    req = next(r for r in reqs if r.operation == "Ecs.RunInstances")
    spot = type(req)(
        req.cloud,
        req.operation,
        {**req.params, "SpotStrategy": "SpotAsPriceGo"},
        req.resource,
        req.resource_type,
        req.context,
    )
    assert [f.rule for f in apply_rules([spot])] == ["alicloud.ecs.deployment-set-no-spot"]
    crowd = type(req)(
        req.cloud,
        req.operation,
        req.params,
        req.resource,
        req.resource_type,
        {**req.context, "deploymentSetMembers": 21},
    )
    assert [f.rule for f in apply_rules([crowd])] == ["alicloud.ecs.low-latency-max-20"]


def test_sdk_instance_still_takes_one_secondary_interface() -> None:
    """static.MAX_ERIS rests on ``network_interfaces`` being one object; fail when it becomes a list."""
    sig = inspect.signature(alicloud.ecs.InstanceArgs.__init__).parameters
    assert "InstanceNetworkInterfacesArgs" in str(sig["network_interfaces"].annotation)
    assert "Sequence" not in str(sig["network_interfaces"].annotation)
    assert {"deployment_set_id", "network_interface_traffic_mode", "network_card_index"} <= set(sig)
    assert "network_card_index" in inspect.signature(alicloud.ecs.InstanceNetworkInterfacesArgs.__init__).parameters


def test_the_spot_a10_group_stays_on_ess(catalog: Catalog) -> None:
    assert problems(ali(A10_SPOT), catalog) == {}


def test_validate_and_plan_say_family_support_is_the_users_answer(catalog: Catalog) -> None:
    warnings = validate_fleet(fleet(ali(STATIC_EBMGN8IS)), catalog).warnings
    notes = [w for w in warnings if w.path == "groups[0].alicloud.lowLatencyFamilies"]
    assert len(notes) == 1 and "ecs.ebmgn8is is taken from your answer" in notes[0].message
    assert "not checked offline" in notes[0].message


def test_budget_policy_counts_a_static_cluster_at_its_fixed_size(catalog: Catalog) -> None:
    """gpu-budget-cap prices the instances of a static cluster (no scaling group to read)."""
    from gpufleet.policy import evaluate

    group = merge(
        {"zones": ["cn-beijing-h"], "gpu": {"instanceTypes": ["ecs.gn7i-c8g1.2xlarge"]}},
        {"capacity": {"mode": "static", "min": 3, "max": 3}, "alicloud": {"lowLatencyFamilies": ["ecs.gn7i"]}},
    )
    r = run_program(ROOT / "__main__.py", {"gpufleet:fleet": fleet(ali(group))}, stack="static-a10")
    price = catalog.price("alicloud", "ecs.gn7i-c8g1.2xlarge", "cn-beijing")
    assert price is not None and price.ondemand is not None
    monthly = 3 * price.ondemand * catalog.fx_rate("CNY").usd_per_unit * 730
    over = evaluate(
        r.resources, {"gpu-budget-cap": {"maxMonthlyUsd": round(monthly - 1)}, "gpu-quota": {"maxGpus": 100}}
    )
    assert [v.policy for v in over if v.policy == "gpu-budget-cap"] == ["gpu-budget-cap"]
    under = evaluate(
        r.resources, {"gpu-budget-cap": {"maxMonthlyUsd": round(monthly + 1)}, "gpu-quota": {"maxGpus": 100}}
    )
    assert not [v for v in under if v.policy == "gpu-budget-cap"]


LIMITS: dict[str, Any] = {"gpu-quota": {"maxGpus": 100}, "gpu-budget-cap": {"maxMonthlyUsd": 10**7}}


def test_required_tags_are_checked_on_static_nodes(run: ProgramRun) -> None:
    from gpufleet.policy import evaluate

    found = evaluate(run.resources, {**LIMITS, "required-tags": {"requiredTags": ["team"]}})
    nodes = {r.urn for r in run.of_type(INSTANCE)}
    flagged = {v.urn for v in found if v.policy == "required-tags" and "missing required tag(s) team" in v.message}
    assert nodes <= flagged
    clean = evaluate(run.resources, {**LIMITS, "required-tags": {"requiredTags": ["owner"]}})
    assert not [v for v in clean if v.policy == "required-tags" and v.urn in nodes]


def test_sdk_instance_set_still_has_no_traffic_mode() -> None:
    """Why N ecs.Instance and not one ecs.EcsInstanceSet (cluster.py): fails when the set gains eRDMA."""

    def params(cls: type) -> set[str]:
        return set(inspect.signature(cls.__init__).parameters)

    assert "deployment_set_id" in params(alicloud.ecs.EcsInstanceSetArgs)
    assert "network_interface_traffic_mode" not in params(alicloud.ecs.EcsInstanceSetArgs)
    assert "network_interface_traffic_mode" not in params(alicloud.ecs.EcsInstanceSetNetworkInterfaceArgs)
