"""The Alibaba side of the replacement-loop breaker (issue 17 item 4): an ESS notification to
CloudMonitor that the cloud accepts, named with the account the node role lives in."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from gpufleet.alicloud.loopbreaker import NOTIFICATION_TYPES, account_of
from gpufleet.alicloud.mock_outputs import ACCOUNT
from gpufleet.contract import check_plan
from gpufleet.plan.engine import run_program
from gpufleet.plan.mocks import fake_id
from gpufleet.stackconfig import read_stack_config
from helpers import ROOT

NOTIFICATION = "alicloud:ess/notification:Notification"


# An ESS template: alicloud-train-erdma is a static cluster (no scaling group, nothing to notify).
ESS_STACK = "alicloud-inference-a10-spot"


def _resources(stack: str = ESS_STACK) -> list[Any]:
    sc = read_stack_config(Path(ROOT / "stacks" / f"Pulumi.{stack}.yaml"))
    return list(run_program(ROOT / "__main__.py", sc.config, stack=sc.stack).resources)


def test_account_of_reads_a_ram_role_arn() -> None:
    # RAM ARNs: acs:ram::<account-id>:role/<name> (the service has no region part).
    assert account_of("acs:ram::1234567890123456:role/gpufleet-node") == "1234567890123456"


def test_each_group_sends_failed_launches_and_removals_to_cloudmonitor() -> None:
    resources = _resources()
    (n,) = [r for r in resources if r.type == NOTIFICATION]
    group = next(r for r in resources if r.type == "alicloud:ess/scalingGroup:ScalingGroup")
    region = read_stack_config(Path(ROOT / "stacks" / f"Pulumi.{ESS_STACK}.yaml")).fleet["groups"][0]["region"]
    assert n.inputs["notificationArn"] == f"acs:ess:{region}:{ACCOUNT}:cloudmonitor"
    assert n.inputs["notificationTypes"] == list(NOTIFICATION_TYPES)
    assert n.inputs["scalingGroupId"] == fake_id(group.type, group.name)  # the group's mock id
    report = check_plan(resources)
    assert report.findings == [] and NOTIFICATION not in report.unmapped_types
    # The mapping reaches the SDK model: without the group the request is incomplete.
    bad = [
        dataclasses.replace(r, inputs={k: v for k, v in r.inputs.items() if k != "scalingGroupId"})
        if r.type == NOTIFICATION
        else r
        for r in resources
    ]
    found = check_plan(bad).findings
    assert any("ScalingGroupId" in f.field for f in found), found


def test_a_static_cluster_has_no_notification_and_the_plan_says_nothing_replaces_its_nodes() -> None:
    from gpufleet.bootstrap.loopbreaker import describe

    resources = _resources("alicloud-train-erdma")
    assert not [r for r in resources if r.type in (NOTIFICATION, "alicloud:ess/scalingGroup:ScalingGroup")]
    line = describe("alicloud", "g", static=True)
    assert "not replaced automatically" in line and "pulumi up --replace" in line
    assert "SetInstanceHealth" not in line and "SetInstanceHealth" in describe("alicloud", "g")
