"""The RTL codec: every bit field of HiF8, FP16, FP32 and E4M3 on the hardware side.

Driven by golden's format descriptions (``golden.formats``: HiF8's row table, IEEE widths and
bias, each format's binades and special codes), so a format is described once, as data.

* ``decode(m, fmt, code)`` → ``fields_layout(fmt)``: sign, exponent, significand and flags, with
  value = (−1)^sign · sig · 2^(exponent − mw) (mw = the format's widest mantissa).
* ``to_fixed(m, fmt, fields, frac_bits, int_bits)`` → ``fixed_layout``: T = floor(x·2^frac_bits)
  (two's complement) and an ``inexact`` flag, or a ``pos_huge``/``neg_huge``/``nan`` flag.
* ``round_fixed(m, fmt, mag, frac_bits, sticky=…)`` → the positive code of (mag + ε)·2^−frac_bits
  rounded **once** with the format's tie rule: the one rounder (bit-exact with
  ``golden.formats.round_fixed``).
* ``cast(m, src, dst, code)`` → the ``dst`` code of a ``src`` value, rounded once (the FP16
  datapath's FP32 → FP16 score cast): ``to_fixed`` at ``dst``'s finest boundary, then
  ``round_fixed``.
* ``round_at(m, value, drop, ties)``: an integer rounded at a variable bit position.
* ``leading_one``, ``apply_sign``, ``ieee_code``, ``magnitude_at_least``.
"""

from __future__ import annotations

from amaranth import C, Cat, Const, Module, Mux, Signal, signed, unsigned
from amaranth.lib import data

from ..golden.formats import E4M3Format, HiF8Format, IEEEFormat, NumberFormat
from .pipeline import NO_CUTS

__all__ = ["fields_layout", "decode", "fixed_layout", "to_fixed", "leading_one", "round_fixed",
           "normalize", "round_normalized",
           "cast", "round_at", "apply_sign", "ieee_code", "magnitude_at_least", "mantissa_width"]


def mantissa_width(fmt: NumberFormat) -> int:
    """The widest mantissa of ``fmt`` (HiF8: 3; IEEE and E4M3: ``man_bits``)."""
    if isinstance(fmt, HiF8Format):
        return max(mb for _, _, mb in fmt.rows)
    return fmt.man_bits


def _exponent_bits(fmt: NumberFormat) -> int:
    lo, hi = fmt.binade_range
    return max(abs(lo - mantissa_width(fmt)), hi + 2).bit_length() + 1


def fields_layout(fmt: NumberFormat) -> data.StructLayout:
    return data.StructLayout({
        "sign": unsigned(1),
        "exponent": signed(_exponent_bits(fmt)),
        "sig": unsigned(mantissa_width(fmt) + 1),
        "zero": unsigned(1),
        "nan": unsigned(1),
        "inf": unsigned(1),
    })


def decode(m: Module, fmt: NumberFormat, code) -> data.View:
    """Fields of ``code``: value = (−1)^sign · sig · 2^(exponent − mw) for finite non-zero codes
    (IEEE subnormals: exponent = emin, sig < 2^mw; HiF8 denormals: sig = 2^mw)."""
    f = Signal(fields_layout(fmt), name=f"{fmt.name}_fields")
    if isinstance(fmt, HiF8Format):
        _decode_hif8(m, fmt, code, f)
    elif isinstance(fmt, (IEEEFormat, E4M3Format)):
        _decode_ieee(m, fmt, code, f)
    else:
        raise TypeError(f"no RTL decoder for format {fmt.name!r}")
    return f


def _decode_ieee(m, fmt, code, f):
    man = code[:fmt.man_bits]
    exp = code[fmt.man_bits:fmt.width - 1]
    top = (1 << fmt.exp_bits) - 1
    emin = 1 - fmt.bias
    m.d.comb += [
        f.sign.eq(code[fmt.width - 1]),
        f.sig.eq(Cat(man, exp != 0)),
        f.exponent.eq(Mux(exp == 0, emin, exp - fmt.bias)),
        f.zero.eq((exp == 0) & (man == 0)),
    ]
    if isinstance(fmt, IEEEFormat):
        m.d.comb += [f.nan.eq((exp == top) & (man != 0)), f.inf.eq((exp == top) & (man == 0))]
    else:                                   # E4M3: only S.1111.111 is special (NaN)
        m.d.comb += f.nan.eq((exp == top) & (man == (1 << fmt.man_bits) - 1))


