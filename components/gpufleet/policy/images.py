"""image-builder-hardening: the temporary build instances of baked images are held to the same
rules as GPU nodes (IMDSv2, encrypted volumes, tagged, in a named subnet, no public IP).

The builders set all of this (``gpufleet.imagebuild.aws``, ``.azure``, ``.alicloud``); the
policy makes it a verdict that survives a hand-edited program or a future builder. Build cost
is in ``gpu-budget-cap`` (:func:`build_costs`).

What each cloud lets a policy see differs:

- AWS: the infrastructure configuration (IMDSv2, subnet, resourceTags) and the recipe's EBS
  mappings (encryption).
- Azure: the image template (subnet, managedResourceTags); managed disks are encrypted at rest
  by default, so there is no volume switch.
- Alibaba: the image template (``ecs.EcsImagePipeline``: public bandwidth, vSwitch, tags).
  ``CreateImagePipeline`` has **no** disk encryption parameter (alibabacloud_ecs20140526
  ``CreateImagePipelineRequest``; pulumi-alicloud 4.0 ``EcsImagePipelineArgs`` neither), so the
  build disk's encryption is not in any input and this policy does not check it: it follows the
  base image and the region's account-level default encryption (docs/images.md, Policies).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from gpufleet.catalog import Catalog, Cloud
from gpufleet.imagebuild.cost import BUILD_HOURS_TAG
from gpufleet.policy import props as p
from gpufleet.policy.base import schema, settings
from gpufleet.policy.regions import placement
from gpufleet.pricing.price import on_demand_quote, to_usd

IB_INFRA = "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration"
AZURE_IB_TEMPLATE = "azure-native:virtualmachineimages:VirtualMachineImageTemplate"
"""An Azure VM Image Builder template: its ``vmProfile.vmSize`` is the builder (gpufleet.imagebuild.azure)."""
IB_RECIPE = "aws:imagebuilder/imageRecipe:ImageRecipe"
ALI_IB_PIPELINE = "alicloud:ecs/ecsImagePipeline:EcsImagePipeline"
"""An Alibaba Image Builder template: its ``instanceType`` is the builder (gpufleet.imagebuild.alicloud)."""


HARDENING_SCHEMA = schema(
    {
        "requiredResourceTags": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["gpufleet-fleet", "gpufleet-image"],
            "description": "Tag keys every image build instance must carry (its resourceTags).",
        },
    }
)


def _name(args: ResourceValidationArgs) -> str:
    return f"{args.resource_type} '{args.name}'"


def _infra_problems(args: ResourceValidationArgs) -> list[str]:
    props = args.props
    out = []
    tokens = p.text(props, "instanceMetadataOptions", "httpTokens") or "optional (the default)"
    if tokens != "required":
        out.append(
            f"the build instance allows IMDSv1: instanceMetadataOptions.httpTokens is {tokens}; set it to 'required'"
        )
    if not p.present(props, "subnetId"):
        # Without a subnet Image Builder launches the build instance in the default VPC, whose subnets
        # give public IPs [DOC: EC2 Image Builder User Guide, "Manage infrastructure configuration";
        # default VPC subnets map public IPs: Amazon VPC User Guide "Default VPCs"; UNVERIFIED wording].
        out.append(
            "no subnetId: the build instance would run in the default VPC with a public IP; name a private subnet"
        )
    tags = p.tags(p.get(props, "resourceTags"))
    if not tags:
        out.append("no resourceTags: the build instance and its volumes would be untagged; set resourceTags")
    else:
        missing = _missing_tags(args, tags)
        if missing:
            out.append(
                f"resourceTags lack {', '.join(missing)} (requiredResourceTags): the build instance is untraceable"
            )
    return out


def _missing_tags(args: ResourceValidationArgs, tags: Mapping[str, str]) -> list[str]:
    """The policy's ``requiredResourceTags`` that ``tags`` lacks or leaves empty."""
    return [k for k in settings(args.get_config(), HARDENING_SCHEMA)["requiredResourceTags"] if not tags.get(k)]


def _azure_template_problems(args: ResourceValidationArgs) -> list[str]:
    """Azure managed disks are encrypted at rest by default (platform-managed keys), so the
    volume rule has no Azure switch to hold; the subnet and the tags do."""
    props = args.props
    out = []
    if not p.present(p.get(props, "vmProfile"), "vnetConfig", "subnetId"):
        # "If you don't specify an existing virtual network, VM Image Builder creates one ... The
        # service uses a public IP resource" [DOC: learn.microsoft.com/azure/virtual-machines/linux/
        # image-builder-networking].
        out.append("no vmProfile.vnetConfig.subnetId: the build VM would get a public IP; name a private subnet")
    tags = p.tags(p.get(props, "managedResourceTags"))
    missing = _missing_tags(args, tags)
    if missing:
        out.append(f"managedResourceTags lack {', '.join(missing)} (requiredResourceTags): the build VM is untraceable")
    return out


