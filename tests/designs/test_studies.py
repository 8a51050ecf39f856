"""Every registered datapath appears in every study, from its registration alone: the compare
rows, the code table, the schemes the accuracy report and the sink sweep run, the tile tests,
the proofs and the area bounds. A datapath missing from one of them fails here by name."""

import json
from dataclasses import replace
from pathlib import Path

import pytest

from baps_rtl.accuracy.sink import METHODS
from baps_rtl.accuracy.transformer import MODEL_SCHEMES
from baps_rtl.designs import DESIGNS, Config, all_configs
from baps_rtl.designs.registry import datapaths
from baps_rtl.golden.schemes import SCHEMES
from baps_rtl.synth.codes import code_rows
from baps_rtl.synth.compare import compare_configs, power_stimulus
from baps_rtl.synth.prove import registered_proofs

BOUNDS = Path(__file__).resolve().parents[2] / "synth" / "area_bounds.json"


def missing_from_studies() -> list[str]:
    """Each (datapath, study) pair where the study lacks the datapath or one of its variants."""
    import tests.sim.test_cocotb_tiles as tiles
    bounds = json.loads(BOUNDS.read_text())["libraries"]["generic"]
    compared = {i.config.name for i in compare_configs(4)}
    coded = {r.scheme for r in code_rows(4)}
    proved = {p.name for p in registered_proofs()}
    tiled = {c.name for c in tiles.TILES}
    problems = []
    for design in datapaths():
        role = design.datapath
        schemes = [role.scheme(Config.of(design, {**role.study_params, **v}).params)
                   for v in role.variants]
        checks = {"compare": design.name in compared,
                  "tile tests": design.name in tiled,
                  "regress": bool(all_configs([design.name], "regress")),
                  "area bounds": all(c.module_name in bounds
                                     for c in all_configs([design.name], "area")),
                  "proofs": all(f"{c.module_name} stream" in proved
                                for c in all_configs([design.name], "area"))}
        for scheme in schemes:
            checks[f"schemes ({scheme})"] = (scheme in SCHEMES
                                             and SCHEMES[scheme].kind == "datapath")
            checks[f"codes ({scheme})"] = scheme in coded
            checks[f"model ({scheme})"] = scheme in MODEL_SCHEMES
            checks[f"sink sweep ({scheme})"] = scheme in METHODS
        problems += [f"{design.name}: {study}" for study, ok in checks.items() if not ok]
    return problems


def test_every_registered_datapath_is_in_every_study():
    assert len(datapaths()) >= 5
    assert missing_from_studies() == []


def test_every_datapath_scheme_belongs_to_a_registered_datapath():
    named = {r.scheme for r in code_rows(4)}
    assert {n for n, s in SCHEMES.items() if s.kind == "datapath"} <= named


def test_the_check_names_a_datapath_a_study_lacks(monkeypatch):
    """Break the input once: a sink sweep without HCCS's scheme is reported by name."""
    import sys
    monkeypatch.setattr(sys.modules[__name__], "METHODS", tuple(m for m in METHODS if m != "hccs"))
    assert missing_from_studies() == ["hccs_datapath: sink sweep (hccs)"]


def test_a_datapath_naming_an_unknown_scheme_is_refused_at_registration():
    from baps_rtl.designs.registry import register
    baps = DESIGNS["baps_datapath"]
    role = replace(baps.datapath, scheme=lambda p: "baps_nowhere")
    with pytest.raises(ValueError, match="baps_copy: scheme 'baps_nowhere' of "
                                         ".* is not a datapath scheme of golden.schemes"):
        register(replace(baps, name="baps_copy", datapath=role))
    assert "baps_copy" not in DESIGNS


@pytest.mark.parametrize("design", datapaths(), ids=lambda d: d.name)
def test_power_stimulus_is_whole_tiles_the_golden_model_accepts(design):
    """About 48 blocks of the power case per datapath (tile-buffered designs: whole tiles)."""
    [item] = [i for i in compare_configs(4) if i.config.name == design.name][:1]
    beats = power_stimulus(item.config, 48)
    p = item.config.params
    assert len(beats) == 48 * p.br * p.bc // p.lanes
    assert len(item.config.expected(beats)) == len(beats)
