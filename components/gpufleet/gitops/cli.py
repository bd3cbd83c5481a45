"""``gpufleet diff`` and ``gpufleet gitops ...``: the commands the workflows' scripts run."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from gpufleet.gitops.changes import GitError, changed_stacks
from gpufleet.gitops.comment import DEFAULT_MAX_CHARS, render
from gpufleet.gitops.diff import compare_all, read_plans
from gpufleet.gitops.layout import LayoutError
from gpufleet.gitops.planner import plan_stacks

gitops_app = typer.Typer(help="GitOps helpers the workflows run: changed stacks, planning a checkout, matrices.")

EXIT_CONFIG = 2


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_CONFIG)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise _fail(f"{path}: {e}") from None
    if not isinstance(data, dict):
        raise _fail(f"{path}: expected a JSON object")
    return data


def diff_command(
    base: Annotated[
        Path, typer.Argument(help="Base plan: a `gpufleet plan --format json` file or a directory of them.")
    ],
    head: Annotated[Path, typer.Argument(help="Head plan: a file or a directory of `<stack>.json`, like BASE.")],
    changes: Annotated[
        Path | None, typer.Option(help="`gpufleet gitops changed` JSON: compare only its stacks and show why.")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the comment here instead of stdout.")] = None,
    full: Annotated[Path | None, typer.Option(help="Also write the full report (every detail, no size cap).")] = None,
    report_url: Annotated[str | None, typer.Option(help="Where the full report is; the comment links it.")] = None,
    max_chars: Annotated[int, typer.Option(help="Size cap of the comment (GitHub allows 65,536).")] = DEFAULT_MAX_CHARS,
) -> None:
    """Compare plans at two commits: resources, monthly cost (min/desired/max) and policy violations.

    Exit codes: 0 every head plan passes; else the plan's code of the first failure by
    severity: 2 invalid config, 3 contract finding, 1 mandatory violation or not pinned.
    """
    if not head.exists():
        raise _fail(f"{head}: no such file or directory")
    diffs = compare_all(read_plans(base), read_plans(head), _read_json(changes) if changes else None)
    text = render(diffs, report_url=report_url, max_chars=max_chars)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out} ({len(text):,} characters)", err=True)
    if full is not None:
        full.write_text(render(diffs, report_url=None, max_chars=None), encoding="utf-8")
        typer.echo(f"wrote {full}", err=True)
    codes = {d.failure for d in diffs}
    raise typer.Exit(next((c for c in (2, 3, 1) if c in codes), max(codes, default=0)))


@gitops_app.command("changed")
def changed_command(
    base: Annotated[str | None, typer.Option(help="Base commit; omit (or all zeros) for every stack.")] = None,
    head: Annotated[str, typer.Option(help="Head commit.")] = "HEAD",
    merge_base: Annotated[
        bool, typer.Option("--merge-base", help="Diff from the merge base of BASE and HEAD (a pull request).")
    ] = False,
    repo: Annotated[Path, typer.Option(help="The git repository.")] = Path("."),
    out: Annotated[Path | None, typer.Option("--out", help="Write the JSON here instead of stdout.")] = None,
) -> None:
    """List the stacks a change touches (templates and live stacks), with reasons and policy configs."""
    try:
        cs = changed_stacks(repo, base, head, merge_base=merge_base)
    except (GitError, LayoutError) as e:
        raise _fail(str(e)) from None
    text = json.dumps(cs.to_json(), indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
    for s in cs.stacks:
        typer.echo(f"{s.kind:8} {s.name}: {'; '.join(s.reasons)}", err=True)
    for name in cs.removed:
        typer.echo(f"removed  {name}", err=True)


@gitops_app.command("plan")
def plan_command(
    changes: Annotated[Path, typer.Option(help="`gpufleet gitops changed` JSON.")],
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Directory for `<stack>.json` plans.")],
    checkout: Annotated[Path, typer.Option(help="The checkout to plan (its own code and stack files).")] = Path("."),
    side: Annotated[
        str, typer.Option(help="'head': changed stacks, pins checked; 'base': also removed ones.")
    ] = "head",
    as_of: Annotated[str | None, typer.Option(help="Passed to gpufleet plan --as-of.")] = None,
) -> None:
    """Plan each listed stack that exists in CHECKOUT; a failing stack gets a JSON file with its error."""
    if side not in ("head", "base"):
        raise _fail(f"--side '{side}' is not one of head, base")
    data = _read_json(changes)
    names = [s["name"] for s in data.get("stacks", [])] + (list(data.get("removed", [])) if side == "base" else [])
    done = plan_stacks(checkout, names, out_dir, as_of=as_of, pins=side == "head")
    for name, plan in done.items():
        typer.echo(f"{side}: {name}: exit {plan.get('exitCode', 0)}{' (error)' if 'error' in plan else ''}", err=True)


@gitops_app.command("matrix")
def matrix_command(
    changes: Annotated[Path, typer.Option(help="`gpufleet gitops changed` JSON.")],
    plans: Annotated[Path, typer.Option(help="The head plans directory (`gpufleet gitops plan --out-dir`).")],
) -> None:
    """Print the live stacks to preview or deploy as a GitHub Actions matrix (JSON list).

    A live stack whose offline plan has an error or a contract finding is left out (the
    offline job fails for it); a policy violation is not, so the preview shows it too.
    """
    heads = read_plans(plans)
    rows = []
    for s in _read_json(changes).get("stacks", []):
        plan = heads.get(s["name"])
        if s["kind"] != "live" or plan is None or "error" in plan or plan.get("exitCode") in (2, 3):
            continue
        prod = s["policyConfig"].endswith("/prod.json")
        rows.append(
            {
                "stack": s["name"],
                "clouds": " ".join(s["clouds"]),
                "policyConfig": s["policyConfig"],
                "environment": "production" if prod else "development",
            }
        )
    sys.stdout.write(json.dumps(rows) + "\n")
