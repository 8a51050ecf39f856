"""``Exp2FP16``: the FP16 EXP2 baseline, 2^x correctly rounded (RNE) or faithful, all inputs."""

from __future__ import annotations

from amaranth import C, Cat, Mux, Signal, Value, unsigned

from ..golden import exp2_fp16_model as model
from ..golden.formats import FP16
from ..golden.params import ChoiceParam
from . import codec
from .pipeline import NO_CUTS, Cuts, StreamPipeline, stages_param

__all__ = ["Exp2FP16", "exp2_fp16_logic", "ACCURACY", "ACCURACIES", "STAGES"]

ACCURACY = ChoiceParam("accuracy", tuple(model.DESIGNS),
                       "correctly rounded (RNE) or faithful (within 1 ulp)")
ACCURACIES = ACCURACY.choices


class Exp2FP16(StreamPipeline):
    """2^x of an FP16 code to FP16, subnormal outputs, overflow → +Inf, NaN → 0x7E00.

    ``accuracy="correct"``: correctly rounded (RNE) for all inputs. ``accuracy="faithful"``:
    within 1 ulp, exact where 2^x is representable. Widths, coefficient tables, small-|x|
    handling and patched inputs: ``golden.exp2_fp16_model`` (``CORRECT``, ``FAITHFUL``), with which
    it is bit-exact (the model's steps 1–5).

    Stage 1: specials, x → M = floor(|x|·2^f) (one left shift), ones' complement for x < 0.
    Stage 2: the segment tables, the truncated multiplier and C0 in one sum, rounding and packing.
    Streams: one FP16 code per beat in and out; latency 2 cycles + ``stages``, one result per
    cycle. Optional register cuts in stage 2, in the order ``stages`` enables them:
    ``product`` (after y = C0 + product), ``lookup`` (after the segment tables, before the
    multiplier), ``round`` (after rounding, before packing).
    """

    latency = 2
    CUTS = ("product", "lookup", "round")

    @classmethod
    def check_arguments(cls, *, accuracy, stages):
        ACCURACY.check(accuracy)
        super().check_arguments(stages=stages)

    def __init__(self, *, accuracy: str = "correct", stages: int = 0):
        self._design = model.DESIGNS[accuracy]
        super().__init__(unsigned(16), unsigned(16), stages=stages)

    @classmethod
    def _with_design(cls, design: model.Exp2FP16Design) -> "Exp2FP16":
        """A unit built from a fitted candidate design (the width search synthesizes candidates
        this way; only the registered accuracies are verified on the RTL by the test suite)."""
        unit = cls()
        unit._design = design
        return unit

    @property
    def accuracy(self) -> str:
        return self._design.name

    def datapath(self, m, x, reg):
        return exp2_fp16_logic(m, x, self._design, reg, self.cuts)


STAGES = stages_param(Exp2FP16.CUTS)
Exp2FP16.PARAMS = (ACCURACY, STAGES)


