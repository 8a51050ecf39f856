"""Bit-exact model of the FP32 EXP2 unit of the E4M3 P-cast datapath: P̃ = 2^(−x)·2^s in FP32,
faithful (within one ulp), flushing results below FP32's normal range to zero (as
FlashAttention-3's ``ex2.approx.ftz.f32``).

Input: x = ⌊|d|·2^30⌋ for a non-positive FP32 difference d = t − m (``FRAC`` = 30 fraction
bits, truncated), x ≥ 2^38 (|d| ≥ 256) saturating to P̃ = 0; s = log2 S ∈ 0..8. With
k = ⌈x / 2^30⌉ and u = k − x / 2^30 ∈ [0, 1): 2^−x = 2^u · 2^−k. 2^u comes from 128 segments
(j = the top 7 bits of u, v = the 23 bits below) of a quadratic in fixed point with 28 fraction
bits:

    y = C0[j] + (C1[j]·(v >> 2) >> 20) + (C2[j]·((v >> 9)² >> 14) >> 14),

with C1, C2 from a least-squares quadratic per segment (units 2^−8 and 2^−14 of the 2^28 scale)
and C0 balancing the formula's largest and smallest error (``_fit``); y ∈ [2^28, 2^29] is rounded to 24 bits (RNE; a carry
to 2^24 moves to the next binade). The exponent is s − k (+1 on the carry); below −126 the result
is 0. The error against mpmath is measured in ``tests/golden/test_exp2_fp32.py``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["FRAC", "SEGMENT_BITS", "C0", "C1", "C2", "X_SATURATE", "exp2_fp32_fixed",
           "fixed_of_difference"]

FRAC = 30
SEGMENT_BITS = 7
V_BITS = FRAC - SEGMENT_BITS              # 23
X_SATURATE = 1 << (FRAC + 8)              # |d| ≥ 256: P̃ = 0 for every S ≤ 2^8


def _terms(c1: int, c2: int, v: np.ndarray) -> np.ndarray:
    vh = v >> 9
    return ((c1 * (v >> 2)) >> 20) + ((c2 * ((vh * vh) >> 14)) >> 14)


def _fit(j: int) -> tuple[int, int, int]:
    """The segment's coefficients: a least-squares quadratic of 2^u on 4097 points spread over
    the segment, C1 and C2 rounded, then C0 centred between the largest and smallest residual of
    the exact integer formula (so the error is balanced, not one-sided)."""
    v = np.unique(np.linspace(0, (1 << V_BITS) - 1, 4097).astype(np.int64))
    exact = np.exp2((j << V_BITS | v) / 2.0 ** FRAC) * 2.0 ** 28
    a2, a1, _ = np.polyfit(v / 2.0 ** FRAC, exact, 2)
    c1, c2 = round(a1 * 2.0 ** (20 - 28)), round(a2 * 2.0 ** (14 - 28))
    residual = exact - _terms(c1, c2, v)
    return round((residual.max() + residual.min()) / 2), c1, c2


_COEFFS = [_fit(j) for j in range(1 << SEGMENT_BITS)]
C0, C1, C2 = (tuple(c[i] for c in _COEFFS) for i in range(3))


def fixed_of_difference(d_bits) -> np.ndarray:
    """x = ⌊|d|·2^30⌋ (int64) of FP32 bit patterns d ≤ 0 (finite), saturated at ``X_SATURATE``."""
    d = np.asarray(d_bits, dtype=np.uint32).view(np.float32).astype(np.float64)
    mag = np.abs(d)
    return np.where(mag >= 256, X_SATURATE, np.floor(np.minimum(mag, 256) * 2.0 ** FRAC)).astype(
        np.int64)


def exp2_fp32_fixed(x, scale_log2: int = 0) -> np.ndarray:
    """FP32 bit patterns (uint32) of 2^(scale_log2 − x/2^30) for x ≥ 0 (int64 array)."""
    x = np.asarray(x, dtype=np.int64)
    k = -((-x) >> FRAC)                                     # ceil(x / 2^30)
    u = (k << FRAC) - x                                     # u·2^30 ∈ [0, 2^30)
    j, v = u >> V_BITS, u & ((1 << V_BITS) - 1)
    c0, c1, c2 = (np.array(c, dtype=np.int64)[j] for c in (C0, C1, C2))
    y = c0 + _terms(c1, c2, v)
    q, rest = y >> 5, y & 31                                # 24 bits kept, 5 dropped
    q = q + ((rest > 16) | ((rest == 16) & (q & 1 == 1)))   # RNE
    carry = q >> 24
    mant = np.where(carry == 1, 0, q & ((1 << 23) - 1))
    e = scale_log2 - k + carry
    bits = ((e + 127) << 23) | mant
    return np.where((e < -126) | (x >= X_SATURATE), 0, bits).astype(np.uint32)
