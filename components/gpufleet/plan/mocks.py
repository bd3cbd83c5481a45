"""Mock resource and invoke answers for offline runs.

Outputs echo the inputs plus the computed fields a program reads back (ids, ARNs,
names), shaped like the providers' real outputs so that ``apply`` code runs the same.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pulumi


def _fake_id(type_: str, name: str, prefix: str = "") -> str:
    digest = hashlib.sha256(f"{type_}/{name}".encode()).hexdigest()[:17]
    return f"{prefix}{digest}"


class FleetMocks(pulumi.runtime.Mocks):
    """Deterministic answers: the same program gives the same ids on every run."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        outputs = dict(args.inputs)
        rid = _fake_id(args.typ, args.name)
        if args.typ.startswith("aws:"):
            kind = args.typ.split(":")[-1]
            outputs.setdefault("arn", f"arn:aws:{args.typ.split(':')[1].split('/')[0]}:::{kind.lower()}/{args.name}")
            outputs.setdefault("name", outputs.get("name") or args.name)
        elif args.typ.startswith("azure-native:"):
            sub = "/subscriptions/00000000-0000-0000-0000-000000000000"
            rid = f"{sub}/resourceGroups/mock/providers/{args.typ}/{args.name}"
            outputs.setdefault("name", args.name)
        return rid, outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        # The components resolve nothing at plan time (images use resolve:ssm: and the like),
        # so an invoke here is a bug to surface, not something to answer with a guess.
        raise NotImplementedError(f"gpufleet plan has no offline answer for invoke '{args.token}'")
