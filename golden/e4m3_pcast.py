"""Bit-exact model of the FP8 E4M3 P-cast datapath (FlashAttention-3's FP8 arrangement,
``comparisons.md``): scores stay FP32 on the vector side (a 32-bit link per score), P̃ in FP32 is
cast to OCP E4M3 for P·V, and the row sum adds the FP32 P̃ before the cast.

Scores t are FP32 values in the base-2 domain. Per row and key block of ``bc``:

* b = the block's max, NaN ignored (an all-masked block has b = −Inf); m_new = max(m_old, b)
  (FP32, exact; m_old = −Inf before the first block);
* d = FP32_RNE(t − m_new) (IEEE, subnormals kept), except that a −Inf key gives d = −Inf (also in
  a row masked so far); NaN and +Inf scores give d = NaN (+Inf − +Inf);
* P̃ = EXP2_FP32(d)·S with S = 2^``scale_log2`` (``golden.exp2_fp32``: faithful, an exponent add
  for S, zero below 2^−126); NaN stays NaN, −Inf gives 0;
* P = E4M3_RNE(P̃), saturating to 448, subnormals kept (``formats.E4M3``): what goes to P·V;
* α = EXP2_FP32(FP32_RNE(m_old − m_new)) (no S), 0 while m_old = −Inf;
* σ = Σ ⌊P̃·2^(40 − scale_log2)⌋ over the block (exact in fixed point: terms below 2^−40 of the
  unscaled P are dropped), rounded once to FP32;
* l = FP32_RNE(FP32_RNE(α·l) + σ); NaN when any P̃ or α is NaN. l (FP32) leaves at the row's end.

O = (Σ_blocks (Π later α)·P_j·V_j) / l, as for the FP16 baseline: S cancels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .tile import BC, tile_scores_array
from .exp2_fp32 import exp2_fp32_fixed, fixed_of_difference
from .formats import E4M3, FP32, round_fixed
from .params import IntParam

__all__ = ["E4m3PcastConfig", "E4m3PcastResult", "e4m3_pcast", "SCALE_LOG2", "SUM_FRAC"]

SCALE_LOG2 = IntParam("scale_log2", 0, 8, "P̃ scale S = 2^scale_log2 before the E4M3 cast", 8)
SUM_FRAC = 40                  # fraction bits of the unscaled P in the block sum


@dataclass(frozen=True)
class E4m3PcastConfig:
    bc: int = 64
    scale_log2: int = 8

    def __post_init__(self):
        BC.check(self.bc)
        SCALE_LOG2.check(self.scale_log2)


@dataclass
class E4m3PcastResult:
    d: np.ndarray        # (rows, n) FP32 codes of t − m
    p32: np.ndarray      # (rows, n) FP32 codes of P̃
    p: np.ndarray        # (rows, n) E4M3 codes of P
    m: np.ndarray        # (rows, blocks) FP32 codes of the running max after each block
    alpha: np.ndarray    # (rows, blocks) FP32 codes of α (0 on the first block)
    l_fp32: np.ndarray   # (rows,) FP32 bit patterns of l at the row's end

    @property
    def l(self) -> np.ndarray:
        return FP32.decode(self.l_fp32)

    def weights(self) -> np.ndarray:
        """P (E4M3) of every key times the product of the α of the later blocks (float64)."""
        alpha = FP32.decode(self.alpha)
        later = np.ones_like(alpha)
        for j in range(alpha.shape[1] - 2, -1, -1):
            later[:, j] = later[:, j + 1] * alpha[:, j + 1]
        bc = self.p.shape[1] // alpha.shape[1]
        with np.errstate(invalid="ignore"):
            return E4M3.decode(self.p) * np.repeat(later, bc, axis=1)


def _f32(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float32)


def _bits(x) -> np.ndarray:
    x = _f32(x)
    return np.where(np.isnan(x), np.uint32(FP32.nan_code), x.view(np.uint32)).astype(np.uint32)


def _exp2(d: np.ndarray, scale_log2: int) -> np.ndarray:
    """FP32 codes of EXP2_FP32(d)·2^scale_log2 for float32 d ≤ 0 (NaN → NaN, −Inf → 0)."""
    finite = np.isfinite(d)
    bits = exp2_fp32_fixed(fixed_of_difference(_bits(np.where(finite, d, 0))), scale_log2)
    return np.where(np.isnan(d), np.uint32(FP32.nan_code), np.where(finite, bits, 0)).astype(
        np.uint32)


def e4m3_pcast(scores, cfg: E4m3PcastConfig = E4m3PcastConfig()) -> E4m3PcastResult:
    """Run the bit-exact E4M3 P-cast datapath over ``scores`` (rows × n, n a multiple of bc)."""
    t = tile_scores_array(scores, cfg.bc)
    rows, n = t.shape
    t = _f32(t)
    nblocks = n // cfg.bc
    d_all = np.empty((rows, n), dtype=np.uint32)
    p32_all = np.empty((rows, n), dtype=np.uint32)
    p8_all = np.empty((rows, n), dtype=np.uint8)
    m_hist = np.empty((rows, nblocks), dtype=np.uint32)
    a_hist = np.empty((rows, nblocks), dtype=np.uint32)
    m = np.full(rows, -np.inf, dtype=np.float32)
    l = np.zeros(rows, dtype=np.float32)
    nan = np.zeros(rows, dtype=bool)
    shift = SUM_FRAC - cfg.scale_log2
    for j in range(nblocks):
        blk = t[:, j * cfg.bc:(j + 1) * cfg.bc]
        b = np.max(np.where(np.isnan(blk), -np.inf, blk), axis=1).astype(np.float32)
        m_new = np.maximum(m, b)
        with np.errstate(invalid="ignore", over="ignore"):
            d = _f32(blk - m_new[:, None])
            d = np.where(np.isneginf(blk), -np.inf, d).astype(np.float32)
            a_in = np.where(np.isneginf(m), -np.inf, _f32(m - m_new)).astype(np.float32)
        p32 = _exp2(d, cfg.scale_log2)
        alpha = _exp2(a_in, 0)
        p8 = E4M3.encode(FP32.decode(p32)).astype(np.uint8)
        v = FP32.decode(p32)
        sigma = np.where(np.isnan(v), 0, np.floor(np.nan_to_num(v) * 2.0 ** shift)).astype(
            np.int64).sum(axis=1)
        sigma32 = np.array([round_fixed(FP32, int(x), shift) for x in sigma],
                           dtype=np.uint32).view(np.float32)             # rounded once
        nan |= np.isnan(v).any(axis=1) | np.isnan(FP32.decode(alpha))
        l = _f32(_f32(alpha.view(np.float32) * l) + sigma32)
        d_all[:, j * cfg.bc:(j + 1) * cfg.bc] = _bits(d)
        p32_all[:, j * cfg.bc:(j + 1) * cfg.bc] = p32
        p8_all[:, j * cfg.bc:(j + 1) * cfg.bc] = p8
        m_hist[:, j], a_hist[:, j] = _bits(m_new), alpha
        m = m_new
    l_bits = np.where(nan, np.uint32(FP32.nan_code), _bits(l)).astype(np.uint32)
    return E4m3PcastResult(d=d_all, p32=p32_all, p=p8_all, m=m_hist, alpha=a_hist, l_fp32=l_bits)