def _decode_hif8(m, fmt: HiF8Format, code, f):
    mw = mantissa_width(fmt)
    rest = code[:fmt.width - 1]
    m.d.comb += f.sign.eq(code[fmt.width - 1])
    with m.Switch(rest):
        for prefix, d, mb in fmt.rows:
            with m.Case(prefix + "-" * (fmt.width - 1 - len(prefix))):
                mant = rest[:mb]
                if d is None:               # denormal: 2^(M − 23); M = 0 is zero (or NaN)
                    lowest = fmt.binade_range[0]
                    m.d.comb += [
                        f.exponent.eq(mant + lowest - 1),
                        f.sig.eq(1 << mw),
                        f.zero.eq((mant == 0) & ~f.sign),
                        f.nan.eq((mant == 0) & f.sign),
                    ]
                    continue
                m.d.comb += f.sig.eq((1 << mw) | (mant << (mw - mb)))
                if d == 0:
                    m.d.comb += f.exponent.eq(0)
                else:
                    ebits = rest[mb:mb + d]
                    magnitude = Cat(ebits[:d - 1], C(1, 1)) if d > 1 else C(1, 1)
                    m.d.comb += f.exponent.eq(Mux(ebits[d - 1], -magnitude, magnitude))
    m.d.comb += f.inf.eq(rest == (fmt.pos_inf_code & ((1 << (fmt.width - 1)) - 1)))


def fixed_layout(frac_bits: int, int_bits: int) -> data.StructLayout:
    return data.StructLayout({
        "t": signed(int_bits + frac_bits + 1),   # floor(x·2^frac_bits) when no flag is set
        "inexact": unsigned(1),                  # x·2^frac_bits is not an integer
        "nan": unsigned(1),
        "pos_huge": unsigned(1),                 # +Inf or x ≥ 2^int_bits
        "neg_huge": unsigned(1),                 # −Inf or x ≤ −2^int_bits
    })


def _min_exponent(fmt: NumberFormat) -> int:
    """The smallest ``exponent`` field ``decode`` produces for a non-zero code."""
    if isinstance(fmt, HiF8Format):
        return fmt.binade_range[0]
    return 1 - fmt.bias


def to_fixed(m: Module, fmt: NumberFormat, f, frac_bits: int, int_bits: int, *,
             min_exponent: int | None = None) -> data.View:
    """Decoded fields ``f`` of ``fmt`` as the fixed point of ``fixed_layout`` (floor, so a
    negative inexact value gets −mag − 1). With ``min_exponent``, values whose exponent is
    smaller are the caller's concern (their ``t`` is unspecified): no right shift is built."""
    mw = mantissa_width(fmt)
    out = Signal(fixed_layout(frac_bits, int_bits), name="fixed")
    finite = ~f.zero & ~f.nan & ~f.inf
    huge = f.inf | (finite & (f.exponent >= int_bits))
    mag = Signal(int_bits + frac_bits)
    lost = Signal()
    # Exponents below −frac_bits − 1 (or the format's least) all give mag 0 with a lost fraction.
    lo = max(_min_exponent(fmt), -frac_bits - 1) if min_exponent is None else min_exponent
    left_base = lo - mw + frac_bits               # the shift of sig when exponent = lo
    span = max(int_bits - 1 - lo, 0)
    amount = Signal(range(span + 1))
    tiny = Signal()
    m.d.comb += [amount.eq((f.exponent - lo)[:amount.shape().width]), tiny.eq(f.exponent < lo)]
    sig = f.sig
    if min_exponent is not None and min_exponent >= _min_exponent(fmt) and not isinstance(
            fmt, HiF8Format):
        sig = f.sig | (1 << mw)                   # only normal values matter: the hidden one
    if left_base >= 0:
        m.d.comb += mag.eq((sig << left_base) << amount)
    else:                                         # shift left by amount, right by −left_base
        wide = Signal(len(f.sig) + span)
        m.d.comb += wide.eq(sig << amount)
        if min_exponent is None:
            m.d.comb += [mag.eq(Mux(tiny, 0, wide >> -left_base)),
                         lost.eq(Mux(tiny, 1, wide[:-left_base] != 0))]
        else:
            m.d.comb += [mag.eq(wide >> -left_base), lost.eq(wide[:-left_base] != 0)]
    signed_t = Mux(f.sign, -mag - lost, mag)
    m.d.comb += [
        out.nan.eq(f.nan),
        out.pos_huge.eq(huge & ~f.sign),
        out.neg_huge.eq(huge & f.sign),
        out.inexact.eq(lost & finite),
        # with min_exponent the caller handles zero and the specials: no extra multiplexer
        out.t.eq(signed_t if min_exponent is not None else Mux(finite, signed_t, 0)),
    ]
    return out


