"""Bit-exact model of the Softermax datapath (Stevens et al., DAC 2021; ``comparisons.md``).

Scores t are FP32 values in the base-2 domain. The matrix side sends Q(6,2) codes
(``fixed_scores.Q6_2``: c = RNE(4t) saturated to ±127, −128 = masked). Per row, in key order,
``lanes`` keys per beat (the vectorized form of Softermax's online unnormed unit):

* beat max: the largest unmasked code; m_new = max(m_old, ceil(c_max / 4)), an integer
  (−31..32); a beat with every key masked leaves m unchanged;
* unnormalized value u = 2^(c/4 − m_new) in Q(1,15): with c − 4·m_new = 4i + f (i = floor,
  f ∈ 0..3), u = POW2_Q15[f] >> −i, where POW2_Q15[f] = round(2^(f/4)·2^15) (a 4-entry table;
  the shift truncates); masked keys u = 0; u is stored with its beat's m;
* running sum d in Q(10,6) (16 bits, unsigned): d = min((d >> (m_new − m_old)) + Σ (u >> 9),
  2^16 − 1): renormalized by a right shift, each term truncated from Q(1,15), saturating (about
  1023 terms of 1.0 fit);
* normalization pass, after the row's last key: e = ⌊log2 d⌋, the mantissa of d (leading one on
  bit 15 of n = d << (15 − e)) indexes 8 segments (the 3 bits below the leading one); the
  reciprocal of the mantissa is the chord of 1/x on the segment, r12 = C0[s] − (C1[s]·t >> 8) in
  Q(1,12) with t the next 8 bits, rounded to r in Q(1,7) (r = (r12 + 16) >> 5, 64..128);
* output p = min((v·r) >> (e + 9), 255) in Q(1,7) (unsigned 8 bits), v = u >> (m_final − m_beat)
  (truncating): p ≈ 128·v·2^−15 / d. A row without unmasked keys (d = 0) gives p = 0.

Choices the paper leaves open (this project's): RNE into Q(6,2) with −128 as the mask code; the
max is updated per beat of ``lanes`` keys; truncation everywhere after the table (the HLS
default); 8 chord segments for the reciprocal; saturation of d at 2^16 − 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .tile import BC, LANES, tile_scores_array
from .fixed_scores import MASK_CODE, Q6_2

__all__ = ["SoftermaxConfig", "SoftermaxResult", "softermax", "POW2_Q15", "RECIP_SEGMENTS",
           "RECIP_C0", "RECIP_C1", "reciprocal_q7", "D_MAX"]

POW2_Q15 = tuple(round(2.0 ** (f / 4) * 2 ** 15) for f in range(4))
RECIP_SEGMENTS = 8
RECIP_C0 = tuple(round(2 ** 12 / (1 + s / RECIP_SEGMENTS)) for s in range(RECIP_SEGMENTS + 1))
RECIP_C1 = tuple(RECIP_C0[s] - RECIP_C0[s + 1] for s in range(RECIP_SEGMENTS))
RECIP_C0 = RECIP_C0[:RECIP_SEGMENTS]
D_MAX = (1 << 16) - 1
U_ONE = 1 << 15


@dataclass(frozen=True)
class SoftermaxConfig:
    bc: int = 64       # key block size (framing only: the numerics follow the beats)
    lanes: int = 8     # keys per beat: the running max is updated once per beat

    def __post_init__(self):
        BC.check(self.bc)
        LANES.check(self.lanes)
        if self.bc % self.lanes:
            raise ValueError(f"bc={self.bc} is not a multiple of lanes={self.lanes}; "
                             "allowed: bc = k·lanes")


@dataclass
class SoftermaxResult:
    codes: np.ndarray     # (rows, n) Q(6,2) codes (−128 masked)
    u: np.ndarray         # (rows, n) unnormalized values, Q(1,15)
    m_beat: np.ndarray    # (rows, beats) running max after each beat (−32 before any key)
    d: np.ndarray         # (rows,) running sum at the row's end, Q(10,6)
    r: np.ndarray         # (rows,) reciprocal mantissa, Q(1,7)
    p: np.ndarray         # (rows, n) probabilities, Q(1,7) codes

    def probabilities(self) -> np.ndarray:
        return self.p / 128.0


def reciprocal_q7(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(e, r): d = 2^e · mant with mant ∈ [1, 2), r ≈ 128 / mant in Q(1,7) (chord, 8 segments);
    d = 0 gives e = 0 and r = 128."""
    d = np.asarray(d, dtype=np.int64)
    e = np.maximum(np.frexp(d.astype(np.float64))[1] - 1, 0)        # bit length − 1 (exact)
    n = d << (15 - e)
    s = (n >> 12) & (RECIP_SEGMENTS - 1)
    t = (n >> 4) & 0xFF
    r12 = np.array(RECIP_C0)[s] - ((np.array(RECIP_C1)[s] * t) >> 8)
    return e, (r12 + 16) >> 5


def softermax(scores, cfg: SoftermaxConfig = SoftermaxConfig()) -> SoftermaxResult:
    """Run the bit-exact Softermax datapath over ``scores`` (rows × n, n a multiple of bc)."""
    t = tile_scores_array(scores, cfg.bc)
    rows, n = t.shape
    c = Q6_2.encode(t)
    beats = n // cfg.lanes
    u = np.zeros((rows, n), dtype=np.int64)
    m_beat = np.empty((rows, beats), dtype=np.int64)
    m = np.full(rows, -32, dtype=np.int64)        # below every ceil: the first key sets m
    seen = np.zeros(rows, dtype=bool)
    d = np.zeros(rows, dtype=np.int64)
    pow2 = np.array(POW2_Q15, dtype=np.int64)
    for b in range(beats):
        cb = c[:, b * cfg.lanes:(b + 1) * cfg.lanes]
        valid = cb != MASK_CODE
        any_valid = valid.any(axis=1)
        cmax = np.where(valid, cb, MASK_CODE).max(axis=1)
        ceil = (cmax + 3) >> 2
        m_new = np.where(any_valid, np.where(seen, np.maximum(m, ceil), ceil), m)
        diff = cb - 4 * m_new[:, None]                                  # ≤ 0 where valid
        ub = np.where(valid, pow2[diff & 3] >> np.minimum(-(diff >> 2), 62), 0)
        shift = np.where(seen, m_new - m, 0)
        d = np.minimum((d >> np.minimum(shift, 62)) + (ub >> 9).sum(axis=1), D_MAX)
        u[:, b * cfg.lanes:(b + 1) * cfg.lanes] = ub
        seen |= any_valid
        m = m_new
        m_beat[:, b] = m
    e, r = reciprocal_q7(d)
    v = u >> np.minimum(np.repeat(m[:, None] - m_beat, cfg.lanes, axis=1), 62)
    p = np.minimum((v * r[:, None]) >> (e[:, None] + 9), 255)
    p = np.where(d[:, None] > 0, p, 0).astype(np.uint8)
    return SoftermaxResult(codes=c, u=u, m_beat=m_beat, d=d, r=r, p=p)
