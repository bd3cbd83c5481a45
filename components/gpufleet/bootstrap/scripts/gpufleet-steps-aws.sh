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
    efa_nccl_plugin
    return 0
  fi
  local dir
  dir=$(mktemp -d)
  fetch "$GPUFLEET_EFA_URL" "$dir/efa.tgz" "${GPUFLEET_EFA_SHA256:-}"
  fetch "$GPUFLEET_EFA_URL.sig" "$dir/efa.tgz.sig"
  fetch "$GPUFLEET_EFA_KEY_URL" "$dir/efa.key"
  # The key comes from the tarball's host: trust it only with AWS's published fingerprint.
  verify_signature "$dir/efa.tgz" "$dir/efa.tgz.sig" "$dir/efa.key" "$GPUFLEET_EFA_KEY_FPR"
  tar -xzf "$dir/efa.tgz" -C "$dir"
  (cd "$dir/aws-efa-installer" && ./efa_installer.sh -y)
  rm -rf "$dir"
  efa_nccl_plugin
}

# Make NCCL load aws-ofi-nccl without each job setting LD_LIBRARY_PATH: its directory goes
# into the linker path and NCCL_NET_PLUGIN into /etc/nccl.conf (NCCL loads
# libnccl-net-<NCCL_NET_PLUGIN>.so). AWS's EFA + NCCL guide sets LD_LIBRARY_PATH to the plugin
# directory per job; the plugin's file name differs between releases, so it is read from disk.
efa_nccl_plugin() {
  local so dir name
  so=$(compgen -G "$R/opt/amazon/ofi-nccl/lib*/libnccl-net*.so" || compgen -G "$R/opt/amazon/ofi-nccl/lib*/*/libnccl-net*.so") ||
    die "aws-ofi-nccl plugin missing under /opt/amazon/ofi-nccl"
  so=${so%%$'\n'*}
  mkdir -p "$R/etc/ld.so.conf.d"
  dir=${so%/*}
  echo "${dir#"$R"}" >"$R/etc/ld.so.conf.d/gpufleet-ofi-nccl.conf"
  ldconfig
  name=${so##*/libnccl-net}
  name=${name%.so}
  [[ -z $name ]] || nccl_conf_set "NCCL_NET_PLUGIN=${name#-}"
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
