"""``Exp2FP16``: the FP16 EXP2 baseline, 2^x correctly rounded (RNE) for all 65,536 inputs."""

from __future__ import annotations

from amaranth import C, Cat, Mux, Signal, Value, unsigned

from ..golden import exp2_fp16_model as model
from ..golden.formats import FP16
from ..golden.params import ChoiceParam
from . import codec
from .pipeline import StreamPipeline

__all__ = ["Exp2FP16", "ACCURACY", "ACCURACIES"]

ACCURACY = ChoiceParam("accuracy", tuple(model.DESIGNS),
                       "correctly rounded (RNE) or faithful (within 1 ulp)")
ACCURACIES = ACCURACY.choices


class Exp2FP16(StreamPipeline):
    """2^x of an FP16 code to FP16, subnormal outputs, overflow → +Inf, NaN → 0x7E00.

    ``accuracy="correct"``: correctly rounded (RNE) for all inputs. ``accuracy="faithful"``:
    within 1 ulp, exact where 2^x is representable. Widths, small-|x| thresholds and patched
    inputs: ``golden.exp2_fp16_model`` (``CORRECT``, ``FAITHFUL``), with which it is bit-exact.
    Streams: one FP16 code per beat in and out; latency 2 cycles, one result per cycle.
    """

    latency = 2

    def __init__(self, *, accuracy: str = "correct"):
        try:
            ACCURACY.check(accuracy)
        except ValueError as exc:
            self.reject(str(exc))
        self._design = model.DESIGNS[accuracy]
        super().__init__(unsigned(16), unsigned(16))

    @classmethod
    def _with_widths(cls, design: model.Exp2FP16Design) -> "Exp2FP16":
        """A unit with candidate widths (the width search synthesizes candidates this way; only
        the registered accuracies are verified on the RTL)."""
        unit = cls()
        unit._design = design
        return unit

    @property
    def accuracy(self) -> str:
        return self._design.name

    def datapath(self, m, x, reg):
        d = self._design
        f = codec.decode(m, FP16, x)
        # Stage 1: specials, exact fixed point X = x·2^22, segment lookup.
        special = Signal()
        special_code = Signal(16)
        with m.If(f.nan):
            m.d.comb += [special.eq(1), special_code.eq(FP16.nan_code)]
        with m.Elif(~f.sign & codec.magnitude_at_least(FP16, x, model.X_HI)):   # x ≥ 16, +Inf
            m.d.comb += [special.eq(1), special_code.eq(FP16.inf_code)]
        with m.Elif(f.sign & codec.magnitude_at_least(FP16, x, model.X_LO)):    # x ≤ −25, −Inf
            m.d.comb += [special.eq(1), special_code.eq(0)]
        with m.Elif(~codec.magnitude_at_least(FP16, x, 2.0 ** d.small_exp)):     # small |x|
            # 1.0 ± the number of thresholds at or below |x| (model.small_steps)
            pos, neg = model.small_steps(d.small_exp)
            mag = x[:15]
            up, down = _thermometer_count(mag, pos), _thermometer_count(mag, neg)
            m.d.comb += [special.eq(1),
                         special_code.eq(Mux(f.sign, model.ONE - down, model.ONE + up))]
        if d.patches:                                     # stored results (model.patch_values)
            with m.Switch(x):
                for code, value in zip(d.patches, model.patch_values(d)):
                    with m.Case(code):
                        m.d.comb += [special.eq(1), special_code.eq(value)]

        # |x| < 32 and |x| ≥ 2^small_exp wherever X is used: only left shifts
        fb = d.f_bits
        fixed = codec.to_fixed(m, FP16, f, fb, 5, min_exponent=d.small_exp).t
        n = fixed[fb:].as_signed()
        frac = fixed[:fb]
        seg = frac[fb - d.seg_bits:]
        rt = frac[d.r_drop:fb - d.seg_bits]

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
        emin = FP16.emin
        normal = n >= emin
        drop = Signal(range(width))
        m.d.comb += drop.eq(Mux(normal, d.p - FP16.man_bits, d.p - FP16.man_bits + emin - n))
        q = y >> drop if d.truncate else codec.round_at(m, y, drop, "even")
        result = Signal(16)
        with m.If(special):
            m.d.comb += result.eq(special_code)
        with m.Else():
            m.d.comb += result.eq(codec.ieee_code(FP16, n, q, normal))
        return reg(result)


def _thermometer_count(value, thresholds) -> Value:
    """How many of the ascending ``thresholds`` are ≤ ``value``. The comparisons form a
    thermometer code t_1 ≥ t_2 ≥ …; bit j of the count is the XOR of the t_k with 2^j dividing k
    (the parity of how many multiples of 2^j the count reaches): no adder tree."""
    t = [value >= c for c in thresholds]
    bits = []
    j = 0
    while (1 << j) <= len(t):
        chosen = t[(1 << j) - 1::1 << j]          # t_k for k = 2^j, 2·2^j, …
        bit = chosen[0]
        for c in chosen[1:]:
            bit = bit ^ c
        bits.append(bit)
        j += 1
    return Cat(*bits) if bits else C(0, 1)
