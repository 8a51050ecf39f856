"""The exact per-segment fit: its intervals are exactly the y values that give the required
result, it reproduces the registered tables, and a weak design gets exactly its wrong inputs as
patches."""

import dataclasses

import numpy as np
import pytest

from baps_rtl.golden import exp2_fp16_model as model
from baps_rtl.golden.exp2 import exp2_bracket, exp2_faithful_violations, exp2_reference
from baps_rtl.golden.exp2_fp16_fit import fit, required_intervals


@pytest.mark.parametrize("name", ["correct", "faithful"])
def test_the_interval_ends_are_the_last_y_values_that_give_the_required_result(name):
    d = model.DESIGNS[name]
    inside, _, _, lo, hi = required_intervals(d)
    _, n, _, _ = model.fields(np.arange(1 << 16), d)
    codes = np.flatnonzero(inside)[::37]              # a spread of inputs through every binade
    n, lo, hi = n[codes], lo[codes], hi[codes]
    if d.rounding == "even":
        ref = exp2_reference("fp16", "fp16").astype(np.int64)
        ok = lambda c, out: out == ref[c]                                               # noqa: E731
    else:
        low, high = exp2_bracket("fp16", "fp16")
        ok = lambda c, out: (out == low[c]) | (out == high[c])                           # noqa: E731
    assert ok(codes, model.round_result(d, n, lo)).all()
    assert ok(codes, model.round_result(d, n, hi)).all()
    assert not ok(codes, model.round_result(d, n, lo - 1)).any()
    assert not ok(codes, model.round_result(d, n, hi + 1)).any()


@pytest.mark.parametrize("name", ["correct", "faithful"])
def test_the_fit_reproduces_the_registered_tables(name):
    d = model.DESIGNS[name]
    again = fit(dataclasses.replace(d, c0=(), c1=(), patches=()))
    assert again == d


def test_a_weak_design_gets_its_wrong_inputs_as_patches():
    weak = dataclasses.replace(model.FAITHFUL, p=11, c1_bits=4, c0=(), c1=(), patches=())
    d = fit(weak)
    wrong = model.exp2_fp16(np.arange(1 << 16), dataclasses.replace(d, patches=()))
    missed = exp2_faithful_violations("fp16", "fp16", wrong)
    assert len(d.patches) > 20 and sorted(int(c) for c in missed) == list(d.patches)
