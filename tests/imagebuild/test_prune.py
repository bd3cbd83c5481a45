"""``gpufleet images prune``: the retention plan of Azure gallery versions and Alibaba images.

The listings in ``listings/`` are shaped as the clouds' CLIs print them, not from gpufleet's code:

- ``az-sig-image-version-list.json``: ``az sig image-version list ... -o json``; azure-cli prints
  SDK models through ``azure.cli.core.util.todict`` (python attribute names in camelCase,
  ``properties`` flattened, dates ``isoformat()``), from azure-mgmt-compute's
  ``GalleryImageVersion`` attribute map (``test_azure_fixture_keys_are_the_models``), plus the
  ``resourceGroup`` key azure-cli adds; ARM's 7-digit fractions in ``publishedDate``.
- ``aliyun-ecs-describeimages.json``: ``aliyun ecs DescribeImages`` prints the API's response body
  (``Images.Image[]``, ``TotalCount``, ``RegionId``), every key one alibabacloud_ecs20140526
  ``DescribeImagesResponseBody`` knows (round-trip test below); ``CreationTime`` RFC 3339 UTC
  (terraform-provider-alicloud parses it with ``time.RFC3339``).

The expected delete commands are written out by hand from the clouds' docs (Microsoft Learn
update-image-resources, "Delete resources"; Alibaba DeleteImage), not from the code.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gpufleet.catalog import load_catalog
from gpufleet.cli import app
from gpufleet.exitcodes import ExitCode
from gpufleet.imagebuild import prune
from gpufleet.stackconfig import read_stack_config
from gpufleet.validation import validate_fleet
from helpers import STACKS

LISTINGS = Path(__file__).parent / "listings"
AZ_LISTING = LISTINGS / "az-sig-image-version-list.json"
ALI_LISTING = LISTINGS / "aliyun-ecs-describeimages.json"
AS_OF = "2026-11-30"
NOW = datetime(2026, 11, 30, tzinfo=UTC)

runner = CliRunner()


def _run(*args: str, stdin: str | None = None) -> Any:
    return runner.invoke(app, ["images", "prune", *args], input=stdin)


def _spec(stack: str) -> Any:
    path = STACKS / f"Pulumi.{stack}.yaml"
    return validate_fleet(read_stack_config(path).fleet, load_catalog(), source=str(path)).spec


def _az() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(AZ_LISTING.read_text())
    return data


def _ali() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ALI_LISTING.read_text())
    return data


def _azure_target() -> prune.Target:
    spec = _spec("azure-images-t4")
    return prune.target(spec, spec.images[0])


def _ali_target() -> prune.Target:
    spec = _spec("alicloud-images-a10")
    return prune.target(spec, spec.images[0])


# --- the fixtures are the SDKs' shapes --------------------------------------------------


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def test_azure_fixture_keys_are_the_models() -> None:
    """Every key of the fixture is an attribute of the azure-mgmt-compute model it belongs to,
    spelled as azure-cli's todict spells it (or ``resourceGroup``, which azure-cli adds)."""
    from azure.mgmt.compute.v2023_07_03 import models as m

    def attrs(model: Any) -> set[str]:
        return {_camel(k) for k in model._attribute_map}

    for entry in _az():
        assert set(entry) - {"resourceGroup"} <= attrs(m.GalleryImageVersion), set(entry) - attrs(m.GalleryImageVersion)
        assert set(entry["publishingProfile"]) <= attrs(m.GalleryImageVersionPublishingProfile)
        assert set(entry["storageProfile"]) <= attrs(m.GalleryImageVersionStorageProfile)
        assert set(entry["safetyProfile"]) <= attrs(m.GalleryImageVersionSafetyProfile)
        for region in entry["publishingProfile"]["targetRegions"]:
            assert set(region) <= attrs(m.TargetRegion)


def test_alicloud_fixture_round_trips_through_the_model() -> None:
    from alibabacloud_ecs20140526.models import DescribeImagesResponseBody

    page = _ali()
    assert DescribeImagesResponseBody().from_map(page).to_map() == page


