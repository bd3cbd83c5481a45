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
from pydantic.alias_generators import to_camel

from gpufleet.alicloud.rules import RULES as ALICLOUD_RULES
from gpufleet.alicloud.rules import fleet_problems as alicloud_fleet_problems
from gpufleet.alicloud.static import static_notes
from gpufleet.aws.rules import RULES as AWS_RULES
from gpufleet.azure.rules import RULES as AZURE_RULES
from gpufleet.bootstrap.matrix import bootstrap_warnings, check_bootstrap
from gpufleet.capabilities import capabilities, key_problems, subnet_problems
from gpufleet.catalog import CLOUD_RDMA, Catalog, Cloud, GpuNameError, InstanceType, load_catalog
from gpufleet.catalog.models import RdmaKind
from gpufleet.errors import ConfigError, Problem
from gpufleet.imagebuild.validate import group_image_problems, image_problems
from gpufleet.pricing import cap_problems
from gpufleet.pricing.price import is_priced
from gpufleet.resolve import candidate_types
from gpufleet.rules import CloudRules
from gpufleet.spec import FleetSpec, GpuImageSpec, GroupSpec
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
                groups.append((i, GroupSpec.model_validate(g, by_name=False)))
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
                problems += _shape_bad_group_problems(raw_groups[i], i, problems, str(fleet_name), raw, cat)
        problems.sort(key=lambda p: _sort_key(p.path))

    images = _images(raw.get("images"))
    problems += image_problems(images, cat, str(fleet_name))

    raw_tags = raw.get("tags")
    tags: Mapping[str, Any] = raw_tags if isinstance(raw_tags, Mapping) else {}
    for i, group in groups:
        p, w = _group_problems(group, f"groups[{i}]", str(fleet_name), tags, cat, images)
        problems += p
        warnings += w

    raw_ali = raw.get("alicloud")
    problems += alicloud_fleet_problems(groups, raw_ali.get("billing") if isinstance(raw_ali, Mapping) else None, cat)

    if problems:
        raise ConfigError(problems, source)
    return Validated(spec=FleetSpec.model_validate(raw, by_name=False), warnings=tuple(warnings))


def _images(raw: object) -> tuple[GpuImageSpec, ...]:
    """The shape-valid entries of ``images`` (the others are already reported)."""
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        return ()
    out = []
    for entry in raw:
        try:
            out.append(GpuImageSpec.model_validate(entry, by_name=False))
        except ValidationError:
            continue
    return tuple(out)


def _sort_key(path: str) -> tuple[int, str]:
    if path.startswith("groups["):
        return (int(path[7:].split("]", 1)[0]) + 1, path)
    return (0, path)


