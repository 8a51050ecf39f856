"""The E4M3 P-cast datapath in the Amaranth simulator, beat for beat against
``golden.e4m3_pcast`` under random idles and backpressure: every named tile case, both scales,
every ``stages`` value, random accepted parameters; parameters refused by name."""

import random

import pytest

from baps_rtl.designs import Config
from baps_rtl.designs.tiles import tile_golden, tile_stimulus
from baps_rtl.designs.beats import pack
from baps_rtl.golden.baps_stream import TILE_CASES
from baps_rtl.hdl.e4m3_pcast import E4m3PcastDatapath, E4m3PcastLanes
from baps_rtl.sim.amaranth_stream import run_stream


def _check(values, seed, cases=TILE_CASES, blocks=3, **kw):
    config = Config.of("e4m3_pcast_datapath", values)
    p = config.params
    inputs = tile_stimulus(p, seed, cases=cases, blocks=blocks)
    run = run_stream(config.build(), inputs, seed=seed, drain=300, **kw)
    got = [pack(p.layouts()[1], o) for o in run.outputs]
    want = tile_golden(p, inputs)
    assert len(got) == len(want) > 0 and got == want, config.module_name
    return got, want


@pytest.mark.parametrize("scale_log2", [0, 8])
@pytest.mark.parametrize("case", TILE_CASES)
def test_every_tile_case_is_bit_exact(case, scale_log2):
    _check({"br": 3, "bc": 8, "lanes": 4, "scale_log2": scale_log2}, 2, cases=(case,),
           idle=0.15, stall=0.25)


def test_a_wrong_golden_model_is_caught():
    """The comparison can fail: the other scale's expected beats differ."""
    got, _ = _check({"br": 2, "bc": 8, "lanes": 4}, 1, cases=("medium",), idle=0, stall=0)
    config = Config.of("e4m3_pcast_datapath", {"br": 2, "bc": 8, "lanes": 4, "scale_log2": 0})
    other = tile_golden(config.params, tile_stimulus(config.params, 1, cases=("medium",),
                                                     blocks=3))
    assert got != other


@pytest.mark.parametrize("stages", range(len(E4m3PcastLanes.CUTS) + 1))
def test_every_stages_value_is_bit_exact(stages):
    """Also where a row's next block end arrives while its l update is in flight (br = 1, one
    beat per block: the bubble case)."""
    for values in ({"br": 2, "bc": 6, "lanes": 3}, {"br": 1, "bc": 2, "lanes": 2}):
        _check({**values, "stages": stages}, stages, cases=("wide", "corners", "edges"),
               blocks=4, idle=0.15, stall=0.25)


@pytest.mark.parametrize("change,message", [
    ({"bc": 12, "lanes": 8}, "bc=12 is not a multiple of lanes=8"),
    ({"scale_log2": 9}, "scale_log2=9 is not allowed; allowed: integers 0..8"),
    ({"link_depth": 2}, "link_depth=2"),
    ({"stages": 21}, "stages=21 is not allowed; allowed: integers 0..20"),
])
def test_bad_parameters_are_named(change, message):
    with pytest.raises(ValueError, match=message):
        E4m3PcastDatapath(**{"br": 2, "bc": 16, "lanes": 4, **change})


@pytest.mark.parametrize("seed", range(4))
def test_random_accepted_parameters_are_bit_exact(seed):
    """Random combinations from the accepted space (every scale 0..8, link depth 0 or 3..1024,
    any stages); small br, bc and lanes, which only repeat the same logic."""
    rng = random.Random(seed)
    lanes = rng.randint(1, 4)
    _check({"br": rng.randint(1, 4), "lanes": lanes, "bc": lanes * rng.randint(1, 3),
            "link_depth": rng.choice([0, 3, rng.randint(4, 1024)]),
            "scale_log2": rng.randint(0, 8), "stages": rng.randint(0, len(E4m3PcastLanes.CUTS))},
           seed, cases=("medium", "corners", "edges"), blocks=2, idle=0.1, stall=0.2)
