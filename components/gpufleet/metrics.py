"""The GPU utilisation metric each cloud's autoscaler reads, written down once.

The bootstrap renderer configures the node agent to publish exactly this metric,
and the cloud components point their scaling rules at it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GpuMetric:
    """Where the per-group GPU utilisation (percent) lives in a cloud's monitoring service."""

    namespace: str
    name: str
    group_dimension: str | None
    """Dimension that aggregates the metric per node group (None: per-resource metric)."""
    source: str


# CloudWatch agent `nvidia_gpu` section: measurement utilization_gpu is published as
# nvidia_smi_utilization_gpu in namespace CWAgent; aggregation_dimensions
# [["AutoScalingGroupName"]] adds a per-ASG series for target tracking.
# [DOC: docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Agent-NVIDIA-GPU.html;
#  aws/amazon-cloudwatch-agent translator/translate/metrics/metrics_collect/gpu/nvidiaSmi.go]
AWS_GPU_UTILIZATION = GpuMetric(
    namespace="CWAgent",
    name="nvidia_smi_utilization_gpu",
    group_dimension="AutoScalingGroupName",
    source="CloudWatch agent nvidia_gpu section (CloudWatch-Agent-NVIDIA-GPU.html)",
)

# Telegraf's nvidia_smi input with the azure_monitor output publishes custom metrics under
# "Telegraf/<input>": field utilization_gpu -> namespace Telegraf/nvidia_smi, metric
# utilization_gpu, on the VM scale set resource. [DOC: influxdata telegraf
# plugins/outputs/azure_monitor README; plugins/inputs/nvidia_smi README. Whether autoscale
# accepts this custom namespace is UNVERIFIED here.]
AZURE_GPU_UTILIZATION = GpuMetric(
    namespace="Telegraf/nvidia_smi",
    name="utilization_gpu",
    group_dimension=None,
    source="Telegraf nvidia_smi input + azure_monitor output (custom metrics)",
)

# CloudMonitor agent GPU metric for ECS, as ESS event-triggered tasks (alarms) name it:
# "GpuUtilizationAgent: the GPU utilization. Unit: %" (MetricType system) [DOC: ESS
# 2022-02-22 CreateAlarm MetricName, official alibabacloud_ess20220222 SDK model]. ESS
# target-tracking rules accept no GPU metric (only CPU, memory, traffic and ALB QPS) [DOC:
# Auto Scaling "Target tracking scaling rules", help.aliyun.com/en/auto-scaling/user-guide/
# target-tracking-scaling-rules], so the Alibaba component scales on two alarms over this
# metric with simple rules (alicloud/scaling.py). ESS adds the scaling-group dimension
# itself [SDK: ess.Alarm dimensions], hence no group_dimension. ESS names no CloudMonitor
# namespace for it: the alarm's MetricType "system" ("system metrics of CloudMonitor") is the
# only qualifier [SDK: alibabacloud_ess20220222 CreateAlarmRequest.metric_type], so that is the
# "namespace" here (it was mislabelled acs_ecs_dashboard, a CloudMonitor namespace whose GPU
# metrics have other names). The CloudMonitor agent must run on the node (UNVERIFIED that
# public Ubuntu images ship it with GPU collection enabled).
ALICLOUD_GPU_UTILIZATION = GpuMetric(
    namespace="system",
    name="GpuUtilizationAgent",
    group_dimension=None,
    source="ESS CreateAlarm MetricType system, MetricName GpuUtilizationAgent (CloudMonitor agent)",
)

GPU_UTILIZATION = {"aws": AWS_GPU_UTILIZATION, "azure": AZURE_GPU_UTILIZATION, "alicloud": ALICLOUD_GPU_UTILIZATION}
