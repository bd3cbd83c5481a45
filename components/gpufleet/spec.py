"""Cloud-agnostic, frozen models of what a user declares in ``gpufleet:fleet``.

These models check shape and single-field rules (types, ranges, cron syntax, CIDR,
IANA zones). Rules that need the catalog or a cloud's limits live in
:mod:`gpufleet.validation`, which also turns every failure into a
:class:`gpufleet.errors.ConfigError` naming the field path.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from gpufleet.cron import CronError, parse_cron
from gpufleet.suggest import did_you_mean
from gpufleet.timezones import iana_zones, is_iana_zone

NAME_RE = re.compile(r"^[a-z]([a-z0-9-]*[a-z0-9])?$")
"""Portable resource name: lowercase letters, digits and inner hyphens.

It is the intersection of what the three clouds accept for the names gpufleet
derives (AWS launch templates and ASGs, Azure VMSS and computer-name prefixes,
Alibaba scaling groups); each cloud adds a length limit in its ``rules`` module.
"""


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        use_attribute_docstrings=True,  # the field docstrings become the JSON Schema descriptions
    )


Name = Annotated[str, Field(min_length=1, max_length=40)]
Count = Annotated[int, Field(ge=0, le=2000)]


def _check_name(v: str) -> str:
    if not NAME_RE.match(v):
        raise ValueError(
            f"'{v}' is not a valid name: use lowercase letters, digits and inner hyphens, "
            "starting with a letter (e.g. 'llm-train')"
        )
    return v


class GpuSpec(_Model):
    """Which GPUs each node carries: a model and count, or explicit instance types."""

    model: str | None = None
    """GPU model, e.g. ``H100-80GB``; aliases such as ``h100-80gb`` or ``L4`` resolve."""
    count: Annotated[int, Field(ge=1, le=16)] | None = None
    """GPUs per node. With ``model`` and no ``instanceTypes`` it selects the types."""
    instance_types: tuple[Annotated[str, Field(min_length=1)], ...] | None = Field(default=None, min_length=1)
    """Explicit instance types (pinned by ``gpufleet resolve``), in priority order."""

    @model_validator(mode="after")
    def _model_or_types(self) -> GpuSpec:
        if self.model is None and not self.instance_types:
            raise ValueError("give 'model' (with 'count') or 'instanceTypes'")
        if self.instance_types and len(set(self.instance_types)) != len(self.instance_types):
            raise ValueError("'instanceTypes' lists a type twice")
        return self


class CapacitySpec(_Model):
    """Node counts. ``desired`` is only the initial size: autoscaling owns it afterwards."""

    mode: Literal["elastic", "static"] = "elastic"
    """``elastic``: a scaling group between ``min`` and ``max``. ``static`` (Alibaba Cloud only):
    exactly ``min`` = ``max`` fixed ECS instances in one LowLatency deployment set, for eRDMA
    training clusters; no autoscaling, spot or second zone (docs/alicloud.md)."""
    min: Count = 0
    """Fewest nodes; 0 allows scale to zero."""
    desired: Count | None = None
    """Initial nodes; defaults to ``min``."""
    max: Annotated[int, Field(ge=1, le=2000)]
    """Most nodes; bounds the worst-case cost."""

    @model_validator(mode="after")
    def _ordered(self) -> CapacitySpec:
        desired = self.min if self.desired is None else self.desired
        if not self.min <= desired <= self.max:
            raise ValueError(f"need min <= desired <= max, got min={self.min}, desired={desired}, max={self.max}")
        return self

    @property
    def initial(self) -> int:
        return self.min if self.desired is None else self.desired


class PinBasis(_Model):
    """Where pinned ``maxPrices`` were computed; ``gpufleet resolve --check`` compares it with the
    group's region and the catalog's price date, so a moved or re-priced group is re-pinned."""

    region: str
    """The region whose on-demand prices the caps were taken from."""
    prices_as_of: dt.date | None = None
    """The catalog date of those prices (the newest among the group's types), e.g. ``2026-07-20``;
    None when the catalog rows are undated."""


class MarketSpec(_Model):
    """How nodes are bought: on-demand, spot, or an on-demand base with spot above it."""

    type: Literal["on-demand", "spot", "mixed"] = "on-demand"
    """``spot`` and ``mixed`` both use spot above ``onDemandBase``."""
    on_demand_base: Count = 0
    """Nodes always bought on-demand, before any spot."""
    on_demand_percent_above_base: Annotated[int, Field(ge=0, le=100)] | None = None
    """Share of on-demand above the base; defaults to 0 for spot and mixed, 100 for on-demand."""
    max_price_percent: Annotated[float, Field(gt=0, le=100)] | None = None
    """Spot price cap as a percent of the catalog on-demand price; omit to pay up to on-demand.
    A ceiling, not a saving: nodes pay the current spot price, and on AWS a cap raises
    interruptions (botocore SpotMaxPrice)."""
    allocation_strategy: Literal["price-capacity-optimized", "capacity-optimized", "lowest-price"] = (
        "price-capacity-optimized"
    )
    """How spot capacity is chosen across the instance types."""
    eviction_policy: Literal["delete", "deallocate"] = "delete"
    """What happens to an evicted spot node (Azure only; others always terminate)."""
    max_prices: dict[str, Annotated[float, Field(gt=0)]] | None = None
    """Pinned spot max price per instance type, per node-hour in the catalog currency of the
    region (USD, or CNY on Alibaba). Written by ``gpufleet resolve`` from ``maxPricePercent``
    so a catalog update cannot move a running fleet's caps."""
    max_prices_basis: PinBasis | None = None
    """Where ``maxPrices`` were computed (region, price date); written by ``gpufleet resolve``."""

    @model_validator(mode="after")
    def _consistent(self) -> MarketSpec:
        if self.type == "on-demand":
            if self.max_price_percent is not None or self.max_prices is not None:
                raise ValueError("'maxPricePercent' and 'maxPrices' apply only to market type 'spot' or 'mixed'")
            if self.on_demand_percent_above_base not in (None, 100):
                raise ValueError("'onDemandPercentAboveBase' must be 100 (or omitted) for market type 'on-demand'")
        if self.max_prices_basis is not None and not self.max_prices:
            raise ValueError("'maxPricesBasis' records where 'maxPrices' came from; it needs 'maxPrices'")
        return self

    @property
    def is_spot(self) -> bool:
        return self.type in ("spot", "mixed")

    @property
    def percent_above_base(self) -> int:
        if self.on_demand_percent_above_base is not None:
            return self.on_demand_percent_above_base
        return 100 if self.type == "on-demand" else 0


class ScheduleSpec(_Model):
    """A recurring capacity change, e.g. scale up on weekday evenings."""

    name: Name | None = None
    """Action name; defaults to ``schedule-<index>``."""
    cron: str
    """Five-field cron: minute hour day-of-month month day-of-week."""
    timezone: str = "UTC"
    """IANA time zone the cron runs in, e.g. ``Europe/Berlin``."""
    min: Count | None = None
    """New minimum; unchanged when omitted."""
    desired: Count | None = None
    """New desired count; unchanged when omitted."""
    max: Count | None = None
    """New maximum; unchanged when omitted."""

    def label(self, index: int) -> str:
        """The schedule's name, or ``schedule-<index>`` (its position in the list) when unnamed."""
        return self.name or f"schedule-{index}"

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str) -> str:
        try:
            parse_cron(v)
        except CronError as e:
            raise ValueError(str(e)) from None
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        if not is_iana_zone(v):
            hint = did_you_mean(v, iana_zones(), n=1)
            raise ValueError(f"'{v}' is not an IANA time zone (e.g. 'Europe/Berlin', 'America/New_York', 'UTC').{hint}")
        return v

    @model_validator(mode="after")
    def _sets_something(self) -> ScheduleSpec:
        if self.min is None and self.desired is None and self.max is None:
            raise ValueError("a schedule must set at least one of 'min', 'desired', 'max'")
        lo = self.min if self.min is not None else 0
        if self.max is not None and (lo > self.max or (self.desired is not None and self.desired > self.max)):
            raise ValueError("a schedule needs min <= desired <= max for the values it sets")
        if self.min is not None and self.desired is not None and self.desired < self.min:
            raise ValueError("a schedule needs min <= desired for the values it sets")
        return self


