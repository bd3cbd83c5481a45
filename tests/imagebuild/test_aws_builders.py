"""The EC2 Image Builder builders are pure: their documents reassemble the bundle exactly."""

from __future__ import annotations

import base64
import gzip
import io
import re
import tarfile

import yaml

from gpufleet.catalog import Catalog
from gpufleet.imagebuild import aws as awsb
from gpufleet.imagebuild.script import build_bundle
from gpufleet.validation import validate_fleet

from .test_validate import fleet


def test_documents_fit_the_model_limit_and_reassemble_the_bundle(catalog: Catalog) -> None:
    spec = validate_fleet(fleet(), catalog).spec
    b = build_bundle(spec.images[0], spec.name, catalog)
    docs = awsb.component_documents(b)
    assert len(docs) >= 2 and all(len(d) <= 16000 for d in docs)  # botocore: CreateComponent.data max 16000
    staged = ""
    for d in docs[:-1]:
        (step,) = yaml.safe_load(d)["phases"][0]["steps"]
        assert step["action"] == "ExecuteBash"
        (cmd,) = step["inputs"]["commands"]
        staged += re.fullmatch(r"printf '%s' '([A-Za-z0-9+/=]+)' >>? \S+", cmd).group(1)  # type: ignore[union-attr]
    assert staged == b.b64
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(base64.b64decode(staged)))) as tar:
        assert "usr/local/sbin/gpufleet-build" in tar.getnames()
    last = yaml.safe_load(docs[-1])["phases"][0]["steps"][0]["inputs"]["commands"]
    assert last[-1] == "/usr/local/sbin/gpufleet-build"


def test_build_timeout_covers_the_assumed_hours(catalog: Catalog) -> None:
    raw = fleet()
    raw["images"][0]["builder"]["hours"] = 1.5
    img = validate_fleet(raw, catalog).spec.images[0]
    assert awsb.build_timeouts(img).create == "150m"


def test_parent_image_is_plain_ubuntu_unless_the_image_names_a_base(catalog: Catalog) -> None:
    img = validate_fleet(fleet(), catalog).spec.images[0]
    assert awsb.parent_image(img).startswith("ssm:/aws/service/canonical/ubuntu/server/22.04/")
    raw = fleet()
    raw["images"][0]["bootstrap"]["image"] = {"id": "ami-0123456789abcdef0"}
    assert awsb.parent_image(validate_fleet(raw, catalog).spec.images[0]) == "ami-0123456789abcdef0"
