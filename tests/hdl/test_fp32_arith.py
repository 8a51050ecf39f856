"""The FP16 baseline's FP32 multiply and add, bit-exact with numpy's float32 arithmetic (IEEE,
RNE) over their contract: α an FP16 value in [0, 1] (subnormals, 0 and 1 included) times l in
{0} ∪ [1, 2^64); sums of such products and block sums S ∈ {0} ∪ [2^−24, 2^13)."""

import numpy as np
from amaranth import Module, Signal
from amaranth.sim import Simulator

from baps_rtl.golden.formats import FP16, FP32
from baps_rtl.hdl import codec
from baps_rtl.hdl.fp32_arith import add_fp32, mul_fp32


def _evaluate(build, pairs, dtype=np.uint32):
    m = Module()
    a, b, out = build(m)
    results = []

    async def bench(ctx):
        for x, y in pairs:
            ctx.set(a, int(x))
            ctx.set(b, int(y))
            results.append(ctx.get(out))

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    return np.array(results, dtype=dtype)


def _alphas(rng, n):
    one_below = np.arange(0, 0x3C01, dtype=np.uint16)          # every FP16 in [0, 1]
    return np.concatenate([rng.choice(one_below, n - 4), [0, 1, 0x3BFF, 0x3C00]]).astype(np.uint16)


def _sums(rng, n):
    l = np.exp2(rng.uniform(0, 64, n)).astype(np.float32)
    l[:4] = [0.0, 1.0, np.nextafter(np.float32(1), np.float32(2)), 2.0 ** 24]
    return l


def test_alpha_times_l_is_rounded_once():
    rng = np.random.default_rng(5)
    alpha = _alphas(rng, 6000)
    l = _sums(rng, 6000)

    def build(m):
        a, b = Signal(16), Signal(32)
        return a, b, mul_fp32(m, codec.decode(m, FP16, a), codec.decode(m, FP32, b))

    got = _evaluate(build, zip(alpha, l.view(np.uint32)))
    want = (FP16.decode(alpha).astype(np.float32) * l).view(np.uint32)
    exact = FP16.decode(alpha) * l.astype(np.float64)
    assert np.count_nonzero(exact != want.view(np.float32)) > 3000     # the samples round
    bad = np.flatnonzero(got != want)
    assert len(bad) == 0, [(hex(alpha[k]), float(l[k]), hex(got[k]), hex(want[k])) for k in bad[:4]]


def test_sum_of_two_non_negative_fp32_is_rounded_once():
    rng = np.random.default_rng(6)
    a = _sums(rng, 6000)
    b = np.where(rng.random(6000) < 0.5, np.exp2(rng.uniform(-24, 13, 6000)),
                 a * rng.uniform(0.5, 2.0, 6000)).astype(np.float32)   # near a: carries, ties
    b[:6] = [0.0, 0.0, 2.0 ** -24, 1.0, 2.0 ** 24, 3.0]
    a[:6] = [0.0, 5.0, 2.0 ** 24, 2.0 ** 24, 1.0, 2.0 ** 24 + 2]

    def build(m):
        x, y = Signal(32), Signal(32)
        return x, y, add_fp32(m, x, y)

    got = _evaluate(build, zip(a.view(np.uint32), b.view(np.uint32)))
    want = (a + b).view(np.uint32)
    exact = a.astype(np.float64) + b.astype(np.float64)
    assert np.count_nonzero(exact != want.view(np.float32)) > 3000     # the samples round
    carries = np.frexp(want.view(np.float32))[1] > np.frexp(np.maximum(a, b))[1]
    assert np.count_nonzero(carries) > 500                            # the sum changes binade
    bad = np.flatnonzero(got != want)
    assert len(bad) == 0, [(float(a[k]), float(b[k]), hex(got[k]), hex(want[k])) for k in bad[:4]]
