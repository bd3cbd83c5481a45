"""AWS requests against botocore's service models.

``ParamValidator`` checks shapes, required members, types and the ``min`` of lengths and
ranges. It skips ``max``, ``enum`` and ``pattern`` on purpose (the service may relax them), so
this module checks those too: the model still declares them, and the API enforces them today.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import botocore
import botocore.session
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape
from botocore.validate import ParamValidator

from gpufleet.contract.base import Finding, Request

RULE_SHAPE = "aws.model.shape"
RULE_MAX = "aws.model.max"
RULE_ENUM = "aws.model.enum"
RULE_PATTERN = "aws.model.pattern"


@functools.cache
def service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def model_source(service: str) -> str:
    """The model a finding comes from: botocore version and the service's API version."""
    return f"botocore {botocore.__version__} {service} service model (API {service_model(service).api_version})"


def input_shape(operation: str) -> StructureShape:
    """``ec2.CreateLaunchTemplate`` -> the operation's input structure."""
    service, op = operation.split(".", 1)
    shape = service_model(service).operation_model(op).input_shape
    assert shape is not None, operation
    return shape


# Java-style surrogate ranges the AWS models use for "any Unicode"; Python's re has code points.
_SURROGATES = re.compile(r"\\uD800\\uDC00-\\uDBFF\\uDC00-\\uDFFF", re.IGNORECASE)


@functools.cache
def _pattern(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(_SURROGATES.sub(r"\\U00010000-\\U0010FFFF", pattern))
    except re.error:
        return None  # not expressible in Python's re: left to the live API (docs/contract.md)


def _limits(value: Any, shape: Shape, path: str) -> Iterator[tuple[str, str, str]]:
    """(rule, path, message) for each max/enum/pattern the value breaks, recursively."""
    meta = shape.metadata
    if isinstance(shape, StructureShape) and isinstance(value, Mapping):
        for key, sub in value.items():
            if key in shape.members:
                yield from _limits(sub, shape.members[key], f"{path}.{key}" if path else key)
        return
    if isinstance(shape, ListShape) and isinstance(value, list):
        if "max" in meta and len(value) > meta["max"]:
            yield RULE_MAX, path, f"{len(value)} items, the model allows at most {meta['max']}"
        for i, sub in enumerate(value):
            yield from _limits(sub, shape.member, f"{path}[{i}]")
        return
    if isinstance(shape, MapShape) and isinstance(value, Mapping):
        for key, sub in value.items():
            yield from _limits(sub, shape.value, f"{path}.{key}")
        return
    if shape.type_name == "string" and isinstance(value, str):
        if "max" in meta and len(value) > meta["max"]:
            yield RULE_MAX, path, f"{len(value)} characters, the model allows at most {meta['max']}"
        enum = meta.get("enum")
        if enum and value not in enum:
            yield RULE_ENUM, path, f"{value!r} is not one of {', '.join(enum)}"
        pat = meta.get("pattern")
        compiled = _pattern(pat) if pat else None
        if compiled is not None and not compiled.fullmatch(value):
            yield RULE_PATTERN, path, f"{value!r} does not match the model's pattern {pat}"
    elif (
        shape.type_name in ("integer", "long", "double", "float")
        and isinstance(value, int | float)
        and "max" in meta
        and value > meta["max"]
    ):
        yield RULE_MAX, path, f"{value} is above the model's maximum {meta['max']}"


def check(request: Request) -> list[Finding]:
    """The request against its operation's input shape: ParamValidator plus max/enum/pattern."""
    service = request.operation.split(".", 1)[0]
    shape = input_shape(request.operation)
    source = f"{model_source(service)} {request.operation.split('.', 1)[1]}"
    out: list[Finding] = []
    report = ParamValidator().validate(dict(request.params), shape)
    if report.has_errors():
        for error in report._errors:  # (reason, name, details): the structured form of generate_report()
            message = report._format_error(error)
            out.append(
                Finding(request.resource, request.resource_type, error[1].lstrip("."), RULE_SHAPE, message, source)
            )
    for rule_id, path, message in _limits(request.params, shape, ""):
        out.append(Finding(request.resource, request.resource_type, path, rule_id, message, source))
    return out


def members(shape: Shape) -> Sequence[str]:
    return list(shape.members) if isinstance(shape, StructureShape) else []