def leading_one(m: Module, value) -> Signal:
    """Index of the highest set bit of ``value`` (0 when ``value`` is 0): a balanced tree (the
    upper half's index when it has a one, else the lower half's), log2(width) multiplexer
    levels rather than a priority chain of ``width``."""
    def tree(lo: int, n: int):
        if n == 1:
            return value[lo], C(0, 1)
        half = 1 << ((n - 1).bit_length() - 1)          # the largest power of two below n
        any_lo, index_lo = tree(lo, half)
        any_hi, index_hi = tree(lo + half, n - half)
        return any_lo | any_hi, Mux(any_hi, half + index_hi, index_lo)

    width = len(value)
    p = Signal(range(max(width, 2)), name="leading_one")
    m.d.comb += p.eq(tree(0, width)[1])
    return p


def round_at(m: Module, value, drop, ties: str, *, sticky=0):
    """``value`` / 2^drop rounded to an integer, ties ``even`` or ``away`` (drop ≥ 1 a signal or
    an int; ``sticky``: bits below ``value`` that are not zero). Built from the guard bit (the
    one below the kept bits) and the OR of the bits under it: no full-width comparison."""
    width = len(value)
    one = Const(1, width + 1)
    q = Signal(width, name="rounded_q")
    guard = Signal(name="rounded_guard")
    below = Signal(name="rounded_below")             # any bit under the guard (or sticky)
    if isinstance(drop, int):
        lower = drop - 1
    else:
        lower = Signal(len(drop), name="rounded_lower")    # drop − 1 (drop ≥ 1)
        m.d.comb += lower.eq(drop - 1)
    m.d.comb += [
        q.eq(value >> drop),
        guard.eq((value >> lower)[0]),
        below.eq((value & ((one << lower) - 1)).any() | sticky),
    ]
    up = guard & (below | (1 if ties == "away" else q[0]))
    out = Signal(width + 1, name="rounded")
    m.d.comb += out.eq(q + up)
    return out


def normalize(m: Module, mag, frac_bits: int) -> tuple:
    """The first half of ``round_fixed``: (``mag`` shifted so its leading one is on top, its
    binade e = leading one − ``frac_bits``, ``mag`` == 0). A pipeline may cut between the
    halves."""
    width = len(mag)
    p = leading_one(m, mag)
    e = Signal(signed(max(width, frac_bits + 1).bit_length() + 2), name="binade")
    m.d.comb += e.eq(p - frac_bits)
    norm = Signal(width, name="normalized")
    amount = Signal(range(max(width, 2)), name="normalize")
    zero = Signal(name="mag_zero")
    m.d.comb += [amount.eq(width - 1 - p), norm.eq(mag << amount), zero.eq(mag == 0)]
    return norm, e, zero


def round_fixed(m: Module, fmt: NumberFormat, mag, frac_bits: int, *, sticky=0,
                saturate: bool = False) -> Signal:
    """The positive code of (mag + ε)·2^−frac_bits rounded once to ``fmt`` (its tie rule),
    ε ∈ (0, 1) when ``sticky``; overflow → +Inf, or the largest value when ``saturate`` or when
    the format has no Inf. ``sticky`` matters only for ties: every rounding boundary of ``fmt``
    within the range of ``mag`` must be a multiple of 2^−frac_bits.

    The leading one of ``mag`` gives the binade e; ``mag`` is normalized (leading one on top,
    ``normalize``); for each mantissa width w the format uses, the top bits are rounded at w
    (guard bit, sticky OR, ties away or to even); a per-binade table from ``fmt.binade`` picks
    the width and the code (``round_normalized``).
    """
    return round_normalized(m, fmt, *normalize(m, mag, frac_bits), frac_bits, sticky=sticky,
                            saturate=saturate)


def round_normalized(m: Module, fmt: NumberFormat, norm, e, zero, frac_bits: int, *, sticky=0,
                     saturate: bool = False) -> Signal:
    """The second half of ``round_fixed``, from ``normalize``'s outputs."""
    width = len(norm)
    lo, hi = fmt.binade_range
    overflow = fmt.overflow_code(saturate)
    code = Signal(fmt.width, name=f"{fmt.name}_rounded")

    reachable = range(-frac_bits, width - frac_bits)
    binades = {ee: fmt.binade(ee) for ee in reachable if lo <= ee <= hi}
    widths = sorted({b.w for b in binades.values()})
    kept = {}
    for w in widths:                           # k = 1.mant rounded to w bits (w + 2 bits wide)
        top = norm[max(width - 1 - w, 0):]
        if w + 1 > width:
            top = Cat(Const(0, w + 1 - width), top)
        if width - 2 - w >= 0:
            guard = norm[width - 2 - w]
            rest = (norm[:width - 2 - w] != 0) if width - 2 - w > 0 else C(0, 1)
            rest = rest | sticky
            up = guard & (1 if fmt.ties == "away" else (rest | top[0]))
        else:
            up = 0
        k = Signal(w + 2, name=f"kept_w{w}")
        m.d.comb += k.eq(top + up)
        kept[w] = k
    below_up = 1 if fmt.ties == "away" else ((norm[:width - 1] != 0) | sticky)

    with m.Switch(e):
        for ee, b in binades.items():
            with m.Case(ee):
                k = kept[b.w]
                nxt = fmt.binade(ee + 1)
                carry_code = nxt.base_code if nxt is not None else overflow
                index = k[:b.w] if b.w else C(0, 1)
                in_range = (index < b.count) if b.count < (1 << b.w) else 1
                m.d.comb += code.eq(Mux(k[b.w + 1], carry_code,
                                        Mux(in_range, b.base_code + index, overflow)))
        if lo - 1 in reachable:
            with m.Case(lo - 1):               # [2^(lo−1), 2^lo): 0 or the smallest value
                m.d.comb += code.eq(Mux(below_up, fmt.binade(lo).base_code, 0))
        with m.Default():
            m.d.comb += code.eq(Mux(e > hi, overflow, 0))
    out = Signal(fmt.width, name=f"{fmt.name}_code")
    m.d.comb += out.eq(Mux(zero, 0, code))
    return out


