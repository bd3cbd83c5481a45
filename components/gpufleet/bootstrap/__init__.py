"""Driver bootstrap shared by the three clouds: cloud-init in, base64 user data out.

Public API (the cloud components use only this):

- :class:`NodeContext`: the facts about a node that the renderer needs.
- :func:`render_cloud_config`: ``#cloud-config`` text for a bootstrap spec and a node.
- :func:`encode_user_data`: base64 for the cloud's user-data field, size-checked.
"""

from gpufleet.bootstrap.render import (
    NodeContext,
    UserDataTooLarge,
    encode_user_data,
    render_cloud_config,
)

__all__ = ["NodeContext", "UserDataTooLarge", "encode_user_data", "render_cloud_config"]
