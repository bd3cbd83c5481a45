"""The node scripts, as rendered into user data, run offline: every system command is a
stub that logs its call and records what it "installed" (conftest.STUBS)."""

from __future__ import annotations

import hashlib
import shutil
from typing import Any

import pytest

# Fixtures from conftest.py: render(cloud, type, **bootstrap) -> Rendered, node_root(Rendered) -> NodeRoot.
Render = Any
MakeRoot = Any
NodeRoot = Any


def test_bootstrap_installs_the_stack_then_a_second_run_changes_nothing(render: Render, node_root: MakeRoot) -> None:
    # Plain image, no driver: the first run installs everything; the second only checks.
    node = node_root(render("aws", "g6.xlarge", cuda="12.8"))
    first = node.run("gpufleet-bootstrap", STUB_TYPE="g6.xlarge")
    assert first.returncode == 0, first.stdout + first.stderr
    calls = node.calls()
    apt = [c for c in calls if c.startswith("apt-get") and " install " in c]
    # Branch pin first, then the unversioned open-module driver (R580+ layout).
    assert any("nvidia-driver-pinning-580" in c for c in apt)
    assert any(c.endswith(" nvidia-open") for c in apt)
    assert any("cuda-toolkit-12-8" in c for c in apt)
    assert any("nvidia-container-toolkit" in c for c in apt)
    assert any("datacenter-gpu-manager-4-cuda13" in c for c in apt)
    assert any("datacenter-gpu-manager-exporter" in c for c in apt)
    assert any("libnccl2" in c for c in apt)
    assert any(c.startswith("dpkg -i") for c in calls), "CloudWatch agent package"
    assert any("amazon-cloudwatch-agent-ctl -a fetch-config" in c for c in calls)
    assert (node.root / "var/lib/gpufleet/bootstrap.done").exists()
    sources = (node.root / "etc/apt/sources.list.d/gpufleet-cuda.list").read_text()
    assert "signed-by=/etc/apt/keyrings/gpufleet-cuda.gpg" in sources and "ubuntu2204" in sources

    node.clear_calls()
    second = node.run("gpufleet-bootstrap", STUB_TYPE="g6.xlarge")
    assert second.returncode == 0, second.stdout + second.stderr
    again = node.calls()
    assert not [c for c in again if c.startswith(("apt-get", "dpkg", "curl"))], again
    log = (node.root / "var/log/gpufleet/bootstrap.log").read_text()
    assert log.count("bootstrap done") == 2


def test_fabric_manager_is_installed_at_exactly_the_driver_version(render: Render, node_root: MakeRoot) -> None:
    # p5.48xlarge (NVSwitch) on an image that ships the driver but no fabric manager.
    node = node_root(render("aws", "p5.48xlarge", image_has_driver=True))
    node.installed("preinstalled-driver")
    node.installed("preinstalled-nccl")
    env = {"STUB_TYPE": "p5.48xlarge", "STUB_DRIVER": "580.126.09", "STUB_GPUS": "8"}
    r = node.run("gpufleet-bootstrap", **env)
    assert r.returncode == 0, r.stdout + r.stderr
    calls = node.calls()
    assert "apt-get -y -q -o DPkg::Lock::Timeout=600" in next(c for c in calls if "nvidia-fabricmanager=" in c)
    assert any(c.endswith("nvidia-fabricmanager=580.126.09-1") for c in calls)
    assert "apt-mark hold nvidia-fabricmanager" in calls
    assert not any("nvidia-open" in c or "pinning" in c for c in calls), "the image's driver is kept"
    node.clear_calls()
    assert node.run("gpufleet-bootstrap", **env).returncode == 0
    assert not [c for c in node.calls() if c.startswith(("apt-get", "dpkg", "curl"))]


def test_a_driver_that_does_not_load_gets_one_reboot_then_fails(render: Render, node_root: MakeRoot) -> None:
    node = node_root(render("aws", "g6.xlarge"))
    env = {"STUB_TYPE": "g6.xlarge", "STUB_DRIVER_BROKEN": "1"}
    first = node.run("gpufleet-bootstrap", **env)
    assert first.returncode == 0, first.stdout
    assert "systemctl reboot" in node.calls()
    assert "rebooting once to load it" in first.stdout
    second = node.run("gpufleet-bootstrap", **env)
    assert second.returncode != 0
    assert "driver installed but nvidia-smi still fails after a reboot" in second.stdout
    assert node.calls().count("systemctl reboot") == 1


def test_branches_before_580_use_the_versioned_package_names(render_raw: Any, node_root: MakeRoot) -> None:
    # R575 and older (end of life, so only reachable without validation): nvidia-open-<branch>
    # and nvidia-fabricmanager-<branch> pinned to the driver's exact version.
    from gpufleet.spec import BootstrapSpec

    node = node_root(render_raw("aws", "p5.48xlarge", BootstrapSpec(driver="570", dcgm=False, container_toolkit=False)))
    r = node.run("gpufleet-bootstrap", STUB_TYPE="p5.48xlarge", STUB_DRIVER="570.195.03")
    assert r.returncode == 0, r.stdout
    calls = node.calls()
    assert any(c.endswith(" install nvidia-open-570") for c in calls)
    assert not any("pinning" in c for c in calls)
    assert any(c.endswith("nvidia-fabricmanager-570=570.195.03-1") for c in calls)


