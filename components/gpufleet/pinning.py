"""``gpufleet resolve``: write catalog-driven choices back into a stack file.

Instance types chosen from a GPU model and spot caps computed from ``maxPricePercent``
are pinned as ``gpu.instanceTypes`` and ``market.maxPrices``. Comments and key order are
kept (ruamel.yaml round-trip), so the change reads as a small reviewed diff.
"""

from __future__ import annotations

import difflib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from gpufleet.catalog import Catalog
from gpufleet.resolve import resolve_group
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
    for i, (g, raw) in enumerate(zip(spec.groups, raw_groups, strict=True)):
        rg = resolve_group(g, catalog)
        gpu = raw["gpu"]
        if "instanceTypes" not in gpu:
            gpu["instanceTypes"] = _flow_seq(rg.instance_types)
            changes.append(f"groups[{i}].gpu.instanceTypes: {rg.instance_types}")
        if g.market.is_spot and g.market.max_price_percent is not None and g.market.max_prices is None:
            caps = {t.instance.name: cap for t in rg.types if (cap := rg.spot_cap(t)) is not None}
            if caps:
                market = raw["market"]
                pinned = CommentedMap(caps)
                pinned.fa.set_flow_style()
                market["maxPrices"] = pinned
                currency = rg.primary.on_demand.currency if rg.primary.on_demand else "?"
                changes.append(f"groups[{i}].market.maxPrices ({currency}/node-hour): {caps}")
    out = io.StringIO()
    yaml.dump(doc, out)
    return PinResult(path=path, before=before, after=out.getvalue(), changes=changes)
