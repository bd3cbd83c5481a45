"""AWS contract: captured pulumi-aws resources -> botocore requests, the model check, and the
AWS rules no model encodes (registered with ``@rule`` at import)."""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from importlib import resources as pkg_resources
from typing import Any

from gpufleet.contract import botomodel
from gpufleet.contract.awsmap import BUILDERS, Graph, policy_document
from gpufleet.contract.awsmap_imagebuilder import BUILDERS as IMAGEBUILDER_BUILDERS
from gpufleet.contract.base import Finding, Request, Resource, dependency_order, rule

MODEL = botomodel.model_source
RULE_UNMAPPED = "aws.mapping.unmapped-input"


def model_version() -> str:
    """Which model the AWS check used (for the plan's contract section)."""
    import botocore

    return f"botocore {botocore.__version__}"


def requests(resources: Sequence[Resource]) -> list[Request]:
    """The API requests the provider sends to create the captured AWS resources, in dependency
    order. Inputs no mapping covers ride along in ``context["unmapped"]`` and become findings."""
    ordered = dependency_order([r for r in resources if r.type.startswith("aws:")])
    graph = Graph(ordered)
    out: list[Request] = []
    for r in ordered:
        build = BUILDERS.get(r.type) or IMAGEBUILDER_BUILDERS.get(r.type)
        if build is None:
            continue
        mapped = build(r, graph)
        for i, req in enumerate(mapped.requests):
            if i == 0 and mapped.unmapped:
                req = Request(
                    req.cloud, req.operation, req.params, req.resource, req.resource_type,
                    {**req.context, "unmapped": tuple(mapped.unmapped)},
                )  # fmt: skip
            out.append(req)
    return out


def model_findings(requests: Sequence[Request]) -> list[Finding]:
    """Each request against botocore's model of its operation (shape, required, types, min by
    ParamValidator; max, enum and pattern by this package)."""
    out: list[Finding] = []
    for req in requests:
        out += botomodel.check(req)
        for path in req.context.get("unmapped", ()):
            out.append(
                Finding(
                    req.resource, req.resource_type, path, RULE_UNMAPPED,
                    f"input '{path}' has no mapping to a member of {req.operation}: the check cannot say "
                    "what the provider sends (add it to gpufleet.contract.awsmap)",
                    "gpufleet.contract.awsmap (terraform-provider-aws expand functions)",
                )
            )  # fmt: skip
    return out


# ------------------------------------------------------------------ sourced data
@functools.cache
def network_cards() -> dict[str, dict[str, Any]]:
    """instance type -> {max_cards, max_efa, cards: {index: (interface types)}, source}."""
    out: dict[str, dict[str, Any]] = {}
    text = pkg_resources.files("gpufleet.contract").joinpath("data/aws_network_cards.csv").read_text()
    for row in csv.DictReader(text.splitlines()):
        t = out.setdefault(
            row["instance_type"],
            {"max_cards": int(row["maximum_network_cards"]), "max_efa": int(row["maximum_efa_interfaces"]),
             "cards": {}, "source": row["source"]},
        )  # fmt: skip
        t["cards"][int(row["network_card_index"])] = tuple(row["interface_types"].split())
    return out


@functools.cache
def subnet_zones() -> dict[str, tuple[str, ...]]:
    """region -> the zone names where CreateSubnet succeeds."""
    out: dict[str, list[str]] = {}
    text = pkg_resources.files("gpufleet.contract").joinpath("data/aws_subnet_zones.csv").read_text()
    for row in csv.DictReader(text.splitlines()):
        out.setdefault(row["region"], []).append(row["zone"])
    return {k: tuple(v) for k, v in out.items()}


