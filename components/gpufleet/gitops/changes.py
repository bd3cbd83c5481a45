"""Which stacks a change touches, from ``git diff`` between two commits.

- A stack file added or modified: that stack.
- A stack file deleted: reported as removed (the workflows never destroy a stack).
- ``policies/<name>.json`` changed: the stacks that get that config (the policy-config rule).
- Anything else the program or the pack runs (``components/``, ``__main__.py``, ``Pulumi.yaml``,
  ``pyproject.toml``, ``requirements.txt``, other ``policies/`` files): every stack.
- ``stacks/templates.txt``: the stacks that became a template or a live stack.
- Docs, tests, benchmarks, workflows: nothing.
"""

from __future__ import annotations

import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from gpufleet.gitops.layout import MANIFEST, STACK_DIR, parse_manifest, stack_of, stack_path
from gpufleet.gitops.policyconfig import POLICY_DIR, fleet_clouds, fleet_tags, policy_config_for

SHARED = ("components/", "__main__.py", "Pulumi.yaml", "pyproject.toml", "requirements.txt", f"{POLICY_DIR}/")
"""Paths whose change can change every stack's plan or preview."""

Kind = Literal["template", "live"]


class GitError(RuntimeError):
    """A git command failed (unknown commit, not a repository)."""


def git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise GitError(f"git {' '.join(args)}: {proc.stderr.strip()}")
    return proc.stdout


@dataclass(frozen=True)
class StackChange:
    """One stack the change touches, as it is at the head commit."""

    name: str
    """Stack name (``stacks/Pulumi.<name>.yaml``)."""
    kind: Kind
    """``template`` (planned only) or ``live`` (planned, previewed, deployed)."""
    reasons: tuple[str, ...]
    """Why it is included, e.g. ``stacks/Pulumi.x.yaml modified``."""
    policy_config: str
    """The policy config the rule gives it at the head commit."""
    clouds: tuple[str, ...]
    """The clouds its groups name (empty when the file cannot be read)."""
    new: bool
    """The stack file does not exist at the base commit."""


@dataclass(frozen=True)
class ChangeSet:
    base: str
    head: str
    stacks: tuple[StackChange, ...]
    """Stacks to plan at the head commit, sorted by name."""
    removed: tuple[str, ...]
    """Stack files the change deletes."""

    @property
    def live(self) -> tuple[StackChange, ...]:
        """The live stacks: what ``pulumi preview`` and ``pulumi up`` run on."""
        return tuple(s for s in self.stacks if s.kind == "live")

    def to_json(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "head": self.head,
            "stacks": [
                {**asdict(s), "reasons": list(s.reasons), "clouds": list(s.clouds), "policyConfig": s.policy_config}
                for s in self.stacks
            ],
            "removed": list(self.removed),
        }


def _templates_at(repo: Path, ref: str) -> tuple[str, ...]:
    try:
        return parse_manifest(git(repo, "show", f"{ref}:{STACK_DIR}/{MANIFEST}"))
    except GitError:
        return ()


def _stacks_at(repo: Path, ref: str) -> tuple[str, ...]:
    names = git(repo, "ls-tree", "--name-only", f"{ref}:{STACK_DIR}").split("\n") if _has_dir(repo, ref) else []
    return tuple(sorted(n for f in names if (n := stack_of(f"{STACK_DIR}/{f}"))))


def _has_dir(repo: Path, ref: str) -> bool:
    return bool(git(repo, "ls-tree", ref, "--", STACK_DIR).strip())


EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
"""Git's empty tree: the base when there is none (a new branch's first push: every stack)."""


def changed_stacks(repo: Path, base: str | None, head: str, *, merge_base: bool = False) -> ChangeSet:
    """The stacks the commits from ``base`` to ``head`` touch.

    ``merge_base=True`` compares ``head`` with its merge base with ``base`` (what a pull
    request changes, ``git diff base...head``); otherwise the two commits themselves (a push).
    ``base=None`` (or GitHub's all-zero ``before`` of a new branch) compares with nothing.
    """
    head_sha = git(repo, "rev-parse", "--verify", f"{head}^{{commit}}").strip()
    if base is None or set(base) == {"0"}:
        base_sha = EMPTY_TREE
    else:
        base_sha = git(repo, "rev-parse", "--verify", f"{base}^{{commit}}").strip()
        if merge_base:
            base_sha = git(repo, "merge-base", base_sha, head_sha).strip()
    diff = git(repo, "diff", "--name-status", "--no-renames", "-z", base_sha, head_sha)
    fields = diff.split("\0")
    changes = [(fields[i], fields[i + 1]) for i in range(0, len(fields) - 1, 2)]

    head_stacks = _stacks_at(repo, head_sha)
    base_stacks = set(_stacks_at(repo, base_sha))
    head_templates = set(_templates_at(repo, head_sha))
    base_templates = set(_templates_at(repo, base_sha))
    texts = {n: git(repo, "show", f"{head_sha}:{stack_path(n)}") for n in head_stacks}
    configs = {n: policy_config_for(fleet_tags(t)) for n, t in texts.items()}

    reasons: dict[str, list[str]] = {}
    removed: list[str] = []

    def touch(names: list[str] | tuple[str, ...], why: str) -> None:
        for n in names:
            reasons.setdefault(n, []).append(why)

    words = {"A": "added", "M": "modified", "D": "deleted", "T": "type changed"}
    for status, path in changes:
        what = f"{path} {words.get(status[:1], status)}"
        name = stack_of(path)
        if name is not None:
            if status.startswith("D"):
                removed.append(name)
            else:
                touch([name], what)
        elif path == f"{STACK_DIR}/{MANIFEST}":
            flipped = [n for n in head_stacks if (n in head_templates) != (n in base_templates)]
            touch(flipped, f"{what} (now a {{kind}})")
        elif path.startswith(f"{POLICY_DIR}/") and path.endswith(".json") and path.count("/") == 1:
            touch([n for n in head_stacks if configs[n] == path], what)
        elif any(path == s or (s.endswith("/") and path.startswith(s)) for s in SHARED):
            touch(list(head_stacks), what)

    stacks = []
    for name in sorted(reasons):
        kind: Kind = "template" if name in head_templates else "live"
        why = tuple(dict.fromkeys(r.replace("{kind}", kind) for r in reasons[name]))
        stacks.append(
            StackChange(
                name=name,
                kind=kind,
                reasons=why,
                policy_config=configs[name],
                clouds=fleet_clouds(texts[name]),
                new=name not in base_stacks,
            )
        )
    return ChangeSet(base=base_sha, head=head_sha, stacks=tuple(stacks), removed=tuple(sorted(removed)))
