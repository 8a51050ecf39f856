"""Bit-exact integer models of the ``Exp2FP16`` datapaths (FP16 in, 2^x in FP16).

Two variants share one algorithm and differ in the widths of ``Exp2FP16Design``:

* ``CORRECT``: correctly rounded (RNE) for all 65,536 inputs — a 64-segment quadratic.
* ``FAITHFUL``: every finite result is one of the two FP16 values bracketing the exact 2^x (within
  1 ulp), exact where 2^x is representable — a 16-segment linear interpolation, much narrower.

Algorithm (every step is an integer operation the RTL performs identically):

1. Specials: NaN → 0x7E00, +Inf and x ≥ 16 → +Inf (0x7C00), −Inf and x ≤ −25 → +0,
   |x| < 2^−12 → 1.0 (0x3C00; 2^x rounds to 1 there for both signs).
2. Range reduction: X = x·2^22 is an exact signed integer for every remaining x;
   n = X >> 22 (floor), f = X mod 2^22, so 2^x = 2^n · 2^(f/2^22).
3. 2^f on [0, 1): segment i = top ``seg_bits`` bits of f, offset r = the low bits of f, of which
   the top ``r_bits`` are used (rt = r >> (22 − seg_bits − r_bits)); a polynomial per segment
   in fixed point with truncating shifts:
   y = C0[i] + (C1[i]·rt >> s1) [+ (C2[i]·((rt·rt) >> q) >> s2)], y/2^p ≈ 2^f ∈ [1, 2].
4. Rounding (RNE) of y·2^n to FP16: for n ≥ −14, k = y rounded at p − 10 bits and
   code = ((n+15) << 10) + k − 1024 (a carry to 2.0 moves the exponent); for −25 ≤ n < −14
   (subnormal results), code = y rounded at p − 24 − n bits.

The widths were found by exhaustive search against the mpmath reference; the test suite checks
the stated accuracy of each variant on all 65,536 inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .formats import FP16

__all__ = ["Exp2FP16Design", "CORRECT", "FAITHFUL", "DESIGNS", "coefficients", "datapath",
           "F_BITS", "TINY_EXP", "NAN", "POS_INF", "ONE"]

F_BITS = 22          # fraction bits of the fixed-point x
TINY_EXP = -12       # |x| < 2^TINY_EXP → 1.0
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

    @property
    def r_drop(self) -> int:
        return F_BITS - self.seg_bits - self.r_bits

    @property
    def s1(self) -> int:      # a1·t in units of 2^-p: t = rt·2^-(seg_bits + r_bits)
        return self.seg_bits + self.r_bits + self.b1 - self.p

    @property
    def s2(self) -> int:
        return 2 * (self.seg_bits + self.r_bits) - self.q + self.b2 - self.p


CORRECT = Exp2FP16Design("correct", seg_bits=6, r_bits=16, p=28, b1=21, b2=14, q=16)
FAITHFUL = Exp2FP16Design("faithful", seg_bits=4, r_bits=9, p=14, b1=8, b2=None)
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
    return tuple(table)


def _round_rne(y: np.ndarray, drop: np.ndarray) -> np.ndarray:
    """y / 2^drop rounded to nearest, ties to even (drop ≥ 1)."""
    q = y >> drop
    rem = y - (q << drop)
    half = np.int64(1) << (drop - 1)
    return q + ((rem > half) | ((rem == half) & (q & 1 == 1)))


def datapath(codes, design: Exp2FP16Design = CORRECT) -> np.ndarray:
    """Steps 1–4 for FP16 codes; uint16 output codes."""
    codes = FP16.check_codes(codes)
    x = FP16.decode(codes)
    X, _ = FP16.to_fixed(codes, F_BITS)      # exact for |x| ≥ 2^−12 (smaller x: step 1)
    n = X >> F_BITS
    f = X & ((1 << F_BITS) - 1)
    i = f >> (F_BITS - design.seg_bits)
    rt = (f & ((1 << (F_BITS - design.seg_bits)) - 1)) >> design.r_drop
    c = coefficients(design)
    y = c[0][i] + ((c[1][i] * rt) >> design.s1)
    if design.b2 is not None:
        y = y + ((c[2][i] * ((rt * rt) >> design.q)) >> design.s2)
    normal = n >= -14
    drop = np.where(normal, design.p - 10, np.clip(design.p - 24 - n, 1, 62))
    k = _round_rne(y, drop)
    out = np.where(normal, np.minimum(((n + 15) << 10) + k - 1024, POS_INF), k)
    with np.errstate(invalid="ignore"):
        out = np.where(np.abs(x) < 2.0 ** TINY_EXP, ONE, out)
        out = np.where(x >= X_HI, POS_INF, out)
        out = np.where(x <= X_LO, 0, out)
    out = np.where(np.isnan(x), NAN, out)
    return out.astype(np.uint16)


def exp2_fp16(codes, design: Exp2FP16Design | str = CORRECT) -> np.ndarray:
    """The bit-exact model of ``Exp2FP16(accuracy=design.name)``."""
    if isinstance(design, str):
        design = DESIGNS[design]
    return datapath(codes, design)
