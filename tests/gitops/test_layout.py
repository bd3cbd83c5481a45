"""Templates vs live stacks: the manifest decides, so a team's copy is live and never golden-tested."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gpufleet.gitops.layout import LayoutError, parse_manifest, read_layout, stack_of, template_files
from helpers import ROOT


def test_every_stack_file_in_this_repository_is_a_listed_template_with_a_readme() -> None:
    layout = read_layout(ROOT)
    assert layout.live == ()  # the repository ships templates only; teams add live stacks
    assert "aws-train-h100-efa" in layout.templates  # `make run`'s default
    for name in layout.templates:
        assert (ROOT / "stacks" / f"{name}.md").is_file(), f"template {name} has no README"


def test_a_copied_template_is_a_live_stack_and_not_planned_by_the_golden_tests(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    shutil.copy(tmp_path / "stacks/Pulumi.aws-inference-l4-spot.yaml", tmp_path / "stacks/Pulumi.my-team.yaml")
    layout = read_layout(tmp_path)
    assert layout.live == ("my-team",)
    assert not layout.is_template("my-team")
    assert tmp_path / "stacks/Pulumi.my-team.yaml" not in template_files(tmp_path)
    assert len(template_files(tmp_path)) == len(layout.templates)


def test_manifest_errors_name_the_line() -> None:
    with pytest.raises(LayoutError, match=r"templates.txt:2: 'a' is listed twice"):
        parse_manifest("a\na  # again\n")
    with pytest.raises(LayoutError, match="not a stack name"):
        parse_manifest("x/y\n")


def test_a_listed_template_without_a_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks/templates.txt").write_text("gone\n")
    with pytest.raises(LayoutError, match="no stack file: gone"):
        read_layout(tmp_path)


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("stacks/Pulumi.a-b.yaml", "a-b"),
        ("stacks/Pulumi.a.b.yaml", "a.b"),
        ("stacks/README.md", None),
        ("stacks/x/Pulumi.a.yaml", None),
        ("Pulumi.yaml", None),
    ],
)
def test_stack_of(path: str, name: str | None) -> None:
    assert stack_of(path) == name
