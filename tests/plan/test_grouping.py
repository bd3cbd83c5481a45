"""One wrong region: one grouped row per group and policy, with the count, IAM included."""

from __future__ import annotations

from pathlib import Path

from gpufleet.plan.grouping import Violation, group_of, group_violations, summary
from gpufleet.plan.report import render_markdown
from gpufleet.plan.run import plan
from helpers import ROOT


def test_a_wrong_region_is_one_row_per_group_with_every_resource_counted(tmp_path: Path) -> None:
    src = (ROOT / "stacks" / "Pulumi.aws-inference-l4-spot.yaml").read_text()
    f = tmp_path / "Pulumi.eu.yaml"
    # dev.json allows only us-east-1/-2, us-west-2; zone names of eu-west-1 for the template's AZ IDs
    eu = src.replace("us-east-1", "eu-west-1").replace("use1-az6", "eu-west-1a").replace("use1-az1", "eu-west-1b")
    f.write_text(eu.replace("use1-az2", "eu-west-1c"))
    report = plan(f)
    per_resource = [v for v in report.policies if v.policy == "allowed-regions"]
    # Independent count: every AWS resource of the program sits in the (single) group's region.
    aws = [r for r in report.resources if r.type.startswith("aws:")]
    assert len(per_resource) == len(aws) > 20
    assert any(r.type.startswith("aws:iam/") for r in aws)  # global IAM follows its group's provider region
    md = render_markdown(report)
    rows = [line for line in md.splitlines() if line.startswith("| allowed-regions |")]
    assert len(rows) == 1
    assert f"| {len(aws)} resources (" in rows[0] and "eu-west-1" in rows[0]


def test_group_of_follows_the_parent_chain_and_stack_level_rows() -> None:
    stack = "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s"
    fleet = "urn:pulumi:s::p::gpufleet:index:GpuFleet::f"
    grp = "urn:pulumi:s::p::gpufleet:index:GpuFleet$gpufleet:aws:AwsGpuGroup::f-a"
    role = "urn:pulumi:s::p::gpufleet:index:GpuFleet$gpufleet:aws:AwsGpuGroup$aws:iam/role:Role::f-a-node"
    other = "urn:pulumi:s::p::aws:ec2/vpc:Vpc::shared"
    parents = {fleet: stack, grp: fleet, role: grp, other: stack}
    assert group_of(role, parents) == "f-a"
    assert group_of(other, parents) == "(outside any group)"
    groups = group_violations(
        [
            Violation("required-tags", "advisory", "x 'f-a-node' lacks owner", role),
            Violation("gpu-quota", "mandatory", "too many GPUs", ""),
        ],
        parents,
    )
    assert [(g.policy, g.group, g.count) for g in groups] == [("gpu-quota", "(stack)", 1), ("required-tags", "f-a", 1)]
    assert summary(groups[1]) == "1 resource (f-a-node)"
