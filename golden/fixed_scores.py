"""Signed 8-bit fixed-point score codes: the link format of Softermax (Q(6,2)) and HCCS (int8
logits), as data.

A code c is a signed integer in −127..127 standing for c·2^−frac_bits. The matrix side rounds
the FP32 score once, to nearest with ties to even, and saturates to ±127·2^−frac_bits (+Inf too);
−128 is reserved for a masked key (−Inf, and NaN, which neither design can represent: both treat
the key as absent). Both datapaths' vector sides ignore masked keys in the max and give them
P = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import IntParam

__all__ = ["FixedScoreFormat", "MASK_CODE", "CODE_MAX", "Q6_2", "FRAC_BITS"]

MASK_CODE = -128
CODE_MAX = 127
FRAC_BITS = IntParam("frac_bits", 0, 7, "fraction bits of the int8 score code (scale 2^-frac_bits)", 3)


@dataclass(frozen=True)
class FixedScoreFormat:
    """Signed 8-bit fixed point with ``frac_bits`` fraction bits, RNE, saturating, −128 = masked."""

    frac_bits: int

    def __post_init__(self):
        FRAC_BITS.check(self.frac_bits)

    @property
    def name(self) -> str:
        return f"q{8 - self.frac_bits}.{self.frac_bits}"

    @property
    def width(self) -> int:
        return 8

    def encode(self, t) -> np.ndarray:
        """Codes (int64, −128..127) of FP32-valued scores ``t``."""
        x = np.asarray(t, dtype=np.float32).astype(np.float64)
        masked = np.isnan(x) | np.isneginf(x)
        with np.errstate(invalid="ignore"):
            scaled = np.rint(np.where(masked, 0.0, x) * 2.0 ** self.frac_bits)   # ties to even
        codes = np.clip(scaled, -CODE_MAX, CODE_MAX).astype(np.int64)
        return np.where(masked, MASK_CODE, codes)

    def decode(self, codes) -> np.ndarray:
        """float64 values of codes (−128 → −Inf)."""
        c = np.asarray(codes, dtype=np.int64)
        return np.where(c == MASK_CODE, -np.inf, c * 2.0 ** -self.frac_bits)


Q6_2 = FixedScoreFormat(2)
