"""Removing a rule or a model check must break a test: every rule id has a negative case."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from gpufleet.contract import alicloud, azure, azure_model, botomodel
from gpufleet.contract.aws import RULE_UNMAPPED
from gpufleet.contract.base import RULES
from gpufleet.contract.check import PREFIXES

HERE = Path(__file__).parent


def _fired_ids() -> set[str]:
    """Rule ids passed to ``assert_fires(findings, "<id>", ...)`` anywhere in tests/contract/."""
    out: set[str] = set()
    for path in HERE.glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "assert_fires"
                and len(node.args) >= 2
                and isinstance(node.args[1], ast.Constant)
            ):
                out.add(str(node.args[1].value))
    return out


def test_every_registered_rule_and_model_check_has_a_negative_case() -> None:
    for cloud in dict.fromkeys(PREFIXES.values()):  # every cloud module registers its rules on import
        importlib.import_module(f"gpufleet.contract.{cloud}")
    model_ids = {botomodel.RULE_SHAPE, botomodel.RULE_MAX, botomodel.RULE_ENUM, botomodel.RULE_PATTERN, RULE_UNMAPPED}
    model_ids |= {azure_model.RULE_MODEL, azure.UNMAPPED, alicloud.RULE_MODEL, alicloud.UNMAPPED}
    missing = (set(RULES) | model_ids) - _fired_ids()
    assert not missing, f"no test makes these fire (use contract_cases.assert_fires): {sorted(missing)}"


def test_every_rule_names_its_source() -> None:
    for r in RULES.values():
        assert r.source and r.summary and r.operations, r.id
        assert r.id.startswith(f"{r.cloud}."), r.id
