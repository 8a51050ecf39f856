"""``baps-rtl codes``: the score-code × P-format table, its accuracy columns, the Pareto fronts and
the goals, and a small end-to-end run (real Yosys, generic library, a real sink sweep)."""

import dataclasses
import json

import pytest

from baps_rtl.golden.schemes import BAPS_CODES, baps_scheme_name
from baps_rtl.designs.errors import UsageError
from baps_rtl.synth.codes import accuracy_columns, code_rows, goals, pareto, run_codes


def test_every_baps_code_and_every_other_scheme_is_a_row():
    rows = code_rows(4)
    variants = [r.scheme for r in rows]
    assert variants[0] == "baps_hif8_hif8"
    assert set(baps_scheme_name(s, p) for s, p in BAPS_CODES) <= set(variants)
    assert variants[-5:] == ["fp16_online", "e4m3_s256", "e4m3_s1", "hccs", "softermax"]
    bits = {r.scheme: r.link_bits for r in rows}
    assert bits["baps_u4.3/e2_fp16"] == 6 and bits["baps_u3.2_fp16"] == 5
    assert bits["fp16_online"] == 16 and bits["e4m3_s256"] == 32
    assert {(r.config.params.lanes, r.config.params.bc) for r in rows} == {(4, 32)}
    for r in rows[:len(BAPS_CODES)]:
        assert (r.config.params.score_format, r.config.params.p_format) == (r.score_format,
                                                                            r.p_format)
    for bad in (0, 3, 34):
        with pytest.raises(UsageError, match=f"--lanes {bad} is not allowed; allowed: even "
                                             "integers 2..32"):
            code_rows(bad)


def _sink(method, mse):
    return [{"method": method, "order": o, "delta": d, "length": n, "mse": mse(d, n, o)}
            for d in range(4, 14) for n in (512, 4096) for o in ("forward", "reverse")]


def test_accuracy_columns_read_the_variant_and_compare_the_sink_with_e4m3():
    layers = [{"kl_mean": 0.1}, {"kl_mean": 0.3}]
    data = {"model": {"variants": {"v": {"cos_mean": 0.99, "top10_agreement": 0.9,
                                         "layers": layers}},
                      "passages": {"bcs": [32, 16], "variants": {"v": {"bc": {
                          "16": {"cos_mean": 0.98, "topk_agreement": 0.8},
                          "32": {"cos_mean": 0.97, "topk_agreement": 0.7}}}}}},
            # v: twice E4M3's MSE at Δ = 6, reverse, 512 keys; 100 times at Δ = 13 (outside
            # the goal's Δ = 4…12)
            "sink": _sink("e4m3_s256", lambda d, n, o: 1.0) + _sink(
                "m", lambda d, n, o: 100.0 if d == 13 else
                2.0 if (d, n, o) == (6, 512, "reverse") else 0.5)}
    data["sink"] += [dict(r, method="v") for r in data["sink"] if r["method"] == "m"]
    a = accuracy_columns("v", data)
    assert (a["cos_mean"], a["top10_agreement"], a["kl_mean"]) == (0.99, 0.9, 0.2)
    assert (a["passage_bc"], a["passage_cos_mean"], a["passage_topk"]) == (16, 0.98, 0.8)
    assert a["sink_mse"] == 0.5                      # Δ = 8, the longest length, forward
    assert (a["sink_worst_ratio"], a["sink_cells"]) == (2.0, 9 * 2 * 2)
    assert accuracy_columns("other", data) == {}


def test_pareto_keeps_the_points_nothing_dominates():
    points = [(10, 8, 0.5), (20, 8, 0.1), (20, 8, 0.2), (5, 6, 0.9), (10, 8, None),
              (30, 16, 0.1)]
    assert pareto(points) == [True, True, False, True, False, False]


def _row(variant, bits, ge, cos, top, sink=0.5):
    return {"scheme": variant, "link_bits": bits, "vector_ge_per_lane": ge,
            "accuracy": {"cos_mean": cos, "top10_agreement": top, "sink_worst_ratio": sink}}


