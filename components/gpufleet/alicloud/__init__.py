"""alicloud: Alibaba Cloud ESS GPU groups.

Pure rules and builders live in the submodules (``rules``, ``schedule``, ``spot``,
``erdma``, ``netplan``, ``image``, ``names`` import no Pulumi SDK); the Pulumi component is
``gpufleet.alicloud.component``. Nothing is imported here so that spec validation stays light.
"""
