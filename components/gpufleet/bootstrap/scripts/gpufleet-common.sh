# shellcheck shell=bash
# gpufleet node library: logging, health state, retries, verified downloads, apt.
# Sourced by gpufleet-bootstrap, gpufleet-health and gpufleet-drain. GPUFLEET_ROOT
# prefixes every path the scripts write (empty on a node; a temp dir in tests).

R="${GPUFLEET_ROOT:-}"
GPUFLEET_ENV="${GPUFLEET_ENV:-$R/etc/gpufleet/node.env}"
STATE_DIR="$R/var/lib/gpufleet"
RUN_DIR="$R/run/gpufleet"
LOG_DIR="$R/var/log/gpufleet"
export DEBIAN_FRONTEND=noninteractive

# Settings rendered by gpufleet (no secrets), then the state and log directories.
load_env() {
  # shellcheck source=/dev/null
  . "$GPUFLEET_ENV"
  mkdir -p "$STATE_DIR" "$RUN_DIR" "$LOG_DIR"
}

# Everything the script prints goes to its log file too; systemd sends it to the
# journal and the console (StandardOutput=journal+console in the units). tee ignores
# SIGTERM: when systemd stops the unit it must outlive the script's last words (the
# failure record), else those writes kill the script with SIGPIPE first.
start_log() {
  exec > >(
    trap '' TERM
    exec tee -a "$LOG_DIR/$1.log"
  ) 2>&1
}

log() {
  printf '%s gpufleet-%s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${GPUFLEET_STEP:-main}" "$*"
}

die() {
  log "ERROR: $*"
  exit 1
}

# set_health <healthy|unhealthy|initializing> <reason>: the verdict gpufleet-healthd serves.
# Kept in /var/lib across reboots: after an in-guest reboot the endpoint answers the last
# verdict, not "Initializing" (which Azure's extension would read as Unknown, then repair).
set_health() {
  local tmp="$STATE_DIR/health.json.tmp"
  python3 -c 'import json,sys,time; print(json.dumps({"state": sys.argv[1], "reason": sys.argv[2], "time": int(time.time())}))' \
    "$1" "$2" >"$tmp"
  mv "$tmp" "$STATE_DIR/health.json"
}

# nv <command...>: a GPU or fabric tool (nvidia-smi, dcgmi, nv-fabricmanager, ibstat,
# fi_info) under a timeout, SIGKILL 5 s later if it ignores SIGTERM. Exit 124/137: it hung.
nv() {
  timeout -k 5 "${GPUFLEET_CMD_TIMEOUT:-60}" "$@"
}

# retry <attempts> <command...>: exponential backoff (2, 4, 8... seconds).
retry() {
  local attempts=$1 n=1 delay=${GPUFLEET_RETRY_DELAY:-2}
  shift
  until "$@"; do
    if ((n >= attempts)); then
      log "failed after $attempts attempts: $*"
      return 1
    fi
    log "attempt $n/$attempts failed, retrying in ${delay}s: $*"
    sleep "$delay"
    n=$((n + 1))
    delay=$((delay * 2))
  done
}

# fetch <url> <file> [sha256]: download with retries; verify the checksum when given.
fetch() {
  local url=$1 out=$2 sum=${3:-}
  retry 5 curl -fsSL --connect-timeout 10 --max-time 900 -o "$out.part" "$url"
  if [[ -n $sum ]] && ! echo "$sum  $out.part" | sha256sum -c --quiet -; then
    rm -f "$out.part"
    die "checksum mismatch for $url (expected $sum)"
  fi
  mv "$out.part" "$out"
}

# key_fingerprint <key file>: the primary key's fingerprint.
key_fingerprint() {
  gpg --batch --show-keys --with-colons "$1" 2>/dev/null | awk -F: '$1 == "fpr" {print $10; exit}'
}

# verify_signature <file> <detached sig> <key file> [fingerprint]
verify_signature() {
  local home got
  if [[ -n ${4:-} ]]; then
    got=$(key_fingerprint "$3")
    [[ $got == "$4" ]] || die "signing key $3 has fingerprint '${got}', expected $4"
  fi
  home=$(mktemp -d)
  gpg --homedir "$home" --batch --quiet --import "$3"
  gpg --homedir "$home" --batch --verify "$2" "$1" || die "bad signature on $1"
  rm -rf "$home"
}