def test_goals_are_checked_on_the_measured_rows():
    rows = [_row("baps_hif8_hif8", 8, 100, 0.9998, 0.98),
            _row("good", 8, 90, 0.99999, 0.996),
            _row("big", 8, 120, 0.99999, 0.996),
            _row("sinky", 8, 80, 0.99999, 0.996, sink=1.5),
            _row("six", 6, 95, 0.9999, 0.99), _row("six_worse", 6, 70, 0.9997, 0.99)]
    g = goals(rows)
    assert g["8-bit"]["met"] == ["good"]
    assert g["8-bit"]["fails"]["big"] == ["vector area ≤ BAPS-HiF8"]
    assert g["8-bit"]["fails"]["sinky"] == ["sink ≤ E4M3 S256"]
    assert g["6-bit"]["met"] == ["six"]
    assert g["6-bit"]["fails"]["six_worse"] == ["cos ≥ BAPS-HiF8"]
    rows[1]["accuracy"]["top10_agreement"] = 0.994                   # break one criterion
    assert goals(rows)["8-bit"]["met"] == []
    assert goals(rows[1:]) == {}                                      # no BAPS-HiF8 reference


@pytest.mark.slow
def test_codes_end_to_end(tmp_path):
    """Two BAPS rows and the FP16 baseline at 2 lanes, synthesized, with a real (small) sink
    sweep: every column filled where the data exists, the files written."""
    from baps_rtl.accuracy.report import QUICK, run_accuracy
    from baps_rtl.accuracy.sink import SinkConfig
    cfg = dataclasses.replace(QUICK, sink=SinkConfig(deltas=(4, 8), lengths=(512,), rows=4, dv=8),
                              synthetic_rows=8, synthetic_keys=256)
    accuracy, _ = run_accuracy(tmp_path / "acc", cfg, model=False, progress=False)
    only = ("baps_hif8_hif8", "baps_u3.2_fp16", "fp16_online")
    result = run_codes(tmp_path / "codes", accuracy, lanes=2, jobs=2, only=only)
    rows = {r["scheme"]: r for r in result["rows"]}
    assert set(rows) == set(only)
    for v in only[:2]:
        r = rows[v]
        assert r["exp2_ge"]["table"] > 0 and r["exp2_ge"]["split"] > 0
        assert r["vector_ge_per_lane"] == pytest.approx(r["vector_ge"] / 2, abs=0.1)
        assert r["matrix_ge"] + r["link_ge"] + r["vector_ge"] <= r["total_ge"] + 1
        assert r["accuracy"]["sink_cells"] == 4 and "cos_mean" not in r["accuracy"]
    assert rows["fp16_online"]["exp2_ge"] is None and rows["baps_u3.2_fp16"]["link_bits"] == 5
    assert result["goals"] == {}                                      # no model section
    saved = json.loads((tmp_path / "codes" / "codes.json").read_text())
    assert saved["rows"] == json.loads(json.dumps(result["rows"]))
    md = (tmp_path / "codes" / "codes.md").read_text()
    assert "| BAPS u3.2 / P fp16 | 5 |" in md and "| FP16 online softmax | 16 | – |" in md
    assert (tmp_path / "codes" / "codes.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(UsageError, match="nope: not a row of the code table; allowed: baps_hif8_hif8"):
        run_codes(tmp_path / "x", None, only=("nope",))
    # the areas reused with another accuracy: no synthesis, the same areas, new accuracy
    accuracy["sink"] = [dict(r, mse=2 * r["mse"]) if r["method"] == "baps_u3.2_fp16" else r
                        for r in accuracy["sink"]]
    again = run_codes(tmp_path / "again", accuracy, lanes=2, only=only,
                      areas_from=tmp_path / "codes" / "codes.json")
    new = {r["scheme"]: r for r in again["rows"]}
    assert not (tmp_path / "again" / "synth").exists()
    for v in only:
        assert new[v]["vector_ge_per_lane"] == rows[v]["vector_ge_per_lane"]
    assert new["baps_u3.2_fp16"]["accuracy"]["sink_worst_ratio"] == pytest.approx(
        2 * rows["baps_u3.2_fp16"]["accuracy"]["sink_worst_ratio"])
    with pytest.raises(UsageError, match="made with library generic, 2 lanes; allowed: a "
                                         "codes.json of generic, 4 lanes"):
        run_codes(tmp_path / "x", accuracy, lanes=4, only=only,
                  areas_from=tmp_path / "codes" / "codes.json")
