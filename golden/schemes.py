"""The numeric schemes: one table, one name per scheme, used by every study (the Transformer
accuracy, the sink sweep, ``compare`` and ``codes``) and named by each registered datapath.

A scheme maps base-2 scores (rows × keys, FP32 values) to the probabilities q the matrix core
effectively applies to V: keys in blocks of ``bc`` in order (online softmax, as FlashAttention
does), every block's P rescaled to the row's final max and divided by the row sum. Each scheme
states its bits per score on the matrix-to-vector link and its kind:

* ``reference``: ``fp64``, float64 softmax, no casts (with blocks it equals the plain softmax).
* ``datapath``: the bit-exact golden model of a registered datapath —
  ``baps_<score code>_<P format>`` (``golden.baps``: integer block max, x = S(t − m) rounded
  once in the score code S, P = Pf(2^x) from the verified EXP2 table, exact fixed-point sum with
  truncating rescale; ``BAPS_CODES`` lists the combinations the studies cover), ``fp16_online``
  (``golden.fp16_datapath``: FP16 scores, max and x = t − m, correctly rounded EXP2_FP16,
  α-rescaled FP32 row sum), ``e4m3_s256`` and ``e4m3_s1`` (``golden.e4m3_pcast``,
  FlashAttention-3's FP8 P: FP32 scores and max, P̃ = EXP2_FP32(t − m)·S, P = E4M3(P̃), row sum
  from the FP32 P̃ so S cancels in O), ``softermax`` (``golden.softermax`` on the base-2 scores
  as BAPS receives them: Q(6,2) in, Q(1,7) out, 8 lanes per beat) and ``hccs``
  (``golden.hccs``: int8 logits at 2^−3, exact reciprocal, one calibrated head per row).
* ``ablation``: not a hardware design — ``raw_hif8`` (the raw scores cast to HiF8 before the
  integer block max; P = HiF8_TA(2^(HiF8(t) − m)), exact sum), ``e4m3_qsum_s1`` (E4M3 P of
  2^(t − m) rounded once from float64, the row sum adding the quantized P, as BAPS does) and
  ``softermax_published`` (Softermax as published, base 2 without log2(e): the natural scores
  go in as if base 2; the paper fine-tunes the model for this).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .baps import BapsConfig, SCORE_FORMAT, baps_softmax, reference_softmax, rescale_to_final_max
from .e4m3_pcast import E4m3PcastConfig, e4m3_pcast
from .formats import E4M3, HIF8, get_format
from .fp16_datapath import Fp16DatapathConfig, fp16_softmax
from .hccs import HccsConfig, hccs
from .softermax import SoftermaxConfig, softermax

__all__ = ["Scheme", "SCHEMES", "BAPS_CODES", "baps_scheme_name", "get_scheme", "softmax_probs",
           "SOFTERMAX_LANES", "HCCS_FRAC_BITS"]

SOFTERMAX_LANES = 8
HCCS_FRAC_BITS = 3
LN2 = float(np.log(2.0))

BAPS_CODES = (("hif8", "hif8"),) + tuple((s, "fp16") for s in SCORE_FORMAT.choices) + tuple(
    (s, p) for s in ("hif8", "u4.4", "e4m3", "e5m2", "u5.4/e2") for p in ("hif8", "e4m3", "q1.15")
    if (s, p) != ("hif8", "hif8")) + (("u4.3/e2", "hif8"),)
"""The BAPS (score code, P format) combinations of the studies: HiF8 x and P first; every score
code (``golden.formats.DISTANCE_CODES``, HiF8, E4M3, E5M2) with FP16 P; the five 8-bit codes
(HiF8, u4.4, E4M3, E5M2 and the tapered u5.4/e2) with every P format; the 6-bit tapered code with
HiF8 P."""


def baps_scheme_name(score_format: str, p_format: str) -> str:
    """``baps_<score code>_<P format>``: ``baps_hif8_hif8``, ``baps_u5.4/e2_fp16``."""
    return f"baps_{score_format}_{p_format}"


@dataclass(frozen=True)
class Scheme:
    """One numeric scheme. ``probs(t, bc, heads)``: q for float64 scores ``t`` whose width is a
    multiple of ``bc`` (padded with −Inf); ``heads``: one ``HccsHead`` per row when
    ``needs_heads``."""

    name: str
    kind: str                 # "reference", "datapath" or "ablation"
    link_bits: int            # bits per score on the matrix-to-vector link
    description: str
    probs: Callable
    needs_heads: bool = False


def _normalized(r, t):
    """The hardware's weights divided by its FP32 row sum (rows with l = 0 or non-finite: 0)."""
    l = r.l[:, None]
    return np.divide(r.weights(), l, out=np.zeros_like(t), where=(l > 0) & np.isfinite(l))


def _finish(p: np.ndarray, m_blocks: np.ndarray) -> np.ndarray:
    """Rescale each block's P to the final max and normalize by their sum (masked rows: 0)."""
    w = np.nan_to_num(rescale_to_final_max(p, m_blocks), nan=0.0)
    s = w.sum(axis=1, keepdims=True)
    return np.divide(w, s, out=np.zeros_like(w), where=s > 0)


