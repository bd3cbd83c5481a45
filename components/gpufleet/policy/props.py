"""Read helpers over the property proxies the policy SDK hands to policies.

The analyzer wraps props in ``pulumi_policy.proxy`` Mapping/Sequence proxies (not
``dict``/``list``) whose reads raise ``UnknownValueError`` for values unknown during
preview (pulumi_policy/proxy.py ``UnknownValueError``). These helpers walk camelCase paths defensively: a missing key
gives the default, an unknown value still raises, so the analyzer can report "can't
run during preview" instead of a policy passing on a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from pulumi_policy.proxy import UnknownValueError

T = TypeVar("T")

TRUE_STRINGS = frozenset({"true", "yes", "1", "enabled"})


def get(obj: Any, *path: str | int, default: Any = None) -> Any:
    """The value at ``path`` (keys and list indexes), or ``default`` when absent or null."""
    cur = obj
    for key in path:
        if cur is None or isinstance(cur, _SCALARS):
            return default
        try:
            # One subscript per step: on the SDK proxies ``key in m`` and ``m[key]`` would
            # each run the unknown check.
            cur = cur[key]
        except (KeyError, IndexError, TypeError):
            return default
        if cur is None:
            return default
    return cur


_SCALARS = (str, bytes, bool, int, float)


def is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def items(obj: Any, *path: str | int) -> list[Any]:
    """The elements of the list at ``path`` ([] when absent or not a list); nulls are dropped."""
    value = get(obj, *path)
    if not is_list(value):
        return []
    return [v for v in (value[i] for i in range(len(value))) if v is not None]


def text(obj: Any, *path: str | int) -> str | None:
    """A string at ``path`` (numbers are rendered), or None."""
    value = get(obj, *path)
    if value is None or isinstance(value, Mapping) or is_list(value):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def number(obj: Any, *path: str | int) -> float | None:
    """A number at ``path``; numeric strings count (Azure capacities are strings), else None."""
    value = get(obj, *path)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def flag(obj: Any, *path: str | int) -> bool | None:
    """A boolean at ``path``; AWS v7 types some booleans as strings ("true"), so both count."""
    value = get(obj, *path)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() in TRUE_STRINGS
    return None


def tags(value: Any) -> dict[str, str]:
    """Tags as a plain dict from a map or from AWS ASG-style ``[{key, value}]`` lists."""
    if isinstance(value, Mapping):
        return {str(k): "" if value[k] is None else str(value[k]) for k in value}
    out: dict[str, str] = {}
    if is_list(value):
        for entry in (value[i] for i in range(len(value))):
            key = text(entry, "key")
            if key is not None:
                out[key] = text(entry, "value") or ""
    return out


def join_key(obj: Any, *path: str | int) -> str | None:
    """Like :func:`text`, but None when the value is unknown during preview.

    For ids and names used only to join resources: an unknown join key must not stop
    a stack policy (the dependency edges usually join them anyway).
    """
    try:
        return text(obj, *path)
    except UnknownValueError:
        return None


def present(obj: Any, *path: str | int) -> bool:
    """True when ``path`` holds a non-null value, including one unknown during preview."""
    try:
        return get(obj, *path) is not None
    except UnknownValueError:
        return True


def known(read: Callable[[], T], default: T) -> T:
    """``read()``, or ``default`` when it touches a value unknown during preview.

    Stack policies use this for reads that only join resources together (ids, names),
    so one unknown id does not stop the whole policy; values a rule depends on are
    read without it and raise.
    """
    try:
        return read()
    except UnknownValueError:
        return default
