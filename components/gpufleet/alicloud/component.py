"""AlicloudGpuGroup: one validated Alibaba Cloud group as an ESS scaling group.

This module only wires resources; every argument comes from a pure builder in this
package. Alibaba resources have no region argument, so every resource gets
``parent=self`` and the group's explicit regional provider (one per fleet and region,
made by GpuFleet through :func:`provider`); the ambient default provider is never used.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import pulumi
import pulumi_alicloud as alicloud

from gpufleet import rundate
from gpufleet.alicloud import cluster, iam, launch, loopbreaker, network, scaling
from gpufleet.alicloud.image import AlicloudImage, image_for
from gpufleet.alicloud.names import scaling_group_name
from gpufleet.alicloud.schedule import ScheduleError, ending_window_warning
from gpufleet.alicloud.spot import spot_plan
from gpufleet.bootstrap import UserDataTooLarge
from gpufleet.context import GroupContext
from gpufleet.group import GroupArgs, common_outputs

COMPONENT_TYPE = "gpufleet:alicloud:AlicloudGpuGroup"


def provider(name: str, region: str, opts: pulumi.ResourceOptions) -> pulumi.ProviderResource:
    """An Alibaba Cloud provider pinned to ``region``: the only way to choose a region there
    (pulumi-alicloud has no per-resource region; pulumi_alicloud/config/vars.py reads ``region``)."""
    return alicloud.Provider(name, alicloud.ProviderArgs(region=region), opts=opts)


def _warn_ending(task: str, end: str | None, *, today: dt.date) -> None:
    if end and (msg := ending_window_warning(task, end, today)):
        pulumi.log.warn(msg)


def build(
    ctx: GroupContext,
    provider: pulumi.ProviderResource,
    opts: pulumi.ResourceOptions,
    baked_image_id: pulumi.Input[str] | None = None,
) -> AlicloudGpuGroup:
    return AlicloudGpuGroup(ctx.name, GroupArgs(ctx, provider, baked_image_id), opts)


class AlicloudGpuGroup(pulumi.ComponentResource):
    """GPU nodes of one group: network, security group, RAM role, scaling group and
    configuration, GPU alarms and scheduled tasks."""

    scaling_group_id: pulumi.Output[str]
    scaling_configuration_id: pulumi.Output[str]
    security_group_id: pulumi.Output[str]
    vpc_id: pulumi.Input[str]
    vswitch_ids: list[pulumi.Output[str]]
    outputs: dict[str, Any]
    """What the component registers; GpuFleet exports it per group."""

    def __init__(self, name: str, args: GroupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        ctx, provider = args.context, args.provider
        super().__init__(
            COMPONENT_TYPE,
            name,
            None,
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(providers={"alicloud": provider})),
        )
        self._ctx, self._name = ctx, name
        self._child = pulumi.ResourceOptions(parent=self, provider=provider)
        group, child = ctx.group, self._child
        image = image_for(ctx, args.baked_image_id)
        spot = spot_plan(ctx.resolved, ctx.catalog, ctx.fleet.alicloud.billing if ctx.fleet.alicloud else None)

        self.vpc_id, self.vswitch_ids = self._network()
        sg = alicloud.ecs.SecurityGroup(f"{name}-nodes", network.security_group_args(ctx, self.vpc_id), opts=child)
        for suffix, rule in network.security_group_rules(ctx, sg.id):
            alicloud.ecs.SecurityGroupRule(f"{name}-{suffix}", rule, opts=child)

        role = alicloud.ram.Role(f"{name}-node", iam.role_args(ctx), opts=child)
        if group.capacity.mode == "static":
            self._static_cluster(sg, role, image)
            return
        asg = alicloud.ess.ScalingGroup(
            f"{name}-asg",
            scaling.scaling_group_args(ctx, self.vswitch_ids, len(self.vswitch_ids), spot),
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(ignore_changes=scaling.IGNORE_CHANGES)),
        )
        region = group.region
        policy = alicloud.ram.Policy(
            f"{name}-node-health",
            iam.policy_args(ctx, asg.id.apply(lambda sg_id: iam.node_policy_document(region, sg_id))),
            opts=child,
        )
        alicloud.ram.RolePolicyAttachment(
            f"{name}-node-health", iam.policy_attachment_args(policy.policy_name, role.role_name), opts=child
        )

        if group.bootstrap.health_check:  # nodes report hardware failures to ESS
            loopbreaker.create(ctx, name, asg.id, role.arn, child)

        try:
            config_args = launch.scaling_configuration_args(
                ctx, scaling_group_id=asg.id, security_group_id=sg.id, role_name=role.role_name, image=image, spot=spot
            )
        except UserDataTooLarge as e:
            raise pulumi.RunError(f"{name}: {e}") from None
        config = alicloud.ess.ScalingConfiguration(f"{name}-config", config_args, opts=child)

        gpu = scaling.gpu_scaling(ctx)
        if gpu is not None:
            scale_out = alicloud.ess.ScalingRule(
                f"{name}-gpu-scale-out", scaling.scale_out_rule_args(ctx, asg.id), opts=child
            )
            scale_in = alicloud.ess.ScalingRule(
                f"{name}-gpu-scale-in", scaling.scale_in_rule_args(ctx, asg.id, gpu), opts=child
            )
            alicloud.ess.Alarm(
                f"{name}-gpu-out", scaling.alarm_args(ctx, asg.id, scale_out.ari, gpu, "out"), opts=child
            )
            alicloud.ess.Alarm(f"{name}-gpu-in", scaling.alarm_args(ctx, asg.id, scale_in.ari, gpu, "in"), opts=child)
        today = rundate.today()
        try:
            tasks = scaling.scheduled_tasks(ctx, asg.id, today)
        except ScheduleError as e:
            raise pulumi.RunError(f"{name}: autoscaling.schedules: {e}") from None
        for task in tasks:
            resource = alicloud.ess.ScheduledTask(
                task.name,
                task.args,
                # A derived window is renewed by replacing the task: delete first, so the new task
                # never meets the old one's name (whether ESS refuses a duplicate: UNVERIFIED).
                opts=pulumi.ResourceOptions.merge(
                    child,
                    pulumi.ResourceOptions(ignore_changes=task.ignore_changes, delete_before_replace=task.derived),
                ),
            )
            if task.derived:  # the deployed end (from state) is what ESS runs by: say when it is near
                resource.recurrence_end_time.apply(functools.partial(_warn_ending, task.name, today=today))

        self.scaling_group_id = asg.id
        self.scaling_configuration_id = config.id
        self.security_group_id = sg.id
        self.outputs = {
            **common_outputs(
                ctx,
                group_id=asg.id,
                group_name=scaling_group_name(ctx.name),  # fixed by the builder, never None
                network_id=self.vpc_id,
                subnet_ids=self.vswitch_ids,
                security_group_id=sg.id,
            ),
            "scalingGroupId": asg.id,
            "scalingGroupName": asg.scaling_group_name,
            "scalingConfigurationId": config.id,
            "securityGroupId": sg.id,
            "vpcId": self.vpc_id,
            "vswitchIds": self.vswitch_ids,
            "ramRoleName": role.role_name,
            "multiAzPolicy": scaling.multi_az_policy(group, len(self.vswitch_ids)),
            "networkInterfaceTrafficMode": launch.traffic_mode(ctx),
            "eriInterfacesPerNode": launch.interfaces_per_node(ctx) if group.rdma else 0,
            "spotStrategy": spot.strategy,
            "spotPriceLimits": dict(spot.limits),
            "spotPriceCurrency": spot.currency,
            "gpuScaling": (
                {
                    "metric": f"{gpu.metric.namespace}/{gpu.metric.name}",
                    "scaleOutAtPercent": gpu.scale_out_at,
                    "scaleInAtPercent": gpu.scale_in_at,
                }
                if gpu is not None
                else None
            ),
            "scheduledTasksUtc": {t.name: t.utc.cron for t in tasks},
        }
        self.register_outputs(self.outputs)

    def _static_cluster(self, sg: alicloud.ecs.SecurityGroup, role: alicloud.ram.Role, image: AlicloudImage) -> None:
        """``capacity.mode: static``: a LowLatency deployment set and its N instances (cluster.py),
        and a node policy that lets them tag their own health; no ESS."""
        ctx, name, child = self._ctx, self._name, self._child
        ds = alicloud.ecs.EcsDeploymentSet(f"{name}-ds", cluster.deployment_set_args(ctx), opts=child)
        try:
            data = cluster.user_data(ctx, image)
        except UserDataTooLarge as e:
            raise pulumi.RunError(f"{name}: {e}") from None
        nodes = [
            alicloud.ecs.Instance(
                cluster.instance_name(ctx, i),
                cluster.instance_args(
                    ctx,
                    i,
                    vswitch_id=self.vswitch_ids[0],
                    security_group_id=sg.id,
                    deployment_set_id=ds.id,
                    role_name=role.role_name,
                    image=image,
                    user_data=data,
                ),
                opts=child,
            )
            for i in range(cluster.node_count(ctx))
        ]
        region = ctx.group.region
        document = pulumi.Output.all(*[n.id for n in nodes]).apply(
            lambda ids: iam.static_node_policy_document(region, [str(i) for i in ids])
        )
        policy = alicloud.ram.Policy(f"{name}-node-health", iam.policy_args(ctx, document), opts=child)
        alicloud.ram.RolePolicyAttachment(
            f"{name}-node-health", iam.policy_attachment_args(policy.policy_name, role.role_name), opts=child
        )
        self.security_group_id = sg.id
        self.outputs = {
            **common_outputs(
                ctx,
                group_id=ds.id,
                group_name=cluster.deployment_set_name(ctx),
                network_id=self.vpc_id,
                subnet_ids=self.vswitch_ids,
                security_group_id=sg.id,
            ),
            "capacityMode": "static",
            "deploymentSetId": ds.id,
            "deploymentSetStrategy": ds.strategy,
            "instanceIds": [n.id for n in nodes],
            "securityGroupId": sg.id,
            "vpcId": self.vpc_id,
            "vswitchIds": self.vswitch_ids,
            "ramRoleName": role.role_name,
            "networkInterfaceTrafficMode": launch.traffic_mode(ctx),
            "eriInterfacesPerNode": launch.interfaces_per_node(ctx) if ctx.group.rdma else 0,
            "spotStrategy": "NoSpot",
        }
        self.register_outputs(self.outputs)

    def _network(self) -> tuple[pulumi.Input[str], list[pulumi.Output[str]]]:
        """The VPC id and the vSwitches nodes run in: the user's, or a created network."""
        ctx, child = self._ctx, self._child
        net = ctx.group.network
        if not net.create:
            # alicloud/rules.py requires vpcId with subnetIds: the security group is per VPC
            # and nothing is looked up at plan time.
            assert net.subnet_ids is not None and net.vpc_id is not None
            return net.vpc_id, [pulumi.Output.from_input(s) for s in net.subnet_ids]

        name = self._name
        vpc = alicloud.vpc.Network(f"{name}-vpc", network.vpc_args(ctx), opts=child)
        switches = [
            (zone, alicloud.vpc.Switch(f"{name}-vsw-{zone}", network.vswitch_args(ctx, vpc.id, zone, cidr), opts=child))
            for zone, cidr in network.vswitch_plan(ctx)
        ]
        nat = alicloud.vpc.NatGateway(
            f"{name}-nat", network.nat_gateway_args(ctx, vpc.id, switches[0][1].id), opts=child
        )
        eip = alicloud.ecs.EipAddress(f"{name}-nat", network.eip_args(ctx), opts=child)
        assoc = alicloud.ecs.EipAssociation(f"{name}-nat", network.eip_association_args(eip.id, nat.id), opts=child)
        for zone, switch in switches:
            alicloud.vpc.SnatEntry(
                f"{name}-snat-{zone}",
                network.snat_entry_args(ctx, zone, nat.snat_table_ids, switch.id, eip.ip_address),
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[assoc])),
            )
        return vpc.id, [s.id for _, s in switches]
