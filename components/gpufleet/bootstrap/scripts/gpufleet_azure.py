"""Azure for gpufleet-cloud: the Instance Metadata Service.

Azure needs no call to mark an instance unhealthy: gpufleet-healthd answers Unhealthy and
the Application Health extension reports it to the scale set (automatic repairs replace it).
[DOC: Microsoft Learn "Azure Instance Metadata Service" (compute.vmSize, subscriptionId,
resourceGroupName, vmScaleSetName, resourceId; header Metadata: true).]
"""

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the flat import below is how the node loads it (from /usr/local/lib/gpufleet)
    from gpufleet.bootstrap.scripts.gpufleet_node import S, http
else:
    from gpufleet_node import S, http

IMDS = S.get("GPUFLEET_AZURE_IMDS", "http://169.254.169.254")


def compute() -> dict[str, Any]:
    c: dict[str, Any] = json.loads(
        http("GET", IMDS + "/metadata/instance/compute?api-version=2021-02-01", {"Metadata": "true"})
    )
    return c


def instance_type() -> str:
    return str(compute()["vmSize"])


def resource_id() -> str:
    c = compute()
    if c.get("vmScaleSetName"):
        return (
            f"/subscriptions/{c['subscriptionId']}/resourceGroups/{c['resourceGroupName']}"
            f"/providers/Microsoft.Compute/virtualMachineScaleSets/{c['vmScaleSetName']}"
        )
    return str(c["resourceId"])


def report_unhealthy(reason: str) -> str:
    return f"the health endpoint answers Unhealthy; the Application Health extension reports it: {reason}"


def lifecycle_state() -> str:
    raise RuntimeError("lifecycle hooks are AWS only")


def complete_lifecycle(result: str) -> str:
    return lifecycle_state()
