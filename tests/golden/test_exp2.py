"""EXP2 references: the fast path equals pure mpmath; the FP16 datapath model is correctly rounded."""

import mpmath
import numpy as np
import pytest

from baps_rtl.golden import exp2_fp16_model
from baps_rtl.golden.exp2_fp16_model import ONE
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
    ladder = [mpmath.mpf(v) for v in fmt.ladder.values[:-1]]
    checked = 0
    for code, x in zip(ref, HIF8.all_values):
        got = fmt.decode([code])[0]
        if not np.isfinite(x) or not np.isfinite(got):
            continue
        y = mpmath.power(2, mpmath.mpf(x))
        err = abs(mpmath.mpf(got) - y)
        assert err <= min(abs(v - y) for v in ladder), (x, hex(code))
        checked += 1
    assert checked > 200       # the rest overflow to +Inf or are NaN/Inf inputs


def test_fp16_datapath_model_is_correctly_rounded_for_all_inputs():
    codes = np.arange(1 << 16)
    got = exp2_fp16_model.exp2_fp16(codes, "correct")
    ref = exp2_reference("fp16", "fp16")
    bad = np.flatnonzero(got != ref)
    assert len(bad) == 0, [(hex(c), hex(got[c]), hex(ref[c])) for c in bad[:5]]


def test_fp16_faithful_model_is_within_one_ulp_for_all_inputs():
    got = exp2_fp16_model.exp2_fp16(np.arange(1 << 16), "faithful")
    bad = exp2_faithful_violations("fp16", "fp16", got)
    assert len(bad) == 0, [(hex(c), hex(got[c])) for c in bad[:5]]
    # it is a different function: a faithful-only design, not the correct one renamed
    assert np.sum(got != exp2_reference("fp16", "fp16")) > 1000


def test_faithfulness_check_detects_a_result_two_ulps_off_and_a_wrong_special():
    ref = exp2_reference("fp16", "fp16").astype(np.int64)
    broken = ref.copy()
    two_off = int(FP16.encode(0.3))
    broken[two_off] += 2
    broken[0x7E00] = 0x7C00          # 2^NaN must stay NaN
    exact = int(FP16.encode(3.0))    # 2^3 = 8 is representable: only 8 is allowed
    broken[exact] += 1
    assert exp2_faithful_violations("fp16", "fp16", broken).tolist() == sorted([two_off, exact, 0x7E00])


@pytest.mark.parametrize("design", ["correct", "faithful"])
def test_fp16_datapath_comparison_detects_a_broken_coefficient(monkeypatch, design):
    d = exp2_fp16_model.DESIGNS[design]
    c = exp2_fp16_model.coefficients(d)
    broken = c[0].copy()
    broken[5] += 1 << (d.p - 9)          # 2^-9 off in one segment
    monkeypatch.setattr(exp2_fp16_model, "coefficients", lambda _: (broken, *c[1:]))
    got = exp2_fp16_model.datapath(np.arange(1 << 16), d)
    assert len(exp2_faithful_violations("fp16", "fp16", got)) > 0


@pytest.mark.parametrize("design", ["correct", "faithful"])
def test_the_arithmetic_alone_is_wrong_exactly_on_the_patched_inputs(design):
    """The patches are a short fixed list in the design; they must not hide anything else."""
    d = exp2_fp16_model.DESIGNS[design]
    raw = exp2_fp16_model.arithmetic(np.arange(1 << 16), d)
    if design == "correct":
        wrong = np.flatnonzero(raw != exp2_reference("fp16", "fp16"))
    else:
        wrong = exp2_faithful_violations("fp16", "fp16", raw)
    assert sorted(int(c) for c in wrong) == sorted(d.patches) and 0 < len(d.patches) <= 96
    values = exp2_fp16_model.patch_values(d)
    assert [exp2_exact(float(FP16.decode(np.uint16(c))), FP16) for c in d.patches] == list(values)


def test_the_faithful_truncation_needs_its_bias():
    """Truncating y is faithful only because every C0 is biased up; without the bias, y falls
    just below 2^f on many inputs and truncation lands two codes low."""
    import dataclasses
    d = dataclasses.replace(exp2_fp16_model.FAITHFUL, bias=0)
    raw = exp2_fp16_model.arithmetic(np.arange(1 << 16), d)
    assert exp2_fp16_model.FAITHFUL.truncate and len(exp2_faithful_violations("fp16", "fp16", raw)) > 100


def test_small_x_thresholds_step_one_code_at_a_time():
    d = exp2_fp16_model.CORRECT
    pos, neg = exp2_fp16_model.small_steps(d.small_exp)
    ref = exp2_reference("fp16", "fp16").astype(np.int64)
    # each threshold is the first magnitude code of a new result, up from 1.0 (x > 0) or down
    for k, t in enumerate(pos, start=1):
        assert ref[t] == ONE + k and ref[t - 1] == ONE + k - 1
    for k, t in enumerate(neg, start=1):
        assert ref[t | 0x8000] == ONE - k and ref[(t - 1) | 0x8000] == ONE - k + 1
    assert len(pos) + len(neg) == 66 and pos[-1] < int(FP16.encode(2.0 ** d.small_exp))


def test_a_missing_threshold_or_patch_is_caught(monkeypatch):
    d = exp2_fp16_model.CORRECT
    pos, neg = exp2_fp16_model.small_steps(d.small_exp)
    monkeypatch.setattr(exp2_fp16_model, "small_steps", lambda _: (pos[:-1], neg))
    got = exp2_fp16_model.datapath(np.arange(1 << 16), d)
    assert np.sum(got != exp2_reference("fp16", "fp16")) > 0
    monkeypatch.undo()
    fewer = exp2_fp16_model.Exp2FP16Design(**{**d.__dict__, "patches": d.patches[1:]})
    got = exp2_fp16_model.datapath(np.arange(1 << 16), fewer)
    assert np.flatnonzero(got != exp2_reference("fp16", "fp16")).tolist() == [d.patches[0]]


def test_faithful_fp16_outputs_are_pinned_by_digest():
    """The faithful design's 65,536 outputs, pinned: a table change that stays within 1 ulp
    passes the faithfulness check but changes this digest (re-pin only deliberately)."""
    import hashlib

    from baps_rtl.golden.exp2_fp16_model import exp2_fp16
    out = exp2_fp16(np.arange(1 << 16), "faithful").astype("<u2").tobytes()
    assert hashlib.sha256(out).hexdigest() == FAITHFUL_DIGEST


# re-pinned for the searched design (16 segments, 13-bit fraction biased and truncated, 2 patches)
FAITHFUL_DIGEST = "baee9d24bb4dbb5a9a44d4e09dd602d9709da01ae504022a490b09c3d4b915c7"