def test_an_image_driver_of_another_branch_fails_the_bootstrap(render: Render, node_root: MakeRoot) -> None:
    # Older than the pinned branch: refuse (a newer one from the image is kept with a warning).
    node = node_root(render("aws", "g6.xlarge", image_has_driver=True))
    node.installed("preinstalled-driver")
    r = node.run("gpufleet-bootstrap", STUB_TYPE="g6.xlarge", STUB_DRIVER="570.195.03")
    assert r.returncode != 0
    assert node.health()["state"] == "unhealthy"
    assert "driver" in node.health()["reason"]
    assert "driver 570.195.03 is installed but the pinned branch is 580" in r.stdout

    newer = node.run("gpufleet-bootstrap", STUB_TYPE="g6.xlarge", STUB_DRIVER="595.58.03")
    assert newer.returncode == 0, newer.stdout
    assert "newer than the pinned branch 580; keeping it" in newer.stdout


def test_erdma_installer_is_checked_against_its_published_sha256(render: Render, node_root: MakeRoot) -> None:
    node = node_root(render("alicloud", "ecs.gn8is-8x.32xlarge", rdma=True))
    r = node.run("gpufleet-bootstrap", STUB_TYPE="ecs.gn8is-8x.32xlarge")
    assert r.returncode != 0
    assert "checksum mismatch for http://mirrors.cloud.aliyuncs.com/erdma/erdma_installer-1.5.7.tar.gz" in r.stdout
    assert "bootstrap failed in step rdma" in node.health()["reason"]


def test_erdma_with_a_matching_checksum_installs(render: Render, node_root: MakeRoot, tmp_path: Any) -> None:
    node = node_root(render("alicloud", "ecs.gn8is-8x.32xlarge", rdma=True))
    url = "http://mirrors.cloud.aliyuncs.com/erdma/erdma_installer-1.5.7.tar.gz"
    # The stub download is a real tarball with an installer that creates the device.
    fake = tmp_path / "erdma"
    (fake / "erdma_installer").mkdir(parents=True)
    inst = fake / "erdma_installer/install.sh"
    inst.write_text(f'#!/bin/sh\nmkdir -p "{node.root}/sys/class/infiniband/erdma_0"\n')
    inst.chmod(0o755)
    import tarfile

    with tarfile.open(tmp_path / "erdma.tgz", "w:gz") as t:
        t.add(fake / "erdma_installer", arcname="erdma_installer")
    curl = node.stub / "bin/curl"
    curl.write_text(
        curl.read_text().replace(
            '*) echo "payload of $url" >"$out" ;;',
            f'*erdma*) cp {tmp_path}/erdma.tgz "$out" ;;\n  *) echo "payload of $url" >"$out" ;;',
        )
    )
    node.set_env(GPUFLEET_ERDMA_SHA256=hashlib.sha256((tmp_path / "erdma.tgz").read_bytes()).hexdigest())
    r = node.run("gpufleet-bootstrap", STUB_TYPE="ecs.gn8is-8x.32xlarge")
    assert r.returncode == 0, r.stdout
    assert (node.root / "sys/class/infiniband/erdma_0").exists()
    assert any(url in c for c in node.calls())
    node.clear_calls()
    assert node.run("gpufleet-bootstrap", STUB_TYPE="ecs.gn8is-8x.32xlarge").returncode == 0
    assert not [c for c in node.calls() if c.startswith(("apt-get", "dpkg", "curl"))]


def test_azure_grid_size_installs_azures_grid_driver(render: Render, node_root: MakeRoot) -> None:
    node = node_root(render("azure", "Standard_NV36ads_A10_v5"))
    r = node.run("gpufleet-bootstrap", STUB_TYPE="Standard_NV36ads_A10_v5", STUB_DRIVER="595.58.03")
    assert r.returncode == 0, r.stdout
    calls = node.calls()
    assert any("NVIDIA-Linux-x86_64-595.58.03-grid-azure.run" in c for c in calls)
    assert not any("nvidia-open" in c for c in calls)
    conf = (node.root / "etc/telegraf/telegraf.conf").read_text()
    assert (
        'resource_id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss"'
        in conf
    )


