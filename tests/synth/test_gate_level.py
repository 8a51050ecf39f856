"""Gate-level check: a mapped netlist through the exhaustive cocotb test (generic library, and
OSU018 with its own Verilog models when installed); a broken cell model must make it fail.
``make report-all`` simulates every area configuration's netlist the same way."""


import pytest

from baps_rtl.synth.synthesize import synthesize
from baps_rtl.synth.gate_level import check_netlist, gate_level_simulator
from baps_rtl.synth.libraries import get_library
from baps_rtl.designs import get_design, parse_params

from ..conftest import require, require_simulator

UNITS = [parse_params(get_design("exp2_hif8"), ["out_format=hif8"]),
         parse_params(get_design("exp2_code"), ["in_format=u4.4"])]
LIBS = ["generic", "osu018"]

pytestmark = pytest.mark.cocotb


def _library(name, tmp_path):
    if name == "osu018":
        require("osu018")
    return get_library(name, tmp_path / "cells")


@pytest.mark.parametrize("lib_name", LIBS)
@pytest.mark.parametrize("config", UNITS, ids=lambda c: c.module_name)
def test_netlist_passes_the_exhaustive_stream_test(config, lib_name, tmp_path):
    require_simulator("icarus")
    lib = _library(lib_name, tmp_path)
    [result] = synthesize(config, lib, tmp_path / "synth")
    run = check_netlist(config, lib, result, tmp_path / "sim", sim=gate_level_simulator(lib))
    assert (run.checked, run.mismatches, run.missing, run.extra) == (run.vectors, 0, 0, 0), run
    assert run.vectors == len(config.stimulus())


def test_a_broken_cell_model_fails_the_check(tmp_path):
    require_simulator("icarus")
    lib = get_library("generic", tmp_path / "cells")
    config = parse_params(get_design("exp2_hif8"), ["out_format=hif8"])
    [result] = synthesize(config, lib, tmp_path / "synth")
    broken = tmp_path / "broken_cells.v"
    text = lib.models.read_text()
    assert "assign Y = ~(A&B);" in text
    broken.write_text(text.replace("assign Y = ~(A&B);", "assign Y = (A&B);", 1))   # NAND2 → AND2
    run = check_netlist(config, lib, result, tmp_path / "sim", sim="icarus", models=broken)
    assert not run.passed and run.mismatches > 0
