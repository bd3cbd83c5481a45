"""Fake nodes for the node scripts: the rendered files under a temp root, stub commands that log
every call (and record what they "installed"), and a runner that behaves like systemd running a
unit. Shared by the bootstrap and image-build tests and by bench/boot_steps.py, so it imports
nothing from pytest."""

from __future__ import annotations

import contextlib
import csv
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


class HasFiles(Protocol):
    """A render (conftest.Rendered) or anything else that lists the node's files by path."""

    def files(self) -> dict[str, tuple[int, bytes]]: ...


STUB_LIB = r"""
log() { echo "$(basename "$0") $*" >>"$STUB/calls.log"; }
# STUB_HANG="nvidia-smi dcgmi": those commands hang as a GPU that fell off the bus makes them
# hang (a real sleep, so only a real timeout or a signal ends them).
[[ " ${STUB_HANG:-} " != *" ${0##*/} "* ]] || exec sleep 600
have() { [[ -e $STUB/pkg/$1 ]]; }
# known <package>: in the sourced list of real package names (one glob per line).
known() {
  local g
  while read -r g; do [[ $1 == $g ]] && return 0; done <"$STUB/known-packages"
  return 1
}
# provide <package>: put the commands the package ships on PATH.
provide() {
  touch "$STUB/pkg/$1"
  awk -v p="$1" '$1 == p {print $2}' "$STUB/provides" | while read -r c; do cp "$STUB/tpl/$c" "$STUB/pkgbin/$c"; done
}
"""

