"""The node health endpoint, defined once for the node script and the cloud components.

Every node serves ``GET http://<node>:8787/healthz`` (``gpufleet-healthd``). The Azure
component points the Application Health extension (Rich Health States, v2.0) at it; rolling
upgrades and load balancer probes on any cloud can use it too.

Responses [DOC: Microsoft Learn "Using Application Health extension with Virtual Machine
Scale Sets", Rich Health States: HTTP 2xx with body ``{"ApplicationHealthState": "Healthy"}``
or ``"Unhealthy"``; a non-2xx answer or another body means *Unknown*]:

- healthy: 200, :data:`HEALTHY_BODY`;
- unhealthy: :data:`UNHEALTHY_BODY` with status 503, except on Azure where it is 200, so
  the extension reports *Unhealthy* (which automatic instance repairs act on) rather
  than *Unknown*;
- still bootstrapping: 503, :data:`INITIALIZING_BODY` (Azure: *Unknown*; repairs wait for
  the extension's grace period).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from gpufleet.catalog import Cloud

HEALTH_PORT = 8787
HEALTH_PATH = "/healthz"
HEALTH_PROTOCOL = "http"

HEALTHY_BODY = json.dumps({"ApplicationHealthState": "Healthy"})
UNHEALTHY_BODY = json.dumps({"ApplicationHealthState": "Unhealthy"})
INITIALIZING_BODY = json.dumps({"ApplicationHealthState": "Initializing"})

UNHEALTHY_STATUS: Mapping[Cloud, int] = {"aws": 503, "azure": 200, "alicloud": 503}
"""HTTP status of an unhealthy answer, per cloud (see the module docstring)."""

HEALTH_STATE_FILE = "/var/lib/gpufleet/health.json"
"""Where the health check writes its verdict and the endpoint reads it. On disk, so the last
verdict survives an in-guest reboot: a tmpfs file would make the endpoint answer
*Initializing* after every reboot, which Azure's extension reports as *Unknown* once it has
left its initial state, and automatic repairs act on Unknown [DOC: Microsoft Learn
"Automatic instance repairs for Azure Virtual Machine Scale Sets"]."""

BOOTSTRAP_DEADLINE_MINUTES = 60
"""A node still bootstrapping after this long is unhealthy. Driver builds (DKMS) and the
EFA/eRDMA installers take 5-15 minutes each on a fresh image; 60 leaves room for a reboot."""
