"""Both workflows' shell steps, run against a fixture repository with a base and a head commit.

The head adds a team stack, changes a template (desired capacity 0 -> 2) and adds an invalid
stack. The pull-request job must plan exactly those three, write the comment with the cost
difference, select only the valid live stack for `pulumi preview`, and fail only in its last
step. The deploy workflow must select the same live stack, never the template or the broken one.
The steps run the repository's own scripts (.github/scripts/), as the workflows do.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from gitops.gha_runner import Job, base_env, run_job

from helpers import ROOT

TEMPLATE = "aws-inference-l4-spot"
WORKFLOWS = ROOT / ".github" / "workflows"
SECRETS = ("PULUMI_ACCESS_TOKEN", "AWS_ACCESS_KEY_ID", "ARM_CLIENT_ID", "ALICLOUD_ACCESS_KEY")


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def fixture_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    repo = tmp_path_factory.mktemp("repo")
    for name in ("Pulumi.yaml", "__main__.py", "policies", ".github", "scripts"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, repo / name)
    (repo / "stacks").mkdir()
    shutil.copy(ROOT / "stacks" / f"Pulumi.{TEMPLATE}.yaml", repo / "stacks")
    (repo / "stacks" / "templates.txt").write_text(f"{TEMPLATE}\n")
    (repo / ".gitignore").write_text(".venv/\ngitops-out/\n.gh-*\n")
    # The install step's result: .venv/bin/gpufleet from the environment under test.
    (repo / ".venv" / "bin").mkdir(parents=True)
    (repo / ".venv" / "bin" / "gpufleet").symlink_to(Path(sys.executable).parent / "gpufleet")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "ci@example.com")
    _git(repo, "config", "user.name", "ci")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "base")
    base = _git(repo, "rev-parse", "HEAD")

    template = repo / "stacks" / f"Pulumi.{TEMPLATE}.yaml"
    text = template.read_text()
    assert "capacity: {min: 0, desired: 0, max: 8}" in text
    template.write_text(text.replace("desired: 0, max: 8", "desired: 2, max: 8"))
    team = text.replace("name: infer-l4\n", "name: team-b\n").replace("10.41.0.0/16", "10.42.0.0/16")
    (repo / "stacks" / "Pulumi.team-b.yaml").write_text(team)  # README's `cp`, then an edit
    (repo / "stacks" / "Pulumi.broken.yaml").write_text(team.replace("capacity:", "capcity:"))
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "head: team stack, template change, invalid stack")
    return repo, base, _git(repo, "rev-parse", "HEAD")


def _job(repo: Path, context: dict[str, Any], secrets: dict[str, str] | None = None) -> Job:
    context = {"secrets": dict(secrets or {}), **context}
    return Job(context=context, cwd=repo, env=base_env())


def _install_step_is_the_one_we_emulate(doc: dict[str, Any], job: str) -> None:
    runs = [s["run"] for s in doc["jobs"][job]["steps"] if "run" in s]
    assert ".github/scripts/install.sh" in runs
    install = (ROOT / ".github" / "scripts" / "install.sh").read_text()
    # With the contract models (the fixture symlinks .venv/bin/gpufleet from a venv that has them).
    assert 'pip install --quiet -e ".[contract]"' in install


@pytest.fixture(scope="module")
def pr_run(fixture_repo: tuple[Path, str, str]) -> Job:
    repo, base, head = fixture_repo
    doc = yaml.safe_load((WORKFLOWS / "pr.yml").read_text())
    _install_step_is_the_one_we_emulate(doc, "offline-plan")
    # Emulated: checkout (the fixture is at head) and the install (a symlink).
    (repo / ".github" / "scripts" / "install.sh").write_text("#!/bin/sh\n")
    context = {
        "github": {
            "event": {"pull_request": {"base": {"sha": base}, "head": {"sha": head}, "number": 7}},
            "server_url": "https://github.com",
            "repository": "acme/fleet",
            "run_id": "42",
        }
    }
    job = run_job(doc, "offline-plan", _job(repo, context))
    _git(repo, "checkout", "-q", "--", ".github/scripts/install.sh")
    return job


def test_pr_plans_the_changed_stacks_and_only_those(pr_run: Job, fixture_repo: tuple[Path, str, str]) -> None:
    repo, _, _ = fixture_repo
    changes = json.loads((repo / "gitops-out" / "changes.json").read_text())
    assert [(s["name"], s["kind"]) for s in changes["stacks"]] == [
        ("aws-inference-l4-spot", "template"),
        ("broken", "live"),
        ("team-b", "live"),
    ]
    assert sorted(p.stem for p in (repo / "gitops-out" / "head").glob("*.json")) == [TEMPLATE, "broken", "team-b"]
    assert sorted(p.stem for p in (repo / "gitops-out" / "base").glob("*.json")) == [TEMPLATE]  # the others are new
    broken = json.loads((repo / "gitops-out" / "head" / "broken.json").read_text())
    assert broken["exitCode"] == 2 and "capcity" in broken["error"]


def test_pr_comment_has_the_cost_difference_and_fits(pr_run: Job, fixture_repo: tuple[Path, str, str]) -> None:
    repo, _, _ = fixture_repo
    sticky = [r for r in pr_run.results if r.uses.startswith("marocchino/sticky-pull-request-comment@")]
    assert len(sticky) == 1 and not sticky[0].skipped
    assert sticky[0].with_["path"] == "gitops-out/comment.md" and sticky[0].with_["header"] == "gpufleet-plan"
    comment = (repo / sticky[0].with_["path"]).read_text()
    assert len(comment) < 65_536
    # Independent of the cost code: 2 more spot nodes at the stack file's own spot cap, 730 h/month.
    # AWS applies one SpotMaxPrice, the highest pinned cap, to every type of the group.
    text = (ROOT / "stacks" / f"Pulumi.{TEMPLATE}.yaml").read_text()
    caps = {t: float(v) for t, v in re.findall(r"(g6\.\w+): ([0-9.]+)", text)}
    top, cap = max(caps.items(), key=lambda kv: kv[1])
    head_plan = json.loads((repo / "gitops-out" / "head" / f"{TEMPLATE}.json").read_text())
    assert head_plan["groups"][0]["pricedOn"] == top
    row = next(line for line in comment.splitlines() if line.startswith(f"| `{TEMPLATE}`"))
    desired = row.split(" | ")[5]  # stack, kind, status, resources, min, desired, max
    m = re.fullmatch(r"\$0 → \$([\d,]+) \(\+\$([\d,]+)\)", desired)
    assert m and m[1] == m[2], desired
    # Within $1: cost.py rounds the hourly cost to 4 decimals before x730 (822.49, not 822.51).
    assert abs(int(m[2].replace(",", "")) - 2 * cap * 730) <= 1.0, (desired, 2 * cap * 730)
    assert "will **increase by" in comment and "Unknown for `broken`" in comment
    assert "❌ cannot be planned (exit 2)" in comment and "capcity" in comment
    assert "Full report: https://github.com/acme/fleet/actions/runs/42" in comment
    summary = (repo / ".gh-summary-offline-plan").read_text()
    assert "capcity" in summary and "team-b" in summary


def test_pr_job_fails_only_in_its_last_step(pr_run: Job) -> None:
    ran = [r for r in pr_run.results if not r.skipped and not r.uses]
    assert [r.returncode for r in ran[:-1]] == [0] * (len(ran) - 1), [(r.name, r.stderr[-2000:]) for r in ran]
    assert ran[-1].name.startswith("Fail if a stack failed") and ran[-1].returncode == 1
    assert "invalid stack" in ran[-1].stdout
    upload = [r for r in pr_run.results if r.uses.startswith("actions/upload-artifact@")]
    assert upload and not upload[0].skipped and upload[0].with_["path"] == "gitops-out/"


@pytest.mark.parametrize("with_credentials", [False, True])
def test_preview_selects_the_valid_live_stack(
    pr_run: Job, fixture_repo: tuple[Path, str, str], with_credentials: bool
) -> None:
    repo, _, head = fixture_repo
    doc = yaml.safe_load((WORKFLOWS / "pr.yml").read_text())
    live = json.loads(pr_run.outputs["live"])
    assert [row["stack"] for row in live] == ["team-b"]  # not the template, not the broken stack
    needs = {"offline-plan": {"outputs": pr_run.outputs}}
    job_spec = doc["jobs"]["preview"]
    gate = Job(context={"needs": needs}, cwd=repo, env={}).evaluate(job_spec["if"][3:-2])
    assert gate is True
    # Everything but the checks must be skipped without credentials; with them the pack's venv
    # script and pulumi/actions run (recorded here: the venv script is tested on its own).
    secrets = dict.fromkeys(SECRETS, "x") if with_credentials else {}
    steps = [s for s in job_spec["steps"] if s.get("run") != "scripts/policy-venv.sh"]
    doc_one = {"jobs": {"preview": {**job_spec, "steps": steps}}}
    (repo / ".github" / "scripts" / "install.sh").write_text("#!/bin/sh\n")
    try:
        context = {"matrix": live[0], "needs": needs, "github": {"event": {"pull_request": {"head": {"sha": head}}}}}
        job = run_job(doc_one, "preview", _job(repo, context, secrets))
    finally:
        _git(repo, "checkout", "-q", "--", ".github/scripts/install.sh")
    pulumi = [r for r in job.results if r.uses.startswith("pulumi/actions@")]
    assert not job.failed
    if not with_credentials:
        assert pulumi[0].skipped
        return
    w = pulumi[0].with_
    assert (w["command"], w["stack-name"], w["upsert"], w["policyPackConfigs"]) == (
        "preview",
        "team-b",
        "True",
        "policies/dev.json",
    )


def test_deploy_selects_the_changed_live_stacks_of_every_commit(fixture_repo: tuple[Path, str, str]) -> None:
    repo, base, head = fixture_repo
    doc = yaml.safe_load((WORKFLOWS / "deploy.yml").read_text())
    _install_step_is_the_one_we_emulate(doc, "changed")
    (repo / ".github" / "scripts" / "install.sh").write_text("#!/bin/sh\n")
    try:
        context = {"github": {"event": {"before": base}, "sha": head}}
        job = run_job(doc, "changed", _job(repo, context))
        assert not job.failed, [(r.name, r.stderr[-2000:]) for r in job.results]
        rows = json.loads(job.outputs["live"])
        assert [(r["stack"], r["environment"], r["policyConfig"]) for r in rows] == [
            ("team-b", "development", "policies/dev.json")
        ]
        up = doc["jobs"]["up"]
        gate = [s for s in up["steps"] if s.get("run") == ".github/scripts/deploy-gate.sh"]
        assert gate, "deploy runs the offline gate before pulumi up"
        one = {"jobs": {"up": {**up, "steps": [s for s in up["steps"] if s.get("run") != "scripts/policy-venv.sh"]}}}
        upjob = run_job(one, "up", _job(repo, {"matrix": rows[0]}, dict.fromkeys(SECRETS, "x")))
    finally:
        _git(repo, "checkout", "-q", "--", ".github/scripts/install.sh")
    assert not upjob.failed, [(r.name, r.stdout[-1000:], r.stderr[-2000:]) for r in upjob.results]
    pulumi = next(r for r in upjob.results if r.uses.startswith("pulumi/actions@"))
    assert (pulumi.with_["command"], pulumi.with_["stack-name"], pulumi.with_["upsert"]) == ("up", "team-b", "True")
