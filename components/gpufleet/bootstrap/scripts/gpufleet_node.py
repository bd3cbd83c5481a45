"""Shared code of gpufleet-cloud: node settings, HTTP, retries, command dispatch.

Standard library only: python3 ships with every Ubuntu cloud image (cloud-init needs it),
so no cloud SDK or CLI is installed. Credentials come from the instance metadata
service at call time; nothing secret is stored on disk or in user data.
"""

import importlib
import os
import shlex
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any


def settings() -> dict[str, str]:
    """node.env (KEY=shell-quoted value), overridden by GPUFLEET_* environment variables."""
    out: dict[str, str] = {}
    try:
        with open(os.environ.get("GPUFLEET_ENV", "/etc/gpufleet/node.env"), encoding="utf-8") as f:
            for line in f:
                key, sep, value = line.strip().partition("=")
                if sep and not key.startswith("#"):
                    parts = shlex.split(value)
                    out[key] = parts[0] if parts else ""
    except OSError:
        pass
    out.update({k: v for k, v in os.environ.items() if k.startswith("GPUFLEET_")})
    return out


S = settings()


def http(
    method: str, url: str, headers: dict[str, str] | None = None, data: bytes | None = None, timeout: float = 5
) -> str:
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return str(resp.read().decode())


def with_retries(fn: Callable[..., str], *args: Any, attempts: int = 4) -> str:
    """Call fn, retrying with backoff (2, 4, 8 s) on network and API errors."""
    for n in range(1, attempts + 1):
        try:
            return fn(*args)
        except (OSError, RuntimeError, KeyError, ValueError) as e:
            detail = e.read().decode(errors="replace")[:300] if isinstance(e, urllib.error.HTTPError) else ""
            if n == attempts:
                raise RuntimeError(f"{fn.__name__} failed after {attempts} attempts: {e} {detail}".strip()) from e
            time.sleep(2**n)
    raise AssertionError("unreachable")


def report(cloud: Any, cls: str, reason: str) -> str:
    """A failed health run: counted where the cloud has a loop breaker; replaced only when it is
    hardware and the breaker has not tripped. "held: ..." means the node stays."""
    if hasattr(cloud, "count_failure"):
        with_retries(cloud.count_failure, cls)
    if cls != "hardware" and S.get("GPUFLEET_CLOUD") != "azure":  # Azure: repairs read the endpoint
        return "held: configuration failure"
    if hasattr(cloud, "loop_tripped") and with_retries(lambda: str(cloud.loop_tripped())) == "True":
        return "held: replacement-loop alarm"
    return with_retries(cloud.report_unhealthy, reason)


def main(argv: list[str], usage: str | None) -> int:
    cloud = importlib.import_module("gpufleet_" + S.get("GPUFLEET_CLOUD", "none"))
    cmd, args = (argv[0], argv[1:]) if argv else ("", [])
    commands: dict[str, Callable[[], str]] = {
        "instance-type": lambda: cloud.instance_type(),
        "report": lambda: report(cloud, args[0], " ".join(args[1:])),
        "lifecycle-state": lambda: cloud.lifecycle_state(),
        "complete-lifecycle": lambda: with_retries(cloud.complete_lifecycle, (args or ["CONTINUE"])[0]),
        "azure-resource-id": lambda: cloud.resource_id(),
    }
    if cmd not in commands:
        print(usage, file=sys.stderr)
        return 2
    try:
        print(commands[cmd]())
    except Exception as e:  # one line for the caller's log, not a traceback
        print(f"gpufleet-cloud {cmd}: {e}", file=sys.stderr)
        return 1
    return 0
