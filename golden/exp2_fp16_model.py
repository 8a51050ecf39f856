"""Bit-exact integer models of the ``Exp2FP16`` datapaths (FP16 in, 2^x in FP16).

Two registered designs share one algorithm and differ in their ``Exp2FP16Design`` (widths,
choices and coefficient tables, stored as data in ``exp2_fp16_designs.json``):

* ``CORRECT``: correctly rounded (RNE) for all 65,536 inputs.
* ``FAITHFUL``: every finite result is one of the two FP16 values bracketing the exact 2^x (within
  1 ulp), exact where 2^x is representable.

Algorithm (every step is an integer operation the RTL performs identically):

1. Specials: NaN → 0x7E00; +Inf and x ≥ 16 → +Inf (0x7C00); −Inf and x ≤ −25 → +0. Small
   |x| < 2^small_exp: 1.0 (``small_one``, a faithful design) or, correctly rounded, 1.0 ± k ulps,
   k the number of thresholds at or below |x| (``small_steps``: the RTL's comparators).
2. Range reduction: M = floor(|x|·2^f) (f = ``frac_bits``) by one left shift of the significand
   (no right shift: exponents below small_exp were step 1's). X = M for x ≥ 0 and X = ~M (ones'
   complement, no adder) for x < 0; n = X >> f (floor), F = X mod 2^f, so x ≈ n + F/2^f: a
   negative x loses 2^−f, which ``carry_in`` gives back exactly (one more multiplier row).
3. 2^(F/2^f) on [0, 1]: segment i = the top ``seg_bits`` of F, r = the next ``r_bits``;
   y = C0[i] + (Σ_j r_j·C1'·2^j [+ C1' when carry_in and x < 0]) >> sh, with C1 = c1 indexed by
   the top ``c1_index_bits`` of i and C1' = C1 with its bits of weight below
   ``dropped_columns`` − j cleared (a truncated multiplier: no partial-product bit of weight
   below 2^dropped_columns), sh = c1_bits − 1 − (p − seg_bits − r_bits); y/2^p ≈ 2^(F/2^f).
4. Rounding of y·2^n to FP16, RNE (``rounding="even"``) or truncation (``"truncate"``): for
   n ≥ −14, k = y rounded at p − 10 bits and code = ((n + 15) << 10) + k − 1024 (a carry to 2.0
   moves the exponent); for n < −14 (subnormal results) code = y rounded at p − 24 − n bits.
5. Patches: the few inputs listed in the design take their stored result (``patch_values``).

C0 and C1 come from ``golden.exp2_fp16_fit`` (an exact per-segment fit); the widths from
``python -m baps_rtl.synth.exp2_fp16_search`` (tables in docs/). The test suite checks each
design's stated accuracy on all 65,536 inputs, that the arithmetic alone is wrong exactly on
the patched inputs, and that the fit reproduces the stored tables.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from .formats import FP16

__all__ = ["Exp2FP16Design", "CORRECT", "FAITHFUL", "DESIGNS", "ROUNDINGS", "datapath",
           "arithmetic", "fields", "segment_poly", "round_result", "patch_values", "small_steps",
           "exp2_fp16", "NAN", "POS_INF", "ONE", "X_HI", "X_LO"]

NAN, POS_INF, ONE = 0x7E00, 0x7C00, 0x3C00
X_HI = 16.0          # x ≥ 16 → +Inf
X_LO = -25.0         # x ≤ −25 → +0
ROUNDINGS = ("even", "truncate")
CARRY_FLAG = 1 << 40  # ``fields``: marks r of a negative x whose design adds the carry-in row


@dataclass(frozen=True)
class Exp2FP16Design:
    """Widths, choices and tables of one FP16 EXP2 datapath (the module docstring's steps)."""

    name: str
    frac_bits: int            # f: M = floor(|x|·2^f)
    seg_bits: int             # 2^seg_bits segments of [0, 1)
    r_bits: int               # offset bits used (the top r_bits of the f − seg_bits under i)
    p: int                    # fraction bits of y (11 … 30: the RTL rounding position is 5 bits)
    c1_bits: int              # width of every C1
    c1_index_bits: int        # C1 is shared by segments with the same top c1_index_bits
    dropped_columns: int      # truncated multiplier: partial-product bits of weight < 2^this go
    rounding: str             # "even" (RNE, correctly rounded) or "truncate" (faithful)
    carry_in: bool            # x < 0: add the lost 2^−f back (one C1 row), so X is exact
    small_exp: int            # |x| < 2^small_exp: step 1's small results
    small_one: bool = False   # small results are 1.0 (faithful) instead of the thresholds
    c0: tuple[int, ...] = ()  # 2^seg_bits entries
    c1: tuple[int, ...] = ()  # 2^c1_index_bits entries
    patches: tuple[int, ...] = ()   # input codes whose result is stored (``patch_values``)

    def __post_init__(self):
        problems = []
        if self.rounding not in ROUNDINGS:
            problems.append(f"rounding={self.rounding!r} (allowed: {', '.join(ROUNDINGS)})")
        if not 1 <= self.seg_bits < self.frac_bits or not 1 <= self.r_bits <= self.r_room:
            problems.append(f"seg_bits={self.seg_bits}, r_bits={self.r_bits} with frac_bits="
                            f"{self.frac_bits} (need 1 ≤ seg_bits < frac_bits, 1 ≤ r_bits ≤ "
                            "frac_bits − seg_bits)")
        if not 0 <= self.c1_index_bits <= self.seg_bits:
            problems.append(f"c1_index_bits={self.c1_index_bits} (0 … seg_bits={self.seg_bits})")
        if (not 11 <= self.p <= 30 or self.c1_bits < 1 or self.product_shift < 0
                or self.dropped_columns < 0):
            problems.append(f"p={self.p}, c1_bits={self.c1_bits}, dropped_columns="
                            f"{self.dropped_columns} (need 11 ≤ p ≤ 30, c1_bits ≥ 1, product shift "
                            f"c1_bits − 1 − (p − seg_bits − r_bits) = {self.product_shift} ≥ 0)")
        if not FP16.emin <= self.small_exp <= 0 or not 0 <= self.shift_right <= FP16.man_bits:
            problems.append(f"small_exp={self.small_exp} with frac_bits={self.frac_bits} (need "
                            f"{FP16.emin} ≤ small_exp ≤ 0 and 0 ≤ 10 − small_exp − frac_bits ≤ 10:"
                            " every x ≥ 2^small_exp exact to at most frac_bits bits)")
        if self.c0 and (len(self.c0) != 1 << self.seg_bits
                        or len(self.c1) != 1 << self.c1_index_bits
                        or min(self.c1) < 0 or max(self.c1) >= 1 << self.c1_bits
                        or min(self.c0) < 0 or max(self.c0) >= 1 << (self.p + 1)):
            problems.append("coefficient tables of the wrong length or range")
        if problems:
            raise ValueError(f"Exp2FP16Design {self.name!r}: " + "; ".join(problems))

    @property
    def r_room(self) -> int:
        return self.frac_bits - self.seg_bits

    @property
    def r_drop(self) -> int:
        return self.r_room - self.r_bits

    @property
    def product_shift(self) -> int:
        """sh: (C1·r) >> sh is in units of 2^−p (C1 has c1_bits, its top bit ~ the slope ln 2)."""
        return self.c1_bits - 1 - (self.p - self.seg_bits - self.r_bits)

    @property
    def min_exponent_field(self) -> int:
        """The smallest biased exponent field that goes through the datapath."""
        return self.small_exp + FP16.bias

    @property
    def shift_right(self) -> int:
        """M = (significand << (exponent field − min_exponent_field)) >> shift_right."""
        return FP16.man_bits - self.small_exp - self.frac_bits

    def widths(self) -> dict:
        """Every field but the name and the fitted tables (what the fit and the search vary)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if f.name not in ("name", "c0", "c1", "patches")}


def _load() -> dict[str, Exp2FP16Design]:
    text = resources.files(__package__).joinpath("exp2_fp16_designs.json").read_text()
    out = {}
    for name, d in json.loads(text).items():
        out[name] = Exp2FP16Design(name=name, **{k: tuple(v) if isinstance(v, list) else v
                                                 for k, v in d.items()})
    return out


DESIGNS = _load()
CORRECT, FAITHFUL = DESIGNS["correct"], DESIGNS["faithful"]


@lru_cache(maxsize=None)
def patch_values(design: Exp2FP16Design) -> tuple[int, ...]:
    """The correctly rounded result of each patched input code (from the mpmath reference).

    A few inputs whose exact 2^x lies extremely close to a rounding boundary need far more
    internal precision than all the others; storing their results (a comparator each in the RTL)
    is much smaller than widening the whole datapath for them."""
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


def fields(codes, design: Exp2FP16Design):
    """Steps 1–2 for FP16 codes: (in_datapath, n, i, r) as int64 arrays. ``in_datapath`` is false
    for the inputs step 1 decides; r of a negative x carries ``CARRY_FLAG`` when the design adds
    the carry-in row."""
    codes = FP16.check_codes(codes).astype(np.int64)
    sign = codes >> 15
    e = (codes >> FP16.man_bits) & 31
    sig = (codes & 1023) | 1024
    d = design
    with np.errstate(invalid="ignore"):
        x = FP16.decode(codes)
        inside = (np.abs(x) >= 2.0 ** d.small_exp) & (x < X_HI) & (x > X_LO)
    amount = np.where(inside, e - d.min_exponent_field, 0)
    mag = (sig << amount) >> d.shift_right
    X = np.where(sign == 1, ~mag, mag)
    f = d.frac_bits
    n = X >> f
    F = X & ((1 << f) - 1)
    i = F >> d.r_room
    r = (F & ((1 << d.r_room) - 1)) >> d.r_drop
    if d.carry_in:
        r = r | (sign * CARRY_FLAG)
    return inside, n, i, r


def segment_poly(design: Exp2FP16Design, c0, c1, r) -> np.ndarray:
    """Step 3's y for offsets ``r`` (``fields``' r, carry flag included) and coefficients c0, c1
    (scalars or arrays broadcast with r)."""
    d = design
    c1 = np.asarray(c1, dtype=np.int64)
    r = np.asarray(r, dtype=np.int64)
    acc = np.zeros(np.broadcast(c1, r).shape, dtype=np.int64)
    for j in range(d.r_bits):
        keep = max(d.dropped_columns - j, 0)
        acc = acc + (((c1 >> keep) << keep) << j) * ((r >> j) & 1)
    if d.carry_in:
        keep = d.dropped_columns
        acc = acc + ((c1 >> keep) << keep) * ((r & CARRY_FLAG) != 0)
    return np.asarray(c0, dtype=np.int64) + (acc >> d.product_shift)


def _round_rne(y: np.ndarray, drop: np.ndarray) -> np.ndarray:
    """y / 2^drop rounded to nearest, ties to even (drop ≥ 1)."""
    q = y >> drop
    rem = y - (q << drop)
    half = np.int64(1) << (drop - 1)
    return q + ((rem > half) | ((rem == half) & (q & 1 == 1)))


def round_result(design: Exp2FP16Design, n, y) -> np.ndarray:
    """Step 4: the FP16 code of (y/2^p)·2^n, rounded by the design's rule (int64)."""
    n = np.asarray(n, dtype=np.int64)
    y = np.asarray(y, dtype=np.int64)
    normal = n >= FP16.emin
    if design.rounding == "truncate":
        k0 = y >> (design.p - FP16.man_bits)
        sub = np.clip(FP16.emin - 1 - n, 0, 62)
        return np.where(normal, ((n + FP16.bias + (k0 >> 11)) << 10) | (k0 & 1023),
                        (k0 >> 1) >> sub)
    drop = np.where(normal, design.p - 10, np.clip(design.p - 24 - n, 1, 62))
    k = _round_rne(y, drop)
    return np.where(normal, ((n + 15) << 10) + k - 1024, k)


