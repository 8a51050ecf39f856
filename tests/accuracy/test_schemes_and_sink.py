"""The numeric schemes (golden.schemes) and the sink sweep (numpy only)."""

import numpy as np
import pytest

from baps_rtl.accuracy.sink import METHODS, SinkConfig, sink_sweep
from baps_rtl.golden.schemes import SCHEMES, softmax_probs
from baps_rtl.golden.baps import BapsConfig, baps_softmax, reference_softmax


def scores(rows=8, n=200, scale=2.0, seed=1):
    return np.random.default_rng(seed).normal(0, scale, (rows, n)).astype(np.float32)


def test_fp64_variant_is_the_reference_and_pads_with_masked_keys():
    t = scores()
    np.testing.assert_allclose(softmax_probs(t, "fp64", bc=64), reference_softmax(t), rtol=1e-12)


def test_baps_variant_is_the_bit_exact_pipeline_divided_by_its_fp32_sum():
    t = scores(n=256)
    r = baps_softmax(t, BapsConfig(bc=64))
    np.testing.assert_array_equal(softmax_probs(t, "baps_hif8_hif8", bc=64), r.weights() / r.l[:, None])


def test_fp16_variant_is_the_bit_exact_baseline_divided_by_its_fp32_sum():
    from baps_rtl.golden.fp16_datapath import Fp16DatapathConfig, fp16_softmax
    t = scores(n=256)
    r = fp16_softmax(t, Fp16DatapathConfig(bc=64))
    np.testing.assert_array_equal(softmax_probs(t, "fp16_online", bc=64), r.weights() / r.l[:, None])


NORMALIZED_IN_HARDWARE = ("softermax", "softermax_published", "hccs")   # 8-bit outputs


@pytest.mark.parametrize("variant", [v for v in SCHEMES if v not in NORMALIZED_IN_HARDWARE])
def test_every_variant_is_a_distribution_close_to_the_reference(variant):
    t = scores()
    q = softmax_probs(t, variant, bc=32)
    assert q.shape == t.shape and np.all(q >= 0)
    np.testing.assert_allclose(q.sum(axis=1), 1.0, atol=0.02)
    assert np.abs(q - reference_softmax(t)).max() < 0.05


def test_casting_raw_scores_loses_more_than_casting_the_difference_on_wide_scores():
    # hif8.md: subtracting the max before the cast keeps resolution where 2^x is large. Measured
    # here: it holds for wide score ranges (σ = 6 in base 2); for narrow ones (σ ≤ 2) the raw
    # cast is as good or better, since raw scores near 0 get HiF8's finest steps.
    t = scores(rows=64, n=512, scale=6.0)
    ref = reference_softmax(t)
    err = {v: np.abs(softmax_probs(t, v, bc=64) - ref).mean()
           for v in ("baps_hif8_hif8", "raw_hif8")}
    assert err["raw_hif8"] > 5 * err["baps_hif8_hif8"]


def test_unknown_variant_is_named():
    with pytest.raises(ValueError, match=r"softmax scheme 'fp8' is not allowed; allowed: fp64, baps"):
        softmax_probs(scores(), "fp8")


def test_e4m3_variant_is_the_bit_exact_datapath_with_the_fp32_row_sum():
    """One block, S = 1: q = E4M3(P̃) / l with l from the FP32 P̃ (FlashAttention-3), not from
    the E4M3 values; the quantized-sum ablation divides by the sum of the E4M3 values."""
    from baps_rtl.golden.e4m3_pcast import E4m3PcastConfig, e4m3_pcast
    from baps_rtl.golden.formats import E4M3, FP32
    t = np.array([[0.0, -0.3, -1.7, -6.2, -11.0, -13.5, -2.2, -0.9]], dtype=np.float32)
    r = e4m3_pcast(t, E4m3PcastConfig(bc=8, scale_log2=0))
    p32, p8 = FP32.decode(r.p32), E4M3.decode(r.p)
    got = softmax_probs(t, "e4m3_s1", bc=8)
    np.testing.assert_array_equal(got, p8 / r.l[:, None])
    assert abs(r.l[0] - p32.sum()) < 1e-6 and abs(r.l[0] - p8.sum()) > 1e-3
    got_q = softmax_probs(t, "e4m3_qsum_s1", bc=8)
    np.testing.assert_allclose(got_q, p8 / p8.sum(), rtol=1e-12)
    assert not np.allclose(got, got_q, rtol=1e-6)          # the two arrangements differ


