"""Mock resource and invoke answers for offline runs.

Outputs echo the inputs plus the computed fields a program reads back (ids, ARNs,
names), shaped like the providers' real outputs so that ``apply`` code runs the same.
Each cloud adds its per-type outputs in ``gpufleet.<cloud>.mock_outputs.OUTPUTS``.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
from collections.abc import Callable, Sequence
from typing import Any

import pulumi

OutputFn = Callable[[pulumi.runtime.MockResourceArgs, str], dict[str, Any]]
"""(args, id) -> outputs to add on top of the inputs."""


def fake_id(type_: str, name: str, prefix: str = "") -> str:
    """A deterministic id, so the same program gives the same ids on every run."""
    digest = hashlib.sha256(f"{type_}/{name}".encode()).hexdigest()[:17]
    return f"{prefix}{digest}"


CallFn = Callable[[pulumi.runtime.MockCallArgs, Sequence[pulumi.runtime.MockResourceArgs]], dict[str, Any]]
"""(args, resources registered so far) -> the invoke's result."""


@functools.cache
def _mock_module(package: str) -> Any:
    """``gpufleet.<cloud>.mock_outputs`` of a provider package, or None for one gpufleet has none for."""
    module_name = {"azure-native": "azure"}.get(package, package)
    try:
        return importlib.import_module(f"gpufleet.{module_name}.mock_outputs")
    except ModuleNotFoundError:
        return None


def cloud_calls(package: str) -> dict[str, CallFn]:
    """The invokes one cloud answers offline (``CALLS`` in its mock_outputs module)."""
    calls: dict[str, CallFn] = getattr(_mock_module(package), "CALLS", {})
    return calls


def cloud_outputs(package: str) -> dict[str, OutputFn]:
    """The per-type output functions of one cloud (``aws``, ``azure``, ``alicloud``)."""
    outputs: dict[str, OutputFn] = getattr(_mock_module(package), "OUTPUTS", {})
    return outputs


class FleetMocks(pulumi.runtime.Mocks):
    """Deterministic answers for every resource type gpufleet declares, and for the few invokes
    it makes (an Alibaba baked image's lookup)."""

    def __init__(self) -> None:
        self.registered: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.registered.append(args)
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
        # Group images resolve through resolve:ssm: and the like; the only invoke is the lookup of
        # an Alibaba baked image. Any other is a bug to surface, not something to answer with a guess.
        fn = cloud_calls(args.token.split(":", 1)[0]).get(args.token)
        if fn is None:
            raise NotImplementedError(f"gpufleet plan has no offline answer for invoke '{args.token}'")
        return fn(args, self.registered), []  # no check failures
