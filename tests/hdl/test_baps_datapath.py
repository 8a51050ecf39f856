"""Rescale, SoftmaxLanes, MatrixVectorLink and BapsDatapath in the Amaranth simulator, beat for
beat against the golden BAPS model, under random idles and backpressure."""

import re

import numpy as np
import pytest

from baps_rtl.golden.baps import P_FORMAT, SCORE_FORMAT, BapsConfig
from baps_rtl.golden.baps_stream import (TILE_CASES, TileShape, expected_code_beats,
                                         expected_prob_beats, run_golden, score_beats,
                                         spectrum_blocks, tile_scores)
from baps_rtl.hdl.baps_datapath import BapsDatapath
from baps_rtl.hdl.link import MatrixVectorLink
from baps_rtl.hdl.rescale import Rescale
from baps_rtl.hdl.softmax_lanes import SoftmaxLanes
from baps_rtl.sim.amaranth_stream import run_stream

SHAPES = [TileShape(br=3, bc=16, lanes=4, blocks=4), TileShape(br=7, bc=8, lanes=8, blocks=5),
          TileShape(br=2, bc=12, lanes=3, blocks=4)]


def golden(case, shape, seed=1):
    t = tile_scores(case, shape, seed)
    return t, run_golden(t, shape, BapsConfig(bc=shape.bc))


@pytest.mark.parametrize("shape", SHAPES[::2], ids=str)
@pytest.mark.parametrize("case", TILE_CASES)
def test_rescale_beats_equal_the_golden_model(shape, case):
    t, res = golden(case, shape)
    run = run_stream(Rescale(br=shape.br, bc=shape.bc, lanes=shape.lanes), score_beats(t, shape),
                     seed=3, idle=0.2, stall=0.3)
    assert run.outputs == expected_code_beats(res, shape)


@pytest.mark.parametrize("impl", ["table", "split"])
@pytest.mark.parametrize("case", ["wide", "corners"])
def test_softmax_lanes_beats_equal_the_golden_model(impl, case):
    shape = SHAPES[0]
    t, res = golden(case, shape)
    dut = SoftmaxLanes(br=shape.br, bc=shape.bc, lanes=shape.lanes, impl=impl)
    run = run_stream(dut, expected_code_beats(res, shape), seed=4, idle=0.2, stall=0.3)
    assert run.outputs == expected_prob_beats(res, shape)


@pytest.mark.parametrize("shape,link_depth", list(zip(SHAPES, [0, 3, 4])), ids=str)
@pytest.mark.parametrize("case", TILE_CASES)
def test_datapath_equals_the_golden_model(shape, case, link_depth):
    t, res = golden(case, shape, seed=2)
    dut = BapsDatapath(br=shape.br, bc=shape.bc, lanes=shape.lanes, link_depth=link_depth)
    run = run_stream(dut, score_beats(t, shape), seed=5, idle=0.15, stall=0.25)
    assert run.outputs == expected_prob_beats(res, shape)


def test_datapath_runs_at_lanes_scores_per_cycle():
    shape = TileShape(br=8, bc=32, lanes=8, blocks=4)
    t, res = golden("medium", shape)
    run = run_stream(BapsDatapath(br=8, bc=32, lanes=8, link_depth=3), score_beats(t, shape),
                     idle=0.0, stall=0.0)
    assert run.outputs == expected_prob_beats(res, shape)
    assert run.input_cycles == list(range(len(run.input_cycles)))     # never stalls the input
    gaps = np.diff(run.output_cycles)
    assert np.all(gaps == 1)                                          # one beat every cycle


@pytest.mark.parametrize("element,per_beat", [("hif8", 8), ("fp16", 4)])
@pytest.mark.parametrize("depth", [3, 8])    # depth 0 (a wire) is covered by the datapath tests
def test_link_carries_w_over_element_bits_codes_per_beat(element, per_beat, depth):
    link = MatrixVectorLink(width=64, element=element, depth=depth)
    assert link.elements == per_beat
    beats = [{"codes": [(k + j) % 200 for j in range(per_beat)], "row": k % 4, "shift": -k,
              "first_block": 1, "last_block": 0, "first_beat": 1, "last_beat": 1}
             for k in range(20)]
    assert run_stream(link, beats, idle=0.3, stall=0.3).outputs == beats


