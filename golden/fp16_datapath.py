"""Bit-exact model of the FP16 online-softmax datapath (``docs/spec/fp16_datapath.md``): the
conventional design BAPS is compared against.

Scores t are FP32 values in the base-2 domain, as for BAPS. The matrix side casts each to FP16,
s = FP16_RNE(t) (overflow → ±Inf, NaN → the canonical NaN). Per row and key block of ``bc`` on
the vector side:

* b = max of the block's s, NaN ignored (an all-masked block has b = −Inf);
* m_new = max(m_old, b) in FP16 (exact); m_old = −Inf before the first block;
* x_k = FP16_RNE(s_k − m_new), one rounding of the exact difference (the difference of two FP16
  values is exact in float64), IEEE except that −Inf − (−Inf) (a masked key in a row masked so
  far) gives x = −Inf, so p = 0; a NaN score gives NaN, and a +Inf score gives +Inf − +Inf = NaN;
* p_k = EXP2_FP16(x_k), the FP16 EXP2 baseline (``accuracy`` correct or faithful,
  ``golden.exp2_fp16_model``); P_k = p_k in FP16 goes to the matrix core;
* α = EXP2_FP16(FP16_RNE(m_old − m_new)), one scalar EXP2 per row and block; α = 0 while
  m_old = −Inf (the first block, or a row masked so far);
* S = FP32_RNE(Σ p_k): the block's FP16 values are multiples of 2^−24, so the sum is exact in
  fixed point and rounded once;
* l = FP32_RNE(FP32_RNE(α · l) + S), with α exact in FP32; l (FP32) leaves at the row's end.

The matrix core's O accumulator takes the same α per block (``weights``: each block's P times the
product of the later blocks' α, in float64), and O = (P·V)/l as for BAPS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .tile import BC, tile_scores_array
from .exp2_fp16_model import exp2_fp16
from .formats import FP16, FP32
from .params import ChoiceParam

__all__ = ["Fp16DatapathConfig", "Fp16DatapathResult", "fp16_softmax", "EXP2_ACCURACY"]

EXP2_ACCURACY = ChoiceParam("accuracy", ("correct", "faithful"),
                            "FP16 EXP2 unit: correctly rounded (RNE) or faithful (within 1 ulp)")


@dataclass(frozen=True)
class Fp16DatapathConfig:
    """Parameters of the FP16 datapath's numerics (validated at construction)."""

    bc: int = 64                 # key block size
    accuracy: str = "correct"    # the EXP2 units' accuracy

    def __post_init__(self):
        BC.check(self.bc)
        EXP2_ACCURACY.check(self.accuracy)


@dataclass
class Fp16DatapathResult:
    s: np.ndarray        # (rows, n) FP16 codes of the cast scores
    x: np.ndarray        # (rows, n) FP16 codes of s − m
    p: np.ndarray        # (rows, n) FP16 codes of P = 2^x
    m: np.ndarray        # (rows, blocks) FP16 codes of the running max after each block
    alpha: np.ndarray    # (rows, blocks) FP16 codes of α (0 on the first block)
    l_fp32: np.ndarray   # (rows,) FP32 bit patterns of l at the row's end

    @property
    def l(self) -> np.ndarray:
        return FP32.decode(self.l_fp32)

    @property
    def p_values(self) -> np.ndarray:
        return FP16.decode(self.p)

    def weights(self) -> np.ndarray:
        """P of every key times the product of the α of the blocks after its own (float64): what
        the matrix core's O accumulator holds at the row's end."""
        alpha = FP16.decode(self.alpha)
        later = np.ones_like(alpha)
        for j in range(alpha.shape[1] - 2, -1, -1):
            later[:, j] = later[:, j + 1] * alpha[:, j + 1]
        bc = self.p.shape[1] // alpha.shape[1]
        with np.errstate(invalid="ignore"):
            return self.p_values * np.repeat(later, bc, axis=1)


def _fp16(values: np.ndarray) -> np.ndarray:
    """FP16 codes of float64 values, rounded once (RNE; NaN → the canonical NaN)."""
    return FP16.encode(values).astype(np.uint16)


def fp16_softmax(scores, cfg: Fp16DatapathConfig = Fp16DatapathConfig()) -> Fp16DatapathResult:
    """Run the bit-exact FP16 datapath over ``scores`` (rows × n, n a multiple of ``cfg.bc``)."""
    t = tile_scores_array(scores, cfg.bc)
    rows, n = t.shape
    s = _fp16(t.astype(np.float32).astype(np.float64))
    sv = FP16.decode(s)
    nblocks = n // cfg.bc
    x = np.empty((rows, n), dtype=np.uint16)
    p = np.empty((rows, n), dtype=np.uint16)
    m_hist = np.empty((rows, nblocks), dtype=np.uint16)
    alpha_hist = np.empty((rows, nblocks), dtype=np.uint16)
    m = np.full(rows, -np.inf)
    l = np.zeros(rows, dtype=np.float32)
    for j in range(nblocks):
        blk = sv[:, j * cfg.bc:(j + 1) * cfg.bc]
        b = np.max(np.where(np.isnan(blk), -np.inf, blk), axis=1)
        m_new = np.maximum(m, b)
        with np.errstate(invalid="ignore"):
            d = blk - m_new[:, None]
            d = np.where(np.isneginf(blk) & np.isneginf(m_new)[:, None], -np.inf, d)
            xj = _fp16(d)
            a_in = _fp16(np.where(np.isneginf(m), -np.inf, m - m_new))
        pj = exp2_fp16(xj, cfg.accuracy).astype(np.uint16)
        aj = exp2_fp16(a_in, cfg.accuracy).astype(np.uint16)
        with np.errstate(invalid="ignore", over="ignore"):
            block_sum = np.float32(0) + FP16.decode(pj).sum(axis=1).astype(np.float32)
            l = (FP16.decode(aj).astype(np.float32) * l) + block_sum
        x[:, j * cfg.bc:(j + 1) * cfg.bc] = xj
        p[:, j * cfg.bc:(j + 1) * cfg.bc] = pj
        m_hist[:, j], alpha_hist[:, j] = _fp16(m_new), aj
        m = m_new
    l_bits = l.astype(np.float32).view(np.uint32)
    l_bits = np.where(np.isnan(l), np.uint32(FP32.nan_code), l_bits).astype(np.uint32)
    return Fp16DatapathResult(s=s, x=x, p=p, m=m_hist, alpha=alpha_hist, l_fp32=l_bits)
