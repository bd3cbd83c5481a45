"""GpuImage: one baked image, built by its cloud's managed image builder at ``pulumi up``.

This module only wires resources; every argument comes from a pure builder
(:mod:`gpufleet.imagebuild.aws`, ``.azure``, ``.alicloud``). The image id per region is an
output that the fleet hands to the groups booting the image (``bootstrap.image.name``):
:meth:`GpuImage.image_id_in`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from gpufleet.bootstrap.images import baked_ships
from gpufleet.catalog import Catalog
from gpufleet.imagebuild import alicloud as alib
from gpufleet.imagebuild import aws as awsb
from gpufleet.imagebuild.script import build_bundle
from gpufleet.spec import GpuImageSpec

COMPONENT_TYPE = "gpufleet:images:GpuImage"


@dataclass(frozen=True)
class GpuImageArgs:
    """Arguments of a :class:`GpuImage`."""

    image: GpuImageSpec
    """The validated ``images[]`` entry."""
    fleet: str
    """Fleet name: the prefix of every resource name."""
    fleet_tags: Mapping[str, str]
    """The fleet's tags (the image's own are merged over them)."""
    catalog: Catalog
    """Resolves the builder and target types for the build bundle."""
    provider: pulumi.ProviderResource
    """The explicit provider of the image's cloud and build region."""


def _ami_in(resources: Any, region: str) -> str:
    """The AMI id Image Builder distributed to ``region`` (outputResources[].amis[])."""
    for res in resources or []:
        amis = res.get("amis") if isinstance(res, Mapping) else getattr(res, "amis", None)
        for ami in amis or []:
            where = ami.get("region") if isinstance(ami, Mapping) else getattr(ami, "region", None)
            if where == region:
                got = ami.get("image") if isinstance(ami, Mapping) else getattr(ami, "image", None)
                return str(got)
    raise ValueError(f"the image build distributed no AMI to {region}")


def _ami_reader(region: str) -> Callable[[Any], str]:
    """``outputResources`` -> the AMI id in ``region`` (a named function: mypy types it)."""

    def read(resources: Any) -> str:
        return _ami_in(resources, region)

    return read


