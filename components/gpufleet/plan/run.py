"""``gpufleet plan``: validate, run the program under the mock engine, price it, check policies."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gpufleet.alicloud.rules import schedule_window_warnings
from gpufleet.alicloud.spot import billing_currency
from gpufleet.bootstrap.loopbreaker import describe
from gpufleet.bootstrap.matrix import review_age_warning
from gpufleet.catalog import Catalog, load_catalog
from gpufleet.contract import check_plan
from gpufleet.cost import SpotAssumption, estimate_group
from gpufleet.errors import ConfigError, Problem
from gpufleet.exitcodes import ExitCode
from gpufleet.imagebuild.plan import plan_images
from gpufleet.plan.engine import run_program
from gpufleet.plan.report import PlanReport, PolicyVerdict
from gpufleet.resolve import resolve_group
from gpufleet.stackconfig import read_stack_config
from gpufleet.validation import validate_fleet

EXIT_OK, EXIT_POLICY, EXIT_CONFIG, EXIT_CONTRACT = ExitCode.OK, ExitCode.POLICY, ExitCode.CONFIG, ExitCode.CONTRACT
PROJECT_ROOT = Path(__file__).resolve().parents[3]
"""The repository root (``Pulumi.yaml``, ``__main__.py``, ``policies/``, ``stacks/``)."""


def default_policy_config(env: str | None, root: Path = PROJECT_ROOT) -> Path:
    """The documented rule (:mod:`gpufleet.gitops.policyconfig`), shared with the workflows."""
    from gpufleet.gitops.policyconfig import policy_config_for

    return root / policy_config_for({"env": env})


def load_policy_config(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([Problem("policyConfig", f"no such file: {path}")], str(path)) from None
    except json.JSONDecodeError as e:
        raise ConfigError([Problem("policyConfig", f"not valid JSON at line {e.lineno}: {e.msg}")], str(path)) from None
    if not isinstance(data, dict):
        raise ConfigError([Problem("policyConfig", "must be a JSON object keyed by policy name")], str(path))
    return data


def plan(
    config_file: Path,
    *,
    policy_config: Path | None = None,
    program: Path | None = None,
    catalog: Catalog | None = None,
    spot: SpotAssumption = "cap",
    today: dt.date | None = None,
    progress: Callable[[str], None] = lambda _msg: None,
) -> PlanReport:
    """Plan one stack file. Raises ConfigError (exit 2) for a bad stack or policy config."""
    from gpufleet.policy import PolicyConfigError, evaluate

    cat = catalog or load_catalog()
    progress("validating the stack config")
    sc = read_stack_config(config_file)
    validated = validate_fleet(sc.fleet, cat, source=str(config_file))
    spec = validated.spec
    pc_path = policy_config or default_policy_config(spec.tags.get("env"))
    pc = load_policy_config(pc_path)

    progress("running the Pulumi program under the mock engine")
    today = today or dt.date.today()  # the run's date for the program too (derived ESS task windows)
    run = run_program(program or PROJECT_ROOT / "__main__.py", sc.config, stack=sc.stack, today=today)
    # Registration order follows the SDK's task scheduling; sort by URN so that policy
    # messages and every report list resources in the same order on every run (docs/plan.md).
    resources = sorted(run.resources, key=lambda r: r.urn)

    progress("estimating cost")
    groups = []
    warnings = [str(w) for w in validated.warnings]
    if stale := review_age_warning(today):  # judged against --as-of, like price age
        warnings.append(stale)
    for i, g in enumerate(spec.groups):
        warnings += [str(w) for w in schedule_window_warnings(g, f"groups[{i}]", today)]
        rg = resolve_group(g, cat)
        cost = estimate_group(rg, cat, spot=spot, today=today, billing_currency=billing_currency(spec, g))
        groups.append((rg, cost))
        warnings += [f"group {g.name}: {w}" for w in cost.warnings]

    progress("evaluating policies")
    try:
        violations = evaluate(resources, pc)
    except PolicyConfigError as e:
        raise ConfigError([Problem("policyConfig", str(e))], str(pc_path)) from None
    verdicts = [PolicyVerdict(v.policy, v.enforcement, v.message, v.urn) for v in violations]
    exit_code = EXIT_POLICY if any(v.enforcement == "mandatory" for v in verdicts) else EXIT_OK

    progress("checking each request against the clouds' API models")
    contract = check_plan([*run.resources, *run.invokes])  # a lookup is a request too
    if contract.findings:
        exit_code = EXIT_CONTRACT  # the cloud would reject a request: outranks a policy violation (docs/plan.md)
    breakers = {
        g.name: describe(g.cloud, f"{spec.name}-{g.name}", static=g.capacity.mode == "static")
        for g in spec.groups
        if g.bootstrap.health_check
    }
    return PlanReport(
        loop_breakers=breakers,
        stack=sc.stack,
        source=str(config_file),
        resources=resources,
        groups=groups,
        policies=verdicts,
        policy_config=_relative(pc_path),
        warnings=warnings,
        exit_code=exit_code,
        contract=contract,
        images=plan_images(spec, cat),
    )


def _relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)
