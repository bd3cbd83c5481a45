"""Configuration of the agent that publishes the GPU utilisation metric autoscaling reads.

The metric is named once, in :mod:`gpufleet.metrics`; these builders derive the agent
settings from it, so the agent and the scaling rule cannot drift apart.
"""

from __future__ import annotations

import json

from gpufleet.metrics import AWS_GPU_UTILIZATION, AZURE_GPU_UTILIZATION

# CloudWatch agent "nvidia_gpu" section: measurement X is published as nvidia_smi_X
# [DOC: CloudWatch UG "Collect NVIDIA GPU metrics"; aws/amazon-cloudwatch-agent
# translator/translate/metrics/metrics_collect/gpu/nvidiaSmi.go].
CW_PREFIX = "nvidia_smi_"
# Telegraf's azure_monitor output names the namespace <namespace_prefix><input plugin>
# and the metric after the field [DOC: influxdata/telegraf plugins/outputs/azure_monitor
# README]; the input is nvidia_smi.
TELEGRAF_INPUT = "nvidia_smi"
AZURE_RESOURCE_ID_PLACEHOLDER = "@GPUFLEET_AZURE_RESOURCE_ID@"
"""Filled on the node with the scale set's id (read from IMDS), so every instance writes
into the one series the autoscale rule reads."""

COLLECT_SECONDS = 60
EXTRA_MEASUREMENTS = ("utilization_memory", "memory_used", "memory_total", "temperature_gpu", "power_draw")


def cloudwatch_agent_config() -> str:
    """CloudWatch agent JSON: per-GPU series plus a per-ASG aggregate for target tracking.

    ``${aws:AutoScalingGroupName}`` is read from the instance's ``aws:autoscaling:groupName``
    tag, which needs ``ec2:DescribeTags`` on the instance role [DOC: CloudWatch UG "Manually
    create or edit the CloudWatch agent configuration file", append_dimensions].
    """
    m = AWS_GPU_UTILIZATION
    if not m.name.startswith(CW_PREFIX) or m.group_dimension is None:
        raise ValueError(f"{m.name} is not a CloudWatch agent nvidia_gpu metric with a group dimension")
    measurement = m.name[len(CW_PREFIX) :]
    doc = {
        "agent": {"metrics_collection_interval": COLLECT_SECONDS, "run_as_user": "root"},
        "metrics": {
            "namespace": m.namespace,
            "append_dimensions": {m.group_dimension: "${aws:AutoScalingGroupName}", "InstanceId": "${aws:InstanceId}"},
            "aggregation_dimensions": [[m.group_dimension]],
            "metrics_collected": {
                "nvidia_gpu": {
                    "measurement": [measurement, *EXTRA_MEASUREMENTS],
                    "metrics_collection_interval": COLLECT_SECONDS,
                }
            },
        },
    }
    return json.dumps(doc, separators=(",", ":")) + "\n"


def telegraf_config(region: str) -> str:
    """Telegraf config: nvidia_smi in, Azure Monitor custom metrics out, one series per scale set.

    Per-GPU and per-host tags are dropped so all instances of the scale set add to the
    same series (Azure Monitor aggregates what several sources send for one minute).
    Authentication is the VM's managed identity, which needs the "Monitoring Metrics
    Publisher" role on the scale set (role name UNVERIFIED here).
    """
    m = AZURE_GPU_UTILIZATION
    suffix = "/" + TELEGRAF_INPUT
    if not m.namespace.endswith(suffix):
        raise ValueError(f"{m.namespace} is not a Telegraf {TELEGRAF_INPUT} namespace")
    prefix = m.namespace[: -len(TELEGRAF_INPUT)]
    fields = ", ".join(f'"{f}"' for f in (m.name, *EXTRA_MEASUREMENTS))
    return (
        "# gpufleet: GPU metrics to Azure Monitor custom metrics\n"
        "[agent]\n"
        f'  interval = "{COLLECT_SECONDS}s"\n'
        "  omit_hostname = true\n"
        f"[[inputs.{TELEGRAF_INPUT}]]\n"
        f"  fieldinclude = [{fields}]\n"
        '  tagexclude = ["uuid", "pstate", "compute_mode", "pci_bus_id", "index", "name", "arch"]\n'
        "[[outputs.azure_monitor]]\n"
        f'  namespace_prefix = "{prefix}"\n'
        f'  region = "{region}"\n'
        f'  resource_id = "{AZURE_RESOURCE_ID_PLACEHOLDER}"\n'
    )
