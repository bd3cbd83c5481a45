"""Read the package-data CSVs into typed rows. No network: the data ships with the package."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Iterator
from fractions import Fraction
from importlib import resources
from typing import cast

from gpufleet.catalog.models import CLOUDS, Cloud, FxRate, InstanceType, Price, RdmaKind, Region


class CatalogDataError(ValueError):
    """A catalog CSV row that does not parse. Names the file, line and column."""


def _rows(name: str) -> Iterator[tuple[int, dict[str, str]]]:
    text = resources.files("gpufleet.catalog").joinpath("data", name).read_text(encoding="utf-8")
    reader = csv.DictReader(text.splitlines())
    yield from enumerate(reader, start=2)


def _cloud(name: str, line: int, value: str) -> Cloud:
    if value not in CLOUDS:
        raise CatalogDataError(f"{name}:{line}: cloud '{value}' is not one of {CLOUDS}")
    return value


def _float(name: str, line: int, col: str, value: str) -> float | None:
    if value == "":
        return None
    try:
        return float(value)
    except ValueError:
        raise CatalogDataError(f"{name}:{line}: {col} '{value}' is not a number") from None


_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")


def _date(value: str) -> dt.date | None:
    m = _DATE.match(value)
    return dt.date.fromisoformat(m.group(1)) if m else None


def _rdma(name: str, line: int, value: str) -> tuple[RdmaKind, int, str]:
    if value == "":
        return "unknown", 0, ""
    kind, _, detail = value.partition(":")
    if kind == "efa":
        try:
            return "efa", int(detail), detail
        except ValueError:
            raise CatalogDataError(f"{name}:{line}: rdma '{value}' needs efa:<count>") from None
    if kind in ("infiniband", "erdma", "none"):
        return cast(RdmaKind, kind), 0, detail
    raise CatalogDataError(f"{name}:{line}: rdma '{value}' is not efa:N, infiniband:..., erdma or none")


def load_network_cards() -> dict[str, tuple[tuple[str, ...], ...]]:
    """AWS instance type -> interface types per network card, from the contract check's data file
    (``gpufleet/contract/data/aws_network_cards.csv``, built by scripts/build_contract_data.py
    from moto's DescribeInstanceTypes snapshot): one source for the catalog and the check."""
    text = resources.files("gpufleet.contract").joinpath("data/aws_network_cards.csv").read_text()
    cards: dict[str, dict[int, tuple[str, ...]]] = {}
    for row in csv.DictReader(text.splitlines()):
        kinds = tuple(row["interface_types"].split())
        cards.setdefault(row["instance_type"], {})[int(row["network_card_index"])] = kinds
    return {t: tuple(c.get(i, ()) for i in range(max(c) + 1)) for t, c in cards.items()}


def load_instances() -> list[InstanceType]:
    cards = load_network_cards()
    out = []
    for line, r in _rows("gpu_instances.csv"):
        kind, efa, detail = _rdma("gpu_instances.csv", line, r["rdma"])
        try:
            count = Fraction(r["gpu_count"])
        except (ValueError, ZeroDivisionError):
            raise CatalogDataError(f"gpu_instances.csv:{line}: gpu_count '{r['gpu_count']}'") from None
        vcpus = _float("gpu_instances.csv", line, "vcpus", r["vcpus"])
        out.append(
            InstanceType(
                cloud=_cloud("gpu_instances.csv", line, r["cloud"]),
                name=r["instance_type"],
                gpu_model=r["gpu_model"] or None,
                gpu_count=count,
                gpu_memory_gib=_float("gpu_instances.csv", line, "gpu_memory_gib_total", r["gpu_memory_gib_total"])
                or 0.0,
                vcpus=int(vcpus) if vcpus is not None else None,
                memory_gib=_float("gpu_instances.csv", line, "memory_gib", r["memory_gib"]),
                interconnect=r["gpu_interconnect"] or None,
                rdma=kind,
                efa_interfaces=efa,
                rdma_detail=detail,
                network_gbps=_float("gpu_instances.csv", line, "network_gbps", r["network_gbps"]),
                source=r["source"],
                network_cards=cards.get(r["instance_type"], ()) if r["cloud"] == "aws" else (),
            )
        )
    return out


def load_prices() -> list[Price]:
    out = []
    for line, r in _rows("gpu_prices.csv"):
        out.append(
            Price(
                cloud=_cloud("gpu_prices.csv", line, r["cloud"]),
                instance_type=r["instance_type"],
                region=r["region"],
                ondemand=_float("gpu_prices.csv", line, "ondemand_usd_per_hour", r["ondemand_usd_per_hour"]),
                spot=_float("gpu_prices.csv", line, "spot_usd_per_hour", r["spot_usd_per_hour"]),
                currency=r["currency"],
                as_of=_date(r["as_of"]),
                as_of_text=r["as_of"],
                source=r["source"],
                spot_as_of=_date(r["spot_as_of"]),
                spot_as_of_text=r["spot_as_of"],
                spot_source=r["spot_source"],
                spot_basis=r["spot_basis"],
            )
        )
    return out


def load_regions() -> list[Region]:
    out = []
    for line, r in _rows("regions.csv"):
        out.append(
            Region(
                cloud=_cloud("regions.csv", line, r["cloud"]),
                name=r["region"],
                display_name=r["display_name"],
                country=r["country"],
                in_eu=r["in_eu"] == "yes",
                gpu_families=tuple(r["gpu_families_offered"].split()),
                source=r["name_source"],
            )
        )
    return out


def load_fx() -> list[FxRate]:
    out = []
    for line, r in _rows("fx.csv"):
        rate = _float("fx.csv", line, "usd_per_unit", r["usd_per_unit"])
        day = _date(r["as_of"])
        if rate is None or rate <= 0 or day is None:
            raise CatalogDataError(f"fx.csv:{line}: needs a positive usd_per_unit and an as_of date")
        out.append(FxRate(currency=r["currency"], usd_per_unit=rate, as_of=day, source=r["source"]))
    return out
