"""'Did you mean' helpers for error messages."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(value: str, choices: Iterable[str], n: int = 3) -> str:
    """Return ' Did you mean 'x'?' for close matches (case-insensitive), or ''."""
    pool = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(value.lower(), list(pool), n=n, cutoff=0.6)
    if not close:
        return ""
    names = " or ".join(f"'{pool[c]}'" for c in close)
    return f" Did you mean {names}?"


def one_of(choices: Iterable[str], limit: int = 12) -> str:
    """Render a list of valid values, truncated for long lists."""
    items = sorted(set(choices))
    shown = ", ".join(items[:limit])
    more = f", ... ({len(items) - limit} more)" if len(items) > limit else ""
    return f"{shown}{more}"
