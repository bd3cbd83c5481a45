"""The gpufleet policy pack. Only wiring: the policies live in ``gpufleet.policy``.

``PolicyPack(...)`` starts the analyzer's gRPC server, prints its port and blocks, so
this file is the only place that builds it; tests and ``gpufleet plan`` import
``gpufleet.policy`` instead.
"""

from pulumi_policy import PolicyPack

from gpufleet.policy import PACK_ENFORCEMENT, PACK_NAME, build_pack_policies

PolicyPack(name=PACK_NAME, policies=build_pack_policies(), enforcement_level=PACK_ENFORCEMENT)
