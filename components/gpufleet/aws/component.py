"""AwsGpuGroup: one validated AWS group as a launch template + Auto Scaling group.

This module only wires resources; every argument comes from a pure builder in this
package. Every resource gets ``parent=self`` and the group's explicit regional
provider: gpufleet never uses the ambient default provider.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from gpufleet.aws import asg, iam, launch, loopbreaker, network, nodefiles, scaling
from gpufleet.aws.image import image_for
from gpufleet.aws.netplan import plan_network
from gpufleet.context import GroupContext
from gpufleet.group import GroupArgs, common_outputs

COMPONENT_TYPE = "gpufleet:aws:AwsGpuGroup"


def provider(name: str, region: str, opts: pulumi.ResourceOptions) -> pulumi.ProviderResource:
    """An AWS provider pinned to ``region`` (one per fleet and Region)."""
    return aws.Provider(name, aws.ProviderArgs(region=region), opts=opts)


def build(
    ctx: GroupContext,
    provider: pulumi.ProviderResource,
    opts: pulumi.ResourceOptions,
    baked_image_id: pulumi.Input[str] | None = None,
) -> AwsGpuGroup:
    return AwsGpuGroup(ctx.name, GroupArgs(ctx, provider, baked_image_id), opts)


class AwsGpuGroup(pulumi.ComponentResource):
    """GPU nodes of one group: IAM identity, network, launch template, ASG, scaling."""

    asg_name: pulumi.Output[str]
    asg_arn: pulumi.Output[str]
    launch_template_id: pulumi.Output[str]
    launch_template_latest_version: pulumi.Output[int]
    placement_group: pulumi.Output[str] | None
    """Cluster placement group name (EFA groups only)."""
    security_group_id: pulumi.Output[str]
    subnet_ids: list[pulumi.Output[str]]
    outputs: dict[str, Any]
    """What the component registers; GpuFleet exports it per group."""

    def __init__(self, name: str, args: GroupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        ctx, provider = args.context, args.provider
        super().__init__(
            COMPONENT_TYPE,
            name,
            None,
            pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(providers={"aws": provider})),
        )
        self._ctx, self._name = ctx, name
        self._child = pulumi.ResourceOptions(parent=self, provider=provider)
        group = ctx.group

        vpc_id, subnet_ids = self._network()
        sg = aws.ec2.SecurityGroup(f"{name}-nodes", network.security_group_args(ctx, vpc_id), opts=self._child)
        for suffix, rule in network.security_group_rules(ctx, sg.id):
            if isinstance(rule, aws.vpc.SecurityGroupIngressRuleArgs):
                aws.vpc.SecurityGroupIngressRule(f"{name}-{suffix}", rule, opts=self._child)
            else:
                aws.vpc.SecurityGroupEgressRule(f"{name}-{suffix}", rule, opts=self._child)

        role = aws.iam.Role(f"{name}-node", iam.role_args(ctx), opts=self._child)
        for policy_arn in iam.managed_policy_arns(group.region):
            short = policy_arn.rsplit("/", 1)[-1]
            aws.iam.RolePolicyAttachment(
                f"{name}-{short}", iam.policy_attachment_args(role.name, policy_arn), opts=self._child
            )
        aws.iam.RolePolicy(f"{name}-lifecycle", iam.node_policy_args(ctx, role.name), opts=self._child)
        if group.bootstrap.health_check:  # the alarms count what gpufleet-health publishes
            loopbreaker.create(ctx, name, role.name, self._child)
        profile = aws.iam.InstanceProfile(f"{name}-node", iam.instance_profile_args(ctx, role.name), opts=self._child)

        pg = (
            aws.ec2.PlacementGroup(
                f"{name}-pg", aws.ec2.PlacementGroupArgs(strategy="cluster", tags=dict(ctx.tags)), opts=self._child
            )
            if group.rdma
            else None
        )

        # The node's files: a private S3 object the user-data loader fetches and checks (aws/nodefiles.py).
        image = image_for(ctx, args.baked_image_id)
        files = launch.node_files(ctx, image)
        bucket = aws.s3.Bucket(f"{name}-boot", nodefiles.bucket_args(ctx), opts=self._child)
        private = aws.s3.BucketPublicAccessBlock(
            f"{name}-boot", nodefiles.public_access_block_args(bucket.bucket), opts=self._child
        )
        obj = aws.s3.BucketObjectv2(
            f"{name}-boot",
            nodefiles.object_args(bucket.bucket, files),
            # Kept on replacement: older launch template versions still name it.
            opts=pulumi.ResourceOptions.merge(
                self._child, pulumi.ResourceOptions(retain_on_delete=True, depends_on=[private])
            ),
        )
        read = aws.iam.RolePolicy(
            f"{name}-node-files", nodefiles.read_policy_args(ctx, role.name, bucket.bucket), opts=self._child
        )

        lt = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            launch.launch_template_args(
                ctx,
                image=image,
                instance_profile_arn=profile.arn,
                security_group_id=sg.id,
                node_files_bucket=bucket.bucket,
                node_files=files,
            ),
            # No node launches before its bundle and the right to read it exist.
            opts=pulumi.ResourceOptions.merge(self._child, pulumi.ResourceOptions(depends_on=[obj, read])),
        )
        group_res = aws.autoscaling.Group(
            f"{name}-asg",
            asg.group_args(
                ctx,
                launch_template_id=lt.id,
                launch_template_version=lt.latest_version.apply(str),
                subnet_ids=subnet_ids,
                placement_group=pg.name if pg is not None else None,
            ),
            opts=pulumi.ResourceOptions.merge(self._child, pulumi.ResourceOptions(ignore_changes=asg.IGNORE_CHANGES)),
        )

        policy = scaling.target_tracking_args(ctx, group_res.name)
        if policy is not None:
            aws.autoscaling.Policy(f"{name}-gpu-utilization", policy, opts=self._child)
        for action, schedule in scaling.schedule_args(ctx, group_res.name):
            aws.autoscaling.Schedule(action, schedule, opts=self._child)

        self.asg_name = group_res.name
        self.asg_arn = group_res.arn
        self.launch_template_id = lt.id
        self.launch_template_latest_version = lt.latest_version
        self.placement_group = pg.name if pg is not None else None
        self.security_group_id = sg.id
        self.subnet_ids = subnet_ids
        self.outputs = {
            **common_outputs(
                ctx,
                group_id=group_res.id,
                group_name=group_res.name,
                network_id=vpc_id,
                subnet_ids=subnet_ids,
                security_group_id=sg.id,
            ),
            "asgName": self.asg_name,
            "asgArn": self.asg_arn,
            "launchTemplateId": self.launch_template_id,
            "launchTemplateLatestVersion": self.launch_template_latest_version,
            "placementGroup": self.placement_group,
            "securityGroupId": self.security_group_id,
            "subnetIds": self.subnet_ids,
            "vpcId": vpc_id,
        }
        self.register_outputs(self.outputs)

    def _network(self) -> tuple[pulumi.Input[str], list[pulumi.Output[str]]]:
        """The VPC id and the subnets nodes run in: the user's, or a created VPC."""
        ctx = self._ctx
        net = ctx.group.network
        if not net.create:
            # aws/rules.py requires vpcId with subnetIds (security groups are per VPC and
            # nothing is looked up at plan time).
            assert net.subnet_ids is not None and net.vpc_id is not None
            return net.vpc_id, [pulumi.Output.from_input(s) for s in net.subnet_ids]

        name, child = self._name, self._child
        plan = plan_network(ctx.group)
        vpc = aws.ec2.Vpc(f"{name}-vpc", network.vpc_args(ctx, plan), opts=child)
        public = aws.ec2.Subnet(f"{name}-public", network.subnet_args(ctx, vpc.id, plan.public, "public"), opts=child)
        igw = aws.ec2.InternetGateway(f"{name}-igw", network.internet_gateway_args(ctx, vpc.id), opts=child)
        public_rt = aws.ec2.RouteTable(f"{name}-public", network.route_table_args(ctx, vpc.id, "public"), opts=child)
        aws.ec2.Route(f"{name}-public-default", network.default_route_args(public_rt.id, gateway_id=igw.id), opts=child)
        aws.ec2.RouteTableAssociation(f"{name}-public", network.association_args(public_rt.id, public.id), opts=child)

        eip = aws.ec2.Eip(f"{name}-nat", network.nat_eip_args(ctx), opts=child)
        nat = aws.ec2.NatGateway(
            f"{name}-nat",
            network.nat_gateway_args(ctx, eip.allocation_id, public.id),
            # The NAT gateway needs the internet gateway attached to route out.
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[igw])),
        )
        private_rt = aws.ec2.RouteTable(f"{name}-private", network.route_table_args(ctx, vpc.id, "private"), opts=child)
        aws.ec2.Route(
            f"{name}-private-default", network.default_route_args(private_rt.id, nat_gateway_id=nat.id), opts=child
        )
        aws.ec2.VpcEndpoint(f"{name}-s3", network.s3_endpoint_args(ctx, vpc.id, [private_rt.id]), opts=child)

        subnet_ids: list[pulumi.Output[str]] = []
        for subnet in plan.private:
            sn = aws.ec2.Subnet(
                f"{name}-private-{subnet.zone}",
                network.subnet_args(ctx, vpc.id, subnet, f"private-{subnet.zone}"),
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{subnet.zone}", network.association_args(private_rt.id, sn.id), opts=child
            )
            subnet_ids.append(sn.id)
        return vpc.id, subnet_ids