def exp2_fp16_logic(m, x, design: model.Exp2FP16Design, reg=lambda value: value,
                    cuts: Cuts = NO_CUTS) -> Value:
    """The 2^x of ``Exp2FP16`` for the FP16 code ``x``: combinational with the default ``reg``
    (the FP16 datapath's lanes), or with the unit's stage register where ``reg`` makes one;
    ``cuts``: the optional register cuts of ``Exp2FP16.CUTS``."""
    d = design
    f = codec.decode(m, FP16, x)
    special = Signal()
    special_code = Signal(16)
    with m.If(f.nan):
        m.d.comb += [special.eq(1), special_code.eq(FP16.nan_code)]
    with m.Elif(~f.sign & codec.magnitude_at_least(FP16, x, model.X_HI)):   # x ≥ 16, +Inf
        m.d.comb += [special.eq(1), special_code.eq(FP16.inf_code)]
    with m.Elif(f.sign & codec.magnitude_at_least(FP16, x, model.X_LO)):    # x ≤ −25, −Inf
        m.d.comb += [special.eq(1), special_code.eq(0)]
    with m.Elif(~codec.magnitude_at_least(FP16, x, 2.0 ** d.small_exp)):     # small |x|
        if d.small_one:
            m.d.comb += [special.eq(1), special_code.eq(model.ONE)]
        else:         # 1.0 ± the number of thresholds at or below |x| (model.small_steps)
            pos, neg = model.small_steps(d.small_exp)
            up, down = _thermometer_count(x[:15], pos), _thermometer_count(x[:15], neg)
            m.d.comb += [special.eq(1),
                         special_code.eq(Mux(f.sign, model.ONE - down, model.ONE + up))]
    if d.patches:                                     # stored results (model.patch_values)
        with m.Switch(x):
            for code, value in zip(d.patches, model.patch_values(d)):
                with m.Case(code):
                    m.d.comb += [special.eq(1), special_code.eq(value)]

    # Stage 1: M = (significand << (exponent − small_exp)) >> shift_right; X = M or ~M.
    fb = d.frac_bits
    amount = Signal((4 - d.small_exp).bit_length())   # exponents small_exp … 4
    m.d.comb += amount.eq(f.exponent - d.small_exp)
    sig = f.sig | (1 << FP16.man_bits)                # only normal inputs reach here
    shifted = Signal(len(sig) + (1 << len(amount)))
    m.d.comb += shifted.eq(sig << amount)
    mag = Signal(fb + 5)                              # |x| < 32
    m.d.comb += mag.eq(shifted[d.shift_right:])
    fixed = Signal(fb + 6)
    m.d.comb += fixed.eq(Cat(mag, C(0, 1)) ^ f.sign.replicate(fb + 6))
    n = fixed[fb:].as_signed()
    seg = fixed[d.r_room:fb]
    r = fixed[d.r_drop:d.r_room]
    neg = f.sign
    special, special_code, n, r, seg, neg = map(reg, (special, special_code, n, r, seg, neg))

    # Stage 2: y = C0[seg] + (Σ r_j·C1'·2^j [+ neg·C1']) >> sh, C1' the truncated multiplier.
    c0 = Signal(range(max(d.c0) + 1), name="c0")
    c1 = Signal(range(max(d.c1) + 1), name="c1")
    group = d.seg_bits - d.c1_index_bits
    with m.Switch(seg):
        for i in range(1 << d.seg_bits):
            with m.Case(i):
                m.d.comb += [c0.eq(d.c0[i]), c1.eq(d.c1[i >> group])]
    c0, c1, r, n, neg, special, special_code = cuts("lookup", c0, c1, r, n, neg, special,
                                                    special_code)
    rows = []
    for j in range(d.r_bits):
        keep = max(d.dropped_columns - j, 0)
        rows.append(r[j] * (((c1 >> keep) << keep) << j))
    if d.carry_in:                                    # x < 0: r + 1, X = −M exactly
        keep = d.dropped_columns
        rows.append(neg * ((c1 >> keep) << keep))
    product = rows[0]
    for row in rows[1:]:
        product = product + row
    y = Signal(d.p + 2)
    m.d.comb += y.eq(c0 + (product >> d.product_shift))
    y, n, special, special_code = cuts("product", y, n, special, special_code)

    emin, mw = FP16.emin, FP16.man_bits
    normal = n >= emin
    if d.rounding == "truncate":
        top = y[d.p - mw:]                            # y truncated to 12 bits: [1024, 2048]
        shift = Signal(4)
        m.d.comb += shift.eq(emin - 1 - n)            # subnormal: 1 … 11 bits more
        subnormal = Signal(mw + 1)
        m.d.comb += subnormal.eq(top[1:] >> shift)
        k = Signal(mw + 2)
        m.d.comb += k.eq(Mux(normal, top, subnormal))
    else:
        sub = Signal(4)
        m.d.comb += sub.eq(Mux(normal, 0, emin - n))
        drop = Signal(5)
        m.d.comb += drop.eq(d.p - mw + sub)
        k = codec.round_at(m, y, drop, "even")
    k, n, normal, special, special_code = cuts("round", k, n, normal, special, special_code)
    exponent = Signal(6)
    m.d.comb += exponent.eq(n + FP16.bias + k[mw + 1])   # a carry to 2.0 moves it
    code = Signal(16)
    m.d.comb += code.eq(Mux(normal, Cat(k[:mw], exponent[:5]), k))
    result = Signal(16)
    m.d.comb += result.eq(Mux(special, special_code, code))
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
