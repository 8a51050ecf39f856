"""Constant tables of the structured EXP2 units, computed here once (the hardware only reads them).

* ``pow2_codes(fmt)``: the code of 2^n for every integer n where the code is not 0 or +Inf
  (rounded once by the format's rule, so 2^(lowest − 1) becomes the smallest value under TA).
* ``fraction_table(fmt, w)``: for k = 0 … 7, 2^(k/8) rounded once to a significand of ``w``
  fraction bits by the format's tie rule, as (carry, mantissa) with 2^(k/8) ≈ (carry + 1 +
  mantissa/2^w).
* ``small_codes(in_fmt, out_fmt)``: input codes with 0 < |x| < 1 whose 2^x is not 1.0, with the
  correctly rounded result.
"""

from __future__ import annotations

from functools import lru_cache

import mpmath

from .exp2 import exp2_reference
from .formats import NumberFormat, get_format

__all__ = ["pow2_codes", "fraction_table", "small_codes"]


@lru_cache(maxsize=None)
def pow2_codes(out_format: str) -> dict[int, int]:
    """{n: code of 2^n} for every n whose code is neither +0 nor the overflow code."""
    fmt = get_format(out_format)
    lo, hi = fmt.binade_range
    out = {}
    for n in range(lo - 4, hi + 4):
        code = int(fmt.round_exact(mpmath.ldexp(mpmath.mpf(1), n)))
        if code != 0 and code != fmt.overflow_code():
            out[n] = code
    return out


@lru_cache(maxsize=None)
def fraction_table(out_format: str, w: int) -> tuple[tuple[int, int], ...]:
    """(carry, mantissa) of 2^(k/8), k = 0 … 7, rounded once to ``w`` fraction bits with
    ``out_format``'s tie rule (the significand of 2^(n + k/8) in a binade of width ``w``)."""
    fmt: NumberFormat = get_format(out_format)
    rows = []
    for k in range(8):
        scaled = mpmath.power(2, mpmath.mpf(k) / 8) * 2 ** w if k else mpmath.mpf(2 ** w)
        low = int(mpmath.floor(scaled))
        frac = scaled - low
        up = frac > 0.5 or (frac == 0.5 and (fmt.ties == "away" or low % 2 == 1))
        offset = low + int(up) - 2 ** w
        rows.append((offset >> w, offset & ((1 << w) - 1)))
    return tuple(rows)


@lru_cache(maxsize=None)
def small_codes(in_format: str, out_format: str) -> dict[int, int]:
    """{input code: result} for 0 < |x| < 1 where 2^x does not round to 1.0."""
    ref = exp2_reference(in_format, out_format)
    one = int(get_format(out_format).encode(1.0))
    values = get_format(in_format).all_values
    return {c: int(ref[c]) for c in range(len(values))
            if 0 < abs(values[c]) < 1 and int(ref[c]) != one}
