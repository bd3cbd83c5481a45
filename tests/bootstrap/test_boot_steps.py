"""bench/boot_steps.py: the boot-time step counter behind docs/images.md ("Boot-time steps,
measured offline"). Its counts are checked against the stubs' own call log, not against itself."""

from __future__ import annotations

import sys
from typing import Any

from gpufleet.catalog import Catalog
from helpers import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import boot_steps

# How gpufleet-common.sh's apt_get calls apt-get, as the stub logs it.
APT_GET = (
    "apt-get -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"
)


def test_a_group_on_its_baked_image_does_no_boot_time_step_and_on_plain_ubuntu_it_does(catalog: Catalog) -> None:
    # azure-images-t4: the group names the template's image; without it, it boots Canonical Ubuntu.
    as_is, baked = boot_steps.measure_group("azure-images-t4", 0, catalog)
    assert baked.steps is not None and as_is.steps is not None
    assert baked.steps.total() == 0 and baked.steps.work == ()
    assert as_is.steps.total() > 0 and "driver" in as_is.steps.work
    # The call log itself: the baked boot ran (it started DCGM) and installed or fetched nothing ...
    assert "systemctl enable --now nvidia-dcgm nvidia-dcgm-exporter" in baked.calls
    assert not [c for c in baked.calls if c.startswith(("apt-get", "dpkg", "curl", "nvidia-installer"))], baked.calls
    # ... while the plain-Ubuntu boot installed the pinned open driver (a DKMS build) and downloaded keys.
    assert f"{APT_GET} install nvidia-open" in as_is.calls
    assert any(c.startswith("curl ") for c in as_is.calls)


def test_the_counter_reads_each_kind_of_call() -> None:
    log: list[Any] = [
        f"{APT_GET} update",
        f"{APT_GET} install linux-headers-6.8.0-1044-aws",
        f"{APT_GET} install --no-install-recommends cuda-toolkit-12-8",
        f"{APT_GET} install --allow-downgrades nvidia-fabricmanager=580.105.08-1",
        "curl -fsSL --connect-timeout 10 --max-time 900 -o /tmp/x.part https://example.invalid/a.deb",
        "dpkg -i /tmp/cwa.deb",
        "nvidia-installer --silent --dkms --disable-nouveau",
        "efa_installer.sh -y",
        "systemctl reboot",
        "systemctl enable --now nvidia-dcgm",
        "dpkg --configure -a",
    ]
    s = boot_steps.count(log)
    assert (s.apt_installs, s.packages, s.apt_updates, s.downloads, s.dpkg_installs) == (3, 3, 1, 1, 1)
    assert (s.driver_builds, s.installers, s.reboots) == (1, 1, 1)
    assert s.work == ("cuda", "driver", "efa", "fabric-manager", "metrics-agent", "reboot")