# --- Azure --------------------------------------------------------------------------------


def test_azure_plan_keeps_retain_newest_keep_and_young_and_prints_the_delete_command() -> None:
    r = _run("--stack", "azure-images-t4", "--image", "t4-r580", "--listing", str(AZ_LISTING),
             "--keep", "0.24.1", "--as-of", AS_OF)  # fmt: skip
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    verdicts = {line.split()[1]: line.split()[0] for line in lines if line.startswith(("keep", "delete"))}
    assert verdicts == {"0.24.4": "keep", "0.24.3": "keep", "0.24.2": "keep", "0.24.1": "keep", "0.24.0": "delete"}
    assert (
        "az sig image-version delete --resource-group img-t4-t4-r580-images --gallery-name img_t4_t4_r580_images "
        "--gallery-image-definition t4-r580 --gallery-image-version 0.24.0"
    ) in lines
    assert next(line for line in lines if " 0.24.1 " in line).endswith("named by --keep (in use)")
    assert "under retainLaunchedDays=30" in next(line for line in lines if " 0.24.4 " in line)


def test_azure_commands_only_and_stdin() -> None:
    r = _run("--stack", "azure-images-t4", "--image", "t4-r580", "--as-of", AS_OF, "--commands",
             stdin=AZ_LISTING.read_text())  # fmt: skip
    assert r.exit_code == 0, r.output
    # without --keep, 0.24.1 (older than the 3 newest and than 30 days) goes too
    assert [c.rsplit(" ", 1)[1] for c in r.stdout.splitlines()] == ["0.24.1", "0.24.0"]


def test_azure_keep_by_resource_id_protects_too() -> None:
    vid = _az()[1]["id"].upper()  # ARM ids compare case-insensitively
    p = prune.plan(_azure_target(), [("l", _az())], [vid], NOW)
    assert [d.version.id for d in p.decisions if d.delete] == ["0.24.0"]


def test_azure_latest_is_the_highest_version_number_even_when_older_by_date() -> None:
    """``latest`` is the highest Major.Minor.Patch, not the newest date: a scale set on the
    definition id boots it, so it is kept even outside ``retain``."""
    data = _az()
    data[0]["name"] = "1.0.0"  # the oldest by date is the highest number
    data[0]["id"] = data[0]["id"].rsplit("/", 1)[0] + "/1.0.0"
    t = _azure_target()
    p = prune.plan(t, [("l", data)], [], NOW + timedelta(days=400))
    kept = {d.version.id: d.reasons for d in p.decisions if not d.delete}
    assert "1.0.0" in kept and any("latest" in r for r in kept["1.0.0"])


def test_azure_exclude_from_latest_moves_latest_down() -> None:
    data = _az()
    data[4]["publishingProfile"]["excludeFromLatest"] = True  # 0.24.4 excluded
    p = prune.plan(_azure_target(), [("l", data)], [], NOW)
    latest = [d.version.id for d in p.decisions if d.version.latest]
    assert latest == ["0.24.3"]


def test_azure_equal_dates_order_by_version_number() -> None:
    data = _az()
    for e in data:
        e["publishingProfile"]["publishedDate"] = "2026-01-01T00:00:00+00:00"
    p = prune.plan(_azure_target(), [("l", data)], [], NOW)
    assert [d.version.id for d in p.decisions] == ["0.24.4", "0.24.3", "0.24.2", "0.24.1", "0.24.0"]
    assert [d.version.id for d in p.decisions if d.delete] == ["0.24.1", "0.24.0"]


def test_azure_unfinished_and_undated_versions_are_kept() -> None:
    data = _az()
    data[0]["provisioningState"] = "Creating"
    data[1]["publishingProfile"]["publishedDate"] = None
    p = prune.plan(_azure_target(), [("l", data)], [], NOW)
    reasons = {d.version.id: "; ".join(d.reasons) for d in p.decisions}
    assert "not finished (provisioningState Creating)" in reasons["0.24.0"]
    assert "no creation date" in reasons["0.24.1"]
    # neither takes one of the 3 retain slots: a build in progress may still fail
    assert [d.version.id for d in p.decisions if d.delete] == []
    assert [d.version.id for d in p.decisions if "retain" in "".join(d.reasons)] == ["0.24.4", "0.24.3", "0.24.2"]