def test_sink_sweep_is_seeded_and_shows_p_collapse():
    cfg = SinkConfig(deltas=(4, 8), lengths=(512, 4096), rows=8, dv=16)
    a, b = sink_sweep(cfg), sink_sweep(cfg)
    assert a == b
    assert len(a) == 2 * 2 * 2 * len(METHODS)
    mse = {(r["delta"], r["length"], r["order"], r["method"]): r["mse"] for r in a}
    # FlashAttention-3's arrangement (row sum from the FP32 P): a forward-order sink costs
    # unscaled E4M3 about 2x (S = 256 avoids it); summing the quantized P instead collapses
    # (comparisons.md: about 6.9e-5 versus 1.7e-2 at delta 8, n = 4096, forward)
    fwd, rev = (8, 4096, "forward"), (8, 4096, "reverse")
    assert 1.5 * mse[rev + ("e4m3_s1",)] < mse[fwd + ("e4m3_s1",)] < 5 * mse[rev + ("e4m3_s1",)]
    assert mse[fwd + ("e4m3_s256",)] < 1.2 * mse[rev + ("e4m3_s256",)]
    assert mse[fwd + ("e4m3_s1",)] > 1.5 * mse[fwd + ("e4m3_s256",)]
    assert mse[fwd + ("e4m3_qsum_s1",)] > 100 * mse[fwd + ("e4m3_s1",)]
    assert mse[fwd + ("e4m3_qsum_s1",)] > 100 * mse[rev + ("e4m3_qsum_s1",)]
    assert mse[(8, 4096, "forward", "baps_hif8_hif8")] < 2 * mse[(8, 4096, "reverse", "baps_hif8_hif8")]


def test_softermax_variants_are_the_bit_exact_datapath_on_base2_and_on_natural_scores():
    from baps_rtl.golden.softermax import SoftermaxConfig, softermax
    t = scores(n=128)
    cfg = SoftermaxConfig(bc=32, lanes=8)
    np.testing.assert_array_equal(softmax_probs(t, "softermax", bc=32), softermax(t, cfg).p / 128)
    published = softmax_probs(t, "softermax_published", bc=32)
    np.testing.assert_array_equal(published, softermax(t * np.log(2.0), cfg).p / 128)
    assert not np.array_equal(published, softmax_probs(t, "softermax", bc=32))


def test_hccs_variant_is_the_bit_exact_datapath_with_the_rows_heads():
    from baps_rtl.golden.hccs import HccsConfig, HccsHead, hccs
    t = scores(rows=3, n=64)
    heads = [HccsHead(320, 8, 40), HccsHead(508, 127, 4), HccsHead(3429, 127, 24)]
    np.testing.assert_array_equal(softmax_probs(t, "hccs", bc=16, heads=heads),
                                  hccs(t, HccsConfig(frac_bits=3), heads).p / 255)
    with pytest.raises(ValueError, match="needs its calibrated heads"):
        softmax_probs(t, "hccs")


def test_hccs_calibration_finds_a_better_head_than_a_fixed_one():
    from baps_rtl.accuracy.hccs_calibration import calibrate_head, candidates, mean_kl
    from baps_rtl.golden.hccs import HccsHead
    t = scores(rows=64, n=128, scale=1.5)
    head, kl = calibrate_head(t)
    assert head in candidates() and kl == mean_kl(t, head)
    assert kl < 0.5 * mean_kl(t, HccsHead(320, 8, 40))
    assert all(mean_kl(t, h) >= kl for h in candidates()[::17])


def test_every_scheme_states_its_link_bits_and_kind():
    from baps_rtl.golden.formats import get_format
    from baps_rtl.golden.schemes import BAPS_CODES, baps_scheme_name
    assert {s.kind for s in SCHEMES.values()} == {"reference", "datapath", "ablation"}
    assert [n for n, s in SCHEMES.items() if s.kind == "reference"] == ["fp64"]
    for code, p in BAPS_CODES:
        assert SCHEMES[baps_scheme_name(code, p)].link_bits == get_format(code).width
    assert len({baps_scheme_name(*c) for c in BAPS_CODES}) == len(BAPS_CODES) == 32
    assert SCHEMES["baps_hif8_hif8"].link_bits == 8 and SCHEMES["e4m3_s256"].link_bits == 32
    assert SCHEMES["fp16_online"].link_bits == 16 and SCHEMES["hccs"].needs_heads
    assert set(METHODS) == set(SCHEMES) - {"fp64"}
