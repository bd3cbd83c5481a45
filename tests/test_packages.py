"""Package shape: the three cloud packages are parallel, and policy/ stands apart from plan/.

A new concern added to one cloud under another module name, or a builder that stops taking
the group context, fails here rather than in review.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import gpufleet
from gpufleet.context import GroupContext
from gpufleet.group import GroupArgs

PACKAGE = Path(gpufleet.__file__).parent
CLOUDS = ("aws", "azure", "alicloud")

# The concerns every cloud package has, under the same module name (see README "Layout").
SHARED_MODULES = ("component", "image", "launch", "names", "network", "rules", "mock_outputs")
# Functions with the same name and the group context as first argument on every cloud.
SHARED_BUILDERS = {"image": ("image_for",), "launch": ("node_context", "user_data")}


def test_every_cloud_has_the_shared_modules() -> None:
    for cloud in CLOUDS:
        present = {p.stem for p in (PACKAGE / cloud).glob("*.py")}
        missing = set(SHARED_MODULES) - present
        assert not missing, f"gpufleet.{cloud} lacks {sorted(missing)}"
    # The address plan is called netplan wherever a cloud has one (Azure carves no subnets).
    assert {c for c in CLOUDS if (PACKAGE / c / "netplan.py").exists()} == {"aws", "alicloud"}
    assert not any((PACKAGE / c / n).exists() for c in CLOUDS for n in ("naming.py", "subnets.py", "images.py"))


@pytest.mark.parametrize("cloud", CLOUDS)
def test_builders_take_the_group_context_first(cloud: str) -> None:
    for module, functions in SHARED_BUILDERS.items():
        mod = importlib.import_module(f"gpufleet.{cloud}.{module}")
        for fn in functions:
            params = list(inspect.signature(getattr(mod, fn), eval_str=True).parameters.values())
            assert params[0].annotation is GroupContext, f"gpufleet.{cloud}.{module}.{fn}"


@pytest.mark.parametrize("cloud", CLOUDS)
def test_components_take_name_args_opts(cloud: str) -> None:
    mod = importlib.import_module(f"gpufleet.{cloud}.component")
    classes = [c for _, c in inspect.getmembers(mod, inspect.isclass) if c.__module__ == mod.__name__]
    (component,) = [c for c in classes if c.__name__.endswith("GpuGroup")]
    params = inspect.signature(component.__init__, eval_str=True).parameters
    assert [(p, params[p].annotation) for p in list(params)[1:]] == [
        ("name", str),
        ("args", GroupArgs),
        ("opts", params["opts"].annotation),
    ]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_policy_imports_nothing_from_plan() -> None:
    # Direct imports, read from the source (including function-level ones) ...
    offenders = {
        str(p.relative_to(PACKAGE)): sorted(m for m in _imports(p) if m.startswith("gpufleet.plan"))
        for p in (PACKAGE / "policy").glob("*.py")
    }
    assert not {k: v for k, v in offenders.items() if v}
    # ... and transitive ones, in a fresh interpreter.
    code = (
        "import pkgutil, importlib, sys, gpufleet.policy as p\n"
        "[importlib.import_module(f'gpufleet.policy.{m.name}') for m in pkgutil.iter_modules(p.__path__)]\n"
        "print(sorted(m for m in sys.modules if m.startswith('gpufleet.plan')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_captured_resource_keeps_its_old_import_path() -> None:
    from gpufleet.graph import CapturedResource
    from gpufleet.plan.engine import CapturedResource as Old

    assert Old is CapturedResource
