"""The FP16 EXP2 datapath models: correctly rounded / faithful on all 65,536 inputs, and every part
of the design (tables, patches, thresholds, the carry-in row) shown to matter by breaking it."""

import dataclasses
import hashlib

import numpy as np
import pytest

from baps_rtl.golden import exp2_fp16_model as model
from baps_rtl.golden.exp2 import exp2_exact, exp2_faithful_violations, exp2_reference
from baps_rtl.golden.formats import FP16

ALL = np.arange(1 << 16)


def wrong_inputs(design, out):
    """Inputs whose output misses the design's accuracy."""
    if design.rounding == "even":
        return np.flatnonzero(out != exp2_reference("fp16", "fp16"))
    return exp2_faithful_violations("fp16", "fp16", out)


def test_correct_model_is_correctly_rounded_for_all_inputs():
    got = model.exp2_fp16(ALL, "correct")
    ref = exp2_reference("fp16", "fp16")
    bad = np.flatnonzero(got != ref)
    assert len(bad) == 0, [(hex(c), hex(got[c]), hex(ref[c])) for c in bad[:5]]


def test_faithful_model_is_within_one_ulp_for_all_inputs():
    got = model.exp2_fp16(ALL, "faithful")
    bad = exp2_faithful_violations("fp16", "fp16", got)
    assert len(bad) == 0, [(hex(c), hex(got[c])) for c in bad[:5]]
    # it is a different function: a faithful-only design, not the correct one renamed
    assert np.sum(got != exp2_reference("fp16", "fp16")) > 1000


@pytest.mark.parametrize("name", ["correct", "faithful"])
def test_a_broken_table_entry_is_caught(name):
    d = model.DESIGNS[name]
    c0 = list(d.c0)
    c0[5] += 1 << (d.p - 9)                     # 2^-9 off in one segment
    broken = dataclasses.replace(d, c0=tuple(c0))
    assert len(wrong_inputs(d, model.datapath(ALL, broken))) > 0
    c1 = list(d.c1)
    c1[-1] -= 2                                 # a slope two steps low in the last group
    broken = dataclasses.replace(d, c1=tuple(c1))
    assert len(wrong_inputs(d, model.datapath(ALL, broken))) > 0


@pytest.mark.parametrize("name", ["correct", "faithful"])
def test_the_arithmetic_alone_is_wrong_exactly_on_the_patched_inputs(name):
    """The patches are a short fixed list in the design; they must not hide anything else."""
    d = model.DESIGNS[name]
    wrong = wrong_inputs(d, model.arithmetic(ALL, d))
    assert sorted(int(c) for c in wrong) == list(d.patches)
    assert len(d.patches) <= (40 if name == "correct" else 0)
    values = model.patch_values(d)
    assert [exp2_exact(float(FP16.decode(np.uint16(c))), FP16) for c in d.patches] == list(values)


def test_the_carry_in_row_makes_negative_inputs_exact():
    """Without it, ~M is 2^-f below -|x|: the correct design's tables then miss many inputs."""
    d = dataclasses.replace(model.CORRECT, carry_in=False)
    extra = set(wrong_inputs(d, model.arithmetic(ALL, d)).tolist()) - set(d.patches)
    assert len(extra) > 100 and all(c >= 0x8000 for c in extra)        # negative x only


def test_dropping_more_partial_product_columns_breaks_the_faithful_design():
    d = dataclasses.replace(model.FAITHFUL, dropped_columns=model.FAITHFUL.dropped_columns + 2)
    assert len(wrong_inputs(d, model.arithmetic(ALL, d))) > 100


@pytest.mark.parametrize("small_exp,count", [(-6, 33), (-7, 17)])
def test_small_x_thresholds_step_one_code_at_a_time(small_exp, count):
    """|x| < 2^small_exp: 2^x moves at most 2^small_exp·ln 2 from 1.0, i.e. up to that over
    2^-10 codes up and over 2^-11 codes down (11 + 22 at -6, 5.5 + 11 at -7)."""
    pos, neg = model.small_steps(small_exp)
    ref = exp2_reference("fp16", "fp16").astype(np.int64)
    # each threshold is the first magnitude code of a new result, up from 1.0 (x > 0) or down
    for k, t in enumerate(pos, start=1):
        assert ref[t] == model.ONE + k and ref[t - 1] == model.ONE + k - 1
    for k, t in enumerate(neg, start=1):
        assert ref[t | 0x8000] == model.ONE - k and ref[(t - 1) | 0x8000] == model.ONE - k + 1
    assert len(pos) + len(neg) == count and pos[-1] < int(FP16.encode(2.0 ** small_exp))


def test_a_missing_threshold_or_patch_is_caught(monkeypatch):
    d = model.CORRECT
    pos, neg = model.small_steps(d.small_exp)
    monkeypatch.setattr(model, "small_steps", lambda _: (pos[:-1], neg))
    got = model.datapath(ALL, d)
    assert np.sum(got != exp2_reference("fp16", "fp16")) > 0
    monkeypatch.undo()
    fewer = dataclasses.replace(d, patches=d.patches[1:])
    got = model.datapath(ALL, fewer)
    assert np.flatnonzero(got != exp2_reference("fp16", "fp16")).tolist() == [d.patches[0]]


def test_small_x_gives_one_in_the_faithful_design():
    """|x| < 2^-11: 1.0 is one of the two bracketing values (and 2^0 = 1 exactly)."""
    d = model.FAITHFUL
    small = [c for c in range(1 << 16) if abs(FP16.decode(np.uint16(c))) < 2.0 ** d.small_exp]
    assert d.small_one and set(model.exp2_fp16(np.array(small), d).tolist()) == {model.ONE}


@pytest.mark.parametrize("change,message", [
    ({"rounding": "up"}, "rounding='up'"),
    ({"r_bits": 9}, "r_bits=9"),
    ({"c1_index_bits": 7}, "c1_index_bits=7"),
    ({"p": 10}, "p=10"),
    ({"p": 31, "c1_bits": 23}, "p=31"),     # the rounding position would not fit the RTL's 5 bits
    ({"small_exp": -20}, "small_exp=-20"),
    ({"c1": (3,)}, "coefficient tables"),
])
def test_bad_design_fields_are_named(change, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(model.FAITHFUL, **change)


def test_an_unfitted_design_is_refused():
    bare = dataclasses.replace(model.FAITHFUL, c0=(), c1=(), patches=())
    with pytest.raises(ValueError, match="no coefficient tables"):
        model.arithmetic(ALL, bare)


def test_faithful_fp16_outputs_are_pinned_by_digest():
    """The faithful design's 65,536 outputs, pinned: a table change that stays within 1 ulp
    passes the faithfulness check but changes this digest (re-pin only deliberately)."""
    out = model.exp2_fp16(ALL, "faithful").astype("<u2").tobytes()
    assert hashlib.sha256(out).hexdigest() == FAITHFUL_DIGEST


# re-pinned for the fitted design (64 segments, C1 per 4 segments, truncated, no patches)
FAITHFUL_DIGEST = "324c40573e5f01f993fa1ff7f4fac1f207bd2f1a2689423fc3e98609a9d285d5"


@pytest.mark.parametrize("accuracy", ["correct", "faithful"])
def test_any_array_shape_gives_the_same_codes(accuracy):
    """A datapath applies the unit to (rows, keys) arrays: same codes as the flat vector."""
    grid = np.random.default_rng(2).integers(0, 1 << 16, (16, 64))
    flat = model.exp2_fp16(grid.ravel(), accuracy)
    assert np.array_equal(model.exp2_fp16(grid, accuracy).ravel(), flat)
