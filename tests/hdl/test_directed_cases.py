"""Directed inputs, each a bug the random and named tiles once let through (found by planting
single-point bugs in a copy of the code). Each test states the right answer by hand, checks the
golden model gives it and runs the hardware in the Amaranth simulator against the golden model,
so a bug in either side fails it."""

import numpy as np
import pytest

from baps_rtl.designs import Config
from baps_rtl.designs.beats import pack, unpack
from baps_rtl.golden.baps_stream import TileShape, score_beats
from baps_rtl.golden.formats import FP32, get_format
from baps_rtl.sim.amaranth_stream import run_stream

INF = np.inf


def run_tile(design: str, values: dict, rows, seed: int = 1) -> list[dict]:
    """The output beats of one tile (``rows``: br × blocks·bc scores) from the golden model,
    after checking that the hardware gives the same, beat for beat, under random idles and
    backpressure."""
    config = Config.of(design, values)
    p = config.params
    t = np.array(rows, dtype=np.float32)
    in_layout, out_layout = p.layouts()
    inputs = [pack(in_layout, b)
              for b in score_beats(t, TileShape(p.br, p.bc, p.lanes, t.shape[1] // p.bc))]
    want = config.expected(inputs)
    run = run_stream(config.build(), inputs, seed=seed, idle=0.2, stall=0.3, drain=400)
    assert [pack(out_layout, o) for o in run.outputs] == want, config.module_name
    return [unpack(out_layout, v) for v in want]


def row_p(beats: list[dict], row: int = 0) -> list[int]:
    return [c for b in beats if b["row"] == row for c in b["p"]]


def row_l(beats: list[dict], row: int = 0) -> int:
    [end] = [b for b in beats if b["row"] == row and b["end_of_row"]]
    return end["l"]


def values_of(codes, fmt: str) -> list[float]:
    return [float(v) for v in get_format(fmt).decode(np.array(codes, dtype=np.int64))]


def test_a_minus_inf_score_is_clamped_to_the_running_max_minimum():
    """t = [−1, −Inf]: m = ⌈−1⌉ = −1, so x = [0, −Inf] and P = [1, 0], l = 1 (a −Inf left
    unclamped gives m = 0 and P = [0.5, 0.5])."""
    beats = run_tile("baps_datapath", {"br": 1, "bc": 2, "lanes": 2}, [[-1.0, -INF]])
    assert values_of(row_p(beats), "hif8") == [1.0, 0.0]
    assert row_l(beats) == FP32.encode(np.array([1.0]))[0]


@pytest.mark.parametrize("score_format,p_first", [("u4.4", 1.0), ("e4m3", 1 + 2.0 ** -10)])
def test_a_score_just_above_a_saturated_running_max_is_positive(score_format, p_first):
    """m_width 16 saturates the running max at 32767; t = 32767 + 2^−9 is above it: a positive
    x, not a far score (P = 0). u4.4 has no positive code and gives x = 0, P = 1; E4M3 carries
    x = 2^−9 (its smallest subnormal), P = FP16(2^(2^−9)) = 1 + 2^−10 (``docs/spec/baps.md``:
    when m saturates, P can exceed 1)."""
    beats = run_tile("baps_datapath", {"br": 1, "bc": 2, "lanes": 2, "m_width": 16,
                                       "score_format": score_format, "p_format": "fp16"},
                     [[32767 + 2.0 ** -9, -1e9]])
    assert values_of(row_p(beats), "fp16") == [p_first, 0.0]


def test_nan_wins_over_plus_inf_in_the_row_sum():
    """A row with a NaN and a +Inf: l is NaN (0x7FC00000), whichever comes first, in one beat or
    in two (then the +Inf flag is set too, and must lose)."""
    for values, row in (({"bc": 2}, [np.nan, INF]), ({"bc": 2}, [INF, np.nan]),
                        ({"bc": 4}, [np.nan, 0.0, INF, 0.0]), ({"bc": 4}, [INF, 0.0, np.nan, 0.0])):
        beats = run_tile("baps_datapath", {"br": 1, "lanes": 2, **values}, [row])
        assert row_l(beats) == 0x7FC00000


def test_softermax_row_sum_saturates_instead_of_wrapping():
    """1,024 scores of 0.0: d reaches 2^16 and saturates; every p is 0 (a wrapping d gives a
    tiny d and p = 255)."""
    beats = run_tile("softermax_datapath", {"br": 1, "bc": 64, "lanes": 8, "blocks": 16},
                     [[0.0] * 1024])
    assert set(row_p(beats)) == {0}


def test_softermax_fully_masked_beat_does_not_set_the_running_max():
    """[0, −Inf, 0] one score per beat: the masked beat leaves m at 0; p = [64, 0, 64] (0.5 in
    Q1.7; a masked beat that sets m gives 128)."""
    beats = run_tile("softermax_datapath", {"br": 1, "bc": 3, "lanes": 1, "blocks": 1},
                     [[0.0, -INF, 0.0]])
    assert row_p(beats) == [64, 0, 64]


def test_softermax_reciprocal_chord_product_is_truncated():
    """[0, −1.25, −0.5, 0]: p = [41, 17, 29, 41] (a rounded chord product gives 28 for the
    third)."""
    beats = run_tile("softermax_datapath", {"br": 1, "bc": 4, "lanes": 4, "blocks": 1},
                     [[0.0, -1.25, -0.5, 0.0]])
    assert row_p(beats) == [41, 17, 29, 41]


def test_e4m3_pcast_key_equal_to_a_huge_running_max():
    """A key equal to a running max ≥ 2^34: t − m = 0 exactly, P = E4M3(256·2^0) = 0x78 and
    l = 256 (once P = 0 and l = 0: the zero difference saturated in the FP32 distance); a repeated
    max of −2^34 the same way."""
    for row in ([2.0 ** 34, 0.0], [-(2.0 ** 34), -(2.0 ** 34)]):
        beats = run_tile("e4m3_pcast_datapath", {"br": 1, "bc": 2, "lanes": 2}, [row])
        p = row_p(beats)
        assert p[0] == 0x78 and row_l(beats) == FP32.encode(np.array([256.0 * p.count(0x78)]))[0]


def test_the_row_sum_saturates_at_its_integer_bits():
    """l_int_bits = 1: four scores of 0.0 sum to 4, above l's range; l saturates to its largest
    value, just under 2 (a wrapping sum gives 0)."""
    beats = run_tile("baps_datapath", {"br": 1, "bc": 4, "lanes": 2, "l_int_bits": 1},
                     [[0.0, 0.0, 0.0, 0.0]])
    [l] = FP32.decode(np.array([row_l(beats)], dtype=np.int64))
    assert 1.999 < l < 2.0