def _healthy_p5(node: NodeRoot) -> dict[str, str]:
    for pkg in ("preinstalled-driver", "preinstalled-nccl"):
        node.installed(pkg)
    (node.stub / "pkg/nvidia-fabricmanager.version").write_text("580.126.09-1\n")
    for i in range(32):
        port = node.root / f"sys/class/infiniband/rdmap{i}s0/ports/1"
        port.mkdir(parents=True)
        (port / "state").write_text("4: ACTIVE\n")
        (port / "rate").write_text("100 Gb/sec (4X EDR)\n")  # the value is the test's; equal on all ports
    plugin = node.root / "opt/amazon/ofi-nccl/lib/x86_64-linux-gnu/libnccl-net-ofi.so"
    plugin.parent.mkdir(parents=True)
    plugin.touch()
    # What the bootstrap's efa_nccl_plugin leaves: the plugin in the linker path, its name in nccl.conf.
    (node.root / "etc/ld.so.conf.d").mkdir(parents=True)
    (node.root / "etc/ld.so.conf.d/gpufleet-ofi-nccl.conf").write_text("/opt/amazon/ofi-nccl/lib/x86_64-linux-gnu\n")
    (node.root / "etc/nccl.conf").write_text("NCCL_NET_PLUGIN=ofi\n")
    (node.root / "var/lib/gpufleet").mkdir(parents=True, exist_ok=True)
    (node.root / "var/lib/gpufleet/bootstrap.done").touch()
    return {"STUB_TYPE": "p5.48xlarge", "STUB_DRIVER": "580.126.09", "STUB_GPUS": "8"}


def test_health_check_passes_on_a_sound_node(render: Render, node_root: MakeRoot) -> None:
    node = node_root(render("aws", "p5.48xlarge", rdma=True, image_has_driver=True))
    env = _healthy_p5(node)
    # Application XIDs (NVIDIA Xid catalog: RESTART_APP): 13 graphics exception, 8 channel
    # idle timeout, 94 contained ECC error. The old check replaced the node for 8 and 94.
    (node.stub / "kernel.log").write_text(
        "NVRM: Xid (PCI:0000:53:00): 13, pid=4242, Graphics Exception\n"
        "NVRM: Xid (PCI:0000:53:00): 8, pid=4242, Channel 00000010\n"
        "NVRM: Xid (PCI:0000:64:00): 94, pid=4242, Contained: SM (0x1). RST: No, D-RST: No\n"
    )
    r = node.run("gpufleet-health", **env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert node.health()["state"] == "healthy", node.health()
    assert "application XIDs (logged only): 8 13 94" in r.stdout
    assert not any(c.startswith("gpufleet-cloud report hardware") for c in node.calls())


def test_a_gpu_reset_xid_resets_that_gpu_instead_of_replacing_the_node(render: Render, node_root: MakeRoot) -> None:
    # Xid 63: the driver asks for a GPU reset ("reset gpu to activate"); NVIDIA's action is
    # RESET_GPU, not a new node. The reset runs once; the XID does not count again afterwards.
    node = node_root(render("aws", "p5.48xlarge", rdma=True, image_has_driver=True))
    env = _healthy_p5(node)
    (node.stub / "kernel.log").write_text(
        "NVRM: Xid (PCI:0000:53:00): 63, pid=0, Row Remapper: New row marked for remapping, reset gpu to activate.\n"
    )
    r = node.run("gpufleet-health", **env)
    assert node.health()["state"] == "healthy", r.stdout
    assert "GPU 0000:53:00 reset after Xid 63" in r.stdout
    node.run("gpufleet-health", **env)
    assert node.calls().count("nvidia-smi -r -i 0000:53:00.0") == 1
    assert not any(c.startswith("gpufleet-cloud report") for c in node.calls())


def test_a_gpu_that_cannot_be_reset_fails_the_node(render: Render, node_root: MakeRoot) -> None:
    node = node_root(render("aws", "p5.48xlarge", rdma=True, image_has_driver=True))
    env = _healthy_p5(node) | {"STUB_BUSY": "0000:64:00.0"}
    (node.stub / "kernel.log").write_text("NVRM: Xid (PCI:0000:64:00): 154, GPU recovery action changed\n")
    node.run("gpufleet-health", **env)
    assert node.health()["reason"] == ("hardware: GPU 0000:64:00: nvidia-smi -r failed after Xid 154")
    assert sum(c.startswith("gpufleet-cloud report hardware") for c in node.calls()) == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        # A GPU fell off the bus: the count is short, and the kernel logged Xid 79.
        ({"STUB_GPUS": "7"}, "nvidia-smi sees 7 GPUs, p5.48xlarge has 8"),
        (
            {"kernel": "NVRM: Xid (PCI:0000:53:00): 79, GPU has fallen off the bus.\n"},
            "XID errors in the kernel log: 79",
        ),
        ({"STUB_ECC": "2"}, "16 uncorrectable ECC errors since boot"),
        # Anchors from AzNHC / NVIDIA: a row remap waiting for a reset, a GPU not registered
        # with the NVSwitch fabric although the fabric manager runs.
        ({"STUB_REMAP": "Yes, No"}, "row remapping pending or failed: Yes, No"),
        ({"STUB_FABRIC": "In Progress"}, "GPU fabric registration not completed: Progress"),
        # The fabric manager was upgraded apart from the driver.
        ({"fm": "580.105.08-1"}, "fabric manager version '580.105.08' differs from driver '580.126.09'"),
        ({"efa": 30}, "30 efa devices up, expected 32"),
        # Link state and rate (issue 17 item 7): a port down, a port trained down to half rate.
        ({"port": ("state", "1: DOWN")}, "31 efa devices up, expected 32"),
        ({"port": ("rate", "50 Gb/sec (2X EDR)")}, "RDMA link rates differ: 50 to 100 Gb/s"),
        # DCGM's background health watches found a failure (set on the first run, checked after).
        ({"STUB_DCGM_HEALTH": "Failure"}, "dcgmi health -c: Failure"),
        ({"plugin": False}, "aws-ofi-nccl plugin missing: NCCL would fall back to TCP"),
        # Present but not where NCCL looks (the state the review found on AWS).
        ({"ldconf": False}, "aws-ofi-nccl is not in the linker path as NCCL_NET_PLUGIN='ofi' names it"),
    ],
)
def test_health_check_failures_mark_the_instance_unhealthy_once(
    render: Render, node_root: MakeRoot, change: dict[str, Any], reason: str
) -> None:
    node = node_root(render("aws", "p5.48xlarge", rdma=True, image_has_driver=True))
    env = _healthy_p5(node)
    env |= {k: v for k, v in change.items() if k.startswith("STUB_")}
    if "kernel" in change:
        (node.stub / "kernel.log").write_text(change["kernel"])
    if "fm" in change:
        (node.stub / "pkg/nvidia-fabricmanager.version").write_text(change["fm"] + "\n")
    if "efa" in change:
        for i in range(change["efa"], 32):
            shutil.rmtree(node.root / f"sys/class/infiniband/rdmap{i}s0")
    if "port" in change:
        (node.root / f"sys/class/infiniband/rdmap7s0/ports/1/{change['port'][0]}").write_text(change["port"][1])
    if "STUB_DCGM_HEALTH" in change:
        node.installed("datacenter-gpu-manager-4-cuda13")
        node.run("gpufleet-health", **(env | {"STUB_DCGM_HEALTH": "Healthy"}))  # sets the watches
        assert node.health()["state"] == "healthy"
    if change.get("ldconf") is False:
        (node.root / "etc/ld.so.conf.d/gpufleet-ofi-nccl.conf").unlink()
    if change.get("plugin") is False:
        (node.root / "opt/amazon/ofi-nccl/lib/x86_64-linux-gnu/libnccl-net-ofi.so").unlink()
    r = node.run("gpufleet-health", **env)
    assert r.returncode == 0, r.stdout + r.stderr
    state = node.health()
    assert state["state"] == "unhealthy"
    assert reason in state["reason"]
    assert sum(c.startswith("gpufleet-cloud report hardware") for c in node.calls()) == 1
    assert [ln for ln in r.stdout.splitlines() if "UNHEALTHY (hardware):" in ln] == [
        next(ln for ln in r.stdout.splitlines() if reason in ln)
    ], "one clear log line"
    node.run("gpufleet-health", **env)
    assert sum(c.startswith("gpufleet-cloud report hardware") for c in node.calls()) == 1, "reported once per boot"


