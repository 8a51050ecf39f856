"""The codecs against independent implementations (en_dtypes, numpy) and against hif8.md."""

import mpmath
import numpy as np
import pytest
from en_dtypes import hifloat8

from baps_rtl.golden.formats import FP16, HIF8, bits_to_fp32, fp32_to_bits, get_format

ALL_HIF8 = np.arange(256)


def en_encode(values_f32):
    return np.asarray(values_f32, dtype=np.float32).astype(hifloat8).view(np.uint8)


def test_hif8_decode_all_codes_match_en_dtypes():
    theirs = ALL_HIF8.astype(np.uint8).view(hifloat8).astype(np.float64)
    np.testing.assert_array_equal(HIF8.decode(ALL_HIF8), theirs)


def test_hif8_named_codes_from_the_spec():
    named = {0x00: 0.0, 0x08: 1.0, 0x18: 0.5, 0x38: 0.125, 0x20: 4.0, 0x30: 0.25,
             0x6E: 32768.0, 0x7E: 2.0 ** -15, 0x01: 2.0 ** -22, 0x6F: np.inf, 0xEF: -np.inf}
    for code, value in named.items():
        assert HIF8.decode([code])[0] == value, hex(code)
    assert np.isnan(HIF8.decode([0x80])[0])
    v = HIF8.decode(ALL_HIF8)
    finite = np.isfinite(v) & (v != 0)
    assert (finite & (v > 0)).sum() == 126 and (finite & (v < 0)).sum() == 126
    # every code 0x80+k other than NaN and -Inf is the negative of code k
    for k in range(1, 128):
        if k != 0x6F:
            assert v[0x80 + k] == -v[k]


def _probes():
    """Float32 probes: every midpoint of adjacent HiF8 values and its float32 neighbours, every
    code value and its neighbours, the boundaries, specials, and log-uniform random values."""
    lad = HIF8.ladder.values
    mids = (lad[:-1] + lad[1:]) / 2
    base = np.concatenate([mids, lad, [2.0 ** -23, 40960.0, 2.0 ** 15, 2.0 ** -22, 1e-30, 1e30]])
    f32 = base.astype(np.float32)
    around = [f32]
    for direction in (np.inf, -np.inf):
        step = f32
        for _ in range(3):
            step = np.nextafter(step, np.float32(direction))
            around.append(step)
    rng = np.random.default_rng(2026)
    rand = np.exp2(rng.uniform(-26, 17, 120_000)).astype(np.float32)
    probes = np.concatenate(around + [rand])
    probes = np.concatenate([probes, -probes,
                             np.array([0.0, -0.0, np.inf, -np.inf, np.nan], dtype=np.float32)])
    return probes.astype(np.float32)


def test_hif8_encode_matches_en_dtypes_on_many_probes():
    probes = _probes()
    assert len(probes) >= 100_000
    ours = HIF8.encode(probes)
    theirs = en_encode(probes)
    bad = np.flatnonzero(ours != theirs)
    assert len(bad) == 0, [(float(probes[i]), hex(ours[i]), hex(theirs[i])) for i in bad[:5]]


def test_hif8_encode_rules_of_the_spec():
    tiny = 2.0 ** -23
    assert HIF8.encode([tiny, np.nextafter(tiny, 0), -tiny, -np.nextafter(tiny, 0)]).tolist() == \
        [0x01, 0x00, 0x81, 0x00]
    assert HIF8.encode([40960.0, np.nextafter(40960.0, 0), -40960.0]).tolist() == [0x6F, 0x6E, 0xEF]
    assert HIF8.encode([40960.0, -1e9, np.inf], saturate=True).tolist() == [0x6E, 0xEE, 0x6E]
    assert HIF8.encode([np.nan, 0.0, -0.0, -1e-30]).tolist() == [0x80, 0x00, 0x00, 0x00]
    # ties away from zero: 1 + 1/16 is halfway between 1.0 and 1.125
    assert HIF8.encode([1.0625, -1.0625]).tolist() == [0x09, 0x89]


def test_round_exact_agrees_with_encode_and_decides_near_midpoints():
    lad = HIF8.ladder.values
    for lo, hi, code_lo, code_hi in zip(lad[:-2], lad[1:-1], HIF8.ladder.codes[:-2],
                                         HIF8.ladder.codes[1:-1]):
        with mpmath.workprec(300):
            mid = (mpmath.mpf(lo) + mpmath.mpf(hi)) / 2
            below, above = mid * (1 - mpmath.mpf(2) ** -200), mid * (1 + mpmath.mpf(2) ** -200)
            assert HIF8.round_exact(below) == code_lo
            assert HIF8.round_exact(mid) == code_hi          # ties away
            assert HIF8.round_exact(-above) == HIF8.negate_code(np.array([code_hi]))[0]
    x = np.random.default_rng(1).normal(0, 40, 500)
    assert [HIF8.round_exact(mpmath.mpf(v)) for v in x] == HIF8.encode(x).tolist()
    assert [FP16.round_exact(mpmath.mpf(v)) for v in x] == FP16.encode(x).tolist()


