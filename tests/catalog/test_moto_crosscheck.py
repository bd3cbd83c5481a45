"""Cross-check the AWS catalog rows against the DescribeInstanceTypes data that moto ships.

moto is an independent source (a recorded EC2 API snapshot). A mismatch in GPU model,
count, memory or maximum EFA interfaces fails unless moto_allowlist.csv gives a reason.
"""

from __future__ import annotations

import csv
import gzip
import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from gpufleet.catalog import Catalog, load_catalog

ALLOWLIST = Path(__file__).with_name("moto_allowlist.csv")


def _moto_types() -> dict[str, Any]:
    raw = resources.files("moto").joinpath("ec2", "resources", "instance_types.json.gz").read_bytes()
    data: dict[str, Any] = json.loads(gzip.decompress(raw))
    return data


def _allowed() -> dict[tuple[str, str], str]:
    with ALLOWLIST.open(newline="") as fh:
        return {(r["instance_type"], r["field"]): r["reason"] for r in csv.DictReader(fh)}


def _mismatches(catalog: Catalog, moto: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(instance_type, field, detail) for every disagreement."""
    out = []
    for it in catalog.instances:
        if it.cloud != "aws":
            continue
        m = moto.get(it.name)
        if m is None:
            out.append((it.name, "missing", "not in moto's snapshot"))
            continue
        gpus = m.get("GpuInfo", {}).get("Gpus", [])
        if len(gpus) != 1:
            out.append((it.name, "gpu", f"moto lists {len(gpus)} GPU kinds"))
            continue
        g = gpus[0]
        family = (it.gpu_model or "").split("-")[0]
        if g["Name"].upper() != family.upper():
            out.append((it.name, "gpu_model", f"catalog {it.gpu_model} vs moto {g['Name']}"))
        if it.gpu_count != g["Count"]:
            out.append((it.name, "gpu_count", f"catalog {it.gpu_count} vs moto {g['Count']}"))
        moto_gib = m["GpuInfo"]["TotalGpuMemoryInMiB"] / 1024
        if abs(it.gpu_memory_gib - moto_gib) > 0.01:
            out.append((it.name, "gpu_memory", f"catalog {it.gpu_memory_gib} GiB vs moto {moto_gib:.3f} GiB"))
        moto_efa = m["NetworkInfo"].get("EfaInfo", {}).get("MaximumEfaInterfaces", 0)
        if it.efa_interfaces != moto_efa:
            out.append((it.name, "efa", f"catalog {it.efa_interfaces} vs moto {moto_efa} (rdma '{it.rdma}')"))
        moto_cards = {c["NetworkCardIndex"]: tuple(c["InterfaceTypes"]) for c in m["NetworkInfo"]["NetworkCards"]}
        ours = dict(enumerate(it.network_cards))
        if ours != moto_cards:
            out.append((it.name, "network_cards", f"catalog {ours} vs moto {moto_cards}"))
        elif it.rdma == "efa" and len(it.efa_cards) != it.efa_interfaces:
            # The launch template puts one EFA-only interface per EFA card (aws/netplan.py efa_layout).
            out.append((it.name, "efa_cards", f"{len(it.efa_cards)} EFA cards vs {it.efa_interfaces} EFA interfaces"))
    return out


def test_aws_rows_match_moto() -> None:
    allowed = _allowed()
    bad = [m for m in _mismatches(load_catalog(), _moto_types()) if (m[0], m[1]) not in allowed]
    assert bad == [], "catalog rows disagree with moto; fix the row or add a reason to moto_allowlist.csv"


def test_allowlist_entries_are_still_needed() -> None:
    # A stale allowlist hides nothing, but it misleads readers: every entry must still match.
    found = {(m[0], m[1]) for m in _mismatches(load_catalog(), _moto_types())}
    assert set(_allowed()) <= found


@pytest.mark.parametrize(
    ("instance_type", "efa"),
    [
        ("p5.48xlarge", 32),  # AWS EC2 UG "Elastic Fabric Adapter" supported instance types: 32 EFA interfaces
        ("p4d.24xlarge", 4),
        ("p5en.48xlarge", 16),
        ("g6e.48xlarge", 4),
    ],
)
def test_efa_counts_the_components_rely_on(instance_type: str, efa: int) -> None:
    it = load_catalog().instance("aws", instance_type)
    assert it is not None and it.efa_interfaces == efa
    assert _moto_types()[instance_type]["NetworkInfo"]["EfaInfo"]["MaximumEfaInterfaces"] == efa


def test_the_crosscheck_detects_a_wrong_row() -> None:
    # The check must be able to fail: corrupt one fact and expect it reported.
    import dataclasses

    cat = load_catalog()
    p5 = cat.instance("aws", "p5.48xlarge")
    assert p5 is not None
    bad = dataclasses.replace(p5, efa_interfaces=4, gpu_count=p5.gpu_count * 2)
    b300 = cat.instance("aws", "p6-b300.48xlarge")
    assert b300 is not None
    bad_cards = dataclasses.replace(b300, network_cards=(("interface", "efa", "efa-only"), *b300.network_cards[1:]))
    swap = {p5.name: bad, b300.name: bad_cards}
    broken = dataclasses.replace(cat, instances=tuple(swap.get(i.name, i) for i in cat.instances))
    found = {(m[0], m[1]) for m in _mismatches(broken, _moto_types())}
    assert {("p5.48xlarge", "efa"), ("p5.48xlarge", "gpu_count"), ("p6-b300.48xlarge", "network_cards")} <= found
