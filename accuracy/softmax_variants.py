"""Softmax variants on base-2 scores, all returning normalized probabilities (rows × keys).

Each variant processes keys in blocks of ``bc`` in order (online softmax, as FlashAttention does)
and returns q, the probabilities the matrix core effectively applies to V: every block's P
rescaled to the row's final max and divided by the row sum.

* ``fp64``: float64 softmax, no casts (the reference; with blocks it equals the plain softmax).
* ``baps``: the bit-exact BAPS path (``golden.baps``): integer block max, x = S(t − m) rounded
  once in the score code S, P = Pf(2^x) from the verified EXP2 table in the P format Pf
  (``score_format``, ``p_format``: HiF8 and HiF8 by default), exact fixed-point sum with
  truncating rescale.
* ``raw_hif8``: ablation — the raw scores are cast to HiF8 first (8 bits cross the link), then
  the same integer block max is subtracted exactly and P = HiF8_TA(2^(HiF8(t) − m)); exact sum.
* ``e4m3``: the bit-exact E4M3 P-cast datapath (``golden.e4m3_pcast``, FlashAttention-3's FP8
  P): FP32 scores, FP32 running max, P̃ = EXP2_FP32(t − m)·S (faithful, S = 2^scale_log2: 256
  by default, 1 for the unscaled cast), P = E4M3(P̃) (OCP, RNE, saturating, subnormals kept)
  applied to V, while the row sum l adds the FP32 P̃ before the cast, so S cancels in O.
* ``e4m3_qsum``: ablation (float emulation, not a hardware design) — E4M3 P of P̃ = 2^(t − m)·S
  rounded once from float64, with the row sum adding the quantized P (numerator and denominator
  agree, as in BAPS): a different design from FlashAttention-3's.
* ``softermax``: the bit-exact Softermax datapath (``golden.softermax``, 8 lanes per beat) on
  the base-2 scores as BAPS receives them (drop-in): Q(6,2) scores, Q(1,7) outputs.
* ``softermax_published``: the same datapath as published, base 2 without log2(e): the natural
  scores s = t·ln 2 go in as if they were base 2 (the paper fine-tunes the model for this).
* ``hccs``: the bit-exact HCCS datapath (``golden.hccs``, int8 logits at 2^−3, exact
  reciprocal) with per-row calibrated heads (``heads``), uint8 outputs.
* ``fp16``: the bit-exact FP16 online-softmax baseline (``golden.fp16_datapath``, correctly
  rounded EXP2): FP16 scores on the link, FP16 max and x = t − m, P = EXP2_FP16(x), α-rescaled
  FP32 row sum; O's accumulator takes the same α per block.
"""

from __future__ import annotations

import numpy as np

from ..golden.baps import (SCORE_FORMAT, BapsConfig, baps_softmax, reference_softmax,
                            rescale_to_final_max)
from ..golden.e4m3_pcast import E4m3PcastConfig, e4m3_pcast
from ..golden.formats import E4M3, HIF8
from ..golden.fp16_datapath import Fp16DatapathConfig, fp16_softmax
from ..golden.hccs import HccsConfig, hccs
from ..golden.softermax import SoftermaxConfig, softermax

__all__ = ["VARIANTS", "BAPS_CODES", "softmax_probs", "baps_code_name"]

VARIANTS = ("fp64", "baps", "raw_hif8", "e4m3", "e4m3_qsum", "fp16", "softermax",
            "softermax_published", "hccs")
SOFTERMAX_LANES = 8
HCCS_FRAC_BITS = 3
LN2 = float(np.log(2.0))

BAPS_CODES = tuple((s, "fp16") for s in SCORE_FORMAT.choices) + tuple(
    (s, p) for s in ("hif8", "u4.4", "e4m3", "e5m2", "u5.4/e2") for p in ("hif8", "e4m3", "q1.15")
    if (s, p) != ("hif8", "hif8")) + (("u4.3/e2", "hif8"),)
"""The BAPS variants beyond HiF8 x and P (score code, P format), in the model and the sink sweep
alike: every score code (``golden.formats.DISTANCE_CODES``, E4M3, E5M2) with FP16 P; the issue's
five 8-bit codes (HiF8, u4.4, E4M3, E5M2 and the tapered u5.4/e2) with every P format; the 6-bit
tapered code with HiF8 P."""