def test_hr_is_ta_where_the_exponent_is_small_and_unbiased_elsewhere():
    rng = np.random.default_rng(3)
    small = rng.uniform(-15.9, 15.9, 2000)
    small = small[np.abs(small) >= 2.0 ** -3]
    assert np.array_equal(HIF8.encode_hr(small, 77), HIF8.encode(small))
    bits = 6
    all_r = np.arange(1 << bits)
    for x in (20.3, -1234.5, 3e-4, 0.05, 30000.0, -7e-6):
        codes = HIF8.encode_hr(np.full(len(all_r), x), all_r, random_bits=bits)
        values = HIF8.decode(codes)
        assert len(set(codes.tolist())) <= 2
        lo, hi = np.min(np.abs(values)), np.max(np.abs(values))
        d = np.floor((abs(x) - lo) / (hi - lo) * (1 << bits)) if hi > lo else 0
        # enumerating every random value gives the exact expectation: lo + (hi - lo)·d/2^bits
        assert np.mean(np.abs(values)) == pytest.approx(lo + (hi - lo) * d / (1 << bits), rel=1e-12)
    assert HIF8.encode_hr([20.3], 0).tolist() == HIF8.encode_hr([20.0], 0).tolist()   # truncates
    with pytest.raises(ValueError, match="random value 256"):
        HIF8.encode_hr([1.0], 256)
    with pytest.raises(ValueError, match="random_bits=0"):
        HIF8.encode_hr([1.0], 0, random_bits=0)


def test_fp16_codec_matches_numpy():
    codes = np.arange(1 << 16)
    theirs = codes.astype(np.uint16).view(np.float16).astype(np.float64)
    np.testing.assert_array_equal(FP16.decode(codes), theirs)
    lad = FP16.ladder.values
    mids = (lad[:-1] + lad[1:]) / 2
    rng = np.random.default_rng(5)
    x = np.concatenate([mids, np.nextafter(mids, 0), np.nextafter(mids, np.inf),
                        np.exp2(rng.uniform(-30, 17, 50_000)), [65520.0, 7e4, 0.0]])
    x = np.concatenate([x, -x])
    with np.errstate(over="ignore"):
        theirs = x.astype(np.float16).view(np.uint16)
    np.testing.assert_array_equal(FP16.encode(x), theirs)
    assert FP16.encode([np.nan, np.inf, 1e6]).tolist() == [0x7E00, 0x7C00, 0x7C00]
    assert FP16.encode([1e6, -1e6], saturate=True).tolist() == [0x7BFF, 0xFBFF]


def test_fp32_bit_helpers_round_trip():
    x = np.array([1.0, -2.5, 3.4028234663852886e38, 1e-45, 0.1])
    bits = fp32_to_bits(x)
    assert bits[0] == 0x3F800000 and bits[1] == 0xC0200000
    np.testing.assert_array_equal(bits_to_fp32(bits), x.astype(np.float32).astype(np.float64))
    assert fp32_to_bits([np.nan])[0] == 0x7FC00000


def test_bad_codes_and_names_are_named_in_errors():
    with pytest.raises(ValueError, match="hif8 code 256 is out of range 0..255"):
        HIF8.decode([1, 256])
    with pytest.raises(ValueError, match="must be integers"):
        FP16.decode([1.5])
    with pytest.raises(ValueError, match="unknown format 'bf16'; allowed: hif8, fp16, fp32"):
        get_format("bf16")


def _fp8_probes(fmt, seed, binades, specials):
    """float32 probes of an FP8 format's rounding, both signs: 50,000 random magnitudes over
    ``binades`` (log2 range), every rounding boundary and its two float32 neighbours, and
    ``specials``. Float32: ml_dtypes converts float64 through float32 (a double rounding)."""
    rng = np.random.default_rng(seed)
    m32 = fmt.midpoints.astype(np.float32)
    x = np.concatenate([np.exp2(rng.uniform(*binades, 50_000)).astype(np.float32), m32,
                        np.nextafter(m32, np.float32(0)), np.nextafter(m32, np.float32(np.inf)),
                        np.array(specials, dtype=np.float32)])
    return np.concatenate([x, -x])


@pytest.mark.parametrize("name,dtype", [("e4m3", "float8_e4m3fn"), ("e5m2", "float8_e5m2")])
def test_fp8_decode_matches_ml_dtypes(name, dtype):
    import ml_dtypes
    codes = np.arange(256, dtype=np.uint8)
    theirs = codes.view(getattr(ml_dtypes, dtype)).astype(np.float64)
    np.testing.assert_array_equal(get_format(name).decode(codes), theirs)