def test_health_waits_while_bootstrapping_then_gives_up(render: Render, node_root: MakeRoot, tmp_path: Any) -> None:
    node = node_root(render("aws", "g6.xlarge"))
    uptime = tmp_path / "uptime"
    uptime.write_text("120.5 100.0\n")
    r = node.run("gpufleet-health", STUB_TYPE="g6.xlarge", GPUFLEET_UPTIME_FILE=str(uptime))
    assert r.returncode == 0
    assert node.health()["state"] == "initializing"
    uptime.write_text("3700.0 100.0\n")
    node.run("gpufleet-health", STUB_TYPE="g6.xlarge", GPUFLEET_UPTIME_FILE=str(uptime))
    assert node.health() | {"time": 0} == {
        "state": "unhealthy",
        "reason": "configuration: bootstrap not finished after 60 minutes",
        "time": 0,
    }


def test_drain_waits_for_terminated_runs_hooks_and_completes_the_lifecycle_action(
    render: Render, node_root: MakeRoot
) -> None:
    node = node_root(render("aws", "g6.xlarge"))
    hooks = node.root / "etc/gpufleet/drain.d"
    hooks.mkdir(parents=True)
    hook = hooks / "10-checkpoint"
    hook.write_text(f'#!/bin/sh\necho "hook ran" >>"{node.stub}/calls.log"\n')
    hook.chmod(0o755)
    r = node.run("gpufleet-drain")
    assert r.returncode == 0, r.stdout + r.stderr
    calls = node.calls()
    polls = [i for i, c in enumerate(calls) if c == "gpufleet-cloud lifecycle-state"]
    assert len(polls) == 3  # InService, InService, Terminated
    assert calls.index("hook ran") > polls[-1]
    assert calls[-1] == "gpufleet-cloud complete-lifecycle CONTINUE"


