"""The tile-buffered Softermax and HCCS datapaths in the Amaranth simulator, beat for beat against
their golden models under random idles and backpressure; the int8 score cast against the golden
codec; parameters refused by name; random accepted parameters bit-exact."""

import random

import numpy as np
import pytest
from amaranth import Signal

from baps_rtl.designs import Config
from baps_rtl.designs.beats import pack
from baps_rtl.golden.fixed_scores import FixedScoreFormat
from baps_rtl.golden.formats import FP32
from baps_rtl.hdl.fixed_cast import fixed_score_code
from baps_rtl.hdl.hccs import HccsDatapath, HccsLanes
from baps_rtl.hdl.softermax import SoftermaxDatapath, SoftermaxLanes
from baps_rtl.sim.amaranth_stream import run_stream

from .test_fp32_arith import _evaluate


LANES_OF = {"softermax_datapath": SoftermaxLanes, "hccs_datapath": HccsLanes}


def _check(config, seed, **kw):
    p = config.params
    inputs = config.stimulus(seed)
    run = run_stream(config.build(), inputs, seed=seed, drain=3000, **kw)   # a deep link FIFO
    # takes every input early; HCCS then drains ~2 cycles per beat plus its divider
    got = [pack(p.layouts()[1], o) for o in run.outputs]
    want = config.expected(inputs)
    assert len(got) == len(want) > 0
    assert got == want, config.module_name
    return got


@pytest.mark.parametrize("name", ["softermax_datapath", "hccs_datapath"])
def test_every_regress_configuration_is_bit_exact(name):
    for values in Config.of(name).design.regress:
        _check(Config.of(name, values), 5, idle=0.15, stall=0.25)


@pytest.mark.parametrize("name", ["softermax_datapath", "hccs_datapath"])
def test_a_wrong_golden_model_is_caught(name):
    """The comparison can fail: one flipped output bit of the expected beats differs."""
    config = Config.of(name, {"br": 2, "bc": 8, "lanes": 4, "blocks": 2})
    got = _check(config, 1, idle=0.0, stall=0.0)
    broken = list(got)
    broken[7] ^= 1 << 3
    assert broken != config.expected(config.stimulus(1))


@pytest.mark.parametrize("frac_bits", [0, 2, 3, 7])
def test_the_int8_cast_equals_the_golden_codec(frac_bits):
    rng = np.random.default_rng(frac_bits)
    scale = 2.0 ** -frac_bits
    ties = (np.arange(-130, 130) + 0.5) * scale                  # every midpoint, and beyond
    values = np.concatenate([rng.normal(0, 64 * scale, 3000), ties, ties + scale / 1e6,
                             [0.0, -0.0, np.inf, -np.inf, np.nan, 1e30, -1e30, 1e-40, -1e-40]])
    bits = FP32.encode(values.astype(np.float32).astype(np.float64))

    def build(m):
        x, unused, out = Signal(32), Signal(1), Signal(8)       # the code's bits, unsigned
        m.d.comb += out.eq(fixed_score_code(m, x, frac_bits))
        return x, unused, out

    got = _evaluate(build, [(b, 0) for b in bits]).astype(np.int64)
    got = np.where(got >= 128, got - 256, got)
    np.testing.assert_array_equal(got, FixedScoreFormat(frac_bits).encode(values))


@pytest.mark.parametrize("cls,change,message", [
    (SoftermaxDatapath, {"bc": 12, "lanes": 8}, "bc=12 is not a multiple of lanes=8"),
    (SoftermaxDatapath, {"blocks": 0}, "blocks=0 is not allowed; allowed: integers 1..64"),
    (SoftermaxDatapath, {"link_depth": 2}, "link_depth=2"),
    (HccsDatapath, {"reciprocal": "newton"}, "reciprocal='newton' is not allowed; allowed: exact, pow2"),
    (HccsDatapath, {"frac_bits": 8}, "frac_bits=8 is not allowed; allowed: integers 0..7"),
    (HccsDatapath, {"br": 0}, "br=0"),
    (HccsDatapath, {"stages": 8}, "stages=8 is not allowed; allowed: integers 0..7"),
    (SoftermaxDatapath, {"stages": -1}, "stages=-1 is not allowed; allowed: integers 0..5"),
])
def test_bad_parameters_are_named(cls, change, message):
    with pytest.raises(ValueError, match=message):
        cls(**{"br": 2, "bc": 16, "lanes": 4, **change})


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("name", ["softermax_datapath", "hccs_datapath"])
def test_random_accepted_parameters_are_bit_exact(name, seed):
    """Random combinations from the accepted space (tiles of 1..5 blocks, link depth 0 or
    3..1024, any stages, HCCS: every frac_bits and both reciprocals); small br, bc and lanes,
    which only repeat the same logic."""
    rng = random.Random(seed)
    lanes = rng.randint(1, 5)
    values = {"br": rng.randint(1, 4), "lanes": lanes, "bc": lanes * rng.randint(1, 3),
              "blocks": rng.randint(1, 5), "link_depth": rng.choice([0, 3, rng.randint(4, 1024)])}
    if name == "hccs_datapath":
        values |= {"frac_bits": rng.randint(0, 7), "reciprocal": rng.choice(["exact", "pow2"])}
    values["stages"] = rng.randint(0, len(LANES_OF[name].CUTS))
    _check(Config.of(name, values), seed, idle=0.1, stall=0.2)


@pytest.mark.parametrize("name,stages", [(n, s) for n, cls in LANES_OF.items()
                                         for s in range(len(cls.CUTS) + 1)])
def test_every_stages_value_is_bit_exact(name, stages):
    """Every accepted ``stages`` gives the same beats, on tiles of one beat per row and block
    (the fill cut's hold at a tile's end every beat) and on longer ones, both reciprocals."""
    shapes = [{"br": 1, "bc": 2, "lanes": 2, "blocks": 1},
              {"br": 3, "bc": 8, "lanes": 4, "blocks": 2}]
    if name == "hccs_datapath":
        shapes.append({"br": 2, "bc": 4, "lanes": 2, "blocks": 3, "reciprocal": "pow2"})
    for values in shapes:
        _check(Config.of(name, {**values, "stages": stages}), stages, idle=0.15, stall=0.25)
