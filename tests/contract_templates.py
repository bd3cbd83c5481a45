"""The one table of contract findings each stack template gives on today's code.

Every contract test that plans a template compares against this table (AWS through
``check_plan``, Azure and Alibaba through their modules), so a fix or a new finding changes one
place. Entries are ``(resource, field, rule id, issue whose fix removes it)``.
"""

from __future__ import annotations

from pathlib import Path

import helpers


def _template_files() -> dict[str, Path]:
    """Template name -> stack file: ``helpers.TEMPLATES`` when the suite defines it, else stacks/*."""
    files = getattr(helpers, "TEMPLATES", None)
    if files is None:
        files = sorted(helpers.STACKS.glob("Pulumi.*.yaml"))
    out: dict[str, Path] = {}
    for f in files:
        path = Path(f) if str(f).endswith(".yaml") else helpers.STACKS / f"Pulumi.{f}.yaml"
        out[path.name[len("Pulumi.") : -len(".yaml")]] = path
    return out


TEMPLATE_FILES = _template_files()
TEMPLATES = sorted(TEMPLATE_FILES)

KNOWN: dict[str, list[tuple[str, str, str, int]]] = {}
"""Templates with findings; every other template is contract-clean on every cloud."""

EXPECTED_TEMPLATE_FINDINGS: dict[str, list[tuple[str, str, str, int]]] = {t: KNOWN.get(t, []) for t in TEMPLATES}


def expected(stack: str, cloud: str | None = None) -> list[tuple[str, str, str]]:
    """Sorted ``(resource, field, rule)`` of ``stack``, of one cloud's rules when ``cloud`` is given."""
    rows = EXPECTED_TEMPLATE_FINDINGS[stack]
    return sorted(e[:3] for e in rows if cloud is None or e[2].startswith(f"{cloud}."))
