"""imdsv2-required, encrypted-disks, no-public-ip and no-open-ingress on all three clouds."""

from __future__ import annotations

from typing import Any

import pytest

from policy.graphs import (
    ALI_LT,
    ALI_RULE,
    BUILDERS,
    DROP,
    INGRESS,
    LT,
    NSG,
    SC,
    SG,
    VMSS,
    Graph,
    alicloud_graph,
    check,
    patch,
    where,
)

SECURITY = ["imdsv2-required", "encrypted-disks", "no-public-ip", "no-open-ingress"]


@pytest.mark.parametrize("cloud", sorted(BUILDERS))
@pytest.mark.parametrize("policy", SECURITY)
def test_the_secure_base_graphs_pass(cloud: str, policy: str) -> None:
    # Passing case per cloud: gpufleet's secure defaults produce no violation.
    assert check(BUILDERS[cloud](), policy) == []


# imdsv2-required -----------------------------------------------------------------------------


def test_imds_aws_launch_template_must_require_tokens() -> None:
    found = check(patch(BUILDERS["aws"](), LT, {"metadataOptions": {"httpTokens": "optional"}}), "imdsv2-required")
    assert where(found) == ["demo-trainers-lt"]
    assert "httpTokens is optional" in found[0].message and "'required'" in found[0].message
    # Absent options default to "optional" (EC2 API reference, LaunchTemplateInstanceMetadataOptionsRequest
    # HttpTokens), so that fails too.
    assert check(patch(BUILDERS["aws"](), LT, {"metadataOptions": DROP}), "imdsv2-required")


def test_imds_aws_disabled_endpoint_is_fine() -> None:
    graph = patch(BUILDERS["aws"](), LT, {"metadataOptions": {"httpTokens": "optional", "httpEndpoint": "disabled"}})
    assert check(graph, "imdsv2-required") == []


def test_imds_alicloud_launch_template() -> None:
    assert check(alicloud_graph(launch_template=True), "imdsv2-required") == []
    found = check(patch(alicloud_graph(launch_template=True), ALI_LT, {"httpTokens": DROP}), "imdsv2-required")
    assert where(found) == ["demo-servers-lt"] and "hardened mode" in found[0].message


def test_imds_alicloud_scaling_configuration_needs_explicit_acceptance() -> None:
    # Failing case: by default a scaling configuration cannot prove token-only metadata.
    found = check(alicloud_graph(), "imdsv2-required", {"imdsv2-required": {"acceptScalingConfiguration": False}})
    assert where(found) == ["demo-servers-config"]
    assert "acceptScalingConfiguration" in found[0].message
    # ... unless metadata is switched off altogether.
    off = patch(alicloud_graph(), SC, {"httpEndpoint": "disabled"})
    assert check(off, "imdsv2-required", {"imdsv2-required": {"acceptScalingConfiguration": False}}) == []


def test_imds_has_nothing_to_require_on_azure() -> None:
    # Azure IMDS has no token mode; even a scale set without any security settings passes.
    graph = patch(BUILDERS["azure"](), VMSS, {"virtualMachineProfile": {"securityProfile": DROP}})
    assert check(graph, "imdsv2-required") == []


# encrypted-disks -------------------------------------------------------------------------------

DISK_FAILURES: list[tuple[str, Any, str]] = [
    # (cloud, graph -> graph, expected text)
    (
        "aws",
        lambda g: patch(g, LT, {"blockDeviceMappings": [{"deviceName": "/dev/sda1", "ebs": {"encrypted": "false"}}]}),
        "EBS volume /dev/sda1 is not encrypted",
    ),
    ("aws", lambda g: patch(g, LT, {"blockDeviceMappings": DROP}), "declares no blockDeviceMappings"),
    (
        "azure",
        lambda g: patch(g, VMSS, {"virtualMachineProfile": {"securityProfile": {"encryptionAtHost": DROP}}}),
        "encryptionAtHost is not set",
    ),
    (
        "azure",
        lambda g: patch(
            g,
            VMSS,
            {
                "virtualMachineProfile": {
                    "storageProfile": {
                        "osDisk": {"vhdContainers": ["https://x.blob.core.windows.net/vhds"], "managedDisk": DROP}
                    }
                }
            },
        ),
        "unmanaged VHD",
    ),
    ("alicloud", lambda g: patch(g, SC, {"systemDiskEncrypted": False}), "set systemDiskEncrypted true"),
    (
        "alicloud",
        lambda g: patch(g, SC, {"dataDisks": [{"name": "scratch", "size": 500.0}]}),
        "data disk scratch is not encrypted",
    ),
]


