"""``gpufleet images prune``: the retention plan of an Azure or Alibaba image (imagebuild.prune)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from gpufleet.exitcodes import ExitCode
from gpufleet.imagebuild import prune
from gpufleet.imagebuild.prune import PrunePlan

images_app = typer.Typer(help="Baked GPU images: retention of old versions.", no_args_is_help=True)

PRUNE_EPILOG = (
    "Examples: az sig image-version list -g RG -r GALLERY -i IMAGE -o json | "
    "gpufleet images prune --stack azure-images-t4 --image t4-r580 --keep 0.24.1 | "
    "gpufleet images prune --stack alicloud-images-a10 --image a10-r580 --listing page1.json --keep m-bp1abc"
)


@images_app.command("prune", epilog=PRUNE_EPILOG)
def prune_command(
    image: Annotated[str, typer.Option(help="The image's name in the stack's images: list.")],
    stack: Annotated[str | None, typer.Option(help="Stack template name: reads stacks/Pulumi.NAME.yaml.")] = None,
    config: Annotated[Path | None, typer.Option(help="A Pulumi stack config file (instead of --stack).")] = None,
    listing: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="FILE",
            help="The cloud's listing as JSON; default stdin. Azure: 'az sig image-version list -g RG -r GALLERY "
            "-i IMAGE -o json'. Alibaba: 'aliyun ecs DescribeImages --RegionId R --ImageOwnerAlias self "
            "--ImageName PREFIX* --PageSize 100', one --listing per page.",
        ),
    ] = None,
    keep: Annotated[
        list[str] | None,
        typer.Option(
            metavar="ID",
            help="A version in use, never deleted (repeatable): Azure version name (0.24.1) or id; Alibaba image "
            "id (m-...), e.g. the scaling configuration's image.",
        ),
    ] = None,
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Judge ages at this date (00:00 UTC); default now."),
    ] = None,
    commands_only: Annotated[
        bool, typer.Option("--commands", metavar="", help="Print only the delete commands, one per line.")
    ] = False,
) -> None:
    """Plan which old versions of a baked Azure or Alibaba image to delete; print the delete commands, never run them.

    Kept: the retain newest, every --keep, any younger than retainLaunchedDays, any in use or unfinished.

    AWS images need none of this: their EC2 Image Builder lifecycle policy deletes old versions.

    Exit codes: 0 planned (also for an AWS image), 2 invalid stack, image, listing or --keep.
    """
    from gpufleet.catalog import load_catalog
    from gpufleet.cli import _fail, _stack_file, err, out
    from gpufleet.errors import ConfigError
    from gpufleet.stackconfig import read_stack_config
    from gpufleet.suggest import did_you_mean
    from gpufleet.validation import validate_fleet

    path = _stack_file(stack, config)
    try:
        spec = validate_fleet(read_stack_config(path).fleet, load_catalog(), source=str(path)).spec
    except ConfigError as e:
        err.print(f"[red]error:[/] {e.report()}", highlight=False, soft_wrap=True)
        raise typer.Exit(ExitCode.CONFIG) from None
    names = [i.name for i in spec.images]
    img = next((i for i in spec.images if i.name == image), None)
    if img is None:
        listed = ", ".join(names) or "none"
        _fail(f"--image: no image '{image}' in {path}.{did_you_mean(image, names)} Images: {listed}", ExitCode.CONFIG)
    if img.cloud == "aws":
        out.print(
            f"image '{img.name}' is on AWS: its EC2 Image Builder lifecycle policy keeps the {img.retain} newest "
            f"versions and any launched from in the last {img.retain_launched_days} days, and deletes the rest "
            "(docs/images.md, Retention). Nothing to plan.",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(ExitCode.OK)
    t = prune.target(spec, img)
    listings = [_read_listing(p) for p in listing] if listing else [_read_listing(None)]
    now = as_of.replace(tzinfo=dt.UTC) if as_of is not None else dt.datetime.now(dt.UTC)
    try:
        result = prune.plan(t, listings, keep or [], now)
    except prune.ListingError as e:
        _fail(str(e), ExitCode.CONFIG)
    except ImportError as e:  # the SDK models are the contract extra's (pyproject.toml)
        _fail(f"the listing is read through the cloud SDK's model: install gpufleet[contract] ({e})", ExitCode.CONFIG)
    if commands_only:
        sys.stdout.write("".join(c + "\n" for c in result.commands))
        raise typer.Exit(ExitCode.OK)
    sys.stdout.write(render(result, now))
    raise typer.Exit(ExitCode.OK)


def _read_listing(path: Path | None) -> tuple[str, object]:
    from gpufleet.cli import _fail

    source = "stdin" if path is None or str(path) == "-" else str(path)
    if source == "stdin":
        if sys.stdin.isatty():
            _fail("no listing: pipe the cloud's listing JSON on stdin or give --listing FILE", ExitCode.CONFIG)
        text = sys.stdin.read()
    else:
        assert path is not None
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            _fail(f"--listing {path}: cannot read it: {e.strerror}", ExitCode.CONFIG)
    if not text.strip():
        _fail(f"{source} is empty: give the cloud's listing JSON (see --help)", ExitCode.CONFIG)
    try:
        return source, json.loads(text)
    except json.JSONDecodeError as e:
        _fail(f"{source}: not JSON ({e.msg} at line {e.lineno}, column {e.colno})", ExitCode.CONFIG)


def render(result: PrunePlan, now: dt.datetime) -> str:
    """The plan as text: where, the rule, each version with its verdict and reasons, the commands."""
    t = result.target
    img = t.image
    if t.cloud == "azure":
        where = f"gallery {t.gallery}, definition {t.definition} (resource group {t.resource_group})"
    else:
        where = f"images named {t.stem}-<stack key>_* or {t.stem}_* in {result.region}"
    lines = [
        f"image {img.name} ({t.cloud}, fleet {t.fleet}): {where}",
        f"rule: keep the {img.retain} newest, every --keep, every version created in the last "
        f"{img.retain_launched_days} days (age since creation: this cloud records no launches), and what the "
        f"cloud marks in use or unfinished; judged at {now.strftime('%Y-%m-%d %H:%M')} UTC",
        "",
    ]
    width = max((len(d.version.id) for d in result.decisions), default=0)
    for d in result.decisions:
        v = d.version
        when = v.created.strftime("%Y-%m-%d") if v.created else "no date   "
        verdict = "delete" if d.delete else "keep  "
        why = "; ".join(d.reasons) if d.reasons else "older than the retained ones, not in use"
        label = f" {v.label}" if t.cloud == "alicloud" else ""
        lines.append(f"{verdict} {v.id:<{width}} {when}{label}: {why}")
    if not result.decisions:
        lines.append("(no versions listed)")
    for ident, why in result.ignored:
        lines.append(f"ignore {ident}: {why}")
    lines.append("")
    kept = sum(1 for d in result.decisions if not d.delete)
    if result.commands:
        lines.append(f"{len(result.commands)} to delete, {kept} kept. gpufleet runs nothing; the commands:")
        lines.extend(result.commands)
    else:
        lines.append(f"nothing to delete, {kept} kept.")
    return "\n".join(lines) + "\n"
