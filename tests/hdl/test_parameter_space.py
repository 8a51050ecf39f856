"""Every accepted parameter gives bit-exact hardware: random combinations drawn from the accepted
space of ``baps_datapath`` (m_width 2..32, l_int_bits 1..40, link depth 0 or 3..1024, both EXP2
implementations; small br, bc and lanes, which only repeat the same logic and would make the
simulation slow), short tiles of every named case through the Amaranth simulator against golden.
Also the two m_width ≥ 18 failures the issue measured, and every m_width 18..32 on the edges."""

import random

import numpy as np
import pytest

from baps_rtl.designs import Config
from baps_rtl.designs.beats import pack
from baps_rtl.designs.tiles import tile_golden, tile_stimulus
from baps_rtl.golden.baps import BapsConfig, baps_softmax
from baps_rtl.golden.baps_stream import TileShape, expected_prob_beats, score_beats
from baps_rtl.golden.formats import HIF8
from baps_rtl.hdl.baps_datapath import BapsDatapath
from baps_rtl.sim.amaranth_stream import run_stream


def _random_params(rng: random.Random) -> dict:
    lanes = rng.randint(1, 6)
    return {"br": rng.randint(1, 5), "lanes": lanes, "bc": lanes * rng.randint(1, 3),
            "m_width": rng.randint(2, 32), "l_int_bits": rng.randint(1, 40),
            "link_depth": rng.choice([0, 3, rng.randint(4, 1024)]),
            "impl": rng.choice(["table", "split"])}


@pytest.mark.parametrize("seed", range(8))
def test_random_parameters_are_bit_exact(seed):
    config = Config.of("baps_datapath", _random_params(random.Random(seed)))
    p = config.params
    inputs = tile_stimulus(p, seed, blocks=2)
    run = run_stream(config.build(), inputs, seed=seed, idle=0.1, stall=0.2, drain=300)
    assert run.outputs and len(run.outputs) == len(inputs)
    expected = tile_golden(p, inputs)
    got = [pack(p.layouts()[1], o) for o in run.outputs]
    assert got == expected, config.module_name


def _one_row(scores, m_width, bc=8, lanes=8):
    shape = TileShape(1, bc, lanes, len(scores) // bc)
    t = np.array([scores], dtype=np.float32)
    res = baps_softmax(t, BapsConfig(bc=bc, m_width=m_width))
    run = run_stream(BapsDatapath(br=1, bc=bc, lanes=lanes, m_width=m_width), score_beats(t, shape),
                     idle=0.0, stall=0.0)
    assert run.outputs == expected_prob_beats(res, shape)
    return res


def test_the_measured_wide_m_failures_are_fixed():
    res = _one_row([-131072.0] * 8, m_width=20)             # RTL gave P = 0, l = 0
    assert res.m[0, 0] == -131072 and set(res.p[0]) == {0x08} and res.l[0] == 8.0
    res = _one_row([131072.0] * 8, m_width=18)              # RTL gave P = +Inf
    assert res.m[0, 0] == 131071 and set(res.p[0]) == {0x10}
    assert res.l[0] == np.inf and int(HIF8.encode(2.0)) == 0x10    # P > 1: l = +Inf (baps.md)


@pytest.mark.parametrize("m_width", range(18, 33))
def test_wide_running_max_is_bit_exact(m_width):
    big = float(2 ** (m_width - 1))
    rng = np.random.default_rng(m_width)
    row = np.concatenate([big - 3 + rng.normal(0, 1, 8), -big - 5 + rng.normal(0, 1, 8),
                          rng.normal(0, 4, 8) - big / 2, [big * 2] * 8]).astype(np.float32)
    _one_row(list(row), m_width=m_width)          # asserts RTL == golden, beat for beat