@pytest.mark.parametrize(("cloud", "breaker", "expected"), DISK_FAILURES)
def test_unencrypted_disks_fail(cloud: str, breaker: Any, expected: str) -> None:
    found = check(breaker(BUILDERS[cloud]()), "encrypted-disks")
    assert len(found) == 1 and expected in found[0].message, found


def test_alicloud_launch_template_system_disk() -> None:
    graph = patch(alicloud_graph(launch_template=True), ALI_LT, {"systemDisk": {"encrypted": False}})
    assert "set systemDisk.encrypted true" in check(graph, "encrypted-disks")[0].message


def test_an_explicit_opt_out_passes_on_encryption_at_rest_and_the_message_says_so() -> None:
    # issue 15 item 4: encryptionAtHost false (the spec's opt-out) is the documented alternative
    # (managed disks are encrypted at rest); unset is still a violation, which names both ways.
    off = patch(BUILDERS["azure"](), VMSS, {"virtualMachineProfile": {"securityProfile": {"encryptionAtHost": False}}})
    assert check(off, "encrypted-disks") == []
    unset = patch(BUILDERS["azure"](), VMSS, {"virtualMachineProfile": {"securityProfile": DROP}})
    (found,) = check(unset, "encrypted-disks")
    assert "az feature register --namespace Microsoft.Compute --name EncryptionAtHost" in found.message
    assert "encryption at rest with platform or customer keys" in found.message
    # the opt-out does not excuse an unmanaged VHD
    vhd = patch(off, VMSS, {"virtualMachineProfile": {"storageProfile": {"osDisk": {"vhdContainers": ["https://x"]}}}})
    assert any("unmanaged VHD" in f.message for f in check(vhd, "encrypted-disks"))


def test_encryption_at_host_can_be_waived_in_config() -> None:
    graph = patch(BUILDERS["azure"](), VMSS, {"virtualMachineProfile": {"securityProfile": DROP}})
    assert check(graph, "encrypted-disks")
    assert check(graph, "encrypted-disks", {"encrypted-disks": {"requireEncryptionAtHost": False}}) == []


# no-public-ip ----------------------------------------------------------------------------------


def _aws_public(g: Any) -> Any:
    lt = next(r for r in g if r.type == LT)
    nics = [dict(n) for n in lt.inputs["networkInterfaces"]]
    nics[0]["associatePublicIpAddress"] = "true"
    return patch(g, LT, {"networkInterfaces": nics})


def _azure_public(g: Any) -> Any:
    vmss = next(r for r in g if r.type == VMSS)
    nic = dict(vmss.inputs["virtualMachineProfile"]["networkProfile"]["networkInterfaceConfigurations"][0])
    nic["ipConfigurations"] = [{**nic["ipConfigurations"][0], "publicIPAddressConfiguration": {"name": "pub"}}]
    return patch(g, VMSS, {"virtualMachineProfile": {"networkProfile": {"networkInterfaceConfigurations": [nic]}}})


@pytest.mark.parametrize(
    ("cloud", "breaker", "expected"),
    [
        ("aws", _aws_public, "associatePublicIpAddress 'true'"),
        ("azure", _azure_public, "publicIPAddressConfiguration"),
        ("alicloud", lambda g: patch(g, SC, {"internetMaxBandwidthOut": 10.0}), "internetMaxBandwidthOut 10"),
    ],
)
def test_public_ips_fail(cloud: str, breaker: Any, expected: str) -> None:
    found = check(breaker(BUILDERS[cloud]()), "no-public-ip")
    assert len(found) == 1 and expected in found[0].message, found


def test_aws_subnet_that_maps_public_ips() -> None:
    graph = BUILDERS["aws"]()
    g = Graph()
    subnet = g.add(
        "aws:ec2/subnet:Subnet",
        "demo-public",
        {"vpcId": "vpc-0abc", "mapPublicIpOnLaunch": True, "region": "us-east-1"},
    )
    found = check([*graph, subnet], "no-public-ip")
    assert where(found) == ["demo-public"] and "mapPublicIpOnLaunch" in found[0].message
    assert check([*graph, subnet], "no-public-ip", {"no-public-ip": {"checkSubnets": False}}) == []