class AutoscalingSpec(_Model):
    """Scaling rules. Without it the group stays at its desired size."""

    gpu_utilization_target: Annotated[float, Field(gt=0, le=100)] | None = None
    """Average GPU utilisation (percent) that target tracking keeps the group at."""
    schedules: tuple[ScheduleSpec, ...] = ()
    """Cron schedules that change min/desired/max."""
    scale_in_cooldown_seconds: Annotated[int, Field(ge=60, le=86400)] = 600
    """Wait after a scale-in before the next one; GPU nodes boot slowly."""
    schedule_start: dt.date | None = None
    """Alibaba Cloud: first day (UTC) of the schedules' window, e.g. ``2026-12-01``; it ends 275 days
    later (ESS: a task's first run within 90 days, its end within 365 days of creation). Omitted, the
    window starts on the deploy date (the plan's ``--as-of``) and each task keeps the window it was
    created with: renew it with ``pulumi up --replace`` on the tasks, or renew a pinned one by moving
    this date (docs/alicloud.md)."""
    metric_published: bool = False
    """Azure only: the GPU metric already exists on the scale set (a node has published it). Until then
    the autoscale setting carries no GPU rules, because Azure refuses a rule on a custom metric that does
    not exist yet; set it true after the first nodes report and run ``pulumi up`` again (docs/azure.md)."""