def test_e4m3_encode_matches_ml_dtypes():
    import ml_dtypes
    from baps_rtl.golden.formats import E4M3
    x = np.concatenate([_fp8_probes(E4M3, 8, (-12, 10), [464.0, 1e9, 0.0]),
                        np.array([np.nan], dtype=np.float32)])
    # FA3's cast saturates: clip before ml_dtypes' (non-saturating) conversion
    expected = np.clip(x, -448, 448).astype(ml_dtypes.float8_e4m3fn).view(np.uint8)
    np.testing.assert_array_equal(E4M3.encode(x), expected)
    assert E4M3.encode([1e9, -1e9, np.nan]).tolist() == [0x7E, 0xFE, 0x7F]


def test_e5m2_encode_matches_ml_dtypes():
    import ml_dtypes
    from baps_rtl.golden.formats import E5M2
    x = _fp8_probes(E5M2, 9, (-18, 17), [1e9, 0.0, np.inf])
    expected = x.astype(ml_dtypes.float8_e5m2).view(np.uint8)
    np.testing.assert_array_equal(E5M2.encode(x), expected)
    assert int(E5M2.encode(np.nan)) == 0x7E and np.isnan(E5M2.decode([0x7E])[0])


def _distance_value(fmt, code):
    """d of a distance code from its definition, as an exact fraction (None: far)."""
    from fractions import Fraction
    if code == (1 << fmt.width) - 1:
        return None
    man = fmt.width - fmt.exp_bits
    b, m = code >> man, code & ((1 << man) - 1)
    units = m if b == 0 else ((1 << man) + m) << (b - 1)
    return Fraction(units, 1 << fmt.frac_bits)


@pytest.mark.parametrize("name", [f.name for f in __import__(
    "baps_rtl.golden.formats", fromlist=["DISTANCE_CODES"]).DISTANCE_CODES])
def test_distance_codes_decode_and_round_to_the_nearest_value(name):
    """Every code against the definition; encoding against a brute-force nearest search over the
    exact values (ties to the even code, far from the midpoint to the top code's would-be
    value), on every midpoint, its neighbours and random distances; NaN, −Inf far; x > 0 → 0."""
    from fractions import Fraction
    fmt = get_format(name)
    top = (1 << fmt.width) - 1
    values = [_distance_value(fmt, c) for c in range(top)]
    assert all(a < b for a, b in zip(values, values[1:]))
    decoded = fmt.decode(np.arange(top + 1))
    assert decoded[top] == -np.inf
    assert [Fraction(-float(v)) for v in decoded[:top]] == values
    step_top = values[-1] - values[-2]
    beyond = values[-1] + step_top                      # the top code's would-be value

    def nearest(d):
        d = Fraction(d)
        cands = values + [beyond]
        best = min(range(len(cands)), key=lambda k: (abs(cands[k] - d), k % 2))
        return top if best == len(values) else best

    mids = [(a + b) / 2 for a, b in zip(values + [beyond], values[1:] + [beyond])][:-1]
    rng = np.random.default_rng(fmt.width)
    probes = [float(v) for v in mids] + [float(v) for v in values] + \
        list(rng.uniform(0, float(beyond) * 1.2, 2000))
    probes += [np.nextafter(p, np.inf) for p in probes[:len(mids)]] + \
        [np.nextafter(p, -np.inf) for p in probes[:len(mids)] if p > 0]
    got = fmt.encode(-np.array(probes))
    assert got.tolist() == [nearest(p) for p in probes]
    assert fmt.encode([np.nan, -np.inf, 3.5, 0.0]).tolist() == [top, top, 0, 0]
    with mpmath.workprec(200):
        assert [fmt.round_exact(mpmath.mpf(-p)) for p in probes[:200]] == got[:200].tolist()


def test_unsigned_fixed_p_format():
    q = get_format("q1.15")
    assert q.width == 16 and q.decode([0, 1, 32768, 65535]).tolist() == \
        [0.0, 2.0 ** -15, 1.0, 2.0 - 2.0 ** -15]
    # RNE at the step, saturating at the top code (NaN too), negatives to 0
    half = 2.0 ** -16
    assert q.encode([half, 3 * half, 1.0, 2.0, np.inf, np.nan, -0.25]).tolist() == \
        [0, 2, 32768, 65535, 65535, 65535, 0]
    assert q.binade_range == (-15, 0) and q.finest_boundary == -16


def test_distance_code_names_and_widths():
    from baps_rtl.golden.formats import DISTANCE_CODES
    widths = {f.name: f.width for f in DISTANCE_CODES}
    assert widths["u4.4"] == 8 and widths["u3.3"] == 6 and widths["u5.4/e2"] == 8
    assert widths["u4.3/e2"] == 6 and sorted(set(widths.values())) == [5, 6, 7, 8]
    assert get_format("u5.4/e2").decode([64, 128, 192, 254]).tolist() == [-4.0, -8.0, -16.0, -31.5]
