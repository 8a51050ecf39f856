"""The EXP2 groups of every score code × P format: every code whose 2^x is not 1.0 is in exactly
one group, with its correctly rounded result; the kinds say what the structured unit builds, and
shared tables reproduce their groups' results."""

import itertools

import numpy as np
import pytest

from baps_rtl.golden.baps import P_FORMAT, SCORE_FORMAT
from baps_rtl.golden.exp2 import exp2_reference
from baps_rtl.golden.exp2_tables import Exp2Group, exp2_groups, shared_tables
from baps_rtl.golden.formats import get_format

COMBOS = list(itertools.product(SCORE_FORMAT.choices, P_FORMAT.choices))


def matches(pattern: str, code: int) -> bool:
    bits = format(code, f"0{len(pattern)}b")
    return all(p in ("-", b) for p, b in zip(pattern, bits))


@pytest.mark.parametrize("in_format,out_format", COMBOS)
def test_groups_cover_every_result_that_is_not_one(in_format, out_format):
    ref = exp2_reference(in_format, out_format)
    n = 1 << get_format(in_format).width
    one = int(get_format(out_format).encode(1.0))
    seen = {}
    groups = exp2_groups(in_format, out_format)
    shared = shared_tables(groups)
    for i, g in enumerate(groups):
        for pattern in g.patterns:
            assert len(pattern) == get_format(in_format).width
            for code in range(n):
                if matches(pattern, code):
                    assert code not in seen, f"{code:#04x} in two groups"
                    m = code & ((1 << g.mant_bits) - 1)
                    seen[code] = g.results[m] if g.mant_bits else g.results[0]
                    if g.kind == "table":          # what the unit builds: base table + offset
                        base, offset = shared.get(i, (i, 0))
                        assert groups[base].results[m] + offset == seen[code]
    for code in range(n):
        assert seen.get(code, one) == int(ref[code]), hex(code)
    assert sum(1 for c in range(n) if int(ref[c]) != one) <= len(seen) <= n


def test_a_distance_code_with_fp16_p_is_one_table_and_a_shift():
    """u4.4 → FP16: d = i + f/16 gives 2^−f/16 scaled by 2^−i, so the integer parts 0 … 13 (FP16
    normal) share one table, the exponent field lowered by i; the subnormal
    results of i = 14, 15 are their own tables."""
    groups = exp2_groups("u4.4", "fp16")
    shared = shared_tables(groups)
    by_head = {g.patterns[0][:4]: i for i, g in enumerate(groups)}
    base, offset0 = shared[by_head["0000"]]
    for i in range(14):
        assert shared[by_head[format(i, "04b")]] == (base, offset0 - (i << 10))
    own = [i for i, g in enumerate(groups) if g.kind == "table" and i not in shared]
    assert len({b for b, _ in shared.values()}) + len(own) == 3        # tables built


@pytest.mark.parametrize("out_format", ["fp16", "hif8"])
def test_integer_inputs_are_stepped_groups(out_format):
    """x = 8 … 15 (sign 0, row D2 "01", exponent bits "01": E = 3): 2^x are successive powers of
    two, so the group is wiring (the first result plus M shifted), not a table."""
    groups = {p: g for g in exp2_groups("hif8", out_format) for p in g.patterns}
    g = groups["00101---"]
    assert g.kind == "stepped" and g.results[0] == int(get_format(out_format).encode(256.0))


def test_kinds():
    assert Exp2Group(("0-------",), 0, (5,)).kind == "constant"
    assert Exp2Group(("0-------",), 2, (4, 6, 8, 10)).kind == "stepped"
    assert Exp2Group(("0-------",), 2, (4, 6, 8, 10)).step_shift == 1
    assert Exp2Group(("0-------",), 2, (4, 6, 8, 11)).kind == "table"
    assert Exp2Group(("0-------",), 2, (4, 7, 10, 13)).kind == "table"     # step 3: not a shift
    assert np.array_equal(exp2_reference("hif8", "hif8")[:1], [8])          # 2^0 = 1.0 = 0x08