class NetworkSpec(_Model):
    """Bring your own subnets, or let gpufleet create a private network."""

    subnet_ids: tuple[Annotated[str, Field(min_length=1)], ...] | None = Field(default=None, min_length=1)
    """Existing subnet ids (AWS subnets, Azure subnet resource ids, Alibaba vSwitch ids)."""
    create: bool = False
    """Create a network (VPC/VNet, private subnets, egress) for this group."""
    cidr: str | None = None
    """Address space of a created network; defaults to ``10.40.0.0/16``."""
    resource_group: Annotated[str, Field(min_length=1)] | None = None
    """Azure only: an existing resource group for this group's resources; by default one is created."""
    vpc_id: Annotated[str, Field(min_length=1)] | None = None
    """With ``subnetIds``: the VPC they belong to (AWS and Alibaba security groups need it;
    gpufleet looks nothing up at plan time)."""

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            net = ipaddress.ip_network(v, strict=True)
        except ValueError as e:
            raise ValueError(f"'{v}' is not a valid CIDR ({e}); e.g. '10.40.0.0/16'") from None
        if net.version != 4 or not net.is_private:
            raise ValueError(f"'{v}' must be a private IPv4 range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)")
        if not 16 <= net.prefixlen <= 24:
            raise ValueError(f"'{v}' must have a prefix between /16 and /24 to fit per-zone subnets")
        return v

    @model_validator(mode="after")
    def _one_way(self) -> NetworkSpec:
        if self.create and self.subnet_ids:
            raise ValueError("give either 'subnetIds' or 'create: true', not both")
        if not self.create and not self.subnet_ids:
            raise ValueError("give 'subnetIds' or 'create: true'")
        if self.cidr is not None and not self.create:
            raise ValueError("'cidr' applies only with 'create: true'")
        if self.vpc_id is not None and not self.subnet_ids:
            raise ValueError("'vpcId' applies only with 'subnetIds'")
        return self

    @property
    def address_space(self) -> str:
        return self.cidr or "10.40.0.0/16"


class ImageSpec(_Model):
    """The base image; defaults per cloud are in ``gpufleet.bootstrap.images``."""

    id: str | None = None
    """AMI id, Azure image URN (publisher:offer:sku:version) or Alibaba image id."""
    ssm_parameter: str | None = None
    """AWS only: an SSM parameter resolved at launch (``resolve:ssm:``)."""
    name: str | None = None
    """A baked image of this fleet (``images[].name``): nodes boot it and only verify and start
    its driver stack, whose versions the group's bootstrap must match."""
    driver_included: bool = False
    """The image already ships the NVIDIA driver; bootstrap then checks instead of installing."""

    @model_validator(mode="after")
    def _one(self) -> ImageSpec:
        if sum(x is not None for x in (self.id, self.ssm_parameter, self.name)) != 1:
            raise ValueError("give exactly one of 'id', 'ssmParameter' or 'name'")
        if self.name is not None and self.driver_included:
            raise ValueError(
                "'driverIncluded' applies to 'id' and 'ssmParameter'; a baked image ('name') records its stack"
            )
        return self


class BootstrapSpec(_Model):
    """What cloud-init installs or checks on each node."""

    driver: Annotated[str, Field(pattern=r"^\d{3}$")] = "580"
    """NVIDIA driver branch, e.g. ``580`` (the long-term support branch)."""
    cuda: Annotated[str, Field(pattern=r"^\d{2}\.\d$")] | None = None
    """CUDA toolkit version to install, e.g. ``12.8``; omit for driver only."""
    container_toolkit: bool = True
    """Install the NVIDIA container toolkit."""
    dcgm: bool = True
    """Install DCGM and dcgm-exporter."""
    health_check: bool = True
    """Install the GPU health check (boot + timer) and its health endpoint."""
    dcgm_diag: bool = False
    """Also run ``dcgmi diag -r 1`` in the health check (adds about a minute)."""
    os: Literal["ubuntu-22.04", "ubuntu-24.04"] = "ubuntu-22.04"
    """Node operating system."""
    image: ImageSpec | None = None
    """Override the default base image."""


