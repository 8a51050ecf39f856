"""The generated Verilog of the EXP2 units, exhaustively, on Verilator and Icarus: every parameter
class of each unit (the configurations ``make report`` regresses)."""

import pytest

from baps_rtl.sim.runner import SIMULATORS, run_config
from baps_rtl.designs import all_configs, get_design, parse_params
from baps_rtl.designs.registry import covering_configs

from ..conftest import require_simulator

CONFIGS = covering_configs([c for c in all_configs(which="regress") if c.design.exhaustive])
"""Every parameter class of each unit (``registry.covering_configs``); ``make report-all`` runs
every registered configuration."""

pytestmark = pytest.mark.cocotb


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.module_name)
def test_exhaustive_stream_regression(config, sim, tmp_path_factory):
    require_simulator(sim)
    build = tmp_path_factory.mktemp("regress")
    r = run_config(config, sim, build, seed=3, idle=0.15, stall=0.25)
    assert r.vectors == len(config.stimulus())
    assert (r.checked, r.mismatches, r.missing, r.extra) == (r.vectors, 0, 0, 0), r
    assert r.passed


@pytest.mark.parametrize("sim", SIMULATORS)
def test_checker_catches_one_corrupted_golden_value(sim, tmp_path):
    require_simulator(sim)
    config = parse_params(get_design("exp2_hif8"), ["out_format=hif8"])
    index = config.stimulus(1).index(0x4D)           # the vector whose input is HiF8 160.0
    r = run_config(config, sim, tmp_path, corrupt_index=index)
    assert not r.passed
    assert (r.checked, r.mismatches, r.missing, r.extra) == (256, 1, 0, 0)
    log = (tmp_path / f"{config.module_name}-{sim}" / f"vectors-corrupt{index}.log").read_text()
    assert f"mismatch #{index}: input 0x4D (160.0) expected 0x6E (32768.0) actual 0x6F (inf)" in log
