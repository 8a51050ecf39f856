"""Whole tiles through the generated Verilog of every registered datapath on Verilator and Icarus: every named tile case (narrow to wide scores, far from zero, corner rows, the code
spectrum), random idles and backpressure, every P code and every l bit-exact, nothing lost,
duplicated or reordered. Each design's first configuration runs on both simulators by default;
the other configurations covering its parameter classes run on Icarus, marked slow (``make
report`` and ``make report-all`` run them on Verilator)."""

import pytest

from baps_rtl.designs import all_configs
from baps_rtl.designs.registry import covering_configs, datapaths
from baps_rtl.sim.runner import SIMULATORS, run_config

from ..conftest import require_simulator

pytestmark = pytest.mark.cocotb

TILES = covering_configs(all_configs([d.name for d in datapaths()], which="regress"))
FIRST = {c.name: c for c in reversed(TILES)}            # each design's first configuration
RUNS = [pytest.param(c, sim, id=f"{c.module_name}-{sim}",
                     marks=[] if FIRST[c.name] is c else [pytest.mark.slow])
        for c in TILES for sim in SIMULATORS if FIRST[c.name] is c or sim == "icarus"]


@pytest.fixture(scope="module")
def build_root(tmp_path_factory):
    return tmp_path_factory.mktemp("tiles")


@pytest.mark.parametrize("config,sim", RUNS)
def test_tiles_are_bit_exact(config, sim, build_root):
    require_simulator(sim)
    r = run_config(config, sim, build_root, seed=7, idle=0.15, stall=0.25)
    inputs = config.stimulus(7)
    assert r.vectors == len(inputs) == len(config.expected(inputs)) > 0
    assert (r.checked, r.mismatches, r.missing, r.extra) == (r.vectors, 0, 0, 0), r


@pytest.mark.parametrize("sim", SIMULATORS)
def test_checker_catches_one_corrupted_tile_beat(sim, build_root):
    require_simulator(sim)
    r = run_config(TILES[0], sim, build_root, corrupt_index=50)   # reuses the build above
    assert not r.passed and (r.checked, r.mismatches, r.missing, r.extra) == (r.vectors, 1, 0, 0)