class GpuImage(pulumi.ComponentResource):
    """A GPU machine image: the pinned driver stack baked in by the cloud's image builder."""

    image_ids: dict[str, pulumi.Output[str]]
    """The image id in each of the image's regions (build region first); empty on Alibaba, whose
    id is looked up per group (:meth:`image_id_in`)."""
    outputs: dict[str, Any]
    """What the component registers: ids per region and the recorded stack."""

    def __init__(self, name: str, args: GpuImageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(COMPONENT_TYPE, name, None, opts)
        img = args.image
        self._image_name = img.name
        self._lookup: tuple[str, pulumi.Resource] | None = None
        """Alibaba: the image name prefix groups look up, and the template the lookup follows."""
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        if img.cloud == "azure":
            from gpufleet.imagebuild import azure_wiring  # loads azure-native only for Azure images

            definition_id, template = azure_wiring.wire(
                name, img, args.fleet, args.fleet_tags, build_bundle(img, args.fleet, args.catalog), child
            )
            self.image_ids = {region: definition_id for region in img.all_regions}
            self._register(img, {"imageTemplate": template})
            return
        if img.cloud == "alicloud":
            self._alicloud(name, args)
            return
        if img.cloud != "aws":  # validation refuses the others (imagebuild.validate.BUILDER_CLOUDS)
            raise ValueError(f"images: no builder wired for {img.cloud}")
        tags = awsb.tags(img, args.fleet, args.fleet_tags)
        bundle = build_bundle(img, args.fleet, args.catalog)

        components = [
            aws.imagebuilder.Component(f"{name}-step{i + 1}", awsb.component_args(img, doc, i, tags), opts=child)
            for i, doc in enumerate(awsb.component_documents(bundle))
        ]
        recipe = aws.imagebuilder.ImageRecipe(
            f"{name}-recipe", awsb.recipe_args(img, [c.arn for c in components], tags), opts=child
        )
        role = aws.iam.Role(f"{name}-builder", awsb.role_args(img, tags), opts=child)
        for arn in awsb.managed_policy_arns(img.region):
            aws.iam.RolePolicyAttachment(
                f"{name}-{arn.rsplit('/', 1)[-1]}",
                aws.iam.RolePolicyAttachmentArgs(role=role.name, policy_arn=arn),
                opts=child,
            )
        profile = aws.iam.InstanceProfile(
            f"{name}-builder", aws.iam.InstanceProfileArgs(role=role.name, tags=dict(tags)), opts=child
        )
        infra = aws.imagebuilder.InfrastructureConfiguration(
            f"{name}-infra", awsb.infrastructure_args(img, profile.name, tags), opts=child
        )
        dist = aws.imagebuilder.DistributionConfiguration(
            f"{name}-dist", awsb.distribution_args(img, args.fleet, tags), opts=child
        )
        built = aws.imagebuilder.Image(
            f"{name}-image",
            awsb.image_args(recipe.arn, infra.arn, dist.arn, tags),
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(custom_timeouts=awsb.build_timeouts(img))),
        )
        # Retention: Image Builder's lifecycle management deletes old versions (docs/images.md).
        keeper = aws.iam.Role(f"{name}-retention", awsb.lifecycle_role_args(img, tags), opts=child)
        aws.iam.RolePolicyAttachment(
            f"{name}-retention",
            aws.iam.RolePolicyAttachmentArgs(role=keeper.name, policy_arn=awsb.lifecycle_policy_arn(img.region)),
            opts=child,
        )
        aws.imagebuilder.LifecyclePolicy(f"{name}-retention", awsb.lifecycle_args(img, keeper.arn, tags), opts=child)
        self.image_ids = {region: built.output_resources.apply(_ami_reader(region)) for region in img.all_regions}
        self._register(img, {"imageArn": built.arn})

    def image_id_in(self, region: str, provider: pulumi.ProviderResource) -> pulumi.Output[str]:
        """The id a group in ``region`` boots. AWS and Azure: the build's output. Alibaba: the
        newest available image of this stack, found by name with the group's regional
        ``provider`` (``ecs.get_images``, run at preview and up; validation lets only a
        ``published`` image get here)."""
        if self._lookup is None:
            return self.image_ids[region]
        import pulumi_alicloud as alicloud

        (prefix, template), image = self._lookup, self._image_name
        q = alib.lookup_args(prefix)
        found = alicloud.ecs.get_images_output(
            name_regex=q.name_regex,
            owners=q.owners,
            status=q.status,
            most_recent=q.most_recent,
            # After the template: in the mock engine the lookup reads the registered ImageName, and
            # at `up` a replaced template is in place before the lookup says what it found.
            opts=pulumi.InvokeOutputOptions(provider=provider, parent=self, depends_on=[template]),
        )
        return found.ids.apply(lambda ids: alib.pick_image(ids, prefix, image, region))

    def _register(self, img: GpuImageSpec, extra: Mapping[str, Any]) -> None:
        self.outputs = {
            "cloud": img.cloud,
            "imageIds": self.image_ids,
            **extra,
            "driver": img.bootstrap.driver,
            "cuda": img.bootstrap.cuda,
            "os": img.bootstrap.os,
            "ships": list(baked_ships(img)),
        }
        self.register_outputs(self.outputs)

    def _alicloud(self, name: str, args: GpuImageArgs) -> None:
        """Alibaba Image Builder: components -> template -> one execution. The execution returns
        while the build runs and has no image id output, so groups find the image by name in a
        later ``up`` (:meth:`image_id_in`; ``image_ids`` stays empty)."""
        import pulumi_alicloud as alicloud  # only fleets that bake on Alibaba need the SDK

        img = args.image
        prefix = alib.image_name(img, args.fleet, args.catalog)  # a bad name fails before any resource
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        tags = alib.tags(img, args.fleet, args.fleet_tags)
        bundle = build_bundle(img, args.fleet, args.catalog)
        components = [
            alicloud.ecs.EcsImageComponent(f"{name}-c{i + 1}", alib.component_args(img, content, i, tags), opts=child)
            for i, content in enumerate(alib.component_contents(bundle))
        ]
        content = pulumi.Output.all(*[c.id for c in components]).apply(alib.build_content)
        pipeline = alicloud.ecs.EcsImagePipeline(
            f"{name}-template", alib.pipeline_args(img, args.fleet, content, tags, args.catalog), opts=child
        )
        execution = alicloud.ecs.ImagePipelineExecution(f"{name}-build", alib.execution_args(pipeline.id), opts=child)
        self._lookup = (prefix, pipeline)
        self.image_ids = {}
        self._register(img, {"imagePipelineId": pipeline.id, "executionId": execution.id, "imageNamePrefix": prefix})
