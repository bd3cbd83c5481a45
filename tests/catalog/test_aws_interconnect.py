"""AWS 8-GPU HGX types record their GPU interconnect as ``nvswitch`` (issue 14 item 9).

Independent source: NVIDIA's NVSwitch platform list names the HGX A100, H100, H200, B200 and
B300 8-GPU baseboards (docs.nvidia.com/ai-enterprise/release-8/8.0/infra-software/vgpu/features/
nvswitch.html, read 2026-11). An AWS type with 8 of those GPUs is one of these baseboards.
"""

from __future__ import annotations

from gpufleet.catalog import load_catalog

HGX_NVSWITCH_GPUS = ("A100", "H100", "H200", "B200", "B300")


def test_every_aws_8_gpu_hgx_type_says_nvswitch() -> None:
    hgx = [
        it
        for it in load_catalog().instances
        if it.cloud == "aws" and it.gpu_count == 8 and (it.gpu_model or "").split("-")[0] in HGX_NVSWITCH_GPUS
    ]
    names = {it.name for it in hgx}
    assert {"p4d.24xlarge", "p5.48xlarge", "p5en.48xlarge", "p6-b200.48xlarge", "p6-b300.48xlarge"} <= names
    assert {it.name: it.interconnect for it in hgx} == dict.fromkeys(names, "nvswitch")
    assert all("nvswitch" in it.source.lower() for it in hgx)
