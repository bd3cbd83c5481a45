"""What every node of an Azure group boots with: the bootstrap's node context and custom data.

Parallel to ``gpufleet.aws.launch`` and ``gpufleet.alicloud.launch``; the scale set
itself (which carries the result) is built in :mod:`gpufleet.azure.vmss`.
"""

from __future__ import annotations

from gpufleet.azure.image import AzureImage
from gpufleet.bootstrap import AzureNode, NodeContext, encode_user_data, render_cloud_config
from gpufleet.context import GroupContext
from gpufleet.group import group_node


def node_context(ctx: GroupContext, image: AzureImage, identity_client_id: str = "") -> NodeContext:
    """What the bootstrap renderer needs. A scale set runs one VM size, the resolved primary.
    ``identity_client_id`` is the group's user-assigned identity (the metrics agent's login)."""
    return group_node(
        ctx,
        AzureNode(identity_client_id=identity_client_id),
        image=image.base,
        image_has_driver=image.has_driver,
        all_types=False,
    )


def user_data(ctx: GroupContext, image: AzureImage, identity_client_id: str = "") -> str:
    """Base64 custom data from the shared renderer (size-checked there)."""
    node = node_context(ctx, image, identity_client_id)
    return encode_user_data(render_cloud_config(ctx.group.bootstrap, node), "azure")
