"""Templates and live stacks in ``stacks/``.

Both are ``stacks/Pulumi.<name>.yaml`` (Pulumi's ``stackConfigDir: stacks``). The
manifest ``stacks/templates.txt`` names the templates: files teams clone, planned and
golden-tested, never deployed. Every other stack file is a live stack: previewed on pull
requests and deployed on merge. A copied template (``cp``) is live by default because the
manifest, not the file, says what a template is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

STACK_DIR = "stacks"
MANIFEST = "templates.txt"
_STACK_FILE = re.compile(r"^Pulumi\.(?P<name>[^/]+)\.yaml$")


class LayoutError(ValueError):
    """The manifest names a template that has no stack file, or is malformed."""


def stack_of(path: str) -> str | None:
    """The stack name of a repository path ``stacks/Pulumi.<name>.yaml``, else None."""
    head, _, name = path.rpartition("/")
    if head != STACK_DIR:
        return None
    m = _STACK_FILE.match(name)
    return m["name"] if m else None


def stack_path(name: str) -> str:
    """The repository path of a stack's config file."""
    return f"{STACK_DIR}/Pulumi.{name}.yaml"


def parse_manifest(text: str) -> tuple[str, ...]:
    """Template names from the manifest text (one per line; ``#`` starts a comment)."""
    names: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        name = line.split("#", 1)[0].strip()
        if not name:
            continue
        if stack_of(stack_path(name)) != name or " " in name:
            raise LayoutError(f"{STACK_DIR}/{MANIFEST}:{number}: '{name}' is not a stack name")
        if name in names:
            raise LayoutError(f"{STACK_DIR}/{MANIFEST}:{number}: '{name}' is listed twice")
        names.append(name)
    return tuple(names)


@dataclass(frozen=True)
class Layout:
    """The stacks of one checkout, split into templates and live stacks."""

    templates: tuple[str, ...]
    live: tuple[str, ...]

    def is_template(self, name: str) -> bool:
        return name in self.templates


def read_layout(root: Path) -> Layout:
    """Read ``stacks/`` of the checkout at ``root``; every listed template must exist."""
    stack_dir = root / STACK_DIR
    manifest = stack_dir / MANIFEST
    templates = parse_manifest(manifest.read_text(encoding="utf-8")) if manifest.is_file() else ()
    present = sorted(n for p in stack_dir.glob("Pulumi.*.yaml") if (n := stack_of(f"{STACK_DIR}/{p.name}")))
    missing = [t for t in templates if t not in present]
    if missing:
        raise LayoutError(f"{STACK_DIR}/{MANIFEST} lists templates with no stack file: {', '.join(missing)}")
    return Layout(templates=templates, live=tuple(n for n in present if n not in templates))


def template_files(root: Path) -> list[Path]:
    """The template stack files, sorted by name (what the tests plan and golden-check)."""
    return [root / stack_path(n) for n in sorted(read_layout(root).templates)]
