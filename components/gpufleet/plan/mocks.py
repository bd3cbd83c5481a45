"""Mock resource and invoke answers for offline runs.

Outputs echo the inputs plus the computed fields a program reads back (ids, ARNs,
names), shaped like the providers' real outputs so that ``apply`` code runs the same.
Each cloud adds its per-type outputs in ``gpufleet.<cloud>.mock_outputs.OUTPUTS``.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
from collections.abc import Callable
from typing import Any

import pulumi

OutputFn = Callable[[pulumi.runtime.MockResourceArgs, str], dict[str, Any]]
"""(args, id) -> outputs to add on top of the inputs."""


def fake_id(type_: str, name: str, prefix: str = "") -> str:
    """A deterministic id, so the same program gives the same ids on every run."""
    digest = hashlib.sha256(f"{type_}/{name}".encode()).hexdigest()[:17]
    return f"{prefix}{digest}"


@functools.cache
def cloud_outputs(package: str) -> dict[str, OutputFn]:
    """The per-type output functions of one cloud (``aws``, ``azure``, ``alicloud``)."""
    module_name = {"azure-native": "azure"}.get(package, package)
    try:
        module = importlib.import_module(f"gpufleet.{module_name}.mock_outputs")
    except ModuleNotFoundError:
        return {}
    outputs: dict[str, OutputFn] = module.OUTPUTS
    return outputs


class FleetMocks(pulumi.runtime.Mocks):
    """Deterministic answers for every resource type gpufleet declares."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        package = args.typ.split(":", 1)[0]
        rid = fake_id(args.typ, args.name)
        if package == "azure-native":
            sub = "/subscriptions/00000000-0000-0000-0000-000000000000"
            rid = f"{sub}/resourceGroups/mock/providers/{args.typ}/{args.name}"
        outputs = dict(args.inputs)
        fn = cloud_outputs(package).get(args.typ)
        if fn is not None:
            outputs.update(fn(args, rid))
        return rid, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        # The components resolve nothing at plan time (images use resolve:ssm: and the like),
        # so an invoke here is a bug to surface, not something to answer with a guess.
        raise NotImplementedError(f"gpufleet plan has no offline answer for invoke '{args.token}'")