def test_an_instance_type_missing_from_the_table_is_logged(render: Render, node_root: MakeRoot) -> None:
    # ESS or an ASG may launch a type the node was not told about: the checks then use the
    # primary type's facts, and the log must say so instead of checking silently.
    node = node_root(render("aws", "p5.48xlarge", rdma=True, image_has_driver=True))
    env = {**_healthy_p5(node), "STUB_TYPE": "p5e.48xlarge"}
    r = node.run("gpufleet-health", **env)
    out = r.stdout + r.stderr
    assert "instance type 'p5e.48xlarge' is not in /etc/gpufleet/types; checking against p5.48xlarge" in out


def test_b200_installs_nvlsm_with_the_fabric_manager_once(render: Render, node_root: MakeRoot) -> None:
    # HGX B200 (NVLink 5): the fabric manager starts NVLSM from /opt/nvidia/nvlsm/sbin/nvlsm and
    # fails without it; nvlsm is its own package in the CUDA repo (issue 17 item 2).
    node = node_root(render("aws", "p6-b200.48xlarge", image_has_driver=True))
    node.installed("preinstalled-driver")
    node.installed("preinstalled-nccl")
    env = {"STUB_TYPE": "p6-b200.48xlarge", "STUB_DRIVER": "580.126.09", "STUB_GPUS": "8"}
    r = node.run("gpufleet-bootstrap", **env)
    assert r.returncode == 0, r.stdout + r.stderr
    calls = node.calls()
    install = [c for c in calls if c.startswith("apt-get") and " install " in c]
    assert any(c.endswith(" nvlsm infiniband-diags libibumad3") for c in install), install
    assert "apt-mark hold nvlsm" in calls
    assert (node.root / "opt/nvidia/nvlsm/sbin/nvlsm").exists()
    assert (node.root / "etc/modules-load.d/gpufleet-nvlsm.conf").read_text() == "ib_umad\n"
    # NVLSM before the fabric manager starts: FM launches it.
    assert calls.index("apt-mark hold nvlsm") < calls.index("systemctl enable --now nvidia-fabricmanager")
    node.clear_calls()
    again = node.run("gpufleet-bootstrap", **env)
    assert again.returncode == 0, again.stdout
    assert not [c for c in node.calls() if c.startswith(("apt-get", "dpkg", "curl"))], "no apt-get update every boot"


# -- nothing hangs, deadlines hold (issue 17 items 5 and 6) ------------------------------------


def test_a_hanging_nvidia_smi_is_a_verdict_after_consecutive_hangs(render: Render, node_root: MakeRoot) -> None:
    # The real timeout ends each hung call after GPUFLEET_CMD_TIMEOUT (1 s in node.env); one
    # hang leaves the last verdict, GPUFLEET_HANG_LIMIT consecutive hangs make the node unhealthy.
    node = node_root(render("aws", "p5.48xlarge", rdma=True, image_has_driver=True))
    env = _healthy_p5(node)
    node.set_env(GPUFLEET_HANG_LIMIT="2")
    assert node.run("gpufleet-health", **env).returncode == 0
    assert node.health()["state"] == "healthy"
    first = node.run_unit("gpufleet-health", deadline=5, STUB_HANG="nvidia-smi", **env)
    assert not first.killed and first.returncode == 0, first.stdout
    assert "nvidia-smi timed out (1/2); the last verdict stands" in first.stdout
    assert node.health()["state"] == "healthy"
    second = node.run_unit("gpufleet-health", deadline=5, STUB_HANG="nvidia-smi", **env)
    assert not second.killed, second.stdout
    assert node.health()["state"] == "unhealthy"
    assert node.health()["reason"] == "hardware: nvidia-smi hung (timed out) in 2 consecutive checks"
    assert sum(c.startswith("gpufleet-cloud report hardware") for c in node.calls()) == 1


def test_a_check_killed_while_a_tool_is_stuck_still_counts(render: Render, node_root: MakeRoot) -> None:
    # A GPU in D state ignores even SIGKILL; systemd then kills the check at TimeoutStartSec.
    # The hang count is raised before the call, so the next run judges without calling it.
    node = node_root(render("aws", "p5.48xlarge", rdma=True, image_has_driver=True))
    env = _healthy_p5(node)
    node.set_env(GPUFLEET_HANG_LIMIT="2", GPUFLEET_CMD_TIMEOUT="30")
    for _ in range(2):
        assert node.run_unit("gpufleet-health", deadline=1, STUB_HANG="nvidia-smi", **env).killed
    r = node.run_unit("gpufleet-health", deadline=5, STUB_HANG="nvidia-smi", **env)
    assert not r.killed, "judged before touching the GPU"
    assert node.health() | {"time": 0} == {
        "state": "unhealthy",
        "reason": "hardware: GPU tools hung in 2 consecutive checks",
        "time": 0,
    }


def test_the_verdict_survives_a_reboot(render: Render, node_root: MakeRoot) -> None:
    # /run is a tmpfs; the verdict lives in /var/lib, so the endpoint does not fall back to
    # "Initializing" (Azure: Unknown, then repair) after an in-guest reboot.
    import shutil

    node = node_root(render("aws", "p5.48xlarge", rdma=True, image_has_driver=True))
    env = _healthy_p5(node)
    node.run("gpufleet-health", **env)
    shutil.rmtree(node.root / "run")
    assert node.health()["state"] == "healthy"


