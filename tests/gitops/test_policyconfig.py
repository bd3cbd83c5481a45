"""One rule for the policy config: `gpufleet plan` and the workflows' discovery agree."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gpufleet.gitops.policyconfig import fleet_tags, policy_config_for
from gpufleet.plan.run import plan
from helpers import fleet


@pytest.mark.parametrize(
    ("fleet_env", "group_env", "expected"),
    [
        ("prod", None, "policies/prod.json"),
        ("dev", "prod", "policies/dev.json"),  # a group tag never picks the stack's config
        (None, None, "policies/dev.json"),
    ],
)
def test_plan_and_workflow_pick_the_same_policy_config(
    tmp_path: Path, fleet_env: str | None, group_env: str | None, expected: str
) -> None:
    tags = {"owner": "ml", "cost-center": "cc-1", **({"env": fleet_env} if fleet_env else {})}
    group = {"capacity": {"min": 0, "desired": 0, "max": 1}, **({"tags": {"env": group_env}} if group_env else {})}
    f = tmp_path / "Pulumi.t.yaml"
    f.write_text(yaml.safe_dump({"config": {"gpufleet:fleet": fleet(group, tags=tags)}}))
    workflow = policy_config_for(fleet_tags(f.read_text()))
    assert workflow == expected
    assert plan(f).policy_config == expected
