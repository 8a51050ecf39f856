"""The exact per-segment fit of the ``Exp2FP16`` coefficient tables (``golden.exp2_fp16_model``).

For given widths, every FP16 input that reaches the polynomial (step 3 of the model) fixes an
integer interval of y that gives its required result: the correctly rounded code (RNE designs)
or one of the two codes bracketing the exact 2^x (truncating designs), with the rounding at the
input's own position (subnormal results round coarser). Inputs of one segment share C0, inputs of
one C1 group share C1 (and with ``small_one``, a small |x| for which 1.0 is not allowed is a
patch). For each group the fit tries the C1 values around the slope of 2^x and,
for each, puts every segment's C0 where the most of its inputs' intervals overlap (a sweep over
the interval ends, the lowest point of the best overlap); the smallest C1 (within ``spread`` of
the slope) leaving the fewest inputs uncovered wins. The uncovered inputs are the
design's patches. Nothing is approximated: a design from ``fit`` is exactly as accurate as its
patch list says, on all 65,536 inputs.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from . import exp2_fp16_model as model
from .exp2 import exp2_bracket, exp2_reference
from .formats import FP16

__all__ = ["required_intervals", "fit"]

CODES = np.arange(1 << 16)


def required_intervals(design: model.Exp2FP16Design):
    """(in_datapath, i, r, lo, hi): for every input code, the y interval [lo, hi] that gives its
    required result (meaningful where ``in_datapath``), with its segment i and offset r."""
    inside, n, i, r = model.fields(CODES, design)
    normal = n >= FP16.emin
    drop = np.where(normal, design.p - FP16.man_bits, np.clip(design.p - 24 - n, 1, 40))
    scale = np.where(normal, np.exp2(10.0 - np.clip(n, -40, 40)), 2.0 ** 24)

    def scaled(codes):
        with np.errstate(invalid="ignore", over="ignore"):
            v = FP16.decode(codes.astype(np.uint16)).astype(np.float64) * scale
        return np.where(np.isfinite(v), v, 0).astype(np.int64)

    if design.rounding == "truncate":
        lo_code, hi_code = exp2_bracket("fp16", "fp16")
        lo = scaled(lo_code) << drop
        hi = ((scaled(hi_code) + 1) << drop) - 1
    else:
        k = scaled(exp2_reference("fp16", "fp16"))
        half = np.int64(1) << (drop - 1)
        odd = k & 1                      # a tie rounds to the even k: allowed only when k is even
        lo = (k << drop) - half + odd
        hi = (k << drop) + half - odd
    return inside, i, r, lo, hi


def _best_c0(lo: np.ndarray, hi: np.ndarray) -> tuple[int, int]:
    """(how many of the intervals [lo, hi] the best point covers, the lowest such point)."""
    ends = np.concatenate([lo, hi + 1])
    step = np.concatenate([np.ones_like(lo), -np.ones_like(hi)])
    order = np.lexsort((step, ends))
    cover = np.cumsum(step[order])
    k = int(np.argmax(cover))
    return int(cover[k]), int(ends[order][k])


def fit(design: model.Exp2FP16Design, spread: int = 5) -> model.Exp2FP16Design:
    """``design`` with fitted C0 and C1 tables and its patches (the inputs left uncovered)."""
    d = design
    inside, seg, r, lo, hi = required_intervals(d)
    members = [np.flatnonzero(inside & (seg == i)) for i in range(1 << d.seg_bits)]
    group = 1 << (d.seg_bits - d.c1_index_bits)
    c0 = [0] * (1 << d.seg_bits)
    c1 = [0] * (1 << d.c1_index_bits)
    patches: list[int] = []
    for g in range(1 << d.c1_index_bits):
        segs = range(g * group, (g + 1) * group)
        mid = (g + 0.5) / (1 << d.c1_index_bits)
        slope = 2.0 ** (d.p + d.product_shift - d.seg_bits - d.r_bits) * math.log(2) * 2 ** mid
        centre = int(round(slope))
        best = None
        for cand in range(centre - spread, centre + spread + 1):
            if not 0 <= cand < 1 << d.c1_bits:
                continue
            missed, c0s = 0, []
            for i in segs:
                sel = members[i]
                y1 = model.segment_poly(d, 0, cand, r[sel])
                covered, point = _best_c0(lo[sel] - y1, hi[sel] - y1) if len(sel) else (0, 1 << d.p)
                missed += len(sel) - covered
                c0s.append(min(max(point, 0), (1 << (d.p + 1)) - 1))
            if best is None or missed < best[0]:
                best = (missed, cand, c0s)
            if missed == 0:
                break
        _, c1[g], c0s = best
        for i, value in zip(segs, c0s):
            c0[i] = value
            sel = members[i]
            y = model.segment_poly(d, value, c1[g], r[sel])
            patches += [int(c) for c in sel[(y < lo[sel]) | (y > hi[sel])]]
    if d.small_one:                     # 1.0 for every small |x|: patch those it does not suit
        patches += [int(c) for c in _small_codes(d) if not _allowed(d, model.ONE)[c]]
    return dataclasses.replace(d, c0=tuple(c0), c1=tuple(c1), patches=tuple(sorted(patches)))


def _small_codes(design: model.Exp2FP16Design) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.flatnonzero(np.abs(FP16.decode(CODES.astype(np.uint16)))
                              < 2.0 ** design.small_exp)


def _allowed(design: model.Exp2FP16Design, result: int) -> np.ndarray:
    """For every input code: ``result`` meets the design's accuracy."""
    if design.rounding == "even":
        return exp2_reference("fp16", "fp16") == result
    lo, hi = exp2_bracket("fp16", "fp16")
    return (lo == result) | (hi == result)
