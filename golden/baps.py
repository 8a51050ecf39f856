"""Bit-exact model of the BAPS softmax path (``docs/spec/baps.md`` blocks 1, 2, 4).

Scores t are FP32 values already in the base-2 domain (Q pre-scaled by log2(e)/sqrt(d)). Each row
is cut into key blocks of ``bc`` scores, processed in order; per row and block:

* b = max of the block's scores, NaN and −Inf ignored (an all-masked block has b = −Inf);
* m_new = max(m_old, clamp(ceil(b), m_min, m_max)), a signed ``m_width``-bit integer
  (saturating: ceil(+Inf) = m_max, ceil(−Inf) = m_min); on the first block m_new = clamp(ceil(b));
* x_k = S(t_k − m_new) in the score code S (``score_format``, HiF8 TA by default), rounded
  **once** from the exact difference (``code_of_difference``);
* shift = m_old − m_new ≤ 0 (0 on the first block);
* P_k = Pf(2^x_k) in the P format Pf (``p_format``, HiF8 TA by default), correctly rounded: the
  exhaustively verified EXP2 table (x ≤ 0 ⇒ P ∈ [0, 1]);
* l = (l >> −shift) + Σ P_k in unsigned fixed point with ``l_frac_bits`` fraction bits (every
  P value in (0, 1] is a multiple of 2^−l_frac_bits: 22 for HiF8, 24 FP16, 9 E4M3, F for qI.F,
  so the sum is exact) and ``l_int_bits`` integer bits; the right shift truncates (floor); a sum
  beyond the largest value saturates there. At the row's end l is rounded to FP32 (RNE).

Score codes: HiF8, E4M3 and E5M2 spend their sign bit on a value that is never positive (it is
always set but for x = 0); the unsigned distance codes uI.F (``golden.formats.DistanceFormat``)
send d = −x with step 2^−F and a top code "far" (P = 0). P formats: HiF8, FP16, E4M3, and
unsigned fixed point qI.F (``UFixedFormat``).

Special values, defined and tested: a NaN score gives x = NaN, P = NaN and l = NaN for the row
where both formats have a NaN; a NaN P in a qI.F format saturates to its top code (> 1), which
makes l = +Inf; a distance code has no NaN: a NaN score is far (P = 0), silently, as a masked key.
A +Inf score gives P = +Inf and l = +Inf (unless NaN); a score above the saturated running max
(t > m_max) gives x > 0 and P > 1, which also makes l = +Inf (a distance code clamps x to 0:
P = 1); −Inf scores (masking) give P = 0; a fully masked row ends with l = 0, and
``attention_output`` returns a zero row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .exp2 import exp2_reference
from .formats import (DISTANCE_CODES, FP32, HIF8, P_FIXED_FORMATS, FormatParam, NumberFormat,
                      get_format, round_fixed)
from .params import IntParam
from .tile import BC, tile_scores_array

__all__ = ["BapsConfig", "BapsResult", "baps_softmax", "code_of_difference", "hif8_of_difference",
           "rescale_to_final_max", "M_WIDTH", "L_INT_BITS", "SCORE_FORMAT",
           "P_FORMAT", "fixed_to_fp32", "sum_frac_bits",
           "reference_softmax", "attention_output", "softmax_errors"]


# The limits of every BAPS parameter, shared by this model, the hardware and the command line.
M_WIDTH = IntParam("m_width", 2, 32, "signed width of the running max (saturating)", 16)
L_INT_BITS = IntParam("l_int_bits", 1, 40, "integer bits of the running sum (saturating)", 16)
SCORE_FORMAT = FormatParam(
    "score_format", ("hif8", "e4m3", "e5m2", *(f.name for f in DISTANCE_CODES)),
    "code of x = t - m on the link (uI.F: unsigned distance -x)")
P_FORMAT = FormatParam("p_format", ("hif8", "fp16", "e4m3", *(f.name for f in P_FIXED_FORMATS)),
                       "format of P = 2^x (qI.F: unsigned fixed point)")


def sum_frac_bits(p_format: str) -> int:
    """Fraction bits of the running sum for the P format: every P value in (0, 1] is a multiple
    of 2^−F (22 for HiF8, whose smallest value is 2^−22)."""
    return -get_format(p_format).binade_range[0]


@dataclass(frozen=True)
class BapsConfig:
    """Parameters of the datapath's numerics (validated at construction with ``BC`` … ``P_FORMAT``)."""

    bc: int = 64              # key block size
    m_width: int = 16         # signed running-max width (saturating)
    l_int_bits: int = 16      # integer bits of the running sum
    score_format: str = "hif8"
    p_format: str = "hif8"

    def __post_init__(self):
        for param in (BC, M_WIDTH, L_INT_BITS, SCORE_FORMAT, P_FORMAT):
            try:
                param.check(getattr(self, param.name))
            except ValueError as exc:
                raise ValueError(f"BapsConfig {exc}") from None

    @property
    def l_frac_bits(self) -> int:
        return sum_frac_bits(self.p_format)

    @property
    def m_min(self) -> int:
        return -(1 << (self.m_width - 1))

    @property
    def m_max(self) -> int:
        return (1 << (self.m_width - 1)) - 1

    @property
    def l_max(self) -> int:
        return (1 << (self.l_int_bits + self.l_frac_bits)) - 1


