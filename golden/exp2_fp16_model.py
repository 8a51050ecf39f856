"""Bit-exact integer models of the ``Exp2FP16`` datapaths (FP16 in, 2^x in FP16).

Two variants share one algorithm and differ in the widths of ``Exp2FP16Design``:

* ``CORRECT``: correctly rounded (RNE) for all 65,536 inputs — 64 segments, linear, 17-bit
  fraction, 66 thresholds for |x| < 2^−5, 77 patches.
* ``FAITHFUL``: every finite result is one of the two FP16 values bracketing the exact 2^x (within
  1 ulp), exact where 2^x is representable — 16 segments, linear, 13-bit fraction biased up and
  truncated (no rounding adder), 1 threshold, 2 patches.

Algorithm (every step is an integer operation the RTL performs identically):

1. Specials: NaN → 0x7E00, +Inf and x ≥ 16 → +Inf (0x7C00), −Inf and x ≤ −25 → +0.
   Small |x| < 2^small_exp: 2^x rounds to 1.0 ± k ulps, k the number of thresholds at or below
   |x| (``small_steps``, read off the mpmath reference: the comparators of the RTL).
2. Range reduction: X = x·2^f_bits (f_bits = 10 − small_exp) is an exact signed integer for
   every remaining x; n = X >> f_bits (floor), f = X mod 2^f_bits, so 2^x = 2^n · 2^(f/2^f_bits).
3. 2^f on [0, 1): segment i = top ``seg_bits`` bits of f, offset r = the low bits of f, of which
   the top ``r_bits`` are used (rt = r >> r_drop); a polynomial per segment in fixed point with
   truncating shifts: y = C0[i] + (C1[i]·rt >> s1) [+ (C2[i]·((rt·rt) >> q) >> s2)],
   y/2^p ≈ 2^f ∈ [1, 2].
4. Rounding (RNE, or truncation with ``truncate``) of y·2^n to FP16: for n ≥ −14, k = y
   rounded at p − 10 bits and code = ((n+15) << 10) + k − 1024 (a carry to 2.0 moves the
   exponent); for −25 ≤ n < −14 (subnormal results), code = y rounded at p − 24 − n bits.
5. Patches: the few inputs listed in the design (exact 2^x extremely close to a rounding
   boundary) take their stored result (``patch_values``).

The widths, the threshold range and the patch lists come from ``python -m
baps_rtl.synth.exp2_fp16_search`` (tables in docs/exp2_fp16_search_correct.md and
docs/exp2_fp16_search_faithful.md); the test suite checks the stated accuracy of each variant on
all 65,536 inputs, and that the arithmetic alone is wrong on exactly the patched inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .formats import FP16

__all__ = ["Exp2FP16Design", "CORRECT", "FAITHFUL", "DESIGNS", "coefficients", "datapath",
           "arithmetic", "patch_values",
           "small_steps", "TINY_EXP", "NAN", "POS_INF", "ONE"]

TINY_EXP = -12       # |x| < 2^TINY_EXP: 2^x rounds to 1.0 (the default small_exp)
NAN, POS_INF, ONE = 0x7E00, 0x7C00, 0x3C00
X_HI = 16.0          # x ≥ 16 → +Inf
X_LO = -25.0         # x ≤ −25 → +0


@dataclass(frozen=True)
class Exp2FP16Design:
    """Widths of one variant. ``b2 is None`` means linear (no square term)."""

    name: str
    seg_bits: int     # segments of [0, 1): 2^seg_bits
    r_bits: int       # bits of the in-segment offset used
    p: int            # fraction bits of y
    b1: int           # C1 = round(a1 · 2^b1)
    b2: int | None    # C2 = round(a2 · 2^b2)
    q: int = 0        # rt·rt >> q
    patches: tuple[int, ...] = ()   # input codes whose result is stored (see ``patch_values``)
    small_exp: int = TINY_EXP       # |x| < 2^small_exp: result from thresholds (``small_steps``)
    truncate: bool = False          # step 4 truncates instead of rounding (a faithful design)
    bias: int = 0                   # added to every C0 (with truncation: y ≥ 2^f)

    @property
    def f_bits(self) -> int:
        """Fraction bits of the fixed-point x: exact for every |x| ≥ 2^small_exp."""
        return FP16.man_bits - self.small_exp

    @property
    def r_drop(self) -> int:
        return self.f_bits - self.seg_bits - self.r_bits

    @property
    def s1(self) -> int:      # a1·t in units of 2^-p: t = rt·2^-(seg_bits + r_bits)
        return self.seg_bits + self.r_bits + self.b1 - self.p

    @property
    def s2(self) -> int:
        return 2 * (self.seg_bits + self.r_bits) - self.q + self.b2 - self.p


CORRECT = Exp2FP16Design("correct", seg_bits=6, r_bits=9, p=17, b1=10, b2=None, small_exp=-5,
                         patches=(  # 77 inputs with 2^-5 <= |x| < 15
            10244, 10334, 10424, 10738, 10916, 11005, 11094, 11575, 11662, 11900, 11943,
            12178, 12402, 12804, 12814, 13335, 13813, 13954, 14355, 14626, 14840, 14986,
            15150, 15231, 15255, 15339, 16017, 16124, 16197, 16279, 16766, 17278, 17599,
            17855, 18111, 18367, 43046, 43188, 43212, 43283, 43664, 43688, 43736, 43784,
            44024, 44040, 44149, 44161, 44258, 44319, 44515, 44688, 44887, 45050, 45346,
            45528, 45813, 46096, 46267, 46524, 46621, 46731, 47066, 47295, 47743, 48095,
            48233, 48315, 48388, 48495, 49282, 49794, 50241, 50497, 50753, 51009, 51971))

FAITHFUL = Exp2FP16Design("faithful", seg_bits=4, r_bits=8, p=13, b1=6, b2=None,
                          patches=(12789, 12799), small_exp=-11, truncate=True, bias=5)
DESIGNS = {d.name: d for d in (CORRECT, FAITHFUL)}


@lru_cache(maxsize=None)
def coefficients(design: Exp2FP16Design) -> tuple[np.ndarray, ...]:
    """C0, C1 (and C2 for a quadratic) as int64 arrays of 2^seg_bits entries.

    Each segment is fitted by least squares at Chebyshev nodes in float64; C0[0] is exactly 2^p,
    so that integer x gives an exact power of two.
    """
    nseg = 1 << design.seg_bits
    width = 2.0 ** -design.seg_bits
    k = np.arange(64)
    nodes = (np.cos((2 * k + 1) * np.pi / 128) + 1) / 2 * width     # on [0, width]
    degree = 1 if design.b2 is None else 2
    table = np.empty((degree + 1, nseg), dtype=np.int64)
    scales = [design.p, design.b1, design.b2][:degree + 1]
    for i in range(nseg):
        fit = np.polyfit(nodes, np.exp2(i * width + nodes), degree)[::-1]   # a0, a1, (a2)
        table[:, i] = [round(a * 2.0 ** s) for a, s in zip(fit, scales)]
    table[0, 0] = 1 << design.p
    table[0] += design.bias      # below one result ulp: truncation still gives 2^n exactly
    return tuple(table)


@lru_cache(maxsize=None)
def patch_values(design: Exp2FP16Design) -> tuple[int, ...]:
    """The correctly rounded result of each patched input code (from the mpmath reference).

    A few inputs whose exact 2^x lies extremely close to a rounding boundary need far more
    internal precision than all the others; storing their results (a comparator each in the RTL)
    is much smaller than widening the whole datapath for them. The list is part of the design,
    fixed in this file: any other input that comes out wrong fails the exhaustive tests."""
    from .exp2 import exp2_exact
    return tuple(exp2_exact(float(FP16.decode(np.uint16(c))), FP16) for c in design.patches)


@lru_cache(maxsize=None)
def small_steps(small_exp: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """For |x| < 2^small_exp, 2^x rounds to 1.0 plus or minus a few ulps, and the result steps
    monotonically with |x|: (positive, negative) tuples of magnitude codes (x & 0x7FFF) at which
    the result moves one code up (x > 0) or down (x < 0) from 0x3C00, from the mpmath reference.
    The RTL compares the magnitude with each (the 'comparators for tiny |x|')."""
    from .exp2 import exp2_reference
    ref = exp2_reference("fp16", "fp16").astype(np.int64)
    top = int(FP16.encode(2.0 ** small_exp))
    mags = np.arange(top)
    steps = []
    for sign in (0, 0x8000):
        out = ref[mags | sign]
        delta = np.abs(out - ONE)
        if np.any(np.diff(delta) < 0) or np.any(np.diff(delta) > 1):
            raise ValueError(f"2^x is not a unit staircase below 2^{small_exp}")
        steps.append(tuple(int(c) for c in mags[1:][np.diff(delta) == 1]))
    return steps[0], steps[1]


def _round_rne(y: np.ndarray, drop: np.ndarray) -> np.ndarray:
    """y / 2^drop rounded to nearest, ties to even (drop ≥ 1)."""
    q = y >> drop
    rem = y - (q << drop)
    half = np.int64(1) << (drop - 1)
    return q + ((rem > half) | ((rem == half) & (q & 1 == 1)))


def datapath(codes, design: Exp2FP16Design = CORRECT) -> np.ndarray:
    """Steps 1–4 for FP16 codes, then the patched codes; uint16 output codes."""
    codes = FP16.check_codes(codes)
    out = arithmetic(codes, design)
    for code, value in zip(design.patches, patch_values(design)):
        out[codes == code] = value
    return out


def arithmetic(codes, design: Exp2FP16Design = CORRECT) -> np.ndarray:
    """Steps 1–4 only (no patches): what the search checks to choose the patches."""
    codes = FP16.check_codes(codes)
    x = FP16.decode(codes)
    fb = design.f_bits
    X, _ = FP16.to_fixed(codes, fb)          # exact for |x| ≥ 2^small_exp (smaller x: step 1)
    n = X >> fb
    f = X & ((1 << fb) - 1)
    i = f >> (fb - design.seg_bits)
    rt = (f & ((1 << (fb - design.seg_bits)) - 1)) >> design.r_drop
    c = coefficients(design)
    y = c[0][i] + ((c[1][i] * rt) >> design.s1)
    if design.b2 is not None:
        y = y + ((c[2][i] * ((rt * rt) >> design.q)) >> design.s2)
    normal = n >= -14
    drop = np.where(normal, design.p - 10, np.clip(design.p - 24 - n, 1, 62))
    k = y >> drop if design.truncate else _round_rne(y, drop)
    out = np.where(normal, np.minimum(((n + 15) << 10) + k - 1024, POS_INF), k)
    pos, neg = small_steps(design.small_exp)
    mag = codes.astype(np.int64) & 0x7FFF
    up = np.searchsorted(np.asarray(pos, dtype=np.int64), mag, side="right")
    down = np.searchsorted(np.asarray(neg, dtype=np.int64), mag, side="right")
    stepped = np.where(codes >= 0x8000, ONE - down, ONE + up)
    with np.errstate(invalid="ignore"):
        out = np.where(np.abs(x) < 2.0 ** design.small_exp, stepped, out)
        out = np.where(x >= X_HI, POS_INF, out)
        out = np.where(x <= X_LO, 0, out)
    out = np.where(np.isnan(x), NAN, out)
    return out.astype(np.uint16)


def exp2_fp16(codes, design: Exp2FP16Design | str = CORRECT) -> np.ndarray:
    """The bit-exact model of ``Exp2FP16(accuracy=design.name)``."""
    if isinstance(design, str):
        design = DESIGNS[design]
    return datapath(codes, design)