def test_versions_newer_than_as_of_are_kept() -> None:
    p = prune.plan(_azure_target(), [("l", _az())], [], datetime(2026, 9, 15, tzinfo=UTC))
    reasons = {d.version.id: "; ".join(d.reasons) for d in p.decisions}
    assert "created after the time it is judged at" in reasons["0.24.4"]
    assert [d.version.id for d in p.decisions if d.delete] == ["0.24.1", "0.24.0"]


def test_azure_malformed_listing_is_refused_by_the_sdk_model() -> None:
    data = _az()
    data[2]["publishingProfile"]["publishedDate"] = "last tuesday"
    r = _run("--stack", "azure-images-t4", "--image", "t4-r580", stdin=json.dumps(data))
    assert r.exit_code == ExitCode.CONFIG
    # the message is the azure-core deserializer's, not gpufleet's
    assert "stdin[2]: azure-mgmt-compute GalleryImageVersion refused it" in r.stderr
    assert "last tuesday, iso-8601" in r.stderr


def test_azure_listing_of_another_definition_is_refused() -> None:
    data = _az()
    data[0]["id"] = data[0]["id"].replace("/images/t4-r580/", "/images/other/")
    with pytest.raises(prune.ListingError, match=r"not a version of this image .* az sig image-version list -g"):
        prune.plan(_azure_target(), [("l", data)], [], NOW)


def test_azure_listing_must_be_the_array_az_prints() -> None:
    r = _run("--stack", "azure-images-t4", "--image", "t4-r580", stdin=json.dumps({"value": _az()}))
    assert r.exit_code == ExitCode.CONFIG and "expected the JSON array" in r.stderr


# --- Alibaba ------------------------------------------------------------------------------


def test_alicloud_plan_keeps_in_use_and_ignores_other_names() -> None:
    r = _run("--stack", "alicloud-images-a10", "--image", "a10-r580", "--listing", str(ALI_LISTING),
             "--as-of", AS_OF)  # fmt: skip
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert "aliyun ecs DeleteImage --RegionId cn-beijing --ImageId m-2ze4d5e6f7a8b9c0d1e2" in lines
    assert "aliyun ecs DeleteImage --RegionId cn-beijing --ImageId m-2ze5e6f7a8b9c0d1e2f3" in lines
    assert sum(line.startswith("aliyun ") for line in lines) == 2
    assert any(line.startswith("ignore m-2ze6f7a8b9c0d1e2f3a4: name 'copy-of-") for line in lines)


def test_alicloud_usage_instance_protects_beyond_retain() -> None:
    page = _ali()
    page["Images"]["Image"][4]["Usage"] = "instance"  # the oldest runs on ECS instances
    p = prune.plan(_ali_target(), [("l", page)], [], NOW)
    assert [d.version.id for d in p.decisions if d.delete] == ["m-2ze4d5e6f7a8b9c0d1e2"]


def test_alicloud_keep_protects_the_scaling_configuration_image() -> None:
    r = _run("--stack", "alicloud-images-a10", "--image", "a10-r580", "--listing", str(ALI_LISTING),
             "--keep", "m-2ze5e6f7a8b9c0d1e2f3", "--as-of", AS_OF, "--commands")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert r.stdout == "aliyun ecs DeleteImage --RegionId cn-beijing --ImageId m-2ze4d5e6f7a8b9c0d1e2\n"


