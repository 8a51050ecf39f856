"""The HiF8 EXP2 groups: every code whose 2^x is not 1.0 is in exactly one group, with its
correctly rounded result; the kinds say what the structured unit builds."""

import numpy as np
import pytest

from baps_rtl.golden.exp2 import exp2_reference
from baps_rtl.golden.exp2_tables import Exp2Group, exp2_groups
from baps_rtl.golden.formats import get_format


def matches(pattern: str, code: int) -> bool:
    bits = format(code, "08b")
    return all(p in ("-", b) for p, b in zip(pattern, bits))


@pytest.mark.parametrize("out_format", ["fp16", "hif8"])
def test_groups_cover_every_result_that_is_not_one(out_format):
    ref = exp2_reference("hif8", out_format)
    one = int(get_format(out_format).encode(1.0))
    seen = {}
    for g in exp2_groups(out_format):
        for pattern in g.patterns:
            for code in range(256):
                if matches(pattern, code):
                    assert code not in seen, f"{code:#04x} in two groups"
                    m = code & ((1 << g.mant_bits) - 1)
                    seen[code] = g.results[m] if g.mant_bits else g.results[0]
    for code in range(256):
        assert seen.get(code, one) == int(ref[code]), hex(code)
    assert sum(1 for c in range(256) if int(ref[c]) != one) <= len(seen) < 256


@pytest.mark.parametrize("out_format", ["fp16", "hif8"])
def test_integer_inputs_are_stepped_groups(out_format):
    """x = 8 … 15 (sign 0, row D2 "01", exponent bits "01": E = 3): 2^x are successive powers of
    two, so the group is wiring (the first result plus M shifted), not a table."""
    groups = {p: g for g in exp2_groups(out_format) for p in g.patterns}
    g = groups["00101---"]
    assert g.kind == "stepped" and g.results[0] == int(get_format(out_format).encode(256.0))


def test_kinds():
    assert Exp2Group(("0-------",), 0, (5,)).kind == "constant"
    assert Exp2Group(("0-------",), 2, (4, 6, 8, 10)).kind == "stepped"
    assert Exp2Group(("0-------",), 2, (4, 6, 8, 10)).step_shift == 1
    assert Exp2Group(("0-------",), 2, (4, 6, 8, 11)).kind == "table"
    assert Exp2Group(("0-------",), 2, (4, 7, 10, 13)).kind == "table"     # step 3: not a shift
    assert np.array_equal(exp2_reference("hif8", "hif8")[:1], [8])          # 2^0 = 1.0 = 0x08
