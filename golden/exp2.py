"""Correctly rounded 2^x references, computed once in high precision.

``exp2_reference(in_fmt, out_fmt)`` gives the output code for every input code of a format of at
most 16 bits, rounded **once** with the output format's rule (FP16: RNE, HiF8: TA,
non-saturating). Fast path: numpy's float64 ``exp2`` (error far below 2^−40 relative); an input
whose float64 result lies within 2^−40 (relative) of a rounding boundary is decided by mpmath
instead. There, integer x gives an exact power of two, and other x (irrational 2^x) are rounded at
two working precisions (120 and 200 bits), which must agree (otherwise ``ArithmeticError``).

Special cases (``docs/spec/baps.md``): 2^NaN = canonical NaN (FP16 0x7E00, HiF8 0x80),
2^−Inf = +0, 2^+Inf = +Inf, overflow → +Inf, underflow → +0 by the output's rounding rule.
"""

from __future__ import annotations

from functools import lru_cache

import mpmath
import numpy as np

from .formats import NumberFormat, get_format

__all__ = ["exp2_reference", "exp2_exact", "exp2_bracket", "exp2_faithful_violations"]

_PRECISIONS = (120, 200)
_FAST_MARGIN = 2.0 ** -40


def exp2_exact(x: float, out_fmt: NumberFormat) -> int:
    """Output code of 2^x for one finite float ``x``, rounded once to ``out_fmt``."""
    if float(x).is_integer():
        return out_fmt.round_exact(mpmath.ldexp(mpmath.mpf(1), int(x)))
    codes = set()
    for prec in _PRECISIONS:
        with mpmath.workprec(prec):
            codes.add(out_fmt.round_exact(mpmath.power(2, mpmath.mpf(x))))
    if len(codes) != 1:
        raise ArithmeticError(f"2^{x!r} rounds differently at {_PRECISIONS} bits: {codes}")
    return codes.pop()


@lru_cache(maxsize=None)
def _reference(in_name: str, out_name: str) -> np.ndarray:
    in_fmt, out_fmt = get_format(in_name), get_format(out_name)
    if in_fmt.width > 16:
        raise ValueError(f"exp2_reference enumerates every input code; {in_name} is too wide")
    values = in_fmt.all_values
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        y = np.exp2(values)     # 2^NaN = NaN, 2^−Inf = 0, 2^+Inf = Inf: the specials already
        out = out_fmt.encode(y)
        unsure = out_fmt.encode(y * (1 - _FAST_MARGIN)) != out_fmt.encode(y * (1 + _FAST_MARGIN))
    for code in np.flatnonzero(unsure & np.isfinite(values)):
        out[code] = exp2_exact(float(values[code]), out_fmt)
    out.setflags(write=False)
    return out


def exp2_reference(in_fmt: NumberFormat | str, out_fmt: NumberFormat | str) -> np.ndarray:
    """Read-only array: output code of correctly rounded 2^x for every input code."""
    in_name = in_fmt if isinstance(in_fmt, str) else in_fmt.name
    out_name = out_fmt if isinstance(out_fmt, str) else out_fmt.name
    return _reference(in_name, out_name)


@lru_cache(maxsize=None)
def _bracket(in_name: str, out_name: str) -> tuple[np.ndarray, np.ndarray]:
    in_fmt, out_fmt = get_format(in_name), get_format(out_name)
    rn = exp2_reference(in_name, out_name).astype(np.int64)
    x = in_fmt.all_values
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        exact = np.exp2(x)
        rn_value = out_fmt.decode(rn)
        direction = np.sign(np.where(np.isfinite(exact) & np.isfinite(rn_value),
                                     exact - rn_value, 0.0)).astype(np.int64)
        close = np.isfinite(x) & np.isfinite(rn_value) & \
            (np.abs(exact - rn_value) <= _FAST_MARGIN * np.abs(rn_value))
    for code in np.flatnonzero(close):
        if float(x[code]).is_integer():
            direction[code] = int(mpmath.sign(mpmath.ldexp(1, int(x[code])) - mpmath.mpf(rn_value[code])))
        else:
            with mpmath.workprec(_PRECISIONS[-1]):
                direction[code] = int(mpmath.sign(mpmath.power(2, mpmath.mpf(x[code]))
                                                  - mpmath.mpf(rn_value[code])))
    lad = out_fmt.ladder
    rank = np.full(1 << out_fmt.width, -1)
    rank[lad.codes[:-1]] = np.arange(len(lad.codes) - 1)
    r = rank[rn]
    other = np.where((r >= 0) & (direction != 0),
                     lad.codes[np.clip(r + direction, 0, len(lad.codes) - 2)], rn)
    lo, hi = np.minimum(rn, other), np.maximum(rn, other)
    return lo, hi


def exp2_bracket(in_fmt: NumberFormat | str, out_fmt: NumberFormat | str
                 ) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) output codes bracketing the exact 2^x for every input code: the two finite
    neighbours, or the exact code twice where 2^x is representable (and the specials)."""
    in_name = in_fmt if isinstance(in_fmt, str) else in_fmt.name
    out_name = out_fmt if isinstance(out_fmt, str) else out_fmt.name
    return _bracket(in_name, out_name)


def exp2_faithful_violations(in_fmt: NumberFormat | str, out_fmt: NumberFormat | str,
                             codes: np.ndarray) -> np.ndarray:
    """Input codes whose output (``codes[input]``, for every input) is not faithful: not one of
    the two finite output values bracketing the exact 2^x, or not exact where 2^x is
    representable (specials and overflow must equal the correctly rounded result)."""
    lo, hi = exp2_bracket(in_fmt, out_fmt)
    codes = np.asarray(codes, dtype=np.int64)
    return np.flatnonzero((codes != lo) & (codes != hi))
