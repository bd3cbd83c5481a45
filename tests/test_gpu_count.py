"""GPU count semantics: a model without a count means one node size or is refused with the choices."""

from __future__ import annotations

from typing import Any

import pytest

from gpufleet.catalog import Catalog
from gpufleet.cost import estimate_group
from gpufleet.errors import ConfigError
from gpufleet.resolve import resolve_group
from gpufleet.validation import validate_fleet
from helpers import fleet


def problems(raw: Any, catalog: Catalog) -> dict[str, str]:
    with pytest.raises(ConfigError) as e:
        validate_fleet(raw, catalog)
    return {p.path: p.message for p in e.value.problems}


def test_a_model_with_several_node_sizes_needs_a_count(catalog: Catalog) -> None:
    # Reproduction (issue 13): {model: L4} without count mixed 1-, 4- and 8-GPU AWS types in one
    # group (g6.xlarge .. g6.48xlarge), while validate showed "GPUs/node 1" and the plan priced 1 GPU.
    found = problems(fleet({"gpu": {"model": "L4"}}), catalog)
    msg = found["groups[0].gpu.count"]
    counts = sorted({int(t.gpu_count) for t in catalog.find(cloud="aws", gpu_model="L4-24GB")})
    assert len(counts) > 1  # the catalog really offers several sizes
    assert all(str(c) in msg for c in counts), msg


def test_a_model_with_one_node_size_means_that_size(catalog: Catalog) -> None:
    # H100-80GB on Azure exists only as 8-GPU sizes: no count needed, and the group says 8 per node.
    models = {t.gpu_model for t in catalog.find(cloud="azure")}
    one_size = sorted(
        m for m in models if m and len({t.gpu_count for t in catalog.find(cloud="azure", gpu_model=m)}) == 1
    )
    assert one_size, "the catalog has an Azure model with one node size"
    from azure.azuregroups import azure_fleet

    model = one_size[0]
    spec = validate_fleet(azure_fleet({"gpu": {"model": model}}), catalog).spec
    rg = resolve_group(spec.groups[0], catalog)
    (size,) = {t.gpu_count for t in catalog.find(cloud="azure", gpu_model=model)}
    assert {t.instance.gpu_count for t in rg.types} == {size}


def test_explicit_types_with_different_counts_are_refused(catalog: Catalog) -> None:
    found = problems(fleet({"gpu": {"instanceTypes": ["g6.xlarge", "g6.12xlarge"]}}), catalog)
    assert "1" in found["groups[0].gpu.instanceTypes"] and "4" in found["groups[0].gpu.instanceTypes"]


def test_costs_state_gpus_per_node_and_node_counts(catalog: Catalog) -> None:
    spec = validate_fleet(
        fleet({"gpu": {"model": "L4", "count": 4}, "capacity": {"min": 1, "desired": 2, "max": 3}})
    ).spec
    c = estimate_group(resolve_group(spec.groups[0], catalog), catalog)
    assert c.gpus_per_node == 4
    assert c.nodes == {"min": 1, "desired": 2, "max": 3}
    assert c.gpus == {"min": 4, "desired": 8, "max": 12}