def test_bootstrap_killed_at_its_deadline_leaves_a_failure_record(render: Render, node_root: MakeRoot) -> None:
    # systemd's SIGTERM at TimeoutStartSec, while apt-get hangs: the old script exited with
    # the EXIT trap seeing $? = 0, so no record and the node stayed "initializing".
    node = node_root(render("aws", "g6.xlarge"))
    r = node.run_unit("gpufleet-bootstrap", deadline=1.5, STUB_TYPE="g6.xlarge", STUB_HANG="apt-get")
    assert r.killed
    failed = (node.root / "var/lib/gpufleet/bootstrap.failed").read_text()
    assert failed == "step driver failed (killed at the bootstrap deadline (SIGTERM))\n"
    assert node.health()["state"] == "unhealthy"
    assert "bootstrap failed in step driver (killed at the bootstrap deadline" in node.health()["reason"]


def test_units_agree_on_the_bootstrap_deadline() -> None:
    # TimeoutStartSec of the bootstrap = the health check's deadline, and the health check is
    # not queued behind the running bootstrap (systemd.unit(5): After= makes a start job wait).
    import configparser
    from importlib import resources

    from gpufleet.bootstrap import health

    def unit(name: str) -> configparser.ConfigParser:
        c = configparser.ConfigParser(strict=False, interpolation=None)
        c.optionxform = str  # type: ignore[assignment,method-assign]
        c.read_string(resources.files("gpufleet.bootstrap").joinpath("scripts", name).read_text())
        return c

    timeout = int(unit("gpufleet-bootstrap.service")["Service"]["TimeoutStartSec"])
    assert timeout == health.BOOTSTRAP_DEADLINE_MINUTES * 60
    assert "gpufleet-bootstrap" not in unit("gpufleet-health.service")["Unit"].get("After", "")


def test_drain_hooks_share_one_budget_below_the_heartbeat(render: Render, node_root: MakeRoot) -> None:
    # Two hooks that each take longer than the whole budget: the second gets what is left,
    # and the lifecycle action is completed within the budget (AWS: 900 s heartbeat - 120).
    import time

    node = node_root(render("aws", "g6.xlarge"))
    node.set_env(GPUFLEET_DRAIN_TIMEOUT="2")
    hooks = node.root / "etc/gpufleet/drain.d"
    hooks.mkdir(parents=True)
    for name in ("10-a", "20-b"):
        (hooks / name).write_text("#!/bin/sh\nexec sleep 30\n")
        (hooks / name).chmod(0o755)
    t0 = time.monotonic()
    r = node.run_unit("gpufleet-drain", deadline=10)
    assert not r.killed and r.returncode == 0, r.stdout
    assert time.monotonic() - t0 < 5
    assert node.calls()[-1] == "gpufleet-cloud complete-lifecycle CONTINUE"
    assert "skipping" in r.stdout and "20-b" in r.stdout


# -- NCCL configuration: AWS EFA plugin, Alibaba eRDMA settings (issue 17 items 7, 9) ------------


def test_efa_nccl_plugin_is_configured_where_nccl_finds_it(render: Render, node_root: MakeRoot) -> None:
    # The EFA software is present (DLAMI): the plugin's directory goes into the linker path
    # and its name into /etc/nccl.conf, and the health check then finds it.
    node = node_root(render("aws", "p5.48xlarge", rdma=True, image_has_driver=True))
    env = _healthy_p5(node)
    (node.root / "etc/ld.so.conf.d/gpufleet-ofi-nccl.conf").unlink()
    (node.root / "etc/nccl.conf").write_text("NCCL_DEBUG=WARN\n")  # the image's own line stays
    fi_info = node.root / "opt/amazon/efa/bin/fi_info"
    fi_info.parent.mkdir(parents=True)
    fi_info.write_text("#!/bin/sh\nexit 0\n")
    fi_info.chmod(0o755)
    (node.stub / "pkg/nvidia-fabricmanager.version").write_text("580.126.09-1\n")
    r = node.run("gpufleet-bootstrap", **env)
    assert r.returncode == 0, r.stdout
    assert (node.root / "etc/nccl.conf").read_text() == "NCCL_DEBUG=WARN\nNCCL_NET_PLUGIN=ofi\n"
    conf = (node.root / "etc/ld.so.conf.d/gpufleet-ofi-nccl.conf").read_text()
    assert conf == "/opt/amazon/ofi-nccl/lib/x86_64-linux-gnu\n"
    assert "ldconfig" in [c.strip() for c in node.calls()]
    node.run("gpufleet-health", **env)
    assert node.health()["state"] == "healthy", node.health()


