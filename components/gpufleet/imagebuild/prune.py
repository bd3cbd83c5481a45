"""Retention of old image versions on Azure and Alibaba: a planner, never a deleter.

AWS images get an Image Builder lifecycle policy (``imagebuild.aws.lifecycle_args``). Azure VM
Image Builder and Alibaba Image Builder have no retention resource (docs/images.md,
"Retention"), so gpufleet plans the deletions from the cloud's own listing of the image's
versions and prints the delete commands; the operator runs them.

The listing is parsed through the cloud SDK's model (azure-mgmt-compute ``GalleryImageVersion``,
alibabacloud_ecs20140526 ``DescribeImagesResponseBody``), so a listing of another shape is
refused by the model, not by a parser gpufleet wrote.

The rule (``decide``): keep the ``retain`` newest versions, every ``--keep`` id, every version
created less than ``retainLaunchedDays`` ago, and anything the cloud marks as in use or not
finished; delete the rest. Age is counted from creation, not from the last launch as on AWS:
neither cloud's model records a launch (azure-mgmt-compute ``GalleryImageVersion`` and
``DescribeImagesResponseBodyImagesImage`` have no such field; EC2 records ``LastLaunchedTime``
on an AMI (botocore ec2 ``Image``), and Image Builder's ``lastLaunched`` exclusion keeps "AMIs
that were launched within the specified time period" (botocore imagebuilder model)).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from gpufleet.imagebuild.validate import STACK_KEY_LEN
from gpufleet.spec import FleetSpec, GpuImageSpec

AZURE_IN_PROGRESS = frozenset({"Creating", "Updating", "Deleting", "Migrating"})
"""``provisioningState`` values of a version that is not settled (azure-mgmt-compute
v2023_07_03 ``GalleryProvisioningState``: Creating, Updating, Failed, Succeeded, Deleting,
Migrating). Such a version is never deleted."""

ALICLOUD_IN_PROGRESS = frozenset({"Creating", "Waiting"})
"""Image ``Status`` values of a build not finished (alibabacloud_ecs20140526
``DescribeImagesRequest.status`` docstring: Creating, Waiting, Available, UnAvailable,
CreateFailed, Deprecated)."""

ALICLOUD_IN_USE = "instance"
"""``Usage`` of an image ECS instances run ("instance: The image is in use by ECS instances",
``DescribeImagesRequest.usage`` docstring)."""

_VERSION_NAME = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
"""A gallery image version is named MajorVersion.MinorVersion.Patch, and ``latest`` is the
highest by Major, then Minor, then Patch (Microsoft Learn, shared-image-galleries, "Image
versions")."""


class ListingError(ValueError):
    """A listing gpufleet cannot plan from: the message names the entry, the value and why."""


@dataclass(frozen=True)
class Version:
    """One version of an image, as the cloud listed it."""

    id: str
    """What ``--keep`` and the delete command name: the Azure version name (``0.24.1``), the
    Alibaba image id (``m-...``)."""
    label: str
    """What the report shows next to the id (the Alibaba image name, the Azure resource id)."""
    created: datetime | None
    """Azure ``publishingProfile.publishedDate``; Alibaba ``CreationTime``; None if absent."""
    order: tuple[int, ...] = ()
    """Tie-break among equal dates, higher is newer (the Azure version number)."""
    pending: str | None = None
    """Why the version is not settled (status), if it is not."""
    in_use: bool = False
    """The cloud says instances run it (Alibaba ``Usage: instance``)."""
    latest: bool = False
    """Azure: the version a scale set on the definition id resolves ``latest`` to."""
    excluded_from_latest: bool = False
    """Azure ``publishingProfile.excludeFromLatest``."""
    aliases: frozenset[str] = frozenset()
    """Other spellings ``--keep`` may use (the Azure version's resource id, lower case)."""


@dataclass(frozen=True)
class Decision:
    version: Version
    reasons: tuple[str, ...]
    """Why the version is kept; empty means it is deleted."""

    @property
    def delete(self) -> bool:
        return not self.reasons


@dataclass(frozen=True)
class Target:
    """Where an image's versions live, from the spec (the names gpufleet's builders give)."""

    cloud: Literal["azure", "alicloud"]
    fleet: str
    image: GpuImageSpec
    resource_group: str = ""
    gallery: str = ""
    definition: str = ""
    stem: str = ""
    """Alibaba: ``<fleet>-<image>``; this image's builds are named ``<stem>-...`` or ``<stem>_...``
    (``alicloud_stem``)."""
    others: tuple[str, ...] = ()
    """Alibaba: stems of the fleet's other images that extend this one (image ``a10`` vs
    ``a10-big``): a name under one of them is that image's, never this one's."""


@dataclass(frozen=True)
class PrunePlan:
    target: Target
    region: str
    decisions: tuple[Decision, ...]
    """Newest first."""
    ignored: tuple[tuple[str, str], ...] = ()
    """Listed entries that are not this image's versions: (id, why)."""
    commands: tuple[str, ...] = field(default=())


def target(fleet: FleetSpec, image: GpuImageSpec) -> Target:
    """The names gpufleet gave the image's versions, computed by the same builders that create them."""
    if image.cloud == "azure":
        from gpufleet.imagebuild import azure as az

        rg = az.resource_group_args(image, fleet.name, {}).resource_group_name
        assert isinstance(rg, str)
        gallery = az.gallery_args(image, fleet.name, rg, {}).gallery_name
        assert isinstance(gallery, str)
        return Target("azure", fleet.name, image, resource_group=rg, gallery=gallery, definition=image.name)
    if image.cloud == "alicloud":
        stem = alicloud_stem(fleet.name, image.name)
        others = tuple(
            o
            for other in fleet.images
            if other.name != image.name and other.cloud == "alicloud"
            for o in [alicloud_stem(fleet.name, other.name)]
            if o.startswith(stem + "-")
        )
        return Target("alicloud", fleet.name, image, stem=stem, others=others)
    raise ValueError(f"image '{image.name}' is on {image.cloud}: its retention is a lifecycle policy, not a plan")


def alicloud_stem(fleet: str, image: str) -> str:
    """Image Builder names an image ``{ImageName}_{ExecutionId}`` (alibabacloud_ecs20140526
    ``CreateImagePipelineRequestImageOptions.image_name`` docstring). gpufleet's ImageName is
    ``<fleet>-<image>-<key>`` (``<fleet>-<image>`` before the key was added), so every build of
    the image is named ``<stem>-...`` or ``<stem>_...``; names take no ``_`` (spec ``Name``), so
    ``<stem>_`` is this image's alone."""
    return f"{fleet}-{image}"


def alicloud_owns(stem: str, name: str) -> bool:
    """``name`` is a build of the image whose stem is ``stem`` (see ``alicloud_stem``): exactly
    ``<stem>-<8 hex key>_...`` or ``<stem>_...``, so neither a sibling image whose name extends
    this one's nor another fleet whose name does can match."""
    return re.match(rf"^{re.escape(stem)}(-[0-9a-f]{{{STACK_KEY_LEN}}})?_.", name) is not None


def decide(
    versions: Sequence[Version], retain: int, retain_days: int, keep: Iterable[str], now: datetime
) -> tuple[Decision, ...]:
    """The retention rule, newest first. A version is deleted only if no reason keeps it, and
    the ``retain`` newest always have one, so at most ``len(versions) - retain`` are deleted.
    ``retain`` counts finished, dated versions only: an unfinished or undated one (a build in
    progress) is kept on top, so a build that fails does not cost an older good version."""
    keep_set = {k.lower() for k in keep}
    ordered = sorted(versions, key=_newest_first)
    out = []
    rank = 0
    for v in ordered:
        reasons = []
        if v.created is not None and v.pending is None:
            if rank < retain:
                reasons.append(f"one of the {retain} newest (retain)")
            rank += 1
        if v.id.lower() in keep_set or keep_set & v.aliases:
            reasons.append("named by --keep (in use)")
        if v.created is None:
            reasons.append("no creation date in the listing: cannot be ordered")
        elif v.created > now:
            reasons.append("created after the time it is judged at (--as-of)")
        elif now - v.created < timedelta(days=retain_days):
            days = (now - v.created).days
            reasons.append(f"created {days} day{'s' if days != 1 else ''} ago, under retainLaunchedDays={retain_days}")
        if v.pending:
            reasons.append(f"not finished ({v.pending})")
        if v.in_use:
            reasons.append("in use by ECS instances (Usage: instance)")
        if v.latest:
            reasons.append("what 'latest' resolves to: new nodes of the scale set boot it")
        out.append(Decision(v, tuple(reasons)))
    return tuple(out)


def _newest_first(v: Version) -> tuple[int, float, tuple[int, ...], str]:
    # Undated versions first (treated as newest), then by date, then by version number.
    if v.created is None:
        return (0, 0.0, tuple(-i for i in v.order), v.id)
    return (1, -v.created.timestamp(), tuple(-i for i in v.order), v.id)


def unknown_keeps(versions: Sequence[Version], keep: Iterable[str]) -> list[str]:
    """``--keep`` values that name no listed version: a typo would leave the intended version unprotected."""
    known = {v.id.lower() for v in versions} | {a for v in versions for a in v.aliases}
    return [k for k in keep if k.lower() not in known]


# --- Azure -------------------------------------------------------------------------------


def parse_azure(listing: object, source: str, t: Target) -> list[Version]:
    """``az sig image-version list -g <rg> -r <gallery> -i <definition> -o json``: a JSON array
    of GalleryImageVersion objects as azure-cli prints them (``azure.cli.core.util.todict``:
    attribute names in camelCase, ``properties`` flattened), which ``Model.from_dict`` reads
    (its last-rest-key extractor finds ``properties.publishingProfile`` at ``publishingProfile``)."""
    from azure.core.exceptions import DeserializationError
    from azure.mgmt.compute.v2023_07_03.models import GalleryImageVersion

    if not isinstance(listing, list):
        raise ListingError(
            f"{source}: expected the JSON array 'az sig image-version list ... -o json' prints, got "
            f"{type(listing).__name__}"
        )
    required = [k for k, rule in GalleryImageVersion._validation.items() if rule.get("required")]
    versions: list[Version] = []
    for i, entry in enumerate(listing):
        where = f"{source}[{i}]"
        if not isinstance(entry, Mapping):
            raise ListingError(f"{where}: expected a GalleryImageVersion object, got {type(entry).__name__}")
        try:
            model = GalleryImageVersion.from_dict(dict(entry))
        except DeserializationError as e:
            raise ListingError(f"{where}: azure-mgmt-compute GalleryImageVersion refused it: {e}") from None
        missing = [k for k in (*required, "id", "name") if getattr(model, k, None) is None]
        if missing:
            raise ListingError(f"{where}: GalleryImageVersion without {', '.join(missing)}")
        assert model.id is not None and model.name is not None
        _check_azure_parent(where, model.id, t)
        m = _VERSION_NAME.match(model.name)
        if m is None:
            raise ListingError(
                f"{where}: version name '{model.name}' is not Major.Minor.Patch, the gallery's version format"
            )
        profile = model.publishing_profile
        state = model.provisioning_state
        versions.append(
            Version(
                id=model.name,
                label=model.id,
                created=profile.published_date if profile is not None else None,
                order=tuple(int(g) for g in m.groups()),
                pending=f"provisioningState {state}" if state in AZURE_IN_PROGRESS else None,
                excluded_from_latest=bool(profile is not None and profile.exclude_from_latest),
                aliases=frozenset({model.id.lower()}),
            )
        )
    return _mark_latest(versions)


def _mark_latest(versions: list[Version]) -> list[Version]:
    """``latest`` is the highest version number not excluded from latest (Microsoft Learn,
    shared-image-galleries: "Exclude from latest. You can keep a version from being used as the
    latest image version"); a scale set referencing the definition id boots it."""
    eligible = [v for v in versions if not v.excluded_from_latest and v.pending is None]
    if not eligible:
        return versions
    top = max(eligible, key=lambda v: v.order)
    return [replace(v, latest=True) if v is top else v for v in versions]


def _check_azure_parent(where: str, resource_id: str, t: Target) -> None:
    """The entry must be a version of this image's definition: a listing of another gallery
    or definition is the wrong input, not versions to delete."""
    want = (
        f"/resourcegroups/{t.resource_group}/providers/microsoft.compute"
        f"/galleries/{t.gallery}/images/{t.definition}/versions/"
    ).lower()  # ARM ids compare case-insensitively
    if want not in resource_id.lower():
        raise ListingError(
            f"{where}: '{resource_id}' is not a version of this image (resource group '{t.resource_group}', "
            f"gallery '{t.gallery}', definition '{t.definition}'); list it with: {azure_list_command(t)}"
        )


def azure_list_command(t: Target) -> str:
    return (
        f"az sig image-version list -g {shlex.quote(t.resource_group)} -r {shlex.quote(t.gallery)} "
        f"-i {shlex.quote(t.definition)} -o json"
    )


def azure_delete_command(t: Target, version: str) -> str:
    """Microsoft Learn, update-image-resources, "Delete resources": ``az sig image-version delete``."""
    return (
        f"az sig image-version delete --resource-group {shlex.quote(t.resource_group)} "
        f"--gallery-name {shlex.quote(t.gallery)} --gallery-image-definition {shlex.quote(t.definition)} "
        f"--gallery-image-version {shlex.quote(version)}"
    )


# --- Alibaba -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AlicloudListing:
    region: str
    versions: list[Version]
    ignored: list[tuple[str, str]]


def parse_alicloud(pages: Sequence[tuple[str, object]], t: Target) -> AlicloudListing:
    """``aliyun ecs DescribeImages --RegionId <r> --ImageOwnerAlias self --ImageName '<stem>*'
    --PageSize 100``: the API's response body, one page per listing, read through
    ``DescribeImagesResponseBody.from_map``. All pages must be of one region and together hold
    ``TotalCount`` images: a partial listing could hide the newest versions."""
    from alibabacloud_ecs20140526.models import (  # type: ignore[import-untyped, unused-ignore]
        DescribeImagesResponseBody,
    )

    region: str | None = None
    total = 0
    seen: dict[str, Version] = {}
    ignored: list[tuple[str, str]] = []
    for source, page in pages:
        if not isinstance(page, Mapping):
            raise ListingError(
                f"{source}: expected the JSON object 'aliyun ecs DescribeImages' prints, got {type(page).__name__}"
            )
        try:
            body = DescribeImagesResponseBody().from_map(dict(page))
        except (AttributeError, TypeError) as e:  # the model calls .get() on what should be objects
            raise ListingError(
                f"{source}: alibabacloud_ecs20140526 DescribeImagesResponseBody refused it: {e}"
            ) from None
        if not isinstance(body.region_id, str) or not body.region_id:
            raise ListingError(f"{source}: no RegionId: is this 'aliyun ecs DescribeImages' output?")
        if region is not None and body.region_id != region:
            raise ListingError(f"{source}: RegionId '{body.region_id}', another page is '{region}': one region per run")
        region = body.region_id
        if body.total_count is not None:
            if not isinstance(body.total_count, int):
                raise ListingError(f"{source}: TotalCount {body.total_count!r} is not a number")
            total = max(total, body.total_count)
        images = body.images.image if body.images is not None and body.images.image is not None else []
        for i, img in enumerate(images):
            v, why = _alicloud_version(f"{source}: Images.Image[{i}]", img, t)
            if why is not None:
                ignored.append((v.id, why))
            else:
                seen[v.id] = v
    assert region is not None  # pages is never empty
    if region not in t.image.all_regions:
        raise ListingError(
            f"RegionId '{region}': image '{t.image.name}' is built in {t.image.region} and copied to "
            f"{', '.join(t.image.regions) or 'no other region'}"
        )
    listed = len(seen) + len(ignored)
    if total > listed:
        raise ListingError(
            f"the listing holds {listed} of TotalCount {total} images: give every page (--PageNumber 1, 2, ...; "
            "--PageSize at most 100) as its own --listing"
        )
    return AlicloudListing(region, list(seen.values()), ignored)


def _alicloud_version(where: str, img: object, t: Target) -> tuple[Version, str | None]:
    image_id = getattr(img, "image_id", None)
    name = getattr(img, "image_name", None)
    if not isinstance(image_id, str) or not image_id:
        raise ListingError(f"{where}: ImageId {image_id!r} is not an image id")
    if not isinstance(name, str):
        raise ListingError(f"{where} ({image_id}): ImageName {name!r} is not a string")
    created = _rfc3339(where, image_id, getattr(img, "creation_time", None))
    status = getattr(img, "status", None)
    v = Version(
        id=image_id,
        label=name,
        created=created,
        pending=f"Status {status}" if status in ALICLOUD_IN_PROGRESS else None,
        in_use=getattr(img, "usage", None) == ALICLOUD_IN_USE,
    )
    if not alicloud_owns(t.stem, name):
        why = (
            f"name '{name}' is not '{t.stem}-<8-hex stack key>_...' or '{t.stem}_...' "
            "(DescribeImages' ImageName search is fuzzy)"
        )
        return v, why
    owner = next((o for o in t.others if alicloud_owns(o, name)), None)
    if owner is not None:
        return v, f"name '{name}' is a build of '{owner}', another image of the fleet"
    return v, None


def _rfc3339(where: str, image_id: str, value: object) -> datetime | None:
    """``CreationTime`` is RFC 3339 UTC, e.g. ``2026-11-02T10:22:33Z`` (terraform-provider-alicloud
    data_source_alicloud_images.go parses it with ``time.RFC3339`` to pick the most recent)."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    raise ListingError(
        f"{where} ({image_id}): CreationTime {value!r} is not an RFC 3339 time such as 2026-11-02T10:22:33Z"
    )


def alicloud_list_command(t: Target, region: str) -> str:
    return (
        f"aliyun ecs DescribeImages --RegionId {shlex.quote(region)} --ImageOwnerAlias self "
        f"--ImageName {shlex.quote(t.stem + '*')} --PageSize 100"
    )


def alicloud_delete_command(region: str, image_id: str) -> str:
    """``DeleteImage`` without ``Force``: Alibaba "checks whether the image is in use by other
    instances before deletion" (alibabacloud_ecs20140526 ``DeleteImageRequest.force`` docstring)."""
    return f"aliyun ecs DeleteImage --RegionId {shlex.quote(region)} --ImageId {shlex.quote(image_id)}"


# --- the plan ----------------------------------------------------------------------------


def plan(t: Target, listings: Sequence[tuple[str, object]], keep: Sequence[str], now: datetime) -> PrunePlan:
    """Parse the listing(s), refuse a ``--keep`` that names nothing listed, decide, and write
    the delete commands. ``now`` must be timezone-aware (the clouds' dates are)."""
    if not listings:
        raise ListingError("no listing given")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    ignored: list[tuple[str, str]] = []
    if t.cloud == "azure":
        if len(listings) > 1:
            raise ListingError("Azure: give one listing ('az sig image-version list' prints every version)")
        source, data = listings[0]
        versions = parse_azure(data, source, t)
        region = t.image.region
    else:
        ali = parse_alicloud(listings, t)
        versions, ignored, region = ali.versions, ali.ignored, ali.region
    unknown = unknown_keeps(versions, keep)
    if unknown:
        listed = ", ".join(v.id for v in versions) or "none"
        raise ListingError(
            f"--keep {', '.join(unknown)}: not a version in the listing (listed: {listed}); a mistyped --keep "
            "would leave the version it meant unprotected"
        )
    decisions = decide(versions, t.image.retain, t.image.retain_launched_days, keep, now)
    commands = tuple(
        azure_delete_command(t, d.version.id) if t.cloud == "azure" else alicloud_delete_command(region, d.version.id)
        for d in decisions
        if d.delete
    )
    return PrunePlan(t, region, decisions, tuple(ignored), commands)