@dataclass
class BapsResult:
    x: np.ndarray         # (rows, n) score codes of t − m
    p: np.ndarray         # (rows, n) P codes of P = 2^x
    m: np.ndarray         # (rows, blocks) running max after each block
    shift: np.ndarray     # (rows, blocks) m_old − m_new (0 on the first block)
    l_fixed: np.ndarray   # (rows,) running sum in units of 2^−l_frac_bits (saturated)
    l_special: np.ndarray  # (rows,) 0 finite, 1 +Inf, 2 NaN
    l_fp32: np.ndarray    # (rows,) FP32 bit patterns of l at the row's end
    p_format: str = "hif8"

    @property
    def l(self) -> np.ndarray:
        return FP32.decode(self.l_fp32)

    @property
    def p_values(self) -> np.ndarray:
        return get_format(self.p_format).decode(self.p)

    def weights(self) -> np.ndarray:
        """P of every key rescaled to the row's final max: P_k · 2^(m_block(k) − m_final), what
        the matrix core's O accumulator holds after its power-of-two rescales (float64)."""
        return rescale_to_final_max(self.p_values, self.m)


def rescale_to_final_max(p: np.ndarray, m_blocks: np.ndarray) -> np.ndarray:
    """Each block's P (rows × keys) times 2^(m_block − m_final): the online-softmax rescale the
    matrix core applies with power-of-two factors (``m_blocks``: rows × blocks)."""
    bc = p.shape[1] // m_blocks.shape[1]
    scale = np.exp2((m_blocks - m_blocks[:, -1:]).astype(np.float64))
    with np.errstate(invalid="ignore"):
        return p * np.repeat(scale, bc, axis=1)