def _shape_bad_group_problems(
    g: object, i: int, found: list[Problem], fleet_name: str, raw: Mapping[str, Any], cat: Catalog
) -> list[Problem]:
    """The catalog and cloud pass on the well-formed keys of a group that has shape errors.

    The keys with shape errors are left out, and a missing ``name`` or ``capacity`` gets a
    neutral stand-in (the least demanding value), so a key typo does not hide an RDMA or
    region problem elsewhere in the same group. Problems at the left-out keys are dropped:
    they are already reported. Falls back to the region and GPU model checks alone when
    the rest still does not form a group.
    """
    path = f"groups[{i}]"
    if not isinstance(g, Mapping):
        return []
    known = set(_aliases(GroupSpec))
    bad = {p.path[len(path) + 1 :].split(".", 1)[0].split("[", 1)[0] for p in found if p.path.startswith(path + ".")}
    if any(p.path == path for p in found):  # a group-level rule failed: no key to leave out
        return _raw_group_problems(g, path, cat)
    partial = {k: v for k, v in g.items() if k in known and k not in bad}
    stand_ins = {"name": "group", "capacity": {"max": 1}}
    left_out = set(bad) | {k for k in stand_ins if k not in partial}
    partial = {**{k: v for k, v in stand_ins.items() if k not in partial}, **partial}
    try:
        group = GroupSpec.model_validate(partial, by_name=False)
    except ValidationError:
        return _raw_group_problems(g, path, cat)
    raw_tags = raw.get("tags")
    tags: Mapping[str, Any] = raw_tags if isinstance(raw_tags, Mapping) else {}
    problems, _ = _group_problems(group, path, fleet_name, tags, cat, _images(raw.get("images")))
    # A key at the wrong level (``count`` beside ``gpu``) is reported once, where it stands: its
    # absence from the right level (``gpu.count``) is the same mistake, not a second problem.
    return [
        p
        for p in problems
        if p.path.startswith(path + ".")
        and p.path[len(path) + 1 :].split(".", 1)[0].split("[", 1)[0] not in left_out
        and p.path.rsplit(".", 1)[-1] not in bad
    ]


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
        model.model_validate(raw, by_name=False)
    except ValidationError as e:
        errors = _root_causes(e.errors(include_url=False))
        missing = {tuple(err["loc"]) for err in errors if err["type"] == "missing"}
        out = []
        answered: set[tuple[int | str, ...]] = set()
        for err in errors:
            loc = tuple(err["loc"])
            if err["type"] == "extra_forbidden":
                problem, meant = _unknown_key(model, loc)
                out.append(problem)
                # A misspelt required key also makes pydantic report the right one as missing: one typo, one line.
                answered |= {(*loc[:-1], m) for m in meant} & missing
                continue
            msg = err["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            shown = _show(err.get("input"))
            if err["type"] != "missing" and shown not in msg:
                msg += f" (got {shown})"
            out.append(Problem(_path(loc), msg))
        return [p for p, err in zip(out, errors, strict=True) if tuple(err["loc"]) not in answered]
    return []


def _root_causes(errors: Sequence[Any]) -> list[Any]:
    """Drop an error about a container when one of its items has its own error.

    A tuple with ``min_length=1`` whose only item failed also fails its length check
    (``groups: Tuple should have at least 1 item``): that line is a consequence, not a problem.
    """
    locs = [tuple(err["loc"]) for err in errors]
    return [
        err
        for err, loc in zip(errors, locs, strict=True)
        if not any(len(other) > len(loc) and other[: len(loc)] == loc for other in locs)
    ]


def _unknown_key(model: type[BaseModel], loc: tuple[int | str, ...]) -> tuple[Problem, list[str]]:
    """The message for a key the model does not have, and the keys it most likely meant.

    In order: the camelCase spelling of a snake_case key; the same key at another level
    (``count`` at the group level belongs under ``gpu``); a close spelling at this level.
    """
    owner = _model_at(model, loc[:-1])
    valid = _aliases(owner) if owner else []
    key = str(loc[-1])
    listing = f" Valid keys here: {', '.join(valid)}" if valid else ""
    camel = to_camel(key)
    if camel != key and camel in valid:
        return Problem(_path(loc), f"unknown key '{key}': keys are camelCase. Did you mean '{camel}'?"), [camel]
    elsewhere = _key_elsewhere(owner, camel) if owner else []
    if elsewhere:
        names = " or ".join(f"'{p}'" for p in elsewhere)
        return Problem(_path(loc), f"unknown key '{key}' at this level. Did you mean {names}?{listing}"), []
    hint = did_you_mean(key, valid)
    meant = [v for v in valid if f"'{v}'" in hint]
    return Problem(_path(loc), f"unknown key '{key}'.{hint}{listing}"), meant


def _key_elsewhere(owner: type[BaseModel], key: str, max_hits: int = 2) -> list[str]:
    """Paths below ``owner`` (shallowest first) of fields spelt ``key``, e.g. ``gpu.instanceTypes``."""
    found: list[str] = []
    level: list[tuple[str, type[BaseModel]]] = [("", owner)]
    while level and not found:
        below: list[tuple[str, type[BaseModel]]] = []
        for prefix, m in level:
            for name, f in m.model_fields.items():
                alias = f.alias or name
                inner = _inner_model(f.annotation)
                if prefix and alias == key:
                    found.append(f"{prefix}{alias}")
                if inner is not None:
                    below.append((f"{prefix}{alias}.", inner))
        level = below
    return found[:max_hits]


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# -- catalog and cloud rules ------------------------------------------------------------------


def _group_problems(
    g: GroupSpec,
    path: str,
    fleet_name: str,
    fleet_tags: Mapping[str, Any],
    cat: Catalog,
    images: tuple[GpuImageSpec, ...] = (),
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
                        f"'{zone}' is not a zone of {g.region} ({_zone_hint(g.cloud, g.region)})",
                    )
                )
    if len(set(g.zones)) != len(g.zones):
        problems.append(Problem(f"{path}.zones", "lists a zone twice"))

    for k, v in {**dict(fleet_tags), **g.tags}.items():
        msg = rules.tag_problems(str(k), str(v))
        if msg:
            problems.append(Problem(f"{path}.tags" if k in g.tags else "tags", msg))
    # every resource carries the fleet's and the group's tags plus gpufleet-fleet and gpufleet-group
    # (gpufleet.context.GroupContext.tags)
    tag_count = len({**dict(fleet_tags), **g.tags, "gpufleet-fleet": "", "gpufleet-group": ""})
    if rules.max_tags is not None and tag_count > rules.max_tags:
        problems.append(
            Problem(
                f"{path}.tags",
                f"{tag_count} tags per resource (fleet {len(fleet_tags)}, group {len(g.tags)}, plus gpufleet-fleet and "
                f"gpufleet-group); {g.cloud} allows at most {rules.max_tags} ({rules.max_tags_source}). Drop "
                f"{tag_count - rules.max_tags}",
            )
        )

    names = [s.label(i) for i, s in enumerate(g.autoscaling.schedules)] if g.autoscaling else []
    for i, n in enumerate(names):
        if names.index(n) != i:
            problems.append(Problem(f"{path}.autoscaling.schedules[{i}].name", f"duplicate schedule name '{n}'"))

    problems += _schedule_problems(g, path)
    problems += key_problems(g, path)  # cloud-specific keys, from the capability table
    types, type_problems = _type_problems(g, path, cat)
    problems += type_problems
    if types and not type_problems:
        problems += cap_problems(g, path, types, cat)  # spot caps, the same model on every cloud
        problems += _size_problems(g, path)
        problems += subnet_problems(g, path, types)
        if rules.check is not None:
            problems += rules.check(g, path, types, cat)
        image_ref = group_image_problems(g, path, types, images)  # a baked image: its cloud, region, stack
        problems += image_ref
        if not any(p.path.endswith("bootstrap.image.name") for p in image_ref):
            problems += check_bootstrap(g, types, path, images)  # driver / CUDA / fabric manager matrix
            warnings += bootstrap_warnings(g, types, path, images)  # an image driver newer than the pin
        warnings += static_notes(g, path, types)  # Alibaba static mode: family support is the user's word
        if rules.warnings is not None and not problems:
            warnings += rules.warnings(g, path, types, cat)
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


