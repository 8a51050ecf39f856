"""HCCS's offline per-head calibration: a grid search over (B, S, Dmax) per attention head on 64
samples, minimizing the KL divergence of the bit-exact HCCS output (``golden.hccs``) to the
float64 softmax of the same scores.

The grid: Dmax ∈ {1, 2, 3, 4, 8, …, 124} (int8 code units, 2^−3 in base-2 score units), the floor
ratio ρ = (B − S·Dmax) / (S·Dmax) ∈ {0, 1/64, …, 1/2, 1} and, for each, the largest S ≤ 127 with
B = round(S·Dmax·(1 + ρ)) ≤ 32767 (the finest integer resolution: the output depends on B/S and
Dmax). The paper's constraints N·(B − S·Dmax) ≥ 256 and N·B ≤ 32767 guard its 16-bit
accumulator; this datapath sums in 32 bits (the issue's int32 sum), so only B ≥ S·Dmax and the
integer ranges apply. KL: over the rows' keys, q normalized by its sum, q floored at 1e−12 (a
key HCCS zeroes costs KL, not infinity).
"""

from __future__ import annotations

import numpy as np

from ..golden.baps import reference_softmax
from ..golden.hccs import HccsConfig, HccsHead, hccs

__all__ = ["GRID_DMAX", "GRID_RHO", "candidates", "mean_kl", "calibrate_head", "SAMPLES"]

GRID_DMAX = (1, 2, 3) + tuple(range(4, 128, 4))
GRID_RHO = (0.0, 1 / 64, 1 / 32, 1 / 16, 1 / 8, 1 / 4, 1 / 2, 1.0)
SAMPLES = 64


def candidates() -> list[HccsHead]:
    heads = []
    for dmax in GRID_DMAX:
        for rho in GRID_RHO:
            s = min(127, int(32767 // (dmax * (1 + rho))))
            b = min(32767, round(s * dmax * (1 + rho)))
            heads.append(HccsHead(b, s, dmax))
    return heads


def mean_kl(t: np.ndarray, head: HccsHead, cfg: HccsConfig = HccsConfig(),
            ref: np.ndarray | None = None) -> float:
    """Mean over rows of KL(softmax(t) ‖ HCCS(t)) (rows with no unmasked key skipped)."""
    ref = reference_softmax(t) if ref is None else ref
    q = hccs(t, cfg, head).p.astype(np.float64)
    total = q.sum(axis=1, keepdims=True)
    q = np.maximum(np.divide(q, total, out=np.zeros_like(q), where=total > 0), 1e-12)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(ref > 0, ref * (np.log(ref) - np.log(q)), 0.0)
    keep = ref.sum(axis=1) > 0
    return float(terms.sum(axis=1)[keep].mean()) if keep.any() else 0.0


def calibrate_head(t: np.ndarray, cfg: HccsConfig = HccsConfig()) -> tuple[HccsHead, float]:
    """The grid's head with the least mean KL on the rows ``t`` (base-2 scores, −Inf masked),
    and that KL."""
    ref = reference_softmax(t)
    scored = [(mean_kl(t, h, cfg, ref), i, h) for i, h in enumerate(candidates())]
    kl, _, head = min(scored)
    return head, kl
