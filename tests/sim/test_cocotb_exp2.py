"""The generated Verilog of every EXP2 configuration, exhaustively, on Verilator and Icarus."""

import pytest

from baps_rtl.sim.runner import SIMULATORS, run_config
from baps_rtl.designs import all_configs, get_design, parse_params
from baps_rtl.designs.registry import covering_configs

from ..conftest import require_simulator

CONFIGS = [c for c in all_configs(which="regress") if c.design.exhaustive]
COVERING = {c.module_name for c in covering_configs(CONFIGS)}
"""Every parameter class of each unit runs in the default suite; the other configurations are
marked slow (CI runs them, and so does ``make report-all``)."""

pytestmark = pytest.mark.cocotb


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("config", [
    pytest.param(c, id=c.module_name, marks=() if c.module_name in COVERING else pytest.mark.slow)
    for c in CONFIGS])
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
