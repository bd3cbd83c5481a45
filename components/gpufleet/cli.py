"""The ``gpufleet`` command line."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from gpufleet import __version__
from gpufleet.catalog import CLOUDS, Catalog, GpuNameError, InstanceType, load_catalog
from gpufleet.errors import ConfigError
from gpufleet.pricing import spot_caps
from gpufleet.pricing.price import cheapest_quote, usd_rate
from gpufleet.resolve import resolve_group
from gpufleet.stackconfig import read_stack_config
from gpufleet.validation import validate_fleet

app = typer.Typer(
    name="gpufleet",
    help="Multi-cloud GPU fleets as code: plan, validate and pin stack configs offline; browse the GPU catalog.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _console(stderr: bool = False) -> Console:
    # Piped output (CI logs, files) gets a wide fixed width instead of rich's 80 columns.
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or os.environ.get("COLUMNS") else 160
    return Console(stderr=stderr, width=width)


out = _console()
err = _console(stderr=True)

EXIT_OK = 0
EXIT_POLICY = 1
EXIT_CONFIG = 2


def _version(value: bool) -> None:
    if value:
        out.print(f"gpufleet {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """gpufleet: GPU instance groups, spot fleets, RDMA and driver bootstrap on AWS, Azure and Alibaba Cloud."""


def _count(c: Fraction) -> str:
    return str(c) if c.denominator != 1 else str(c.numerator)


def _cheapest(cat: Catalog, it: InstanceType, region: str | None) -> dict[str, Any] | None:
    return cheapest_quote(cat, it.cloud, it.name, region)


@app.command()
def catalog(
    cloud: Annotated[str | None, typer.Option(help=f"Only this cloud: {', '.join(CLOUDS)}.")] = None,
    gpu: Annotated[str | None, typer.Option(help="GPU model or alias, e.g. H100-80GB, l4, a10g.")] = None,
    count: Annotated[int | None, typer.Option(help="Exactly this many GPUs per node.")] = None,
    min_memory: Annotated[float | None, typer.Option(help="At least this much GPU memory per node (GiB).")] = None,
    rdma: Annotated[
        bool, typer.Option("--rdma", help="Only types with an RDMA fabric (EFA, InfiniBand, eRDMA).")
    ] = False,
    region: Annotated[str | None, typer.Option(help="Only types with a catalog price in this region.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List GPU instance types from the bundled catalog, with their cheapest on-demand price."""
    cat = load_catalog()
    if cloud is not None and cloud not in CLOUDS:
        err.print(f"[red]error:[/] --cloud '{cloud}' is not one of {', '.join(CLOUDS)}")
        raise typer.Exit(EXIT_CONFIG)
    try:
        rows = cat.find(
            cloud=cloud,
            gpu_model=gpu,
            gpu_count=count,
            min_gpu_memory_gib=min_memory,
            rdma=True if rdma else None,
            region=region,
        )
    except GpuNameError as e:
        err.print(f"[red]error:[/] --gpu: {e}")
        raise typer.Exit(EXIT_CONFIG) from None
    data: list[dict[str, Any]] = []
    for it in rows:
        data.append(
            {
                "cloud": it.cloud,
                "instanceType": it.name,
                "gpuModel": it.gpu_model,
                "gpuCount": _count(it.gpu_count),
                "gpuMemoryGib": it.gpu_memory_gib,
                "vcpus": it.vcpus,
                "memoryGib": it.memory_gib,
                "interconnect": it.interconnect,
                "rdma": it.rdma if it.rdma != "efa" else f"efa:{it.efa_interfaces}",
                "price": _cheapest(cat, it, region),
            }
        )
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    where = region or "cheapest region"
    table = Table(title=f"{len(data)} GPU instance types (prices: {where})", title_justify="left")
    right = ("n", "GPU GiB", "vCPU", "on-demand/h", "spot/h")
    for col in (
        "cloud",
        "type",
        "GPU",
        "n",
        "GPU GiB",
        "vCPU",
        "link",
        "RDMA",
        "region",
        "on-demand/h",
        "spot/h",
        "cur",
    ):
        table.add_column(col, justify="right" if col in right else "left", overflow="fold")
    for d in data:
        p = d["price"] or {}
        table.add_row(
            d["cloud"], d["instanceType"], d["gpuModel"] or "(unnamed)", d["gpuCount"], f"{d['gpuMemoryGib']:g}",
            str(d["vcpus"] or "-"), d["interconnect"] or "-", d["rdma"], p.get("region", "-"),
            f"{p['onDemand']:.3f}" if p else "-", f"{p['spot']:.3f}" if p.get("spot") is not None else "-",
            p.get("currency", "-"),
        )  # fmt: skip
    out.print(table)
    fx = usd_rate(cat, "CNY")
    out.print(f"[dim]Prices are hourly list prices; CNY rows convert at {fx.usd_per_unit} USD/CNY ({fx.as_of}).[/]")


