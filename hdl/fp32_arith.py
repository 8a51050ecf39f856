"""FP32 multiply and add for the FP16 baseline's row sum l = FP32(FP32(α·l) + S), each rounded
once (RNE), for non-negative finite operands whose results stay in FP32's normal range (the
caller's contract: α ∈ [0, 1] in FP16, l ∈ {0} ∪ [1, 2^64), S ∈ {0} ∪ [2^−24, 2^13)). Combinational
with optional register cuts (a ``pipeline.Cuts``); the fields come from ``codec.decode``.
"""

from __future__ import annotations

from amaranth import C, Cat, Module, Mux, Signal, signed

from ..golden.formats import FP32
from . import codec
from .pipeline import NO_CUTS

__all__ = ["mul_fp32", "add_fp32"]

_SIG = FP32.man_bits + 1                    # 24


def _pack(m: Module, exponent, rounded, name: str) -> Signal:
    """The FP32 code of rounded·2^(exponent − 23), ``rounded`` a 25-bit significand in
    [2^23, 2^24] (2^24: the rounding carried into the next binade) or 0."""
    carry = rounded[_SIG]
    code = Signal(32, name=name)
    m.d.comb += code.eq(Mux(rounded == 0, 0, codec.ieee_code(
        FP32, exponent + carry, Mux(carry, 1 << FP32.man_bits, rounded[:_SIG]), 1)))
    return code


def mul_fp32(m: Module, fa, fb, cuts=NO_CUTS) -> Signal:
    """FP32_RNE(a·b) for decoded non-negative finite ``fa`` (any format with at most 24
    significand bits) and normal-or-zero FP32 ``fb``: the exact product of the significands,
    normalized by its leading one (b's significand is at least 2^23, so at most 11 bits drop),
    rounded once. ``cuts``: optional register cuts ``product`` (after the product),
    ``normalize`` (after its leading one) and ``round`` (after the rounding)."""
    wa = len(fa.sig)
    product = Signal(wa + _SIG, name="mul_product")
    m.d.comb += product.eq(fa.sig * fb.sig)
    exp_a, exp_b = fa.exponent, fb.exponent
    zero = Signal(name="mul_zero")
    m.d.comb += zero.eq(fa.zero | fb.zero)
    product, exp_a, exp_b, zero = cuts("product", product, exp_a, exp_b, zero)
    top = codec.leading_one(m, product)
    drop = Signal(range(wa + 1), name="mul_drop")          # bits below the kept 24
    m.d.comb += drop.eq(Mux(top >= _SIG - 1, top - (_SIG - 1), 0))
    product, drop, exp_a, exp_b, zero = cuts("normalize", product, drop, exp_a, exp_b, zero)
    rounded = codec.round_at(m, Cat(C(0, 1), product), drop + 1, "even")
    exponent = Signal(signed(FP32.exp_bits + 4), name="mul_exponent")
    m.d.comb += exponent.eq(exp_a - (wa - 1) + exp_b + drop)
    rounded, exponent, zero = cuts("round", rounded, exponent, zero)
    return _pack(m, exponent, Mux(zero, 0, rounded[:_SIG + 1]), "mul_fp32")


def add_fp32(m: Module, a, b, cuts=NO_CUTS) -> Signal:
    """FP32_RNE(a + b) for non-negative finite FP32 codes ``a`` and ``b`` (normal or zero): the
    smaller aligned to the larger with three guard bits and a sticky bit, added, normalized by
    one bit on a carry, rounded once. ``cuts``: optional register cuts ``order`` (after the
    operands are ordered), ``align`` (after the alignment) and ``sum`` (after the sum)."""
    swap = Signal(name="add_swap")
    m.d.comb += swap.eq(b > a)                # non-negative codes order as their values
    big, small = Signal(32, name="add_big"), Signal(32, name="add_small")
    m.d.comb += [big.eq(Mux(swap, b, a)), small.eq(Mux(swap, a, b))]
    fb, fs = codec.decode(m, FP32, big), codec.decode(m, FP32, small)
    big_sig, big_exp, small_sig, small_exp = fb.sig, fb.exponent, fs.sig, fs.exponent
    big_sig, big_exp, small_sig, small_exp = cuts("order", big_sig, big_exp, small_sig, small_exp)
    guard = 3
    span = _SIG + guard                        # 27 bits: significand and guard, round, sticky
    distance = Signal(FP32.exp_bits + 2, name="add_distance")
    shift = Signal(range(span + 1), name="add_shift")      # the distance, at most ``span``
    m.d.comb += [distance.eq(big_exp - small_exp),
                 shift.eq(Mux(distance >= span, span, distance))]
    wide = Signal(span, name="add_wide")
    m.d.comb += wide.eq(small_sig << guard)
    aligned = Signal(span, name="add_aligned")
    lost = Signal(name="add_lost")
    m.d.comb += [aligned.eq(wide >> shift),
                 lost.eq((wide & ((C(1, span + 1) << shift) - 1)).any())]
    aligned, lost, big_sig, big_exp = cuts("align", aligned, lost, big_sig, big_exp)
    total = Signal(span + 1, name="add_total")
    m.d.comb += total.eq((big_sig << guard) + aligned)
    total, lost, big_exp = cuts("sum", total, lost, big_exp)
    carry = total[span]
    kept = Signal(span, name="add_kept")
    sticky = Signal(name="add_sticky")
    m.d.comb += [kept.eq(Mux(carry, total[1:], total[:span])),
                 sticky.eq(lost | (carry & total[0]))]
    rounded = codec.round_at(m, kept, guard, "even", sticky=sticky)
    exponent = Signal(signed(FP32.exp_bits + 3), name="add_exponent")
    m.d.comb += exponent.eq(big_exp + carry)
    return _pack(m, exponent, Mux(total == 0, 0, rounded[:_SIG + 1]), "add_fp32")
