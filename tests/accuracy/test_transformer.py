"""BAPS inside all-MiniLM-L6-v2 (needs the `accuracy` extra; CI requires it)."""

import numpy as np
import pytest

from ..conftest import require

require("accuracy", module=True)

from baps_rtl.accuracy import transformer  # noqa: E402
from baps_rtl.accuracy.corpus import select_sentences  # noqa: E402

SENTENCES = select_sentences(40)


@pytest.fixture(scope="module")
def model_and_reference():
    model = transformer.load_model()
    return model, transformer.encode(model, SENTENCES, None)


def test_emulation_with_casts_disabled_reproduces_the_fp32_model(model_and_reference):
    model, ref = model_and_reference
    stats = transformer.LayerStats()
    emb = transformer.encode(model, SENTENCES, "fp64",
                             stats=stats, batch_size=16)       # padded batches: masks matter
    assert transformer.embedding_cosines(ref, emb).min() > 0.99999
    assert transformer.neighbour_agreement(ref, emb) == 1.0
    assert len(stats.summary()) == 6 and all(x["kl_mean"] == 0 for x in stats.summary())


def test_baps_is_close_and_the_metrics_detect_a_broken_softmax(model_and_reference, monkeypatch):
    model, ref = model_and_reference
    stats = transformer.LayerStats()
    emb = transformer.encode(model, SENTENCES, "baps_hif8_hif8", stats=stats)
    cos = transformer.embedding_cosines(ref, emb)
    assert cos.min() > 0.999 and 0 < max(x["kl_mean"] for x in stats.summary()) < 0.01
    # a broken softmax: uniform attention over the valid keys
    real = transformer.softmax_probs

    def uniform(t, variant, **kw):
        q = real(t, variant, **kw)
        return np.where(q > 0, 1.0, 0.0) / np.maximum((q > 0).sum(axis=1, keepdims=True), 1) \
            if variant != "fp64" else q
    monkeypatch.setattr(transformer, "softmax_probs", uniform)
    broken_stats = transformer.LayerStats()
    broken = transformer.encode(model, SENTENCES, "baps_hif8_hif8",
                                stats=broken_stats)
    assert transformer.embedding_cosines(ref, broken).mean() < cos.mean() - 0.01
    assert transformer.neighbour_agreement(ref, broken) < transformer.neighbour_agreement(ref, emb)
    assert min(x["kl_mean"] for x in broken_stats.summary()) > 10 * max(
        x["kl_mean"] for x in stats.summary())


def test_neighbour_agreement_counts_overlap():
    e = np.eye(12) + 0.01 * np.arange(12)[:, None]
    assert transformer.neighbour_agreement(e, e, k=3) == 1.0
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(40, 8)), rng.normal(size=(40, 8))
    assert transformer.neighbour_agreement(a, b, k=10) < 0.5


def test_hccs_calibration_records_every_head_and_beats_a_fixed_head(model_and_reference):
    """The calibration on 8 other sentences: one head per (layer, head) from the grid, and the
    calibrated model closer to FP32 than the same datapath with one fixed head everywhere."""
    from baps_rtl.accuracy.corpus import calibration_sentences
    from baps_rtl.accuracy.hccs_calibration import candidates
    from baps_rtl.golden.hccs import HccsHead
    model, ref = model_and_reference
    heads, records = transformer.calibrate_hccs(model, calibration_sentences(8, SENTENCES))
    assert len(records) == 6 * 12 and all(h in candidates() for hs in heads.values() for h in hs)
    variant = "hccs"
    calibrated = transformer.encode(model, SENTENCES, variant, hccs_heads=heads)
    fixed = transformer.encode(model, SENTENCES, variant,
                               hccs_heads={k: [HccsHead(320, 8, 40)] * 12 for k in heads})
    cos = transformer.embedding_cosines
    assert cos(ref, calibrated).mean() > cos(ref, fixed).mean() + 0.01


def test_the_calibration_command_writes_every_head(tmp_path, capsys):
    from baps_rtl.cli import main
    out = tmp_path / "heads.json"
    assert main(["hccs-calibrate", "--samples", "4", "-o", str(out)]) == 0
    import json
    heads = json.loads(out.read_text())["heads"]
    assert len(heads) == 72 and all(h["b"] >= h["s"] * h["dmax"] for h in heads)
    assert "| 5 | 11 |" in capsys.readouterr().out


def test_passages_are_long_rows_and_every_bc_is_reported(model_and_reference):
    """Three passages at Bc 16 and 64: rows longer than the short sentences' (several blocks
    at Bc = 16), each variant's figures per Bc, the model's sequence limit restored."""
    import dataclasses
    from baps_rtl.accuracy.report import FULL, passage_section
    model, _ = model_and_reference
    limit = model.max_seq_length
    cfg = dataclasses.replace(FULL, passages=3, passage_bcs=(16, 64))
    out = passage_section(cfg, model, None, variants=("baps_hif8_hif8", "baps_u5.4/e2_fp16"))
    assert model.max_seq_length == limit
    assert out["tokens"]["min"] >= 128 and out["tokens"]["max"] <= 512 and out["k"] == 2
    assert set(out["variants"]) == {"baps_hif8_hif8", "baps_u5.4/e2_fp16"}
    for v in out["variants"].values():
        assert set(v["bc"]) == {"16", "64"}
        assert all(0.999 < r["cos_mean"] <= 1.0 + 1e-9 for r in v["bc"].values())
    assert out["variants"]["baps_u5.4/e2_fp16"]["score_bits"] == 8
