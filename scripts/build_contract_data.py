"""Rebuild gpufleet/contract/data/aws_*.csv from the EC2 data that moto ships.

moto's ``ec2/resources/instance_types.json.gz`` is a DescribeInstanceTypes snapshot; its
``RegionsAndZonesBackend.zones`` lists, per Region, the zones where CreateSubnet succeeds;
``ec2/resources/instance_type_offerings/availability-zone-id`` which types each AZ ID offers.
Run after a moto upgrade (``python scripts/build_contract_data.py``) and review the diff;
``tests/contract/test_aws_data.py`` cross-checks the files against the installed moto.
"""

from __future__ import annotations

import csv
import gzip
import json
from importlib import metadata, resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "components" / "gpufleet" / "contract" / "data"
CATALOG = ROOT / "components" / "gpufleet" / "catalog" / "data"


def _aws_rows(name: str, column: str) -> list[str]:
    with (CATALOG / name).open(newline="") as f:
        return sorted({row[column] for row in csv.DictReader(f) if row["cloud"] == "aws"})


def main() -> None:
    version = metadata.version("moto")
    types_src = f"moto {version} ec2/resources/instance_types.json.gz (DescribeInstanceTypes snapshot)"
    zones_src = f"moto {version} ec2/models/availability_zones_and_regions.py (zones CreateSubnet accepts)"
    types_file = resources.files("moto.ec2") / "resources" / "instance_types.json.gz"
    types = json.loads(gzip.decompress(types_file.read_bytes()))
    with (DATA / "aws_network_cards.csv").open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["instance_type", "maximum_network_cards", "maximum_efa_interfaces", "network_card_index",
                    "interface_types", "maximum_network_interfaces", "source"])  # fmt: skip
        for it in _aws_rows("gpu_instances.csv", "instance_type"):
            if it not in types:
                continue  # absent from moto's snapshot (p3.*): no card data, the rule says so
            net = types[it]["NetworkInfo"]
            for card in net.get("NetworkCards", []):
                w.writerow([it, net["MaximumNetworkCards"], net.get("EfaInfo", {}).get("MaximumEfaInterfaces", 0),
                            card["NetworkCardIndex"], " ".join(card["InterfaceTypes"]),
                            card["MaximumNetworkInterfaces"],
                            types_src])  # fmt: skip
    from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend

    with (DATA / "aws_subnet_zones.csv").open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["region", "zone", "zone_id", "source"])
        for region in _aws_rows("regions.csv", "region"):
            for z in RegionsAndZonesBackend.zones.get(region, []):
                w.writerow([region, z.name, z.zone_id,
                            zones_src])  # fmt: skip

    # Instance type offerings by AZ ID (DescribeInstanceTypeOfferings LocationType=availability-zone-id):
    # AZ IDs name the same physical zone in every account, unlike zone names.
    offers_src = f"moto {version} ec2/resources/instance_type_offerings/availability-zone-id (snapshot)"
    wanted = set(_aws_rows("gpu_instances.csv", "instance_type"))
    offers_dir = resources.files("moto.ec2") / "resources" / "instance_type_offerings" / "availability-zone-id"
    with (DATA / "aws_zone_offerings.csv").open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["region", "zone_id", "instance_type", "source"])
        for region in _aws_rows("regions.csv", "region"):
            src = offers_dir / f"{region}.json.gz"
            if not src.is_file():
                continue  # no offerings data for the Region: nothing is checked there
            rows = {(o["Location"], o["InstanceType"]) for o in json.loads(gzip.decompress(src.read_bytes()))}
            for zone_id, itype in sorted(r for r in rows if r[1] in wanted):
                w.writerow([region, zone_id, itype, offers_src])


if __name__ == "__main__":
    main()
