"""GPU groups recovered from a stack's resources, the same way on every cloud.

Stack policies (budget, spot caps, quota, tags, RDMA) need facts spread over several
resources: an AWS Auto Scaling group names its launch template by id, an Azure scale
set's maximum lives in an AutoscaleSetting, an Alibaba scaling group's instance types
live in its scaling configuration. This module joins them into one :class:`Group`.

Joins follow the dependency edges the engine records (a resource that reads another's
output depends on it), then fall back to matching ids/names in the props, so they work
both on mock-captured graphs and on the engine's own resources.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pulumi_policy import PolicyResource

from gpufleet.alicloud.spot import SPOT_CURRENCY_TAG
from gpufleet.catalog import Cloud
from gpufleet.policy import props as p
from gpufleet.policy.regions import Placement, placement
from gpufleet.pricing.price import split_nodes

ASG = "aws:autoscaling/group:Group"
AWS_LT = "aws:ec2/launchTemplate:LaunchTemplate"
AWS_PG = "aws:ec2/placementGroup:PlacementGroup"
VMSS = "azure-native:compute:VirtualMachineScaleSet"
AUTOSCALE = "azure-native:monitor:AutoscaleSetting"
ESS_GROUP = "alicloud:ess/scalingGroup:ScalingGroup"
ESS_CONFIG = "alicloud:ess/scalingConfiguration:ScalingConfiguration"
ALI_LT = "alicloud:ecs/ecsLaunchTemplate:EcsLaunchTemplate"
ALI_DEPLOYMENT_SET = "alicloud:ecs/ecsDeploymentSet:EcsDeploymentSet"

ALI_INSTANCE = "alicloud:ecs/instance:Instance"

GROUP_TYPES = (ASG, VMSS, ESS_GROUP, ALI_DEPLOYMENT_SET)
"""The resources that own a GPU group's capacity, one per group."""


class Index:
    """Lookups over one stack's resources, built once per policy run."""

    def __init__(self, resources: Sequence[PolicyResource]) -> None:
        self.resources = resources
        self.by_type: dict[str, list[PolicyResource]] = defaultdict(list)
        self.dependents: dict[str, list[PolicyResource]] = defaultdict(list)
        for r in resources:
            self.by_type[r.resource_type].append(r)
            for d in r.dependencies:
                self.dependents[d.urn].append(r)
        self._ids: dict[str, dict[str, PolicyResource]] = {}

    def _by_id(self, type_: str) -> dict[str, PolicyResource]:
        if type_ not in self._ids:
            table: dict[str, PolicyResource] = {}
            for r in self.by_type.get(type_, []):
                for key in ("id", "name", "launchTemplateName", "placementGroupName", "deploymentSetName"):
                    value = p.join_key(r.props, key)
                    if value:
                        table.setdefault(value, r)
            self._ids[type_] = table
        return self._ids[type_]

    def referenced(self, r: PolicyResource, type_: str, value: str | None) -> PolicyResource | None:
        """The ``type_`` resource that ``r`` refers to with ``value`` (an id or a name).

        A single dependency of that type wins; with several, the one whose id or name
        equals ``value``; with none, any resource of the type with that id or name.
        """
        deps = [d for d in r.dependencies if d.resource_type == type_]
        if len(deps) == 1:
            return deps[0]
        if value:
            for d in deps:
                if value in (p.join_key(d.props, "id"), d.name):
                    return d
            return self._by_id(type_).get(value)
        return None

    def dependents_of(self, r: PolicyResource, type_: str) -> list[PolicyResource]:
        return [d for d in self.dependents.get(r.urn, []) if d.resource_type == type_]


