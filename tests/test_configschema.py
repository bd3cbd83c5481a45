"""The exported JSON Schema and the README's config reference, against the models and real files.

Drift tests compare the committed README section and schema file with what the models
generate. The independent checks run a real JSON Schema validator (``jsonschema``, draft 7,
the dialect yaml-language-server reads) over every stack template and the README example,
and check that it refuses what ``validate_fleet`` refuses for shape reasons.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest
import yaml

from gpufleet.catalog import Catalog
from gpufleet.configschema import (
    README_BEGIN,
    README_END,
    fleet_schema,
    readme_with_reference,
    reference_markdown,
    stack_file_schema,
)
from gpufleet.errors import ConfigError
from gpufleet.validation import validate_fleet
from helpers import DROP, ROOT, STACKS, fleet

SCHEMA_FILE = ROOT / "schema" / "gpufleet-stack.schema.json"
README = ROOT / "README.md"


def _jsonable(doc: Any) -> Any:
    return json.loads(json.dumps(doc, default=str))  # YAML dates -> strings, as an editor sees them


def test_readme_reference_matches_the_models() -> None:
    text = README.read_text()
    assert readme_with_reference(text) == text, "README.md config reference is stale: run `make reference`"


def test_committed_schema_matches_the_models() -> None:
    committed = json.loads(SCHEMA_FILE.read_text())
    assert committed == stack_file_schema(), "schema/gpufleet-stack.schema.json is stale: run `make reference`"


def test_schemas_are_valid_draft7() -> None:
    jsonschema.Draft7Validator.check_schema(stack_file_schema())
    jsonschema.Draft7Validator.check_schema(fleet_schema())


@pytest.mark.parametrize("path", sorted(STACKS.glob("Pulumi.*.yaml")), ids=lambda p: p.name)
def test_every_template_matches_the_schema(path: Any) -> None:
    jsonschema.validate(_jsonable(yaml.safe_load(path.read_text())), stack_file_schema(), jsonschema.Draft7Validator)


def test_readme_example_matches_the_schema() -> None:
    text = README.read_text()
    section = text.split("## Config reference", 1)[1]
    example = re.search(r"```yaml\n(.*?)```", section, flags=re.S)
    assert example
    jsonschema.validate(_jsonable(yaml.safe_load(example.group(1))), stack_file_schema(), jsonschema.Draft7Validator)


@pytest.mark.parametrize(
    "group",
    [
        {"capcity": {"max": 4}, "capacity": DROP},  # typo of a required key
        {"count": 8},  # a key at the wrong level
        {"autoscaling": {"gpu_utilization_target": 70}},  # snake_case
        {"cloud": "gcp"},  # not one of the clouds
        {"market": {"type": "spot", "maxPricePercent": 120}},  # out of range
        {"bootstrap": {"driver": "58"}},  # pattern
    ],
)
def test_schema_and_validation_refuse_the_same_shape_errors(catalog: Catalog, group: dict[str, Any]) -> None:
    raw = fleet(group)
    with pytest.raises(ConfigError):
        validate_fleet(raw, catalog)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(raw, fleet_schema(), jsonschema.Draft7Validator)


def test_every_key_is_documented() -> None:
    rows = [r.strip("|").split(" | ") for r in reference_markdown().splitlines()[2:]]
    assert len(rows) > 50
    undocumented = [cells[0] for cells in rows if not cells[-1].strip()]
    assert not undocumented, "add a docstring under these fields in spec.py"
    assert "| `groups[].gpu.instanceTypes` | list of string |" in reference_markdown()


def test_reference_markers_are_in_the_readme() -> None:
    text = README.read_text()
    assert text.index(README_BEGIN) < text.index(README_END)
