"""The node's files as a fetched, checksummed S3 object instead of inline user data.

EC2 takes at most 16 KB of user data, raw [DOC: EC2 UG "Run commands when you launch an EC2
instance with user data input"], and the bootstrap bundle alone had grown to ~16 KB on p5.
So the bundle (settings, scripts, units: ``bootstrap.render.node_files``) goes to a private
S3 bucket of the group, and user data carries only a small loader
(``bootstrap/scripts/gpufleet_fetch_s3.py``) with the object's bucket, key and SHA-256.
The loader signs a GetObject with the instance role's credentials, refuses bytes whose
SHA-256 differs, then unpacks them and starts the units (docs/aws.md "Node files").

- The key is content-addressed (``gpufleet/<sha256>.tar.gz``): a changed bundle is a new
  object and new user data, so the launch template changes and the group refreshes.
- Old objects are retained on replacement (``retain_on_delete``), so a launch template
  version that a rollback or a not-yet-refreshed node still uses can fetch its bundle;
  the bucket's ``force_destroy`` removes them with the stack.
- Private: all four Block Public Access settings, no bucket policy, ACLs disabled (the S3
  default for new buckets since April 2023 [DOC: S3 UG "Controlling ownership of objects
  and disabling ACLs"]); only the node role gets ``s3:GetObject``, on its own group's objects.
- Encrypted at rest with SSE-S3 (``AES256``), stated on the object [DOC: S3 UG "Protecting
  data with server-side encryption"]. No secret is in the bundle (nodes use their instance
  identity), so an S3-managed key is enough.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import shlex
from dataclasses import dataclass
from importlib import resources

import pulumi
import pulumi_aws as aws
import yaml

from gpufleet.aws.names import partition
from gpufleet.bootstrap import NodeContext
from gpufleet.bootstrap.render import LIB, _check_size, _Dumper, _units, bundle, minify, node_files
from gpufleet.context import GroupContext
from gpufleet.spec import BootstrapSpec

LOADER = LIB + "/fetch.py"
LOADER_SCRIPT = "gpufleet_fetch_s3.py"
KEY_PREFIX = "gpufleet/"


@dataclass(frozen=True)
class NodeBundle:
    """The gzip-compressed tar of a node's files, as stored in S3."""

    content: bytes
    sha256: str
    """Hex SHA-256 of ``content``: the loader refuses any other bytes."""

    @property
    def key(self) -> str:
        """The object key: content-addressed, so a new bundle never overwrites an old one."""
        return f"{KEY_PREFIX}{self.sha256}.tar.gz"


def node_bundle(spec: BootstrapSpec, node: NodeContext) -> NodeBundle:
    """Every file the node gets, in one reproducible gzip'd tar (fixed mtimes and owners)."""
    content = gzip.compress(bundle(node_files(spec, node)), compresslevel=9, mtime=0)
    return NodeBundle(content, hashlib.sha256(content).hexdigest())


def _loader() -> bytes:
    return minify(LOADER_SCRIPT, resources.files("gpufleet.bootstrap").joinpath("scripts", LOADER_SCRIPT).read_bytes())


def loader_cloud_config(spec: BootstrapSpec, node: NodeContext, *, bucket: str, nb: NodeBundle, asg: str) -> str:
    """``#cloud-config`` with the loader only; ``runcmd`` starts the units once it unpacked the bundle.

    One shell line with ``&&``: cloud-init runs ``runcmd`` as one script without ``set -e``,
    so a failed fetch must not go on to start units that do not exist.
    """
    fetch = ["python3", LOADER, node.region, bucket, nb.key, nb.sha256, asg]
    start = ["systemctl", "enable", "--now", "--no-block", *_units(spec, node)]
    line = " && ".join(shlex.join(c) for c in (fetch, ["systemctl", "daemon-reload"], start))
    doc = {
        "write_files": [
            {
                "path": LOADER,
                "permissions": "0700",
                "encoding": "gz+b64",
                "content": base64.b64encode(gzip.compress(_loader(), compresslevel=9, mtime=0)).decode(),
            }
        ],
        "runcmd": [line],
    }
    text = "#cloud-config\n" + yaml.dump(doc, Dumper=_Dumper, sort_keys=False, width=1 << 20, default_flow_style=None)
    _check_size(text, node.cloud)
    return text


def bucket_args(ctx: GroupContext) -> aws.s3.BucketArgs:
    # No explicit name: Pulumi names it "<fleet>-<group>-boot-<7 chars>", at most 63
    # characters as S3 requires (ctx.name is at most 50, lowercase letters, digits and
    # hyphens: aws/rules.py; contract rule aws.s3.bucket-name checks the result).
    # The Region is explicit (it is the provider's too) so the request's LocationConstraint is
    # visible to the contract check.
    return aws.s3.BucketArgs(force_destroy=True, region=ctx.group.region, tags=dict(ctx.tags))


def public_access_block_args(bucket: pulumi.Input[str]) -> aws.s3.BucketPublicAccessBlockArgs:
    return aws.s3.BucketPublicAccessBlockArgs(
        bucket=bucket,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )


def object_args(bucket: pulumi.Input[str], nb: NodeBundle) -> aws.s3.BucketObjectv2Args:
    return aws.s3.BucketObjectv2Args(
        bucket=bucket,
        key=nb.key,
        content_base64=base64.b64encode(nb.content).decode(),
        content_type="application/gzip",
        server_side_encryption="AES256",
        # No tags: S3 takes at most 10 per object [DOC: S3 UG "Categorizing your objects
        # using tags"] and a fleet may carry more; the bucket carries them.
    )


def read_policy(ctx: GroupContext, bucket: str) -> str:
    """Inline policy: GetObject on the group's own bundles, nothing else."""
    arn = f"arn:{partition(ctx.group.region)}:s3:::{bucket}/{KEY_PREFIX}*"
    statement = {"Sid": "OwnNodeFiles", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": arn}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, sort_keys=True)


def read_policy_args(
    ctx: GroupContext, role_name: pulumi.Input[str], bucket: pulumi.Output[str]
) -> aws.iam.RolePolicyArgs:
    return aws.iam.RolePolicyArgs(role=role_name, policy=bucket.apply(lambda b: read_policy(ctx, b)))