# Each stub logs its call; package installs create marker files that other stubs read,
# so a second run sees what the first installed.
STUBS: dict[str, str] = {
    # Like apt-get: options (and -o values) skipped, the first word is the command; install
    # refuses a name the sourced package list (data/apt_packages.csv) does not know, exit 100.
    "apt-get": r"""log "$@"
words=()
while (($#)); do case $1 in -o) shift ;; -*) ;; *) words+=("$1") ;; esac; shift; done
[[ ${words[0]:-} == install ]] || exit 0
for a in "${words[@]:1}"; do
  known "${a%%=*}" || { echo "E: Unable to locate package ${a%%=*}" >&2; exit 100; }
done
for a in "${words[@]:1}"; do
  case $a in
    cuda-toolkit-*)
      v=${a#cuda-toolkit-}; d="$GPUFLEET_ROOT/usr/local/cuda-${v/-/.}/bin"
      mkdir -p "$d"; touch "$d/nvcc" "$STUB/pkg/$a"; chmod +x "$d/nvcc" ;;
    nvlsm*)  # the path nv-fabricmanager looks for on NVL5 systems (its error message names it)
      d="$GPUFLEET_ROOT/opt/nvidia/nvlsm/sbin"; mkdir -p "$d"; touch "$d/nvlsm"; chmod +x "$d/nvlsm"
      provide nvlsm ;;
    *) provide "${a%%=*}"; echo "${a#*=}" >"$STUB/pkg/${a%%=*}.version" ;;
  esac
done""",
    "apt-cache": r"""log "$@"
repo=https://developer.download.nvidia.com/compute/cuda/repos/ubuntu2204/x86_64
[[ $1 == madison ]] && known "$2" && printf ' %s | %s-1 | %s  Packages\n' "$2" "${STUB_DRIVER:-580.105.08}" "$repo"
true""",
    "apt-mark": 'log "$@"',
    "dpkg": r"""log "$@"
[[ $1 == --configure ]] && rm -f "$GPUFLEET_ROOT"/var/lib/dpkg/updates/*
if [[ $1 == -i ]]; then
  d="$GPUFLEET_ROOT/opt/aws/amazon-cloudwatch-agent/bin"; mkdir -p "$d"
  printf '#!/bin/sh\necho "amazon-cloudwatch-agent-ctl $*" >>"%s/calls.log"\n' "$STUB" >"$d/amazon-cloudwatch-agent-ctl"
  chmod +x "$d/amazon-cloudwatch-agent-ctl"
fi""",
    # A reboot applies a nouveau blacklist (STUB_NOUVEAU=1: the image loads nouveau at boot).
    "systemctl": r"""log "$@"; [[ $1 == list-unit-files ]] && exit 1
if [[ $1 == reboot ]] && grep -qsx 'blacklist nouveau' "$GPUFLEET_ROOT"/etc/modprobe.d/*.conf; then
  touch "$STUB/no-nouveau"
fi
true""",
    "update-initramfs": 'log "$@"',
    "modprobe": 'log "$@"; true',
    "mokutil": 'echo "SecureBoot ${STUB_SECURE_BOOT:-disabled}"',
    "modinfo": "have nvidia-open || have cuda-drivers || have preinstalled-driver",
    "lsmod": r"""echo "Module                  Size  Used by"
[[ -z ${STUB_NOUVEAU:-} || -e $STUB/no-nouveau ]] || echo "nouveau              3096576  0" """,
    "uname": "echo 6.8.0-1044-aws",
    "nvidia-smi": r"""[[ -z ${STUB_DRIVER_BROKEN:-} ]] || exit 9
compgen -G "$STUB/pkg/nvidia-open*" >/dev/null || compgen -G "$STUB/pkg/cuda-drivers*" >/dev/null ||
  have preinstalled-driver || have nvidia-grid || exit 9
case "$*" in
  *driver_version*) echo "${STUB_DRIVER:-580.105.08}" ;;
  # -r refuses a GPU that a process uses (NVIDIA's message); STUB_BUSY names the busy bus id.
  "-r -i "*)
    log "$@"
    [[ $3 != "${STUB_BUSY:-}" ]] && exit 0
    echo "Unable to reset this GPU because it's being used by some other process" >&2
    exit 255 ;;
  -L) for ((i = 0; i < ${STUB_GPUS:-1}; i++)); do echo "GPU $i: NVIDIA H100 80GB HBM3 (UUID: GPU-$i)"; done ;;
  *ecc.errors*) for ((i = 0; i < ${STUB_GPUS:-1}; i++)); do echo "${STUB_ECC:-0}"; done ;;
  *remapped_rows*) for ((i = 0; i < ${STUB_GPUS:-1}; i++)); do echo "${STUB_REMAP:-No, No}"; done ;;
  -q) for ((i = 0; i < ${STUB_GPUS:-1}; i++)); do
      printf 'GPU 0000:%02x:00.0\n    Fabric\n' "$i"
      printf '        State                             : %s\n' "${STUB_FABRIC:-Completed}"
      printf '        Status                            : Success\n'
    done ;;
  *) echo "| NVIDIA-SMI ${STUB_DRIVER:-580.105.08}  Driver Version: ${STUB_DRIVER:-580.105.08}  CUDA Version: 13.0 |" ;;
esac""",
    "nv-fabricmanager": r"""f=$(compgen -G "$STUB/pkg/nvidia-fabricmanager*.version" | head -n 1) || exit 127
echo "Fabric Manager version is : $(sed 's/-1$//' "$f")" """,
    "curl": r"""log "$@"
out=""; url=""
while (($#)); do case $1 in -o) out=$2; shift ;; http*) url=$1 ;; esac; shift; done
case $url in
  # The NVIDIA installer refuses to run while nouveau is loaded (its own error message).
  *.run)
    printf '#!/bin/bash\nif [[ $(lsmod) == *nouveau* ]]; then\n' >"$out"
    printf 'echo "ERROR: The Nouveau kernel driver is currently in use by your system." >&2; exit 1; fi\n' >>"$out"
    printf 'touch "%s/pkg/nvidia-grid"\n' "$STUB" >>"$out"
    printf 'echo "nvidia-installer $*" >>"%s/calls.log"\n' "$STUB" >>"$out" ;;
  # Installers log their run like any stub (bench/boot_steps.py counts them).
  *cms_go_agent_install.sh)
    printf '#!/bin/sh\nmkdir -p "%s/usr/local/cloudmonitor"\n' "$GPUFLEET_ROOT" >"$out"
    printf 'echo "cms_go_agent_install.sh $*" >>"%s/calls.log"\n' "$STUB" >>"$out" ;;
  *) echo "payload of $url" >"$out" ;;
esac""",
    "gpg": r"""log "$@"
if [[ $* == *--show-keys* ]]; then
  f=${*: -1}; url=$(sed 's/^payload of //' "$f")
  echo "fpr:::::::::$(grep -F "$url" "$STUB/keys" | cut -d' ' -f2):"
fi
if [[ $* == *--dearmor* ]]; then
  while (($#)); do [[ $1 == -o ]] && { touch "$2"; break; }; shift; done
fi
true""",
    # ldconfig -p prints the whole cache (277 KB measured on an HPC-sized cache in the review);
    # libnccl sorts early, so more than a pipe buffer (64 KB) follows the match.
    "ldconfig": r"""[[ ${1:-} == -p ]] || { log "$@"; exit 0; }
head -n 40 "$STUB/ldcache"
if have libnccl2 || have preinstalled-nccl; then
  echo "	libnccl.so.2 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libnccl.so.2"
fi
# Libraries of directories listed in ld.so.conf.d (as the real cache after ldconfig).
for conf in "$GPUFLEET_ROOT"/etc/ld.so.conf.d/*.conf; do
  [[ -f $conf ]] || continue
  while read -r dir; do
    for so in "$GPUFLEET_ROOT$dir"/*.so; do
      [[ -e $so ]] && printf '\t%s (libc6,x86-64) => %s\n' "${so##*/}" "$dir/${so##*/}"
    done
  done <"$conf"
done
tail -n +41 "$STUB/ldcache" """,
    "journalctl": r"""cat "$STUB/kernel.log" 2>/dev/null; true""",
    "gpufleet-cloud": r"""log "$@"
case $1 in
  instance-type) echo "${STUB_TYPE:-}" ;;
  lifecycle-state)
    n=$(cat "$STUB/polls" 2>/dev/null || echo 0); echo $((n + 1)) >"$STUB/polls"
    if ((n < 2)); then echo InService; else echo Terminated; fi ;;
  # The decision is gpufleet_node.report's (tested in test_cloud_calls); here: STUB_HELD says it held.
  report) if [[ $2 != hardware || -n ${STUB_HELD:-} ]]; then echo "held: stub"; else echo "marked unhealthy"; fi ;;
  azure-resource-id) echo /subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss ;;
esac
true""",
}
# Commands of installed packages that answer more than a log line.
PACKAGE_STUBS = {
    # dcgmi health -c prints a table whose header row carries "Overall Health: <state>".
    "dcgmi": r"""log "$@"
[[ $* != "health -c" ]] || echo "| Group 0 | Overall Health: ${STUB_DCGM_HEALTH:-Healthy} |" """,
}

