"""The int8 fixed-point score code of Softermax and HCCS: RNE, saturation, the mask code."""

import numpy as np
import pytest

from baps_rtl.golden.fixed_scores import MASK_CODE, FixedScoreFormat


@pytest.mark.parametrize("frac_bits", range(8))
def test_every_code_round_trips_and_midpoints_round_to_even(frac_bits):
    fmt = FixedScoreFormat(frac_bits)
    codes = np.arange(-127, 128)
    np.testing.assert_array_equal(fmt.encode(fmt.decode(codes)), codes)
    mid = (codes[:-1] + 0.5) * 2.0 ** -frac_bits                 # exactly halfway
    want = np.where(codes[:-1] % 2 == 0, codes[:-1], codes[:-1] + 1)
    np.testing.assert_array_equal(fmt.encode(mid), want)
    step = 2.0 ** -frac_bits
    np.testing.assert_array_equal(fmt.encode(mid + step / 64), codes[1:])
    np.testing.assert_array_equal(fmt.encode(mid - step / 64), codes[:-1])


def test_saturation_and_the_mask_code():
    fmt = FixedScoreFormat(2)
    got = fmt.encode([1e9, np.inf, -1e9, -31.875, -np.inf, np.nan, 31.76])
    np.testing.assert_array_equal(got, [127, 127, -127, -127, MASK_CODE, MASK_CODE, 127])
    assert fmt.decode([MASK_CODE])[0] == -np.inf and fmt.name == "q6.2"


def test_bad_fraction_bits_are_named():
    with pytest.raises(ValueError, match=r"frac_bits=8 is not allowed; allowed: integers 0..7"):
        FixedScoreFormat(8)
