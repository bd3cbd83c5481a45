"""The policy config schemas reject bad config with a message naming policy, key, value and what is valid."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import EnforcementLevel

from gpufleet.errors import ConfigError, Problem
from gpufleet.policy import POLICIES, PolicyConfigError, load_config, resolve
from gpufleet.policy.schema import SUPPORTED, check_schema, defaults, validate
from policy.graphs import CLEAN_CONFIG, deep_merge

BAD: list[tuple[dict[str, Any], str, str]] = [
    # (config merged over CLEAN_CONFIG, problem path, message fragment)
    ({"gpu-budget-cap": {"maxMonthlyUsd": "lots"}}, "gpu-budget-cap.maxMonthlyUsd", "expected a number, got 'lots'"),
    ({"gpu-budget-cap": {"maxMonthlyUsd": -5}}, "gpu-budget-cap.maxMonthlyUsd", "must be at least 0"),
    ({"gpu-budget-cap": {"maxHourlyUsd": True}}, "gpu-budget-cap.maxHourlyUsd", "expected a number, got True"),
    (
        {"gpu-budget-cap": {"spotPriceAssumption": "catalog_spot"}},
        "gpu-budget-cap.spotPriceAssumption",
        "Did you mean 'catalog-spot'?",
    ),
    ({"gpu-budget-cap": {"cnyUsdRate": 0}}, "gpu-budget-cap.cnyUsdRate", "must be at least 1e-06"),
    (
        {"gpu-budget-cap": {"maxMontlyUsd": 5}},
        "gpu-budget-cap.maxMontlyUsd",
        "unknown key. Did you mean 'maxMonthlyUsd'",
    ),
    (
        {"allowed-regions": {"allowedRegions": {"gcp": ["us-central1"]}}},
        "allowed-regions.allowedRegions.gcp",
        "unknown key. Valid keys: alicloud, aws, azure",
    ),
    (
        {"allowed-regions": {"allowedRegions": {"aws": "us-east-1"}}},
        "allowed-regions.allowedRegions.aws",
        "expected a list, got 'us-east-1'",
    ),
    ({"allowed-regions": {"residency": ["europe"]}}, "allowed-regions.residency[0]", "is not one of"),
    ({"spot-price-cap": {"maxPercentOfOnDemand": 150}}, "spot-price-cap.maxPercentOfOnDemand", "must be at most 100"),
    ({"spot-price-cap": {"alicloudPriceCurrency": "EUR"}}, "spot-price-cap.alicloudPriceCurrency", "'CNY', 'USD'"),
    (
        {"required-tags": {"requiredTags": ["owner", "owner"]}},
        "required-tags.requiredTags",
        "lists 'owner' more than once",
    ),
    ({"required-tags": {"requiredTags": [""]}}, "required-tags.requiredTags[0]", "at least 1 character"),
    ({"required-tags": {"requiredTags": "owner"}}, "required-tags.requiredTags", "expected a list"),
    (
        {"imdsv2-required": {"acceptScalingConfiguration": "yes"}},
        "imdsv2-required.acceptScalingConfiguration",
        "expected true or false",
    ),
    (
        {"encrypted-disks": {"requireEncryptionAtHost": 1}},
        "encrypted-disks.requireEncryptionAtHost",
        "expected true or false, got 1",
    ),
    ({"no-public-ip": {"checkSubnets": "no"}}, "no-public-ip.checkSubnets", "expected true or false"),
    (
        {"no-open-ingress": {"blockedCidrs": ["everywhere"]}},
        "no-open-ingress.blockedCidrs[0]",
        "not an IPv4 or IPv6 network",
    ),
    ({"no-open-ingress": {"blockedCidrs": []}}, "no-open-ingress.blockedCidrs", "needs at least 1 item"),
    (
        {"no-secrets-in-user-data": {"extraPatterns": ["(unclosed"]}},
        "no-secrets-in-user-data.extraPatterns[0]",
        "not a valid regular expression",
    ),
    (
        {"rdma-consistency": {"requireSingleSubnet": "true"}},
        "rdma-consistency.requireSingleSubnet",
        "expected true or false, got 'true'",
    ),
    ({"gpu-quota": {"maxGpus": 2.5}}, "gpu-quota.maxGpus", "expected an integer, got 2.5"),
    ({"gpu-quota": {"maxGpusPerCloud": {"gcp": 8}}}, "gpu-quota.maxGpusPerCloud.gcp", "unknown key"),
    ({"gpu-quota": {"maxGpusPerCloud": {"aws": -1}}}, "gpu-quota.maxGpusPerCloud.aws", "must be at least 0"),
    ({"gpu-budget-caps": {"maxMonthlyUsd": 1}}, "gpu-budget-caps", "unknown policy. Did you mean 'gpu-budget-cap'?"),
    ({"gpu-quota": "blocking"}, "gpu-quota", "is not an enforcement level; use one of advisory, mandatory"),
    ({"gpu-quota": {"enforcementLevel": "mandatry"}}, "gpu-quota.enforcementLevel", "Did you mean 'mandatory'?"),
    ({"gpu-quota": 5}, "gpu-quota", "must be an enforcement level or an object"),
    ({"all": {"maxGpus": 4}}, "all.maxGpus", "'all' takes only an enforcement level"),
]


@pytest.mark.parametrize(("config", "path", "fragment"), BAD, ids=[b[1] + ":" + b[2][:20] for b in BAD])
def test_bad_config_is_rejected(config: dict[str, Any], path: str, fragment: str) -> None:
    with pytest.raises(PolicyConfigError) as err:
        resolve(POLICIES, deep_merge(CLEAN_CONFIG, config))
    problems = [p for p in err.value.problems if p.path == path]
    assert problems, err.value.report()
    assert fragment in problems[0].message, problems[0].message


@pytest.mark.parametrize("key", ["gpu-budget-cap.maxMonthlyUsd", "gpu-quota.maxGpus"])
def test_required_keys(key: str) -> None:
    policy, name = key.split(".")
    config = deep_merge(CLEAN_CONFIG, {policy: {name: None}})
    del config[policy][name]
    with pytest.raises(PolicyConfigError, match=rf"{key}: is required: "):
        resolve(POLICIES, config)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(PolicyConfigError) as err:
        resolve(POLICIES, {"gpu-quota": {"maxGpus": "x"}, "spot-price-cap": {"maxPercentOfOnDemand": 0}})
    paths = sorted(p.path for p in err.value.problems)
    # maxMonthlyUsd is required too: the CLI validates every policy, configured or not.
    assert paths == ["gpu-budget-cap.maxMonthlyUsd", "gpu-quota.maxGpus", "spot-price-cap.maxPercentOfOnDemand"]
    assert err.value.report().startswith("invalid policy pack config: 3 problems")


def test_policy_config_error_is_a_config_error_with_its_report() -> None:
    problems = [Problem("gpu-quota.maxGpus", "must be an integer"), Problem("all", "bad level")]
    err = PolicyConfigError(problems, "policies/dev.json")
    # One report format for both errors: ConfigError's, with the policy pack config named.
    assert isinstance(err, ConfigError) and err.problems == problems and err.source == "policies/dev.json"
    expected = (
        "invalid policy pack config in policies/dev.json: 2 problems\n"
        "  - gpu-quota.maxGpus: must be an integer\n"
        "  - all: bad level"
    )
    assert str(err) == err.report() == expected
    assert str(PolicyConfigError([problems[0]])).startswith("invalid policy pack config: 1 problem\n")


def test_defaults_and_levels() -> None:
    settings = resolve(POLICIES, CLEAN_CONFIG)
    assert settings["gpu-budget-cap"].config == {
        "maxMonthlyUsd": 1_000_000,
        "spotPriceAssumption": "cap",
        "alicloudPriceCurrency": "CNY",
    }
    assert settings["gpu-budget-cap"].level == EnforcementLevel.MANDATORY
    assert settings["spot-price-cap"].level == EnforcementLevel.ADVISORY
    assert settings["no-open-ingress"].config == {"blockedCidrs": ["0.0.0.0/0", "::/0"]}


def test_all_then_policy_overrides() -> None:
    config = {**CLEAN_CONFIG, "all": "disabled", "gpu-quota": {"enforcementLevel": "mandatory", "maxGpus": 4}}
    settings = resolve(POLICIES, config)
    assert settings["gpu-quota"].level == EnforcementLevel.MANDATORY
    assert {s.level for n, s in settings.items() if n != "gpu-quota"} == {EnforcementLevel.DISABLED}
    assert resolve(POLICIES, {**CLEAN_CONFIG, "no-public-ip": "advisory"})["no-public-ip"].level.value == "advisory"


def test_config_must_be_an_object(tmp_path: Any) -> None:
    with pytest.raises(PolicyConfigError, match="must be an object keyed by policy name"):
        resolve(POLICIES, ["gpu-quota"])  # type: ignore[arg-type]
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(PolicyConfigError, match="not valid JSON"):
        load_config(bad)
    empty = tmp_path / "empty.json"
    empty.write_text("  \n")
    assert load_config(empty) == {}


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_every_policy_has_a_documented_schema_whose_defaults_are_valid(policy: Any) -> None:
    schema = policy.config_schema
    assert schema is not None and schema.properties
    check_schema({"type": "object", "properties": schema.properties}, policy.name)
    for key, prop in schema.properties.items():
        assert prop.get("description"), f"{policy.name}.{key} has no description"
        assert set(prop) <= SUPPORTED
    object_schema = {"type": "object", "properties": schema.properties}
    assert validate(defaults(schema.properties), object_schema, policy.name) == []


def test_the_checker_refuses_keywords_it_does_not_implement() -> None:
    with pytest.raises(ValueError, match=r"unsupported schema keyword\(s\) \['oneOf'\]"):
        check_schema({"type": "object", "properties": {"x": {"oneOf": []}}}, "s")
