"""EC2 Image Builder resources of one baked image: pure builders (spec -> Args).

A build is: components (the build bundle in chunks, then ``gpufleet-build``) -> an image
recipe on the base image with an encrypted root volume -> an infrastructure configuration
(builder type, private subnet, IMDSv2, a role with only Image Builder's managed policies) ->
a distribution configuration (an AMI in each of the image's regions) -> an Image, which
Image Builder builds when the resource is created; the provider waits for it, so the AMI id
is an output of ``pulumi up`` [DOC: EC2 Image Builder User Guide, "Create an image"; SDK:
aws.imagebuilder.Image docstring "Manages an Image Builder Image"].

Every definition is immutable: a changed bundle or stack replaces the component and recipe
(auto-named, so create-before-delete does not collide) and builds a new Image, i.e. a new
AMI; the old AMI stays until Image Builder's retention (docs/images.md) removes it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws
import yaml

from gpufleet.aws.names import partition
from gpufleet.bootstrap.images import build_base_image
from gpufleet.imagebuild.cost import BUILD_HOURS_TAG
from gpufleet.imagebuild.script import BUILD_SCRIPT, BuildBundle
from gpufleet.spec import GpuImageSpec

COMPONENT_DATA_MAX = 16000
"""CreateComponent ``data`` allows at most 16000 characters [botocore imagebuilder service
model, CreateComponentRequest.data max]; the bundle (about 16 KB in base64) is split across
components written in order."""
CHUNK = 15000
"""Base64 characters per component; the rest of the 16000 is the YAML around them."""
STAGING = "/var/tmp/gpufleet-build.b64"

ROOT_DEVICE_NAME = "/dev/sda1"
"""Canonical's Ubuntu AMIs boot from /dev/sda1 (as gpufleet.aws.launch.ROOT_DEVICE_NAME, UNVERIFIED
there too); a mapping for another name would add a volume instead of sizing the root one."""
ROOT_VOLUME_GIB = 100
"""Build root volume, which becomes the AMI's root snapshot size: a choice (driver, CUDA and
DCGM take a few GB), and at most the groups' root volume (aws.launch.ROOT_VOLUME_GIB = 200), as
a launch needs a root volume no smaller than the snapshot."""

INSTANCE_POLICIES = ("EC2InstanceProfileForImageBuilder", "AmazonSSMManagedInstanceCore")
"""The build instance's only permissions: what Image Builder's docs require of its instance
profile (the SSM agent runs the components; the Image Builder policy lets it fetch components
and write logs) [DOC: EC2 Image Builder User Guide, "Prerequisites": "IAM role ... with
EC2InstanceProfileForImageBuilder and AmazonSSMManagedInstanceCore"]."""

RECIPE_VERSION = "1.0.0"
"""Semantic version of every gpufleet component and recipe: each is auto-named, so a change
is a new resource rather than a new version of the same name."""


def tags(image: GpuImageSpec, fleet: str, fleet_tags: Mapping[str, str]) -> dict[str, str]:
    """Fleet tags, then the image's, then gpufleet's bookkeeping tags."""
    return {**fleet_tags, **image.tags, "gpufleet-fleet": fleet, "gpufleet-image": image.name}


def component_documents(bundle: BuildBundle) -> list[str]:
    """Image Builder component documents (YAML, schemaVersion 1.0, phase ``build``, action
    ``ExecuteBash``) [DOC: EC2 Image Builder User Guide, "Use the component document
    framework"]: each but the last appends one chunk of the bundle to a staging file; the
    last unpacks it and runs the build."""
    chunks = [bundle.b64[i : i + CHUNK] for i in range(0, len(bundle.b64), CHUNK)]
    docs = []
    for i, chunk in enumerate(chunks):
        redirect = ">" if i == 0 else ">>"
        docs.append(_document(f"StageBundle{i + 1}", [f"printf '%s' '{chunk}' {redirect} {STAGING}"]))
    docs.append(
        _document(
            "BuildGpuStack",
            [f"base64 -d {STAGING} | tar -xz -C /", f"rm -f {STAGING}", BUILD_SCRIPT],
        )
    )
    for d in docs:
        if len(d) > COMPONENT_DATA_MAX:
            raise ValueError(f"component document is {len(d)} characters, over {COMPONENT_DATA_MAX}")
    return docs


def _document(step: str, commands: Sequence[str]) -> str:
    doc = {
        "name": f"gpufleet-{step}",
        "schemaVersion": 1.0,
        "phases": [
            {
                "name": "build",
                "steps": [{"name": step, "action": "ExecuteBash", "inputs": {"commands": list(commands)}}],
            }
        ],
    }
    return yaml.safe_dump(doc, sort_keys=False, width=1 << 20)


def component_args(
    image: GpuImageSpec, document: str, index: int, tag_map: Mapping[str, str]
) -> aws.imagebuilder.ComponentArgs:
    return aws.imagebuilder.ComponentArgs(
        platform="Linux",
        version=RECIPE_VERSION,
        data=document,
        description=f"gpufleet image {image.name}: build step {index + 1}",
        supported_os_versions=[_os_version(image)],
        tags=dict(tag_map),
    )


def _os_version(image: GpuImageSpec) -> str:
    # Image Builder names Ubuntu releases "Ubuntu 22.04" [DOC: EC2 Image Builder User Guide,
    # "Supported operating systems"; UNVERIFIED exact spelling for 24.04].
    return "Ubuntu " + image.bootstrap.os.split("-", 1)[1]


def parent_image(image: GpuImageSpec) -> str:
    """The recipe's parent image: an AMI id, or ``ssm:<parameter>`` (Image Builder resolves it
    at build time) [DOC: Image Builder API CreateImageRecipe parentImage: "AWS Systems Manager
    Parameter Store Parameter, prefixed by ssm:, followed by the parameter name or ARN"]."""
    base = build_base_image(image)
    return f"ssm:{base.ref}" if base.kind == "ssm-parameter" else base.ref


def recipe_args(
    image: GpuImageSpec, component_arns: Sequence[pulumi.Input[str]], tag_map: Mapping[str, str]
) -> aws.imagebuilder.ImageRecipeArgs:
    return aws.imagebuilder.ImageRecipeArgs(
        parent_image=parent_image(image),
        version=RECIPE_VERSION,
        components=[aws.imagebuilder.ImageRecipeComponentArgs(component_arn=arn) for arn in component_arns],
        block_device_mappings=[
            aws.imagebuilder.ImageRecipeBlockDeviceMappingArgs(
                device_name=ROOT_DEVICE_NAME,
                ebs=aws.imagebuilder.ImageRecipeBlockDeviceMappingEbsArgs(
                    encrypted="true",  # the SDK takes this boolean as a string
                    delete_on_termination="true",
                    volume_size=ROOT_VOLUME_GIB,
                    volume_type="gp3",
                ),
            )
        ],
        description=f"gpufleet image {image.name}: driver R{image.bootstrap.driver} on {image.bootstrap.os}",
        tags=dict(tag_map),
    )


def assume_role_policy() -> str:
    """Only EC2 may assume the build instance's role."""
    statement = {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, sort_keys=True)


def role_args(image: GpuImageSpec, tag_map: Mapping[str, str]) -> aws.iam.RoleArgs:
    return aws.iam.RoleArgs(
        assume_role_policy=assume_role_policy(),
        description=f"gpufleet image builder instance role for {image.name}",
        tags=dict(tag_map),
    )


def managed_policy_arns(region: str) -> list[str]:
    return [f"arn:{partition(region)}:iam::aws:policy/{name}" for name in INSTANCE_POLICIES]


def infrastructure_args(
    image: GpuImageSpec, instance_profile_name: pulumi.Input[str], tag_map: Mapping[str, str]
) -> aws.imagebuilder.InfrastructureConfigurationArgs:
    b = image.builder
    return aws.imagebuilder.InfrastructureConfigurationArgs(
        instance_profile_name=instance_profile_name,
        instance_types=[b.instance_type],
        subnet_id=b.subnet_id,
        security_group_ids=list(b.security_group_ids),
        # IMDSv2 only; hop limit 1: nothing on the builder runs behind a container hop.
        instance_metadata_options=aws.imagebuilder.InfrastructureConfigurationInstanceMetadataOptionsArgs(
            http_tokens="required", http_put_response_hop_limit=1
        ),
        terminate_instance_on_failure=True,
        description=f"gpufleet image {image.name}: {b.instance_type} in {b.subnet_id}",
        resource_tags=dict(tag_map),  # the build instance and its volumes
        # The assumed hours ride on the resource so the budget policy can price a build
        # (gpufleet.policy.images.build_costs).
        tags={**tag_map, BUILD_HOURS_TAG: f"{b.hours:g}"},
    )


def distribution_args(
    image: GpuImageSpec, fleet: str, tag_map: Mapping[str, str]
) -> aws.imagebuilder.DistributionConfigurationArgs:
    """An AMI in the build region and in each of ``regions``, named with the build date
    (``{{ imagebuilder:buildDate }}``) so versions never collide [DOC: EC2 Image Builder User
    Guide, "Create distribution settings", output AMI name variables]."""
    return aws.imagebuilder.DistributionConfigurationArgs(
        distributions=[
            aws.imagebuilder.DistributionConfigurationDistributionArgs(
                region=region,
                ami_distribution_configuration=(
                    aws.imagebuilder.DistributionConfigurationDistributionAmiDistributionConfigurationArgs(
                        name=f"{fleet}-{image.name}-{{{{ imagebuilder:buildDate }}}}",
                        description=f"gpufleet image {image.name} (driver R{image.bootstrap.driver})",
                        ami_tags={**tag_map, **stack_tags(image)},
                    )
                ),
            )
            for region in image.all_regions
        ],
        description=f"gpufleet image {image.name}: {', '.join(image.all_regions)}",
        tags=dict(tag_map),
    )


def stack_tags(image: GpuImageSpec) -> dict[str, str]:
    """The recorded stack, on the AMI itself, so an operator can read it off any copy."""
    b = image.bootstrap
    return {
        "gpufleet-driver": b.driver,
        "gpufleet-cuda": b.cuda or "none",
        "gpufleet-os": b.os,
    }


def image_args(
    recipe_arn: pulumi.Input[str],
    infrastructure_arn: pulumi.Input[str],
    distribution_arn: pulumi.Input[str],
    tag_map: Mapping[str, str],
) -> aws.imagebuilder.ImageArgs:
    return aws.imagebuilder.ImageArgs(
        image_recipe_arn=recipe_arn,
        infrastructure_configuration_arn=infrastructure_arn,
        distribution_configuration_arn=distribution_arn,
        # No test components: a test phase would only launch a second instance.
        image_tests_configuration=aws.imagebuilder.ImageImageTestsConfigurationArgs(image_tests_enabled=False),
        tags=dict(tag_map),
    )


def build_timeouts(image: GpuImageSpec) -> pulumi.CustomTimeouts:
    """How long ``pulumi up`` waits for the build: the assumed hours plus one hour. The
    provider's default is 60 minutes (terraform-provider-aws internal/service/imagebuilder/
    image.go: ``Create: schema.DefaultTimeout(60 * time.Minute)``, then waitImageStatusAvailable)."""
    return pulumi.CustomTimeouts(create=f"{math.ceil(image.builder.hours * 60) + 60}m")


LIFECYCLE_POLICY = "service-role/EC2ImageBuilderLifecycleExecutionPolicy"
"""The AWS managed policy lifecycle management runs with (path ``/service-role/``, as moto 5.2.5's
managed-policy data lists it) [DOC: EC2 Image Builder User Guide, "Prerequisites for lifecycle
management"]."""


def lifecycle_role_args(image: GpuImageSpec, tag_map: Mapping[str, str]) -> aws.iam.RoleArgs:
    """The role Image Builder's lifecycle management assumes to delete old versions."""
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "imagebuilder.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    return aws.iam.RoleArgs(
        assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}, sort_keys=True),
        description=f"gpufleet image retention for {image.name}",
        tags=dict(tag_map),
    )


