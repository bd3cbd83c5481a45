"""Alibaba Cloud contract: templates' captured plans through gpufleet.contract.alicloud, one wrong
input per mapping and per rule (so each can fail), and the known defects of today's code
(issue 16)."""

from __future__ import annotations

import base64
import importlib
import json
import sys
from functools import cache
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

import specgen
from contract_cases import ALICLOUD_REFUSED_SPECS, assert_fires
from contract_templates import TEMPLATE_FILES, TEMPLATES, expected
from gpufleet.contract import alicloud
from gpufleet.contract.base import RULES, Finding, Request, apply_rules
from gpufleet.errors import ConfigError
from gpufleet.plan.engine import CapturedResource, run_program
from gpufleet.plan.run import PROJECT_ROOT
from gpufleet.validation import validate_fleet
from helpers import STACKS

ALI_TEMPLATES = [t for t in TEMPLATES if "cloud: alicloud" in TEMPLATE_FILES[t].read_text()]


@cache
def _capture(stack: str, fleet_override: str | None = None) -> tuple[CapturedResource, ...]:
    config = yaml.safe_load((STACKS / f"Pulumi.{stack}.yaml").read_text())["config"]
    if fleet_override is not None:
        config["gpufleet:fleet"] = yaml.safe_load(fleet_override)
    run = run_program(PROJECT_ROOT / "__main__.py", config, stack=stack)
    return (*run.resources, *run.invokes)  # an invoke (DescribeImages) is a request too


def _check(resources: Any) -> list[Finding]:
    reqs = alicloud.requests(resources)
    return alicloud.model_findings(reqs) + apply_rules(reqs)


def test_the_alibaba_templates_are_found() -> None:
    assert {"alicloud-inference-a10-spot", "alicloud-train-erdma", "multicloud-burst"} <= set(ALI_TEMPLATES)


@pytest.mark.parametrize("stack", ALI_TEMPLATES)
def test_template_findings_are_exactly_the_known_ones(stack: str) -> None:
    # the Alibaba rows of the one table (tests/contract_templates.py): none since issue 16
    found = sorted((f.resource, f.field, f.rule) for f in _check(_capture(stack)))
    assert found == expected(stack, "alicloud")


def test_requests_follow_the_provider_and_the_dependency_order() -> None:
    reqs = alicloud.requests(_capture("alicloud-inference-a10-spot"))
    ops = [r.operation for r in reqs]
    assert ops.index("Ess.CreateScalingGroup") < ops.index("Ess.CreateScalingConfiguration")
    assert ops.index("Ess.CreateScalingGroup") < ops.index("Ess.CreateScheduledTask")
    assert ops.index("Vpc.CreateVpc") < ops.index("Vpc.CreateVSwitch")
    config = next(r for r in reqs if r.operation == "Ess.CreateScalingConfiguration").params
    assert config["SystemDisk"] == {"Category": "cloud_essd", "Encrypted": True, "PerformanceLevel": "PL1", "Size": 200}
    assert config["SpotPriceLimits"][0] == {"InstanceType": "ecs.gn7i-c8g1.2xlarge", "PriceLimit": 5.71}
    group = next(r for r in reqs if r.operation == "Ess.CreateScalingGroup").params
    assert group["RegionId"] == "cn-beijing" and group["DesiredCapacity"] == 1
    night = next(r for r in reqs if r.resource == "infer-a10-servers-night").params
    assert night["MinValue"] == 0  # GetOkExists keeps 0
    assert next(r for r in reqs if r.operation == "Ess.ModifyScalingGroup").params["RemovalPolicies"]


# --- today's defects on specs beyond the templates (issue 16 fixes them) ----------------------

_FLEET = yaml.safe_load((STACKS / "Pulumi.alicloud-inference-a10-spot.yaml").read_text())["config"]["gpufleet:fleet"]


@pytest.mark.parametrize("name", sorted(ALICLOUD_REFUSED_SPECS))
def test_issue_16_reproducers_are_refused_at_spec_time(name: str) -> None:
    """Review 1 and 2: these specs planned tasks ESS rejects (no '?', twice an hour, desired on a
    group whose desired 0 the provider drops, min without desired on a group sent with desired);
    now validate refuses them with the field paths, before any resource."""
    spec, paths = ALICLOUD_REFUSED_SPECS[name]
    with pytest.raises(ConfigError) as e:
        validate_fleet(spec, specgen.catalog())
    assert sorted(p.path for p in e.value.problems) == sorted(paths)


