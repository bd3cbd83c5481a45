"""Property tests: random and malformed configs never escape as anything but ConfigError,
and every problem carries a field path."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpufleet.catalog import load_catalog
from gpufleet.errors import ConfigError
from gpufleet.validation import validate_fleet
from helpers import fleet

PATH = re.compile(r'^[A-Za-z_][A-Za-z0-9_:-]*(\[\d+\]|\["(\\.|[^"\\])*"\]|\.[A-Za-z_][A-Za-z0-9_:-]*)*$')

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["aws", "azure", "alicloud", "us-east-1", "H100-80GB", "spot", "0 20 * * 1-5", "10.0.0.0/16"]),
)
json_like = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=20,
)
KEYS = ["name", "cloud", "region", "zones", "gpu", "model", "count", "instanceTypes", "capacity", "min", "max",
        "desired", "market", "type", "maxPricePercent", "rdma", "network", "cidr", "create", "autoscaling",
        "schedules", "cron", "timezone", "groups", "tags"]  # fmt: skip


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, *rest = path
    doc[head] = _set(doc[head], tuple(rest), value)
    return doc


@st.composite
def mutated_fleets(draw: st.DrawFn) -> Any:
    doc = fleet({}, {"name": "inf", "cloud": "azure", "region": "eastus", "zones": [],
                     "gpu": {"model": "A10", "count": 1}})  # fmt: skip
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "add-key", "delete"]))
        if action == "replace":
            doc = _set(doc, path, draw(json_like))
        elif action == "add-key":
            target: Any = doc
            for p in path:
                target = target[p]
            if isinstance(target, dict):
                target[draw(st.sampled_from(KEYS) | st.text(max_size=8))] = draw(json_like)
        elif path:
            parent: Any = doc
            for p in path[:-1]:
                parent = parent[p]
            if isinstance(parent, dict):
                parent.pop(path[-1], None)
            elif isinstance(parent, list) and len(parent) > 1:
                parent.pop(path[-1])
    return doc


def _check(raw: Any) -> None:
    try:
        validate_fleet(raw, load_catalog())
    except ConfigError as e:
        assert e.problems, "a ConfigError must carry at least one problem"
        for p in e.problems:
            assert PATH.match(p.path), f"bad path {p.path!r} for {p.message!r}"
            assert p.message.strip()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_like)
def test_random_values_only_raise_config_error(raw: Any) -> None:
    _check(raw)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_fleets())
def test_mutated_fleets_only_raise_config_error(raw: Any) -> None:
    _check(raw)