class AccessSpec(_Model):
    """Operator login to the nodes: SSH keys only, never passwords (Azure needs at least one key)."""

    ssh_public_keys: tuple[Annotated[str, Field(min_length=1)], ...] = Field(min_length=1)
    """OpenSSH public keys for the admin user, e.g. ``ssh-ed25519 AAAA... you@host``."""
    admin_username: Annotated[str, Field(pattern=r"^[a-z_][a-z0-9_-]{0,31}$")] = "azureuser"
    """Login name of the admin user that holds the keys."""


class RolloutSpec(_Model):
    """How nodes are replaced when the group's launch template changes (AWS instance refresh)."""

    surge: bool = False
    """AWS only: launch each replacement before its old node goes (needs a spare node of
    capacity and bills it); by default nodes are replaced without surge."""


InstanceFamily = Annotated[str, Field(pattern=r"^ecs\.[a-z0-9]+$")]


class AlicloudGroupSpec(_Model):
    """Alibaba Cloud settings of one group."""

    low_latency_families: tuple[InstanceFamily, ...] = ()
    """Instance families (e.g. ``ecs.gn8is``) that a LowLatency deployment set accepts in the
    group's region, as your account's API answers: ``aliyun ecs
    DescribeDeploymentSetSupportedInstanceTypeFamily --RegionId <region> --Strategy LowLatency``.
    Required by ``capacity.mode: static``; gpufleet cannot check it offline and no published list
    exists, so it refuses families not listed here."""


class GroupSpec(_Model):
    """One homogeneous group of GPU nodes in one cloud and region."""

    name: Name
    """Group name, unique in the fleet; lowercase letters, digits, hyphens."""
    cloud: Literal["aws", "azure", "alicloud"]
    """Target cloud."""
    region: str
    """Region (AWS/Alibaba region id, Azure location)."""
    zones: tuple[str, ...] = ()
    """Availability zones; empty means the cloud's choice."""
    gpu: GpuSpec
    """GPUs per node."""
    capacity: CapacitySpec
    """Node counts."""
    market: MarketSpec = MarketSpec()
    """On-demand, spot or mixed."""
    rdma: bool = False
    """RDMA fabric between nodes (EFA, InfiniBand, eRDMA)."""
    bootstrap: BootstrapSpec = BootstrapSpec()
    """Driver stack and health check."""
    autoscaling: AutoscalingSpec | None = None
    """Scaling rules."""
    network: NetworkSpec = NetworkSpec(create=True)
    """Where nodes live; by default a new private network."""
    tags: dict[str, str] = {}
    """Extra tags for this group's resources (merged over the fleet's)."""
    access: AccessSpec | None = None
    """Azure only: SSH login to the nodes (required there: Linux scale sets need a key)."""
    encryption_at_host: bool = True
    """Azure only: encrypt temp disks and disk caches on the host (``securityProfile.encryptionAtHost``).
    Needs the subscription feature: ``az feature register --namespace Microsoft.Compute --name
    EncryptionAtHost``, then ``az provider register -n Microsoft.Compute``. ``false`` keeps managed-disk
    encryption at rest (platform-managed keys) only."""
    rollout: RolloutSpec = RolloutSpec()
    """AWS only: how a new launch template reaches running nodes (docs/aws.md)."""
    alicloud: AlicloudGroupSpec | None = None
    """Alibaba Cloud only: the LowLatency families of a ``capacity.mode: static`` group."""

    _name = field_validator("name")(_check_name)

    @model_validator(mode="after")
    def _base_within_max(self) -> GroupSpec:
        if self.market.on_demand_base > self.capacity.max:
            raise ValueError(
                f"market.onDemandBase ({self.market.on_demand_base}) exceeds capacity.max ({self.capacity.max})"
            )
        return self

    # Keys that only some clouds read (access, evictionPolicy, ...) are checked against the
    # capability table by gpufleet.validation, which names the exact field path.


AlicloudBilling = Literal["china", "international"]


class AlicloudFleetSpec(_Model):
    """Alibaba Cloud settings of the account the fleet deploys with."""

    billing: AlicloudBilling
    """Which site bills the account: ``china`` (aliyun.com, CNY) or ``international``
    (alibabacloud.com, USD). ESS reads spot price limits in the account's currency, and the
    catalog holds China-site CNY list prices, so caps are converted for ``international``."""