# --- negative tests: each mapping and the model check can fail ---------------------------------


def _res(type_: str, inputs: dict[str, Any], name: str = "r", deps: tuple[str, ...] = ()) -> SimpleNamespace:
    return SimpleNamespace(urn=f"urn:{type_}::{name}", type=type_, name=name, inputs=inputs, dependencies=deps)


@cache
def _template_inputs() -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for stack in ("alicloud-inference-a10-spot", "alicloud-train-erdma", "alicloud-images-a10"):
        for r in _capture(stack):
            out.setdefault(r.type, dict(r.inputs))
    return out


def test_every_mapping_is_exercised_by_a_template() -> None:
    assert set(alicloud.MAPPINGS) <= set(_template_inputs())


@pytest.mark.parametrize("type_", sorted(alicloud.MAPPINGS))
def test_mapping_flags_an_unmapped_input_and_a_wrong_type(type_: str) -> None:
    good = _template_inputs()[type_]
    assert [f for f in _check([_res(type_, good)]) if f.rule in ("alicloud.model", alicloud.UNMAPPED)] == []
    assert_fires(_check([_res(type_, {**good, "notAProviderInput": 1})]), "alicloud.unmapped", "notAProviderInput")
    # a wrong type in the first mapped input reaches the SDK model as a wrong type
    call = alicloud.MAPPINGS[type_].calls[0]
    key = next(k for k in call.fields if k in good and call.fields[k].convert is None)
    wrong = {"x": 1} if isinstance(good[key], str | int | float | bool) else "not-a-list"
    found = [f for f in _check([_res(type_, {**good, key: wrong})]) if f.rule == "alicloud.model"]
    assert found and "expected" in found[0].message, (key, found)


def test_model_flags_unknown_and_missing_required_parameters() -> None:
    req = Request("alicloud", "Ess.CreateAlarm", {"RegionId": "cn", "NotAParam": 1}, "a", "alicloud:ess/alarm:Alarm")
    assert_fires(alicloud.model_findings([req]), "alicloud.model", "ScalingGroupId")
    found = sorted((f.field, f.message.split(" ")[0]) for f in alicloud.model_findings([req]))
    assert found == [("NotAParam", "unknown"), ("ScalingGroupId", "required")]


def test_nested_models_are_checked() -> None:
    params = {"ScalingGroupId": "g", "SystemDisk": {"Size": "200"}, "SpotPriceLimits": [{"PriceLimit": "x"}]}
    req = Request("alicloud", "Ess.CreateScalingConfiguration", params, "c", "t")
    assert sorted(f.field for f in alicloud.model_findings([req])) == [
        "SpotPriceLimits[0].PriceLimit",
        "SystemDisk.Size",
    ]


def test_unmapped_alicloud_type_is_a_finding_not_a_pass() -> None:
    assert [f.rule for f in _check([_res("alicloud:ecs/ecsLaunchTemplate:EcsLaunchTemplate", {})])] == [
        alicloud.UNMAPPED
    ]


def test_getok_drops_desired_capacity_zero() -> None:
    group = _template_inputs()["alicloud:ess/scalingGroup:ScalingGroup"]
    req = alicloud.requests([_res("alicloud:ess/scalingGroup:ScalingGroup", {**group, "desiredCapacity": 0.0})])[0]
    assert "DesiredCapacity" not in req.params


# --- rules: each one fires on a wrong input ----------------------------------------------------


def _task(cron: str = "0 1 ? * 1-5", today: str = "2026-11-29", launch: str = "2026-12-01T01:00Z", **p: Any) -> Request:
    params = {"RecurrenceType": "Cron", "RecurrenceValue": cron, "LaunchTime": launch, **p}
    ctx: dict[str, Any] = {"today": today}
    for k in ("groupDesiredCapacitySent", "groupDesiredCapacity"):
        if k in p:
            ctx[k] = params.pop(k)
    return Request("alicloud", "Ess.CreateScheduledTask", params, "t", "alicloud:ess/scheduledTask:ScheduledTask", ctx)


