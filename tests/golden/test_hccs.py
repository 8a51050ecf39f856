"""The HCCS golden model against a per-key restatement with exact rational reciprocals."""

from fractions import Fraction

import numpy as np
import pytest

from baps_rtl.golden.fixed_scores import FixedScoreFormat
from baps_rtl.golden.hccs import HccsConfig, HccsHead, hccs


def _scalar(row, head, frac_bits, reciprocal):
    codes = [int(c) for c in FixedScoreFormat(frac_bits).encode(row)]
    valid = [c for c in codes if c != -128]
    if not valid:
        return [0] * len(codes)
    big = max(valid)
    s = [0 if c == -128 else head.b - head.s * min(big - c, head.dmax) for c in codes]
    total = sum(s)
    if total == 0:
        return [0] * len(codes)
    if reciprocal == "exact":
        inv = int(Fraction(255 << 15, total))                    # floor
        return [min((v * inv) >> 15, 255) for v in s]
    k = total.bit_length() - 1
    return [min((255 * v) >> k, 255) for v in s]


@pytest.mark.parametrize("reciprocal", ["exact", "pow2"])
@pytest.mark.parametrize("frac_bits", [0, 3, 7])
def test_golden_equals_the_per_key_restatement(reciprocal, frac_bits):
    rng = np.random.default_rng(frac_bits)
    t = rng.normal(0, 4, (5, 48)).astype(np.float32)
    t[0, 2] = -np.inf
    t[1] = -np.inf
    heads = [HccsHead(320, 8, 40), HccsHead(0, 0, 0), HccsHead(16129, 127, 127),
             HccsHead(600, 5, 100), HccsHead(32767, 0, 0)]
    got = hccs(t, HccsConfig(frac_bits, reciprocal), heads).p
    want = np.array([_scalar(r, h, frac_bits, reciprocal) for r, h in zip(t, heads)])
    np.testing.assert_array_equal(got, want)
    assert got.max() > 0


def test_one_head_for_all_rows_and_a_uniform_row():
    t = np.zeros((2, 8), dtype=np.float32)
    p = hccs(t, HccsConfig(), HccsHead(320, 8, 40)).p
    np.testing.assert_array_equal(p, np.full((2, 8), 31))        # floor(255/8)


@pytest.mark.parametrize("head,message", [
    ((100, 2, 51), r"b=100 is below s·dmax = 2·51 = 102"),
    ((40000, 1, 1), r"b=40000 is not allowed; allowed: integers 0..32767"),
    ((10, 128, 0), r"s=128 is not allowed"),
])
def test_bad_heads_are_named(head, message):
    with pytest.raises(ValueError, match=message):
        HccsHead(*head)


def test_head_count_must_match_the_rows():
    with pytest.raises(ValueError, match=r"2 heads for 3 rows"):
        hccs(np.zeros((3, 4)), HccsConfig(), [HccsHead(1, 0, 0)] * 2)
