"""The FP32 side of the E4M3 P-cast datapath: the distance x = ⌊FP32_RNE(b − a)·2^30⌋ of two
FP32 scores a ≤ b, and EXP2_FP32 of it (``golden.exp2_fp32``). Combinational, with optional
register cuts at named points (``cuts(name, *values)``, as ``pipeline.Cuts``); bit-exact with
``golden.exp2_fp32`` (x) and numpy's float32 subtraction (the rounding of b − a)."""

from __future__ import annotations

from amaranth import C, Array, Cat, Const, Module, Mux, Signal, signed

from ..golden.exp2_fp32 import C0, C1, C2, FRAC, V_BITS, X_SATURATE
from ..golden.formats import FP32
from . import codec
from .pipeline import NO_CUTS

__all__ = ["fp32_distance", "exp2_fp32_logic", "X_WIDTH", "DISTANCE_CUTS", "EXP2_CUTS"]

DISTANCE_CUTS = ("align", "sum", "round")    # fp32_distance's cut points, in datapath order
EXP2_CUTS = ("fraction", "table", "product", "sum")  # exp2_fp32_logic's

X_WIDTH = X_SATURATE.bit_length()            # 39: x ≤ 2^38
_SIG = FP32.man_bits + 1                     # 24
_GUARD = 3


def fp32_distance(m: Module, a, b, cuts=NO_CUTS) -> Signal:
    """⌊FP32_RNE(b − a)·2^30⌋ for finite FP32 codes with a ≤ b (any signs, subnormals kept),
    saturated at 2^38 (|b − a| ≥ 256). The larger magnitude X and the smaller Y (signs differ:
    X + Y; equal: X − Y) with three guard bits and a sticky bit, the result normalized (one bit
    right on a carry; left by the leading zeros after a cancellation, which loses no bits) and
    rounded once to 24 bits, then shifted into the 30-fraction-bit fixed point (floor).
    ``cuts``: ``align`` (before the alignment shift), ``sum`` (after the addition), ``round``
    (after the rounding)."""
    fa, fb = codec.decode(m, FP32, a), codec.decode(m, FP32, b)
    swap = Signal(name="dist_swap")
    m.d.comb += swap.eq(a[:31] > b[:31])        # magnitudes order as their codes
    ex, ey = Signal(signed(10), name="dist_ex"), Signal(signed(10), name="dist_ey")
    sx, sy = Signal(_SIG, name="dist_sx"), Signal(_SIG, name="dist_sy")
    m.d.comb += [ex.eq(Mux(swap, fa.exponent, fb.exponent)), sx.eq(Mux(swap, fa.sig, fb.sig)),
                 ey.eq(Mux(swap, fb.exponent, fa.exponent)), sy.eq(Mux(swap, fb.sig, fa.sig))]
    add = fa.sign ^ fb.sign
    span = _SIG + _GUARD                         # 27
    distance = Signal(10, name="dist_shift_full")
    shift = Signal(range(span + 1), name="dist_shift")
    m.d.comb += [distance.eq(ex - ey), shift.eq(Mux(distance >= span, span, distance))]
    inf = fa.inf | fb.inf
    ex, sx, sy, shift, add, inf = cuts("align", ex, sx, sy, shift, add, inf)
    wide = Signal(span, name="dist_wide")
    m.d.comb += wide.eq(sy << _GUARD)
    aligned = Signal(span, name="dist_aligned")
    m.d.comb += aligned.eq((wide >> shift)
                           | (wide & ((C(1, span + 1) << shift) - 1)).any())   # sticky in LSB
    total = Signal(span + 1, name="dist_total")
    m.d.comb += total.eq(Mux(add, (sx << _GUARD) + aligned, (sx << _GUARD) - aligned))
    ex, total, inf = cuts("sum", ex, total, inf)
    # normalize: leading one to bit 26 (one right on a carry, left after a cancellation)
    top = codec.leading_one(m, total)
    emin = 1 - FP32.bias                         # −126
    left = Signal(range(span + 1), name="dist_left")
    room = Signal(signed(11), name="dist_room")
    m.d.comb += [room.eq(ex - emin),
                 left.eq(Mux(top >= span - 1, 0,
                             Mux(room < (span - 1 - top), room[:5], span - 1 - top)))]
    carry = total[span]
    kept = Signal(span, name="dist_kept")
    sticky = Signal(name="dist_sticky")
    m.d.comb += [kept.eq(Mux(carry, total[1:], total[:span] << left)),
                 sticky.eq(carry & total[0])]
    rounded = codec.round_at(m, kept, _GUARD, "even", sticky=sticky)   # ≤ 2^24
    shifted = Signal(signed(11), name="dist_ex_shifted")
    m.d.comb += shifted.eq(ex + carry - left)
    rounded, shifted, inf = cuts("round", rounded, shifted, inf)
    exponent = Signal(signed(11), name="dist_exponent")
    m.d.comb += exponent.eq(shifted + rounded[_SIG])
    sig = Mux(rounded[_SIG], 1 << (_SIG - 1), rounded[:_SIG])   # value = sig·2^(exponent − 23)
    # x = ⌊sig·2^(exponent − 23 + 30)⌋, saturated from exponent 8 up; an exact zero (a = b)
    # is 0 whatever the exponent its normalization left (it reaches 8 once a ≥ 2^34)
    x = Signal(X_WIDTH, name="dist_x")
    up = Signal(signed(11), name="dist_up")
    m.d.comb += up.eq(exponent + (FRAC - FP32.man_bits))
    right = Signal(range(_SIG + 1), name="dist_right")
    m.d.comb += right.eq(Mux(-up >= _SIG, _SIG, (-up)[:5]))
    with m.If(((exponent >= 8) & rounded.any()) | inf):
        m.d.comb += x.eq(X_SATURATE)
    with m.Elif(up >= 0):
        m.d.comb += x.eq(sig << up[:4])
    with m.Else():
        m.d.comb += x.eq(sig >> right)
    return x


