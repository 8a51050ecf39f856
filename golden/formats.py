"""Number formats as data, behind one vectorized codec API.

Every format is a frozen description: its width, its special codes and its rounding rule.
``decode(codes)`` gives float64 values (exact for every format here); ``encode(values)`` rounds
float64 values to codes once, to nearest, with the format's tie rule:

* ``HIF8``: ties away from zero (TA), exactly as ``docs/spec/hif8.md`` states, optional
  saturation; hybrid rounding (HR) with caller-supplied random bits in ``HIF8.encode_hr``.
* ``FP16``: IEEE binary16, round to nearest even (RNE), subnormals, ±0, canonical NaN 0x7E00.
* ``FP32``: IEEE binary32 bit helpers (RNE via numpy), canonical NaN 0x7FC00000.
* ``E4M3``: OCP FP8 E4M3FN, RNE, always saturating to ±448, NaN 0x7F.
* ``E5M2``: OCP FP8 E5M2 (IEEE-style: ±Inf, NaN 0x7E), RNE.
* ``DistanceFormat`` ``uI.F`` (5 ≤ I + F ≤ 8) and the tapered ``uI.F/e2``: an unsigned code of
  the distance d = −x ≥ 0 of a non-positive x (fixed point with step 2^−F, or a step that
  doubles per binade), RNE; the all-ones code is "far" (x = −Inf, so 2^x = 0), which every d
  from the midpoint to the top code's would-be value up rounds to. No sign, no NaN: NaN is far
  too and a positive x clamps to d = 0 (a BAPS score never exceeds its running max unless the
  max saturated).
* ``UFixedFormat`` ``qI.F``: unsigned fixed point k·2^−F (the P of a fixed-point datapath), RNE,
  saturating at the largest code, which NaN also takes (no NaN or Inf codes).

Formats of at most 16 bits round through a *ladder*: the ascending non-negative finite values, the
code of each, and one overflow pseudo-value above the largest finite value (the value the next code
would have); a magnitude at or beyond the midpoint to it overflows. ``round_exact`` rounds an
mpmath number with the same ladder, so references can round once from a high-precision value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import mpmath
import numpy as np

from .params import ChoiceParam

__all__ = ["FormatParam", "NumberFormat", "IEEEFormat", "HiF8Format", "E4M3Format", "DistanceFormat",
           "UFixedFormat", "Binade", "FP16", "FP32", "HIF8", "E4M3", "E5M2", "DISTANCE_CODES",
           "P_FIXED_FORMATS", "FORMATS", "get_format", "distance_format", "ufixed_format",
           "fp32_to_bits", "bits_to_fp32",
           "round_fixed"]


@dataclass(frozen=True)
class _Ladder:
    values: np.ndarray   # ascending non-negative finite magnitudes, then the overflow pseudo-value
    codes: np.ndarray    # the positive code of each rung; the last is +Inf (or +max if none)
    tie_up: np.ndarray   # tie_up[i]: a value exactly between rung i and i+1 rounds to rung i+1

    def round_index(self, magnitude: np.ndarray) -> np.ndarray:
        """Index of the nearest rung for non-negative finite float64 magnitudes."""
        v = self.values
        i = np.clip(np.searchsorted(v, magnitude, side="right") - 1, 0, len(v) - 2)
        mid = (v[i] + v[i + 1]) / 2          # exact: rungs have few significant bits
        up = (magnitude > mid) | ((magnitude == mid) & self.tie_up[i])
        return np.where(magnitude >= v[-1], len(v) - 1, i + up)

    def round_index_exact(self, magnitude: mpmath.mpf) -> int:
        """Index of the nearest rung for one non-negative mpmath value, decided exactly."""
        v = self.values
        i = int(np.clip(np.searchsorted(v, float(magnitude), side="right") - 1, 0, len(v) - 2))
        while i > 0 and magnitude < v[i]:
            i -= 1
        while i < len(v) - 2 and magnitude >= v[i + 1]:
            i += 1
        if magnitude >= v[-1]:
            return len(v) - 1
        mid = (mpmath.mpf(v[i]) + mpmath.mpf(v[i + 1])) / 2
        if magnitude > mid or (magnitude == mid and self.tie_up[i]):
            return i + 1
        return i


@dataclass(frozen=True)
class Binade:
    """The codes of the positive values in [2^e, 2^(e+1)): ``count`` codes ``base_code + k``
    (k = 0 … count−1) of value 2^e·(1 + k/2^w). ``count`` < 2^w where the format's largest value
    (or its Inf pattern) cuts the binade short."""

    e: int
    w: int
    base_code: int
    count: int


@dataclass(frozen=True)
class NumberFormat:
    """A number format: ``width`` bits, a canonical NaN and a tie rule for rounding."""

    name: str
    width: int
    nan_code: int
    ties: str  # "even" or "away"

    @property
    def sign_bit(self) -> int:
        return 1 << (self.width - 1)

    @property
    def dtype(self):
        """The narrowest unsigned numpy type that holds a code."""
        return next(t for w, t in ((8, np.uint8), (16, np.uint16), (32, np.uint32))
                    if self.width <= w)

    @property
    def signed(self) -> bool:
        """The format has a sign bit (the unsigned fixed-point codes have none)."""
        return True

    @cached_property
    def midpoints(self) -> np.ndarray:
        """The rounding boundaries between adjacent non-negative magnitudes (ascending)."""
        v = self.ladder.values
        return (v[:-1] + v[1:]) / 2

    def check_codes(self, codes) -> np.ndarray:
        """Codes as an int64 array; raises ``ValueError`` naming a code outside 0..2**width-1."""
        arr = np.asarray(codes)
        if arr.dtype.kind not in "iu":
            raise ValueError(f"{self.name} codes must be integers, got dtype {arr.dtype}")
        arr = arr.astype(np.int64)
        bad = (arr < 0) | (arr >= 1 << self.width)
        if bad.any():
            raise ValueError(f"{self.name} code {int(arr[bad].flat[0])} is out of range "
                             f"0..{(1 << self.width) - 1}")
        return arr

    # -- binades: the data a rounder needs (golden ``round_fixed`` and the RTL codec) --------
    def binade(self, e: int) -> Binade | None:
        """The positive values in [2^e, 2^(e+1)), or None outside the finite range."""
        lad = self.ladder
        vals = lad.values[:-1]
        inside = np.flatnonzero((vals >= 2.0 ** e) & (vals < 2.0 ** (e + 1)))
        if len(inside) == 0:
            return None
        first = int(inside[0])
        if vals[first] != 2.0 ** e:
            raise AssertionError(f"{self.name}: binade {e} does not start at 2^{e}")
        step = lad.values[first + 1] - lad.values[first]      # the next rung or the overflow value
        w = int(round(np.log2(2.0 ** e / step)))
        if 2.0 ** (e - w) != step:
            raise AssertionError(f"{self.name}: binade {e} has no power-of-two step")
        base = int(lad.codes[first])
        codes = lad.codes[inside]
        if not np.array_equal(codes, base + np.arange(len(inside))):
            raise AssertionError(f"{self.name}: binade {e} codes are not consecutive")
        return Binade(e, w, base, len(inside))

    @cached_property
    def binade_range(self) -> tuple[int, int]:
        """(lowest, highest) e with a binade: every finite non-zero magnitude lies in between."""
        finite = self.ladder.values[1:-1]
        return int(np.floor(np.log2(finite[0]))), int(np.floor(np.log2(finite[-1])))

    @cached_property
    def finest_boundary(self) -> int:
        """The exponent b of the finest rounding boundary: every midpoint between two adjacent
        non-negative values (0 included) is a multiple of 2^b."""
        lo, hi = self.binade_range
        return min([lo - 1] + [e - self.binade(e).w - 1 for e in range(lo, hi + 1)])

    def overflow_code(self, saturate: bool = False) -> int:
        """The positive code of an overflow: +Inf, or the largest finite value when saturating
        (or when the format has no Inf)."""
        return int(self.ladder.codes[-2] if saturate else self.ladder.codes[-1])

    def describe(self, code: int) -> str:
        """``0xNN (value)`` for messages."""
        digits = self.width // 4
        return f"0x{int(code):0{digits}X} ({float(self.decode(np.array([code]))[0])!r})"

    # -- ladder-based codecs (width <= 16) ---------------------------------------------------
    @cached_property
    def all_values(self) -> np.ndarray:
        """float64 value of every code (NaN for NaN codes)."""
        return self._decode_all()

    def _decode_all(self) -> np.ndarray:
        raise NotImplementedError

    def _overflow_value(self) -> float:
        raise NotImplementedError

    def _inf_code(self) -> int | None:
        raise NotImplementedError

    def negate_code(self, codes: np.ndarray) -> np.ndarray:
        """The code of −value for positive codes (the format's rule for −0)."""
        return codes | self.sign_bit

    @cached_property
    def ladder(self) -> _Ladder:
        vals = self.all_values
        pos = np.arange(self.sign_bit)
        finite = np.isfinite(vals[pos]) & ~np.signbit(vals[pos])
        codes = pos[finite]
        order = np.argsort(vals[codes], kind="stable")
        codes, values = codes[order], vals[codes][order]
        if np.any(np.diff(values) <= 0):
            raise AssertionError(f"{self.name}: non-negative values are not distinct")
        inf = self._inf_code()
        top_code = inf if inf is not None else int(codes[-1])
        values = np.append(values, self._overflow_value())
        codes = np.append(codes, top_code)
        if self.ties == "away":
            tie_up = np.ones(len(values) - 1, dtype=bool)
        else:  # even: the rung whose code is even
            tie_up = (codes[1:] % 2) == 0
        return _Ladder(values=values, codes=codes, tie_up=tie_up)

    def decode(self, codes) -> np.ndarray:
        """float64 values of ``codes`` (exact)."""
        return self.all_values[self.check_codes(codes)]

    def encode(self, values, *, saturate: bool = False) -> np.ndarray:
        """Round float64 ``values`` to codes once, to nearest with this format's ties rule.

        NaN → canonical NaN; ±Inf and overflow → ±Inf, or ±max when ``saturate``.
        """
        x = np.asarray(values, dtype=np.float64)
        lad = self.ladder
        mag = np.abs(x)
        finite = np.isfinite(x)
        idx = lad.round_index(np.where(finite, mag, 0.0))
        idx = np.where(finite, idx, len(lad.values) - 1)
        if saturate:
            idx = np.minimum(idx, len(lad.values) - 2)
        pos = lad.codes[idx]
        out = np.where(np.signbit(x), self.negate_code(pos), pos)
        out = np.where(np.isnan(x), self.nan_code, out)
        return out.astype(self.dtype)

    def round_exact(self, value: mpmath.mpf) -> int:
        """Round one mpmath value (any precision, no NaN) to a code, once, exactly."""
        if mpmath.isinf(value):
            mag_code = int(self.ladder.codes[-1])
        else:
            mag_code = int(self.ladder.codes[self.ladder.round_index_exact(abs(value))])
        if value < 0:
            return int(self.negate_code(np.array([mag_code]))[0])
        return mag_code


@dataclass(frozen=True)
class IEEEFormat(NumberFormat):
    """IEEE 754 binary format: ``exp_bits`` exponent bits, ``man_bits`` mantissa bits, RNE."""

    exp_bits: int = 5
    man_bits: int = 10

    @property
    def bias(self) -> int:
        return (1 << (self.exp_bits - 1)) - 1

    @property
    def inf_code(self) -> int:
        return ((1 << self.exp_bits) - 1) << self.man_bits

    @property
    def max_code(self) -> int:
        return self.inf_code - 1

    def _inf_code(self):
        return self.inf_code

    def _overflow_value(self):
        return 2.0 ** (self.bias + 1)

    @property
    def emin(self) -> int:
        """Exponent of the smallest normal value."""
        return 1 - self.bias

    def binade(self, e: int) -> Binade | None:
        """IEEE binades by formula (the ladder's derivation agrees for FP16; tested)."""
        if not self.emin - self.man_bits <= e <= self.bias:
            return None
        if e >= self.emin:
            return Binade(e, self.man_bits, (e + self.bias) << self.man_bits, 1 << self.man_bits)
        w = self.man_bits - (self.emin - e)
        return Binade(e, w, 1 << w, 1 << w)

    @property
    def binade_range(self) -> tuple[int, int]:
        return self.emin - self.man_bits, self.bias

    def overflow_code(self, saturate: bool = False) -> int:
        return self.max_code if saturate else self.inf_code

    def fields(self, codes):
        """(sign, biased exponent, mantissa) bit fields of ``codes`` as int64 arrays."""
        c = self.check_codes(codes)
        return (c >> (self.width - 1), (c >> self.man_bits) & ((1 << self.exp_bits) - 1),
                c & ((1 << self.man_bits) - 1))

    def to_fixed(self, codes, frac_bits: int) -> tuple[np.ndarray, np.ndarray]:
        """(floor(x·2^frac_bits), inexact) as int64 and bool arrays for finite codes whose
        |x|·2^frac_bits < 2^62 (NaN/Inf codes give meaningless values)."""
        sign, exp, man = self.fields(codes)
        sig = np.where(exp == 0, man, man | (1 << self.man_bits))
        shift = np.maximum(exp, 1) - self.bias - self.man_bits + frac_bits   # x = sig·2^(shift−frac)
        left = np.minimum(np.maximum(shift, 0), 62)
        right = np.minimum(np.maximum(-shift, 0), 63)
        mag = np.where(shift >= 0, sig << left, sig >> right)
        inexact = (shift < 0) & ((sig & ((np.int64(1) << right) - 1)) != 0)
        return np.where(sign == 1, -mag - inexact, mag), inexact

    def _decode_all(self):
        if self.width > 16:
            raise ValueError(f"{self.name}: the code table exists only for formats of at most "
                             f"16 bits")
        sign, exp, man = self.fields(np.arange(1 << self.width))
        top = (1 << self.exp_bits) - 1
        sig = np.where(exp == 0, man, man + (1 << self.man_bits)).astype(np.float64)
        mag = np.ldexp(sig, np.maximum(exp, 1) - self.bias - self.man_bits)
        mag = np.where(exp == top, np.where(man == 0, np.inf, np.nan), mag)
        return np.where(sign == 1, -mag, mag)

    def decode(self, codes):
        if self.width == 32:
            return self.check_codes(codes).astype(np.uint32).view(np.float32).astype(np.float64)
        return super().decode(codes)

    def encode(self, values, *, saturate=False):
        if self.width == 32:
            x = np.asarray(values, dtype=np.float64)
            with np.errstate(over="ignore"):
                f = x.astype(np.float32)
            if saturate:
                big = np.finfo(np.float32).max
                f = np.where(np.isinf(f), np.copysign(big, f), f).astype(np.float32)
            bits = f.view(np.uint32)
            return np.where(np.isnan(x), np.uint32(self.nan_code), bits).astype(np.uint32)
        return super().encode(values, saturate=saturate)


# HiF8 rows as data: (dot prefix, D = stored exponent width, mantissa bits); None = denormal.
HIF8_ROWS = (
    ("11", 4, 1),
    ("10", 3, 2),
    ("01", 2, 3),
    ("001", 1, 3),
    ("0001", 0, 3),
    ("0000", None, 3),
)


@dataclass(frozen=True)
class HiF8Fields:
    """Fields of one HiF8 code. ``kind``: 'zero', 'nan', 'inf', 'normal', 'denormal'."""

    sign: int
    kind: str
    exponent: int      # E (value = 2^E · 1.M for normal, 2^E for denormal)
    mantissa: int      # M, ``mant_bits`` wide
    mant_bits: int


@dataclass(frozen=True)
class HiF8Format(NumberFormat):
    """HiF8 (HiFloat8): tapered precision, one zero (0x00), NaN 0x80, ±Inf 0x6F/0xEF.

    ``encode`` is TA (ties away); ``encode_hr`` is hybrid rounding (TA for |e| < 4, stochastic
    rounding for 4 ≤ |e| ≤ 22 driven by caller-supplied random bits).
    """

    rows: tuple = field(default=HIF8_ROWS)
    pos_inf_code: int = 0x6F
    neg_inf_code: int = 0xEF
    max_code: int = 0x6E

    def fields(self, code: int) -> HiF8Fields:
        code = int(self.check_codes(np.array([code]))[0])
        sign, rest = code >> 7, format(code & 0x7F, "07b")
        if code == self.nan_code:
            return HiF8Fields(sign, "nan", 0, 0, 0)
        if code in (self.pos_inf_code, self.neg_inf_code):
            return HiF8Fields(sign, "inf", 15, 1, 1)
        for prefix, d, mb in self.rows:
            if rest.startswith(prefix):
                bits = rest[len(prefix):]
                if d is None:
                    m = int(bits, 2)
                    if m == 0:
                        return HiF8Fields(sign, "zero", 0, 0, mb)
                    return HiF8Fields(sign, "denormal", m - 23, 0, 0)
                if d == 0:
                    e = 0
                else:
                    ebits = bits[:d]
                    mag = (1 << (d - 1)) + (int(ebits[1:], 2) if d > 1 else 0)
                    e = -mag if ebits[0] == "1" else mag
                return HiF8Fields(sign, "normal", e, int(bits[d:], 2), mb)
        raise AssertionError("unreachable: the dot prefixes cover every code")

    def mantissa_bits(self, e: int) -> int:
        """Mantissa bits of the HiF8 values in [2^e, 2^(e+1)) (0: the denormal range), read
        from ``rows``: D exponent bits cover |e| < 2^D (D = 0: e = 0)."""
        normal = sorted((d, mb) for _, d, mb in self.rows if d is not None)
        for d, mb in normal:                 # the narrowest exponent field that holds |e|
            if abs(e) < (1 << d):
                return mb
        return 0

    def _decode_all(self):
        vals = np.empty(256)
        for c in range(256):
            f = self.fields(c)
            if f.kind == "nan":
                v = np.nan
            elif f.kind == "inf":
                v = np.inf
            elif f.kind == "zero":
                v = 0.0
            elif f.kind == "denormal":
                v = 2.0 ** f.exponent
            else:
                v = 2.0 ** f.exponent * (1 + f.mantissa / (1 << f.mant_bits))
            vals[c] = -v if f.sign and f.kind != "nan" else v
        return vals

    def _inf_code(self):
        return self.pos_inf_code

    def _overflow_value(self):
        return 1.5 * 2.0 ** 15   # the +Inf pattern's would-be value

    def negate_code(self, codes):
        codes = np.asarray(codes)
        return np.where(codes == 0, 0, codes | self.sign_bit)

    def encode_hr(self, values, random, *, random_bits: int = 8) -> np.ndarray:
        """Hybrid rounding: TA where |e| < 4, |x| ≥ 2^15 or |x| < 2^−22; elsewhere stochastic.

        Stochastic step: with lo ≤ |x| < hi the neighbouring code values, the discarded fraction
        d = floor((|x| − lo) / (hi − lo) · 2^random_bits) rounds up iff d + random ≥ 2^random_bits
        (probability d / 2^random_bits for uniform ``random`` in [0, 2^random_bits)).
        """
        if not isinstance(random_bits, int) or not 1 <= random_bits <= 32:
            raise ValueError(f"random_bits={random_bits!r}: allowed 1..32")
        x = np.asarray(values, dtype=np.float64)
        r = np.broadcast_to(np.asarray(random), x.shape)
        if r.dtype.kind not in "iu":
            raise ValueError(f"random values must be integers, got dtype {r.dtype}")
        bad = (r < 0) | (r >= 1 << random_bits)
        if np.any(bad):
            raise ValueError(f"random value {int(r[bad].flat[0])} is out of range; allowed: "
                             f"0..{(1 << random_bits) - 1} (random_bits={random_bits})")
        ta = self.encode(x)
        mag = np.abs(np.where(np.isfinite(x), x, 0.0))
        e = np.frexp(mag)[1] - 1          # exact: floor(log2) rounds up just below 2^k
        sr = np.isfinite(x) & (np.abs(e) >= 4) & (mag >= 2.0 ** -22) & (mag < 2.0 ** 15)
        lad = self.ladder
        v = lad.values
        i = np.clip(np.searchsorted(v, mag, side="right") - 1, 0, len(v) - 2)
        frac = (mag - v[i]) / (v[i + 1] - v[i])
        d = np.floor(frac * (1 << random_bits)).astype(np.int64)
        up = d + r.astype(np.int64) >= (1 << random_bits)
        pos = lad.codes[i + up]
        sr_code = np.where(np.signbit(x), self.negate_code(pos), pos)
        return np.where(sr, sr_code, ta).astype(np.uint8)


@dataclass(frozen=True)
class E4M3Format(NumberFormat):
    """OCP FP8 E4M3 (E4M3FN): bias 7, subnormals to 2^−9, max 448, no Inf, NaN 0x7F/0xFF.

    Rounding is RNE and always saturates to ±448 (the FlashAttention-3 P cast); NaN → 0x7F.
    Bit fields as IEEE (``exp_bits``, ``man_bits``, ``bias``), but the all-ones exponent holds
    normal values except S.1111.111 (NaN).
    """

    exp_bits: int = 4
    man_bits: int = 3
    bias: int = 7

    def _decode_all(self):
        codes = np.arange(256)
        e, mant = (codes >> 3) & 0xF, codes & 7
        mag = np.where(e == 0, mant / 8 * 2.0 ** -6, (1 + mant / 8) * 2.0 ** (e - 7))
        vals = np.where(codes & 0x80, -mag, mag)
        vals[(codes & 0x7F) == 0x7F] = np.nan
        return vals

    def _inf_code(self):
        return None                 # overflow saturates to the largest finite value

    def _overflow_value(self):
        return 480.0                # where 1.111·2^8 + one step would be


@dataclass(frozen=True)
class _UnsignedCode(NumberFormat):
    """Unsigned codes 0 … 2^width − 1 of ascending magnitudes (``magnitude(code)``), rounded RNE
    through the ladder; the top code is special (its meaning is the subclass's) and its would-be
    magnitude is the ladder's overflow pseudo-value."""

    frac_bits: int = 4      # the finest step is 2^−frac_bits

    @property
    def signed(self) -> bool:
        return False

    @property
    def top_code(self) -> int:
        return (1 << self.width) - 1

    def magnitude(self, codes: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @cached_property
    def ladder(self) -> _Ladder:
        k = np.arange(self.top_code + 1)
        return _Ladder(values=self.magnitude(k), codes=k, tie_up=(k[1:] % 2) == 0)

    def negate_code(self, codes):
        raise TypeError(f"{self.name} is unsigned: no code of a negative value")

    def _round_exact_magnitude(self, mag: mpmath.mpf) -> int:
        return int(self.ladder.codes[self.ladder.round_index_exact(mag)])

    def _encode_magnitude(self, mag: np.ndarray) -> np.ndarray:
        """Codes of non-negative magnitudes rounded RNE; +Inf gives the top code."""
        codes = self.ladder.round_index(np.where(np.isfinite(mag), mag, 0.0))
        return np.where(np.isfinite(mag), codes, self.top_code).astype(self.dtype)


@dataclass(frozen=True)
class DistanceFormat(_UnsignedCode):
    """The code k of a non-positive x = −d(k): the distance d = −x as an unsigned number, finest
    step 2^−F; the top code is "far": x = −Inf, 2^x = 0. Encoding rounds d RNE once;
    d at or beyond the midpoint to the top code's would-be value, −Inf and NaN give far; x > 0
    clamps to code 0 (x = 0).

    ``exp_bits`` = 0: ``uI.F``, fixed point d(k) = k·2^−F (I + F = width). ``exp_bits`` = E > 0:
    ``uI.F/eE``, a tapered code: the top E bits are a binade field b and the rest M bits m,
    d = m·2^−F for b = 0 and (2^M + m)·2^(b−1−F) above, so the step doubles each binade from
    2^M·2^−F on and d reaches 2^(M + 2^E − 1 − F) (I = that exponent)."""

    exp_bits: int = 0

    def magnitude(self, codes):
        man = self.width - self.exp_bits
        b, m = codes >> man, codes & ((1 << man) - 1)
        return np.where(b == 0, m, np.ldexp((1 << man) + m, np.maximum(b, 1) - 1)) \
            * 2.0 ** -self.frac_bits

    def _decode_all(self):
        vals = 0.0 - self.magnitude(np.arange(self.top_code + 1)).astype(np.float64)
        vals[self.top_code] = -np.inf
        return vals

    def encode(self, values, *, saturate: bool = False) -> np.ndarray:
        x = np.asarray(values, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            d = np.where(np.isnan(x) | (x == -np.inf), np.inf, np.maximum(-x, 0.0))
        return self._encode_magnitude(d)

    def round_exact(self, value: mpmath.mpf) -> int:
        if value >= 0:
            return 0
        return self.top_code if mpmath.isinf(value) else self._round_exact_magnitude(-value)

    def overflow_code(self, saturate: bool = False) -> int:
        return self.top_code


@dataclass(frozen=True)
class UFixedFormat(_UnsignedCode):
    """``qI.F``: unsigned fixed point k·2^−F; RNE; values from (2^W − 1.5)·2^−F up, +Inf and NaN
    saturate to the top code (the largest value); a negative value gives 0."""

    def magnitude(self, codes):
        return codes * 2.0 ** -self.frac_bits

    def _decode_all(self):
        return self.magnitude(np.arange(self.top_code + 1)).astype(np.float64)

    def encode(self, values, *, saturate: bool = True) -> np.ndarray:
        x = np.asarray(values, dtype=np.float64)
        with np.errstate(invalid="ignore"):
            mag = np.where(np.isnan(x), np.inf, np.maximum(x, 0.0))
        return self._encode_magnitude(mag)

    def round_exact(self, value: mpmath.mpf) -> int:
        if value <= 0:
            return 0
        return self.top_code if mpmath.isinf(value) else self._round_exact_magnitude(value)

    def overflow_code(self, saturate: bool = True) -> int:
        return self.top_code


def distance_format(int_bits: int, frac_bits: int, exp_bits: int = 0) -> DistanceFormat:
    """``uI.F`` (fixed point, I + F bits) or, with ``exp_bits`` E, the tapered ``uI.F/eE`` whose
    range is 2^I (width = I + F + 1 − 2^E + E)."""
    width = int_bits + frac_bits if exp_bits == 0 else \
        int_bits + frac_bits + 1 - (1 << exp_bits) + exp_bits
    name = f"u{int_bits}.{frac_bits}" + (f"/e{exp_bits}" if exp_bits else "")
    return DistanceFormat(name=name, width=width, nan_code=(1 << width) - 1, ties="even",
                          frac_bits=frac_bits, exp_bits=exp_bits)


def ufixed_format(int_bits: int, frac_bits: int) -> UFixedFormat:
    return UFixedFormat(name=f"q{int_bits}.{frac_bits}", width=int_bits + frac_bits,
                        nan_code=(1 << (int_bits + frac_bits)) - 1, ties="even",
                        frac_bits=frac_bits)


FP16 = IEEEFormat(name="fp16", width=16, nan_code=0x7E00, ties="even", exp_bits=5, man_bits=10)
FP32 = IEEEFormat(name="fp32", width=32, nan_code=0x7FC00000, ties="even", exp_bits=8, man_bits=23)
HIF8 = HiF8Format(name="hif8", width=8, nan_code=0x80, ties="away")
E4M3 = E4M3Format(name="e4m3", width=8, nan_code=0x7F, ties="even")
E5M2 = IEEEFormat(name="e5m2", width=8, nan_code=0x7E, ties="even", exp_bits=5, man_bits=2)
# The distance codes: fixed point uI.F of 5 to 8 bits with 3 to 5 integer bits, and one tapered
# code of each width (the finest step near d = 0, coarser steps out to d < 16 or 32).
DISTANCE_CODES = tuple(distance_format(i, w - i) for w in range(5, 9) for i in range(3, 6)
                       if w - i >= 2) + tuple(distance_format(i, f, 2) for i, f in
                                              ((4, 2), (4, 3), (5, 3), (5, 4)))
P_FIXED_FORMATS = (ufixed_format(1, 15),)

FORMATS = {f.name: f for f in (HIF8, FP16, FP32, E4M3, E5M2, *DISTANCE_CODES, *P_FIXED_FORMATS)}


def get_format(name) -> NumberFormat:
    """The format called ``name`` (a format passes through); ``ValueError`` lists the allowed
    names."""
    if isinstance(name, NumberFormat):
        return name
    try:
        return FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown format {name!r}; allowed: {', '.join(FORMATS)}") from None


def fp32_to_bits(values) -> np.ndarray:
    """IEEE binary32 bit patterns of ``values`` (rounded RNE from float64 if needed)."""
    return FP32.encode(values)


def bits_to_fp32(bits) -> np.ndarray:
    """float64 values of binary32 bit patterns."""
    return FP32.decode(bits)


def round_fixed(fmt: NumberFormat, mag: int, frac_bits: int, *, sticky: bool = False,
                saturate: bool = False) -> int:
    """The positive code of (mag + ε)·2^−frac_bits rounded once to ``fmt`` with its tie rule,
    where ε ∈ (0, 1) if ``sticky`` else 0 (mag: a non-negative Python int of any size).

    The algorithm of the RTL rounder (``hdl.codec.round_fixed``), step by step: e = position of
    the leading one − frac_bits; its ``fmt.binade(e)`` gives the quantum 2^(e−w); below the
    smallest binade the quantum is the smallest value; round at the quantum (guard bit, sticky
    bits, ties away or to even); a carry moves to the next binade; k ≥ count or no binade means
    overflow (+Inf, or the largest value when saturating or when the format has no Inf).
    """
    if mag < 0:
        raise ValueError(f"round_fixed: mag={mag} is negative; allowed: integers >= 0")
    if mag == 0:
        return 0
    lo, hi = fmt.binade_range
    e = mag.bit_length() - 1 - frac_bits
    if e > hi:
        return fmt.overflow_code(saturate)
    b = fmt.binade(e) if e >= lo else None
    q = lo if b is None else e - b.w              # exponent of the quantum
    d = q + frac_bits                             # bit index of the quantum in mag
    if d <= 0:
        k, up = mag << -d, False
    else:
        k = mag >> d
        guard = (mag >> (d - 1)) & 1
        rest = bool(mag & ((1 << (d - 1)) - 1)) or sticky
        up = bool(guard) and (fmt.ties == "away" or rest or bool(k & 1))
    k += up
    if b is None:                                 # below the smallest value: 0 or the smallest
        return fmt.binade(lo).base_code if k else 0
    if k == 1 << (b.w + 1):                       # carry into the next binade
        nxt = fmt.binade(e + 1) if e < hi else None
        return nxt.base_code if nxt is not None else fmt.overflow_code(saturate)
    index = k - (1 << b.w)
    return b.base_code + index if index < b.count else fmt.overflow_code(saturate)


@dataclass(frozen=True)
class FormatParam(ChoiceParam):
    """A number-format parameter: the name of one of ``choices``, or the format itself. The edge
    (the command line, the registry) holds names; a component resolves a name once (``resolve``)
    and hands the format object down to its blocks."""

    def check(self, value):
        super().check(value.name if isinstance(value, NumberFormat) else value)
        return value

    def resolve(self, value) -> NumberFormat:
        """The format object of a checked name or format."""
        return get_format(self.check(value))
