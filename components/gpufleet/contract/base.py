"""The shared contract-check mechanism: requests, findings and rules with their sources.

A cloud module turns captured resources into :class:`Request` objects (the API call the
provider makes on create) and checks them against the cloud's API model. Rules that no API
model encodes are :class:`Rule` objects registered with :func:`rule`: each carries its source
(doc page or URL, and the date it was read) so a finding can say why the cloud would refuse.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Cloud = Literal["aws", "azure", "alicloud"]


class Resource(Protocol):
    """What a check reads of a captured resource (``plan.engine.CapturedResource`` fits)."""

    @property
    def urn(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def inputs(self) -> dict[str, Any]: ...
    @property
    def dependencies(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Request:
    """One API request a provider sends when it creates a resource."""

    cloud: Cloud
    operation: str
    """Service and operation as the cloud's model names them, e.g. ``ec2.CreateLaunchTemplate``,
    ``Microsoft.Compute/virtualMachineScaleSets:PUT``, ``Ess.CreateScalingGroup``."""
    params: Mapping[str, Any]
    """The request parameters or body, shaped as the API model expects them."""
    resource: str
    """Name of the Pulumi resource that causes the request."""
    resource_type: str
    """Pulumi type token of that resource."""
    context: Mapping[str, Any] = field(default_factory=dict)
    """Facts a rule needs beyond the request (e.g. the instance types a group launches)."""


@dataclass(frozen=True)
class Finding:
    """One thing the cloud would reject (or accept and then run wrongly)."""

    resource: str
    resource_type: str
    field: str
    """Dotted path inside the request, e.g. ``LaunchTemplateData.NetworkInterfaces[0].InterfaceType``."""
    rule: str
    """Rule id, e.g. ``aws.model`` for an API-model check or ``azure.autoscale.one-minute``."""
    message: str
    source: str
    """Where the rule comes from: the API model and its version, or a doc page and the date read."""

    def as_dict(self) -> dict[str, str]:
        return {
            "resource": self.resource,
            "resourceType": self.resource_type,
            "field": self.field,
            "rule": self.rule,
            "message": self.message,
            "source": self.source,
        }


Check = Callable[[Request], Iterable[tuple[str, str]]]
"""A rule body: yields ``(field, message)`` for each violation in one request."""


@dataclass(frozen=True)
class Rule:
    """A cloud rule that no API model encodes, with its source."""

    id: str
    cloud: Cloud
    operations: tuple[str, ...]
    """The request operations the rule applies to."""
    summary: str
    source: str
    """Doc page or URL, and the date it was read."""
    check: Check

    def findings(self, request: Request) -> list[Finding]:
        if request.operation not in self.operations:
            return []
        return [
            Finding(request.resource, request.resource_type, path, self.id, message, self.source)
            for path, message in self.check(request)
        ]


RULES: dict[str, Rule] = {}
"""Every registered rule by id (the cloud modules register theirs on import)."""


def rule(id: str, cloud: Cloud, operations: Sequence[str], summary: str, source: str) -> Callable[[Check], Check]:
    """Register the decorated function as the body of rule ``id``."""

    def register(fn: Check) -> Check:
        if id in RULES:
            raise ValueError(f"contract rule {id!r} is registered twice")
        RULES[id] = Rule(id, cloud, tuple(operations), summary, source, fn)
        return fn

    return register


def apply_rules(requests: Iterable[Request], rules: Iterable[Rule] | None = None) -> list[Finding]:
    """Run every rule (of the request's cloud) over every request."""
    chosen = list(RULES.values() if rules is None else rules)
    out: list[Finding] = []
    for req in requests:
        for r in chosen:
            if r.cloud == req.cloud:
                out.extend(r.findings(req))
    return out


def dependency_order(resources: Sequence[Resource]) -> list[Resource]:
    """``resources`` with each one after everything it depends on (within the list), otherwise in
    registration order: the order a provider's create calls reach the cloud. Cycles are cut."""
    by_urn = {r.urn: i for i, r in enumerate(resources) if r.urn}
    done: set[int] = set()
    out: list[Resource] = []

    def visit(i: int, stack: frozenset[int]) -> None:
        if i in done or i in stack:
            return
        for dep in resources[i].dependencies:
            if dep in by_urn:
                visit(by_urn[dep], stack | {i})
        done.add(i)
        out.append(resources[i])

    for i in range(len(resources)):
        visit(i, frozenset())
    return out