@dataclass(frozen=True)
class Market:
    """How a group's nodes split between on-demand and spot, and the spot price caps."""

    on_demand_base: int
    """Nodes that are always on-demand."""
    on_demand_percent: float
    """Percent of nodes above the base that are on-demand (100 = no spot)."""
    caps: dict[str, float | None] = field(default_factory=dict)
    """Spot max price per instance type in ``cap_currency``; None = uncapped (up to on-demand)."""
    cap_currency: str = "USD"
    cap_field: str = ""
    """The property the caps come from, for messages (``spotMaxPrice`` ...)."""
    uncapped: str = "no max price is set"
    """What an uncapped type means on this cloud, for messages."""
    shared_cap: bool = False
    """One max price covers every instance type (an AWS Auto Scaling group's single ``spotMaxPrice``)."""

    def split(self, nodes: int) -> tuple[int, int]:
        """(on-demand, spot) node counts for ``nodes``, by :func:`gpufleet.pricing.split_nodes`."""
        s = split_nodes(nodes, self.on_demand_base, self.on_demand_percent, self.on_demand_percent < 100)
        return s.on_demand, s.spot


ON_DEMAND = Market(on_demand_base=0, on_demand_percent=100.0)


@dataclass(frozen=True)
class Group:
    """One GPU group: the resource owning its capacity plus what it launches from."""

    cloud: Cloud
    resource: PolicyResource
    placement: Placement
    instance_types: tuple[str, ...]
    min: int
    desired: int
    max: int
    capacity_note: str
    """Where ``max`` came from when not the group resource itself (Azure autoscale)."""
    market: Market
    parts: tuple[PolicyResource, ...]
    """Launch templates, scaling configurations and autoscale settings of the group."""

    @property
    def label(self) -> str:
        region = self.placement.region or "region unknown"
        return f"{self.resource.resource_type} '{self.resource.name}' ({self.cloud} {region})"

    def spot_nodes(self, nodes: int) -> int:
        return self.market.split(nodes)[1]


def _int(value: float | None, default: int = 0) -> int:
    return default if value is None else max(0, int(value))


