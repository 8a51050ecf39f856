"""``Exp2FP16``: the FP16 EXP2 baseline, 2^x correctly rounded (RNE) for all 65,536 inputs."""

from __future__ import annotations

from amaranth import C, Cat, Const, Mux, Signal, signed, unsigned

from ..golden import exp2_fp16_model as model
from .pipeline import StreamPipeline

__all__ = ["Exp2FP16"]


class Exp2FP16(StreamPipeline):
    """2^x of an FP16 code to FP16 (RNE), subnormal outputs, overflow → +Inf, NaN → 0x7E00.

    Bit-exact with ``golden.exp2_fp16_model`` (range reduction x = n + f, 64-segment quadratic
    for 2^f with a 28-bit fraction, one RNE rounding at a position set by n). Streams: one FP16
    code per beat in and out; latency 2 cycles, one result per cycle.
    """

    latency = 2

    def __init__(self):
        super().__init__(unsigned(16), unsigned(16))

    def datapath(self, m, x, reg):
        sign, exp, man = x[15], x[10:15], x[:10]
        mag = x[:15]
        # Stage 1: specials, exact fixed point X = x·2^22, segment lookup.
        special = Signal()
        special_code = Signal(16)
        with m.If((exp == 31) & (man != 0)):
            m.d.comb += [special.eq(1), special_code.eq(model.NAN)]
        with m.Elif(~sign & (exp >= 19)):                       # x ≥ 16 (and +Inf)
            m.d.comb += [special.eq(1), special_code.eq(model.POS_INF)]
        with m.Elif(sign & (mag >= 0x4E40)):                     # x ≤ −25 (and −Inf)
            m.d.comb += [special.eq(1), special_code.eq(0)]
        with m.Elif(exp < 15 + model.TINY_EXP):                 # |x| < 2^−12
            m.d.comb += [special.eq(1), special_code.eq(model.ONE)]

        fixed_width = model.F_BITS + 6
        shift = Signal(5)                       # exp − 3 (relevant only for 3 ≤ exp ≤ 19)
        magnitude = Signal(fixed_width)
        m.d.comb += [shift.eq(exp - 3), magnitude.eq(Cat(man, C(1, 1)) << shift)]
        fixed = Signal(signed(fixed_width))
        m.d.comb += fixed.eq(Mux(sign, -magnitude, magnitude))
        n = fixed[model.F_BITS:].as_signed()
        f = fixed[:model.F_BITS]
        seg = f[model.R_BITS:]
        r = f[:model.R_BITS]

        c0_tab, c1_tab, c2_tab = model.coefficients()
        c0 = Signal(range(int(c0_tab.max()) + 1))
        c1 = Signal(range(int(c1_tab.max()) + 1))
        c2 = Signal(range(int(c2_tab.max()) + 1))
        with m.Switch(seg):
            for i in range(len(c0_tab)):
                with m.Case(i):
                    m.d.comb += [c0.eq(int(c0_tab[i])), c1.eq(int(c1_tab[i])),
                                 c2.eq(int(c2_tab[i]))]

        special, special_code = reg(special), reg(special_code)
        n, r, c0, c1, c2 = reg(n), reg(r), reg(c0), reg(c1), reg(c2)

        # Stage 2: y ≈ 2^f·2^P, one RNE rounding at P−10 (+ the subnormal shift), pack.
        y = Signal(model.P + 2)
        m.d.comb += y.eq(c0 + ((c1 * r) >> model.S1) + ((c2 * ((r * r) >> model.Q)) >> model.S2))
        normal = n >= -14
        drop = Signal(range(model.P + 2))
        m.d.comb += drop.eq(Mux(normal, model.P - 10, model.P - 24 - n))
        q = Signal(12)
        half = Signal(model.P + 2)
        rem = Signal(model.P + 2)
        m.d.comb += [
            half.eq((Const(1, model.P + 2) << drop) >> 1),
            rem.eq(y & ((Const(1, model.P + 2) << drop) - 1)),
            q.eq((y >> drop) + ((rem > half) | ((rem == half) & (y >> drop)[0]))),
        ]
        result = Signal(16)
        with m.If(special):
            m.d.comb += result.eq(special_code)
        with m.Elif(normal):
            m.d.comb += result.eq(((n + 15) << 10) + q - 1024)
        with m.Else():
            m.d.comb += result.eq(q)
        return reg(result)