def code_of_difference(fmt: NumberFormat, t, m) -> np.ndarray:
    """fmt(t − m) for float32-valued ``t`` and integer ``m``, rounded once, exactly.

    d = t − m is computed in float64 with its exact rounding error e (TwoSum). Only where d lies
    exactly on a rounding boundary of ``fmt`` can e change the result; there d is moved one
    float64 step toward e, which is rounded like the exact value d + e.
    """
    a = np.asarray(t, dtype=np.float64)
    b = -np.asarray(m, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        d = a + b
        bb = d - a
        err = (a - (d - bb)) + (b - bb)
    finite = np.isfinite(d)
    err = np.where(finite, err, 0.0)
    on_boundary = np.isin(np.abs(d), fmt.midpoints) & (err != 0)
    nudged = np.where(on_boundary, np.nextafter(d, np.where(err > 0, np.inf, -np.inf)), d)
    return fmt.encode(nudged)


def hif8_of_difference(t, m) -> np.ndarray:
    """HiF8_TA(t − m), rounded once from the exact difference (``code_of_difference``)."""
    return code_of_difference(HIF8, t, m)


def _clamped_ceil(b: np.ndarray, cfg: BapsConfig) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        c = np.ceil(np.clip(b, cfg.m_min, cfg.m_max))   # ±Inf clip to the limits
    return c.astype(np.int64)



def _p_fixed_table(fmt: NumberFormat, frac_bits: int) -> np.ndarray:
    """P code → P·2^frac_bits for finite non-negative P ≤ 1 (−1 marks specials)."""
    vals = fmt.all_values
    out = np.full(len(vals), -1, dtype=np.int64)
    ok = np.isfinite(vals) & (vals >= 0) & (vals <= 1)
    out[ok] = np.round(vals[ok] * 2.0 ** frac_bits).astype(np.int64)
    if not np.array_equal(out[ok] * 2.0 ** -frac_bits, vals[ok]):
        raise AssertionError(f"{fmt.name} values in [0, 1] are not multiples of 2^-{frac_bits}")
    return out


def baps_softmax(scores, cfg: BapsConfig = BapsConfig()) -> BapsResult:
    """Run the bit-exact BAPS path over ``scores`` (rows × n, n a multiple of ``cfg.bc``)."""
    t = tile_scores_array(scores, cfg.bc).astype(np.float32).astype(np.float64)   # FP32 out
    rows, n = t.shape
    nblocks = n // cfg.bc
    x_fmt, p_fmt = get_format(cfg.score_format), get_format(cfg.p_format)
    exp2 = exp2_reference(cfg.score_format, cfg.p_format)
    p_fixed = _p_fixed_table(p_fmt, cfg.l_frac_bits)
    x = np.empty((rows, n), dtype=x_fmt.dtype)
    p = np.empty((rows, n), dtype=p_fmt.dtype)
    m_hist = np.empty((rows, nblocks), dtype=np.int64)
    shift_hist = np.empty((rows, nblocks), dtype=np.int64)
    l = np.zeros(rows, dtype=np.int64)
    special = np.zeros(rows, dtype=np.int64)
    m = None
    for j in range(nblocks):
        blk = t[:, j * cfg.bc:(j + 1) * cfg.bc]
        with np.errstate(invalid="ignore"):
            b = np.max(np.where(np.isnan(blk), -np.inf, blk), axis=1)
        m_new = _clamped_ceil(b, cfg) if m is None else np.maximum(m, _clamped_ceil(b, cfg))
        shift = np.zeros(rows, dtype=np.int64) if m is None else m - m_new
        xj = code_of_difference(x_fmt, blk, m_new[:, None])
        pj = exp2[xj]
        x[:, j * cfg.bc:(j + 1) * cfg.bc] = xj
        p[:, j * cfg.bc:(j + 1) * cfg.bc] = pj
        fixed = p_fixed[pj]
        block_nan = np.any(np.isnan(p_fmt.all_values[pj]), axis=1)
        block_inf = np.any((fixed < 0), axis=1) & ~block_nan            # +Inf or P > 1
        special = np.maximum(special, np.where(block_nan, 2, np.where(block_inf, 1, 0)))
        rescaled = np.where(-shift >= 63, 0, l >> np.minimum(-shift, 62))
        l = np.minimum(rescaled + np.where(fixed >= 0, fixed, 0).sum(axis=1), cfg.l_max)
        m = m_new
        m_hist[:, j], shift_hist[:, j] = m_new, shift
    return BapsResult(x=x, p=p, m=m_hist, shift=shift_hist, l_fixed=l, l_special=special,
                      l_fp32=fixed_to_fp32(l, special, cfg.l_frac_bits), p_format=cfg.p_format)


def fixed_to_fp32(l: np.ndarray, special: np.ndarray, frac_bits: int) -> np.ndarray:
    """FP32 bit patterns of l·2^−frac_bits, rounded once (RNE); special 1 → +Inf, 2 → NaN."""
    l = np.asarray(l, dtype=np.int64)
    if l.size and int(l.max()) < 1 << 53:       # exact in float64: one RNE rounding to FP32
        out = FP32.encode(np.ldexp(l.astype(np.float64), -frac_bits))
    else:
        out = np.array([round_fixed(FP32, int(v), frac_bits) for v in l], dtype=np.uint32)
    out = np.where(special == 1, np.uint32(FP32.inf_code), out)
    return np.where(special == 2, np.uint32(FP32.nan_code), out).astype(np.uint32)


def reference_softmax(scores) -> np.ndarray:
    """float64 softmax in base 2 over the last axis (−Inf masked; a fully masked row gives 0)."""
    t = np.asarray(scores, dtype=np.float32).astype(np.float64)
    mx = np.max(t, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore"):
        e = np.exp2(t - np.where(np.isfinite(mx), mx, 0.0))
    s = e.sum(axis=-1, keepdims=True)
    return np.divide(e, s, out=np.zeros_like(e), where=s > 0)


def attention_output(result: BapsResult, values) -> np.ndarray:
    """O = (Σ_blocks 2^(m_j − m_final) P_j·V_j) / l per row in float64 (the matrix core's
    rescaled accumulation and final division); masked rows give 0."""
    pv = result.weights() @ np.asarray(values, dtype=np.float64)
    l = result.l[:, None]
    return np.divide(pv, l, out=np.zeros_like(pv), where=(l > 0) & np.isfinite(l))


def softmax_errors(scores, result: BapsResult, values=None) -> dict:
    """Errors of the BAPS probabilities q = weights/l (and of O, given V) against
    ``reference_softmax``.

    Returns per-row arrays: ``max_abs`` (max |q − p|), ``kl`` (KL(p ‖ q) in nats, terms with
    p = 0 dropped; +inf where q is 0 but p is not), ``kl_support`` (the same sum over keys with
    q > 0 only), ``lost_mass`` (Σ p where q = 0: keys whose HiF8 P underflowed), and with V
    ``o_rel`` (‖O − O_ref‖ / ‖O_ref‖).
    """
    ref = reference_softmax(scores)
    l = result.l[:, None]
    q = np.divide(result.weights(), l, out=np.zeros_like(ref), where=(l > 0) & np.isfinite(l))
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(ref > 0, ref * (np.log(ref) - np.log(q)), 0.0)
    out = {"max_abs": np.max(np.abs(q - ref), axis=1), "kl": terms.sum(axis=1),
           "kl_support": np.where(q > 0, terms, 0.0).sum(axis=1),
           "lost_mass": np.where(q > 0, 0.0, ref).sum(axis=1)}
    if values is not None:
        v = np.asarray(values, dtype=np.float64)
        o_ref = ref @ v
        o = attention_output(result, v)
        norm = np.linalg.norm(o_ref, axis=1)
        out["o_rel"] = np.linalg.norm(o - o_ref, axis=1) / np.where(norm > 0, norm, 1.0)
    return out
