"""``baps-rtl compare`` end to end (OSU018, OpenSTA, Icarus): the designs mapped for one
period, their gate-level netlists simulated against the golden model, power from the measured
activity, and the report's figures consistent with each other."""

import json

import pytest

from baps_rtl.designs.errors import UsageError
from baps_rtl.designs.generate import generate
from baps_rtl.synth.compare import compare_configs, run_compare
from baps_rtl.synth.user_rtl import user_datapath, user_rtl


def test_the_designs_of_a_comparison():
    items = compare_configs(4)
    assert [(i.config.name, i.config.params.lanes) for i in items] == [
        ("baps_datapath", 4), ("fp16_datapath", 4), ("fp16_datapath", 2),
        ("e4m3_pcast_datapath", 4), ("hccs_datapath", 4), ("softermax_datapath", 4)]
    assert {i.config.params.bc for i in items} == {32}


def test_accuracy_columns_come_from_the_scheme(tmp_path):
    from baps_rtl.designs.errors import UsageError
    from baps_rtl.synth.compare import accuracy_of, load_accuracy
    layers = [{"kl_mean": 0.1}, {"kl_mean": 0.3}]
    data = {"model": {"variants": {"hccs": {"cos_mean": 0.97, "top10_agreement": 0.9,
                                            "layers": layers}}},
            "sink": [{"method": "hccs", "order": "forward", "delta": 8, "length": n, "mse": n}
                     for n in (512, 4096)] + [{"method": "hccs", "order": "reverse", "delta": 8,
                                              "length": 8192, "mse": 1.0}]}
    a = accuracy_of("hccs", data)
    assert (a["cos_mean"], a["top10_agreement"], a["kl_mean"]) == (0.97, 0.9, 0.2)
    assert (a["sink_length"], a["sink_mse"]) == (4096, 4096)
    assert accuracy_of("baps_hif8_hif8", data) == {"scheme": "baps_hif8_hif8"}
    bad = tmp_path / "a.json"
    bad.write_text("{}")
    with pytest.raises(UsageError, match="'sink' is a required property; allowed: the "
                                         "accuracy.json written by `baps-rtl accuracy`"):
        load_accuracy(bad)
    with pytest.raises(UsageError, match="cannot read"):
        load_accuracy(tmp_path / "missing.json")


def peak_scores_per_cycle(row) -> float:
    """A design's steady-state scores per cycle: `lanes`, except HCCS, whose drain reads a tile
    of T beats twice and divides once per row (2T + 23·br cycles per T beats, `HccsLanes`)."""
    p = row["params"]
    if row["name"] == "hccs_datapath":
        beats = p["br"] * p["blocks"] * p["bc"] // p["lanes"]
        return p["lanes"] * beats / (2 * beats + 23 * p["br"])
    return row["lanes"]


PERIOD = 50.0


@pytest.mark.slow
@pytest.mark.timeout(2400)          # six timed mappings and gate-level power runs: minutes each
@pytest.mark.requires("osu018", "sta", "icarus")
def test_compare_end_to_end(tmp_path):
    # every row but E4M3 P-cast, whose timed mapping alone takes about half an hour here
    # (`baps-rtl compare` runs it; `make report` checks its generic netlist at gate level)
    names = ("baps_datapath", "fp16_datapath", "softermax_datapath", "hccs_datapath")
    # a period every row meets without cuts: one mapping each (the search for the fewest
    # stages has its own test, tests/synth/test_area.py)
    # and a user's RTL speaking Softermax's stream: Softermax's own Verilog under another name
    softermax = next(i.config for i in compare_configs(2) if i.config.name == "softermax_datapath")
    vpath, _ = generate(softermax, tmp_path / "mine")
    mine = tmp_path / "my_softermax.v"
    mine.write_text(vpath.read_text().replace(f"module {softermax.module_name}(",
                                              "module my_softermax("))
    result = run_compare(tmp_path, period_ns=PERIOD, lanes=2, jobs=2, blocks=12, designs=names,
                         user=(user_rtl([mine], "my_softermax"), "softermax_datapath"))
    rows, user = result["rows"][:-1], result["rows"][-1]
    assert user["design"] == "my_softermax" and user["comparison"].startswith("user RTL")
    [theirs] = [r for r in rows if r["design"] == softermax.module_name]
    assert user["netlist_matches_golden"] and user["blocks_logic_ge"] == {}
    assert user["scores_per_cycle"] == theirs["scores_per_cycle"]          # the same RTL
    assert user["storage_bits"] == theirs["storage_bits"]
    assert user["logic_ge"] == pytest.approx(theirs["logic_ge"], rel=0.05)  # flat vs blocks
    assert "– (user RTL)" in (tmp_path / "compare.md").read_text()
    assert [r["link_bits"] for r in rows] == [16, 32, 16, 16, 16]
    for r in rows:
        assert r["netlist_matches_golden"], r["design"]
        assert 0.7 * peak_scores_per_cycle(r) < r["scores_per_cycle"] <= peak_scores_per_cycle(r)
        assert r["power_mw"] > 0 and r["pj_per_score"] > 0 and r["power"]["annotated_pins"] > 1000
        # energy per score = power × period × simulated cycles / scores
        p = r["power"]
        assert r["pj_per_score"] == pytest.approx(
            p["power_mw"] * 1e-3 * PERIOD * 1e-9 * p["cycles"] / p["scores"] * 1e12, rel=1e-3)
        assert r["logic_ge"] == pytest.approx(sum(r["blocks_logic_ge"].values()), abs=2)
        if r["meets_period"]:
            assert r["delay_ns"] <= PERIOD
    # the row buffers: BAPS keeps two blocks of bc FP32 scores, FP16 two of bc FP16 codes
    bc = rows[0]["params"]["bc"]
    assert rows[0]["storage_bits"] > 2 * bc * 32 and rows[1]["storage_bits"] > 2 * bc * 16
    assert json.loads((tmp_path / "compare.json").read_text())["rows"][0]["design"] == rows[0]["design"]
    md = (tmp_path / "compare.md").read_text()
    assert all(f"| {r['design']} |" in md for r in rows)
    assert (tmp_path / "compare.png").stat().st_size > 10_000


def test_a_user_rtl_without_the_datapath_ports_is_one_line(tmp_path):
    like = next(i.config for i in compare_configs(2) if i.config.name == "hccs_datapath")
    other = tmp_path / "other.v"
    other.write_text("module other(input clk, input rst, input [7:0] i__payload, "
                     "output [7:0] o__payload);\n  assign o__payload = i__payload;\nendmodule\n")
    with pytest.raises(UsageError, match="its ports are not hccs_datapath's stream ports; port "):
        user_datapath(user_rtl([other], "other"), like, tmp_path)
