"""rdma-consistency: RDMA networking comes with the placement it needs on each cloud.

- AWS: EFA interfaces => a cluster placement group and one subnet. OS-bypass (SRD)
  traffic was historically limited to one subnet; cluster placement is AWS's
  recommendation, not an API requirement (AWS EC2 UG "Elastic Fabric Adapter"; UNVERIFIED as "required").
- Azure: an InfiniBand SKU => ``singlePlacementGroup: true``; IB only connects VMs of one
  placement group (MS Learn "High performance computing VM sizes").
- Alibaba: eRDMA (``HighPerformance`` traffic mode) => a ``LowLatency`` deployment set
  (pulumi-alicloud ``ecs.EcsDeploymentSet`` and ``ecs.EcsLaunchTemplate(deployment_set_id=...)``
  docstrings). Only an EcsLaunchTemplate can carry the deployment set.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from gpufleet.catalog import load_catalog
from gpufleet.policy import props as p
from gpufleet.policy.base import schema, settings
from gpufleet.policy.groups import (
    ALI_DEPLOYMENT_SET,
    ALI_LT,
    ASG,
    AWS_LT,
    AWS_PG,
    ESS_GROUP,
    VMSS,
    Index,
    aws_launch_templates,
    ess_sources,
)

ALI_INSTANCE = "alicloud:ecs/instance:Instance"
EFA_TYPES = frozenset({"efa", "efa-only"})

RDMA_SCHEMA = schema(
    {
        "requireClusterPlacementGroup": {
            "type": "boolean",
            "default": True,
            "description": "AWS: a launch template with EFA interfaces must launch into a 'cluster' placement group.",
        },
        "requireSingleSubnet": {
            "type": "boolean",
            "default": True,
            "description": "AWS: an EFA group must use exactly one subnet (one AZ).",
        },
        "requireSinglePlacementGroup": {
            "type": "boolean",
            "default": True,
            "description": "Azure: a scale set of an InfiniBand SKU must set singlePlacementGroup: true.",
        },
        "requireLowLatencyDeploymentSet": {
            "type": "boolean",
            "default": True,
            "description": "Alibaba: instances with eRDMA (HighPerformance) must be in a LowLatency deployment set.",
        },
    }
)


def efa_interfaces(lt: PolicyResource) -> int:
    return sum(1 for nic in p.items(lt.props, "networkInterfaces") if p.text(nic, "interfaceType") in EFA_TYPES)


def _aws(index: Index, config: dict[str, bool], report: ReportViolation) -> None:
    used: set[str] = set()
    for asg in index.by_type.get(ASG, []):
        for lt in aws_launch_templates(index, asg)[:1]:
            used.add(lt.urn)
            if efa_interfaces(lt):
                _aws_pair(index, asg, lt, config, report)
    for lt in index.by_type.get(AWS_LT, []):
        if lt.urn not in used and efa_interfaces(lt):
            _aws_pair(index, None, lt, config, report)


def _aws_pair(
    index: Index, asg: PolicyResource | None, lt: PolicyResource, config: dict[str, bool], report: ReportViolation
) -> None:
    who = f"{ASG} '{asg.name}'" if asg is not None else f"{AWS_LT} '{lt.name}'"
    urn = asg.urn if asg is not None else lt.urn
    n = efa_interfaces(lt)
    if config["requireClusterPlacementGroup"]:
        owner: PolicyResource = lt
        name: str | None = None
        has_ref = False
        if asg is not None and p.present(asg.props, "placementGroup"):
            owner, name, has_ref = asg, p.join_key(asg.props, "placementGroup"), True
        elif p.present(lt.props, "placement", "groupName"):
            owner, name, has_ref = lt, p.join_key(lt.props, "placement", "groupName"), True
        pg = index.referenced(owner, AWS_PG, name) if has_ref else None
        if not has_ref:
            report(
                f"{who} launches {n} EFA interface(s) per node from {AWS_LT} '{lt.name}' without a placement group: "
                "set placementGroup to an aws.ec2.PlacementGroup with strategy 'cluster' (rdma: true in the group "
                "spec makes gpufleet create one).",
                urn,
            )
        elif pg is None:
            report(
                f"{who} uses placement group '{name}', which is not in this stack, so its strategy cannot be "
                "checked: declare the placement group in the stack with strategy 'cluster'.",
                urn,
            )
        elif (strategy := p.text(pg.props, "strategy")) != "cluster":
            report(
                f"{who} runs EFA in {AWS_PG} '{pg.name}' with strategy '{strategy}': EFA clusters need strategy "
                "'cluster' for low latency.",
                urn,
            )
    if config["requireSingleSubnet"]:
        subnets = set()
        if asg is not None:
            subnets |= {s for s in (p.text(x) for x in p.items(asg.props, "vpcZoneIdentifiers")) if s}
            zones = [p.text(x) for x in p.items(asg.props, "availabilityZones")]
            if not subnets and len(set(zones)) > 1:
                report(
                    f"{who} spreads EFA nodes over {len(set(zones))} availability zones: keep an EFA group in one "
                    "subnet of one zone (zones: [one zone] in the group spec).",
                    urn,
                )
        subnets |= {s for nic in p.items(lt.props, "networkInterfaces") if (s := p.text(nic, "subnetId"))}
        if len(subnets) > 1:
            report(
                f"{who} spreads EFA nodes over {len(subnets)} subnets ({', '.join(sorted(subnets))}): EFA OS-bypass "
                "traffic stays within one subnet, so give the group a single subnet and zone.",
                urn,
            )


def _azure(index: Index, config: dict[str, bool], report: ReportViolation) -> None:
    if not config["requireSinglePlacementGroup"]:
        return
    catalog = load_catalog()
    for vmss in index.by_type.get(VMSS, []):
        sku = p.text(vmss.props, "sku", "name")
        it = catalog.instance("azure", sku) if sku else None
        if it is None or it.rdma != "infiniband":
            continue
        if p.flag(vmss.props, "singlePlacementGroup") is not True:
            report(
                f"{VMSS} '{vmss.name}' runs the InfiniBand size {sku} without singlePlacementGroup: true: InfiniBand "
                "only connects VMs of one placement group, so set singlePlacementGroup: true explicitly (capacity "
                "up to 100 VMs).",
                vmss.urn,
            )


def _high_performance(r: PolicyResource) -> bool:
    modes = [p.text(nic, "networkInterfaceTrafficMode") for nic in p.items(r.props, "networkInterfaces")]
    modes.append(p.text(r.props, "networkInterfaceTrafficMode"))
    modes.append(p.text(r.props, "networkInterfaces", "networkInterfaceTrafficMode"))  # ecs.Instance: one object
    return "HighPerformance" in modes


def _deployment_set_problem(index: Index, holder: PolicyResource | None) -> str | None:
    if holder is None:
        return (
            "ESS scaling configurations cannot name a deployment set (pulumi-alicloud 4.0), so launch from an "
            f"{ALI_LT} with deploymentSetId (ScalingGroup.launchTemplateId)"
        )
    ref = p.join_key(holder.props, "deploymentSetId")
    if not p.present(holder.props, "deploymentSetId"):
        return f"{holder.resource_type} '{holder.name}' has no deploymentSetId"
    ds = index.referenced(holder, ALI_DEPLOYMENT_SET, ref)
    if ds is None:
        return f"deployment set '{ref}' is not in this stack, so its strategy cannot be checked"
    # "Availability" is the API default (pulumi-alicloud ecs.EcsDeploymentSet ``strategy`` docstring).
    strategy = p.text(ds.props, "strategy") or "Availability"
    if strategy != "LowLatency":
        return f"{ALI_DEPLOYMENT_SET} '{ds.name}' has strategy '{strategy}'"
    return None


def _alicloud(index: Index, config: dict[str, bool], report: ReportViolation) -> None:
    if not config["requireLowLatencyDeploymentSet"]:
        return
    for group in index.by_type.get(ESS_GROUP, []):
        configs, lt = ess_sources(index, group)
        hp = [c for c in configs if _high_performance(c)]
        if not hp:
            continue
        problem = _deployment_set_problem(index, lt)
        if problem:
            report(
                f"{ESS_GROUP} '{group.name}' launches eRDMA (HighPerformance) nodes from {hp[0].resource_type} "
                f"'{hp[0].name}' but {problem}: eRDMA nodes need an {ALI_DEPLOYMENT_SET} with strategy 'LowLatency'.",
                group.urn,
            )
    for inst in index.by_type.get(ALI_INSTANCE, []):
        if _high_performance(inst):
            problem = _deployment_set_problem(index, inst)
            if problem:
                report(
                    f"{ALI_INSTANCE} '{inst.name}' uses eRDMA (HighPerformance) but {problem}: put it in an "
                    f"{ALI_DEPLOYMENT_SET} with strategy 'LowLatency'.",
                    inst.urn,
                )


def validate_rdma(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    config = settings(args.get_config(), RDMA_SCHEMA)
    index = Index(args.resources)
    _aws(index, config, report_violation)
    _azure(index, config, report_violation)
    _alicloud(index, config, report_violation)


RDMA_CONSISTENCY = StackValidationPolicy(
    name="rdma-consistency",
    description="RDMA networking (EFA, InfiniBand, eRDMA) must come with the placement it needs.",
    validate=validate_rdma,
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=RDMA_SCHEMA,
    severity=Severity.MEDIUM,
    remediation_steps="Set rdma: true in the group spec and let gpufleet create the placement resources.",
)
