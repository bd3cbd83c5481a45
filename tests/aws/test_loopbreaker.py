"""The AWS replacement-loop breaker (issue 17 item 4): alarms the cloud accepts, a node policy
that lets the node reach them, and a plan that shows the threshold and the signal."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from gpufleet.cli import app
from gpufleet.contract import check_plan
from gpufleet.contract.awsmap import BUILDERS, Graph
from gpufleet.plan.engine import run_program
from gpufleet.stackconfig import read_stack_config
from helpers import ROOT

STACK = ROOT / "stacks" / "Pulumi.aws-train-h100-efa.yaml"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def _resources() -> list[Any]:
    sc = read_stack_config(Path(STACK))
    return list(run_program(ROOT / "__main__.py", sc.config, stack=sc.stack).resources)


def test_alarms_are_checked_against_the_cloudwatch_model_and_a_bad_one_is_refused() -> None:
    resources = _resources()
    alarms = {r.inputs["name"]: r for r in resources if r.type == ALARM}
    assert set(alarms) == {"llm-train-trainers-config-failures", "llm-train-trainers-replacement-loop"}
    loop = alarms["llm-train-trainers-replacement-loop"].inputs
    assert (loop["threshold"], loop["period"], loop["dimensions"]["Class"]) == (10, 3600, "hardware")
    report = check_plan(resources)
    assert ALARM not in report.unmapped_types
    assert report.findings == []
    graph = Graph(resources)
    sent = [q for r in alarms.values() for q in BUILDERS[ALARM](r, graph).requests]
    assert [q.operation for q in sent] == ["cloudwatch.PutMetricAlarm"] * 2
    assert {d["Name"] for d in sent[0].params["Dimensions"]} == {"Class", "AutoScalingGroupName"}
    # The mapping reaches botocore's model: an operator PutMetricAlarm does not know is a finding.
    bad = [
        dataclasses.replace(r, inputs=r.inputs | {"comparisonOperator": "AtLeast"}) if r.type == ALARM else r
        for r in resources
    ]
    found = check_plan(bad).findings
    assert found and all(f.rule == "aws.model.enum" and "ComparisonOperator" in f.field for f in found), found


def test_the_node_may_publish_the_metric_and_read_only_its_own_loop_alarm() -> None:
    policies = [r for r in _resources() if r.type == "aws:iam/rolePolicy:RolePolicy" and r.name.endswith("loopbreaker")]
    (policy,) = policies
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    assert statements["FailureMetric"]["Condition"] == {"StringEquals": {"cloudwatch:namespace": "gpufleet"}}
    assert statements["LoopAlarm"]["Resource"] == (
        "arn:aws:cloudwatch:us-east-1:*:alarm:llm-train-trainers-replacement-loop"
    )


def test_plan_shows_the_threshold_and_the_signal_per_group() -> None:
    runner = CliRunner()
    r = runner.invoke(app, ["plan", "--stack", "aws-train-h100-efa", "--format", "json", "--as-of", "2026-11-24"])
    group = json.loads(r.stdout)["groups"][0]
    text = group["loopBreaker"]
    assert "gpufleet/NodeFailures Class=configuration" in text
    assert "llm-train-trainers-config-failures" in text
    assert "until 10 in 60 min trip alarm llm-train-trainers-replacement-loop" in text
    table = runner.invoke(
        app, ["plan", "--stack", "aws-train-h100-efa", "--as-of", "2026-11-24"], env={"COLUMNS": "200"}
    )
    assert "trainers: loop breaker: configuration failure -> not replaced" in table.stdout
