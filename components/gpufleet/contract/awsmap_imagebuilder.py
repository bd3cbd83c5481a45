"""pulumi-aws ``aws.imagebuilder`` inputs -> the botocore ``imagebuilder`` requests the provider
sends on create (terraform-provider-aws ``internal/service/imagebuilder/*.go``, the Create
functions). Same conventions as :mod:`gpufleet.contract.awsmap`: an input no table knows becomes
a finding.

Provider facts used here, read from those files (commit 011bc416 of image_recipe.go and the
files beside it):
- every Create sends ``ClientToken: id.UniqueId()`` (the model requires it; a stand-in here);
- ``version`` is sent as ``SemanticVersion``;
- an image recipe's ``user_data_base64`` and ``systems_manager_agent`` go into
  ``AdditionalInstanceConfiguration``; its EBS ``encrypted``/``delete_on_termination`` are
  strings parsed as booleans (``nullable.Bool``), as :func:`awsmap.convert` does;
- a component parameter's ``value`` is sent as a one-element list.
"""

from __future__ import annotations

from typing import Any

from gpufleet.contract.awsmap import Builder, Graph, Mapped, _one, _shaped, physical_name
from gpufleet.contract.base import Resource

CLIENT_TOKEN = "terraform-00000000000000000000000001"
"""Stand-in for the provider's ``id.UniqueId()`` ("terraform-" + a timestamp and counter)."""

_PROVIDER_ONLY = ("region", "skipDestroy", "name", "namePrefix")


def _inputs(r: Resource, *drop: str) -> dict[str, Any]:
    return {k: v for k, v in r.inputs.items() if k not in (*_PROVIDER_ONLY, *drop)}


def _with_name(r: Resource, operation: str, inputs: dict[str, Any], renames: dict[str, dict[str, str]]) -> Mapped:
    m = Mapped()
    params = _shaped(r, operation, inputs, renames, m)
    params["name"] = physical_name(r)
    params["clientToken"] = CLIENT_TOKEN
    m.requests.append(_one(r, operation, params))
    return m


def component(r: Resource, g: Graph) -> Mapped:
    # component.go: Data, Description, ChangeDescription, KmsKeyId, Platform, SupportedOsVersions, Uri.
    return _with_name(
        r, "imagebuilder.CreateComponent", _inputs(r), {"CreateComponentRequest": {"version": "semanticVersion"}}
    )


def image_recipe(r: Resource, g: Graph) -> Mapped:
    i = _inputs(r, "userDataBase64", "systemsManagerAgent")
    extra: dict[str, Any] = {}
    if r.inputs.get("userDataBase64"):
        extra["userDataOverride"] = r.inputs["userDataBase64"]
    if r.inputs.get("systemsManagerAgent"):
        extra["systemsManagerAgent"] = r.inputs["systemsManagerAgent"]
    if extra:
        i["additionalInstanceConfiguration"] = extra
    for c in i.get("components") or []:
        for p in (c.get("parameters") or []) if isinstance(c, dict) else []:
            if isinstance(p, dict) and isinstance(p.get("value"), str):
                p["value"] = [p["value"]]
    return _with_name(
        r, "imagebuilder.CreateImageRecipe", i, {"CreateImageRecipeRequest": {"version": "semanticVersion"}}
    )


def infrastructure_configuration(r: Resource, g: Graph) -> Mapped:
    return _with_name(r, "imagebuilder.CreateInfrastructureConfiguration", _inputs(r), {})


def distribution_configuration(r: Resource, g: Graph) -> Mapped:
    return _with_name(r, "imagebuilder.CreateDistributionConfiguration", _inputs(r), {})


def image(r: Resource, g: Graph) -> Mapped:
    # image.go: no name (Image Builder names an image after its recipe).
    m = Mapped()
    params = _shaped(r, "imagebuilder.CreateImage", _inputs(r), {}, m)
    params["clientToken"] = CLIENT_TOKEN
    m.requests.append(_one(r, "imagebuilder.CreateImage", params))
    return m


def lifecycle_policy(r: Resource, g: Graph) -> Mapped:
    # lifecycle_policy.go (plugin framework, AutoFlex): the inputs' names are the API's.
    return _with_name(r, "imagebuilder.CreateLifecyclePolicy", _inputs(r), {})


BUILDERS: dict[str, Builder] = {
    "aws:imagebuilder/component:Component": component,
    "aws:imagebuilder/imageRecipe:ImageRecipe": image_recipe,
    "aws:imagebuilder/infrastructureConfiguration:InfrastructureConfiguration": infrastructure_configuration,
    "aws:imagebuilder/distributionConfiguration:DistributionConfiguration": distribution_configuration,
    "aws:imagebuilder/image:Image": image,
    "aws:imagebuilder/lifecyclePolicy:LifecyclePolicy": lifecycle_policy,
}
"""pulumi-aws imagebuilder type token -> the requests its create sends."""