def cast(m: Module, src: NumberFormat, dst: NumberFormat, code, cuts=NO_CUTS) -> Signal:
    """The ``dst`` code of the ``src`` value ``code``, rounded once with ``dst``'s tie rule (golden:
    ``dst.encode(src.decode(code))``): NaN → ``dst``'s NaN, ±Inf and overflow → ±Inf (or ±max
    for a format without Inf), −0 and negative underflow → ``dst``'s −0 where it has one.

    |value| goes to fixed point at ``dst``'s finest rounding boundary (every tie of ``dst`` is a
    multiple of it; the bits below become the sticky flag) with one integer bit above ``dst``'s
    top binade, so larger magnitudes are flagged huge before any wrap. ``cuts``
    (``pipeline.Cuts``): optional register cuts ``fixed`` (after the fixed point) and
    ``normalize`` (after ``normalize``)."""
    f = decode(m, src, code)
    frac = -dst.finest_boundary
    int_bits = max(dst.binade_range[1], 0) + 2
    fixed = to_fixed(m, src, f, frac, int_bits)
    mag = Signal(int_bits + frac, name="cast_mag")    # floor(|value|·2^frac): t floors toward −∞
    huge = Signal(name="cast_huge")
    m.d.comb += [mag.eq(Mux(f.sign, -fixed.t - fixed.inexact, fixed.t)),
                 huge.eq(fixed.pos_huge | fixed.neg_huge)]
    sign, nan, sticky = f.sign, f.nan, fixed.inexact
    mag, sign, nan, huge, sticky = cuts("fixed", mag, sign, nan, huge, sticky)
    norm, e, zero = normalize(m, mag, frac)
    norm, e, zero, sign, nan, huge, sticky = cuts("normalize", norm, e, zero, sign, nan, huge,
                                                  sticky)
    rounded = round_normalized(m, dst, norm, e, zero, frac, sticky=sticky)
    out = Signal(dst.width, name=f"{dst.name}_cast")
    m.d.comb += out.eq(Mux(nan, dst.nan_code,
                           apply_sign(dst, sign, Mux(huge, dst.overflow_code(), rounded))))
    return out


def apply_sign(fmt: NumberFormat, sign, code):
    """The code of −value when ``sign`` is set, by the format's rule (HiF8: 0 has no negative)."""
    sign_bit = 1 << (fmt.width - 1)
    if int(fmt.negate_code(0)) == 0:
        return Mux(sign & (code != 0), code | sign_bit, code)
    return Mux(sign, code | sign_bit, code)


def ieee_code(fmt: NumberFormat, exponent, significand, normal):
    """The code of significand·2^(exponent − man_bits) for an IEEE-style format: ``significand``
    rounded to man_bits + 1 bits (a carry to 2^(man_bits+1) moves the exponent); a subnormal
    result (``normal`` false) is the significand itself."""
    return Mux(normal, ((exponent + fmt.bias) << fmt.man_bits) + significand - (1 << fmt.man_bits),
               significand)


def magnitude_at_least(fmt: NumberFormat, code, value: float):
    """|code| ≥ |value| for an IEEE-style format (magnitude codes ascend with the value); a
    power-of-two threshold compares the exponent field only."""
    threshold = int(fmt.encode(abs(value))) & ((1 << (fmt.width - 1)) - 1)
    if threshold & ((1 << fmt.man_bits) - 1) == 0:
        return code[fmt.man_bits:fmt.width - 1] >= threshold >> fmt.man_bits
    return code[:fmt.width - 1] >= threshold