def _running_max(t: np.ndarray, bc: int, integer: bool) -> np.ndarray:
    blocks = t.reshape(t.shape[0], -1, bc).max(axis=2)
    if integer:
        blocks = np.ceil(np.clip(blocks, -(2 ** 15), 2 ** 15 - 1))
    m = np.maximum.accumulate(blocks, axis=1)
    return np.where(np.isfinite(m), m, 0.0)


def _raw_hif8(t, bc, heads=None):
    tq = HIF8.decode(HIF8.encode(t))
    m = _running_max(tq, bc, integer=True)
    d = tq - np.repeat(m, bc, axis=1)                    # exact: few significant bits
    with np.errstate(over="ignore", invalid="ignore"):
        p = HIF8.decode(HIF8.encode(np.exp2(d)))
    return _finish(p, m)


def _e4m3_quantized_sum(scale_log2):
    def probs(t, bc, heads=None):
        m = _running_max(t, bc, integer=False)
        d = t - np.repeat(m, bc, axis=1)
        with np.errstate(over="ignore", invalid="ignore"):
            p32 = np.exp2(d + scale_log2).astype(np.float32).astype(np.float64)    # FP32 P̃
            p8 = E4M3.decode(E4M3.encode(p32))
        return _finish(p8, m)
    return probs


def _baps(score_format, p_format):
    return lambda t, bc, heads=None: _normalized(
        baps_softmax(t, BapsConfig(bc=bc, score_format=score_format, p_format=p_format)), t)


def _e4m3(scale_log2):
    return lambda t, bc, heads=None: _normalized(
        e4m3_pcast(t, E4m3PcastConfig(bc=bc, scale_log2=scale_log2)), t)


def _softermax(natural: bool):
    def probs(t, bc, heads=None):
        lanes = SOFTERMAX_LANES if bc % SOFTERMAX_LANES == 0 else 1
        return softermax(t * LN2 if natural else t,
                         SoftermaxConfig(bc=bc, lanes=lanes)).probabilities()
    return probs


def _hccs(t, bc, heads=None):
    return hccs(t, HccsConfig(frac_bits=HCCS_FRAC_BITS), heads).probabilities()


SCHEMES: dict[str, Scheme] = {s.name: s for s in (
    Scheme("fp64", "reference", 64, "float64 blocked softmax, no casts",
           lambda t, bc, heads=None: reference_softmax(t)),
    *(Scheme(baps_scheme_name(s, p), "datapath", get_format(s).width,
             f"BAPS: x = {s}(t − m), P = {p}(2^x)", _baps(s, p)) for s, p in BAPS_CODES),
    Scheme("fp16_online", "datapath", 16, "FP16 online softmax: FP16 scores, max, x and P; "
           "α-rescaled FP32 sum", lambda t, bc, heads=None: _normalized(
               fp16_softmax(t, Fp16DatapathConfig(bc=bc)), t)),
    Scheme("e4m3_s256", "datapath", 32, "FlashAttention-3 FP8 P: E4M3 with S = 256, row sum "
           "from the FP32 P", _e4m3(8)),
    Scheme("e4m3_s1", "datapath", 32, "FlashAttention-3 FP8 P, unscaled (S = 1)", _e4m3(0)),
    Scheme("softermax", "datapath", 8, "Softermax on the base-2 scores (drop-in): Q(6,2) in, "
           "Q(1,7) P out", _softermax(natural=False)),
    Scheme("hccs", "datapath", 8, "HCCS, per-head (B, S, Dmax) calibrated on other text, int8 "
           "logits at 2^-3, exact reciprocal (no retraining)", _hccs, needs_heads=True),
    Scheme("raw_hif8", "ablation", 8, "HiF8(t) cast before the max", _raw_hif8),
    Scheme("e4m3_qsum_s1", "ablation", 32, "E4M3 P (S = 1), the row sum adds the quantized P",
           _e4m3_quantized_sum(0)),
    Scheme("softermax_published", "ablation", 8, "Softermax as published: base 2 without "
           "log2(e) (assumes fine-tuning; none here)", _softermax(natural=True)),
)}


def get_scheme(name: str) -> Scheme:
    """The scheme called ``name``; ``ValueError`` names it and the allowed ones."""
    try:
        return SCHEMES[name]
    except KeyError:
        raise ValueError(f"softmax scheme {name!r} is not allowed; allowed: "
                         f"{', '.join(SCHEMES)}") from None


def softmax_probs(scores, scheme: str, *, bc: int = 64, heads=None) -> np.ndarray:
    """Probabilities of ``scheme`` for base-2 ``scores`` (rows × keys). Keys are padded with
    −Inf (masked) to a multiple of ``bc``; the result has the original width. ``heads``: the
    ``HccsHead`` of every row (``hccs`` only)."""
    s = get_scheme(scheme)
    if s.needs_heads and heads is None:
        raise ValueError(f"softmax scheme {scheme!r} needs its calibrated heads (one per row)")
    t = np.asarray(scores, dtype=np.float32).astype(np.float64)
    rows, n = t.shape
    pad = (-n) % bc
    if pad:
        t = np.concatenate([t, np.full((rows, pad), -np.inf)], axis=1)
    return s.probs(t, bc, heads)[:, :n]