def test_erdma_nccl_settings_and_interface_count_reach_the_node(render_raw: Any, node_root: MakeRoot) -> None:
    # The Alibaba component passes the eRDMA interfaces and NCCL settings; they were never rendered.
    from gpufleet.bootstrap.render import AlicloudNode
    from gpufleet.spec import BootstrapSpec

    nccl = {"NCCL_IB_HCA": "erdma", "NCCL_IB_GID_INDEX": "1", "NCCL_SOCKET_IFNAME": "eth0"}
    cloud_node = AlicloudNode(scaling_group_name="demo-raw", erdma_interfaces=2, nccl_settings=nccl)
    rendered = render_raw("alicloud", "ecs.gn8is-8x.32xlarge", BootstrapSpec(), rdma=True, cloud_node=cloud_node)
    node = node_root(rendered)
    node.installed("preinstalled-driver")
    node.installed("preinstalled-nccl")
    (node.root / "sys/class/infiniband/erdma_0").mkdir(parents=True)
    (node.root / "usr/local/cloudmonitor").mkdir(parents=True)
    env = {"STUB_TYPE": "ecs.gn8is-8x.32xlarge", "STUB_GPUS": "8"}
    r = node.run("gpufleet-bootstrap", **env)
    assert r.returncode == 0, r.stdout
    lines = (node.root / "etc/nccl.conf").read_text().splitlines()
    assert lines == ["NCCL_IB_HCA=erdma", "NCCL_IB_GID_INDEX=1", "NCCL_SOCKET_IFNAME=eth0"]
    node.run("gpufleet-health", **env)
    assert "1 erdma devices up, expected 2" in node.health()["reason"]
    (node.root / "sys/class/infiniband/erdma_1").mkdir()
    (node.root / "etc/nccl.conf").write_text("NCCL_IB_HCA=erdma\n")
    node.run("gpufleet-health", **env)
    assert node.health()["reason"] == "hardware: /etc/nccl.conf lacks NCCL_IB_GID_INDEX=1 NCCL_SOCKET_IFNAME=eth0"


def test_dcgm_diag_runs_once_per_boot_not_on_every_tick(render: Render, node_root: MakeRoot) -> None:
    # dcgmi diag loads the GPUs and trips on running jobs: at boot only (it ran every 5 min).
    node = node_root(render("aws", "p5.48xlarge", rdma=True, image_has_driver=True, dcgmDiag=True))
    env = _healthy_p5(node)
    node.installed("datacenter-gpu-manager-4-cuda13")
    for _ in range(3):
        node.run("gpufleet-health", **env)
    assert node.health()["state"] == "healthy"
    assert [c for c in node.calls() if c.startswith("dcgmi diag")] == ["dcgmi diag -r 1"]
    # The passive watches instead: set on the first run, checked on every later one.
    health = [c for c in node.calls() if c.startswith("dcgmi health")]
    assert health == ["dcgmi health -s a", "dcgmi health -c", "dcgmi health -c"]


# -- supply chain (issue 17 item 8) ----------------------------------------------------------


def test_efa_installer_key_must_have_awss_published_fingerprint(render: Render, node_root: MakeRoot) -> None:
    # AWS EC2 UG, EFA "Step 3": the key's fingerprint must be 4E90 91BC BB97 A96B 26B1 5E59
    # A054 80B1 DD2D 3CCC. Whoever serves the tarball serves the key too, so a key with another
    # fingerprint must stop the install (it was never checked).
    node = node_root(render("aws", "p5.48xlarge", rdma=True, image_has_driver=True))
    env = _healthy_p5(node)
    (node.stub / "pkg/nvidia-fabricmanager.version").write_text("580.126.09-1\n")
    efa_env = dict(line.split("=", 1) for line in (node.root / "etc/gpufleet/node.env").read_text().splitlines())
    assert efa_env["GPUFLEET_EFA_KEY_FPR"] == "4E9091BCBB97A96B26B15E59A05480B1DD2D3CCC"
    keys = node.stub / "keys"
    keys.write_text(keys.read_text().replace("4E9091BCBB97A96B26B15E59A05480B1DD2D3CCC", "0" * 40))
    r = node.run("gpufleet-bootstrap", **env)
    assert r.returncode != 0
    assert "has fingerprint '0000000000000000000000000000000000000000', expected 4E9091BC" in r.stdout
    assert not any("efa_installer.sh" in c for c in node.calls())


def test_every_download_the_node_makes_is_recorded_with_its_source(render: Render) -> None:
    # Every URL in node.env comes from downloads.csv or grid.csv, whose rows carry a source;
    # a row without SHA256 or key fingerprint says UNVERIFIED or names the signature check.
    import csv
    from importlib import resources

    data = resources.files("gpufleet.bootstrap").joinpath("data")
    rows = [*csv.DictReader(data.joinpath("downloads.csv").open()), *csv.DictReader(data.joinpath("grid.csv").open())]
    known = {r["url"].split("{")[0] for r in rows} | {r["key_url"].split("{")[0] for r in rows if r.get("key_url")}
    assert all(r["source"].strip() for r in rows)
    for r in rows:
        if not r.get("sha256") and not r.get("key_fingerprint"):
            assert "UNVERIFIED" in r["source"] or "no checksum" in r["source"], r["name" if "name" in r else "url"]
    cases = [
        render("aws", "p5.48xlarge", rdma=True),
        render("azure", "Standard_NV36ads_A10_v5"),
        render("alicloud", "ecs.gn8is-8x.32xlarge", rdma=True),
    ]
    for case in cases:
        env = case.files()["/etc/gpufleet/node.env"][1].decode()
        for line in env.splitlines():
            key, _, value = line.partition("=")
            if key.endswith("_URL"):
                assert any(value.startswith(k) for k in known), (key, value)


