# shellcheck shell=bash disable=SC2034  # GPUFLEET_STEP is read by log() in common.sh
# AWS steps of gpufleet-bootstrap: EFA + aws-ofi-nccl, and the CloudWatch agent that
# publishes the GPU utilisation metric (config rendered from gpufleet.metrics).

# EFA installer (bundles libfabric and the aws-ofi-nccl plugin). Not --minimal: that
# leaves out libfabric, which aws-ofi-nccl needs [DOC: AWS EFA UG, installer options].
step_rdma() {
  GPUFLEET_STEP=rdma
  [[ $GPUFLEET_RDMA == efa ]] || return 0
  if [[ -x $R/opt/amazon/efa/bin/fi_info ]] && nv "$R/opt/amazon/efa/bin/fi_info" -p efa >/dev/null 2>&1; then
    log "EFA software present"
    return 0
  fi
  local dir
  dir=$(mktemp -d)
  fetch "$GPUFLEET_EFA_URL" "$dir/efa.tgz" "${GPUFLEET_EFA_SHA256:-}"
  fetch "$GPUFLEET_EFA_URL.sig" "$dir/efa.tgz.sig"
  fetch "$GPUFLEET_EFA_KEY_URL" "$dir/efa.key"
  verify_signature "$dir/efa.tgz" "$dir/efa.tgz.sig" "$dir/efa.key"
  tar -xzf "$dir/efa.tgz" -C "$dir"
  (cd "$dir/aws-efa-installer" && ./efa_installer.sh -y)
  rm -rf "$dir"
}

# CloudWatch agent, signature checked against AWS's published key fingerprint.
step_metrics_agent() {
  GPUFLEET_STEP=metrics-agent
  local ctl=$R/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl dir
  if [[ ! -x $ctl ]]; then
    dir=$(mktemp -d)
    fetch "$GPUFLEET_CWA_URL" "$dir/cwa.deb"
    fetch "$GPUFLEET_CWA_URL.sig" "$dir/cwa.deb.sig"
    fetch "$GPUFLEET_CWA_KEY_URL" "$dir/cwa.gpg"
    verify_signature "$dir/cwa.deb" "$dir/cwa.deb.sig" "$dir/cwa.gpg" "$GPUFLEET_CWA_KEY_FPR"
    dpkg -i "$dir/cwa.deb"
    rm -rf "$dir"
  fi
  "$ctl" -a fetch-config -m ec2 -s -c "file:$R/etc/gpufleet/cloudwatch-agent.json"
}
