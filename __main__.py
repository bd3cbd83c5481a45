"""The Pulumi program: read ``gpufleet:fleet`` from the stack config, validate it, declare the fleet.

Kept thin on purpose: everything it does is in the ``gpufleet`` package, so
``gpufleet plan`` runs exactly this file under the mock engine.
"""

import pulumi

from gpufleet.errors import ConfigError
from gpufleet.fleet import GpuFleet
from gpufleet.validation import validate_fleet

raw = pulumi.Config("gpufleet").require_object("fleet")
try:
    validated = validate_fleet(raw, source=f"stack {pulumi.get_stack()}")
except ConfigError as e:
    # RunError prints the message without a Python traceback; nothing has been declared yet.
    raise pulumi.RunError(e.report()) from None

for warning in validated.warnings:
    pulumi.log.warn(str(warning))

fleet = GpuFleet(validated.spec.name, validated.spec)
pulumi.export("fleet", validated.spec.model_dump(mode="json", by_alias=True, exclude_none=True))
pulumi.export("groups", fleet.groups_outputs)
if fleet.images:
    pulumi.export("images", {name: img.outputs for name, img in fleet.images.items()})