@app.command()
def validate(
    file: Annotated[
        Path, typer.Argument(help="A Pulumi stack config file, e.g. stacks/Pulumi.aws-train-h100-efa.yaml.")
    ],
) -> None:
    """Validate the gpufleet:fleet config of a stack file. Exit 0 when valid, 2 with a full report when not."""
    cat = load_catalog()
    try:
        sc = read_stack_config(file)
        result = validate_fleet(sc.fleet, cat, source=str(file))
    except ConfigError as e:
        err.print(f"[red]error:[/] {e.report()}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_CONFIG) from None
    spec = result.spec
    out.print(f"[green]valid[/]: fleet [bold]{spec.name}[/] from {file} (stack '{sc.stack}')", highlight=False)
    table = Table(title_justify="left")
    for col in ("group", "cloud", "region", "instance types", "GPUs/node", "nodes min/desired/max", "market", "rdma"):
        table.add_column(col, overflow="fold")
    for g in spec.groups:
        r = resolve_group(g, cat)
        m = g.market
        market = m.type if not m.is_spot else f"{m.type}: base {m.on_demand_base}, {spot_caps(r, cat).label()}"
        table.add_row(
            g.name, g.cloud, g.region, ", ".join(r.instance_types), _count(r.gpus_per_node),
            f"{g.capacity.min}/{g.capacity.initial}/{g.capacity.max}", market, "yes" if g.rdma else "no",
        )  # fmt: skip
    out.print(table)
    for w in result.warnings:
        out.print(f"[yellow]warning:[/] {w}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_OK)


def _project_root() -> Path:
    """The gpufleet project: the nearest parent of the working directory with a
    ``Pulumi.yaml`` of project ``gpufleet``, else the checkout this package runs from."""
    for d in (Path.cwd(), *Path.cwd().parents):
        f = d / "Pulumi.yaml"
        if f.is_file() and f.read_text(encoding="utf-8").lstrip().startswith("name: gpufleet"):
            return d
    from gpufleet.plan.run import PROJECT_ROOT

    return PROJECT_ROOT


def _stack_file(stack: str | None, config: Path | None) -> Path:
    if (stack is None) == (config is None):
        err.print("[red]error:[/] give exactly one of --stack NAME or --config FILE")
        raise typer.Exit(EXIT_CONFIG)
    if config is not None:
        return config
    path = _project_root() / "stacks" / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        names = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in path.parent.glob("Pulumi.*.yaml"))
        err.print(f"[red]error:[/] no stack '{stack}' in {path.parent}. Stacks: {', '.join(names)}")
        raise typer.Exit(EXIT_CONFIG)
    return path


class Format(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


@app.command()
def plan(
    stack: Annotated[str | None, typer.Option(help="Stack template name: reads stacks/Pulumi.NAME.yaml.")] = None,
    config: Annotated[Path | None, typer.Option(help="A Pulumi stack config file (instead of --stack).")] = None,
    policy_config: Annotated[
        Path | None,
        typer.Option(help="Policy pack config JSON; default policies/prod.json for env: prod fleets, else dev.json."),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write the report to FILE instead of stdout.")] = None,
    spot: Annotated[
        str, typer.Option(help="Spot price assumption: 'cap' (the spot max price) or 'catalog-spot'.")
    ] = "cap",
    as_of: Annotated[
        str | None, typer.Option(help="Judge price age relative to this date (YYYY-MM-DD); default today.")
    ] = None,
) -> None:
    """Plan a stack offline: resource tree, cost estimate and policy verdicts, no credentials.

    Exit codes: 0 ok, 1 a mandatory policy violation, 2 invalid config.
    """
    from gpufleet.plan.report import render_markdown, render_table
    from gpufleet.plan.run import plan as run_plan

    path = _stack_file(stack, config)
    if spot not in ("cap", "catalog-spot"):
        err.print(f"[red]error:[/] --spot '{spot}' is not one of cap, catalog-spot")
        raise typer.Exit(EXIT_CONFIG)
    try:
        today = dt.date.fromisoformat(as_of) if as_of else None
    except ValueError:
        err.print(f"[red]error:[/] --as-of '{as_of}' is not a date (YYYY-MM-DD)")
        raise typer.Exit(EXIT_CONFIG) from None
    try:
        with err.status("planning", spinner="dots") as status:
            report = run_plan(
                path,
                policy_config=policy_config,
                program=_project_root() / "__main__.py",
                spot=spot,  # type: ignore[arg-type]
                today=today,
                progress=lambda msg: status.update(msg),
            )
    except ConfigError as e:
        err.print(f"[red]error:[/] {e.report()}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_CONFIG) from None
    if fmt is Format.json:
        text = json.dumps(report.to_json(), indent=2, sort_keys=False) + "\n"
    elif fmt is Format.markdown:
        text = render_markdown(report)
    else:
        text = ""
    if out_file is not None:
        if fmt is Format.table:
            with out_file.open("w", encoding="utf-8") as fh:
                render_table(report, Console(file=fh, width=160))
        else:
            out_file.write_text(text, encoding="utf-8")
        err.print(f"wrote {out_file}")
    elif fmt is Format.table:
        render_table(report, out)
    else:
        sys.stdout.write(text)
    raise typer.Exit(report.exit_code)


@app.command()
def resolve(
    stack: Annotated[str | None, typer.Option(help="Stack template name: stacks/Pulumi.NAME.yaml.")] = None,
    config: Annotated[Path | None, typer.Option(help="A Pulumi stack config file (instead of --stack).")] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Change nothing; exit 1 if resolving would change the file.")
    ] = False,
) -> None:
    """Pin catalog-driven choices (instance types, spot price caps) into the stack file, showing the diff."""
    from gpufleet.pinning import pin_stack_file

    path = _stack_file(stack, config)
    try:
        result = pin_stack_file(path, load_catalog())
    except ConfigError as e:
        err.print(f"[red]error:[/] {e.report()}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_CONFIG) from None
    for s in result.stale:
        err.print(f"[red]stale pin:[/] {s}", highlight=False, soft_wrap=True)
    if not result.changed and not result.stale:
        out.print(f"{path}: already pinned, nothing to change")
        raise typer.Exit(EXIT_OK)
    if not result.changed:
        raise typer.Exit(EXIT_POLICY if check else EXIT_CONFIG)
    sys.stdout.write(result.diff())
    for c in result.changes:
        out.print(f"pin {c}", highlight=False)
    if check:
        err.print(f"[red]{path} is not pinned[/]: run 'gpufleet resolve --config {path}' and commit the result")
        raise typer.Exit(EXIT_POLICY)
    path.write_text(result.after, encoding="utf-8")
    out.print(f"wrote {path}")


def run() -> None:
    app()


if __name__ == "__main__":
    run()
