"""The FP16 online-softmax baseline's bit-exact model: against an element-by-element exact
re-implementation (rationals, numpy's own FP16 casts, the mpmath EXP2 table), its named cases,
and its error against the float64 softmax, measured and bounded."""

import math
from fractions import Fraction

import numpy as np
import pytest

from baps_rtl.golden.baps import softmax_errors
from baps_rtl.golden.exp2 import exp2_reference
from baps_rtl.golden.formats import FP16
from baps_rtl.golden.fp16_datapath import Fp16DatapathConfig, fp16_softmax

EXP2 = exp2_reference("fp16", "fp16")          # correctly rounded, from mpmath


def _fp32_of(value: Fraction) -> float:
    """An exact rational rounded once to FP32 (RNE), for the normal range this test meets."""
    if value == 0:
        return 0.0
    e = math.floor(math.log2(abs(value)))
    while abs(value) >= Fraction(2) ** (e + 1):
        e += 1
    while abs(value) < Fraction(2) ** e:
        e -= 1
    assert -126 <= e <= 127, value
    scaled = value / Fraction(2) ** (e - 23)                 # 2^23 ≤ |scaled| < 2^24
    q = round(scaled)                                        # Python rounds ties to even
    return float(Fraction(q) * Fraction(2) ** (e - 23))


def _half(value: float) -> float:
    return float(np.float16(value))                          # numpy's float64 → FP16 (RNE)


def _scalar_model(t: np.ndarray, bc: int):
    """Row by row, key by key: the spec's recurrence with exact rationals."""
    rows, n = t.shape
    out_p = np.zeros((rows, n))
    out_l = []
    for r in range(rows):
        m, l = -math.inf, 0.0
        for j in range(n // bc):
            with np.errstate(over="ignore"):                  # 70000 casts to +Inf
                s = [float(np.float16(np.float32(v))) for v in t[r, j * bc:(j + 1) * bc]]
            b = max((v for v in s if not math.isnan(v)), default=-math.inf)
            m_new = max(m, b)
            block = Fraction(0)
            special = None
            for k, v in enumerate(s):
                if math.isnan(v) or (math.isinf(v) and v == m_new):
                    x = math.nan if not (v == -math.inf) else -math.inf
                elif math.isinf(v) or math.isinf(m_new):
                    x = -math.inf
                else:
                    x = _half(float(Fraction(v) - Fraction(m_new)))
                p = float(FP16.decode(EXP2[int(FP16.encode(np.array([x]))[0])]))
                out_p[r, j * bc + k] = p
                if math.isnan(p):
                    special = math.nan
                else:
                    block += Fraction(p)
            if m == -math.inf:
                alpha = 0.0
            else:
                d = math.nan if m == m_new == math.inf else (
                    -math.inf if math.isinf(m_new) else _half(float(Fraction(m) - Fraction(m_new))))
                alpha = float(FP16.decode(EXP2[int(FP16.encode(np.array([d]))[0])]))
            if special is not None or math.isnan(alpha) or math.isnan(l):
                l = math.nan
            else:
                scaled = _fp32_of(Fraction(alpha) * Fraction(l))
                l = _fp32_of(Fraction(scaled) + Fraction(_fp32_of(block)))
            m = m_new
        out_l.append(l)
    return out_p, np.array(out_l)


@pytest.mark.parametrize("sigma,bc", [(1.0, 8), (4.0, 16), (12.0, 4)])
def test_model_equals_the_exact_scalar_reimplementation(sigma, bc):
    rng = np.random.default_rng(int(sigma * 10) + bc)
    t = (rng.normal(0, sigma, (6, 4 * bc)) + np.arange(4 * bc) * 0.3).astype(np.float32)
    t[1, :bc] = -np.inf                                   # masked first block
    t[2, 3] = np.nan
    t[3, bc + 1] = np.inf
    t[4, -1] = 70000.0                                    # casts to +Inf
    t[5, :] = -np.inf                                     # fully masked row
    result = fp16_softmax(t, Fp16DatapathConfig(bc=bc))
    p, l = _scalar_model(t, bc)
    np.testing.assert_array_equal(result.p_values, p)
    np.testing.assert_array_equal(result.l, l)


def test_the_scalar_reimplementation_can_disagree():
    """Break the model's input once: the comparison above must be able to fail."""
    t = np.random.default_rng(3).normal(0, 2, (2, 16)).astype(np.float32)
    _, l = _scalar_model(t, 8)
    broken = t.copy()
    broken[0, 0] += 0.5
    assert not np.array_equal(fp16_softmax(broken, Fp16DatapathConfig(bc=8)).l, l)


def test_all_equal_rows_and_masked_rows():
    t = np.full((2, 32), 2.3, dtype=np.float32)
    t[1] = -np.inf
    r = fp16_softmax(t, Fp16DatapathConfig(bc=8))
    assert np.all(r.p_values[0] == 1.0) and r.l[0] == 32.0
    assert np.all(r.p_values[1] == 0.0) and r.l[1] == 0.0 and np.all(r.weights()[1] == 0)


def test_alpha_is_zero_on_the_first_block_and_rescales_a_later_larger_max():
    t = np.zeros((1, 16), dtype=np.float32)
    t[0, 8:] = 3.0                                        # second block: max 0 → 3
    r = fp16_softmax(t, Fp16DatapathConfig(bc=8))
    assert FP16.decode(r.alpha[0]).tolist() == [0.0, 0.125]
    assert r.l[0] == np.float32(8 * 0.125 + 8)
    assert np.allclose(r.weights()[0, :8], 0.125) and np.all(r.weights()[0, 8:] == 1.0)


@pytest.mark.parametrize("accuracy", ["correct", "faithful"])
def test_error_against_the_float64_softmax_is_bounded(accuracy):
    """Seeded tiles, σ 0.5–16 with a sink. Casting t and m to FP16 moves x = t − m by at most
    one ulp of max |t|, rounding x and p add 2^−11 relative each (twice that for the faithful
    unit), so every probability is within ln 2·(ulp + 2^−10) + 2^−10 of the float64 softmax.
    Measured worst |Δp| (correct): 1.1e-5, 5.8e-4, 1.0e-3, 3.0e-3 for σ = 0.5, 2, 8, 16 — the
    cast of large scores dominates (BAPS-HiF8 on the same tiles: 1.1e-3 … 2.6e-2)."""
    rng = np.random.default_rng(11)
    for sigma in (0.5, 2.0, 8.0, 16.0):
        t = rng.normal(0, sigma, (16, 256)).astype(np.float32)
        t[:, :4] += 3 * sigma                              # a sink
        e = softmax_errors(t, fp16_softmax(t, Fp16DatapathConfig(bc=64, accuracy=accuracy)))
        top = float(np.abs(t).max())
        ulp = 2.0 ** (math.floor(math.log2(top)) - 10)
        bound = math.log(2) * (ulp + 2 ** -10) + 2 ** -10
        assert 0 < e["max_abs"].max() < bound, (sigma, e["max_abs"].max(), bound)


@pytest.mark.parametrize("change,message", [
    ({"bc": 0}, "bc=0"),
    ({"accuracy": "exact"}, "accuracy='exact'"),
])
def test_bad_config_is_named(change, message):
    with pytest.raises(ValueError, match=message):
        Fp16DatapathConfig(**change)


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match="key count 10 is not a positive multiple of bc=8"):
        fp16_softmax(np.zeros((2, 10)), Fp16DatapathConfig(bc=8))
    with pytest.raises(ValueError, match="must be 2-D"):
        fp16_softmax(np.zeros(8), Fp16DatapathConfig(bc=8))