def _b64(size: int) -> str:
    return base64.b64encode(b"x" * size).decode()


RULE_CASES: dict[str, tuple[Request, Request]] = {
    "alicloud.ess.cron-fields": (_task("0 1 ? * 1-5 2027"), _task("0 1 ? * 1-5")),
    "alicloud.ess.cron-question-mark": (_task("0 1 * * 1-5"), _task("0 4 * * ?")),
    "alicloud.ess.cron-once-per-hour": (_task("*/10 9 ? * 1-5"), _task("0 9,17 ? * 1-5")),
    "alicloud.ess.scheduled-task-sets-desired": (
        _task(MinValue=1, groupDesiredCapacitySent=True, groupDesiredCapacity=1),
        _task(MinValue=1, DesiredCapacity=1, groupDesiredCapacitySent=True, groupDesiredCapacity=1),
    ),
    "alicloud.ess.scheduled-task-desired-needs-group-feature": (
        _task(DesiredCapacity=2, groupDesiredCapacitySent=False, groupDesiredCapacity=0),
        _task(MinValue=1, groupDesiredCapacitySent=False, groupDesiredCapacity=0),
    ),
    "alicloud.ess.launch-time-90-days": (_task(launch="2027-03-01T00:00Z"), _task(launch="2027-02-27T00:00Z")),
    "alicloud.tags.max-20": (
        Request("alicloud", "Vpc.CreateVpc", {"Tag": [{"Key": f"k{i}", "Value": "v"} for i in range(21)]}, "v", "t"),
        Request("alicloud", "Vpc.CreateVpc", {"Tag": [{"Key": f"k{i}", "Value": "v"} for i in range(20)]}, "v", "t"),
    ),
    "alicloud.ess.user-data-32kb": (
        Request("alicloud", "Ess.CreateScalingConfiguration", {"UserData": _b64(32 * 1024 + 1)}, "c", "t"),
        Request("alicloud", "Ess.CreateScalingConfiguration", {"UserData": _b64(32 * 1024)}, "c", "t"),
    ),
    "alicloud.ecs.deployment-set-no-spot": (
        Request("alicloud", "Ecs.RunInstances", {"DeploymentSetId": "ds-1", "SpotStrategy": "SpotAsPriceGo"}, "i", "t"),
        Request("alicloud", "Ecs.RunInstances", {"DeploymentSetId": "ds-1", "SpotStrategy": "NoSpot"}, "i", "t"),
    ),
    "alicloud.ecs.low-latency-max-20": (
        Request(
            "alicloud",
            "Ecs.RunInstances",
            {"DeploymentSetId": "ds-1"},
            "i",
            "t",
            {"deploymentSetStrategy": "LowLatency", "deploymentSetMembers": 21},
        ),
        Request(
            "alicloud",
            "Ecs.RunInstances",
            {"DeploymentSetId": "ds-1"},
            "i",
            "t",
            {"deploymentSetStrategy": "LowLatency", "deploymentSetMembers": 20},
        ),
    ),
}


def _fired(rule_id: str) -> list[Finding]:
    """Every registered rule over the rule's wrong input (a rule dropped from RULES fires nothing)."""
    return apply_rules([RULE_CASES[rule_id][0]])


def test_each_rule_fires_on_its_wrong_input() -> None:
    # one literal assert_fires per rule id: tests/contract/test_meta.py requires it of every rule
    assert_fires(_fired("alicloud.ess.cron-fields"), "alicloud.ess.cron-fields", "RecurrenceValue")
    assert_fires(_fired("alicloud.ess.cron-question-mark"), "alicloud.ess.cron-question-mark", "RecurrenceValue")
    assert_fires(_fired("alicloud.ess.cron-once-per-hour"), "alicloud.ess.cron-once-per-hour", "RecurrenceValue")
    assert_fires(
        _fired("alicloud.ess.scheduled-task-sets-desired"),
        "alicloud.ess.scheduled-task-sets-desired",
        "DesiredCapacity",
    )
    assert_fires(
        _fired("alicloud.ess.scheduled-task-desired-needs-group-feature"),
        "alicloud.ess.scheduled-task-desired-needs-group-feature",
        "DesiredCapacity",
    )
    assert_fires(_fired("alicloud.ess.launch-time-90-days"), "alicloud.ess.launch-time-90-days", "LaunchTime")
    assert_fires(_fired("alicloud.tags.max-20"), "alicloud.tags.max-20")
    assert_fires(_fired("alicloud.ess.user-data-32kb"), "alicloud.ess.user-data-32kb", "UserData")
    assert_fires(_fired("alicloud.ecs.deployment-set-no-spot"), "alicloud.ecs.deployment-set-no-spot", "SpotStrategy")
    assert_fires(_fired("alicloud.ecs.low-latency-max-20"), "alicloud.ecs.low-latency-max-20", "DeploymentSetId")


