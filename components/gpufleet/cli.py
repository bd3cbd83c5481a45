"""The ``gpufleet`` command line."""

from __future__ import annotations

import json
import os
import sys
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from gpufleet import __version__
from gpufleet.catalog import CLOUDS, Catalog, GpuNameError, InstanceType, load_catalog
from gpufleet.errors import ConfigError
from gpufleet.resolve import resolve_group
from gpufleet.stackconfig import read_stack_config
from gpufleet.validation import validate_fleet

app = typer.Typer(
    name="gpufleet",
    help="Multi-cloud GPU fleets as code: inspect the catalog and validate stack configs offline.",
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
    regions = [region] if region else cat.priced_regions(it.cloud, it.name)
    quotes = [q for r in regions if (q := cat.quote(it.cloud, it.name, r, "on-demand"))]
    if not quotes:
        return None
    q = min(quotes, key=lambda q: cat.to_usd(q.amount, q.currency))
    spot = cat.quote(it.cloud, it.name, q.region, "spot")
    return {
        "region": q.region,
        "onDemand": q.amount,
        "spot": spot.amount if spot else None,
        "currency": q.currency,
        "onDemandUsd": round(cat.to_usd(q.amount, q.currency), 4),
        "asOf": q.as_of_text,
    }


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
    fx = cat.fx_rate("CNY")
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
        cap = f"<= {m.max_price_percent:g}% of on-demand" if m.max_price_percent else "up to on-demand"
        market = m.type if not m.is_spot else f"{m.type}: base {m.on_demand_base}, spot {cap}"
        table.add_row(
            g.name, g.cloud, g.region, ", ".join(r.instance_types), _count(r.gpus_per_node),
            f"{g.capacity.min}/{g.capacity.initial}/{g.capacity.max}", market, "yes" if g.rdma else "no",
        )  # fmt: skip
    out.print(table)
    for w in result.warnings:
        out.print(f"[yellow]warning:[/] {w}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_OK)


def run() -> None:
    app()


if __name__ == "__main__":
    run()
