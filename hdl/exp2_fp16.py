"""``Exp2FP16``: the FP16 EXP2 baseline, 2^x correctly rounded (RNE) for all 65,536 inputs."""

from __future__ import annotations

from amaranth import C, Cat, Const, Mux, Signal, signed, unsigned

from ..golden import exp2_fp16_model as model
from .pipeline import StreamPipeline

__all__ = ["Exp2FP16"]


ACCURACIES = tuple(model.DESIGNS)


class Exp2FP16(StreamPipeline):
    """2^x of an FP16 code to FP16, subnormal outputs, overflow → +Inf, NaN → 0x7E00.

    ``accuracy="correct"``: correctly rounded (RNE) for all inputs (64-segment quadratic for 2^f,
    28-bit fraction). ``accuracy="faithful"``: within 1 ulp, exact where 2^x is representable
    (16-segment linear, 14-bit fraction). Bit-exact with ``golden.exp2_fp16_model``.
    Streams: one FP16 code per beat in and out; latency 2 cycles, one result per cycle.
    """

    latency = 2

    def __init__(self, *, accuracy: str = "correct"):
        if accuracy not in ACCURACIES:
            self.reject(f"accuracy={accuracy!r} is not allowed; allowed: {', '.join(ACCURACIES)}")
        self._design = model.DESIGNS[accuracy]
        super().__init__(unsigned(16), unsigned(16))

    @property
    def accuracy(self) -> str:
        return self._design.name

    def datapath(self, m, x, reg):
        d = self._design
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
        seg = f[model.F_BITS - d.seg_bits:]
        rt = f[d.r_drop:model.F_BITS - d.seg_bits]

        tables = model.coefficients(d)
        coeffs = [Signal(range(int(t.max()) + 1), name=f"c{k}") for k, t in enumerate(tables)]
        with m.Switch(seg):
            for i in range(1 << d.seg_bits):
                with m.Case(i):
                    m.d.comb += [c.eq(int(t[i])) for c, t in zip(coeffs, tables)]

        special, special_code = reg(special), reg(special_code)
        n, rt = reg(n), reg(rt)
        coeffs = [reg(c) for c in coeffs]

        # Stage 2: y ≈ 2^f·2^p, one RNE rounding at p−10 (+ the subnormal shift), pack.
        width = d.p + 2
        y = Signal(width)
        poly = coeffs[0] + ((coeffs[1] * rt) >> d.s1)
        if d.b2 is not None:
            poly = poly + ((coeffs[2] * ((rt * rt) >> d.q)) >> d.s2)
        m.d.comb += y.eq(poly)
        normal = n >= -14
        drop = Signal(range(width))
        m.d.comb += drop.eq(Mux(normal, d.p - 10, d.p - 24 - n))
        q = Signal(12)
        half = Signal(width)
        rem = Signal(width)
        m.d.comb += [
            half.eq((Const(1, width) << drop) >> 1),
            rem.eq(y & ((Const(1, width) << drop) - 1)),
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