# no-open-ingress -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cloud", "type_", "over", "expected"),
    [
        # AWS separate rule resources, IPv4 and IPv6
        ("aws", INGRESS, {"cidrIpv4": "0.0.0.0/0", "referencedSecurityGroupId": DROP}, "from 0.0.0.0/0"),
        ("aws", INGRESS, {"cidrIpv6": "::/0", "referencedSecurityGroupId": DROP}, "from ::/0"),
        # AWS inline ingress on the security group
        (
            "aws",
            SG,
            {"ingress": [{"protocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrBlocks": ["0.0.0.0/0"]}]},
            "ingress[0] allows inbound traffic from 0.0.0.0/0",
        ),
        # Azure: an inbound allow rule from the Internet service tag
        (
            "azure",
            NSG,
            {
                "securityRules": [
                    {
                        "name": "ssh",
                        "direction": "Inbound",
                        "access": "Allow",
                        "protocol": "Tcp",
                        "priority": 200.0,
                        "sourceAddressPrefix": "Internet",
                    }
                ]
            },
            "rule 'ssh' allows inbound traffic from Internet",
        ),
        (
            "azure",
            NSG,
            {
                "securityRules": [
                    {
                        "name": "any",
                        "direction": "Inbound",
                        "access": "Allow",
                        "protocol": "*",
                        "priority": 200.0,
                        "sourceAddressPrefixes": ["10.0.0.0/8", "0.0.0.0/0"],
                    }
                ]
            },
            "from 0.0.0.0/0",
        ),
        ("alicloud", ALI_RULE, {"cidrIp": "0.0.0.0/0"}, "from 0.0.0.0/0"),
    ],
)
def test_open_ingress_fails(cloud: str, type_: str, over: dict[str, Any], expected: str) -> None:
    name = {"alicloud": "demo-servers-intra"}.get(cloud)
    found = check(patch(BUILDERS[cloud](), type_, over, name=name), "no-open-ingress")
    assert len(found) == 1 and expected in found[0].message, found


def test_open_egress_and_denies_are_fine() -> None:
    # The base graphs already carry 0.0.0.0/0 egress (AWS, Alibaba) and a deny-Internet rule (Azure).
    deny = {"securityRules": [{"name": "d", "direction": "Inbound", "access": "Deny", "sourceAddressPrefix": "*"}]}
    assert check(patch(BUILDERS["azure"](), NSG, deny), "no-open-ingress") == []
    drop_rule = patch(
        BUILDERS["alicloud"](), ALI_RULE, {"cidrIp": "0.0.0.0/0", "policy": "drop"}, name="demo-servers-intra"
    )
    assert check(drop_rule, "no-open-ingress") == []


def _azure_rule(source: str) -> list[Any]:
    g = Graph()
    rule = g.add(
        "azure-native:network:SecurityRule",
        "web",
        {"direction": "Inbound", "access": "Allow", "sourceAddressPrefix": source, "location": "eastus"},
    )
    return [*BUILDERS["azure"](), rule]


@pytest.mark.parametrize(
    "source",
    ["0.0.0.0/1", "128.0.0.0/1", "::/1", "8000::/1", "3.0.0.0/8", "8.8.8.8/32", "*", "Internet", "any"],
)
def test_public_ranges_smaller_than_the_internet_are_open(source: str) -> None:
    # Not only sources that contain 0.0.0.0/0: any public range overlaps the internet.
    found = check(_azure_rule(source), "no-open-ingress")
    assert where(found) == ["web"] and f"from {source} (the internet)" in found[0].message, found


@pytest.mark.parametrize("source", ["10.0.0.0/8", "172.16.0.0/12", "192.168.4.0/24", "fd00::/8", "VirtualNetwork"])
def test_private_sources_pass(source: str) -> None:
    assert check(_azure_rule(source), "no-open-ingress") == []


@pytest.mark.parametrize("source", ["not-a-cidr", "10.0.0.0/33", "Storage.EastUS"])
def test_unreadable_sources_are_violations(source: str) -> None:
    found = check(_azure_rule(source), "no-open-ingress")
    assert where(found) == ["web"] and f"cannot tell whether '{source}' is open" in found[0].message, found


def test_blocked_ranges_are_configurable() -> None:
    graph = _azure_rule("3.0.0.0/8")
    # Blocking only the upper half of IPv4 (and IPv6) leaves 3.0.0.0/8 alone ...
    assert check(graph, "no-open-ingress", {"no-open-ingress": {"blockedCidrs": ["128.0.0.0/1", "::/0"]}}) == []
    # ... and the lower half catches it.
    found = check(graph, "no-open-ingress", {"no-open-ingress": {"blockedCidrs": ["0.0.0.0/1", "::/0"]}})
    assert where(found) == ["web"]
