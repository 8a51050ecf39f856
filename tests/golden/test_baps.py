"""The bit-exact BAPS model: against a scalar exact re-implementation, the named corner cases, and
the error metrics against float64."""

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest

from baps_rtl.golden.baps import (P_FORMAT, SCORE_FORMAT, BapsConfig, attention_output,
                                  baps_softmax, code_of_difference, hif8_of_difference,
                                  reference_softmax, softmax_errors)
from baps_rtl.golden.exp2 import exp2_reference
from baps_rtl.golden.formats import FP32, HIF8, get_format

COMBOS = [(s, p) for s in SCORE_FORMAT.choices for p in P_FORMAT.choices]


def scalar_model(row, cfg):
    """One row, element by element, with exact rationals: an independent re-implementation."""
    x_fmt, p_fmt = get_format(cfg.score_format), get_format(cfg.p_format)
    exp2 = exp2_reference(cfg.score_format, cfg.p_format)
    unit = 2 ** cfg.l_frac_bits
    m = None
    l = Fraction(0)
    nan = inf = False
    xs, ps = [], []
    for j in range(len(row) // cfg.bc):
        blk = [float(v) for v in row[j * cfg.bc:(j + 1) * cfg.bc]]
        finite = [v for v in blk if not math.isnan(v)]
        b = max(finite) if finite else -math.inf
        c = cfg.m_max if b == math.inf else cfg.m_min if b == -math.inf else \
            min(max(math.ceil(b), cfg.m_min), cfg.m_max)
        m_new = c if m is None else max(m, c)
        if m is not None:
            l = Fraction(math.floor(l * unit / 2 ** (m_new - m)), unit)
        m = m_new
        for v in blk:
            if math.isnan(v):
                x = x_fmt.nan_code
            elif math.isinf(v):
                x = int(x_fmt.encode(v))
            else:
                with mpmath.workprec(400):
                    x = x_fmt.round_exact(mpmath.mpf(v) - m)
            p = int(exp2[x])
            xs.append(x)
            ps.append(p)
            pv = p_fmt.decode([p])[0]
            if np.isnan(pv):
                nan = True
            elif np.isinf(pv) or pv > 1:
                inf = True
            else:
                l += Fraction(pv)
        l = min(l, Fraction(cfg.l_max, unit))
    return xs, ps, l, nan, inf


def random_tile(rng, rows, n):
    mag = np.exp2(rng.uniform(-70, 6, (rows, n)))
    t = (mag * rng.choice([-1, 1], (rows, n))).astype(np.float32)
    t[:, ::7] = rng.integers(-20, 20, (rows, len(range(0, n, 7))))      # integers: exact ties
    t[:, 3::11] += 0.5
    return t


@pytest.mark.parametrize("score_format,p_format", COMBOS)
def test_model_equals_the_exact_scalar_reimplementation(score_format, p_format):
    rng = np.random.default_rng(7)
    cfg = BapsConfig(bc=8, score_format=score_format, p_format=p_format)
    t = random_tile(rng, 12, 40)
    t[2, 5] = np.nan
    t[3, 9] = np.inf
    t[4, :] = -np.inf
    t[5, 8:16] = -np.inf
    r = baps_softmax(t, cfg)
    for i, row in enumerate(t):
        xs, ps, l, nan, inf = scalar_model(row, cfg)
        assert r.x[i].tolist() == xs, i
        assert r.p[i].tolist() == ps, i
        expected = np.nan if nan else np.inf if inf else float(l)
        assert FP32.encode(expected) == r.l_fp32[i], (i, expected, r.l[i])
        if not (nan or inf):
            assert Fraction(int(r.l_fixed[i]), 2 ** cfg.l_frac_bits) == l


@pytest.mark.parametrize("score_format", SCORE_FORMAT.choices)
def test_every_score_code_rounds_the_difference_once(score_format):
    fmt = get_format(score_format)
    rng = np.random.default_rng(4)
    t = (np.exp2(rng.uniform(-30, 6, 4000)) * rng.choice([-1, 1], 4000)).astype(np.float32)
    m = rng.integers(-40, 40, 4000)
    mids = fmt.midpoints[fmt.midpoints < 60]              # x exactly on a boundary, ± a hair
    t = np.concatenate([t, (m[:len(mids)] - mids).astype(np.float32),
                        (m[:len(mids)] - mids + 2.0 ** -30).astype(np.float32)])
    m = np.concatenate([m, m[:len(mids)], m[:len(mids)]])
    got = code_of_difference(fmt, t, m)
    with mpmath.workprec(400):
        want = [fmt.round_exact(mpmath.mpf(float(a)) - int(b)) for a, b in zip(t, m)]
    assert got.tolist() == want


def test_distance_codes_specials_are_far_or_zero():
    """A distance code has no NaN: a NaN score is far (P = 0, l stays finite), −Inf too; a
    score above the saturated max clamps to x = 0 (P = 1, not P > 1)."""
    cfg = BapsConfig(bc=4, m_width=4, score_format="u4.4", p_format="fp16")
    t = np.array([[np.nan, 0.0, -np.inf, -1.0], [20.0, 5.0, 1.0, -30.0]], dtype=np.float32)
    r = baps_softmax(t, cfg)
    assert r.x[0].tolist() == [255, 0, 255, 16] and r.m[:, 0].tolist() == [0, 7]
    assert r.x[1].tolist() == [0, 32, 96, 255]
    assert r.l.tolist() == [1.5, 1.0 + 0.25 + 2.0 ** -6]
    q = BapsConfig(bc=4, score_format="hif8", p_format="q1.15")
    assert np.isinf(baps_softmax(t, q).l[0])              # qI.F P of NaN: top code, l = +Inf


def test_difference_is_rounded_once_from_the_exact_value():
    rng = np.random.default_rng(3)
    t = (np.exp2(rng.uniform(-80, 5, 20_000)) * rng.choice([-1, 1], 20_000)).astype(np.float32)
    m = rng.integers(-40, 40, 20_000)
    got = hif8_of_difference(t, m)
    with mpmath.workprec(400):
        want = [HIF8.round_exact(mpmath.mpf(float(a)) - int(b)) for a, b in zip(t, m)]
    assert got.tolist() == want


def test_double_rounding_case_of_the_spec():
    """t = 2^-60 with m = 18: t − m in float64 is exactly −18, a HiF8 midpoint (16 | 20), which TA
    would round to −20; the exact value −18 + 2^-60 rounds to −16."""
    t = np.array([[2.0 ** -60, 17.5] + [-100.0] * 6], dtype=np.float32)
    r = baps_softmax(t, BapsConfig(bc=8))
    assert r.m[0, 0] == 18
    assert HIF8.decode(r.x[0, :1])[0] == -16.0
    assert HIF8.decode(HIF8.encode([float(t[0, 0]) - 18.0]))[0] == -20.0    # the double rounding


def test_all_equal_rows_give_exactly_uniform_probabilities():
    t = np.full((3, 64), 2.3, dtype=np.float32)
    t[1] = -7.0
    t[2] = 0.0
    r = baps_softmax(t, BapsConfig(bc=16))
    q = r.weights() / r.l[:, None]
    np.testing.assert_array_equal(q, np.full((3, 64), 1 / 64))
    assert np.all(softmax_errors(t, r)["max_abs"] < 1e-15)


def test_one_dominant_score():
    t = np.zeros((1, 32), dtype=np.float32)
    t[0, 17] = 100.0
    r = baps_softmax(t, BapsConfig(bc=8))
    assert r.m[0].tolist() == [0, 0, 100, 100]          # the max arrives in block 2
    assert r.shift[0].tolist() == [0, 0, -100, 0]
    assert r.p[0, 17] == 0x08 and r.l[0] == 1.0          # earlier blocks' sum shifted out
    assert softmax_errors(t, r)["max_abs"][0] < 1e-20


def test_masked_rows_nan_and_inf_are_defined():
    t = np.zeros((4, 16), dtype=np.float32)
    t[0] = -np.inf                                       # fully masked
    t[1, 3] = np.nan
    t[2, 5] = np.inf
    t[3, :8] = -np.inf                                   # first block masked
    r = baps_softmax(t, BapsConfig(bc=8))
    assert r.l[0] == 0.0 and np.all(r.p[0] == 0) and np.all(r.x[0] == HIF8.neg_inf_code)
    assert np.isnan(r.l[1]) and r.p[1, 3] == HIF8.nan_code and r.p[1, 4] == 0x08
    assert np.isinf(r.l[2]) and r.p[2, 5] == HIF8.pos_inf_code
    assert r.m[3].tolist() == [BapsConfig().m_min, 0] and r.l[3] == 8.0
    o = attention_output(r, np.ones((16, 2)))
    assert np.all(o[0] == 0) and np.all(o[3] == 1.0)


@pytest.mark.parametrize("center", [2.0 ** 14, -(2.0 ** 14)])
def test_rows_far_from_zero(center):
    rng = np.random.default_rng(5)
    t = (center + rng.normal(0, 2, (8, 128))).astype(np.float32)
    r = baps_softmax(t, BapsConfig(bc=32))
    shifted = (t.astype(np.float64) - center).astype(np.float32)     # exact: same spacing
    r0 = baps_softmax(shifted, BapsConfig(bc=32))
    np.testing.assert_array_equal(r.p, r0.p)             # only t − m matters
    assert np.all(r.m - r0.m == int(center))


def test_running_max_saturates_at_its_width():
    t = np.array([[40000.0] * 4, [-40000.0] * 4], dtype=np.float32)
    r = baps_softmax(t, BapsConfig(bc=4, m_width=16))
    assert r.m[:, 0].tolist() == [32767, -32768]


def test_rescale_truncates_below_2_pow_minus_22():
    t = np.array([[-20.0, -20.5, -21.0, -22.25, -1.0, -1.5, -30.0, -30.0]], dtype=np.float32)
    r = baps_softmax(t, BapsConfig(bc=4))
    assert r.m[0].tolist() == [-20, -1] and r.shift[0].tolist() == [0, -19]
    units = (HIF8.decode(r.p[0]) * 2 ** 22).astype(np.int64)
    block0 = int(units[:4].sum())
    assert block0 % 2 ** 19 != 0                          # the shift drops set bits
    assert r.l_fixed[0] == (block0 >> 19) + int(units[4:].sum())


def test_reference_softmax_and_metrics_detect_a_broken_softmax():
    rng = np.random.default_rng(11)
    t = rng.normal(0, 1, (16, 128)).astype(np.float32)
    v = rng.normal(0, 1, (128, 8))
    ref = reference_softmax(t)
    np.testing.assert_allclose(ref.sum(axis=1), 1.0)
    np.testing.assert_allclose(ref[0], np.exp(t[0] * np.log(2)) / np.exp(t[0] * np.log(2)).sum())
    r = baps_softmax(t, BapsConfig(bc=32))
    good = softmax_errors(t, r, v)
    assert good["max_abs"].max() < 0.01 and good["kl"].max() < 0.01 and good["o_rel"].max() < 0.2
    r.p = r.p[:, ::-1].copy()                            # probabilities on the wrong keys
    bad = softmax_errors(t, r, v)
    for metric in ("max_abs", "kl", "o_rel"):
        assert bad[metric].mean() > 5 * good[metric].mean(), metric


def test_bad_config_and_shapes_are_named():
    with pytest.raises(ValueError, match=r"bc=0 is not allowed; allowed: integers 1..4096"):
        BapsConfig(bc=0)
    with pytest.raises(ValueError, match=r"key count 30 is not a positive multiple of bc=8"):
        baps_softmax(np.zeros((2, 30)), BapsConfig(bc=8))
    with pytest.raises(ValueError, match=r"scores must be 2-D"):
        baps_softmax(np.zeros(30), BapsConfig(bc=8))