def baps_code_name(score_format: str, p_format: str) -> str:
    """The name of a BAPS variant with another score code or P format (``baps_u5.4/e2_fp16``),
    in the model's variants and the sink sweep's methods alike."""
    return f"baps_{score_format}_{p_format}"


def _finish(p: np.ndarray, m_blocks: np.ndarray) -> np.ndarray:
    """Rescale each block's P to the final max and normalize by their sum (masked rows give
    zeros)."""
    w = np.nan_to_num(rescale_to_final_max(p, m_blocks), nan=0.0)
    s = w.sum(axis=1, keepdims=True)
    return np.divide(w, s, out=np.zeros_like(w), where=s > 0)


def _running_max(t: np.ndarray, bc: int, integer: bool) -> np.ndarray:
    blocks = t.reshape(t.shape[0], -1, bc).max(axis=2)
    if integer:
        blocks = np.ceil(np.clip(blocks, -(2 ** 15), 2 ** 15 - 1))
    m = np.maximum.accumulate(blocks, axis=1)
    return np.where(np.isfinite(m), m, 0.0)


def _raw_hif8(t: np.ndarray, bc: int) -> np.ndarray:
    tq = HIF8.decode(HIF8.encode(t))
    m = _running_max(tq, bc, integer=True)
    d = tq - np.repeat(m, bc, axis=1)                    # exact: few significant bits
    with np.errstate(over="ignore", invalid="ignore"):
        p = HIF8.decode(HIF8.encode(np.exp2(d)))
    return _finish(p, m)


def _e4m3_quantized_sum(t: np.ndarray, bc: int, scale_log2: int) -> np.ndarray:
    m = _running_max(t, bc, integer=False)
    d = t - np.repeat(m, bc, axis=1)
    with np.errstate(over="ignore", invalid="ignore"):
        p32 = np.exp2(d + scale_log2).astype(np.float32).astype(np.float64)    # FP32 P̃
        p8 = E4M3.decode(E4M3.encode(p32))
    return _finish(p8, m)


def softmax_probs(scores, variant: str, *, bc: int = 64, scale_log2: int = 8,
                  heads=None, score_format: str = "hif8", p_format: str = "hif8") -> np.ndarray:
    """Probabilities of ``variant`` for base-2 ``scores`` (rows × keys). Keys are padded with
    −Inf (masked) to a multiple of ``bc``; the result has the original width. ``heads``: the
    ``HccsHead`` of every row (``hccs`` only); ``score_format``, ``p_format``: BAPS's codes
    (``baps`` only)."""
    if variant not in VARIANTS:
        raise ValueError(f"softmax variant {variant!r} is not allowed; allowed: {', '.join(VARIANTS)}")
    t = np.asarray(scores, dtype=np.float32).astype(np.float64)
    rows, n = t.shape
    pad = (-n) % bc
    if pad:
        t = np.concatenate([t, np.full((rows, pad), -np.inf)], axis=1)
    if variant == "fp64":
        q = reference_softmax(t)
    elif variant in ("baps", "fp16"):
        r = (baps_softmax(t, BapsConfig(bc=bc, score_format=score_format, p_format=p_format))
             if variant == "baps"
             else fp16_softmax(t, Fp16DatapathConfig(bc=bc)))
        l = r.l[:, None]                                 # the hardware's FP32 row sum
        q = np.divide(r.weights(), l, out=np.zeros_like(t), where=(l > 0) & np.isfinite(l))
    elif variant == "raw_hif8":
        q = _raw_hif8(t, bc)
    elif variant in ("softermax", "softermax_published"):
        lanes = SOFTERMAX_LANES if bc % SOFTERMAX_LANES == 0 else 1
        x = t if variant == "softermax" else t * LN2
        q = softermax(x, SoftermaxConfig(bc=bc, lanes=lanes)).probabilities()
    elif variant == "hccs":
        if heads is None:
            raise ValueError("softmax variant 'hccs' needs its calibrated heads (one per row)")
        q = hccs(t, HccsConfig(frac_bits=HCCS_FRAC_BITS), heads).probabilities()
    elif variant == "e4m3":
        r = e4m3_pcast(t, E4m3PcastConfig(bc=bc, scale_log2=scale_log2))
        l = r.l[:, None]
        q = np.divide(r.weights(), l, out=np.zeros_like(t), where=(l > 0) & np.isfinite(l))
    else:
        q = _e4m3_quantized_sum(t, bc, scale_log2)
    return q[:, :n]
