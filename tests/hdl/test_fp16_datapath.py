"""The FP16 online-softmax datapath in the Amaranth simulator, beat for beat against
``golden.fp16_datapath``, under random idles and backpressure; its FP16 difference against
numpy; its parameters refused by name."""

import numpy as np
import pytest
from amaranth import Signal

from baps_rtl.golden.baps_stream import (TILE_CASES, TileShape, expected_prob_beats, score_beats,
                                         spectrum_blocks, tile_scores)
from baps_rtl.golden.formats import FP16
from baps_rtl.golden.fp16_datapath import Fp16DatapathConfig, fp16_softmax
from baps_rtl.hdl.fp16_datapath import Fp16Datapath, fp16_difference
from baps_rtl.sim.amaranth_stream import run_stream

from .test_fp32_arith import _evaluate

SHAPES = [TileShape(br=3, bc=16, lanes=4, blocks=4), TileShape(br=2, bc=12, lanes=3, blocks=3),
          TileShape(br=1, bc=8, lanes=8, blocks=5)]


def _run(case, shape, accuracy="correct", link_depth=0, seed=2):
    if case == "spectrum":
        shape = TileShape(shape.br, shape.bc, shape.lanes,
                          spectrum_blocks(shape.br, shape.bc, shape.lanes))
    t = tile_scores(case, shape, seed)
    res = fp16_softmax(t, Fp16DatapathConfig(bc=shape.bc, accuracy=accuracy))
    dut = Fp16Datapath(br=shape.br, bc=shape.bc, lanes=shape.lanes, link_depth=link_depth,
                       accuracy=accuracy)
    run = run_stream(dut, score_beats(t, shape), seed=5, idle=0.15, stall=0.25)
    return run.outputs, expected_prob_beats(res, shape)


@pytest.mark.parametrize("case", TILE_CASES)
def test_datapath_equals_the_golden_model_on_every_case(case):
    got, want = _run(case, SHAPES[0])
    assert got == want


@pytest.mark.parametrize("shape,link_depth,accuracy",
                         [(SHAPES[1], 3, "faithful"), (SHAPES[2], 4, "correct")], ids=str)
@pytest.mark.parametrize("case", ["wide", "corners", "edges"])
def test_other_shapes_link_depths_and_the_faithful_unit(shape, link_depth, accuracy, case):
    got, want = _run(case, shape, accuracy, link_depth)
    assert got == want


def test_a_wrong_golden_model_is_caught():
    """The comparison can fail: the faithful unit's P differs from the correct one somewhere."""
    shape = SHAPES[0]
    t = tile_scores("medium", shape, 2)
    other = expected_prob_beats(fp16_softmax(t, Fp16DatapathConfig(bc=16, accuracy="faithful")),
                                shape)
    got, _ = _run("medium", shape)
    assert got != other


def test_difference_is_rounded_once_like_numpy():
    rng = np.random.default_rng(8)
    codes = (rng.integers(0, 0x7C00, (4000, 2)) | (rng.integers(0, 2, (4000, 2)) << 15))
    codes = codes.astype(np.uint16)
    values = FP16.decode(codes)
    a = np.where(values[:, 0] <= values[:, 1], codes[:, 0], codes[:, 1])
    b = np.where(values[:, 0] <= values[:, 1], codes[:, 1], codes[:, 0])

    def build(m):
        x, y = Signal(16), Signal(16)
        return x, y, fp16_difference(m, x, y)

    got = _evaluate(build, zip(a, b)).astype(np.uint16)
    with np.errstate(over="ignore"):
        want = (a.view(np.float16) - b.view(np.float16)).view(np.uint16)   # IEEE, RNE
    exact = FP16.decode(a) - FP16.decode(b)
    assert np.count_nonzero(exact != want.view(np.float16).astype(np.float64)) > 1000
    bad = np.flatnonzero(got != want)
    assert len(bad) == 0, [(hex(a[k]), hex(b[k])) for k in bad[:3]]


@pytest.mark.parametrize("change,message", [
    ({"bc": 12, "lanes": 8}, "bc=12 is not a multiple of lanes=8"),
    ({"accuracy": "exact"}, "accuracy='exact'"),
    ({"link_depth": 2}, "link_depth=2"),
    ({"br": 0}, "br=0"),
])
def test_bad_parameters_are_named(change, message):
    with pytest.raises(ValueError, match=message):
        Fp16Datapath(**{"br": 2, "bc": 16, "lanes": 4, **change})


@pytest.mark.parametrize("seed", range(6))
def test_random_accepted_parameters_are_bit_exact(seed):
    """Random combinations from the accepted space (link depth 0 or 3..1024, both EXP2 units;
    small br, bc and lanes, which only repeat the same logic): every named tile case, short."""
    import random

    from baps_rtl.designs import Config
    from baps_rtl.designs.tiles import tile_golden, tile_stimulus
    from baps_rtl.designs.beats import pack
    rng = random.Random(seed)
    lanes = rng.randint(1, 6)
    config = Config.of("fp16_datapath", {
        "br": rng.randint(1, 5), "lanes": lanes, "bc": lanes * rng.randint(1, 3),
        "link_depth": rng.choice([0, 3, rng.randint(4, 1024)]),
        "accuracy": rng.choice(["correct", "faithful"])})
    p = config.params
    inputs = tile_stimulus(p, seed, blocks=2)
    run = run_stream(config.build(), inputs, seed=seed, idle=0.1, stall=0.2, drain=300)
    assert len(run.outputs) == len(inputs)
    assert [pack(p.layouts()[1], o) for o in run.outputs] == tile_golden(p, inputs), \
        config.module_name


# none, one and every cut in the default suite; the values between are marked slow (CI runs them)
@pytest.mark.parametrize("stages", [pytest.param(s, marks=() if s in (0, 1, 16) else
                                                 pytest.mark.slow) for s in range(17)])
def test_every_stages_value_is_bit_exact(stages):
    """Every accepted ``stages`` gives the same beats, also where a row's next block end arrives
    while its l update is still in flight (br = 1, one beat per block: the bubble case)."""
    for shape in (SHAPES[1], TileShape(br=1, bc=4, lanes=2, blocks=6)):
        for case in ("wide", "edges"):
            t = tile_scores(case, shape, 3)
            res = fp16_softmax(t, Fp16DatapathConfig(bc=shape.bc, accuracy="correct"))
            dut = Fp16Datapath(br=shape.br, bc=shape.bc, lanes=shape.lanes, stages=stages)
            run = run_stream(dut, score_beats(t, shape), seed=stages, idle=0.15, stall=0.25,
                             drain=100)
            assert run.outputs == expected_prob_beats(res, shape), (shape, case, stages)