# No stub for sleep and timeout: the real ones run, with short settings from node.env (TEST_ENV).
# Installed by packages (the stub is there; the marker file says whether it "exists").
COMMANDS_FROM_PACKAGES = {
    "nvidia-ctk": "nvidia-container-toolkit",
    "dcgmi": "datacenter-gpu-manager-4-cuda13",
    "dcgm-exporter": "datacenter-gpu-manager-exporter",
    "telegraf": "telegraf",  # a node on a baked image finds it with `command -v` (verify mode)
}


@dataclass
class UnitRun:
    args: list[str]
    returncode: int | None
    stdout: str
    stderr: str
    killed: bool
    """Still running at the deadline, so it got SIGTERM."""


# Deadlines, timeouts and retry pauses the tests put into node.env, so the real sleep and
# timeout keep each test under a few seconds.
TEST_ENV = {
    "GPUFLEET_CMD_TIMEOUT": "1",
    "GPUFLEET_RETRY_DELAY": "0",
    "GPUFLEET_DRAIN_POLL_SECONDS": "0.1",
}

PACKAGE_LIST = Path(__file__).parent / "data" / "apt_packages.csv"


def _ld_cache(libs: int = 3000) -> str:
    """An ``ldconfig -p`` listing of ``libs`` libraries (about 90 bytes a line)."""
    lines = [f"{libs + 1} libs found in cache `/etc/ld.so.cache'"]
    for i in range(libs):
        name = f"libgpufleet-filler{i:05d}.so.1"
        lines.append(f"\t{name} (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/{name}")
    return "\n".join(lines) + "\n"