def _rom(m: Module, values, index, name: str) -> Signal:
    """A constant table read combinationally (synthesis maps it to logic)."""
    width = max(values).bit_length()
    out = Signal(width, name=name)
    m.d.comb += out.eq(Array(Const(v, width) for v in values)[index])
    return out


def exp2_fp32_logic(m: Module, x, scale_log2: int, cuts=NO_CUTS) -> Signal:
    """FP32 code of 2^(scale_log2 − x/2^30) (``golden.exp2_fp32.exp2_fp32_fixed``): k = ⌈x/2^30⌉,
    u = k − x/2^30, 2^u from a 128-segment quadratic, RNE to 24 bits, exponent scale_log2 − k,
    zero below 2^−126 or for x ≥ 2^38. ``cuts``: ``fraction`` (after k and u), ``table``
    (after the table reads and the square), ``product`` (after the two products), ``sum``
    (before the rounding)."""
    k = Signal(range((X_SATURATE >> FRAC) + 2), name="exp2_k")
    m.d.comb += k.eq((x >> FRAC) + x[:FRAC].any())
    u = Signal(FRAC, name="exp2_u")
    m.d.comb += u.eq(-x[:FRAC])                       # k·2^30 − x, taken mod 2^30
    saturated = Signal(name="exp2_saturated")
    m.d.comb += saturated.eq(x >= X_SATURATE)
    u, k, saturated = cuts("fraction", u, k, saturated)
    j, v = u[V_BITS:], u[:V_BITS]
    c0, c1, c2 = (_rom(m, values, j, f"exp2_{name}")
                  for name, values in (("c0", C0), ("c1", C1), ("c2", C2)))
    vh = Signal(V_BITS - 9, name="exp2_vh")
    m.d.comb += vh.eq(v >> 9)
    square = Signal(2 * len(vh) - 14, name="exp2_square")
    m.d.comb += square.eq((vh * vh) >> 14)
    c0, c1, c2, v, square, k, saturated = cuts("table", c0, c1, c2, v, square, k, saturated)
    terms = ((c1 * (v >> 2)) >> 20, (c2 * square) >> 14)
    linear, quadratic = (Signal(t.shape(), name=f"exp2_{n}")
                         for t, n in zip(terms, ("linear", "quadratic")))
    m.d.comb += [linear.eq(terms[0]), quadratic.eq(terms[1])]
    c0, linear, quadratic, k, saturated = cuts("product", c0, linear, quadratic, k, saturated)
    y = Signal(31, name="exp2_y")
    m.d.comb += y.eq(c0 + linear + quadratic)
    y, k, saturated = cuts("sum", y, k, saturated)
    rounded = codec.round_at(m, y, 5, "even")          # 25 bits: ≤ 2^24
    carry = rounded[24]
    e = Signal(signed(11), name="exp2_e")
    m.d.comb += e.eq(scale_log2 - k + carry)
    mant = Mux(carry, 0, rounded[:FP32.man_bits])
    out = Signal(32, name="exp2_fp32")
    m.d.comb += out.eq(Mux((e < 1 - FP32.bias) | saturated, 0,
                           Cat(mant, (e + FP32.bias)[:FP32.exp_bits], C(0, 1))))
    return out
