"""Run the policy pack offline over a captured resource graph, as the analyzer would.

``gpufleet plan`` and the tests call :func:`evaluate` on the resources that
``gpufleet.plan.engine.run_program`` recorded. Each resource reaches the policies the
way the Python policy SDK's servicer builds it (``pulumi_policy/policy.py`` Analyze /
AnalyzeStack): camelCase props wrapped in ``unknown_checking_proxy``, the provider as a
``PolicyProviderResource`` with its inputs, stack resources with parent and dependencies
resolved. Two differences remain and are documented in docs/policies.md: props are the
inputs before provider Check, and stack policies see those inputs where the engine
passes outputs.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from inspect import isawaitable
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _NotApplicableError  # the SDK's own "not applicable" signal
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from gpufleet import __version__
from gpufleet.graph import CapturedResource
from gpufleet.policy.base import clear_stack_cache
from gpufleet.policy.config import PolicySettings, resolve
from gpufleet.policy.pack import PACK_ENFORCEMENT, PACK_NAME, POLICIES

PROVIDER_PREFIX = "pulumi:providers:"


@dataclass(frozen=True)
class Violation:
    """One policy violation, as ``pulumi preview`` would report it."""

    policy: str
    enforcement: str
    """``advisory`` or ``mandatory`` (remediate is reported as mandatory, like the SDK)."""
    message: str
    """What the policy reported (the engine prefixes the policy's description)."""
    urn: str
    """The resource concerned; empty for the stack as a whole."""
    severity: str | None = None
    description: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class PolicyRuntimeError(RuntimeError):
    """A policy raised an unexpected exception: a bug in the policy, not a violation."""


def _props(inputs: Mapping[str, Any]) -> Mapping[str, Any]:
    # gpufleet.plan.engine records unknown values as the engine's wire sentinel, which the
    # proxies turn into UnknownValueError, as in a real preview.
    return unknown_checking_proxy(dict(inputs))


def _stack_project(urn: str) -> tuple[str, str]:
    # urn:pulumi:<stack>::<project>::<type>::<name>
    head = urn.split("::")
    stack = head[0].rsplit(":", 1)[-1] if head else "stack"
    project = head[1] if len(head) > 1 else "project"
    return stack, project


@dataclass
class _Node:
    captured: CapturedResource
    props: Mapping[str, Any]
    opts: PolicyResourceOptions
    provider: PolicyProviderResource | None


class Graph:
    """The captured resources as the analyzer would present them."""

    def __init__(self, resources: Sequence[CapturedResource]) -> None:
        providers: dict[str, PolicyProviderResource] = {}
        for r in resources:
            if r.type.startswith(PROVIDER_PREFIX):
                providers[r.urn] = PolicyProviderResource(r.type, _props(r.inputs), r.urn, r.name)
        defaults: dict[str, PolicyProviderResource] = {}
        self.nodes: list[_Node] = []
        for r in resources:
            opts = PolicyResourceOptions(
                r.protect, list(r.ignore_changes), None, [], PolicyCustomTimeouts(0, 0, 0), [], r.parent or None
            )
            self.nodes.append(_Node(r, _props(r.inputs), opts, self._provider(r, providers, defaults)))
        self._stack: list[PolicyResource] | None = None

    @staticmethod
    def _provider(
        r: CapturedResource, providers: dict[str, PolicyProviderResource], defaults: dict[str, PolicyProviderResource]
    ) -> PolicyProviderResource | None:
        if r.type.startswith(PROVIDER_PREFIX) or not r.custom:
            return None
        if r.provider:
            urn = r.provider_urn
            found = providers.get(urn)
            if found is None:  # an explicit provider that was not captured: type and name only
                type_ = urn.split("::")[-2].rsplit("$", 1)[-1]
                found = PolicyProviderResource(type_, unknown_checking_proxy({}), urn, urn.rsplit("::", 1)[-1])
                providers[urn] = found
            return found
        # The engine gives resources without an explicit provider the package's default
        # provider, whose inputs come from stack config; offline there is none, so its
        # props are empty and e.g. its region is unknown (as with env-only settings).
        package = r.type.split(":", 1)[0]
        if package not in defaults:
            stack, project = _stack_project(r.urn)
            urn = f"urn:pulumi:{stack}::{project}::{PROVIDER_PREFIX}{package}::default"
            defaults[package] = PolicyProviderResource(
                f"{PROVIDER_PREFIX}{package}", unknown_checking_proxy({}), urn, "default"
            )
        return defaults[package]

    def stack_resources(self) -> list[PolicyResource]:
        """PolicyResources with parent and dependencies linked (built once, shared read-only)."""
        if self._stack is None:
            out = [
                PolicyResource(c.type, n.props, c.urn, c.name, n.opts, n.provider, None, [], {})
                for n in self.nodes
                for c in (n.captured,)
            ]
            by_urn = {r.urn: r for r in out}
            for n, r in zip(self.nodes, out, strict=True):
                r.parent = by_urn.get(n.captured.parent)
                r.dependencies = [by_urn[d] for d in n.captured.dependencies if d in by_urn]
            self._stack = out
        return self._stack


def _run(policy: Policy, args: Any, report: Any) -> None:
    result = policy.validate(args, report)  # type: ignore[attr-defined]
    if result is not None and isawaitable(result):

        async def _await() -> None:
            await result

        asyncio.run(_await())


def evaluate(
    resources: Sequence[CapturedResource],
    config: Mapping[str, Any] | None = None,
    *,
    policies: Sequence[Policy] | None = None,
    stack_tags: Mapping[str, str] | None = None,
) -> list[Violation]:
    """Every violation of the pack over ``resources``, sorted by policy, resource and message.

    ``config`` is the ``--policy-pack-config`` JSON (a dict); it is validated first and
    a :class:`gpufleet.policy.config.PolicyConfigError` names every bad key. Disabled
    policies do not run; remediate counts as mandatory; a read of a value unknown during
    preview gives the same advisory "can't run policy" violation as the engine.
    """
    chosen = list(policies if policies is not None else POLICIES)
    settings = resolve(chosen, config, PACK_ENFORCEMENT)
    tags = dict(stack_tags or {})
    found: list[Violation] = []
    # A run allocates a few dozen short-lived, acyclic objects per resource (proxies, args);
    # the cyclic collector would rescan the growing heap again and again, which made large
    # graphs superlinear (bench/policy_eval.py: 10k resources 1.76 s -> 1.15 s without it).
    # Reference counting still frees everything; the collector is restored afterwards.
    collecting = gc.isenabled()
    gc.disable()
    try:
        graph = Graph(resources)
        for policy in chosen:
            setting = settings[policy.name]
            if setting.level == EnforcementLevel.DISABLED:
                continue
            if isinstance(policy, ResourceValidationPolicy):
                found += _resource_policy(policy, setting, graph, tags)
            elif isinstance(policy, StackValidationPolicy):
                found += _stack_policy(policy, setting, graph, tags)
    finally:
        clear_stack_cache()  # do not keep the last graph alive after the run
        if collecting:
            gc.enable()
    return sorted(found, key=lambda v: (v.policy, v.urn, v.message))


def _level(setting: PolicySettings) -> str:
    if setting.level == EnforcementLevel.REMEDIATE:
        return "mandatory"
    return str(setting.level.value)


def _violation(policy: Policy, level: str, message: str, urn: str) -> Violation:
    severity = str(policy.severity.value) if policy.severity is not None else None
    return Violation(policy.name, level, message, urn, severity, policy.description)


def _cant_run(policy: Policy, e: UnknownValueError, urn: str) -> Violation:
    text = f"can't run policy '{policy.name}' from policy pack '{PACK_NAME}@v{__version__}' during preview: {e.message}"
    return _violation(policy, "advisory", text, urn)


def _resource_policy(
    policy: ResourceValidationPolicy, setting: PolicySettings, graph: Graph, tags: Mapping[str, str]
) -> list[Violation]:
    level = _level(setting)
    out: list[Violation] = []
    for node in graph.nodes:
        r = node.captured

        def report(message: str, urn: str | None = None, _urn: str = r.urn) -> None:
            # The engine always attributes a resource policy's violation to the resource.
            out.append(_violation(policy, level, message or "", _urn))

        args = ResourceValidationArgs(r.type, node.props, r.urn, r.name, node.opts, node.provider, setting.config, tags)
        try:
            _run(policy, args, report)
        except UnknownValueError as e:
            out.append(_cant_run(policy, e, r.urn))
        except _NotApplicableError:
            continue
        except Exception as e:
            raise PolicyRuntimeError(f"policy '{policy.name}' failed on {r.urn}: {e!r}") from e
    return out


def _stack_policy(
    policy: StackValidationPolicy, setting: PolicySettings, graph: Graph, tags: Mapping[str, str]
) -> list[Violation]:
    level = _level(setting)
    resources = graph.stack_resources()
    known = {r.urn for r in resources}
    out: list[Violation] = []

    def report(message: str, urn: str | None = None) -> None:
        # Like the engine: a URN outside the stack is attributed to the stack itself.
        out.append(_violation(policy, level, message or "", urn if urn is not None and urn in known else ""))

    try:
        _run(policy, StackValidationArgs(resources, setting.config, tags), report)
    except UnknownValueError as e:
        out.append(_cant_run(policy, e, ""))
    except _NotApplicableError:
        pass
    except Exception as e:
        raise PolicyRuntimeError(f"policy '{policy.name}' failed: {e!r}") from e
    return out