@dataclass
class NodeRoot:
    """A fake node: the rendered files under ``root``, stub commands, and a call log."""

    root: Path
    stub: Path
    env: dict[str, str]

    def run(self, script: str, **env: str) -> subprocess.CompletedProcess[str]:
        r = self.run_unit(script, deadline=90, **env)
        assert r.returncode is not None and not r.killed, f"{script} still running after 90 s: {r.stdout}"
        return subprocess.CompletedProcess(r.args, r.returncode, r.stdout, r.stderr)

    def run_unit(self, script: str, deadline: float, **env: str) -> UnitRun:
        """Run ``script`` as systemd runs a unit with ``TimeoutStartSec=deadline``: at the
        deadline SIGTERM goes to every process of the unit (KillMode=control-group, here the
        process group), then SIGKILL after a short TimeoutStopSec [DOC: systemd.service(5),
        systemd.kill(5)]."""
        cmd = [str(self.root / "usr/local/sbin" / script)]
        p = subprocess.Popen(
            cmd,
            env={**self.env, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        killed = False
        try:
            out, err = p.communicate(timeout=deadline)
        except subprocess.TimeoutExpired:
            killed = True
            os.killpg(p.pid, signal.SIGTERM)
            try:
                out, err = p.communicate(timeout=3)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                out, err = p.communicate()
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)  # leftovers (a hung stub) never outlive the test
        return UnitRun(cmd, p.returncode, out, err, killed)

    def calls(self) -> list[str]:
        log = self.stub / "calls.log"
        return log.read_text().splitlines() if log.exists() else []

    def clear_calls(self) -> None:
        (self.stub / "calls.log").unlink(missing_ok=True)

    def installed(self, package: str) -> None:
        (self.stub / "pkg" / package).touch()
        for cmd, pkg in COMMANDS_FROM_PACKAGES.items():
            if pkg == package:
                (self.stub / "pkgbin" / cmd).write_bytes((self.stub / "tpl" / cmd).read_bytes())
                (self.stub / "pkgbin" / cmd).chmod(0o755)

    def health(self) -> dict[str, Any]:
        import json

        data: dict[str, Any] = json.loads((self.root / "var/lib/gpufleet/health.json").read_text())
        return data

    def write_files(self, files: Mapping[str, tuple[int, bytes]]) -> None:
        """Boot-time files (a user data's, by path) onto the node, then TEST_ENV appended to
        node.env, as :func:`make_node_root` lays down a render."""
        _write_files(self.root, files)

    def set_env(self, **values: str) -> None:
        """Change settings in the rendered node.env (as a different render would)."""
        path = self.root / "etc/gpufleet/node.env"
        lines = [ln for ln in path.read_text().splitlines() if ln.split("=", 1)[0] not in values]
        path.write_text("\n".join([*lines, *(f"{k}={v}" for k, v in values.items())]) + "\n")


def _write_files(root: Path, files: Mapping[str, tuple[int, bytes]]) -> None:
    for path, (mode, content) in files.items():
        dest = root / path.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(content)
        dest.chmod(mode)
    with (root / "etc/gpufleet/node.env").open("a") as f:
        f.writelines(f"{k}={v}\n" for k, v in TEST_ENV.items())


def make_node_root(tmp_path: Path, rendered: HasFiles | Mapping[str, tuple[int, bytes]]) -> NodeRoot:
    """A fake node under ``tmp_path``: ``rendered``'s files (a render, or the files by path) under
    ``root``, the stub commands under ``stub``, TEST_ENV appended to node.env."""
    files = dict(rendered) if isinstance(rendered, Mapping) else rendered.files()
    root, stub = tmp_path / "root", tmp_path / "stub"
    for d in ("bin", "pkg", "pkgbin", "tpl"):
        (stub / d).mkdir(parents=True)
    (stub / "provides").write_text("".join(f"{p} {c}\n" for c, p in COMMANDS_FROM_PACKAGES.items()))
    _write_files(root, files)
    with PACKAGE_LIST.open() as f:
        (stub / "known-packages").write_text("".join(row["name"] + "\n" for row in csv.DictReader(f)))
    (stub / "ldcache").write_text(_ld_cache())
    env_file = (root / "etc/gpufleet/node.env").read_text()
    values = dict(line.split("=", 1) for line in env_file.splitlines())
    keys = [
        f"{values[k]} {values[k.replace('_URL', '_FPR')]}"
        for k in values
        if k.endswith("KEY_URL") and k.replace("_URL", "_FPR") in values
    ]
    (stub / "keys").write_text("\n".join(keys) + "\n")
    stubs = [("bin", n, b) for n, b in STUBS.items()]
    stubs += [("tpl", c, PACKAGE_STUBS.get(c, 'log "$@"')) for c in COMMANDS_FROM_PACKAGES]
    for where, name, body in stubs:
        f = stub / where / name
        f.write_text("#!/usr/bin/env bash\nset -u\n" + STUB_LIB + body + "\n")
        f.chmod(f.stat().st_mode | stat.S_IEXEC)
    env = {
        # python3 for the scripts' JSON writes: the system one, else the test's own.
        "PATH": f"{stub / 'bin'}:{stub / 'pkgbin'}:/usr/bin:/bin:{Path(sys.executable).parent}",
        "STUB": str(stub),
        "GPUFLEET_ROOT": str(root),
        "GPUFLEET_LIBDIR": str(root / "usr/local/lib/gpufleet"),
        "GPUFLEET_ENV": str(root / "etc/gpufleet/node.env"),
        "HOME": str(tmp_path),
        "TMPDIR": str(tmp_path),
    }
    return NodeRoot(root, stub, env)
