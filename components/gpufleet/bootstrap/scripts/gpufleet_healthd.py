#!/usr/bin/env python3
"""gpufleet-healthd: serve the node's health verdict at http://0.0.0.0:8787/healthz.

Reads the verdict gpufleet-health writes; the bodies and codes are defined in
gpufleet.bootstrap.health (Azure Application Health extension, Rich Health States).
"""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATE = os.environ.get("GPUFLEET_HEALTH_FILE", "/var/lib/gpufleet/health.json")
PORT = int(os.environ.get("GPUFLEET_HEALTH_PORT", "8787"))
PATH = os.environ.get("GPUFLEET_HEALTH_PATH", "/healthz")
UNHEALTHY = int(os.environ.get("GPUFLEET_HEALTH_UNHEALTHY_STATUS", "503"))
BIND = os.environ.get("GPUFLEET_HEALTH_BIND", "0.0.0.0")


def verdict() -> tuple[int, str, str]:
    try:
        with open(STATE, encoding="utf-8") as f:
            state = json.load(f)
    except (OSError, ValueError):
        return 503, "Initializing", "no verdict yet"
    reason = str(state.get("reason", ""))
    if state.get("state") == "healthy":
        return 200, "Healthy", reason
    if state.get("state") == "unhealthy":
        return UNHEALTHY, "Unhealthy", reason
    return 503, "Initializing", reason


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] != PATH:
            self.send_error(404)
            return
        code, state, reason = verdict()
        body = json.dumps({"ApplicationHealthState": state}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Gpufleet-Reason", reason.encode("ascii", "replace").decode()[:300])
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet: probes come every few seconds
        return


if __name__ == "__main__":
    ThreadingHTTPServer((BIND, PORT), Handler).serve_forever()