def _alicloud_pipeline_problems(args: ResourceValidationArgs) -> list[str]:
    """The template is all a policy sees of Alibaba's intermediate instance."""
    props = args.props
    out = []
    # Absent means 0: "The outbound public bandwidth of the intermediate instance ... Default
    # value: 0" [SDK: alibabacloud_ecs20140526 CreateImagePipelineRequest.internet_max_bandwidth_out].
    # A public IP needs bandwidth > 0 (AllocatePublicIpAddress precautions, as in no-public-ip).
    bandwidth = p.number(props, "internetMaxBandwidthOut") or 0
    if bandwidth > 0:
        out.append(
            f"internetMaxBandwidthOut is {bandwidth:g} Mbit/s: the build instance would get a public IP; "
            "set it 0 (or omit it) and reach the package repositories through the vSwitch's NAT gateway"
        )
    if not p.present(props, "vswitchId"):
        # "If you do not specify this parameter, a new VPC and vSwitch are created by default"
        # [SDK: CreateImagePipelineRequest.v_switch_id; pulumi-alicloud EcsImagePipelineArgs.vswitch_id].
        out.append(
            "no vswitchId: Image Builder would create a new VPC and vSwitch for the build instance, outside "
            "the fleet's network; name a private vSwitch"
        )
    # Whether Image Builder copies the template's tags to the intermediate instance is UNVERIFIED
    # (the SDK says only "The list of tags"); the template is the one taggable input.
    tags = p.tags(p.get(props, "tags"))
    if not tags:
        out.append("no tags: the image template and its builds would be untagged; set tags")
    else:
        missing = _missing_tags(args, tags)
        if missing:
            out.append(f"tags lack {', '.join(missing)} (requiredResourceTags): the build is untraceable")
    return out


def _recipe_problems(args: ResourceValidationArgs) -> list[str]:
    mappings = [m for m in p.items(args.props, "blockDeviceMappings") if p.get(m, "ebs") is not None]
    if not mappings:
        return [
            "declares no blockDeviceMappings, so the build volume's (and the AMI's) encryption depends on the parent "
            "image and the account default: map the root device with ebs.encrypted 'true'"
        ]
    return [
        f"EBS volume {p.text(m, 'deviceName') or f'#{i}'} is not encrypted: set ebs.encrypted to 'true'"
        for i, m in enumerate(mappings)
        if not p.flag(m, "ebs", "encrypted")
    ]


def validate_image_builder(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == IB_INFRA:
        problems = _infra_problems(args)
    elif args.resource_type == IB_RECIPE:
        problems = _recipe_problems(args)
    elif args.resource_type == AZURE_IB_TEMPLATE:
        problems = _azure_template_problems(args)
    elif args.resource_type == ALI_IB_PIPELINE:
        problems = _alicloud_pipeline_problems(args)
    else:
        return
    for problem in problems:
        report_violation(f"{_name(args)}: {problem}.", None)


IMAGE_BUILDER_HARDENING = ResourceValidationPolicy(
    name="image-builder-hardening",
    description=(
        "Image build instances require IMDSv2, encrypted volumes, tags and a named (private) subnet, and no "
        "public bandwidth on Alibaba (whose template has no encryption setting to check)."
    ),
    validate=validate_image_builder,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=HARDENING_SCHEMA,
    severity=Severity.HIGH,
    remediation_steps=(
        "Use gpufleet's images: section, or set httpTokens, ebs.encrypted, resourceTags and subnetId (AWS), "
        "vnetConfig.subnetId and managedResourceTags (Azure), vswitchId, internetMaxBandwidthOut 0 and tags (Alibaba)."
    ),
)


def build_costs(resources: Sequence[PolicyResource], catalog: Catalog) -> tuple[list[BuildCharge], list[BuildCharge]]:
    """One build of each image in the stack, priced from its infrastructure configuration (AWS)
    or image template (Azure, Alibaba): the builder type, the region and the
    ``gpufleet-build-hours`` tag. The price is the catalog's on-demand quote converted to USD at
    the catalog's rate (``cnyUsdRate`` when configured), as :func:`gpufleet.pricing.price_nodes`
    prices a group's on-demand node. Alibaba templates have no region input: it comes from the
    explicit provider, as for every Alibaba resource (:func:`placement`). Returns (priced,
    unpriced); an unpriced one carries the reason in ``label``."""
    priced, unpriced = [], []
    for r in resources:
        if r.resource_type == IB_INFRA:
            cloud: Cloud = "aws"
            types = [str(t) for t in p.items(r.props, "instanceTypes")]
        elif r.resource_type == AZURE_IB_TEMPLATE:
            cloud = "azure"
            size = p.text(p.get(r.props, "vmProfile"), "vmSize")
            types = [size] if size else []
        elif r.resource_type == ALI_IB_PIPELINE:
            cloud = "alicloud"
            # Without instanceType Image Builder picks a small general type (SDK docstring:
            # "the system selects the ecs.g6.large instance type by default"): left unpriced.
            ali_type = p.text(r.props, "instanceType")
            types = [ali_type] if ali_type else []
        else:
            continue
        where = placement(cloud, r.props, r.provider)
        region = where.region
        hours_text = p.tags(p.get(r.props, "tags")).get(BUILD_HOURS_TAG)
        label = f"image build '{r.name}'"
        try:
            hours = float(hours_text) if hours_text is not None else None
        except ValueError:
            hours = None
        quote = on_demand_quote(catalog, cloud, types[0], region) if types and region else None
        if quote is None or hours is None:
            if not types:
                why = "no builder instance type"
            elif region is None:
                why = f"its region cannot be determined: {where.source}"
            else:
                why = f"no catalog price for {types[0]} in {cloud} {region}"
            if hours is None:
                why = f"no numeric '{BUILD_HOURS_TAG}' tag"
            unpriced.append(BuildCharge(f"{label}: {why}", r.urn, 0.0))
            continue
        usd_total = to_usd(catalog, quote.amount * hours, quote.currency)
        priced.append(
            BuildCharge(f"{label}: {hours:g} h x {types[0]} {quote.amount:g} {quote.currency}/h", r.urn, usd_total)
        )
    return priced, unpriced


@dataclass(frozen=True)
class BuildCharge:
    """One image build in the budget."""

    label: str
    urn: str
    usd: float
