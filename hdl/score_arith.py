"""Combinational arithmetic of the rescaling datapath: FP32 score → exact fixed point, its ceiling,
and HiF8_TA(t − m) rounded once from the exact difference (bit-exact with
``golden.baps.hif8_of_difference`` and the golden running max).

Fixed point: T = floor(t·2^24) with a flag ``inexact`` (t·2^24 is not an integer). For |t| < 2^17
this is exact information: every HiF8 rounding boundary of t − m is a multiple of 2^−24, so TA
rounding of the exact |t − m| equals TA rounding of A = floor(|t − m|·2^24). Larger |t| give
|t − m| ≥ 2^17 − 2^15 > 40960, i.e. ±Inf.
"""

from amaranth import C, Cat, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data

from ..golden.formats import HIF8
from .exp2_hif8 import pow2_codes

__all__ = ["FRAC", "Fp32Fixed", "fp32_to_fixed", "ceil_of_fixed", "hif8_of_difference"]

FRAC = 24                    # fraction bits of the fixed point
INT_BITS = 17                # |t| < 2^17 is represented; larger is "huge"
T_WIDTH = INT_BITS + FRAC + 1


class Fp32Fixed(data.Struct):
    """An FP32 score as T = floor(t·2^FRAC) plus flags (T is meaningful when none is set)."""

    t: signed(T_WIDTH)
    inexact: unsigned(1)
    nan: unsigned(1)
    pos_huge: unsigned(1)    # +Inf or t ≥ 2^17
    neg_huge: unsigned(1)    # −Inf or t ≤ −2^17


def fp32_to_fixed(m: Module, bits) -> Fp32Fixed:
    """Decode FP32 ``bits`` into ``Fp32Fixed`` (a barrel shift and a sticky OR)."""
    out = Signal(Fp32Fixed)
    sign, exp, frac = bits[31], bits[23:31], bits[:23]
    sig = Signal(24)
    m.d.comb += sig.eq(Mux(exp == 0, frac, Cat(frac, C(1, 1))))
    # t·2^24 = sig · 2^k with k = max(exp, 1) − 126
    left = Signal(range(INT_BITS + 1))       # k when 0 ≤ k ≤ 17
    right = Signal(range(256))               # −k when k < 0
    huge = (exp == 255) | (exp >= 127 + INT_BITS)          # |t| ≥ 2^17
    nan = (exp == 255) & (frac != 0)
    m.d.comb += [
        left.eq(Mux(exp >= 126, exp - 126, 0)),
        right.eq(Mux(exp >= 126, 0, 126 - Mux(exp == 0, 1, exp))),
    ]
    mag = Signal(T_WIDTH - 1)
    lost = Signal()
    shifted_right = Signal(24)
    m.d.comb += [
        shifted_right.eq(Mux(right >= 24, 0, sig >> right[:5])),
        lost.eq(Mux(right >= 24, sig != 0,
                    (sig & ((C(1, 25) << right[:5]) - 1)[:24]) != 0)),
        mag.eq(Mux(exp >= 126, sig << left, shifted_right)),
    ]
    m.d.comb += [
        out.nan.eq(nan),
        out.pos_huge.eq(huge & ~sign & ~nan),
        out.neg_huge.eq(huge & sign & ~nan),
        out.inexact.eq(lost),
        out.t.eq(Mux(sign, -mag - lost, mag)),
    ]
    return out


def ceil_of_fixed(m: Module, f: Fp32Fixed, m_width: int):
    """ceil(t) clamped to a signed ``m_width``-bit integer; NaN counts as the minimum (ignored by
    a max), ±Inf and huge values as the limits."""
    lo, hi = -(1 << (m_width - 1)), (1 << (m_width - 1)) - 1
    c = Signal(signed(INT_BITS + 2))
    m.d.comb += c.eq((f.t + ((1 << FRAC) - 1) + f.inexact) >> FRAC)
    out = Signal(signed(m_width))
    with m.If(f.nan | f.neg_huge | (c < lo)):
        m.d.comb += out.eq(lo)
    with m.Elif(f.pos_huge | (c > hi)):
        m.d.comb += out.eq(hi)
    with m.Else():
        m.d.comb += out.eq(c)
    return out


def hif8_of_difference(m: Module, f: Fp32Fixed, mx):
    """HiF8_TA(t − mx) (8-bit code) for the decoded score ``f`` and the integer ``mx``."""
    big_m = Signal(signed(T_WIDTH + 1))
    m.d.comb += big_m.eq(mx << FRAC)
    positive = Signal()
    a = Signal(T_WIDTH + 1)                  # floor(|t − m|·2^24)
    m.d.comb += [
        positive.eq((f.t > big_m) | ((f.t == big_m) & f.inexact)),
        a.eq(Mux(positive, f.t - big_m, big_m - f.t - f.inexact)),
    ]
    # leading one
    width = len(a)
    p = Signal(range(width))
    for i in range(width):
        with m.If(a[i]):
            m.d.comb += p.eq(i)
    e = Signal(signed(8))
    m.d.comb += e.eq(p - FRAC)
    top = Signal(5)                          # a[p], a[p−1], …, a[p−4]
    m.d.comb += top.eq(((a << 4) >> p)[:5])
    codes = pow2_codes("hif8")
    mag = Signal(8)                          # the positive code
    with m.Switch(e):
        for ee in range(-22, 16):
            w = HIF8.mantissa_bits(ee)
            with m.Case(ee):
                rounded = (top >> (4 - w)) + top[3 - w]          # 1.mant rounded, TA
                carry = rounded[w + 1]
                mant = rounded[:w] if w else 0
                nxt = codes.get(ee + 1, HIF8.pos_inf_code)
                m.d.comb += mag.eq(Mux(carry, nxt, codes[ee] + mant))
    code = Signal(8)
    neg_code = Mux(mag == 0, 0, mag | 0x80)
    with m.If(f.nan):
        m.d.comb += code.eq(HIF8.nan_code)
    with m.Elif(f.pos_huge):
        m.d.comb += code.eq(HIF8.pos_inf_code)
    with m.Elif(f.neg_huge):
        m.d.comb += code.eq(HIF8.neg_inf_code)
    with m.Elif(a < 2):                      # |x| < 2^−23 (and x = 0)
        m.d.comb += code.eq(0)
    with m.Elif(a < 4):                      # [2^−23, 2^−22) → 2^−22
        m.d.comb += code.eq(Mux(positive, 0x01, 0x81))
    with m.Elif(e >= 16):
        m.d.comb += code.eq(Mux(positive, HIF8.pos_inf_code, HIF8.neg_inf_code))
    with m.Else():
        m.d.comb += code.eq(Mux(positive, mag, neg_code))
    return code
