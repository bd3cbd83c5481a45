"""gpufleet's policies: plain, importable policy objects plus a local evaluator.

``policies/__main__.py`` builds the Pulumi ``PolicyPack`` from :func:`build_pack_policies`
(building a pack starts a server and blocks, so nothing here does). ``gpufleet plan``
and the tests run the same policies offline with :func:`evaluate`.
"""

from gpufleet.policy.config import PolicyConfigError, PolicySettings, load_config, resolve
from gpufleet.policy.evaluate import PolicyRuntimeError, Violation, evaluate
from gpufleet.policy.pack import PACK_ENFORCEMENT, PACK_NAME, POLICIES, POLICY_NAMES, build_pack_policies

__all__ = [
    "PACK_ENFORCEMENT",
    "PACK_NAME",
    "POLICIES",
    "POLICY_NAMES",
    "PolicyConfigError",
    "PolicyRuntimeError",
    "PolicySettings",
    "Violation",
    "build_pack_policies",
    "evaluate",
    "load_config",
    "resolve",
]
