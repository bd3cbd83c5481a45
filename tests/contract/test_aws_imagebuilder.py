"""EC2 Image Builder requests (GpuImage) against botocore's imagebuilder model: the template is
contract-clean with every imagebuilder type mapped, and a wrong request gives a finding."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from contract_cases import assert_fires, plan_template
from gpufleet.contract import aws, check_plan
from gpufleet.contract.awsmap_imagebuilder import BUILDERS
from gpufleet.contract.base import Finding, apply_rules
from gpufleet.plan.engine import CapturedResource

STACK = "aws-images-l4"


@dataclass(frozen=True)
class Res:
    type: str
    name: str
    inputs: dict[str, Any]
    urn: str = ""
    dependencies: tuple[str, ...] = field(default_factory=tuple)


@pytest.fixture(scope="module")
def planned() -> list[CapturedResource]:
    return plan_template(STACK).resources


def findings(resources: list[Any]) -> list[Finding]:
    reqs = aws.requests(resources)
    return aws.model_findings(reqs) + apply_rules(reqs)


def mutated(resources: list[Any], type_: str, change: Callable[[dict[str, Any]], None]) -> list[Any]:
    out, done = [], False
    for r in resources:
        if r.type == type_ and not done:
            inputs = copy.deepcopy(r.inputs)
            change(inputs)
            r, done = Res(r.type, r.name, inputs, r.urn, r.dependencies), True
        out.append(r)
    assert done, f"no {type_} in the plan"
    return out


def test_template_is_contract_clean_and_every_imagebuilder_type_is_mapped(planned: list[CapturedResource]) -> None:
    report = check_plan(planned)
    assert report.findings == [] and report.unmapped_types == []
    ops = {q.operation for q in aws.requests(planned)}
    assert {
        "imagebuilder.CreateComponent",
        "imagebuilder.CreateImageRecipe",
        "imagebuilder.CreateInfrastructureConfiguration",
        "imagebuilder.CreateDistributionConfiguration",
        "imagebuilder.CreateImage",
        "imagebuilder.CreateLifecyclePolicy",
    } <= ops
    assert {r.type for r in planned if r.type.startswith("aws:imagebuilder/")} == set(BUILDERS)


def test_requests_carry_what_the_image_needs(planned: list[CapturedResource]) -> None:
    reqs = {q.operation: q.params for q in aws.requests(planned) if q.operation.startswith("imagebuilder.")}
    infra = reqs["imagebuilder.CreateInfrastructureConfiguration"]
    assert infra["instanceMetadataOptions"]["httpTokens"] == "required"
    assert infra["instanceTypes"] == ["g6.xlarge"] and infra["subnetId"].startswith("subnet-")
    assert infra["resourceTags"]["gpufleet-image"] == "l4-r580"  # build instances are tagged
    ebs = reqs["imagebuilder.CreateImageRecipe"]["blockDeviceMappings"][0]["ebs"]
    assert ebs["encrypted"] is True  # the SDK's "true" string, parsed as the provider does
    assert reqs["imagebuilder.CreateImageRecipe"]["parentImage"].startswith("ssm:/aws/service/canonical/")
    assert reqs["imagebuilder.CreateImage"]["imageTestsConfiguration"] == {"imageTestsEnabled": False}
    dist = reqs["imagebuilder.CreateDistributionConfiguration"]["distributions"]
    assert [d["region"] for d in dist] == ["us-east-1"]


def test_imds_v1_on_the_builder_is_a_pattern_finding(planned: list[CapturedResource]) -> None:
    t = "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration"
    bad = mutated(planned, t, lambda i: i["instanceMetadataOptions"].update(httpTokens="require"))
    assert_fires(findings(bad), "aws.model.pattern", "instanceMetadataOptions.httpTokens")


def test_a_component_document_over_16000_characters_is_a_max_finding(planned: list[CapturedResource]) -> None:
    bad = mutated(planned, "aws:imagebuilder/component:Component", lambda i: i.update(data="x" * 16001))
    assert_fires(findings(bad), "aws.model.max", "data")


def test_an_unknown_volume_type_is_an_enum_finding(planned: list[CapturedResource]) -> None:
    t = "aws:imagebuilder/imageRecipe:ImageRecipe"
    bad = mutated(planned, t, lambda i: i["blockDeviceMappings"][0]["ebs"].update(volumeType="gp4"))
    assert_fires(findings(bad), "aws.model.enum", "blockDeviceMappings[0].ebs.volumeType")


def test_an_ami_name_with_a_slash_is_a_pattern_finding(planned: list[CapturedResource]) -> None:
    t = "aws:imagebuilder/distributionConfiguration:DistributionConfiguration"
    bad = mutated(
        planned, t, lambda i: i["distributions"][0]["amiDistributionConfiguration"].update(name="img/l4 {{x}}")
    )
    assert_fires(findings(bad), "aws.model.pattern", "distributions[0].amiDistributionConfiguration.name")


def test_an_input_the_mapping_does_not_know_is_a_finding(planned: list[CapturedResource]) -> None:
    bad = mutated(planned, "aws:imagebuilder/image:Image", lambda i: i.update(imageRecipeArnn="arn:x"))
    assert_fires(findings(bad), "aws.mapping.unmapped-input", "imageRecipeArnn")


def test_a_missing_infrastructure_configuration_is_a_shape_finding(planned: list[CapturedResource]) -> None:
    bad = mutated(planned, "aws:imagebuilder/image:Image", lambda i: i.pop("infrastructureConfigurationArn"))
    assert_fires(findings(bad), "aws.model.shape")


def test_retention_selects_exactly_the_images_this_build_tags(planned: list[CapturedResource]) -> None:
    reqs = {q.operation: q.params for q in aws.requests(planned) if q.operation.startswith("imagebuilder.")}
    life = reqs["imagebuilder.CreateLifecyclePolicy"]
    selected = life["resourceSelection"]["tagMap"]
    assert selected.items() <= reqs["imagebuilder.CreateImage"]["tags"].items()  # the policy finds our image
    (detail,) = life["policyDetails"]
    assert detail["filter"] == {"type": "COUNT", "value": 3}
    assert detail["action"] == {"type": "DELETE", "includeResources": {"amis": True, "snapshots": True}}
    assert detail["exclusionRules"]["amis"]["lastLaunched"] == {"unit": "DAYS", "value": 30}


def test_an_unknown_lifecycle_filter_is_an_enum_finding(planned: list[CapturedResource]) -> None:
    t = "aws:imagebuilder/lifecyclePolicy:LifecyclePolicy"
    bad = mutated(planned, t, lambda i: i["policyDetails"][0]["filter"].update(type="NEWEST"))
    assert_fires(findings(bad), "aws.model.enum", "policyDetails[0].filter.type")


VARIANTS = {
    # EFA image for p5 (fabric manager + EFA installer in the bundle), copied to a second region.
    "p5-efa-two-regions": (
        {"instanceTypes": ["p5.48xlarge"], "rdma": True, "regions": ["us-west-2"], "bootstrap": {"cuda": "12.8"}},
        {
            "region": "us-west-2",
            "zones": ["us-west-2a"],
            "rdma": True,
            "gpu": {"instanceTypes": ["p5.48xlarge"]},
            "bootstrap": {"cuda": "12.8", "image": {"name": "l4-r580"}},
        },
    ),
    "ubuntu-24.04-no-dcgm": (
        {"bootstrap": {"os": "ubuntu-24.04", "dcgm": False}},
        {"bootstrap": {"os": "ubuntu-24.04", "dcgm": False, "image": {"name": "l4-r580"}}},
    ),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_image_variants_plan_contract_clean(variant: str) -> None:
    from contract_cases import plan_fleet, template_fleet

    image_over, group_over = VARIANTS[variant]
    fleet = copy.deepcopy(template_fleet(STACK))
    img, group = fleet["images"][0], fleet["groups"][0]
    img.update({k: v for k, v in image_over.items() if k != "bootstrap"})
    img["bootstrap"].update(image_over.get("bootstrap", {}))
    group.update({k: v for k, v in group_over.items() if k != "bootstrap"})
    group["bootstrap"].update(group_over.get("bootstrap", {}))
    if "gpu" in group_over:
        group.pop("market")
    run = plan_fleet(fleet, stack=f"contract-{variant}")
    report = check_plan(run.resources)
    assert report.findings == [] and report.unmapped_types == []
    lts = [r for r in run.resources if r.type == "aws:ec2/launchTemplate:LaunchTemplate"]
    assert lts and all(str(r.inputs["imageId"]).startswith("ami-") for r in lts)
