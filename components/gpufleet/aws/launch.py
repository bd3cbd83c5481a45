"""The launch template: image, identity, disks, metadata service, NICs and user data.

Secure defaults (docs/aws.md): IMDSv2 only, an encrypted root volume, no public
address on any interface, and user data that carries no secrets (the node gets its
permissions from the instance profile).
"""

from __future__ import annotations

from typing import cast

import pulumi
import pulumi_aws as aws

from gpufleet.aws.asg import LIFECYCLE_HEARTBEAT_SECONDS
from gpufleet.aws.image import AwsImage
from gpufleet.aws.market import uses_mixed_instances
from gpufleet.aws.names import asg_name, lifecycle_hook_name
from gpufleet.aws.netplan import efa_interface_count, efa_layout
from gpufleet.aws.nodefiles import NodeBundle, loader_cloud_config, node_bundle
from gpufleet.bootstrap import AwsNode, NodeContext, encode_user_data
from gpufleet.context import GroupContext
from gpufleet.group import group_node

# Ubuntu AMIs (Canonical's and the Ubuntu DLAMIs) boot from /dev/sda1; a mapping for any
# other name would add a second volume instead of sizing the root one. [UNVERIFIED in a
# stored AWS doc; it is the root device name Canonical publishes for its EC2 images.]
ROOT_DEVICE_NAME = "/dev/sda1"
# GPU images are large: the DLAMI base image carries several CUDA toolkits, and training
# and inference containers are 10-30 GB each. 200 GiB leaves room for a few images and
# a local cache; it must also be at least the AMI's snapshot size (UNVERIFIED for the
# current DLAMI; launches fail if it is smaller).
ROOT_VOLUME_GIB = 200

# IMDSv2 only. Hop limit 2 lets a container behind one network hop (docker bridge) reach
# the metadata service; 1 would only serve the host [SDK: LaunchTemplateMetadataOptionsArgs;
# DOC: EC2 UG "Configure the instance metadata options", containers need hop limit 2].
# Instance tags stay out of IMDS: the node gets its group from user data, and tag keys
# with "/" or spaces (common in cost tags) are not allowed in instance metadata
# (UNVERIFIED from memory of EC2 UG "View tags of your EC2 instances using instance
# metadata"; not needed either way).
METADATA_OPTIONS = aws.ec2.LaunchTemplateMetadataOptionsArgs(
    http_endpoint="enabled",
    http_tokens="required",
    http_put_response_hop_limit=2,
    instance_metadata_tags="disabled",
)


def efa_interfaces(ctx: GroupContext) -> int:
    """EFA devices each node gets (0 without RDMA): one per EFA-only interface of the
    template (``network_interfaces``); the node's health check expects exactly these."""
    return efa_interface_count([t.instance for t in ctx.resolved.types]) if ctx.group.rdma else 0


def node_context(ctx: GroupContext, image: AwsImage) -> NodeContext:
    """What the bootstrap renderer needs: the types, RDMA, and the names the drain and
    health scripts use with the node's own credentials.

    The drain script's hooks get the lifecycle heartbeat minus two minutes, so the node
    completes the action (with retries) before the hook times out on its own.
    """
    return group_node(
        ctx,
        AwsNode(
            asg_name=asg_name(ctx),
            lifecycle_hook_name=lifecycle_hook_name(ctx),
            drain_timeout_seconds=LIFECYCLE_HEARTBEAT_SECONDS - 120,
            efa_interfaces=efa_interfaces(ctx),
        ),
        image=image.base,
        image_has_driver=image.has_driver,
        all_types=True,
    )


def node_files(ctx: GroupContext, image: AwsImage) -> NodeBundle:
    """The node's files, fetched from S3 by the user-data loader (``aws.nodefiles``)."""
    return node_bundle(ctx.group.bootstrap, node_context(ctx, image))


def user_data(ctx: GroupContext, image: AwsImage, bucket: pulumi.Input[str], nb: NodeBundle) -> pulumi.Input[str]:
    """Base64 cloud-config: the loader that fetches and checks the node's bundle
    (``aws.nodefiles``), size-checked against EC2's 16 KB."""
    node = node_context(ctx, image)

    def render(name: str) -> str:
        text = loader_cloud_config(ctx.group.bootstrap, node, bucket=name, nb=nb, asg=asg_name(ctx))
        return encode_user_data(text, "aws")

    if isinstance(bucket, str):
        return render(bucket)
    out: pulumi.Output[str] = pulumi.Output.from_input(cast("pulumi.Input[str]", bucket))
    return out.apply(render)