# -- no replacement loops (issue 17 item 4) ----------------------------------------------------


@pytest.mark.parametrize("cloud,t", [("aws", "g6.xlarge"), ("azure", "Standard_NV36ads_A10_v5")])
def test_a_configuration_failure_is_counted_on_every_run_and_held(
    render: Render, node_root: MakeRoot, cloud: str, t: str
) -> None:
    # A failed bootstrap (here: an image driver older than the pin) would fail on every new
    # node too. The node reports it with its class on every run (AWS counts it in the loop
    # breaker's metric, so the alarm stays on while the node exists); gpufleet-cloud answers
    # "held" (gpufleet_node.report: configuration is never replaced), so it is not marked done.
    node = node_root(render(cloud, t, image_has_driver=True))
    node.installed("preinstalled-driver")
    assert node.run("gpufleet-bootstrap", STUB_TYPE=t, STUB_DRIVER="570.195.03").returncode != 0
    for _ in range(2):
        r = node.run("gpufleet-health", STUB_TYPE=t, STUB_DRIVER="570.195.03")
        assert "held: stub; see docs/bootstrap.md" in r.stdout
    assert node.health()["reason"].startswith("configuration: bootstrap failed: step driver failed")
    assert sum(c.startswith("gpufleet-cloud report configuration") for c in node.calls()) == 2
    assert not (node.root / "run/gpufleet/reported").exists()


def test_a_held_hardware_failure_is_reported_again_next_run(render: Render, node_root: MakeRoot) -> None:
    # The loop alarm held the node: the next run reports again (and is replaced once it clears).
    node = node_root(render("aws", "p5.48xlarge", rdma=True, image_has_driver=True))
    env = _healthy_p5(node) | {"STUB_GPUS": "7"}
    node.run("gpufleet-health", **env, STUB_HELD="1")
    node.run("gpufleet-health", **env)
    node.run("gpufleet-health", **env)
    assert sum(c.startswith("gpufleet-cloud report hardware") for c in node.calls()) == 2


def test_grid_blacklists_nouveau_and_reboots_once_before_the_installer(render: Render, node_root: MakeRoot) -> None:
    # A plain Ubuntu image loads nouveau on the A10; the GRID .run refuses to install over it.
    node = node_root(render("azure", "Standard_NV36ads_A10_v5"))
    env = {"STUB_TYPE": "Standard_NV36ads_A10_v5", "STUB_DRIVER": "595.58.03", "STUB_NOUVEAU": "1"}
    first = node.run("gpufleet-bootstrap", **env)
    assert first.returncode == 0, first.stdout + first.stderr
    conf = (node.root / "etc/modprobe.d/nouveau.conf").read_text()
    assert conf.splitlines() == ["blacklist nouveau", "blacklist lbm-nouveau"]
    calls = node.calls()
    assert "update-initramfs -u" in calls and "systemctl reboot" in calls
    assert not any(".run" in c for c in calls if c.startswith("curl")), "no installer while nouveau is loaded"
    second = node.run("gpufleet-bootstrap", **env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert node.calls().count("systemctl reboot") == 1
    assert "driver 595.58.03 installed" in second.stdout


# -- Secure Boot, interrupted dpkg (issue 17 item 11) -------------------------------------------


def test_secure_boot_fails_with_its_reason_instead_of_a_reboot(render: Render, node_root: MakeRoot) -> None:
    node = node_root(render("aws", "g6.xlarge"))
    r = node.run("gpufleet-bootstrap", STUB_TYPE="g6.xlarge", STUB_DRIVER_BROKEN="1", STUB_SECURE_BOOT="enabled")
    assert r.returncode != 0
    assert "Secure Boot is on and the kernel refuses the DKMS-built nvidia module" in r.stdout
    assert "systemctl reboot" not in node.calls()


def test_an_interrupted_dpkg_is_repaired_first(render: Render, node_root: MakeRoot) -> None:
    node = node_root(render("aws", "g6.xlarge"))
    (node.root / "var/lib/dpkg/updates").mkdir(parents=True)
    (node.root / "var/lib/dpkg/updates/0001").touch()
    r = node.run("gpufleet-bootstrap", STUB_TYPE="g6.xlarge")
    assert r.returncode == 0, r.stdout
    calls = node.calls()
    assert calls.index("dpkg --configure -a") < next(i for i, c in enumerate(calls) if c.startswith("apt-get"))
