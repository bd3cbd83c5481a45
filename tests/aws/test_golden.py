"""Golden resource graph of the reference AWS stack (stacks/Pulumi.aws-train-h100-efa.yaml).

Update after an intended change, then review the diff:

    GPUFLEET_UPDATE_GOLDEN=1 .venv/bin/pytest -q tests/aws/test_golden.py
"""

from __future__ import annotations

import base64
import hashlib

import yaml

from gpufleet.plan.engine import run_program
from helpers import ROOT, STACKS, assert_golden, graph_snapshot

USER_DATA = "<base64 #cloud-config from gpufleet.bootstrap; its content has its own golden files>"
NODE_FILES = "<base64 gzip'd tar of the node's files (gpufleet.aws.nodefiles); tests/aws/test_nodefiles.py>"


def test_reference_stack_graph() -> None:
    doc = yaml.safe_load((STACKS / "Pulumi.aws-train-h100-efa.yaml").read_text())
    run = run_program(ROOT / "__main__.py", doc["config"], stack="aws-train-h100-efa")
    snapshot = graph_snapshot(run)
    for resource in snapshot:
        data = resource["inputs"].get("userData")
        if data is not None:
            # The bootstrap renderer evolves on its own; keep this graph about AWS resources.
            assert base64.b64decode(data).decode().startswith("#cloud-config\n")
            resource["inputs"]["userData"] = USER_DATA
        if resource["type"] == "aws:s3/bucketObjectv2:BucketObjectv2":
            # Content-addressed: the key and body follow the bootstrap scripts, not this graph.
            body = base64.b64decode(resource["inputs"]["contentBase64"])
            assert resource["inputs"]["key"] == f"gpufleet/{hashlib.sha256(body).hexdigest()}.tar.gz"
            resource["inputs"]["contentBase64"] = NODE_FILES
            resource["inputs"]["key"] = "gpufleet/<sha256>.tar.gz"
    assert any(r["inputs"].get("userData") == USER_DATA for r in snapshot)
    assert_golden("aws-reference", snapshot)
