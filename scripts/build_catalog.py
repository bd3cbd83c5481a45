"""Rebuild the package catalog CSVs from the sourced inputs committed in this repository.

Usage: make catalog  (or: python scripts/build_catalog.py [SOURCES_DIR] [DATA_DIR])

SOURCES_DIR defaults to scripts/catalog-sources/ (the input CSVs and SOURCES.md, which
says where every number comes from and what is missing); DATA_DIR defaults to
components/gpufleet/catalog/data/. The input rows are copied as they are; then each row of
components/gpufleet/catalog/data/amendments.csv
sets one cell and appends its source to the row's `source` column, so every
changed fact keeps its provenance. Run it after the reference or the amendments
change, and commit the result.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "components" / "gpufleet" / "catalog" / "data"
FILES = ("gpu_instances.csv", "gpu_prices.csv", "regions.csv")


SOURCES = ROOT / "scripts" / "catalog-sources"


def main(argv: list[str]) -> int:
    ref = Path(argv[1]) if len(argv) > 1 else SOURCES
    out = Path(argv[2]) if len(argv) > 2 else DATA
    if not (ref / "gpu_instances.csv").is_file():
        print(f"error: no catalog inputs at {ref}", file=sys.stderr)
        return 2
    with (DATA / "amendments.csv").open(newline="") as fh:
        amendments = list(csv.DictReader(fh))
    for name in FILES:
        with (ref / name).open(newline="") as fh:
            reader = csv.DictReader(fh)
            fields = list(reader.fieldnames or [])
            rows = list(reader)
        for am in (a for a in amendments if a["file"] == name):
            hits = [r for r in rows if r["cloud"] == am["cloud"] and r[fields[1]] == am["key"]]
            if not hits:
                print(f"error: amendment matches no row: {am}", file=sys.stderr)
                return 1
            for row in hits:
                row[am["column"]] = am["value"]
                row["source"] = f"{row['source']} | {am['column']}: {am['source']}"
        with (out / name).open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        print(f"wrote {out / name} ({len(rows)} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
