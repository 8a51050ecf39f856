"""EXP2 references: the fast path equals pure mpmath; the faithfulness check catches bad results."""

import mpmath
import numpy as np
import pytest

from baps_rtl.golden.exp2 import exp2_exact, exp2_faithful_violations, exp2_reference
from baps_rtl.golden.formats import FP16, HIF8, get_format


def _pure_mpmath(in_fmt, out_fmt, codes):
    out = []
    for x in in_fmt.decode(codes):
        if np.isnan(x):
            out.append(out_fmt.nan_code)
        elif np.isinf(x):
            out.append(int(out_fmt.ladder.codes[-1]) if x > 0 else 0)
        else:
            out.append(exp2_exact(float(x), out_fmt))
    return np.array(out)


@pytest.mark.parametrize("in_name,out_name,stride", [("hif8", "fp16", 1), ("hif8", "hif8", 1),
                                                     ("fp16", "fp16", 7)])
def test_fast_reference_equals_pure_mpmath(in_name, out_name, stride):
    in_fmt, out_fmt = get_format(in_name), get_format(out_name)
    codes = np.arange(0, 1 << in_fmt.width, stride)
    ref = exp2_reference(in_name, out_name)
    np.testing.assert_array_equal(ref[codes], _pure_mpmath(in_fmt, out_fmt, codes))


def test_special_cases():
    h16, hh, ff = (exp2_reference("hif8", "fp16"), exp2_reference("hif8", "hif8"),
                   exp2_reference("fp16", "fp16"))
    assert (h16[0x80], h16[0x6F], h16[0xEF], h16[0x00]) == (0x7E00, 0x7C00, 0x0000, 0x3C00)
    assert (hh[0x80], hh[0x6F], hh[0xEF], hh[0x00]) == (0x80, 0x6F, 0x00, 0x08)
    assert (ff[0x7E00], ff[0x7C01], ff[0x7C00], ff[0xFC00]) == (0x7E00, 0x7E00, 0x7C00, 0x0000)
    # 2^-25 is exactly half the smallest subnormal: RNE gives +0; just above it gives 2^-24
    minus25 = int(FP16.encode(-25.0))
    assert ff[minus25] == 0 and ff[minus25 - 1] == 0x0001
    # x = 16 overflows FP16; the largest x below 16 does not
    assert ff[int(FP16.encode(16.0))] == 0x7C00 and ff[int(FP16.encode(16.0)) - 1] != 0x7C00


@pytest.mark.parametrize("out_name", ["fp16", "hif8"])
def test_hif8_reference_is_the_nearest_output_value(out_name):
    """Measured against mpmath: no representable value lies closer to 2^x than the result."""
    fmt = get_format(out_name)
    ref = exp2_reference("hif8", out_name)
    import bisect
    ladder = sorted(mpmath.mpf(v) for v in fmt.ladder.values[:-1])
    checked = 0
    for code, x in zip(ref, HIF8.all_values):
        got = fmt.decode([code])[0]
        if not np.isfinite(x) or not np.isfinite(got):
            continue
        y = mpmath.power(2, mpmath.mpf(x))
        err = abs(mpmath.mpf(got) - y)
        k = bisect.bisect_left(ladder, y)              # the values on either side of 2^x
        assert err <= min(abs(v - y) for v in ladder[max(k - 1, 0):k + 1]), (x, hex(code))
        checked += 1
    assert checked > 200       # the rest overflow to +Inf or are NaN/Inf inputs


def test_faithfulness_check_detects_a_result_two_ulps_off_and_a_wrong_special():
    ref = exp2_reference("fp16", "fp16").astype(np.int64)
    broken = ref.copy()
    two_off = int(FP16.encode(0.3))
    broken[two_off] += 2
    broken[0x7E00] = 0x7C00          # 2^NaN must stay NaN
    exact = int(FP16.encode(3.0))    # 2^3 = 8 is representable: only 8 is allowed
    broken[exact] += 1
    assert exp2_faithful_violations("fp16", "fp16", broken).tolist() == sorted([two_off, exact, 0x7E00])