def lifecycle_policy_arn(region: str) -> str:
    return f"arn:{partition(region)}:iam::aws:policy/{LIFECYCLE_POLICY}"


def lifecycle_args(
    image: GpuImageSpec, role_arn: pulumi.Input[str], tag_map: Mapping[str, str]
) -> aws.imagebuilder.LifecyclePolicyArgs:
    """Retention: keep the ``retain`` newest images of this image (selected by its
    ``gpufleet-image`` tag), delete older ones with their AMIs and snapshots, and never one an
    instance launched from in ``retainLaunchedDays`` [SDK: aws.imagebuilder.LifecyclePolicy;
    botocore imagebuilder CreateLifecyclePolicy: filter COUNT, exclusionRules.amis.lastLaunched]."""
    return aws.imagebuilder.LifecyclePolicyArgs(
        execution_role=role_arn,
        resource_type="AMI_IMAGE",
        status="ENABLED",
        description=f"gpufleet image {image.name}: keep {image.retain} versions",
        resource_selection=aws.imagebuilder.LifecyclePolicyResourceSelectionArgs(
            tag_map={"gpufleet-image": image.name, "gpufleet-fleet": tag_map["gpufleet-fleet"]}
        ),
        policy_details=[
            aws.imagebuilder.LifecyclePolicyPolicyDetailArgs(
                action=aws.imagebuilder.LifecyclePolicyPolicyDetailActionArgs(
                    type="DELETE",
                    include_resources=aws.imagebuilder.LifecyclePolicyPolicyDetailActionIncludeResourcesArgs(
                        amis=True, snapshots=True
                    ),
                ),
                filter=aws.imagebuilder.LifecyclePolicyPolicyDetailFilterArgs(type="COUNT", value=image.retain),
                exclusion_rules=aws.imagebuilder.LifecyclePolicyPolicyDetailExclusionRulesArgs(
                    amis=aws.imagebuilder.LifecyclePolicyPolicyDetailExclusionRulesAmisArgs(
                        last_launched=aws.imagebuilder.LifecyclePolicyPolicyDetailExclusionRulesAmisLastLaunchedArgs(
                            unit="DAYS", value=image.retain_launched_days
                        )
                    )
                ),
            )
        ],
        tags=dict(tag_map),
    )