def _unique(values: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


# AWS --------------------------------------------------------------------------------------------


def aws_launch_templates(index: Index, asg: PolicyResource) -> list[PolicyResource]:
    """The launch templates an Auto Scaling group launches from (main one first)."""
    props = asg.props
    spec = ("mixedInstancesPolicy", "launchTemplate", "launchTemplateSpecification")
    refs = [p.join_key(props, *spec, k) for k in ("launchTemplateId", "launchTemplateName")]
    refs += [p.join_key(props, "launchTemplate", k) for k in ("id", "name")]
    main = next((lt for ref in refs if ref and (lt := index.referenced(asg, AWS_LT, ref))), None)
    if main is None:
        main = index.referenced(asg, AWS_LT, None)
    found = [main] if main is not None else []
    for d in asg.dependencies:
        if d.resource_type == AWS_LT and d not in found:
            found.append(d)
    return found


def _aws(index: Index, asg: PolicyResource) -> Group:
    props = asg.props
    lts = aws_launch_templates(index, asg)
    lt = lts[0] if lts else None
    mip = p.get(props, "mixedInstancesPolicy")
    if mip is not None:
        types = _unique(p.text(o, "instanceType") for o in p.items(mip, "launchTemplate", "overrides"))
        dist = p.get(mip, "instancesDistribution")
        # Defaults of InstancesDistribution: base 0, percent above base 100 (AWS API reference,
        # InstancesDistribution); an empty or absent SpotMaxPrice means "up to on-demand".
        base = _int(p.number(dist, "onDemandBaseCapacity"))
        pct = p.number(dist, "onDemandPercentageAboveBaseCapacity")
        max_price = p.number(dist, "spotMaxPrice")
        # One SpotMaxPrice for every override (AWS API reference, InstancesDistribution); gpufleet sets it
        # to the highest per-type cap (docs/aws.md), so it is only meaningful against the priciest type.
        market = Market(
            base,
            100.0 if pct is None else pct,
            {},
            "USD",
            "spotMaxPrice",
            "spotMaxPrice is empty or unset",
            shared_cap=True,
        )
    else:
        types = ()
        market = ON_DEMAND
        if lt is not None and p.text(lt.props, "instanceMarketOptions", "marketType") == "spot":
            max_price = p.number(lt.props, "instanceMarketOptions", "spotOptions", "maxPrice")
            field_ = "instanceMarketOptions.spotOptions.maxPrice"
            market = Market(0, 0.0, {}, "USD", field_, f"{field_} is unset")
        else:
            max_price = None
    if not types and lt is not None:
        types = _unique([p.text(lt.props, "instanceType")])
    if market.on_demand_percent < 100:
        market = Market(
            market.on_demand_base,
            market.on_demand_percent,
            dict.fromkeys(types, max_price),
            "USD",
            market.cap_field,
            market.uncapped,
            market.shared_cap,
        )
    min_size = _int(p.number(props, "minSize"))
    max_size = _int(p.number(props, "maxSize"))
    desired = _int(p.number(props, "desiredCapacity"), min_size)
    return Group(
        "aws",
        asg,
        placement("aws", props, asg.provider),
        types,
        min_size,
        desired,
        max(max_size, desired),
        "",
        market,
        tuple(lts),
    )


# Azure ------------------------------------------------------------------------------------------


def _azure(index: Index, vmss: PolicyResource) -> Group:
    props = vmss.props
    vmss_id = p.join_key(props, "id")
    settings = index.dependents_of(vmss, AUTOSCALE)
    if not settings and vmss_id:
        settings = [s for s in index.by_type.get(AUTOSCALE, []) if p.join_key(s.props, "targetResourceUri") == vmss_id]
    capacity = _int(p.number(props, "sku", "capacity"))
    maxima = [p.number(pr, "capacity", "maximum") for s in settings for pr in p.items(s.props, "profiles")]
    minima = [p.number(pr, "capacity", "minimum") for s in settings for pr in p.items(s.props, "profiles")]
    known_max = [int(m) for m in maxima if m is not None]
    known_min = [int(m) for m in minima if m is not None]
    note = f"max of {len(settings)} autoscale setting(s)" if known_max else ""
    vm = p.get(props, "virtualMachineProfile")
    priority = (p.text(vm, "priority") or "Regular").lower()
    if priority in ("spot", "low"):
        mix = p.get(props, "priorityMixPolicy")
        base = _int(p.number(mix, "baseRegularPriorityCount"))
        pct = p.number(mix, "regularPriorityPercentageAboveBase")
        max_price = p.number(vm, "billingProfile", "maxPrice")
        cap = None if max_price is None or max_price < 0 else max_price  # -1 = up to on-demand (Azure BillingProfile)
        sku = p.text(props, "sku", "name")
        market = Market(
            base,
            pct or 0.0,
            {sku: cap} if sku else {},
            "USD",
            "billingProfile.maxPrice",
            "billingProfile.maxPrice is -1 or unset",
        )
    else:
        market = ON_DEMAND
    return Group(
        "azure",
        vmss,
        placement("azure", props, vmss.provider),
        _unique([p.text(props, "sku", "name")]),
        min(known_min) if known_min else capacity,
        capacity,
        max([capacity, *known_max]),
        note,
        market,
        tuple(settings),
    )


# Alibaba ----------------------------------------------------------------------------------------


def ess_sources(index: Index, group: PolicyResource) -> tuple[list[PolicyResource], PolicyResource | None]:
    """The scaling configurations and the launch template a scaling group launches from."""
    configs = index.dependents_of(group, ESS_CONFIG)
    group_id = p.join_key(group.props, "id")
    if not configs and group_id:
        configs = [c for c in index.by_type.get(ESS_CONFIG, []) if p.join_key(c.props, "scalingGroupId") == group_id]
    lt_ref = p.join_key(group.props, "launchTemplateId")
    has_lt = lt_ref is not None or any(d.resource_type == ALI_LT for d in group.dependencies)
    lt = index.referenced(group, ALI_LT, lt_ref) if has_lt else None
    return configs, lt


def _alicloud(index: Index, group: PolicyResource, currency: str) -> Group:
    props = group.props
    # gpufleet tags a group with the currency its limits were written in (alicloud.billing);
    # the configured alicloudPriceCurrency is for groups without it.
    currency = p.text(props, "tags", SPOT_CURRENCY_TAG) or currency
    configs, lt = ess_sources(index, group)
    types: list[str | None] = []
    caps: dict[str, float | None] = {}
    spot = False
    for c in configs:
        c_types = [p.text(c.props, "instanceType")]
        c_types += [p.text(t) for t in p.items(c.props, "instanceTypes")]
        c_types += [p.text(o, "instanceType") for o in p.items(c.props, "instanceTypeOverrides")]
        types += c_types
        strategy = p.text(c.props, "spotStrategy") or "NoSpot"
        if strategy != "NoSpot":
            spot = True
            limits = {p.text(x, "instanceType"): p.number(x, "priceLimit") for x in p.items(c.props, "spotPriceLimits")}
            for t in _unique(c_types):
                caps[t] = limits.get(t) if strategy == "SpotWithPriceLimit" else None
    if lt is not None:
        lt_type = p.text(lt.props, "instanceType")
        overrides = p.items(props, "launchTemplateOverrides")
        lt_types = [lt_type, *(p.text(o, "instanceType") for o in overrides)]
        if not configs:
            types += lt_types
        strategy = p.text(lt.props, "spotStrategy") or "NoSpot"
        if strategy != "NoSpot" and not configs:
            spot = True
            per_type = {p.text(o, "instanceType"): p.number(o, "spotPriceLimit") for o in overrides}
            for t in _unique(lt_types):
                limit = per_type.get(t) if t in per_type else p.number(lt.props, "spotPriceLimit")
                caps[t] = limit if strategy == "SpotWithPriceLimit" else None
    if spot:
        # COST_OPTIMIZED groups take an on-demand base and percentage; COMPOSABLE ones the
        # capacity_options_* twins (terraform-provider-alicloud ess_scaling_group docs).
        # Without either, every node of a spot configuration is spot.
        base = p.number(props, "onDemandBaseCapacity")
        pct = p.number(props, "onDemandPercentageAboveBaseCapacity")
        if base is None and pct is None:
            base = p.number(props, "capacityOptionsOnDemandBaseCapacity")
            pct = p.number(props, "capacityOptionsOnDemandPercentageAboveBaseCapacity")
        market = Market(
            _int(base), pct or 0.0, caps, currency, "spot price limit", "SpotAsPriceGo or no price limit for the type"
        )
    else:
        market = ON_DEMAND
    min_size = _int(p.number(props, "minSize"))
    max_size = _int(p.number(props, "maxSize"))
    desired = _int(p.number(props, "desiredCapacity"), min_size)
    parts = tuple(configs) + ((lt,) if lt is not None else ())
    return Group(
        "alicloud",
        group,
        placement("alicloud", props, group.provider),
        _unique(types),
        min_size,
        desired,
        max(max_size, desired),
        "",
        market,
        parts,
    )


def _alicloud_static(index: Index, ds: PolicyResource) -> Group | None:
    """A static cluster (``capacity.mode: static``): the ecs.Instance nodes of one deployment set,
    a fixed size (min = desired = max = their count); None for a deployment set without nodes."""
    nodes = [
        r
        for r in index.by_type.get(ALI_INSTANCE, [])
        if index.referenced(r, ALI_DEPLOYMENT_SET, p.join_key(r.props, "deploymentSetId")) is ds
    ]
    if not nodes:
        return None
    spot = any((p.text(n.props, "spotStrategy") or "NoSpot") != "NoSpot" for n in nodes)
    types = _unique(p.text(n.props, "instanceType") for n in nodes)
    market = Market(0, 0.0, dict.fromkeys(types), "CNY", "spotStrategy", "no spot_price_limit") if spot else ON_DEMAND
    count = len(nodes)
    return Group(
        "alicloud",
        ds,
        placement("alicloud", ds.props, ds.provider),
        types,
        count,
        count,
        count,
        "",
        market,
        tuple(nodes),
    )


def find_groups(resources: Sequence[PolicyResource], alicloud_currency: str = "CNY") -> list[Group]:
    """Every GPU group in the stack, in resource order.

    ``alicloud_currency`` is the currency of Alibaba spot price limits (the catalog's
    CNY by default; accounts billed in USD set it in the policy config).
    """
    index = Index(resources)
    out: list[Group] = []
    for r in resources:
        if r.resource_type == ASG:
            out.append(_aws(index, r))
        elif r.resource_type == VMSS:
            out.append(_azure(index, r))
        elif r.resource_type == ESS_GROUP:
            out.append(_alicloud(index, r, alicloud_currency))
        elif r.resource_type == ALI_DEPLOYMENT_SET:
            static = _alicloud_static(index, r)
            if static is not None:
                out.append(static)
    return out
