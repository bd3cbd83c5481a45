"""``gpufleet resolve``: write catalog-driven choices back into a stack file.

Instance types chosen from a GPU model and spot caps computed from ``maxPricePercent``
are pinned as ``gpu.instanceTypes`` and ``market.maxPrices``, with ``market.maxPricesBasis``
recording the region and price date the caps were computed from. A pin whose basis no
longer matches (the group moved region, or the catalog's prices changed) is re-pinned;
one that cannot be recomputed (no ``maxPricePercent``) is reported as stale. Comments and
key order are kept (ruamel.yaml round-trip), so the change reads as a small reviewed diff.
"""

from __future__ import annotations

import difflib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from gpufleet.catalog import Catalog
from gpufleet.pricing import fresh_pin, spot_caps
from gpufleet.resolve import ResolvedGroup, resolve_group
from gpufleet.stackconfig import FLEET_KEY, read_stack_config
from gpufleet.validation import validate_fleet


@dataclass(frozen=True)
class PinResult:
    """What resolving one stack file would change."""

    path: Path
    before: str
    after: str
    changes: list[str]
    """One line per pinned value, e.g. ``groups[0].gpu.instanceTypes: [g6.xlarge, ...]``."""
    stale: list[str] = field(default_factory=list)
    """Pins that no longer match and that resolve cannot recompute (a person must)."""

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.before.splitlines(keepends=True),
                self.after.splitlines(keepends=True),
                fromfile=f"{self.path} (before)",
                tofile=f"{self.path} (resolved)",
            )
        )


def _flow_seq(items: list[str]) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def pin_stack_file(path: Path, catalog: Catalog) -> PinResult:
    """Compute the pinned file. Raises ConfigError when the stack does not validate."""
    sc = read_stack_config(path)
    spec = validate_fleet(sc.fleet, catalog, source=str(path)).spec
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)  # the style of the templates in stacks/
    before = path.read_text(encoding="utf-8")
    doc: Any = yaml.load(before)
    raw_groups = doc["config"][FLEET_KEY]["groups"]
    changes: list[str] = []
    stale: list[str] = []
    for i, (g, raw) in enumerate(zip(spec.groups, raw_groups, strict=True)):
        rg = resolve_group(g, catalog)
        gpu = raw["gpu"]
        if "instanceTypes" not in gpu:
            gpu["instanceTypes"] = _flow_seq(rg.instance_types)
            changes.append(f"groups[{i}].gpu.instanceTypes: {rg.instance_types}")
        _pin_caps(i, rg, raw, changes, stale)
    out = io.StringIO()
    yaml.dump(doc, out)
    return PinResult(path=path, before=before, after=out.getvalue(), changes=changes, stale=stale)


def _pin_caps(i: int, rg: ResolvedGroup, raw: Any, changes: list[str], stale: list[str]) -> None:
    """Pin (or re-pin) the spot caps of group ``i`` from its ``maxPricePercent``."""
    caps = spot_caps(rg)
    where = f"groups[{i}].market"
    fresh = fresh_pin(rg)
    if fresh is None:
        if caps.basis == "pinned" and caps.pin is not None and caps.pin.region != rg.spec.region:
            stale.append(
                f"{where}.maxPrices were computed for {caps.pin.region}, but the group is in {rg.spec.region}; "
                "there is no maxPricePercent to recompute them: set new caps by hand (and maxPricesBasis.region)"
            )
        return
    values, record = fresh
    if not values:
        return
    unpriced = [t for t in rg.instance_types if t not in values]
    if unpriced:
        stale.append(
            f"{where}.maxPrices: the catalog has no on-demand price for {', '.join(unpriced)} in {rg.spec.region}, "
            "so maxPricePercent cannot be re-pinned there: pin those caps by hand or drop the types"
        )
        return
    pin = caps.pin
    if (
        caps.basis == "pinned"
        and pin is not None
        and (pin.region, pin.prices_as_of)
        == (
            record.region,
            record.prices_as_of,
        )
    ):
        return  # pinned from this region's current prices
    market = raw["market"]
    old = dict(market.get("maxPrices") or {})
    pinned = CommentedMap(values)
    pinned.fa.set_flow_style()
    market["maxPrices"] = pinned
    basis = CommentedMap({"region": record.region, "pricesAsOf": _date(record.prices_as_of)})
    basis.fa.set_flow_style()
    market["maxPricesBasis"] = basis
    if pin is not None and pin.region != record.region:
        why = f" (re-pinned: the caps were computed for {pin.region})"
    elif pin is not None:
        why = f" (re-pinned: prices of {pin.prices_as_of} changed to {record.prices_as_of})"
    elif old and old != values:
        why = f" (re-pinned: were {old})"
    else:
        why = ""
    currency = caps.currency or "?"
    changes.append(
        f"{where}.maxPrices ({currency}/node-hour, {record.region} prices of {record.prices_as_of}): {values}{why}"
    )


def _date(text: str | None) -> DoubleQuotedScalarString | None:
    # Quoted, like scheduleStart: an unquoted date is a YAML timestamp, not a config string.
    return DoubleQuotedScalarString(text) if text else None
