"""Secure-by-default resource policies: IMDSv2, encrypted disks, no public IPs, no open ingress.

Each policy looks only at the resource types it knows on each cloud and ignores the
rest, so it can run on every resource the engine registers.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from gpufleet.policy import props as p
from gpufleet.policy.base import schema, settings
from gpufleet.policy.groups import ALI_LT, AWS_LT, ESS_CONFIG, VMSS

AWS_INSTANCE = "aws:ec2/instance:Instance"
AWS_SUBNET = "aws:ec2/subnet:Subnet"
AWS_SG = "aws:ec2/securityGroup:SecurityGroup"
AWS_SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
AWS_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
AZ_NSG = "azure-native:network:NetworkSecurityGroup"
AZ_RULE = "azure-native:network:SecurityRule"
ALI_INSTANCE = "alicloud:ecs/instance:Instance"
ALI_SG_RULE = "alicloud:ecs/securityGroupRule:SecurityGroupRule"


def _name(args: ResourceValidationArgs) -> str:
    return f"{args.resource_type} '{args.name}'"


# imdsv2-required -------------------------------------------------------------------------------

IMDS_SCHEMA = schema(
    {
        "acceptScalingConfiguration": {
            "type": "boolean",
            "default": False,
            "description": (
                "Accept Alibaba ESS scaling configurations, which cannot require metadata tokens "
                "(pulumi-alicloud 4.0 has no httpTokens on them) unless httpEndpoint is 'disabled'."
            ),
        },
    }
)


def validate_imds(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    t, props = args.resource_type, args.props
    if t in (AWS_LT, AWS_INSTANCE):
        # http_tokens defaults to "optional" (EC2 API reference, LaunchTemplateInstanceMetadataOptionsRequest
        # HttpTokens, unless the AMI sets ImdsSupport v2.0); a disabled endpoint has no IMDS at all.
        if p.text(props, "metadataOptions", "httpEndpoint") == "disabled":
            return
        tokens = p.text(props, "metadataOptions", "httpTokens") or "optional (the default)"
        if tokens != "required":
            report_violation(
                f"{_name(args)} allows IMDSv1: metadataOptions.httpTokens is {tokens}. Set metadataOptions."
                "httpTokens to 'required' (with httpPutResponseHopLimit 2 for containers).",
                None,
            )
    elif t in (ALI_LT, ALI_INSTANCE):
        # Alibaba "hardened mode" is the IMDSv2 equivalent: HttpTokens=required (ModifyInstanceMetadataOptions).
        if p.text(props, "httpEndpoint") == "disabled":
            return
        tokens = p.text(props, "httpTokens") or "optional (the default)"
        if tokens != "required":
            report_violation(
                f"{_name(args)} allows metadata access without a token: httpTokens is {tokens}. Set httpTokens "
                "to 'required' (hardened mode).",
                None,
            )
    elif t == ESS_CONFIG:
        config = settings(args.get_config(), IMDS_SCHEMA)
        if p.text(props, "httpEndpoint") == "disabled" or config["acceptScalingConfiguration"]:
            return
        report_violation(
            f"{_name(args)} cannot require metadata tokens (ESS scaling configurations have no httpTokens in "
            "pulumi-alicloud 4.0). Launch the scaling group from an EcsLaunchTemplate with httpTokens 'required' "
            "(ScalingGroup.launchTemplateId), set httpEndpoint 'disabled', or accept it with "
            "acceptScalingConfiguration: true in the imdsv2-required config.",
            None,
        )
    # Azure IMDS has no token mode to require (requests need the "Metadata: true" header), so
    # there is nothing to check on Azure resources.


IMDSV2_REQUIRED = ResourceValidationPolicy(
    name="imdsv2-required",
    description="Instances must require session tokens for the instance metadata service (IMDSv2).",
    validate=validate_imds,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=IMDS_SCHEMA,
    severity=Severity.HIGH,
    remediation_steps="Set httpTokens to 'required' on launch templates and instances.",
)


# encrypted-disks -------------------------------------------------------------------------------

DISKS_SCHEMA = schema(
    {
        "requireEncryptionAtHost": {
            "type": "boolean",
            "default": True,
            "description": (
                "Azure: also require securityProfile.encryptionAtHost (temp disk and caches). Managed disks are "
                "always encrypted at rest; this covers what that leaves out. Needs the EncryptionAtHost feature. "
                "A scale set that turns it off explicitly (gpufleet encryptionAtHost: false) passes on managed "
                "disks' encryption at rest with platform or customer keys."
            ),
        },
    }
)


def _aws_disks(args: ResourceValidationArgs) -> list[str]:
    props = args.props
    if args.resource_type == AWS_LT:
        mappings = p.items(props, "blockDeviceMappings")
        ebs = [(p.text(m, "deviceName") or f"#{i}", p.get(m, "ebs")) for i, m in enumerate(mappings)]
        ebs = [(d, e) for d, e in ebs if e is not None]
        if not ebs:
            return [
                "declares no blockDeviceMappings, so its root volume's encryption depends on the AMI snapshot or "
                "the account's EBS default, which policies cannot see: map the root device with ebs.encrypted 'true'"
            ]
        fix = "is not encrypted: set ebs.encrypted to 'true'"
        return [f"EBS volume {d} {fix}" for d, e in ebs if not p.flag(e, "encrypted")]
    out = []
    if not p.flag(props, "rootBlockDevice", "encrypted"):
        out.append("its root volume is not encrypted: set rootBlockDevice.encrypted true")
    for d in p.items(props, "ebsBlockDevices"):
        if not p.flag(d, "encrypted"):
            out.append(f"EBS volume {p.text(d, 'deviceName') or '?'} is not encrypted: set encrypted true")
    return out


def _azure_disks(args: ResourceValidationArgs) -> list[str]:
    vm = p.get(args.props, "virtualMachineProfile")
    out = []
    if p.present(vm, "storageProfile", "osDisk", "vhdContainers"):
        out.append("its OS disk is an unmanaged VHD: use a managed disk (managed disks are encrypted at rest)")
    config = settings(args.get_config(), DISKS_SCHEMA)
    at_host = p.get(vm, "securityProfile", "encryptionAtHost")
    # Explicit false is the spec's opt-out (encryptionAtHost: false): the documented alternative is
    # server-side encryption at rest, which every managed disk has with platform-managed keys, or
    # customer-managed keys through a disk encryption set [DOC: Microsoft Learn "Server-side
    # encryption of Azure Disk Storage": managed disks are encrypted by default; temp disks and
    # caches only with encryption at host]. The unmanaged-VHD check above still applies.
    if config["requireEncryptionAtHost"] and at_host is not True and at_host is not False:
        out.append(
            "virtualMachineProfile.securityProfile.encryptionAtHost is not set, so temp disks and disk caches are "
            "not encrypted: set it true (needs 'az feature register --namespace Microsoft.Compute --name "
            "EncryptionAtHost'), or set it false explicitly (gpufleet: encryptionAtHost: false) to rely on managed "
            "disks' encryption at rest with platform or customer keys, which this policy then accepts"
        )
    return out


def _alicloud_disks(args: ResourceValidationArgs) -> list[str]:
    props = args.props
    out = []
    if args.resource_type == ALI_LT:
        system = p.flag(props, "systemDisk", "encrypted")
        where = "systemDisk.encrypted"
    else:
        system = p.flag(props, "systemDiskEncrypted")
        where = "systemDiskEncrypted"
    if not system:
        out.append(f"its system disk is not encrypted: set {where} true")
    for i, d in enumerate(p.items(props, "dataDisks")):
        if not p.flag(d, "encrypted"):
            label = p.text(d, "name") or p.text(d, "device") or str(i)
            out.append(f"data disk {label} is not encrypted: set encrypted true")
    return out


def validate_disks(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    t = args.resource_type
    if t in (AWS_LT, AWS_INSTANCE):
        problems = _aws_disks(args)
    elif t == VMSS:
        problems = _azure_disks(args)
    elif t in (ALI_LT, ESS_CONFIG, ALI_INSTANCE):
        problems = _alicloud_disks(args)
    else:
        return
    for problem in problems:
        report_violation(f"{_name(args)}: {problem}.", None)


ENCRYPTED_DISKS = ResourceValidationPolicy(
    name="encrypted-disks",
    description="Every disk of a GPU node must be encrypted.",
    validate=validate_disks,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=DISKS_SCHEMA,
    severity=Severity.HIGH,
    remediation_steps="Encrypt root and data disks in the launch template or scale set.",
)


# no-public-ip ----------------------------------------------------------------------------------

PUBLIC_IP_SCHEMA = schema(
    {
        "checkSubnets": {
            "type": "boolean",
            "default": True,
            "description": "AWS: also flag subnets with mapPublicIpOnLaunch (instances there get public IPs).",
        },
    }
)


def validate_public_ip(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    t, props = args.resource_type, args.props
    if t == AWS_LT:
        for i, nic in enumerate(p.items(props, "networkInterfaces")):
            if p.flag(nic, "associatePublicIpAddress"):
                report_violation(
                    f"{_name(args)}: network interface {i} sets associatePublicIpAddress 'true': set it 'false' and "
                    "reach nodes through a private path (SSM, a bastion or a VPN).",
                    None,
                )
    elif t == AWS_INSTANCE:
        if p.flag(props, "associatePublicIpAddress"):
            report_violation(f"{_name(args)} sets associatePublicIpAddress true: set it false.", None)
    elif t == AWS_SUBNET:
        if settings(args.get_config(), PUBLIC_IP_SCHEMA)["checkSubnets"] and p.flag(props, "mapPublicIpOnLaunch"):
            report_violation(
                f"{_name(args)} sets mapPublicIpOnLaunch true, so instances launched in it get public IPs: set it "
                "false (use a NAT gateway for egress).",
                None,
            )
    elif t == VMSS:
        nics = p.items(props, "virtualMachineProfile", "networkProfile", "networkInterfaceConfigurations")
        for nic in nics:
            for ip in p.items(nic, "ipConfigurations"):
                if p.present(ip, "publicIPAddressConfiguration"):
                    report_violation(
                        f"{_name(args)}: ip configuration '{p.text(ip, 'name')}' of '{p.text(nic, 'name')}' has a "
                        "publicIPAddressConfiguration: remove it (use a NAT gateway for egress).",
                        None,
                    )
    elif t in (ESS_CONFIG, ALI_LT, ALI_INSTANCE):
        # A public IP needs outbound public bandwidth > 0 (Alibaba AllocatePublicIpAddress precautions);
        # ESS assigns one to every instance it launches when the bandwidth is > 0 (UNVERIFIED for ESS).
        bandwidth = p.number(props, "internetMaxBandwidthOut") or 0
        if bandwidth > 0:
            report_violation(
                f"{_name(args)} sets internetMaxBandwidthOut {bandwidth:g} Mbit/s, which gives instances a public "
                "IP: set it 0 (use a NAT gateway for egress).",
                None,
            )


NO_PUBLIC_IP = ResourceValidationPolicy(
    name="no-public-ip",
    description="GPU nodes must not get public IP addresses.",
    validate=validate_public_ip,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PUBLIC_IP_SCHEMA,
    severity=Severity.HIGH,
    remediation_steps="Remove public IP settings; use private access paths and NAT for egress.",
)


# no-open-ingress -------------------------------------------------------------------------------

INGRESS_SCHEMA = schema(
    {
        "blockedCidrs": {
            "type": "array",
            "items": {"type": "string", "format": "cidr"},
            "minItems": 1,
            "uniqueItems": True,
            "default": ["0.0.0.0/0", "::/0"],
            "description": (
                "Sources that count as 'the internet'. A rule whose source overlaps one of these networks and is "
                "not entirely private (or is Azure's '*', 'Internet' or 'Any', or cannot be parsed) is a violation."
            ),
        },
    }
)

AZURE_ANY = frozenset({"*", "internet", "any"})
AZURE_INTERNAL = frozenset({"virtualnetwork", "azureloadbalancer"})
"""Azure service tags that are not the internet: Azure's own default inbound rules allow them
(AllowVnetInBound, AllowAzureLoadBalancerInBound; learn.microsoft.com, "Network security groups")."""

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(cidrs: list[str]) -> list[Network]:
    return [ipaddress.ip_network(c, strict=False) for c in cidrs]


def _exposure(source: str, blocked: list[Network]) -> str | None:
    """Why ``source`` counts as open to the internet, or None when it does not.

    A source is open when it overlaps a blocked network and is not entirely private
    (``ipaddress`` ``is_private``: both ends inside one IANA special-purpose private
    range), so ``0.0.0.0/1`` or a public /8 count, not only sources containing
    ``0.0.0.0/0``. A source that is neither a network nor a known tag cannot be judged,
    and a rule that cannot be judged does not pass.
    """
    text = source.strip()
    if text.lower() in AZURE_ANY:
        return "the internet"
    if text.lower() in AZURE_INTERNAL:
        return None
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return "unknown"
    if net.is_private:
        return None
    if any(net.version == b.version and net.overlaps(b) for b in blocked):
        return "the internet"
    return None


def _ingress_sources(args: ResourceValidationArgs) -> list[tuple[str, str]]:
    """(rule label, source) pairs of the inbound allow rules of a resource."""
    t, props = args.resource_type, args.props
    out: list[tuple[str, str]] = []
    if t == AWS_SG:
        for i, rule in enumerate(p.items(props, "ingress")):
            for key in ("cidrBlocks", "ipv6CidrBlocks"):
                out += [(f"ingress[{i}]", s) for s in (p.text(x) for x in p.items(rule, key)) if s]
    elif t == AWS_SG_RULE:
        if p.text(props, "type") == "ingress":
            for key in ("cidrBlocks", "ipv6CidrBlocks"):
                out += [("rule", s) for s in (p.text(x) for x in p.items(props, key)) if s]
    elif t == AWS_INGRESS_RULE:
        out += [("rule", s) for s in (p.text(props, "cidrIpv4"), p.text(props, "cidrIpv6")) if s]
    elif t in (AZ_NSG, AZ_RULE):
        rules: list[Any] = p.items(props, "securityRules") if t == AZ_NSG else [props]
        for rule in rules:
            direction = (p.text(rule, "direction") or "").lower()
            access = (p.text(rule, "access") or "").lower()
            if direction == "inbound" and access == "allow":
                label = f"rule '{p.text(rule, 'name') or args.name}'"
                sources = [p.text(rule, "sourceAddressPrefix")]
                sources += [p.text(x) for x in p.items(rule, "sourceAddressPrefixes")]
                out += [(label, s) for s in sources if s]
    elif t == ALI_SG_RULE and p.text(props, "type") == "ingress" and (p.text(props, "policy") or "accept") == "accept":
        out += [("rule", s) for s in (p.text(props, "cidrIp"), p.text(props, "ipv6CidrIp")) if s]
    return out


def validate_ingress(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    sources = _ingress_sources(args)
    if not sources:
        return
    config = settings(args.get_config(), INGRESS_SCHEMA)
    blocked = _networks(list(config["blockedCidrs"]))
    for label, source in sources:
        exposure = _exposure(source, blocked)
        if exposure == "unknown":
            report_violation(
                f"{_name(args)}: {label} allows inbound traffic from '{source}', and policies cannot tell whether "
                f"'{source}' is open to the internet (it is not a CIDR or a known service tag). Use a private CIDR "
                "or a security group reference.",
                None,
            )
        elif exposure is not None:
            report_violation(
                f"{_name(args)}: {label} allows inbound traffic from {source} ({exposure}). Allow only the VPC/VNet "
                "range or a security group, and reach nodes through a private path.",
                None,
            )


NO_OPEN_INGRESS = ResourceValidationPolicy(
    name="no-open-ingress",
    description="Security rules must not allow inbound traffic from the internet (0.0.0.0/0 or ::/0).",
    validate=validate_ingress,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=INGRESS_SCHEMA,
    severity=Severity.CRITICAL,
    remediation_steps="Restrict inbound rules to private ranges or security-group references.",
)
