"""Bit-exact model of the HCCS datapath (Danopoulos et al., arXiv 2604.02292; ``comparisons.md``):
a head-calibrated clipped-linear surrogate of softmax on int8 logits.

Scores t are FP32 values in the base-2 domain; the matrix side sends int8 codes
c = RNE(t·2^frac_bits) saturated to ±127 (−128 = masked, ``fixed_scores``). Per row, over all
its keys (the row is held whole: δ needs the row's max before any score):

* M = the largest unmasked code;
* δ = min(M − c, Dmax) (unsigned 8 bits), s = B − S·δ ≥ 0 (one int8 MAC, accumulator starting at
  B); masked keys s = 0;
* Σ = Σ s in 32 bits (no overflow: B < 2^15 and at most 2^16 keys);
* one reciprocal per row: ``exact``: inv = ⌊(255·2^15) / Σ⌋, p = min((s·inv) >> 15, 255);
  ``pow2``: k = ⌊log2 Σ⌋ from the leading one, p = min((255·s) >> k, 255) (floor rounding,
  saturation on). A row without unmasked keys (Σ = 0) gives p = 0.

p is uint8 with p/255 ≈ the probability. Per-head integers: B in 0..32767 (int16, B ≥ S·Dmax so
s ≥ 0), S in 0..127, Dmax in 0..127 (the paper's ranges); the paper's calibration constraints
N·(B − S·Dmax) ≥ 256 and N·B ≤ 32767 are the calibration's (``accuracy.hccs_calibration``).
Choices the paper leaves open (this project's): the int8 scale 2^−frac_bits of the logits, RNE
into it with −128 as the mask code, Σ = 0 → p = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .fixed_scores import FRAC_BITS, MASK_CODE, FixedScoreFormat
from .params import ChoiceParam, IntParam

__all__ = ["HccsHead", "HccsConfig", "HccsResult", "hccs", "B", "S", "DMAX", "RECIPROCAL",
           "head_check"]

B = IntParam("b", 0, 32767, "HCCS offset B (int16, B >= S·Dmax)")
S = IntParam("s", 0, 127, "HCCS slope S")
DMAX = IntParam("dmax", 0, 127, "HCCS distance clamp Dmax")
RECIPROCAL = ChoiceParam("reciprocal", ("exact", "pow2"),
                         "row reciprocal: exact floor((255<<15)/sum) or a power of two")
ONE = 255 << 15


def head_check(b: int, s: int, dmax: int) -> None:
    """``ValueError`` naming the first bad per-head integer (ranges, then B ≥ S·Dmax)."""
    for param, value in ((B, b), (S, s), (DMAX, dmax)):
        param.check(value)
    if b < s * dmax:
        raise ValueError(f"b={b} is below s·dmax = {s}·{dmax} = {s * dmax}; allowed: b >= s·dmax "
                         "(s = B − S·δ must not be negative)")


@dataclass(frozen=True)
class HccsHead:
    """One head's calibrated integers."""

    b: int
    s: int
    dmax: int

    def __post_init__(self):
        head_check(self.b, self.s, self.dmax)


@dataclass(frozen=True)
class HccsConfig:
    frac_bits: int = 3              # int8 logits c = RNE(t·2^frac_bits)
    reciprocal: str = "exact"

    def __post_init__(self):
        FRAC_BITS.check(self.frac_bits)
        RECIPROCAL.check(self.reciprocal)

    @property
    def score_format(self) -> FixedScoreFormat:
        return FixedScoreFormat(self.frac_bits)


@dataclass
class HccsResult:
    codes: np.ndarray      # (rows, n) int8 codes (−128 masked)
    s: np.ndarray          # (rows, n) clipped-linear scores
    total: np.ndarray      # (rows,) Σ s
    p: np.ndarray          # (rows, n) uint8 outputs

    def probabilities(self) -> np.ndarray:
        return self.p / 255.0


def hccs(scores, cfg: HccsConfig, head) -> HccsResult:
    """Run the bit-exact HCCS datapath over ``scores`` (rows × n). ``head``: one ``HccsHead``
    for every row, or a sequence of them, one per row."""
    t = np.asarray(scores)
    if t.ndim != 2:
        raise ValueError(f"scores must be 2-D (rows, keys), got shape {t.shape}")
    heads = [head] * t.shape[0] if isinstance(head, HccsHead) else list(head)
    if len(heads) != t.shape[0]:
        raise ValueError(f"{len(heads)} heads for {t.shape[0]} rows; allowed: one, or one per row")
    b, s, dmax = (np.array([getattr(h, k) for h in heads], dtype=np.int64)[:, None]
                  for k in ("b", "s", "dmax"))
    c = cfg.score_format.encode(t)
    valid = c != MASK_CODE
    big = np.where(valid, c, MASK_CODE).max(axis=1, keepdims=True)
    delta = np.minimum(big - c, dmax)
    sv = np.where(valid, b - s * delta, 0)
    total = sv.sum(axis=1)
    if cfg.reciprocal == "exact":
        inv = ONE // np.maximum(total, 1)
        p = (sv * inv[:, None]) >> 15
    else:
        k = np.maximum(np.frexp(total.astype(np.float64))[1] - 1, 0)      # ⌊log2 Σ⌋
        p = (255 * sv) >> k[:, None]
    p = np.where(total[:, None] > 0, np.minimum(p, 255), 0).astype(np.uint8)
    return HccsResult(codes=c, s=sv, total=total, p=p)
