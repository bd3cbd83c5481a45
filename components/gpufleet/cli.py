"""The ``gpufleet`` command line."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, NoReturn, TextIO

import typer
import yaml
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from gpufleet import __version__
from gpufleet.alicloud.spot import billing_currency
from gpufleet.catalog import CLOUDS, Catalog, Cloud, GpuNameError, InstanceType, load_catalog
from gpufleet.errors import ConfigError
from gpufleet.exitcodes import ExitCode
from gpufleet.pricing import spot_caps
from gpufleet.pricing.price import cheapest_quote, usd_rate
from gpufleet.resolve import resolve_group
from gpufleet.stackconfig import read_stack_config
from gpufleet.suggest import did_you_mean
from gpufleet.validation import validate_fleet


class _OneLineErrors(TyperGroup):
    """Every failure ends in one ``error:`` line on stderr and a code from :class:`ExitCode`.

    Click's own usage errors (unknown option, bad choice) would print a usage block and a
    panel; an unexpected exception would print a traceback. Both become one line here.
    """

    def main(self, *args: Any, **kwargs: Any) -> NoReturn:
        kwargs["standalone_mode"] = False  # exceptions come back here instead of being printed
        try:
            rv = super().main(*args, **kwargs)
        except (typer.Abort, KeyboardInterrupt):
            _fail("interrupted", ExitCode.INTERRUPTED)
        except Exception as e:
            if hasattr(e, "format_message") and hasattr(e, "exit_code"):  # click's ClickException family
                ctx = getattr(e, "ctx", None)
                if type(e).__name__ == "NoArgsIsHelpError" and ctx is not None:
                    out.print(ctx.get_help(), highlight=False)
                    raise SystemExit(ExitCode.CONFIG) from None
                where = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
                _fail(f"{e.format_message().replace('Value error, ', '')}{where}", ExitCode.CONFIG)
            if os.environ.get("GPUFLEET_DEBUG") == "1":
                raise
            _fail(
                f"internal error: {type(e).__name__}: {e}. This is a bug in gpufleet; "
                "rerun with GPUFLEET_DEBUG=1 for the traceback and report it",
                ExitCode.INTERNAL,
            )
        if rv == ExitCode.INTERRUPTED:  # typer turns Ctrl-C inside a command into Exit(130)
            _fail("interrupted", ExitCode.INTERRUPTED)
        raise SystemExit(rv if isinstance(rv, int) else ExitCode.OK)


app = typer.Typer(
    name="gpufleet",
    cls=_OneLineErrors,
    help="Multi-cloud GPU fleets as code: plan, validate and pin stack configs offline; browse the GPU catalog.",
    epilog="Exit codes: 0 ok, 1 mandatory policy violation, 2 invalid config or usage, 3 contract finding, "
    "4 cannot write output, 5 internal error. Shell completion: gpufleet --install-completion.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _console(stderr: bool = False) -> Console:
    # Piped output (CI logs, files) gets a wide fixed width instead of rich's 80 columns.
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or os.environ.get("COLUMNS") else 160
    return Console(stderr=stderr, width=width)


out = _console()
err = _console(stderr=True)


def _fail(message: str, code: ExitCode) -> NoReturn:
    """One line on stderr, then exit with ``code``."""
    err.print(f"[red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise SystemExit(code)


EXIT_OK = ExitCode.OK
EXIT_POLICY = ExitCode.POLICY
EXIT_CONFIG = ExitCode.CONFIG
EXIT_CONTRACT = ExitCode.CONTRACT
"""``plan``: a contract finding (the cloud would reject a request); outranks 1 (docs/plan.md)."""


def _version(value: bool) -> None:
    if value:
        out.print(f"gpufleet {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", metavar="", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """gpufleet: GPU instance groups, spot fleets, RDMA and driver bootstrap on AWS, Azure and Alibaba Cloud."""


def _count(c: Fraction) -> str:
    return str(c) if c.denominator != 1 else str(c.numerator)


def _cheapest(cat: Catalog, it: InstanceType, region: str | None) -> dict[str, Any] | None:
    return cheapest_quote(cat, it.cloud, it.name, region)


class CloudName(StrEnum):
    aws = "aws"
    azure = "azure"
    alicloud = "alicloud"


# Alibaba's instance-family doc gives only the GPU memory of these families, not the model
# (scripts/catalog-sources/SOURCES.md, "gpu_model is empty"); the catalog leaves the model unknown rather than guess.
UNNAMED_GPU = "not named"


def _gpu_filter(gpu: str, cat: Catalog) -> tuple[list[str], int | None]:
    """The models a ``--gpu`` value means (every variant of a family, as ``sky show-gpus`` does)
    and the count of a ``MODEL:COUNT`` value."""
    name, _, n = gpu.partition(":")
    count = None
    if n:
        if not n.isdigit() or int(n) < 1:
            _fail(f"--gpu '{gpu}': the count after ':' must be a whole number >= 1, e.g. H100:8", ExitCode.CONFIG)
        count = int(n)
    models = cat.gpu_names.matches(name)
    if not models:
        try:
            cat.resolve_gpu(name)
        except GpuNameError as e:
            _fail(f"--gpu: {e}", ExitCode.CONFIG)
    return models, count


CATALOG_COLUMNS = ("cloud", "type", "GPU", "n", "GiB", "vCPU", "RDMA", "region", "USD/h", "list/h", "spot/h")


def _usd_sort_key(row: dict[str, Any]) -> tuple[int, float, str]:
    p = row["price"]
    return (0, p["onDemandUsd"], row["instanceType"]) if p else (1, 0.0, row["instanceType"])


@app.command(
    epilog="Examples: gpufleet catalog --gpu H100 | gpufleet catalog --gpu H100:8 --rdma | "
    "gpufleet catalog --cloud azure --region eastus --json"
)
def catalog(
    cloud: Annotated[CloudName | None, typer.Option(help="Only this cloud.")] = None,
    gpu: Annotated[
        str | None,
        typer.Option(
            help="GPU model, family or alias, optionally with a count: H100 (every H100 variant), H100-80GB, "
            "l4, a10g, H100:8."
        ),
    ] = None,
    count: Annotated[int | None, typer.Option(min=1, help="Exactly this many GPUs per node.")] = None,
    min_memory: Annotated[float | None, typer.Option(help="At least this much GPU memory per node (GiB).")] = None,
    rdma: Annotated[
        bool, typer.Option("--rdma", metavar="", help="Only types with an RDMA fabric (EFA, InfiniBand, eRDMA).")
    ] = False,
    region: Annotated[
        str | None, typer.Option(help="Only types with a catalog price in this region; prices from there.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", metavar="", help="Print JSON instead of a table.")] = False,
) -> None:
    """List GPU instance types from the bundled catalog, cheapest first (on-demand, in USD).

    Each row shows the cheapest region's list price in its own currency (CNY for Alibaba) and
    that price in USD, which the list is sorted by.
    """
    cat = load_catalog()
    clouds: list[Cloud] = [cloud.value] if cloud is not None else list(CLOUDS)
    if region is not None and not any(cat.region(c, region) for c in clouds):
        names = sorted({r for c in clouds for r in cat.region_names(c)})
        where = f"{cloud.value} " if cloud is not None else ""
        _fail(f"--region: unknown {where}region '{region}'.{did_you_mean(region, names)} Valid: {', '.join(names)}",
              ExitCode.CONFIG)  # fmt: skip
    models: list[str | None] = [None]
    if gpu is not None:
        found, gpu_count = _gpu_filter(gpu, cat)
        models = list(found)
        if gpu_count is not None:
            if count is not None and count != gpu_count:
                _fail(f"--gpu '{gpu}' and --count {count} ask for different GPU counts", ExitCode.CONFIG)
            count = gpu_count
    rows = [
        it
        for c in clouds
        for m in models
        for it in cat.find(
            cloud=c,
            gpu_model=m,
            gpu_count=count,
            min_gpu_memory_gib=min_memory,
            rdma=True if rdma else None,
            region=region,
        )
    ]
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
    data.sort(key=_usd_sort_key)
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    where = region or "cheapest region"
    table = Table(
        title=f"{len(data)} GPU instance types, cheapest first (prices: {where})",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 1),
    )
    # Numbers never wrap (a folded price reads as two numbers). Below 110 columns the table
    # keeps what a choice needs and leaves cloud, vCPU, RDMA and spot to a wider terminal or --json.
    con = _console()  # the terminal width of this run (tests set COLUMNS per invocation)
    narrow = con.width < 110
    cols = ("type", "GPU", "n", "GiB", "region", "USD/h", "list/h") if narrow else CATALOG_COLUMNS
    for col in cols:
        numeric = col in ("n", "GiB", "vCPU", "USD/h", "list/h", "spot/h")
        table.add_column(col, justify="right" if numeric else "left", overflow="fold", no_wrap=numeric)
    for d in data:
        p = d["price"] or {}
        cur = f" {p['currency']}" if p else ""
        cells = {
            "cloud": d["cloud"], "type": d["instanceType"], "GPU": d["gpuModel"] or UNNAMED_GPU, "n": d["gpuCount"],
            "GiB": f"{d['gpuMemoryGib']:g}", "vCPU": str(d["vcpus"] or "-"), "RDMA": d["rdma"],
            "region": p.get("region", "-"), "USD/h": f"{p['onDemandUsd']:.3f}" if p else "-",
            "list/h": f"{p['onDemand']:.3f}{cur}" if p else "-",
            "spot/h": f"{p['spot']:.3f}{cur}" if p.get("spot") is not None else "-",
        }  # fmt: skip
        table.add_row(*(cells[c] for c in cols))
    con.print(table)
    fx = usd_rate(cat, "CNY")
    con.print(
        f"[dim]Hourly list prices in the region's currency (list/h, spot/h) and in USD (USD/h); CNY converts at "
        f"{fx.usd_per_unit} USD/CNY ({fx.as_of}). spot/h is from the same region as the on-demand price."
        + (" Cloud, vCPU, RDMA and spot: a wider terminal (COLUMNS=140) or --json." if narrow else "")
        + "[/]"
    )
    if any(d["gpuModel"] is None for d in data):
        con.print(
            f"[dim]GPU '{UNNAMED_GPU}': Alibaba's instance-family doc gives these types' GPU memory "
            "but not the GPU model; find them with --cloud alicloud --min-memory.[/]"
        )


@app.command(epilog="Example: gpufleet validate stacks/Pulumi.aws-train-h100-efa.yaml")
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
        caps = spot_caps(r, cat, billing_currency(spec, g))
        market = m.type if not m.is_spot else f"{m.type}: base {m.on_demand_base}, {caps.label()}"
        table.add_row(
            g.name, g.cloud, g.region, ", ".join(r.instance_types), _count(r.gpus_per_node),
            f"{g.capacity.min}/{g.capacity.initial}/{g.capacity.max}", market, "yes" if g.rdma else "no",
        )  # fmt: skip
    out.print(table)
    for w in result.warnings:
        out.print(f"[yellow]warning:[/] {w}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_OK)


def _is_gpufleet_project(pulumi_yaml: Path) -> bool:
    """``Pulumi.yaml`` declares project ``name: gpufleet`` (parsed: comments, quoting and key order do not matter)."""
    try:
        doc = yaml.safe_load(pulumi_yaml.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return False
    return isinstance(doc, dict) and doc.get("name") == "gpufleet"


def _project_root() -> Path:
    """The gpufleet project: the nearest parent of the working directory with a
    ``Pulumi.yaml`` of project ``gpufleet``, else the checkout this package runs from."""
    for d in (Path.cwd(), *Path.cwd().parents):
        f = d / "Pulumi.yaml"
        if f.is_file() and _is_gpufleet_project(f):
            return d
    from gpufleet.plan.run import PROJECT_ROOT

    return PROJECT_ROOT


def _stack_file(stack: str | None, config: Path | None) -> Path:
    if (stack is None) == (config is None):
        _fail("give exactly one of --stack NAME or --config FILE", ExitCode.CONFIG)
    if config is not None:
        return config
    assert stack is not None
    if stack.endswith((".yaml", ".yml")) and Path(stack).is_file():  # a path where a name was expected
        return Path(stack)
    path = _project_root() / "stacks" / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        names = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in path.parent.glob("Pulumi.*.yaml"))
        _fail(f"no stack '{stack}' in {path.parent}. Stacks: {', '.join(names)}", ExitCode.CONFIG)
    return path


class Format(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


class SpotPrice(StrEnum):
    cap = "cap"
    catalog_spot = "catalog-spot"


def _write_report(out_file: Path, write: Callable[[TextIO], None]) -> None:
    try:
        with out_file.open("w", encoding="utf-8") as fh:
            write(fh)
    except OSError as e:
        hint = " (create the folder first)" if not out_file.parent.is_dir() else ""
        _fail(f"cannot write --out {out_file}: {e.strerror}{hint}", ExitCode.IO)


@app.command(
    epilog="Examples: gpufleet plan --stack aws-train-h100-efa | "
    "gpufleet plan --config stacks/Pulumi.my-team.yaml --format markdown --out plan.md"
)
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
        SpotPrice, typer.Option(help="Price spot nodes at the spot max price (cap) or the catalog spot price.")
    ] = SpotPrice.cap,
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="Judge price age relative to this date; default today."),
    ] = None,
) -> None:
    """Plan a stack offline: resource tree, cost estimate, policy verdicts and contract check, no credentials.

    Exit codes: 0 ok, 1 a mandatory policy violation, 2 invalid config, 3 a contract finding (the cloud
    would reject a request; outranks 1), 4 the report could not be written.
    """
    from gpufleet.plan.report import render_markdown, render_table
    from gpufleet.plan.run import plan as run_plan

    path = _stack_file(stack, config)
    today = as_of.date() if as_of else None
    try:
        with err.status("planning", spinner="dots") as status:
            report = run_plan(
                path,
                policy_config=policy_config,
                program=_project_root() / "__main__.py",
                spot=spot.value,
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
            _write_report(out_file, lambda fh: render_table(report, Console(file=fh, width=160)))
        else:
            _write_report(out_file, lambda fh: print(text, end="", file=fh))
        err.print(f"wrote {out_file}")
    elif fmt is Format.table:
        render_table(report, _console())  # the terminal width of this run
    else:
        sys.stdout.write(text)
    raise typer.Exit(report.exit_code)


@app.command(
    epilog="Examples: gpufleet resolve --stack my-team | gpufleet resolve --config stacks/Pulumi.my-team.yaml --check"
)
def resolve(
    stack: Annotated[str | None, typer.Option(help="Stack template name: stacks/Pulumi.NAME.yaml.")] = None,
    config: Annotated[Path | None, typer.Option(help="A Pulumi stack config file (instead of --stack).")] = None,
    check: Annotated[
        bool, typer.Option("--check", metavar="", help="Change nothing; exit 1 if resolving would change the file.")
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
        err.print(
            f"[red]{path} is not pinned[/]: run 'gpufleet resolve --config {path}' and commit the result",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_POLICY)
    try:
        path.write_text(result.after, encoding="utf-8")
    except OSError as e:
        _fail(f"cannot write {path}: {e.strerror}", ExitCode.IO)
    out.print(f"wrote {path}")


class SchemaFormat(StrEnum):
    stack = "stack"
    fleet = "fleet"
    markdown = "markdown"


@app.command(
    epilog="Examples: gpufleet schema --out gpufleet.schema.json | gpufleet schema --format fleet | "
    "gpufleet schema --format markdown"
)
def schema(
    fmt: Annotated[
        SchemaFormat,
        typer.Option(
            "--format",
            help="stack: JSON Schema of a whole stacks/Pulumi.<stack>.yaml (for editors); fleet: of the "
            "gpufleet:fleet value; markdown: the README's key reference.",
        ),
    ] = SchemaFormat.stack,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write to FILE instead of stdout.")] = None,
) -> None:
    """Print the fleet config's JSON Schema, generated from the validation models.

    Point an editor at it for completion and checks as you type; see README.md "Editor support".
    """
    from gpufleet.configschema import fleet_schema, reference_markdown, stack_file_schema

    if fmt is SchemaFormat.markdown:
        text = reference_markdown()
    else:
        text = json.dumps(stack_file_schema() if fmt is SchemaFormat.stack else fleet_schema(), indent=2) + "\n"
    if out_file is None:
        sys.stdout.write(text)
        return
    _write_report(out_file, lambda fh: print(text, end="", file=fh))
    err.print(f"wrote {out_file}")


from gpufleet.gitops.cli import diff_command, gitops_app  # noqa: E402  (GitOps commands, kept in their module)
from gpufleet.imagebuild.cli import images_app  # noqa: E402  (``gpufleet images prune``)

app.command("diff")(diff_command)
app.add_typer(gitops_app, name="gitops")
app.add_typer(images_app, name="images")


def run() -> None:
    # One-shot process: no cyclic GC until exit (half of a plan's time otherwise; the memory
    # cost is in docs/performance.md). GPUFLEET_PLAN_GC=on keeps it.
    from gpufleet.plan import gcpolicy

    gcpolicy.pause_for_process()
    app()


if __name__ == "__main__":
    run()
