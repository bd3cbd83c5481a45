# shellcheck shell=bash disable=SC2034  # GPUFLEET_STEP is read by log() in common.sh
# Alibaba Cloud steps of gpufleet-bootstrap: the eRDMA driver, and the CloudMonitor agent,
# which publishes GpuUtilizationAgent (namespace acs_ecs_dashboard).

# eRDMA installer from the VPC-internal mirror, checked against the SHA256 Alibaba publishes
# [DOC: Alibaba ECS "eRDMA usage"]; build dependencies as in Alibaba's own installer scripts.
step_rdma() {
  GPUFLEET_STEP=rdma
  [[ $GPUFLEET_RDMA == erdma ]] || return 0
  if compgen -G "$R/sys/class/infiniband/erdma_*" >/dev/null; then
    log "eRDMA devices present"
    return 0
  fi
  apt_install debhelper autotools-dev dkms libnl-3-dev libnl-route-3-dev cmake
  local dir
  dir=$(mktemp -d)
  fetch "$GPUFLEET_ERDMA_URL" "$dir/erdma.tgz" "$GPUFLEET_ERDMA_SHA256"
  tar -xzf "$dir/erdma.tgz" -C "$dir"
  (cd "$dir/erdma_installer" && ERDMA_CM_NO_BOUND_IF=1 ./install.sh --batch)
  modprobe erdma
  rm -rf "$dir"
}

# [DOC: Alibaba CloudMonitor "Install the CloudMonitor GoLang agent": REGION_ID, VERSION, and
# the region's internal OSS URL]. Alibaba public images often ship the agent already.
step_metrics_agent() {
  GPUFLEET_STEP=metrics-agent
  if [[ -d $R/usr/local/cloudmonitor ]]; then
    log "CloudMonitor agent present"
    return 0
  fi
  local dir
  dir=$(mktemp -d)
  fetch "$GPUFLEET_CMS_URL" "$dir/install.sh"
  REGION_ID=$GPUFLEET_REGION VERSION=$GPUFLEET_CMS_VERSION bash "$dir/install.sh"
  rm -rf "$dir"
}
