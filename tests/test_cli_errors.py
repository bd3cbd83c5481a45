"""Every failure of the gpufleet command: one ``error:`` line on stderr and a documented exit code.

The codes are the table in gpufleet.exitcodes and README.md ("Exit codes"); each case runs the
real command through Typer's runner. The README table is checked against the enum at the end.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import gpufleet.cli as cli
from gpufleet.cli import app
from gpufleet.exitcodes import ExitCode
from helpers import ROOT, STACKS, fleet

runner = CliRunner()
STACK = "aws-train-h100-efa"


def _stack_file(tmp_path: Path, value: object) -> Path:
    f = tmp_path / "Pulumi.t.yaml"
    f.write_text(yaml.safe_dump({"config": {"gpufleet:fleet": value}}))
    return f


def _one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        # usage: typer/click's own errors, reduced to one line (no usage block, no panel)
        (["nope"], ExitCode.CONFIG, "No such command 'nope'"),
        (["catalog", "--colud", "aws"], ExitCode.CONFIG, "No such option: --colud"),
        (["catalog", "--cloud", "gcp"], ExitCode.CONFIG, "'gcp' is not one of 'aws', 'azure', 'alicloud'"),
        # --rdma is a flag; the help no longer shows a value for it (test_help_shows_no_value_for_flags)
        (["catalog", "--rdma", "true"], ExitCode.CONFIG, "unexpected extra argument"),
        (["catalog", "--count", "0"], ExitCode.CONFIG, "--count"),
        (["catalog", "--gpu", "nonsense"], ExitCode.CONFIG, "unknown GPU model 'nonsense'"),
        (["catalog", "--gpu", "H100:x"], ExitCode.CONFIG, "whole number"),
        (["catalog", "--gpu", "H100:8", "--count", "4"], ExitCode.CONFIG, "different GPU counts"),
        (["catalog", "--region", "mars-1"], ExitCode.CONFIG, "unknown region 'mars-1'"),
        (["catalog", "--cloud", "aws", "--region", "eastus"], ExitCode.CONFIG, "unknown aws region 'eastus'"),
        (["plan"], ExitCode.CONFIG, "exactly one of --stack NAME or --config FILE"),
        (["plan", "--stack", "nope"], ExitCode.CONFIG, "no stack 'nope'"),
        (["plan", "--stack", STACK, "--spot", "worst"], ExitCode.CONFIG, "'worst' is not one of 'cap', 'catalog-spot'"),
        (["plan", "--stack", STACK, "--as-of", "2026-13-01"], ExitCode.CONFIG, "'2026-13-01' does not match"),
        (["plan", "--stack", STACK, "--format", "html"], ExitCode.CONFIG, "'html' is not one of"),
        (["resolve", "--stack", "nope"], ExitCode.CONFIG, "no stack 'nope'"),
        (["validate"], ExitCode.CONFIG, "Missing argument"),
    ],
)
def test_usage_errors(args: list[str], code: ExitCode, fragment: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    assert fragment in _one_error_line(result.stderr)


def test_region_error_names_the_valid_regions() -> None:
    result = runner.invoke(app, ["catalog", "--cloud", "aws", "--region", "us-west-9"])
    line = _one_error_line(result.stderr)
    assert "Did you mean 'us-west-2' or 'us-west-1'" in line and "us-east-1" in line and "eastus" not in line


def test_invalid_config_exits_2_with_the_report(tmp_path: Path) -> None:
    f = _stack_file(tmp_path, fleet({"capcity": {"max": 2}, "capacity": None}))
    result = runner.invoke(app, ["validate", str(f)])
    assert result.exit_code == ExitCode.CONFIG
    assert result.stderr.startswith(f"error: invalid gpufleet config in {f}: ")


def test_out_into_a_missing_folder_exits_4(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "plan.md"
    result = runner.invoke(app, ["plan", "--stack", STACK, "--format", "markdown", "--out", str(target)])
    assert result.exit_code == ExitCode.IO
    line = _one_error_line(result.stderr)
    assert line == f"error: cannot write --out {target}: No such file or directory (create the folder first)"


def test_resolve_that_cannot_write_exits_4(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = _stack_file(tmp_path, fleet({"gpu": {"model": "L4", "count": 1}}))  # unpinned: resolve writes

    def refuse(self: Path, *args: object, **kwargs: object) -> int:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "write_text", refuse)
    result = runner.invoke(app, ["resolve", "--config", str(f)])
    assert result.exit_code == ExitCode.IO
    assert _one_error_line(result.stderr) == f"error: cannot write {f}: Permission denied"


def test_resolve_check_on_an_unpinned_file_exits_1(tmp_path: Path) -> None:
    f = _stack_file(tmp_path, fleet({"gpu": {"model": "L4", "count": 1}}))
    result = runner.invoke(app, ["resolve", "--config", str(f), "--check"])
    assert result.exit_code == ExitCode.POLICY
    assert "is not pinned" in result.stderr


def test_an_unexpected_exception_is_one_line_and_exit_5(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> None:
        raise RuntimeError("catalog exploded")

    monkeypatch.setattr(cli, "load_catalog", broken)
    result = runner.invoke(app, ["catalog"])
    assert result.exit_code == ExitCode.INTERNAL
    line = _one_error_line(result.stderr)
    assert line.startswith("error: internal error: RuntimeError: catalog exploded. This is a bug in gpufleet")
    # GPUFLEET_DEBUG=1 lets the traceback through
    result = runner.invoke(app, ["catalog"], env={"GPUFLEET_DEBUG": "1"})
    assert isinstance(result.exception, RuntimeError)


def test_ctrl_c_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "load_catalog", interrupted)
    result = runner.invoke(app, ["catalog"])
    assert result.exit_code == ExitCode.INTERRUPTED
    assert _one_error_line(result.stderr) == "error: interrupted"


def test_stack_accepts_a_path_to_a_stack_file() -> None:
    result = runner.invoke(app, ["resolve", "--stack", f"stacks/Pulumi.{STACK}.yaml", "--check"])
    assert result.exit_code == ExitCode.OK, result.output


@pytest.mark.parametrize(
    "pulumi_yaml",
    [
        "# gpufleet project\nname: gpufleet\nruntime: python\n",  # a leading comment
        'runtime: python\nname: "gpufleet"\n',  # quoted, and not the first key
    ],
)
def test_project_root_is_found_by_parsing_pulumi_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pulumi_yaml: str
) -> None:
    (tmp_path / "Pulumi.yaml").write_text(pulumi_yaml)
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.mine.yaml").write_text((STACKS / f"Pulumi.{STACK}.yaml").read_text())
    monkeypatch.chdir(tmp_path / "stacks")
    result = runner.invoke(app, ["plan", "--stack", "nope"])
    assert result.exit_code == ExitCode.CONFIG
    assert f"no stack 'nope' in {tmp_path / 'stacks'}. Stacks: mine" in result.stderr


def test_another_project_is_not_taken_for_gpufleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: gpufleet-infra\nruntime: python\n")  # same prefix, other project
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["plan", "--stack", "nope"])
    assert f"in {ROOT / 'stacks'}." in result.stderr


def test_no_arguments_prints_the_help() -> None:
    result = runner.invoke(app, [])
    assert result.exit_code == ExitCode.CONFIG
    assert "Usage: gpufleet" in result.stdout and "catalog" in result.stdout


def test_help_shows_no_value_for_flags() -> None:
    result = runner.invoke(app, ["catalog", "--help"], env={"COLUMNS": "160"})
    rdma = next(line for line in result.stdout.splitlines() if "--rdma" in line)
    assert "<bool>" not in rdma and "Only types with an RDMA fabric" in rdma


@pytest.mark.parametrize("command", ["catalog", "validate", "plan", "resolve", "schema"])
def test_every_command_has_an_example(command: str) -> None:
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert re.search(r"Examples?: gpufleet " + command, result.stdout), result.stdout


def test_choices_are_listed_in_help() -> None:
    plan = runner.invoke(app, ["plan", "--help"], env={"COLUMNS": "200"}).stdout
    assert "cap|catalog-spot" in plan and "table|json|markdown" in plan and "%Y-%m-%d" in plan
    assert "aws|azure|alicloud" in runner.invoke(app, ["catalog", "--help"], env={"COLUMNS": "200"}).stdout


def test_shell_completion_is_on() -> None:
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert "--install-completion" in result.stdout and "--show-completion" in result.stdout


def test_readme_exit_code_table_matches_the_enum() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = dict(re.findall(r"^\| (\d+) \| `(\w+)` \|", section, flags=re.M))
    assert {int(k): v for k, v in rows.items()} == {c.value: c.name for c in ExitCode}


def test_cli_constants_are_the_table() -> None:
    # cli.py keeps EXIT_* names for the code that already uses them; they must be the table's values.
    assert (cli.EXIT_OK, cli.EXIT_POLICY, cli.EXIT_CONFIG) == (ExitCode.OK, ExitCode.POLICY, ExitCode.CONFIG)
