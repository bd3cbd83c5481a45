"""The replacement-loop breaker: what stops a group from replacing nodes forever.

A failure that every node hits (a bad pin, a missing package, a repo outage) is a
*configuration* failure: replacing the node only starts the next one that fails the same
way. A fault of this node's GPUs or fabric is a *hardware* failure: a new node fixes it.
``gpufleet-health`` classes each verdict; this module says, per cloud, what signals a
failure and where replacement stops. The cloud modules (``aws/loopbreaker.py``) create the
resources, the plan prints :func:`describe`, docs/bootstrap.md has the table.
"""

from __future__ import annotations

from dataclasses import dataclass

LOOP_THRESHOLD = 10
"""Hardware replacements in one window that count as a loop, not bad luck. AWS ParallelCluster
disables a queue after ``protected_failure_count`` (default 10) consecutive bootstrap failures
[DOC: AWS ParallelCluster UG, "Slurm cluster protected mode"]."""

LOOP_WINDOW_SECONDS = 3600
"""The window the hardware replacements are counted in (one CloudWatch alarm period)."""

CONFIG_WINDOW_SECONDS = 300
"""A held node publishes its configuration failure on every health run (every 5 minutes), so
one period of 300 s with at least one failure keeps the alarm on while such a node exists."""

METRIC_NAMESPACE = "gpufleet"
METRIC_NAME = "NodeFailures"
"""The metric each node publishes per failed health run, dimensions ``AutoScalingGroupName``
and ``Class`` (``configuration`` or ``hardware``)."""

CONFIG_ALARM_SUFFIX = "-config-failures"
LOOP_ALARM_SUFFIX = "-replacement-loop"
"""Alarm names are ``<ASG name><suffix>``; the node derives the loop alarm's name from
``GPUFLEET_ASG_NAME`` the same way (scripts/gpufleet_aws.py)."""


@dataclass(frozen=True)
class LoopBreaker:
    """One cloud's answer to "what happens when every node fails"."""

    configuration: str
    """What a configuration failure does: its signal, and that the node is not replaced."""
    hardware: str
    """What a hardware failure does, and where replacing stops."""
    source: str
    """The documentation the behaviour rests on."""


def loop_breaker(cloud: str, group_name: str, static: bool = False) -> LoopBreaker:
    """The breaker of a group on ``cloud``; ``group_name`` is the ASG/scale set name nodes report to.
    ``static``: an Alibaba fixed-size cluster (``capacity.mode: static``), which nothing replaces."""
    if static:
        return LoopBreaker(
            configuration="not replaced; the node's verdict and log say why",
            hardware="not replaced automatically (no ESS group): the node tags itself gpufleet-health=Unhealthy; "
            "replace it with pulumi up --replace (docs/alicloud.md)",
            source="Alibaba ECS TagResources; the static cluster has no scaling group to replace nodes",
        )
    if cloud == "aws":
        return LoopBreaker(
            configuration=(
                f"not replaced; counted in CloudWatch {METRIC_NAMESPACE}/{METRIC_NAME} Class=configuration, "
                f"alarm {group_name}{CONFIG_ALARM_SUFFIX} (>= 1 in {CONFIG_WINDOW_SECONDS} s)"
            ),
            hardware=(
                f"replaced (SetInstanceHealth) until {LOOP_THRESHOLD} in {LOOP_WINDOW_SECONDS // 60} min trip alarm "
                f"{group_name}{LOOP_ALARM_SUFFIX}; then nodes are held, not replaced, while it is in ALARM"
            ),
            source="AWS ParallelCluster protected mode (protected_failure_count 10); CloudWatch PutMetricData",
        )
    if cloud == "azure":
        return LoopBreaker(
            configuration="endpoint Unhealthy; automatic repairs replace, and Azure suspends them after "
            "too many failed repairs (serviceState Suspended; the count is Azure's, UNVERIFIED)",
            hardware="endpoint Unhealthy; automatic repairs replace (same suspension)",
            source="Microsoft Learn: automatic instance repairs (suspension of repairs); "
            "Azure support: instances aren't repaired (too many failed repairs)",
        )
    return LoopBreaker(
        configuration="not replaced (never reported to ESS); the node's verdict and log say why",
        hardware=f"replaced (ESS SetInstanceHealth); failed launches and removals go to CloudMonitor "
        f"system events (ESS notification {group_name}-events); no threshold stops replacing",
        source="Alibaba Auto Scaling SetInstanceHealth, CreateNotificationConfiguration",
    )


def describe(cloud: str, group_name: str, static: bool = False) -> str:
    """One line for the plan: both classes and where replacing stops."""
    b = loop_breaker(cloud, group_name, static)
    return f"loop breaker: configuration failure -> {b.configuration}; hardware failure -> {b.hardware}"