@pytest.mark.parametrize("rule_id", sorted(RULE_CASES))
def test_rule_flags_only_itself_and_passes_a_close_right_input(rule_id: str) -> None:
    bad, good = RULE_CASES[rule_id]
    r = RULES[rule_id]
    assert {f.rule for f in r.findings(bad)} == {rule_id}
    assert r.findings(good) == []
    assert r.source and "2026" in r.source


def test_launch_time_must_be_the_api_format() -> None:
    found = RULES["alicloud.ess.launch-time-90-days"].findings(_task(launch="2026-12-01 01:00"))
    assert [f.field for f in found] == ["LaunchTime"]


def test_missing_model_package_raises_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "alibabacloud_ess20220222", None)
    monkeypatch.delitem(sys.modules, "gpufleet.contract.alicloud")
    try:
        with pytest.raises(ImportError):
            importlib.import_module("gpufleet.contract.alicloud")
    finally:
        sys.modules["gpufleet.contract.alicloud"] = alicloud


def test_scaling_configuration_tags_count_as_json_and_template_user_data_fits() -> None:
    tags = {f"k{i}": "v" for i in range(21)}
    req = Request("alicloud", "Ess.CreateScalingConfiguration", {"Tags": json.dumps(tags)}, "c", "t")
    assert [f.field for f in RULES["alicloud.tags.max-20"].findings(req)] == ["Tags"]
    for stack, op in (
        ("alicloud-inference-a10-spot", "Ess.CreateScalingConfiguration"),
        ("alicloud-train-erdma", "Ecs.RunInstances"),
    ):
        config = next(r for r in alicloud.requests(_capture(stack)) if r.operation == op)
        assert 0 < len(base64.b64decode(config.params["UserData"])) <= 32 * 1024
    big = Request(
        "alicloud", "Ecs.RunInstances", {"UserData": base64.b64encode(b"x" * (32 * 1024 + 1)).decode()}, "i", "t"
    )
    assert [f.field for f in RULES["alicloud.ess.user-data-32kb"].findings(big)] == ["UserData"]


def test_todays_tag_count_is_caught() -> None:
    """No spec rule counts tags today (issue 16): 19 fleet tags + gpufleet's 2 exceed 20."""
    many = yaml.safe_dump({**_FLEET, "tags": {**_FLEET["tags"], **{f"t{i}": "x" for i in range(16)}}})
    found = {(f.resource, f.rule) for f in _check(_capture("alicloud-inference-a10-spot", many))}
    tagged = {
        (r, "alicloud.tags.max-20")
        for r in ("infer-a10-servers-config", "infer-a10-servers-nodes", "infer-a10-servers-vpc")
    }
    assert tagged <= found, found


def test_a_wrong_owner_or_status_is_a_finding() -> None:
    def req(**params: Any) -> list[Request]:
        lookup = "alicloud:ecs/getImages:getImages"
        return [Request("alicloud", "Ecs.DescribeImages", {"RegionId": "cn-beijing", **params}, "l", lookup)]

    assert_fires(apply_rules(req(ImageOwnerAlias="mine")), "alicloud.ecs.describe-images-values", "ImageOwnerAlias")
    assert_fires(apply_rules(req(Status="Ready")), "alicloud.ecs.describe-images-values", "Status")
    assert_fires(apply_rules(req(Status="ALL,Available")), "alicloud.ecs.describe-images-values", "Status")
    assert apply_rules(req(ImageOwnerAlias="self", Status="Available,Deprecated")) == []
    # a misspelled parameter is caught by the SDK model, not by gpufleet's mapping
    assert_fires(alicloud.model_findings(req(ImageOwner="self")), "alicloud.model", "ImageOwner")
