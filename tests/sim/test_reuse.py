"""A simulation or synthesis whose folder already holds a run of the same inputs is reused, and
only then (``designs.files.content_key``): other vectors, another seed, a failed run or changed
inputs run again."""

import dataclasses
import json

from baps_rtl.designs import Config
from baps_rtl.sim.runner import run_config
from baps_rtl.synth.libraries import get_library
from baps_rtl.synth.synthesize import synthesize

UNIT = Config.of("exp2_hif8", {})


def test_a_passing_simulation_is_reused_for_the_same_inputs_only(tmp_path):
    first = run_config(UNIT, "verilator", tmp_path)
    again = run_config(UNIT, "verilator", tmp_path)
    assert first.passed and not first.reused
    assert again.reused and again.checked == first.checked == 256
    # the same vectors under another seed (other idle and stall cycles) are another run
    same_vectors = run_config(UNIT, "verilator", tmp_path, seed=3, inputs=UNIT.stimulus(1))
    assert same_vectors.passed and not same_vectors.reused
    other_seed = run_config(UNIT, "verilator", tmp_path, seed=2)
    assert other_seed.passed and not other_seed.reused
    # a failing run (one expected value flipped) is stored as what it is, never reused
    bad = run_config(UNIT, "verilator", tmp_path, corrupt_index=3)
    assert not bad.passed and not bad.reused and bad.mismatches == 1
    [stored] = tmp_path.glob("*/vectors-corrupt3-run.json")
    assert json.loads(stored.read_text())["result"]["passed"] is False


def test_a_synthesis_is_reused_for_the_same_inputs_only(tmp_path):
    lib = get_library("generic", tmp_path / "cells")
    [first] = synthesize(UNIT, lib, tmp_path / "synth")
    log = tmp_path / "synth" / UNIT.module_name / "yosys.log"
    stamp = log.stat().st_mtime_ns
    [again] = synthesize(UNIT, lib, tmp_path / "synth")
    assert log.stat().st_mtime_ns == stamp and again.reused and not first.reused  # no Yosys
    assert dataclasses.replace(again, reused=False) == first
    stored = tmp_path / "synth" / UNIT.module_name / "synthesis-run.json"
    stored.write_text(stored.read_text().replace('"key": "', '"key": "0'))
    [third] = synthesize(UNIT, lib, tmp_path / "synth")
    assert log.stat().st_mtime_ns > stamp and third == first        # ran again, same result
    assert not third.reused
