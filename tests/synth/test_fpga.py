"""FPGA resources on every family (pyosys), and place and route on iCE40 and ECP5 with the
fpga extra (required when BAPS_REQUIRE_FPGA=1, as in CI)."""

import dataclasses
import json

import pytest

from baps_rtl.cli import main
from baps_rtl.designs import get_design, parse_params
from baps_rtl.synth.fpga import FAMILIES, fpga_run

UNIT = ["impl=split", "out_format=hif8"]


def unit():
    return parse_params(get_design("exp2_hif8"), UNIT)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_resources_on_every_family(family, tmp_path):
    [r], paths = fpga_run([unit()], family, tmp_path, pnr=False)
    # 8 input + 2 control in, 8 output + 2 control out: 20 port registers, plus the unit's own
    assert r.wrapper_ff == 20 and r.ff > r.wrapper_ff and r.lut > 0
    assert r.dsp == 0 and r.bram == 0 and r.lutram == 0
    assert json.loads(paths["json"].read_text())[0]["lut"] == r.lut
    assert f"| {r.module} | {r.lut} |" in paths["md"].read_text()


@pytest.mark.slow
@pytest.mark.parametrize("family,kind", [("ice40", "bram"), ("xilinx", "lutram")])
def test_the_datapath_row_buffer_lands_in_the_family_ram(family, kind, tmp_path):
    """Rescale's buffer is a Memory with a synchronous read: iCE40 block RAM (it has no LUT RAM),
    Xilinx distributed RAM (Yosys's cheaper choice for 4 words × 128 bits)."""
    config = parse_params(get_design("baps_datapath"), ["br=1", "bc=8", "lanes=4"])
    [r], _ = fpga_run([config], family, tmp_path, pnr=False)
    assert getattr(r, kind) > 0 and r.lut > 0, r.cells


@pytest.mark.parametrize("family", ["ice40", "ecp5"])
def test_place_and_route_gives_fmax_and_utilisation(family, tmp_path):
    from ..conftest import require
    require(f"nextpnr-{family}")
    [r], _ = fpga_run([unit()], family, tmp_path)
    assert r.pnr == "placed and routed" and r.fmax_mhz > 20 and r.utilisation
    # a target the unit cannot meet: still placed and routed, its fmax reported, the miss named
    fast = dataclasses.replace(FAMILIES[family], freq_mhz=900)
    [r], _ = fpga_run([unit()], fast, tmp_path / "fast")
    assert r.fmax_mhz and r.fmax_mhz < 900 and r.pnr.endswith("(below the 900 MHz target)")


def test_fpga_command_refuses_a_bad_family_and_design(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["fpga", "--family", "stratix", "exp2_hif8"])
    assert exc.value.code == 2 and "stratix" in capsys.readouterr().err
    assert main(["fpga", "--family", "ice40", "nope"]) == 2
    assert "unknown design 'nope'" in capsys.readouterr().err