def _zone_hint(cloud: Cloud, region: str) -> str:
    """How the zones of ``region`` are written, derived from the region's own name.

    AWS: region + letter (``us-west-2a``) [AWS EC2 UG "Regions and Zones",
    https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-regions-availability-zones.html].
    Alibaba: region + ``-`` + letter (``cn-beijing-h``), or region + letter where the region
    ends in a digit (``ap-southeast-1a``) [Alibaba Cloud "Regions and zones",
    https://www.alibabacloud.com/help/en/ecs/user-guide/regions-and-zones]. Azure: ``1``, ``2``,
    ``3`` [Azure "Availability zones", https://learn.microsoft.com/azure/reliability/availability-zones-overview].
    Which letters exist differs per region and account, so the hint names the form, not a list.
    """
    if cloud == "azure":
        return "Azure zones are '1', '2' or '3'"
    if cloud == "aws":
        from gpufleet.aws.zones import zone_ids  # AWS also takes AZ IDs (aws/rules.py)

        ids = zone_ids(region)
        also = f", or AZ IDs: {', '.join(sorted(ids))}" if ids else ", or its AZ IDs (e.g. 'use1-az6' in us-east-1)"
        return f"zones of {region} are '{region}' plus a letter, e.g. '{region}a', '{region}b'{also}"
    if region[-1].isdigit():
        return f"zones of {region} are '{region}' plus a letter, e.g. '{region}a', '{region}b'"
    return f"zones of {region} are '{region}-' plus a letter, e.g. '{region}-h'"


def _schedule_problems(g: GroupSpec, path: str) -> list[Problem]:
    """A schedule's desired/min within the max in force when it runs: its own max, else the group's.

    AWS Auto Scaling answers ValidationError for a desired outside min..max (API Reference
    UpdateAutoScalingGroup / SetDesiredCapacity; contract rule aws.autoscaling.schedule-within-group).
    Azure autoscale profiles (minimum <= default <= maximum) and ESS scheduled tasks (MinValue <=
    DesiredCapacity <= MaxValue) carry the same ordering [UNVERIFIED in a stored doc for those two];
    the group's max is the spec's ceiling on every cloud either way. When the schedule does not
    set max, the group's ``capacity.max`` applies (the check does not assume an earlier schedule
    raised it).
    """
    out: list[Problem] = []
    for i, s in enumerate(g.autoscaling.schedules if g.autoscaling else ()):
        if s.max is not None:
            continue  # the model validator already needs min <= desired <= max within the schedule
        for key, value in (("desired", s.desired), ("min", s.min)):
            if value is not None and value > g.capacity.max:
                out.append(
                    Problem(
                        f"{path}.autoscaling.schedules[{i}].{key}",
                        f"{key} {value} is above the group's capacity.max {g.capacity.max} and the schedule "
                        f"does not raise max: set 'max: {value}' (or more) on this schedule, or lower {key}",
                    )
                )
    return out


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
            return [], [Problem(f"{path}.gpu.model", _with_pinned_model(str(e), g, cat))]

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


def _with_pinned_model(message: str, g: GroupSpec, cat: Catalog) -> str:
    """Add the model that the pinned instance types carry to an ambiguous-model message."""
    pinned = [it for n in g.gpu.instance_types or () if (it := cat.instance(g.cloud, n)) is not None]
    models = sorted({it.gpu_model for it in pinned if it.gpu_model})
    if "ambiguous" not in message or len(models) != 1 or models[0] not in message:
        return message
    names = ", ".join(it.name for it in pinned)
    return f"{message} The pinned instance types ({names}) carry {models[0]}: write 'model: {models[0]}'"


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
