"""Load and validate a fleet config: every problem, each with its field path, in one report.

Two passes. Pydantic checks the shape of the whole tree (so a typo such as
``capcity`` is reported with the valid keys). Groups whose shape is right then go
through the catalog and cloud checks. Nothing here touches Pulumi or a cloud.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from gpufleet.alicloud.rules import RULES as ALICLOUD_RULES
from gpufleet.aws.rules import RULES as AWS_RULES
from gpufleet.azure.rules import RULES as AZURE_RULES
from gpufleet.bootstrap.matrix import check_bootstrap
from gpufleet.capabilities import capabilities, key_problems, subnet_problems
from gpufleet.catalog import CLOUD_RDMA, Catalog, Cloud, GpuNameError, InstanceType, load_catalog
from gpufleet.catalog.models import RdmaKind
from gpufleet.errors import ConfigError, Problem
from gpufleet.pricing import cap_problems
from gpufleet.pricing.price import is_priced
from gpufleet.resolve import candidate_types
from gpufleet.rules import CloudRules
from gpufleet.spec import FleetSpec, GroupSpec
from gpufleet.suggest import did_you_mean, one_of

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_:-]*$")
RULES: dict[Cloud, CloudRules] = {"aws": AWS_RULES, "azure": AZURE_RULES, "alicloud": ALICLOUD_RULES}


@dataclass(frozen=True)
class Validated:
    """A valid fleet spec and the warnings worth showing (nothing blocking)."""

    spec: FleetSpec
    warnings: tuple[Problem, ...]


def validate_fleet(raw: object, catalog: Catalog | None = None, source: str | None = None) -> Validated:
    """Validate the value of ``gpufleet:fleet``. Raises ConfigError listing every problem."""
    cat = catalog or load_catalog()
    problems: list[Problem] = []
    warnings: list[Problem] = []
    if not isinstance(raw, Mapping):
        raise ConfigError([Problem("fleet", f"must be a mapping with name, tags and groups; got {_show(raw)}")], source)

    problems += _shape_problems(FleetSpec, raw)
    bad_groups = {int(p.path.split("[", 1)[1].split("]", 1)[0]) for p in problems if p.path.startswith("groups[")}

    raw_groups = raw.get("groups")
    fleet_name = raw.get("name") if isinstance(raw.get("name"), str) else ""
    groups: list[tuple[int, GroupSpec]] = []
    if isinstance(raw_groups, Sequence) and not isinstance(raw_groups, str):
        for i, g in enumerate(raw_groups):
            if i in bad_groups:
                continue
            try:
                groups.append((i, GroupSpec.model_validate(g)))
            except ValidationError:  # already reported with the fleet-level paths
                continue
        seen: dict[str, int] = {}
        for i, g in enumerate(raw_groups):
            name = g.get("name") if isinstance(g, Mapping) else None
            if isinstance(name, str):
                if name in seen:
                    problems.append(
                        Problem(f"groups[{i}].name", f"duplicate group name '{name}' (also groups[{seen[name]}])")
                    )
                else:
                    seen[name] = i

        for i in sorted(bad_groups):
            if i < len(raw_groups):
                problems += _raw_group_problems(raw_groups[i], f"groups[{i}]", cat)
        problems.sort(key=lambda p: _sort_key(p.path))

    raw_tags = raw.get("tags")
    tags: Mapping[str, Any] = raw_tags if isinstance(raw_tags, Mapping) else {}
    for i, group in groups:
        p, w = _group_problems(group, f"groups[{i}]", str(fleet_name), tags, cat)
        problems += p
        warnings += w

    if problems:
        raise ConfigError(problems, source)
    return Validated(spec=FleetSpec.model_validate(raw), warnings=tuple(warnings))


def _sort_key(path: str) -> tuple[int, str]:
    if path.startswith("groups["):
        return (int(path[7:].split("]", 1)[0]) + 1, path)
    return (0, path)


def _raw_group_problems(g: object, path: str, cat: Catalog) -> list[Problem]:
    """Catalog checks on a group whose shape is wrong elsewhere, so one report says everything."""
    raw_cloud = g.get("cloud") if isinstance(g, Mapping) else None
    if not isinstance(g, Mapping) or not isinstance(raw_cloud, str) or raw_cloud not in RULES:
        return []
    cloud = raw_cloud
    out = []
    region = g.get("region")
    if isinstance(region, str) and cat.region(cloud, region) is None:
        out.append(
            Problem(
                f"{path}.region",
                f"unknown {cloud} region '{region}'.{did_you_mean(region, cat.region_names(cloud))} "
                f"Valid: {one_of(cat.region_names(cloud), 15)}",
            )
        )
    gpu = g.get("gpu")
    if isinstance(gpu, Mapping) and isinstance(gpu.get("model"), str):
        try:
            cat.resolve_gpu(gpu["model"])
        except GpuNameError as e:
            out.append(Problem(f"{path}.gpu.model", str(e)))
    return out


# -- shape (pydantic) -------------------------------------------------------------------------


def _path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _PLAIN_KEY.match(str(part)):
            out += f".{part}" if out else str(part)
        else:  # keys a user could not type as a plain path segment
            out += f"[{json.dumps(str(part))}]" if out else f"fleet[{json.dumps(str(part))}]"
    return out or "fleet"


def _model_at(model: type[BaseModel], loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The model class that owns the key at ``loc`` (for listing valid keys)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = next((f for n, f in current.model_fields.items() if (f.alias or n) == part), None)
        if field is None:
            return None
        current = _inner_model(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _aliases(model: type[BaseModel]) -> list[str]:
    return [f.alias or n for n, f in model.model_fields.items()]


def _shape_problems(model: type[BaseModel], raw: object) -> list[Problem]:
    try:
        model.model_validate(raw)
    except ValidationError as e:
        out = []
        for err in e.errors(include_url=False):
            loc = tuple(err["loc"])
            path = _path(loc)
            if err["type"] == "extra_forbidden":
                owner = _model_at(model, loc[:-1])
                valid = _aliases(owner) if owner else []
                key = str(loc[-1])
                msg = f"unknown key '{key}'.{did_you_mean(key, valid)}"
                if valid:
                    msg += f" Valid keys: {', '.join(valid)}"
                out.append(Problem(path, msg))
                continue
            msg = err["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            shown = _show(err.get("input"))
            if err["type"] != "missing" and shown not in msg:
                msg += f" (got {shown})"
            out.append(Problem(path, msg))
        return out
    return []


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# -- catalog and cloud rules ------------------------------------------------------------------


def _group_problems(
    g: GroupSpec, path: str, fleet_name: str, fleet_tags: Mapping[str, Any], cat: Catalog
) -> tuple[list[Problem], list[Problem]]:
    rules = RULES[g.cloud]
    problems: list[Problem] = []
    warnings: list[Problem] = []

    prefix = f"{fleet_name}-{g.name}"
    if len(prefix) > rules.max_name_length:
        problems.append(
            Problem(
                f"{path}.name",
                f"'{prefix}' (fleet-group) is {len(prefix)} characters; {g.cloud} allows at most "
                f"{rules.max_name_length} here ({rules.name_limit_source}). Shorten the fleet or group name",
            )
        )

    region_ok = cat.region(g.cloud, g.region) is not None
    if not region_ok:
        other = [c for c in RULES if c != g.cloud and cat.region(c, g.region)]
        also = f" ('{g.region}' is a {other[0]} region)" if other else ""
        problems.append(
            Problem(
                f"{path}.region",
                f"unknown {g.cloud} region '{g.region}'{also}.{did_you_mean(g.region, cat.region_names(g.cloud))} "
                f"Valid: {one_of(cat.region_names(g.cloud), 15)}",
            )
        )
    else:
        for j, zone in enumerate(g.zones):
            if not rules.zone_ok(g.region, zone):
                problems.append(
                    Problem(
                        f"{path}.zones[{j}]",
                        f"'{zone}' is not a zone of {g.region} (zones look like '{rules.zone_example}')",
                    )
                )
    if len(set(g.zones)) != len(g.zones):
        problems.append(Problem(f"{path}.zones", "lists a zone twice"))

    for k, v in {**dict(fleet_tags), **g.tags}.items():
        msg = rules.tag_problems(str(k), str(v))
        if msg:
            problems.append(Problem(f"{path}.tags" if k in g.tags else "tags", msg))

    names = [s.label(i) for i, s in enumerate(g.autoscaling.schedules)] if g.autoscaling else []
    for i, n in enumerate(names):
        if names.index(n) != i:
            problems.append(Problem(f"{path}.autoscaling.schedules[{i}].name", f"duplicate schedule name '{n}'"))

    problems += key_problems(g, path)  # cloud-specific keys, from the capability table
    types, type_problems = _type_problems(g, path, cat)
    problems += type_problems
    if types and not type_problems:
        problems += cap_problems(g, path, types, cat)  # spot caps, the same model on every cloud
        problems += _size_problems(g, path)
        problems += subnet_problems(g, path, types)
        if rules.check is not None:
            problems += rules.check(g, path, types, cat)
        problems += check_bootstrap(g, types, path)  # driver / CUDA / fabric manager matrix
        if region_ok and not any(is_priced(cat, g.cloud, t.name, g.region) for t in types):
            warnings.append(
                Problem(
                    f"{path}.region",
                    f"the catalog has no price for {', '.join(t.name for t in types)} in {g.region}; "
                    "the cost estimate will be missing (a missing row is not proof the type is unavailable)",
                )
            )
        if not g.gpu.instance_types:
            warnings.append(
                Problem(
                    f"{path}.gpu",
                    f"instance types are chosen from the catalog at run time ({', '.join(t.name for t in types)}); "
                    "pin them with 'gpufleet resolve' so a catalog update cannot move the fleet",
                )
            )
    return problems, warnings


def _size_problems(g: GroupSpec, path: str) -> list[Problem]:
    caps = capabilities(g.cloud)
    listed = g.gpu.instance_types or ()
    if caps.sizes_per_group is None or len(listed) <= caps.sizes_per_group:
        return []
    return [
        Problem(
            f"{path}.gpu.instanceTypes",
            f"{len(listed)} types given, but {caps.sizes_source} (at most {caps.sizes_per_group} per group); "
            f"list {caps.sizes_per_group}, e.g. [{', '.join(listed[: caps.sizes_per_group])}], or split the group",
        )
    ]


def _type_problems(g: GroupSpec, path: str, cat: Catalog) -> tuple[list[InstanceType], list[Problem]]:
    problems: list[Problem] = []
    model: str | None = None
    if g.gpu.model is not None:
        try:
            model = cat.resolve_gpu(g.gpu.model)
        except GpuNameError as e:
            return [], [Problem(f"{path}.gpu.model", str(e))]

    fabric = CLOUD_RDMA[g.cloud]
    if g.gpu.instance_types:
        types: list[InstanceType] = []
        for j, name in enumerate(g.gpu.instance_types):
            p = f"{path}.gpu.instanceTypes[{j}]"
            it = cat.instance(g.cloud, name)
            if it is None:
                elsewhere = [c for c in RULES if c != g.cloud and cat.instance(c, name)]
                also = f" ('{name}' is a {elsewhere[0]} type)" if elsewhere else ""
                problems.append(
                    Problem(
                        p,
                        f"unknown {g.cloud} instance type '{name}'{also}."
                        f"{did_you_mean(name, cat.instance_names(g.cloud))} See 'gpufleet catalog --cloud {g.cloud}'",
                    )
                )
                continue
            types.append(it)
            if model and it.gpu_model != model:
                problems.append(
                    Problem(p, f"'{name}' carries {it.gpu_model or 'an unnamed GPU'}, not the requested {model}")
                )
            if g.gpu.count is not None and it.gpu_count != g.gpu.count:
                problems.append(
                    Problem(p, f"'{name}' has {it.gpu_count} GPUs per node, not the requested {g.gpu.count}")
                )
            if g.rdma and it.rdma != fabric:
                problems.append(Problem(p, _no_rdma(it, fabric, cat, g)))
        per_node = sorted({t.gpu_count for t in types})
        if len(per_node) > 1:  # one node size per group: per-node GPUs and costs stay one number
            problems.append(
                Problem(
                    f"{path}.gpu.instanceTypes",
                    f"the types carry {', '.join(str(c) for c in per_node)} GPUs per node; a group's nodes carry one "
                    "count, so list types with the same count or split the group",
                )
            )
        return types, problems

    assert model is not None  # GpuSpec requires model or instanceTypes
    same_model = cat.find(cloud=g.cloud, gpu_model=model)
    if not same_model:
        clouds = sorted({i.cloud for i in cat.find(gpu_model=model)})
        return [], [
            Problem(f"{path}.gpu.model", f"no {g.cloud} type carries {model} (it is offered on {', '.join(clouds)})")
        ]
    if g.gpu.count is not None and not [i for i in same_model if i.gpu_count == g.gpu.count]:
        counts = sorted({str(i.gpu_count) for i in same_model})
        return [], [
            Problem(
                f"{path}.gpu.count",
                f"no {g.cloud} type has {g.gpu.count} x {model}; counts offered: {', '.join(counts)}",
            )
        ]
    sizes = sorted({i.gpu_count for i in same_model})
    if g.gpu.count is None and len(sizes) > 1:
        # A model alone means exactly one node size; with several, the user picks (docs: README gpu).
        return [], [
            Problem(
                f"{path}.gpu.count",
                f"{model} comes with {', '.join(str(c) for c in sizes)} GPUs per node on {g.cloud}; give gpu.count "
                "(one of these) so the group runs one node size",
            )
        ]
    found = candidate_types(g, cat)
    if not found:
        with_rdma = [i.name for i in same_model if i.rdma == fabric]
        hint = f"; types with {model} and {fabric}: {', '.join(with_rdma)}" if with_rdma else ""
        return [], [
            Problem(f"{path}.rdma", f"no {g.cloud} type with {g.gpu.count or ''} x {model} supports {fabric}{hint}")
        ]
    return found, []


def _no_rdma(it: InstanceType, fabric: RdmaKind, cat: Catalog, g: GroupSpec) -> str:
    if it.rdma == "unknown":
        why = "the catalog has no RDMA facts for it"
    elif it.rdma == "none":
        why = "it has no RDMA"
    else:
        why = f"it has {it.rdma}, not {fabric}"
    alts = [i.name for i in cat.find(cloud=g.cloud, gpu_model=it.gpu_model, rdma=fabric)] if it.gpu_model else []
    alt = f" Types with {it.gpu_model} and {fabric}: {', '.join(alts)}" if alts else ""
    return f"rdma: true needs {fabric} on '{it.name}', but {why}.{alt}"
