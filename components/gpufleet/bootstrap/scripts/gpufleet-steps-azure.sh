# shellcheck shell=bash disable=SC2034  # GPUFLEET_STEP is read by log() in common.sh
# Azure steps of gpufleet-bootstrap: the GRID driver of NVadsA10 v5 sizes, the InfiniBand
# check (the HPC image carries DOCA-OFED and the NCCL SHARP plugin), and Telegraf, which
# publishes the GPU utilisation metric to Azure Monitor (config rendered from gpufleet.metrics).

# Azure's GRID build; licensing comes from the platform. gridd.conf per Microsoft Learn
# "Install NVIDIA GPU drivers on N-series VMs running Linux", GRID section (UNVERIFIED wording).
install_grid_driver() {
  # nouveau claims the GPU at boot and the .run installer refuses to run while it is loaded
  # ("The Nouveau kernel driver is currently in use"); --disable-nouveau only blacklists it
  # for the next boot. So blacklist it first, as Microsoft documents for GRID on Ubuntu
  # (/etc/modprobe.d/nouveau.conf, then reboot) [DOC: Microsoft Learn "Install NVIDIA GPU
  # drivers on N-series VMs running Linux", NVIDIA GRID drivers, Ubuntu], and reboot once.
  mkdir -p "$R/etc/modprobe.d"
  printf 'blacklist nouveau\nblacklist lbm-nouveau\n' >"$R/etc/modprobe.d/nouveau.conf"
  if module_loaded nouveau; then
    [[ ! -f $STATE_DIR/rebooted-for-nouveau ]] || die "nouveau is still loaded after blacklisting it and a reboot"
    update-initramfs -u
    touch "$STATE_DIR/rebooted-for-nouveau"
    log "nouveau blacklisted; rebooting once before the GRID installer (this service runs again after boot)"
    systemctl reboot
    exit 0
  fi
  apt_install build-essential dkms
  local dir
  dir=$(mktemp -d)
  fetch "$GPUFLEET_GRID_URL" "$dir/grid.run"
  sh "$dir/grid.run" --silent --dkms --disable-nouveau
  rm -rf "$dir"
  local conf=$R/etc/nvidia/gridd.conf
  if [[ -f $conf.template && ! -f $conf ]]; then
    sed -e '/^FeatureType=0/d' "$conf.template" >"$conf"
    printf 'IgnoreSP=FALSE\nEnableUI=FALSE\n' >>"$conf"
  fi
}

step_rdma() {
  GPUFLEET_STEP=rdma
  [[ $GPUFLEET_RDMA == infiniband ]] || return 0
  ls "$R"/sys/class/infiniband/*/ports/1/link_layer >/dev/null 2>&1 ||
    die "no InfiniBand devices: RDMA on Azure needs an image with the InfiniBand stack (the default HPC image)"
  modprobe nvidia-peermem || log "WARNING: nvidia-peermem not loaded (no GPUDirect RDMA)"
}

step_metrics_agent() {
  GPUFLEET_STEP=metrics-agent
  if ! command -v telegraf >/dev/null; then
    add_apt_repo influxdata "$GPUFLEET_INFLUX_KEY_URL" "$GPUFLEET_INFLUX_KEY_FPR" "$GPUFLEET_INFLUX_REPO"
    apt_install telegraf
  fi
  local id
  id=$(gpufleet-cloud azure-resource-id) || die "cannot read the scale set id from IMDS"
  mkdir -p "$R/etc/telegraf"
  sed "s#@GPUFLEET_AZURE_RESOURCE_ID@#$id#" "$R/etc/gpufleet/telegraf.conf.in" >"$R/etc/telegraf/telegraf.conf"
  # The group's user-assigned identity: Telegraf's environment login reads AZURE_CLIENT_ID and
  # asks IMDS for that identity's token (go-autorest auth GetMSI; UNVERIFIED against the packaged
  # release). The deb's unit reads /etc/default/telegraf (UNVERIFIED).
  if [[ -n ${GPUFLEET_AZURE_CLIENT_ID:-} ]]; then
    mkdir -p "$R/etc/default"
    printf 'AZURE_CLIENT_ID=%s\n' "$GPUFLEET_AZURE_CLIENT_ID" >"$R/etc/default/telegraf"
  fi
  systemctl enable telegraf
  systemctl restart telegraf
}
