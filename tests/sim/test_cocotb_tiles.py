"""Whole tiles through the generated BapsDatapath Verilog on Verilator and Icarus: every named tile
case (narrow to wide scores, far from zero, corner rows), random idles and backpressure, every P
code and every l bit-exact, nothing lost, duplicated or reordered."""

import pytest

from baps_rtl.sim.runner import SIMULATORS
from baps_rtl.sim.tiles import TILE_CONFIGS, run_tiles, tile_vectors

from ..conftest import require_simulator

pytestmark = pytest.mark.cocotb


@pytest.mark.parametrize("sim", SIMULATORS)
@pytest.mark.parametrize("cfg", TILE_CONFIGS, ids=lambda c: c.module_name)
def test_tiles_are_bit_exact(cfg, sim, tmp_path):
    require_simulator(sim)
    assert cfg.blocks >= 4
    r = run_tiles(cfg, sim, tmp_path, seed=7, idle=0.15, stall=0.25)
    inputs, expected, _ = tile_vectors(cfg, seed=7)
    assert r.vectors == len(expected) == len(inputs)
    assert (r.checked, r.mismatches, r.missing, r.extra) == (r.vectors, 0, 0, 0), r


@pytest.mark.parametrize("sim", SIMULATORS)
def test_checker_catches_one_corrupted_tile_beat(sim, tmp_path):
    require_simulator(sim)
    r = run_tiles(TILE_CONFIGS[0], sim, tmp_path, corrupt_index=50)
    assert not r.passed and (r.checked, r.mismatches, r.missing, r.extra) == (r.vectors, 1, 0, 0)
