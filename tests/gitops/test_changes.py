"""Which stacks a change touches, against a fixture git history (real git, real commits)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gpufleet.gitops.changes import GitError, changed_stacks
from gpufleet.gitops.policyconfig import fleet_tags, policy_config_for


def _stack(env: str, cloud: str = "aws", group_env: str | None = None) -> str:
    group_tags = f"\n        tags: {{env: {group_env}}}" if group_env else ""
    return (
        "config:\n  gpufleet:fleet:\n    name: f\n"
        f"    tags: {{owner: ml, env: {env}}}\n"
        f"    groups:\n      - name: g\n        cloud: {cloud}{group_tags}\n"
    )


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.email", "t@example.com")
        self.git("config", "user.name", "t")

    def git(self, *args: str) -> str:
        return subprocess.run(["git", "-C", str(self.root), *args], check=True, capture_output=True, text=True).stdout

    def write(self, path: str, text: str) -> None:
        f = self.root / path
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(text)

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD").strip()


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Repo, str]:
    r = Repo(tmp_path)
    r.write("stacks/templates.txt", "# templates\nt-prod\nt-dev\n")
    r.write("stacks/Pulumi.t-prod.yaml", _stack("prod"))
    r.write("stacks/Pulumi.t-dev.yaml", _stack("dev", "azure"))
    r.write("stacks/Pulumi.team-a.yaml", _stack("dev"))
    r.write("stacks/Pulumi.team-p.yaml", _stack("prod", "alicloud"))
    r.write("stacks/README.md", "templates\n")
    r.write("policies/dev.json", "{}\n")
    r.write("policies/prod.json", "{}\n")
    r.write("policies/__main__.py", "\n")
    r.write("components/gpufleet/x.py", "x = 1\n")
    r.write("README.md", "docs\n")
    return r, r.commit("base")


def _names(cs: object) -> list[str]:
    return [s.name for s in cs.stacks]  # type: ignore[attr-defined]


def test_team_stack_added_template_changed_docs_ignored(repo: tuple[Repo, str]) -> None:
    r, base = repo
    r.write("stacks/Pulumi.team-b.yaml", _stack("dev", "aws"))
    r.write("stacks/Pulumi.t-dev.yaml", _stack("dev", "azure") + "# bigger\n")
    r.write("README.md", "more docs\n")
    r.write("stacks/README.md", "more\n")
    cs = changed_stacks(r.root, base, r.commit("head"))
    assert _names(cs) == ["t-dev", "team-b"]
    by = {s.name: s for s in cs.stacks}
    assert by["team-b"].kind == "live" and by["team-b"].new and by["team-b"].clouds == ("aws",)
    assert by["t-dev"].kind == "template" and not by["t-dev"].new
    assert by["t-dev"].reasons == ("stacks/Pulumi.t-dev.yaml modified",)
    assert [s.name for s in cs.live] == ["team-b"]
    assert cs.removed == ()


def test_deleted_stack_is_removed_not_planned(repo: tuple[Repo, str]) -> None:
    r, base = repo
    r.git("rm", "-q", "stacks/Pulumi.team-a.yaml")
    cs = changed_stacks(r.root, base, r.commit("drop team-a"))
    assert cs.stacks == () and cs.removed == ("team-a",)


def test_a_policy_config_change_touches_the_stacks_that_get_it(repo: tuple[Repo, str]) -> None:
    r, base = repo
    r.write("policies/prod.json", '{"all": "mandatory"}\n')
    cs = changed_stacks(r.root, base, r.commit("stricter prod"))
    assert _names(cs) == ["t-prod", "team-p"]
    assert {s.policy_config for s in cs.stacks} == {"policies/prod.json"}


def test_shared_code_touches_every_stack(repo: tuple[Repo, str]) -> None:
    r, base = repo
    r.write("components/gpufleet/x.py", "x = 2\n")
    cs = changed_stacks(r.root, base, r.commit("code"))
    assert _names(cs) == ["t-dev", "t-prod", "team-a", "team-p"]
    assert all(s.reasons == ("components/gpufleet/x.py modified",) for s in cs.stacks)


def test_pack_code_touches_every_stack(repo: tuple[Repo, str]) -> None:
    r, base = repo
    r.write("policies/__main__.py", "# changed\n")
    assert len(changed_stacks(r.root, base, r.commit("pack")).stacks) == 4


def test_manifest_change_touches_the_stacks_that_changed_kind(repo: tuple[Repo, str]) -> None:
    r, base = repo
    r.write("stacks/templates.txt", "t-prod\nt-dev\nteam-a\n")
    cs = changed_stacks(r.root, base, r.commit("team-a becomes a template"))
    assert _names(cs) == ["team-a"]
    assert cs.stacks[0].kind == "template"
    assert cs.stacks[0].reasons == ("stacks/templates.txt modified (now a template)",)


def test_pull_request_diff_is_from_the_merge_base(repo: tuple[Repo, str]) -> None:
    r, _ = repo
    r.git("checkout", "-q", "-b", "feature")
    r.write("stacks/Pulumi.team-b.yaml", _stack("dev"))
    head = r.commit("feature")
    r.git("checkout", "-q", "main")
    r.write("stacks/Pulumi.team-a.yaml", _stack("dev") + "# main moved on\n")
    main_tip = r.commit("main moves")
    assert _names(changed_stacks(r.root, main_tip, head, merge_base=True)) == ["team-b"]
    # Two-dot would also show main's own change (reverted from the feature's view).
    assert _names(changed_stacks(r.root, main_tip, head)) == ["team-a", "team-b"]


def test_multi_commit_push_and_new_branch(repo: tuple[Repo, str]) -> None:
    r, base = repo
    r.write("stacks/Pulumi.team-a.yaml", _stack("dev") + "# 1\n")
    r.commit("one")
    r.write("stacks/Pulumi.team-p.yaml", _stack("prod", "alicloud") + "# 2\n")
    head = r.commit("two")
    assert _names(changed_stacks(r.root, base, head)) == ["team-a", "team-p"]  # not only HEAD~1
    assert len(changed_stacks(r.root, "0" * 40, head).stacks) == 4  # GitHub's `before` of a new branch


def test_unknown_commit_is_a_clear_error(repo: tuple[Repo, str]) -> None:
    r, base = repo
    with pytest.raises(GitError, match="rev-parse"):
        changed_stacks(r.root, base, "no-such-ref")


def test_policy_config_rule_reads_fleet_tags_only() -> None:
    assert policy_config_for(fleet_tags(_stack("prod"))) == "policies/prod.json"
    assert policy_config_for(fleet_tags(_stack("dev", group_env="prod"))) == "policies/dev.json"
    assert policy_config_for(fleet_tags("config: [")) == "policies/dev.json"  # unreadable: plan reports it
    assert policy_config_for(None) == "policies/dev.json"