def _num(v: Any) -> int | None:
    return int(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


# ------------------------------------------------------------------ rules
@rule(
    "aws.ec2.network-card-interface",
    "aws",
    ["ec2.CreateLaunchTemplate"],
    "each network interface sits on a card the instance type has, with an interface type that card takes, "
    "and the EFA count stays within the type's EFA maximum",
    "EC2 DescribeInstanceTypes NetworkInfo (NetworkCards[].InterfaceTypes, MaximumNetworkCards, "
    "EfaInfo.MaximumEfaInterfaces) as shipped by moto 5.2.5 (contract/data/aws_network_cards.csv); EC2 User Guide "
    "'Maximize network bandwidth on Amazon EC2 instances with multiple network cards' "
    "(docs.aws.amazon.com/AWSEC2/latest/UserGuide/efa-acc-inst-types.html, read 2026-11)",
)
def _network_cards(req: Request) -> Iterator[tuple[str, str]]:
    nics = (req.params.get("LaunchTemplateData") or {}).get("NetworkInterfaces") or []
    if not nics:
        return
    data = network_cards()
    for itype in req.context.get("instance_types", ()):
        info = data.get(itype)
        if info is None:
            yield (
                "LaunchTemplateData.NetworkInterfaces",
                (
                    f"no network-card data for {itype}: its interface layout cannot be checked "
                    "(add the type to contract/data/aws_network_cards.csv)"
                ),
            )
            continue
        efa = 0
        for i, nic in enumerate(nics):
            card = _num(nic.get("NetworkCardIndex")) or 0
            kind = str(nic.get("InterfaceType") or "interface")
            path = f"LaunchTemplateData.NetworkInterfaces[{i}]"
            efa += kind in ("efa", "efa-only")
            if card not in info["cards"]:
                yield (
                    f"{path}.NetworkCardIndex",
                    (f"{itype} has network cards 0-{info['max_cards'] - 1}; card {card} does not exist"),
                )
            elif kind not in info["cards"][card]:
                yield (
                    f"{path}.InterfaceType",
                    (
                        f"{itype} network card {card} takes {', '.join(info['cards'][card])}, not '{kind}': "
                        "every launch of this template fails"
                    ),
                )
        if efa > info["max_efa"]:
            yield (
                "LaunchTemplateData.NetworkInterfaces",
                f"{efa} EFA interfaces; {itype} takes at most {info['max_efa']}",
            )


USER_DATA_MAX = 16 * 1024
"""EC2 User Guide, 'Run commands when you launch an EC2 instance with user data input': user data
is limited to 16 KB in raw form, before base64 encoding."""


@rule(
    "aws.ec2.user-data-size",
    "aws",
    ["ec2.CreateLaunchTemplate"],
    "user data is at most 16 KB raw (before base64)",
    "EC2 User Guide 'Run commands when you launch an EC2 instance with user data input' "
    "(docs.aws.amazon.com/AWSEC2/latest/UserGuide/user-data.html, read 2026-11): 16 KB raw",
)
def _user_data(req: Request) -> Iterator[tuple[str, str]]:
    raw = req.context.get("user_data_raw")
    if isinstance(raw, int) and raw > USER_DATA_MAX:
        yield "LaunchTemplateData.UserData", f"{raw} bytes raw; EC2 takes at most {USER_DATA_MAX}"


_ZONE = re.compile(r"^(?P<region>[a-z]{2}(-[a-z]+)+-\d+)[a-z]$")


@rule(
    "aws.ec2.subnet-zone",
    "aws",
    ["ec2.CreateSubnet"],
    "a subnet is created only in a zone of its Region that takes new subnets",
    "moto 5.2.5 ec2/models/availability_zones_and_regions.py (contract/data/aws_subnet_zones.csv); AWS answers "
    "'InvalidParameterValue ... Subnets can currently only be created in the following availability zones' "
    "(e.g. ap-northeast-1b; aws-samples/saas-reference-architecture-ecs#12, read 2026-11)",
)
def _subnet_zone(req: Request) -> Iterator[tuple[str, str]]:
    zone_id = req.params.get("AvailabilityZoneId")
    if isinstance(zone_id, str):
        from gpufleet.aws.zones import region_of_zone_id, zone_ids

        region = region_of_zone_id(zone_id)
        ids = zone_ids(region) if region else None
        if ids is not None and zone_id not in ids:
            yield (
                "AvailabilityZoneId",
                f"{zone_id} takes no new subnets in {region}; CreateSubnet fails. AZ IDs that do: {', '.join(ids)}",
            )
    zone = req.params.get("AvailabilityZone")
    if not isinstance(zone, str):
        return
    m = _ZONE.match(zone)
    known = subnet_zones().get(m.group("region")) if m else None
    if known is not None and zone not in known:
        yield (
            "AvailabilityZone",
            (
                f"{zone} takes no new subnets; CreateSubnet fails with InvalidParameterValue. "
                f"Zones that do: {', '.join(known)}"
            ),
        )


@rule(
    "aws.autoscaling.schedule-within-group",
    "aws",
    ["autoscaling.PutScheduledUpdateGroupAction"],
    "a scheduled desired/min that does not also raise max stays within the group's max",
    "Amazon EC2 Auto Scaling API Reference, UpdateAutoScalingGroup/SetDesiredCapacity: desired capacity must be "
    "between the group's min and max (ValidationError); the point where a scheduled action fails is UNVERIFIED "
    "(read 2026-11)",
)
def _schedule_range(req: Request) -> Iterator[tuple[str, str]]:
    p = req.params
    gmax = _num(req.context.get("group_max"))
    limit = _num(p.get("MaxSize")) if "MaxSize" in p else gmax
    if limit is None:
        return
    for key in ("DesiredCapacity", "MinSize"):
        v = _num(p.get(key))
        if v is not None and v > limit:
            yield key, f"{key} {v} is above the group's max {limit}; the scheduled action fails when it runs"


@rule(
    "aws.autoscaling.heartbeat-range",
    "aws",
    ["autoscaling.CreateAutoScalingGroup", "autoscaling.PutLifecycleHook"],
    "a lifecycle hook's heartbeat timeout is 30-7200 seconds",
    "botocore autoscaling model, LifecycleHookSpecification.HeartbeatTimeout documentation ('from 30 to 7200 "
    "seconds'; the shape itself declares no range); terraform-provider-aws lifecycle_hook.go IntBetween(30, 7200)",
)
def _heartbeat(req: Request) -> Iterator[tuple[str, str]]:
    if req.operation == "autoscaling.PutLifecycleHook":
        hooks: list[tuple[str, Mapping[str, Any]]] = [("", req.params)]
    else:
        hooks = [
            (f"LifecycleHookSpecificationList[{i}].", h)
            for i, h in enumerate(req.params.get("LifecycleHookSpecificationList") or [])
        ]
    for prefix, hook in hooks:
        v = _num(hook.get("HeartbeatTimeout"))
        if v is not None and not 30 <= v <= 7200:
            yield f"{prefix}HeartbeatTimeout", f"{v} s is outside 30-7200"


_POLICY_FIELDS = {"iam.CreateRole": "AssumeRolePolicyDocument", "iam.PutRolePolicy": "PolicyDocument"}


@rule(
    "aws.iam.policy-document",
    "aws",
    list(_POLICY_FIELDS),
    "a policy document is JSON with Version 2012-10-17 and statements that each have Effect Allow|Deny, an "
    "Action, and a Principal (trust policy) or a Resource (identity policy)",
    "IAM User Guide 'IAM JSON policy element reference' (docs.aws.amazon.com/IAM/latest/UserGuide/"
    "reference_policies_elements.html, read 2026-11); MalformedPolicyDocument otherwise",
)
def _policy_document(req: Request) -> Iterator[tuple[str, str]]:
    key = _POLICY_FIELDS[req.operation]
    doc = policy_document(req.params.get(key))
    if not isinstance(doc, dict):
        yield key, "not a JSON object"
        return
    if doc.get("Version") not in ("2012-10-17", "2008-10-17"):
        yield f"{key}.Version", f"{doc.get('Version')!r}; use '2012-10-17'"
    statements = doc.get("Statement")
    statements = [statements] if isinstance(statements, dict) else statements
    if not isinstance(statements, list) or not statements:
        yield f"{key}.Statement", "missing or empty"
        return
    trust = req.context.get("policy_kind") == "trust"
    for i, s in enumerate(statements):
        path = f"{key}.Statement[{i}]"
        if not isinstance(s, dict):
            yield path, "not an object"
            continue
        if s.get("Effect") not in ("Allow", "Deny"):
            yield f"{path}.Effect", f"{s.get('Effect')!r}; must be Allow or Deny"
        if "Action" not in s and "NotAction" not in s:
            yield f"{path}.Action", "missing"
        if trust and "Principal" not in s and "NotPrincipal" not in s:
            yield f"{path}.Principal", "a trust policy statement needs a Principal"
        if not trust and "Resource" not in s and "NotResource" not in s:
            yield f"{path}.Resource", "an identity policy statement needs a Resource"
        if not trust and ("Principal" in s or "NotPrincipal" in s):
            yield f"{path}.Principal", "an identity policy takes no Principal"


_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_BUCKET_RESERVED = (("xn--", "sthree-", "amzn-s3-demo-"), ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"))


@rule(
    "aws.s3.bucket-name",
    "aws",
    ["s3.CreateBucket"],
    "a general purpose bucket name is 3-63 lowercase letters, digits, dots and hyphens, starts and ends with a "
    "letter or digit, has no '..', is not an IP address, and avoids the reserved prefixes and suffixes",
    "Amazon S3 User Guide 'General purpose bucket naming rules' (docs.aws.amazon.com/AmazonS3/latest/userguide/"
    "bucketnamingrules.html, read 2026-11); botocore's CreateBucket model declares no pattern for Bucket",
)
def _bucket_name(req: Request) -> Iterator[tuple[str, str]]:
    name = req.params.get("Bucket")
    if not isinstance(name, str) or name == "":
        return
    prefixes, suffixes = _BUCKET_RESERVED
    if not _BUCKET_NAME.match(name) or ".." in name or re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name):
        yield "Bucket", f"{name!r} ({len(name)} characters) is not a valid bucket name"
    elif name.startswith(prefixes) or name.endswith(suffixes):
        yield "Bucket", f"{name!r} uses a prefix or suffix S3 reserves"


@rule(
    "aws.autoscaling.refresh-surge",
    "aws",
    ["autoscaling.StartInstanceRefresh"],
    "an instance refresh that does not ask for surge (MinHealthyPercentage below 100) can replace a node "
    "without launching first at the group's smallest running size",
    "botocore autoscaling model, RefreshPreferences.MaxHealthyPercentage: when it is set and replacing within "
    "both bounds is impossible, Auto Scaling launches a new instance before terminating an old one; "
    "MinHealthyPercentage is rounded up to whole instances (read 2026-11)",
)
def _refresh_surge(req: Request) -> Iterator[tuple[str, str]]:
    prefs = req.params.get("Preferences") or {}
    low, high = _num(prefs.get("MinHealthyPercentage")), _num(prefs.get("MaxHealthyPercentage"))
    if high is None or low is None or low >= 100:
        return  # max omitted: terminate and launch together; min 100: surge on purpose
    n = max(1, _num(req.context.get("group_min")) or 0)
    if n - -(-low * n // 100) < 1:
        yield (
            "Preferences.MinHealthyPercentage",
            f"{low}% of {n} node(s) rounds up to all of them, so with MaxHealthyPercentage {high} set, every "
            "replacement launches a spare node first (a scarce GPU type may have none)",
        )
