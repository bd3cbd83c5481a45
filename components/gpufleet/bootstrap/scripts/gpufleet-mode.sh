# shellcheck shell=bash
# gpufleet-bootstrap modes for baked images (GPUFLEET_MODE in node.env; unset means "boot").
# Sourced by gpufleet-bootstrap after the steps, it only overrides helpers, so every step
# keeps one implementation:
# - build:  on the image builder's instance. Installs everything; enables services without
#           starting them (the fabric manager cannot start without NVSwitches), never reboots.
# - verify: on a node booted from a baked image. Nothing may be installed or downloaded:
#           the image must already carry the pinned stack, so a gap fails fast as a
#           configuration error instead of drifting into a boot-time install.

case ${GPUFLEET_MODE:-boot} in
boot) ;;
build)
  systemctl() {
    local a=() x
    case $1 in
    reboot)
      die "the driver did not load on the build instance: build on a GPU instance type with Secure Boot off"
      ;;
    enable)
      for x in "$@"; do [[ $x == --now ]] || a+=("$x"); done
      command systemctl "${a[@]}"
      ;;
    *) command systemctl "$@" ;;
    esac
  }
  ;;
verify)
  apt_install() {
    die "nodes on a baked image install nothing, but 'apt-get install $*' was needed: the image lacks part of the pinned stack; rebuild it"
  }
  fetch() {
    die "nodes on a baked image download nothing, but $1 was needed: the image lacks part of the pinned stack; rebuild it"
  }
  ;;
*) die "unknown GPUFLEET_MODE '$GPUFLEET_MODE' (boot, build or verify)" ;;
esac
