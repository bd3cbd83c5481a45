"""Hypothesis strategies for VALID fleet specs across the three clouds.

Specs are drawn from the bundled catalog (an instance type with a price in the chosen region),
so nearly all validate: every market, RDMA on (where the type has it) and off, schedules within
the group's capacity, created and existing networks. A drawn spec the validator still refuses
must be refused with field paths (the properties check that); anything else is a bug.

Shared by the contract properties (issue 12) and the one-model properties (issue 13).
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from gpufleet.catalog import Catalog, load_catalog

# One CI profile for plan-level properties: deterministic and small (issue 12 test budget).
settings.register_profile(
    "plan-ci",
    derandomize=True,
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
PLAN_PROFILE = settings.get_profile("plan-ci")

CLOUDS = ("aws", "azure", "alicloud")
MARKETS = ("on-demand", "spot", "mixed")
# A placeholder PUBLIC key (as in stacks/Pulumi.multicloud-burst.yaml; its private half was discarded).
SSH_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAULps34f0r5pjD9iO4Wsw6kuCgJAW2hI4Ampxs/n482 gpufleet-placeholder-replace-me"
)
TIMEZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo")
FIXED_OFFSET_TIMEZONES = ("UTC", "Asia/Tokyo")
"""Alibaba ESS crons are UTC; gpufleet converts only zones that keep one offset all year."""
ALI_SCHEDULE_START = "2026-12-01"
"""ESS scheduled tasks must start within 90 days of creation (as in the alicloud-inference template)."""
AZURE_SUBNET = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/net/providers/"
    "Microsoft.Network/virtualNetworks/vnet/subnets/gpu"
)
_CATALOG: Catalog | None = None


def catalog() -> Catalog:
    global _CATALOG
    if _CATALOG is None:
        _CATALOG = load_catalog()
    return _CATALOG


def _priced(cloud: str) -> list[tuple[str, str]]:
    """(instance type, region) pairs the catalog prices, whole-GPU types with a known model."""
    cat = catalog()
    out = []
    for name in cat.instance_names(cloud):  # type: ignore[arg-type]
        it = cat.instance(cloud, name)  # type: ignore[arg-type]
        if it is None or it.gpu_model is None or it.gpu_count.denominator != 1:
            continue
        out += [(name, region) for region in cat.priced_regions(cloud, name)]  # type: ignore[arg-type]
    return sorted(out)


def _zone(cloud: str, region: str, letter: str) -> str:
    if cloud == "azure":
        return str("abc".index(letter) + 1)
    # AWS and Alibaba: region + letter ("us-east-1a"; Alibaba "cn-hangzhou-h" where the region ends in a letter).
    return f"{region}{letter}" if region[-1].isdigit() else f"{region}-{letter}"


@st.composite
def schedules(draw: st.DrawFn, cap_min: int, cap_max: int, zones: tuple[str, ...] = TIMEZONES) -> list[dict[str, Any]]:
    out = []
    for i in range(draw(st.integers(0, 2))):
        hour = draw(st.integers(0, 23))
        days = draw(st.sampled_from(["*", "1-5", "0,6"]))
        s: dict[str, Any] = {"name": f"s{i}", "cron": f"0 {hour} * * {days}", "timezone": draw(st.sampled_from(zones))}
        desired = draw(st.integers(cap_min, cap_max))
        s["desired"] = desired
        if draw(st.booleans()):
            s["min"] = draw(st.integers(0, desired))
        out.append(s)
    return out


@st.composite
def groups(draw: st.DrawFn, cloud: str | None = None, name: str = "g0") -> dict[str, Any]:
    """One valid group of ``cloud`` (any cloud when None)."""
    cloud = cloud or draw(st.sampled_from(CLOUDS))
    itype, region = draw(st.sampled_from(_priced(cloud)))
    it = catalog().instance(cloud, itype)  # type: ignore[arg-type]
    assert it is not None and it.gpu_model is not None
    rdma = it.has_rdma and draw(st.booleans())
    gpu: dict[str, Any] = {"model": it.gpu_model, "count": int(it.gpu_count)}
    if draw(st.booleans()) or rdma:
        gpu["instanceTypes"] = [itype]  # pinned; else resolve picks by model and count
    cmax = draw(st.integers(1, 6))
    cmin = draw(st.integers(0, min(cmax, 2)))
    capacity = {"min": cmin, "desired": draw(st.integers(cmin, cmax)), "max": cmax}
    market: dict[str, Any] = {"type": draw(st.sampled_from(MARKETS))}
    if market["type"] != "on-demand" and draw(st.booleans()):
        market["maxPricePercent"] = draw(st.sampled_from([50, 70, 80, 100]))
    if market["type"] == "mixed":
        market["onDemandBase"] = draw(st.integers(0, cmax))
    letters = draw(st.lists(st.sampled_from("abc"), min_size=0 if cloud == "aws" else 1, max_size=2, unique=True))
    if rdma:
        letters = letters[:1] or ["a"]
    zones = [_zone(cloud, region, x) for x in letters]
    if draw(st.booleans()):
        network: dict[str, Any] = {"create": True, "cidr": "10.40.0.0/16"}
    else:
        net_id = {"aws": "subnet-0abc", "azure": AZURE_SUBNET, "alicloud": "vsw-0abc"}[cloud]
        network = {"subnetIds": [net_id]}
        if cloud == "aws":
            network["vpcId"] = "vpc-0abc"
        if cloud == "alicloud":
            network["vpcId"] = "vpc-0abc"
    group: dict[str, Any] = {
        "name": name,
        "cloud": cloud,
        "region": region,
        "zones": zones,
        "gpu": gpu,
        "capacity": capacity,
        "market": market,
        "rdma": rdma,
        "network": network,
    }
    autoscaling: dict[str, Any] = {}
    if draw(st.booleans()):
        autoscaling["gpuUtilizationTarget"] = draw(st.sampled_from([50, 70, 85]))
    tzs = FIXED_OFFSET_TIMEZONES if cloud == "alicloud" else TIMEZONES
    if scheds := draw(schedules(cmin, cmax, tzs)):
        autoscaling["schedules"] = scheds
        if cloud == "alicloud":
            autoscaling["scheduleStart"] = ALI_SCHEDULE_START
    if autoscaling:
        group["autoscaling"] = autoscaling
    if cloud == "azure":
        group["access"] = {"sshPublicKeys": [SSH_KEY]}
    if cloud == "alicloud" and draw(st.booleans()):
        # capacity.mode static (issue 16 item 4): fixed size, on-demand, one zone and type, no
        # autoscaling; the family list stands for the user's DescribeDeploymentSetSupported...
        # answer (gpufleet.alicloud.static), which a generated spec can only assume.
        from gpufleet.alicloud.static import family_of

        group.update(
            capacity={"mode": "static", "min": cmax, "max": cmax},
            market={"type": "on-demand"},
            zones=zones[:1],
            gpu={**gpu, "instanceTypes": [itype]},
            alicloud={"lowLatencyFamilies": [family_of(itype)]},
        )
        group.pop("autoscaling", None)
    return group


@st.composite
def fleets(draw: st.DrawFn, cloud: str | None = None) -> dict[str, Any]:
    """A valid ``gpufleet:fleet`` value with one or two groups."""
    n = draw(st.integers(1, 2))
    gs = [draw(groups(cloud, name=f"g{i}")) for i in range(n)]
    out: dict[str, Any] = {"name": "gen", "tags": {"owner": "ml", "env": "dev"}, "groups": gs}
    if any(g.get("cloud") == "alicloud" for g in gs):  # capped Alibaba spot needs it (issue 16 item 6)
        out["alicloud"] = {"billing": draw(st.sampled_from(["china", "international"]))}
    return out