def datapath(codes, design: Exp2FP16Design = CORRECT) -> np.ndarray:
    """Steps 1–4 for FP16 codes, then the patched codes; uint16 output codes."""
    codes = FP16.check_codes(codes)
    out = arithmetic(codes, design)
    for code, value in zip(design.patches, patch_values(design)):
        out[codes == code] = value
    return out


def arithmetic(codes, design: Exp2FP16Design = CORRECT) -> np.ndarray:
    """Steps 1–4 only (no patches): what the fit checks to choose the patches."""
    d = design
    if not d.c0:
        raise ValueError(f"Exp2FP16Design {d.name!r} has no coefficient tables (fit it first)")
    codes = FP16.check_codes(codes)
    x = FP16.decode(codes)
    inside, n, i, r = fields(codes, d)
    c0 = np.asarray(d.c0, dtype=np.int64)
    c1 = np.asarray(d.c1, dtype=np.int64)
    y = segment_poly(d, c0[i], c1[i >> (d.seg_bits - d.c1_index_bits)], r)
    out = round_result(d, n, y)
    out = np.where(inside, np.minimum(out, POS_INF), 0)
    mag = codes.astype(np.int64) & 0x7FFF
    if d.small_one:
        small = np.full(codes.shape, ONE)
    else:
        pos, neg = small_steps(d.small_exp)
        up = np.searchsorted(np.asarray(pos, dtype=np.int64), mag, side="right")
        down = np.searchsorted(np.asarray(neg, dtype=np.int64), mag, side="right")
        small = np.where(codes >= 0x8000, ONE - down, ONE + up)
    with np.errstate(invalid="ignore"):
        out = np.where(np.abs(x) < 2.0 ** d.small_exp, small, out)
        out = np.where(x >= X_HI, POS_INF, out)
        out = np.where(x <= X_LO, 0, out)
    out = np.where(np.isnan(x), NAN, out)
    return out.astype(np.uint16)


def exp2_fp16(codes, design: Exp2FP16Design | str = CORRECT) -> np.ndarray:
    """The bit-exact model of ``Exp2FP16(accuracy=design.name)``."""
    if isinstance(design, str):
        design = DESIGNS[design]
    return datapath(codes, design)