class BuilderSpec(_Model):
    """The temporary instance a cloud's image builder runs the build on."""

    instance_type: Annotated[str, Field(min_length=1)]
    """A GPU instance type priced in the image's region, e.g. ``g6.xlarge``: the build loads the
    driver it installs, which needs a GPU (a small one is enough)."""
    subnet_id: Annotated[str, Field(min_length=1)]
    """A private subnet (no public IP on launch) with egress to the package repositories. Azure:
    the subnet's resource id (``/subscriptions/.../virtualNetworks/<v>/subnets/<s>``)."""
    security_group_ids: tuple[Annotated[str, Field(min_length=1)], ...] = ()
    """Security groups of the build instance: egress only. AWS: at least one. Azure: not used
    (the subnet's network security group applies)."""
    hours: Annotated[float, Field(gt=0, le=24)] = 1.0
    """Assumed build duration for the cost estimate (an assumption, not a measurement: set it
    from your builds' logs)."""


class GpuImageSpec(_Model):
    """A machine image baked with the pinned GPU stack, built at ``pulumi up`` by the cloud's image builder."""

    name: Name
    """Image name, unique in the fleet; groups reference it as ``bootstrap.image.name``."""
    cloud: Literal["aws", "azure", "alicloud"]
    """Cloud the image is built in."""
    region: str
    """Region the build runs in."""
    regions: tuple[str, ...] = ()
    """More regions the image is copied to (AWS distribution); groups may use it there too."""
    instance_types: tuple[Annotated[str, Field(min_length=1)], ...] = Field(min_length=1)
    """Instance types the image targets: their GPUs and families decide the driver modules,
    fabric manager and NVLSM, checked against the driver matrix. Groups on the image must
    launch only these."""
    rdma: bool = False
    """Bake the RDMA stack (AWS: EFA installer with aws-ofi-nccl)."""
    bootstrap: BootstrapSpec = BootstrapSpec()
    """The stack baked in: os, driver, cuda, containerToolkit, dcgm, healthCheck; ``image`` is the
    base image (default: the cloud's plain Ubuntu, so the pinned driver is what gets installed)."""
    builder: BuilderSpec
    """The build instance."""
    retain: Annotated[int, Field(ge=1, le=1000)] = 3
    """Newest image versions kept: AWS by the Image Builder lifecycle policy (older ones are
    deleted with their snapshots); Azure and Alibaba by ``gpufleet images prune``, which prints
    the delete commands (docs/images.md, "Retention")."""
    retain_launched_days: Annotated[int, Field(ge=1, le=365)] = 30
    """Never delete a version launched from (AWS) or created (Azure, Alibaba: no launch time is
    recorded) in this many days."""
    tags: dict[str, str] = {}
    """Extra tags on the image and its build resources (merged over the fleet's)."""
    published: bool = False
    """Azure and Alibaba: the first build has finished (Azure: the gallery holds a version;
    Alibaba: an image of this stack is Available). Their builders build after ``pulumi up``
    returns, so groups may use the image only from the next ``pulumi up`` on, with this set
    (docs/images.md). AWS waits for its build and ignores it."""

    _name = field_validator("name")(_check_name)

    @property
    def all_regions(self) -> tuple[str, ...]:
        """The build region, then each distribution region once."""
        return tuple(dict.fromkeys((self.region, *self.regions)))


class FleetSpec(_Model):
    """The whole fleet: the value of the ``gpufleet:fleet`` config key."""

    name: Name
    """Fleet name, used as the prefix of every resource name."""
    tags: dict[str, str] = {}
    """Tags on every resource (cost allocation, ownership)."""
    groups: tuple[GroupSpec, ...] = Field(min_length=1)
    """The node groups."""
    alicloud: AlicloudFleetSpec | None = None
    """Alibaba Cloud account settings; ``billing`` is required when an Alibaba group caps spot."""
    images: tuple[GpuImageSpec, ...] = ()
    """Baked GPU images that groups boot from (``bootstrap.image.name``)."""

    _name = field_validator("name")(_check_name)

    def image(self, name: str) -> GpuImageSpec | None:
        """The fleet's baked image called ``name``, if any."""
        return next((i for i in self.images if i.name == name), None)

    def group(self, name: str) -> GroupSpec:
        for g in self.groups:
            if g.name == name:
                return g
        raise KeyError(name)