def test_alicloud_pages_merge_and_a_partial_listing_is_refused(tmp_path: Path) -> None:
    page = _ali()
    images = page["Images"]["Image"]
    p1 = {**page, "Images": {"Image": images[:3]}, "PageSize": 3}
    p2 = {**page, "Images": {"Image": images[3:]}, "PageSize": 3, "PageNumber": 2}
    whole = prune.plan(_ali_target(), [("l", page)], [], NOW)
    merged = prune.plan(_ali_target(), [("1", p1), ("2", p2)], [], NOW)
    assert merged.commands == whole.commands
    with pytest.raises(prune.ListingError, match="holds 3 of TotalCount 6 images"):
        prune.plan(_ali_target(), [("1", p1)], [], NOW)


def test_alicloud_region_outside_the_image_is_refused() -> None:
    page = {**_ali(), "RegionId": "cn-hangzhou"}
    with pytest.raises(prune.ListingError, match="RegionId 'cn-hangzhou': image 'a10-r580' is built in cn-beijing"):
        prune.plan(_ali_target(), [("l", page)], [], NOW)


def test_alicloud_malformed_listing_is_refused_by_the_sdk_model() -> None:
    page = _ali()
    page["Images"] = page["Images"]["Image"]  # a list where the model reads an object
    r = _run("--stack", "alicloud-images-a10", "--image", "a10-r580", stdin=json.dumps(page))
    assert r.exit_code == ExitCode.CONFIG
    assert "DescribeImagesResponseBody refused it: 'list' object has no attribute 'get'" in r.stderr


def test_alicloud_creation_time_must_be_rfc3339() -> None:
    page = _ali()
    page["Images"]["Image"][0]["CreationTime"] = "2026-11-25 03:14:15"  # no zone
    with pytest.raises(prune.ListingError, match=r"Images.Image\[0\] \(m-2ze1f8c0a1b2c3d4e5f6\): CreationTime"):
        prune.plan(_ali_target(), [("l", page)], [], NOW)


def test_alicloud_sibling_image_names_are_not_this_images(tmp_path: Path) -> None:
    """Images ``a10-r580`` and ``a10-r580-big`` share the prefix ``img-a10-a10-r580-``: the
    longer one's builds are never planned for deletion as the shorter one's."""
    doc = yaml.safe_load((STACKS / "Pulumi.alicloud-images-a10.yaml").read_text())
    images = doc["config"]["gpufleet:fleet"]["images"]
    images.append({**copy.deepcopy(images[0]), "name": "a10-r580-big"})
    stack = tmp_path / "Pulumi.sib.yaml"
    stack.write_text(yaml.safe_dump(doc))
    page = _ali()
    page["Images"]["Image"][4]["ImageName"] = "img-a10-a10-r580-big-0be4f9d2_exec-2ze4e5f6a7b8c9d0e1f2"
    r = _run("--config", str(stack), "--image", "a10-r580", "--as-of", AS_OF, stdin=json.dumps(page))
    assert r.exit_code == 0, r.output
    assert "ignore m-2ze5e6f7a8b9c0d1e2f3: name 'img-a10-a10-r580-big-0be4f9d2_exec-" in r.stdout
    assert "is not 'img-a10-a10-r580-<8-hex stack key>_...'" in r.stdout  # the key is 8 hex, then '_'
    assert "m-2ze5e6f7a8b9c0d1e2f3" not in r.stdout.split("the commands:")[-1]
    assert "m-2ze5e6f7a8b9c0d1e2f3" not in "".join(line for line in r.stdout.splitlines() if line.startswith("aliyun"))


@pytest.mark.parametrize(
    ("name", "owned"),
    [
        ("img-a10-a10-r580-5f0c1e2a_exec-2ze0a1b2", True),  # <fleet>-<image>-<key>_<execution>
        ("img-a10-a10-r580_exec-2ze0a1b2", True),  # <fleet>-<image>_<execution>, before the key
        ("img-a10-a10-r580", False),  # the stem alone is no build's name
        ("img-a10-a10-r580-", False),
        ("img-a10-a10-r5800-5f0c1e2a_exec-1", False),  # another image's stem
        ("copy-of-img-a10-a10-r580-5f0c1e2a", False),
    ],
)
def test_alicloud_names_of_this_images_builds(name: str, owned: bool) -> None:
    assert prune.alicloud_owns("img-a10-a10-r580", name) is owned


