"""The RTL codec against golden: decode of every HiF8 and E4M3 code and of FP16/FP32 samples, and
the one rounder (``round_fixed``) for every format, bit-exact with ``golden.formats.round_fixed``
on random magnitudes, exact ties and the overflow and underflow edges."""

import random
from types import SimpleNamespace

import numpy as np
import pytest
from amaranth import Module, Signal
from amaranth.sim import Simulator

from baps_rtl.designs.beats import unpack
from baps_rtl.golden.formats import E4M3, FP16, FP32, HIF8, round_fixed
from baps_rtl.hdl import codec


def _comb(build, inputs):
    """Evaluate a combinational function of one input signal over ``inputs``."""
    m = Module()
    x, out = build(m)
    results = []

    async def bench(ctx):
        for v in inputs:
            ctx.set(x, int(v))
            results.append(ctx.get(out))

    sim = Simulator(m)
    sim.add_testbench(bench)
    sim.run()
    return results


@pytest.mark.parametrize("fmt", [HIF8, E4M3, FP16, FP32], ids=lambda f: f.name)
def test_decode_gives_the_golden_value(fmt):
    rng = np.random.default_rng(1)
    codes = (np.arange(256) if fmt.width == 8 else
             np.concatenate([rng.integers(0, 1 << fmt.width, 3000), [0, 1, fmt.sign_bit,
                                                                      fmt.nan_code]]))

    def build(m):
        code = Signal(fmt.width)
        f = codec.decode(m, fmt, code)
        return code, f.as_value()

    layout = codec.fields_layout(fmt)
    mw = codec.mantissa_width(fmt)
    for code, bits in zip(codes, _comb(build, codes)):
        f = SimpleNamespace(**unpack(layout, bits))
        value = fmt.decode(np.array([code]))[0]
        assert bool(f.nan) == bool(np.isnan(value)), hex(code)
        if np.isnan(value):
            continue
        assert bool(f.inf) == bool(np.isinf(value)), hex(code)
        assert bool(f.zero) == (value == 0), hex(code)
        if np.isfinite(value) and value != 0:
            got = (-1) ** f.sign * f.sig * 2.0 ** (f.exponent - mw)
            assert got == value, (hex(code), got, value)


def _magnitudes(width: int, frac: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    mags = [rng.getrandbits(rng.randint(1, width)) for _ in range(1500)]
    # exact ties and their neighbours at every bit position, the largest values, zero
    for p in range(1, width):
        for q in range(0, p):
            base = (1 << p) | (rng.getrandbits(p) & ~((1 << (q + 1)) - 1))
            mags += [base | (1 << q), (base | (1 << q)) - 1, (base | (1 << q)) + 1]
    mags += [0, 1, (1 << width) - 1]
    return [m & ((1 << width) - 1) for m in mags]


@pytest.mark.parametrize("fmt,width,frac", [(HIF8, 42, 23), (E4M3, 24, 12), (FP16, 40, 26),
                                            (FP32, 62, 22), (HIF8, 12, 4)],
                         ids=["hif8", "e4m3", "fp16", "fp32", "hif8-narrow"])
@pytest.mark.parametrize("sticky", [0, 1])
def test_round_fixed_equals_golden(fmt, width, frac, sticky):
    mags = _magnitudes(width, frac, seed=width + sticky)

    def build(m):
        mag = Signal(width)
        return mag, codec.round_fixed(m, fmt, mag, frac, sticky=sticky)

    got = _comb(build, mags)
    want = [round_fixed(fmt, v, frac, sticky=bool(sticky) and v > 0) for v in mags]
    bad = [(hex(v), hex(g), hex(w)) for v, g, w in zip(mags, got, want) if g != w]
    assert not bad, bad[:5]


def test_golden_round_fixed_is_the_format_rounding():
    rng = random.Random(5)
    for fmt in (HIF8, FP16, E4M3):
        for _ in range(5000):
            v, frac = rng.getrandbits(rng.randint(1, 40)), rng.randint(0, 30)
            assert round_fixed(fmt, v, frac) == int(fmt.encode(v * 2.0 ** -frac))
    # a tie below an FP32 ulp: 16 + 2^-20 rounds to even (16), 16 + 3·2^-20 up
    assert round_fixed(FP32, (16 << 22) + 4, 22) == int(FP32.encode(16.0))
    assert round_fixed(FP32, (16 << 22) + 12, 22) == int(FP32.encode(16.0 + 2.0 ** -18))
    # a sticky remainder breaks the tie upward
    assert round_fixed(FP32, (16 << 22) + 4, 22, sticky=True) == int(FP32.encode(16 + 2.0 ** -19))
    # beyond 53 bits the exact rounding still holds: 2^61 + 2^37 + 1 (a tie plus one)
    assert round_fixed(FP32, (1 << 61) + (1 << 37) + 1, 0) == int(FP32.encode(2.0 ** 61 + 2.0 ** 38))


def _fp16_boundaries() -> np.ndarray:
    """FP32 bit patterns at and next to every midpoint between adjacent FP16 values (every 9th
    pair, and all of the subnormal and the top binades), plus the overflow threshold, random
    patterns and the specials."""
    values = FP16.decode(np.arange(0x7C01)).astype(np.float64)            # +0 … +Inf
    pick = np.r_[np.arange(0, 0x0400), np.arange(0x0400, 0x7800, 9), np.arange(0x7800, 0x7C00)]
    mids = ((values[pick] + values[pick + 1]) / 2).astype(np.float32)
    near = np.concatenate([mids, np.nextafter(mids, np.float32(0)),
                           np.nextafter(mids, np.float32(np.inf))]).view(np.uint32)
    rng = np.random.default_rng(4)
    specials = np.array([0, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00001, 1,
                         0x33000000, 0x33000001, 0x477FF000, 0x477FEFFF, 0x7F7FFFFF],
                        dtype=np.uint32)
    out = np.concatenate([near, near | 0x80000000, specials,
                          rng.integers(0, 1 << 32, 4000, dtype=np.uint64).astype(np.uint32)])
    return np.unique(out)


def test_fp32_to_fp16_cast_matches_golden_and_numpy():
    """codec.cast(FP32 → FP16) on every FP16 tie (and both neighbours), the subnormal and
    overflow edges and random patterns: bit-exact with ``FP16.encode`` of the FP32 value and with
    numpy's own float32 → float16 conversion (NaN compared as NaN)."""
    codes = _fp16_boundaries()

    def build(m):
        code = Signal(32)
        return code, codec.cast(m, FP32, FP16, code)

    got = np.array(_comb(build, codes), dtype=np.uint16)
    values = codes.view(np.float32)
    with np.errstate(over="ignore", invalid="ignore"):
        golden = FP16.encode(values.astype(np.float64)).astype(np.uint16)
        theirs = values.astype(np.float16).view(np.uint16)
    nan = np.isnan(values)
    assert np.array_equal(got, golden), [hex(c) for c in codes[got != golden][:5]]
    assert np.array_equal(got[~nan], theirs[~nan]) and np.all(got[nan] == FP16.nan_code)
