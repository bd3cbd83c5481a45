"""Driver bootstrap shared by the three clouds: cloud-init in, base64 user data out.

Public API (the cloud components use only this):

- :class:`NodeContext`: the facts about a node that the renderer needs, with its cloud's
  typed part (:class:`AwsNode`, :class:`AzureNode`, :class:`AlicloudNode`), built by each
  cloud's ``launch.node_context``.
- :func:`render_cloud_config`: ``#cloud-config`` text for a bootstrap spec and a node.
- :func:`encode_user_data`: base64 for the cloud's user-data field, size-checked.

Around it: :mod:`.matrix` (the driver / CUDA / OS / GPU compatibility data and the spec
check), :mod:`.images` (default base images and what they ship), :mod:`.health` (the
health endpoint's port, path and bodies), :mod:`.agents` (GPU metric agent configs), and
``scripts/`` (what runs on the node). See docs/bootstrap.md.
"""

from gpufleet.bootstrap.render import (
    AlicloudNode,
    AwsNode,
    AzureNode,
    CloudNode,
    NodeContext,
    UserDataTooLarge,
    encode_user_data,
    render_cloud_config,
)

__all__ = [
    "AlicloudNode",
    "AwsNode",
    "AzureNode",
    "CloudNode",
    "NodeContext",
    "UserDataTooLarge",
    "encode_user_data",
    "render_cloud_config",
]
