"""The local evaluator hands policies what the analyzer would, and reports like the engine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from google.protobuf import json_format, struct_pb2
from pulumi.runtime import rpc
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import (
    EnforcementLevel,
    PolicyProviderResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _PolicyAnalyzerServicer

from gpufleet.policy import POLICIES, PolicyRuntimeError, evaluate, resolve
from gpufleet.policy.evaluate import Graph
from policy.graphs import ASG, LT, aws_graph, azure_graph, check, patch, where

Seen = dict[str, Any]


def probe(seen: list[Seen], level: EnforcementLevel = EnforcementLevel.ADVISORY) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        seen.append(
            {
                "type": args.resource_type,
                "props": args.props,
                "provider": args.provider,
                "config": args.get_config(),
                "tags": args.stack_tags,
            }
        )
        if args.resource_type == LT:
            report("probe saw a launch template", "urn:ignored")

    return ResourceValidationPolicy("probe", "Probe.", validate, enforcement_level=level)


def test_props_are_read_only_camel_case_proxies() -> None:
    seen: list[Seen] = []
    evaluate(aws_graph(), policies=[probe(seen)])
    lt = next(s for s in seen if s["type"] == LT)
    assert isinstance(lt["props"], Mapping) and not isinstance(lt["props"], dict)
    nics = lt["props"]["networkInterfaces"]
    assert isinstance(nics, Sequence) and not isinstance(nics, list)
    assert lt["props"]["metadataOptions"]["httpTokens"] == "required"


def test_providers_are_resolved_from_the_graph() -> None:
    seen: list[Seen] = []
    graph = aws_graph()
    evaluate(graph, policies=[probe(seen)])
    by_type = {s["type"]: s for s in seen}
    provider = by_type[ASG]["provider"]
    assert isinstance(provider, PolicyProviderResource)
    assert provider.resource_type == "pulumi:providers:aws" and provider.name == "demo-aws-us-east-1"
    assert provider.props["region"] == "us-east-1"
    # Components and providers have no provider of their own.
    assert by_type["gpufleet:aws:GpuGroup"]["provider"] is None
    assert by_type["pulumi:providers:aws"]["provider"] is None


def test_a_resource_without_provider_gets_the_default_provider() -> None:
    from dataclasses import replace

    seen: list[Seen] = []
    graph = [replace(r, provider="") if r.type == LT else r for r in aws_graph()]
    evaluate(graph, policies=[probe(seen)])
    default = next(s for s in seen if s["type"] == LT)["provider"]
    assert default.name == "default" and dict(default.props) == {}
    assert default.urn == "urn:pulumi:dev::gpufleet::pulumi:providers:aws::default"


def test_stack_resources_link_parents_and_dependencies() -> None:
    stack = Graph(aws_graph()).stack_resources()
    asg = next(r for r in stack if r.resource_type == ASG)
    assert asg.parent is not None and asg.parent.resource_type == "gpufleet:aws:GpuGroup"
    assert sorted(d.resource_type for d in asg.dependencies) == [LT, "aws:ec2/placementGroup:PlacementGroup"]


def test_config_and_stack_tags_reach_the_policy() -> None:
    seen: list[Seen] = []
    evaluate(
        aws_graph(), {"probe": {"enforcementLevel": "mandatory"}}, policies=[probe(seen)], stack_tags={"team": "ml"}
    )
    assert seen[0]["tags"] == {"team": "ml"} and dict(seen[0]["config"]) == {}


def test_resource_violations_carry_the_resource_urn_and_level() -> None:
    seen: list[Seen] = []
    found = evaluate(aws_graph(), {"probe": "remediate"}, policies=[probe(seen)])
    # The engine attributes a resource policy's violation to the resource, whatever URN it names,
    # and reports remediate as mandatory.
    assert where(found) == ["demo-trainers-lt"] and found[0].enforcement == "mandatory"


def test_disabled_policies_do_not_run() -> None:
    seen: list[Seen] = []
    assert evaluate(aws_graph(), {"probe": "disabled"}, policies=[probe(seen)]) == []
    assert seen == []
    assert [v for v in evaluate(aws_graph(), {**_clean(), "all": "disabled"})] == []


def _clean() -> dict[str, Any]:
    from policy.graphs import CLEAN_CONFIG

    return dict(CLEAN_CONFIG)


def test_unknown_values_give_the_engines_advisory() -> None:
    # What gpufleet.plan.engine records for an output that was unknown at registration.
    graph = patch(aws_graph(), LT, {"metadataOptions": {"httpTokens": rpc.UNKNOWN}})
    found = check(graph, "imdsv2-required")
    assert where(found) == ["demo-trainers-lt"] and found[0].enforcement == "advisory"
    assert found[0].message == (
        "can't run policy 'imdsv2-required' from policy pack 'gpufleet@v0.1.0' during preview: "
        "string value at .metadataOptions.httpTokens can't be known during preview"
    )


def test_unknown_join_keys_do_not_stop_stack_policies() -> None:
    unknown = rpc.UNKNOWN
    graph = patch(
        aws_graph(),
        ASG,
        {
            "mixedInstancesPolicy": {"launchTemplate": {"launchTemplateSpecification": {"launchTemplateId": unknown}}},
            "placementGroup": unknown,
        },
    )
    # The dependency edges still join the ASG to its launch template and placement group.
    assert check(graph, "rdma-consistency") == [] and check(graph, "gpu-budget-cap") == []


def test_not_applicable_is_not_a_violation() -> None:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        args.not_applicable("only for Azure")

    policy = ResourceValidationPolicy("na", "N/A.", validate)
    assert evaluate(aws_graph(), policies=[policy]) == []


def test_a_crashing_policy_is_a_bug_not_a_violation() -> None:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        raise KeyError("oops")

    with pytest.raises(PolicyRuntimeError, match="policy 'boom' failed"):
        evaluate(aws_graph(), policies=[StackValidationPolicy("boom", "Boom.", validate)])


def test_stack_violation_urns_outside_the_stack_become_the_stack() -> None:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        report("elsewhere", "urn:pulumi:other::x::t::n")
        report("here", args.resources[-1].urn)

    found = evaluate(aws_graph(), policies=[StackValidationPolicy("s", "S.", validate)])
    assert [(v.message, bool(v.urn)) for v in found] == [("elsewhere", False), ("here", True)]


def test_results_are_sorted_and_stable() -> None:
    graph = patch([*aws_graph(), *azure_graph()], LT, {"metadataOptions": {"httpTokens": "optional"}})
    config = {**_clean(), "gpu-budget-cap": {"maxMonthlyUsd": 1}, "gpu-quota": {"maxGpus": 1}}
    first = evaluate(graph, config)
    assert first == evaluate(list(reversed(graph)), config)
    assert first == sorted(first, key=lambda v: (v.policy, v.urn, v.message))
    assert {v.policy for v in first} == {"gpu-budget-cap", "gpu-quota", "imdsv2-required"}


# Fidelity: the same verdicts as the SDK's own analyzer servicer -----------------------------------


def _struct(value: Mapping[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    json_format.ParseDict(dict(value), s)
    return s


def test_same_diagnostics_as_the_sdk_servicer() -> None:
    """Feed the SDK's analyzer servicer (private API, may move) the same graph over protobuf.

    This is the code `pulumi preview --policy-pack` runs inside the pack, minus gRPC.
    """
    graph = patch(aws_graph(), LT, {"metadataOptions": {"httpTokens": "optional"}})
    config = {**_clean(), "gpu-budget-cap": {"maxMonthlyUsd": 1}, "spot-price-cap": "disabled"}
    settings = resolve(POLICIES, config)
    servicer = _PolicyAnalyzerServicer("gpufleet", "0.1.0", list(POLICIES), EnforcementLevel.ADVISORY)
    servicer.Configure(
        analyzer_pb2.ConfigureAnalyzerRequest(
            policyConfig={
                name: analyzer_pb2.PolicyConfig(
                    enforcementLevel=servicer._map_enforcement_level(s.level), properties=_struct(s.config)
                )
                for name, s in settings.items()
            }
        ),
        None,
    )
    providers = {r.urn: r for r in graph if r.type.startswith("pulumi:providers:")}

    def provider(r: Any) -> analyzer_pb2.AnalyzerProviderResource | None:
        p = providers.get(r.provider_urn)
        if p is None:
            return None
        return analyzer_pb2.AnalyzerProviderResource(type=p.type, properties=_struct(p.inputs), urn=p.urn, name=p.name)

    expected: set[tuple[str, str, str, str]] = set()
    for r in graph:
        request = analyzer_pb2.AnalyzeRequest(
            type=r.type, properties=_struct(r.inputs), urn=r.urn, name=r.name, provider=provider(r)
        )
        for d in servicer.Analyze(request, None).diagnostics:
            expected.add((d.policyName, d.message, r.urn, analyzer_pb2.EnforcementLevel.Name(d.enforcementLevel)))
    stack = analyzer_pb2.AnalyzeStackRequest(
        resources=[
            analyzer_pb2.AnalyzerResource(
                type=r.type,
                properties=_struct(r.inputs),
                urn=r.urn,
                name=r.name,
                provider=provider(r),
                parent=r.parent,
                dependencies=list(r.dependencies),
            )
            for r in graph
        ]
    )
    for d in servicer.AnalyzeStack(stack, None).diagnostics:
        expected.add((d.policyName, d.message, d.urn, analyzer_pb2.EnforcementLevel.Name(d.enforcementLevel)))

    ours = {(v.policy, f"{v.description}\n{v.message}", v.urn, v.enforcement.upper()) for v in evaluate(graph, config)}
    assert ours == expected
    assert {p for p, *_ in ours} == {"imdsv2-required", "gpu-budget-cap"}
