"""no-secrets-in-user-data: decoding (base64, gzip, MIME) and the secret patterns, on all three clouds."""

from __future__ import annotations

import base64
import gzip
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from gpufleet.bootstrap import NodeContext, render_cloud_config
from gpufleet.catalog import Catalog, Cloud
from gpufleet.policy.secrets import decode_user_data, scan
from gpufleet.spec import BootstrapSpec
from policy.graphs import BUILDERS, LT, SC, VMSS, b64, check, patch, where

LEAKY = "#cloud-config\nruncmd:\n  - echo start\n  - export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"

PUT_LEAK = {
    "aws": lambda g, data: patch(g, LT, {"userData": data}),
    "azure": lambda g, data: patch(g, VMSS, {"virtualMachineProfile": {"osProfile": {"customData": data}}}),
    "alicloud": lambda g, data: patch(g, SC, {"userData": data}),
}


@pytest.mark.parametrize("cloud", sorted(BUILDERS))
def test_clean_user_data_passes(cloud: str) -> None:
    assert check(BUILDERS[cloud](), "no-secrets-in-user-data") == []


@pytest.mark.parametrize("cloud", sorted(BUILDERS))
def test_a_key_in_base64_user_data_fails_and_is_not_echoed(cloud: str) -> None:
    found = check(PUT_LEAK[cloud](BUILDERS[cloud](), b64(LEAKY)), "no-secrets-in-user-data")
    assert len(found) == 1
    assert "an AWS access key id on line 4" in found[0].message
    assert "AKIAIOSFODNN7EXAMPLE" not in found[0].message  # the message never repeats the secret


def test_azure_user_data_field_is_scanned_too() -> None:
    graph = patch(BUILDERS["azure"](), VMSS, {"virtualMachineProfile": {"userData": b64("password: Hunter2Hunter2")}})
    found = check(graph, "no-secrets-in-user-data")
    assert "virtualMachineProfile.userData" in found[0].message


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "an AWS secret access key"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n", "a private key"),
        ("DefaultEndpointsProtocol=https;AccountName=x;AccountKey=" + "A" * 86 + "==", "an Azure storage account key"),
        ("ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tAbCdEfGhIjKlMn", "an Alibaba AccessKey id"),
        ("git clone https://ghp_" + "a" * 36 + "@github.com/x/y", "a GitHub token"),
        ("HF_TOKEN=hf_" + "b" * 34, "a Hugging Face token"),
        ("curl -H 'Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345'", "a bearer token"),
        ("  password: s3cretPassw0rd", "a password or secret assignment"),
        ('{"api_key": "0123456789abcdef"}', "a password or secret assignment"),
    ],
)
def test_patterns(text: str, kind: str) -> None:
    assert kind in [f.kind for f in scan(text)]


@pytest.mark.parametrize(
    "text",
    [
        # IMDSv2 token dance in bootstrap scripts: values are references, not literals.
        'TOKEN=$(curl -s -X PUT "http://169.254.169.254/latest/api/token")',
        'curl -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/',
        "ssh_pwauth: false\nlock_passwd: true\nchpasswd: {expire: false}",
        "password: {{ secrets.db }}",
        "token: required",
    ],
)
def test_references_and_cloud_init_keys_are_not_secrets(text: str) -> None:
    assert scan(text) == []


def test_decoding_base64_gzip_and_mime() -> None:
    assert decode_user_data(b64("hello")) == "hello"
    assert decode_user_data("#cloud-config\nruncmd: []\n") == "#cloud-config\nruncmd: []\n"  # plain text stays
    gz = base64.b64encode(gzip.compress(LEAKY.encode())).decode()
    assert "AKIA" in decode_user_data(gz)
    mime = MIMEMultipart()
    part = MIMEText(LEAKY, "cloud-config")
    mime.attach(part)  # MIMEText base64-encodes non-ASCII-safe payloads; decode them all
    assert "AKIAIOSFODNN7EXAMPLE" in decode_user_data(b64(mime.as_string()))


def test_extra_patterns_from_config() -> None:
    graph = PUT_LEAK["aws"](BUILDERS["aws"](), b64("#cloud-config\nwrite_files:\n  - content: corp-secret-42\n"))
    assert check(graph, "no-secrets-in-user-data") == []
    found = check(
        graph, "no-secrets-in-user-data", {"no-secrets-in-user-data": {"extraPatterns": [r"corp-secret-\d+"]}}
    )
    assert where(found) == ["demo-trainers-lt"] and "extraPatterns[0] on line 3" in found[0].message


@pytest.mark.parametrize(
    ("cloud", "region", "instance_type"),
    [
        ("aws", "us-east-1", "p5.48xlarge"),
        ("azure", "eastus", "Standard_ND96isr_H100_v5"),
        ("alicloud", "cn-beijing", "ecs.gn7i-c8g1.2xlarge"),
    ],
)
def test_gpufleet_rendered_user_data_is_clean(catalog: Catalog, cloud: Cloud, region: str, instance_type: str) -> None:
    # The real bootstrap renderer must never trip the policy (its scripts fetch tokens at boot).
    instance = catalog.instance(cloud, instance_type)
    assert instance is not None
    node = NodeContext(
        cloud=cloud, region=region, group="trainers", instance=instance, rdma=instance.has_rdma, image_has_driver=False
    )
    text = render_cloud_config(BootstrapSpec(), node)
    # base64 by hand: the size limit of encode_user_data is not this test's concern.
    assert scan(decode_user_data(b64(text))) == []


def test_non_ascii_user_data_is_scanned_with_correct_lines() -> None:
    # lower() can change lengths outside ASCII, so the scanner takes its slow path there.
    text = "#cloud-config\n# Grüße, İstanbul\nruncmd:\n  - echo AKIAIOSFODNN7EXAMPLE\n"
    assert [(f.kind, f.line) for f in scan(text)] == [("an AWS access key id", 4)]