def network_interfaces(
    ctx: GroupContext, security_group_id: pulumi.Input[str]
) -> list[aws.ec2.LaunchTemplateNetworkInterfaceArgs]:
    """The node's network interfaces. The subnet comes from the ASG, not from here.

    Without RDMA: one ENA primary interface. With EFA: ``netplan.efa_layout``, built from the
    catalog's per-card interface types: the ENA primary at card 0 / device 0, and an
    ``efa-only`` interface on every card that takes one on every type of the group (device 1
    on card 0, device 0 elsewhere) [DOC: EC2 UG efa-acc-inst-types; SDK: network_card_index
    "primary network interface must be assigned to network card index 0"]. p6-b300's card 0
    takes only ENA, so its 16 EFAs sit on cards 1-16.
    """
    types = [t.instance for t in ctx.resolved.types]
    layout = efa_layout(types) if ctx.group.rdma else efa_layout([])
    return [
        aws.ec2.LaunchTemplateNetworkInterfaceArgs(
            network_card_index=nic.card,
            device_index=nic.device,
            # The primary is ENA, the API's default type: sent unset, as before.
            interface_type=None if nic.kind == "interface" else nic.kind,
            security_groups=[security_group_id],
            associate_public_ip_address="false",
            delete_on_termination="true",
        )
        for nic in layout
    ]


def root_volume(ctx: GroupContext) -> aws.ec2.LaunchTemplateBlockDeviceMappingArgs:
    # Encrypted with the account's default EBS key (no kms_key_id); gp3 gives baseline
    # 3000 IOPS / 125 MiB/s independent of size [DOC: EBS UG "General Purpose SSD volumes"].
    return aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
        device_name=ROOT_DEVICE_NAME,
        ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
            volume_size=ROOT_VOLUME_GIB,
            volume_type="gp3",
            encrypted="true",
            delete_on_termination="true",
        ),
    )


def tag_specifications(ctx: GroupContext) -> list[aws.ec2.LaunchTemplateTagSpecificationArgs]:
    # Provider default_tags do not reach ASG-launched resources [SDK: LaunchTemplate
    # tag_specifications docstring], so instances, their volumes and NICs are tagged here.
    tags = {**ctx.tags, "Name": ctx.name}
    return [
        aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=tags)
        for kind in ("instance", "volume", "network-interface")
    ]


def launch_template_args(
    ctx: GroupContext,
    *,
    image: AwsImage,
    instance_profile_arn: pulumi.Input[str],
    security_group_id: pulumi.Input[str],
    node_files_bucket: pulumi.Input[str],
    node_files: NodeBundle,
) -> aws.ec2.LaunchTemplateArgs:
    """The group's launch template.

    No ``instance_market_options``: a launch template that requests spot cannot back a
    mixed instances policy [DOC: EC2 Auto Scaling UG, research notes 4e]; spot is bought
    through the ASG's instances distribution instead. ``instance_type`` is set only
    when the ASG uses no mixed instances policy (one on-demand type).
    """
    instance_type = None if uses_mixed_instances(ctx.resolved) else ctx.resolved.primary.instance.name
    return aws.ec2.LaunchTemplateArgs(
        description=f"gpufleet {ctx.name}",
        image_id=image.image_id,
        instance_type=instance_type,
        iam_instance_profile=aws.ec2.LaunchTemplateIamInstanceProfileArgs(arn=instance_profile_arn),
        metadata_options=METADATA_OPTIONS,
        block_device_mappings=[root_volume(ctx)],
        network_interfaces=network_interfaces(ctx, security_group_id),
        tag_specifications=tag_specifications(ctx),
        user_data=user_data(ctx, image, node_files_bucket, node_files),
        # Keep the default version on the newest; the ASG still pins an explicit version
        # (latest_version) so that a change starts an instance refresh.
        update_default_version=True,
        tags=dict(ctx.tags),
    )