# --- usage errors and AWS -------------------------------------------------------------------


def test_a_mistyped_keep_is_refused() -> None:
    r = _run("--stack", "azure-images-t4", "--image", "t4-r580", "--listing", str(AZ_LISTING), "--keep", "0.24.l")
    assert r.exit_code == ExitCode.CONFIG
    assert "--keep 0.24.l: not a version in the listing" in r.stderr


def test_unknown_image_suggests_a_name() -> None:
    r = _run("--stack", "azure-images-t4", "--image", "t4-r58", "--listing", str(AZ_LISTING))
    assert r.exit_code == ExitCode.CONFIG
    assert "no image 't4-r58'" in r.stderr and "Did you mean 't4-r580'?" in r.stderr


def test_listing_that_is_not_json(tmp_path: Path) -> None:
    f = tmp_path / "l.json"
    f.write_text("Name  Version\n")
    r = _run("--stack", "azure-images-t4", "--image", "t4-r580", "--listing", str(f))
    assert r.exit_code == ExitCode.CONFIG and "not JSON" in r.stderr


def test_empty_stdin() -> None:
    r = _run("--stack", "azure-images-t4", "--image", "t4-r580", stdin="")
    assert r.exit_code == ExitCode.CONFIG and "stdin is empty" in r.stderr


def test_missing_listing_file() -> None:
    r = _run("--stack", "azure-images-t4", "--image", "t4-r580", "--listing", "/nonexistent/l.json")
    assert r.exit_code == ExitCode.CONFIG and "cannot read it" in r.stderr


def test_without_the_sdk_models_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "azure.mgmt.compute.v2023_07_03.models", None)
    r = _run("--stack", "azure-images-t4", "--image", "t4-r580", "--listing", str(AZ_LISTING))
    assert r.exit_code == ExitCode.CONFIG and "install gpufleet[contract]" in r.stderr


def test_aws_image_points_at_the_lifecycle_policy() -> None:
    r = _run("--stack", "aws-images-l4", "--image", "l4-r580")
    assert r.exit_code == 0
    assert "EC2 Image Builder lifecycle policy keeps the 3 newest" in r.stdout


# --- the rule, for any listing ------------------------------------------------------------

_dates = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC))


@st.composite
def _cases(draw: st.DrawFn) -> tuple[list[prune.Version], int, int, list[str]]:
    n = draw(st.integers(0, 12))
    versions = [
        prune.Version(
            id=f"m-{i:04d}",
            label=f"p-{i}",
            created=draw(st.none() | _dates),
            order=(draw(st.integers(0, 3)),),
            in_use=draw(st.booleans()),
            pending=draw(st.none() | st.just("Status Creating")),
        )
        for i in range(n)
    ]
    keep = draw(st.lists(st.sampled_from([v.id for v in versions]), unique=True)) if versions else []
    return versions, draw(st.integers(1, 6)), draw(st.integers(1, 60)), keep


@settings(max_examples=300, deadline=None)
@given(_cases())
def test_never_deletes_a_kept_id_nor_more_than_len_minus_retain(
    case: tuple[list[prune.Version], int, int, list[str]],
) -> None:
    versions, retain, days, keep = case
    decisions = prune.decide(versions, retain, days, keep, NOW)
    deleted = [d.version for d in decisions if d.delete]
    assert len(decisions) == len(versions)
    assert not {v.id for v in deleted} & set(keep)
    assert len(deleted) <= max(0, len(versions) - retain)
    for v in deleted:  # and only what no rule keeps
        assert v.created is not None and NOW - v.created >= timedelta(days=days)
        assert not v.in_use and v.pending is None
        settled = [w for w in versions if w.created is not None and w.pending is None]
        newer = [w for w in settled if w is not v and w.created is not None and w.created >= v.created]
        assert len(newer) >= retain