# add_apt_repo <name> <key url> <fingerprint> <deb line after [signed-by]>: idempotent.
add_apt_repo() {
  local name=$1 key_url=$2 fpr=$3 line=$4 keyring="$R/etc/apt/keyrings/$1.gpg" tmp got
  [[ -s $R/etc/apt/sources.list.d/$name.list ]] && return 0
  mkdir -p "$R/etc/apt/keyrings" "$R/etc/apt/sources.list.d"
  tmp=$(mktemp)
  fetch "$key_url" "$tmp"
  got=$(key_fingerprint "$tmp")
  [[ $got == "$fpr" ]] || die "key $key_url has fingerprint '${got}', expected $fpr"
  gpg --batch --yes --dearmor -o "$keyring" "$tmp"
  rm -f "$tmp"
  echo "deb [signed-by=/etc/apt/keyrings/$name.gpg] $line" >"$R/etc/apt/sources.list.d/$name.list"
  APT_FRESH=0
}

APT_FRESH=0
apt_get() {
  retry 5 apt-get -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef \
    -o Dpkg::Options::=--force-confold "$@"
}

# apt_refresh: update the package lists once per run (and again after a repo is added).
apt_refresh() {
  if [[ $APT_FRESH != 1 ]]; then
    apt_get update
    APT_FRESH=1
  fi
}

apt_install() {
  apt_refresh
  apt_get install "$@"
}

# apt_version <package> <version prefix>: the repo's exact version string, or nothing.
# Call apt_refresh first (not here: this runs in a subshell, which would forget it).
apt_version() {
  apt-cache madison "$1" 2>/dev/null | awk -v p="$2" '{ if (index($3, p) == 1) { print $3; exit } }'
}

# Never `cmd | grep -q` here: under pipefail, grep's early exit kills cmd with SIGPIPE
# and the pipeline fails although it matched. Capture the output, then match.

# has_lib <soname>: the library is in the dynamic linker cache.
has_lib() {
  local libs
  libs=$(ldconfig -p 2>/dev/null) || true
  [[ $libs == *"$1 "* ]]
}

# module_loaded <module>: in lsmod's list.
module_loaded() {
  local mods
  mods=$(lsmod 2>/dev/null) || true
  [[ $'\n'$mods == *$'\n'"$1 "* ]]
}

# NCCL reads KEY=VALUE lines from /etc/nccl.conf, "for an administrator to set system-wide
# values" [DOC: NCCL User Guide, Environment Variables].
NCCL_CONF=$R/etc/nccl.conf

# nccl_conf_set KEY=VALUE...: set these keys in nccl.conf, keeping the image's other lines.
nccl_conf_set() {
  local kv
  touch "$NCCL_CONF"
  for kv in "$@"; do
    grep -v "^${kv%%=*}=" "$NCCL_CONF" >"$NCCL_CONF.tmp" || true
    echo "$kv" >>"$NCCL_CONF.tmp"
    mv "$NCCL_CONF.tmp" "$NCCL_CONF"
  done
}

# nccl_conf_missing KEY=VALUE...: the settings nccl.conf lacks.
nccl_conf_missing() {
  local kv
  for kv in "$@"; do
    grep -qxF "$kv" "$NCCL_CONF" 2>/dev/null || echo "$kv"
  done
}

# driver_version: the loaded driver's version, or nothing (no driver yet is not an error).
driver_version() {
  nv nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -n 1 || true
}

# The instance type row of /etc/gpufleet/types: "name gpus fabric_manager nvlsm rdma_devices".
# The node asks its cloud for its type; the first row (the group's primary type) is the fallback.
type_row() {
  local me row
  me=$(timeout 60 gpufleet-cloud instance-type 2>/dev/null || true)
  row=$(awk -v me="$me" '$1 == me {print; exit}' "$R/etc/gpufleet/types")
  if [ -z "$row" ]; then
    # Say so: the checks below then use the primary type's GPU count and fabric facts.
    row=$(head -n 1 "$R/etc/gpufleet/types")
    log "warning: instance type '${me:-unknown}' is not in /etc/gpufleet/types; checking against ${row%% *}" >&2
  fi
  printf '%s\n' "$row"
}
