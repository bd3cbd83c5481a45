"""A small runner for the workflows' jobs: runs each `run:` step with bash like GitHub does
(`bash -e {0}`, env from the step, GITHUB_OUTPUT/GITHUB_STEP_SUMMARY files), evaluates the
`${{ }}` expressions and `if:` conditions the workflows use, and records `uses:` steps
instead of running them (checkout, setup-python, upload-artifact, the sticky comment and
pulumi/actions need GitHub or a cloud). An unknown expression is an error, so a workflow
change the runner does not understand fails the test instead of being skipped silently.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_REF = re.compile(r"\b(github|steps|needs|matrix|secrets|env)(\.[\w-]+)+")


@dataclass
class StepResult:
    name: str
    skipped: bool = False
    returncode: int = 0
    stdout: str = ""
    stderr: str = ""
    uses: str = ""
    with_: dict[str, str] = field(default_factory=dict)


@dataclass
class Job:
    """One job run: its context, its step results and its outputs."""

    context: dict[str, Any]
    cwd: Path
    env: dict[str, str]
    results: list[StepResult] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)
    failed: bool = False

    def lookup(self, ref: str) -> Any:
        value: Any = self.context
        for part in ref.split("."):
            if not isinstance(value, dict) or part not in value:
                if ref.startswith(("secrets.", "steps.")):
                    return ""  # GitHub gives '' for an unset secret or a step output never written
                raise KeyError(f"unknown expression {ref!r}")
            value = value[part]
        return value

    def evaluate(self, expr: str) -> Any:
        """The subset of GitHub's expression language the workflows use."""
        py = expr.replace("&&", " and ").replace("||", " or ")
        py = re.sub(r"!(?!=)", " not ", py)
        py = py.replace("always()", "True").replace("cancelled()", "False").replace("failure()", repr(self.failed))
        py = re.sub(r"hashFiles\('([^']*)'\)", lambda m: repr("h" if (self.cwd / m[1]).exists() else ""), py)
        py = re.sub(r"fromJSON\((.*)\)", r"__json(\1)", py)
        py = _REF.sub(lambda m: f"__v({m[0]!r})", py)
        return eval(py, {"__v": self.lookup, "__json": json.loads, "True": True, "False": False})

    def render(self, value: Any) -> str:
        text = str(value)
        whole = _EXPR.fullmatch(text)
        if whole and text.count("${{") == 1:
            result = self.evaluate(whole[1])
            return (
                result
                if isinstance(result, str)
                else json.dumps(result)
                if not isinstance(result, bool)
                else str(result)
            )
        return _EXPR.sub(lambda m: str(self.evaluate(m[1])), text)


def run_job(doc: dict[str, Any], job_name: str, job: Job) -> Job:
    spec = doc["jobs"][job_name]
    job.context.setdefault("steps", {})
    out_file = job.cwd / f".gh-output-{job_name}"
    summary = job.cwd / f".gh-summary-{job_name}"
    summary.touch()
    for step in spec["steps"]:
        name = step.get("name") or step.get("uses") or step.get("run", "")
        condition = step.get("if")
        if condition is not None:
            expr = _EXPR.fullmatch(str(condition))
            ok = job.evaluate(expr[1] if expr else str(condition))
        else:
            ok = not job.failed
        if not ok:
            job.results.append(StepResult(name, skipped=True, uses=step.get("uses", "")))
            continue
        if "uses" in step:
            with_ = {k: job.render(v) for k, v in (step.get("with") or {}).items()}
            job.results.append(StepResult(name, uses=step["uses"], with_=with_))
            continue
        out_file.write_text("")
        env = {
            **job.env,
            **{k: job.render(v) for k, v in (spec.get("env") or {}).items()},
            **{k: job.render(v) for k, v in (step.get("env") or {}).items()},
            "GITHUB_OUTPUT": str(out_file),
            "GITHUB_STEP_SUMMARY": str(summary),
        }
        script = job.render(step["run"])
        proc = subprocess.run(["bash", "-e", "-c", script], cwd=job.cwd, env=env, capture_output=True, text=True)
        outputs = dict(line.split("=", 1) for line in out_file.read_text().splitlines() if "=" in line)
        if "id" in step:
            job.context["steps"][step["id"]] = {"outputs": outputs}
        job.results.append(StepResult(name, returncode=proc.returncode, stdout=proc.stdout, stderr=proc.stderr))
        if proc.returncode != 0:
            job.failed = True
    job.outputs = {k: job.render(v) for k, v in (spec.get("outputs") or {}).items()}
    return job


def base_env() -> dict[str, str]:
    """The process env without what would leak the test's own GitHub context."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