@pytest.mark.parametrize("element,width", [("u4.3/e2", 64), ("u3.2", 64), ("u5.3/e2", 64),
                                           ("u4.3/e2", 6), ("fp16", 17)])
def test_link_packs_codes_of_any_width_densely(element, width):
    """⌊W/bits⌋ codes of any width per W-bit beat through the FIFO intact (every code value of
    the codes up to 8 bits)."""
    bits = {"u4.3/e2": 6, "u3.2": 5, "u5.3/e2": 7, "fp16": 16}[element]
    link = MatrixVectorLink(width=width, element=element, depth=3)
    assert (link.elements, link.padding_bits) == (width // bits, width % bits)
    per = link.elements
    beats = [{"codes": [(k * per + j) % (1 << bits) for j in range(per)], "row": k % 4,
              "shift": -k, "first_block": 1, "last_block": 0, "first_beat": 1, "last_beat": 1}
             for k in range(min(-(-(1 << bits) // per) + 2, 64))]
    assert run_stream(link, beats, idle=0.3, stall=0.3).outputs == beats


def test_datapath_on_a_64_bit_link_of_six_bit_codes_is_bit_exact():
    """Ten u4.3/e2 codes per 64-bit beat (4 bits unused): lanes = ⌊64/6⌋ = 10."""
    shape = TileShape(br=2, bc=40, lanes=10, blocks=4)
    cfg = BapsConfig(bc=40, score_format="u4.3/e2", p_format="fp16")
    dut = BapsDatapath(br=2, bc=40, lanes=10, link_width=64, link_depth=3,
                       score_format="u4.3/e2", p_format="fp16")
    assert (dut.link.width, dut.link.elements, dut.link.padding_bits) == (64, 10, 4)
    for case in ("medium", "spectrum"):
        t = tile_scores(case, shape, 3, "u4.3/e2")
        res = run_golden(t, shape, cfg)
        run = run_stream(dut, score_beats(t, shape), seed=5, idle=0.1, stall=0.2, drain=64)
        assert run.outputs == expected_prob_beats(res, shape), case


@pytest.mark.parametrize("kwargs,message", [
    (dict(bc=20, lanes=8), "bc=20 is not a multiple of lanes=8"),
    (dict(lanes=10, bc=40, score_format="u4.3/e2", link_width=66),
     "link_width=66 does not carry lanes=10 u4.3/e2 codes per beat (⌊W/6⌋ of them); "
     "allowed: 0 or 60..65"),
    (dict(br=0), "br=0 is not allowed; allowed: integers 1..4096"),
    (dict(lanes=4, link_width=64), "link_width=64 does not carry lanes=4 hif8 codes per beat"),
    (dict(impl="rom"), "impl='rom' is not allowed"),
    (dict(link_depth=-1), "link_depth=-1 is not allowed"),
    (dict(link_depth=2), "link_depth=2 is not allowed; allowed: 0 (a wire) or 3..1024"),
    (dict(l_int_bits=0), "l_int_bits=0 is not allowed"),
])
def test_bad_parameters_are_named(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        BapsDatapath(**kwargs)
    with pytest.raises(ValueError, match="element='fp8' is not allowed; allowed: fp16, hif8"):
        MatrixVectorLink(element="fp8")
    with pytest.raises(ValueError, match="width=12 is not allowed for fp16; allowed: integers ≥ 16"):
        MatrixVectorLink(width=12, element="fp16")


@pytest.mark.parametrize("link_depth", [0, 3])
def test_datapath_moves_a_beat_on_every_ready_cycle_under_backpressure(link_depth):
    """With the source always valid, every cycle the sink is ready (after the first output) carries
    a beat: a ready held low one cycle too long anywhere inside costs 6–14 % and fails here."""
    shape = TileShape(br=8, bc=32, lanes=8, blocks=4)
    t, res = golden("medium", shape)
    run = run_stream(BapsDatapath(br=8, bc=32, lanes=8, link_depth=link_depth),
                     score_beats(t, shape), seed=9, idle=0.0, stall=0.3)
    assert run.outputs == expected_prob_beats(res, shape)
    first, last = run.output_cycles[0], run.output_cycles[-1]
    ready = [c for c in run.ready_cycles if first <= c <= last]
    assert len(run.outputs) == len(ready), (len(run.outputs), len(ready))


@pytest.mark.parametrize("stages", range(7))
def test_every_stages_value_is_bit_exact(stages):
    """Every accepted ``stages`` (Rescale's six cuts, SoftmaxLanes' three) gives the same
    beats, also with br = 1, where a row's next block follows its last beat at once (the
    one-cycle wait of ``core.rescale``)."""
    for shape in (SHAPES[2], TileShape(br=1, bc=4, lanes=2, blocks=6)):
        for case in ("wide", "edges", "corners"):
            t, res = golden(case, shape, seed=4)
            dut = BapsDatapath(br=shape.br, bc=shape.bc, lanes=shape.lanes, stages=stages)
            run = run_stream(dut, score_beats(t, shape), seed=stages, idle=0.2, stall=0.3,
                             drain=64)
            assert run.outputs == expected_prob_beats(res, shape), (shape, case, stages)


def test_each_cut_adds_one_cycle_of_latency():
    """stages = s puts min(s, 6) cuts in Rescale and min(s, 3) in SoftmaxLanes."""
    shape = SHAPES[0]
    t, _ = golden("medium", shape)
    first = []
    for stages in range(7):
        run = run_stream(BapsDatapath(br=shape.br, bc=shape.bc, lanes=shape.lanes, stages=stages),
                         score_beats(t, shape), idle=0.0, stall=0.0, drain=64)
        first.append(run.output_cycles[0] - run.input_cycles[0])
    cuts = [min(s, len(Rescale.CUTS)) + min(s, len(SoftmaxLanes.CUTS)) for s in range(7)]
    assert [f - c for f, c in zip(first, cuts)] == [first[0]] * 7, first


# Every score code × P format, the two implementations alternating, the stages cuts with the
# last score codes. The default suite runs six: HiF8, E4M3, E5M2 and the first fixed distance
# code, each with another P format (every P format once), and the last two (tapered) codes with
# every cut; the other combinations are marked slow (CI runs them).
LAST = len(SCORE_FORMAT.choices) - 2
CODE_COMBOS = [pytest.param(s, p, ("table", "split")[(k + j) % 2], 6 if k >= LAST else 0,
                            marks=() if j == k % len(P_FORMAT.choices) and (k < 4 or k >= LAST)
                            else pytest.mark.slow)
               for k, s in enumerate(SCORE_FORMAT.choices)
               for j, p in enumerate(P_FORMAT.choices)]


@pytest.mark.parametrize("score_format,p_format,impl,stages", CODE_COMBOS)
def test_every_score_code_and_p_format_is_bit_exact(score_format, p_format, impl, stages):
    """Each tile case, the ``spectrum`` tile reaching every negative value of the score code in
    every lane, through the whole datapath with its link FIFO (one tile after the other)."""
    base = TileShape(br=3, bc=16, lanes=4, blocks=4)
    cfg = BapsConfig(bc=16, score_format=score_format, p_format=p_format)
    inputs, expected = [], []
    for case in ("medium", "wide", "far_negative", "corners", "edges", "magnitudes", "spectrum"):
        shape = base if case != "spectrum" else TileShape(
            3, 16, 4, max(4, spectrum_blocks(3, 16, 4, score_format)))
        t = tile_scores(case, shape, 2, score_format)
        inputs += score_beats(t, shape)
        expected += expected_prob_beats(run_golden(t, shape, cfg), shape)
    dut = BapsDatapath(br=3, bc=16, lanes=4, link_depth=3, impl=impl, stages=stages,
                       score_format=score_format, p_format=p_format)
    run = run_stream(dut, inputs, seed=5, idle=0.15, stall=0.25, drain=64)
    assert run.outputs == expected


def test_the_datapath_check_catches_a_wrong_p_format():
    """The same tile through a datapath built for another P format does not match: the check
    above sees the format."""
    shape = TileShape(br=3, bc=16, lanes=4, blocks=4)
    t = tile_scores("medium", shape, 2, "u4.4")
    res = run_golden(t, shape, BapsConfig(bc=16, score_format="u4.4", p_format="fp16"))
    dut = BapsDatapath(br=3, bc=16, lanes=4, score_format="u4.4", p_format="q1.15")
    run = run_stream(dut, score_beats(t, shape), seed=5, idle=0.0, stall=0.0)
    assert run.outputs != expected_prob_beats(res, shape)
