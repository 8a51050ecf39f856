"""The FP32 distance and EXP2 of the E4M3 P-cast datapath against their golden definitions:
numpy's float32 subtraction (RNE, subnormals) and ``golden.exp2_fp32``."""

import numpy as np
import pytest
from amaranth import Signal

from baps_rtl.golden.exp2_fp32 import FRAC, X_SATURATE, exp2_fp32_fixed, fixed_of_difference
from baps_rtl.hdl.exp2_fp32 import X_WIDTH, exp2_fp32_logic, fp32_distance

from .test_fp32_arith import _evaluate


def _pairs(rng, n):
    """Ordered FP32 pairs a ≤ b: random magnitudes over the whole range, nearby values
    (cancellation), equal values, subnormals, zeros of both signs, far-apart exponents."""
    e = rng.integers(-149, 128, (n, 2))
    v = rng.uniform(1, 2, (n, 2)) * np.exp2(e.astype(np.float64)) * rng.choice([-1, 1], (n, 2))
    near = rng.normal(0, 1, (n // 4, 1)) * np.exp2(rng.integers(-20, 20, (n // 4, 1)))
    near = np.concatenate([near, near * (1 + rng.normal(0, 1e-6, (n // 4, 1)))], axis=1)
    small = rng.normal(0, 300, (n // 4, 2))                     # the range that matters
    sub = rng.integers(0, 1 << 23, (64, 2)).view(np.int64).astype(np.uint32).view(np.float32)
    special = np.array([[0.0, 0.0], [-0.0, 0.0], [0.0, -0.0], [1.0, 1.0], [-1e-45, 1e-45],
                        [-256.0, 0.0], [-255.99998, 0.0], [-3e38, 3e38], [1.0, 2.0 ** 30]])
    # equal values at every binade, both signs: b − a = 0 exactly, however large (2^34 and up
    # once came out saturated)
    equal = np.repeat(np.exp2(np.arange(-149, 128.0)) * [[1], [-1]], 2).reshape(-1, 2)
    x = np.concatenate([v, near, small, sub.astype(np.float64), special, equal,
                        [[3.4028235e38] * 2]]).astype(np.float32)
    return np.sort(x, axis=1)


def test_distance_is_the_floor_of_the_rounded_difference():
    rng = np.random.default_rng(4)
    pairs = _pairs(rng, 6000)
    a, b = pairs[:, 0], pairs[:, 1]

    def build(m):
        x, y, out = Signal(32), Signal(32), Signal(X_WIDTH)
        m.d.comb += out.eq(fp32_distance(m, x, y))
        return x, y, out

    bits = [(int(p), int(q)) for p, q in zip(a.view(np.uint32), b.view(np.uint32))]
    got = _evaluate(build, bits, dtype=np.uint64).astype(np.int64)
    with np.errstate(over="ignore"):
        d = (a - b).astype(np.float32)                      # IEEE float32, RNE
    want = fixed_of_difference(d.view(np.uint32))
    bad = np.flatnonzero(got != want)
    assert len(bad) == 0, [(a[k], b[k], got[k], want[k]) for k in bad[:3]]
    assert np.count_nonzero(want == X_SATURATE) > 100 and np.count_nonzero(want == 0) > 10


@pytest.mark.parametrize("scale_log2", [0, 8])
def test_exp2_equals_the_golden_unit(scale_log2):
    rng = np.random.default_rng(scale_log2)
    x = np.concatenate([rng.integers(0, X_SATURATE + 1, 4000), rng.integers(0, 1 << 31, 2000),
                        np.arange(0, 300), (np.arange(0, 260) << FRAC),
                        (np.arange(1, 260) << FRAC) - 1, [X_SATURATE - 1, X_SATURATE]])

    def build(m):
        xs, unused, out = Signal(X_WIDTH), Signal(1), Signal(32)
        m.d.comb += out.eq(exp2_fp32_logic(m, xs, scale_log2))
        return xs, unused, out

    got = _evaluate(build, [(int(v), 0) for v in x])
    np.testing.assert_array_equal(got, exp2_fp32_fixed(x, scale_log2))
