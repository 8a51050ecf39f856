"""The FP16 EXP2 design search: every candidate is fitted exactly and its patches are exactly
the inputs its arithmetic gets wrong; the registered designs lie on the grids; bad options are
refused."""

import json

import numpy as np
import pytest

from baps_rtl.golden import exp2_fp16_model as model
from baps_rtl.golden.exp2 import exp2_faithful_violations
from baps_rtl.synth import exp2_fp16_search as search_mod

SMALL_GRID = {**search_mod.GRIDS["faithful"], "seg_bits": [6], "r_drop": [0], "p": [12],
              "c1_extra": [-1, 0], "dropped_columns": [4, 5, 6], "c1_shared": [2],
              "carry_in": [False]}


def test_a_small_faithful_search():
    found = search_mod.search("faithful", max_patches=1000, grid=SMALL_GRID, log=lambda _: None)
    assert found and all(c.patches <= 1000 for c in found)
    assert [c.estimate for c in found] == sorted(c.estimate for c in found)
    assert model.FAITHFUL in [c.design for c in found]           # the registered design
    for c in found:
        raw = model.arithmetic(np.arange(1 << 16), c.design)
        wrong = exp2_faithful_violations("fp16", "fp16", raw)
        assert sorted(int(k) for k in wrong) == list(c.design.patches)
    assert any(c.patches for c in found)          # a weaker candidate needs patches: not vacuous


@pytest.mark.parametrize("accuracy", ["correct", "faithful"])
def test_the_registered_designs_lie_on_the_grids(accuracy):
    widths = [d.widths() for d in search_mod.candidates(accuracy)]
    assert model.DESIGNS[accuracy].widths() in widths


def test_write_designs_round_trips(tmp_path):
    path = tmp_path / "designs.json"
    search_mod.write_designs(model.DESIGNS, path)
    data = json.loads(path.read_text())
    assert set(data) == {"correct", "faithful"}
    for name, d in model.DESIGNS.items():
        assert model.Exp2FP16Design(name=name, **{k: tuple(v) if isinstance(v, list) else v
                                                  for k, v in data[name].items()}) == d


@pytest.mark.parametrize("argv", [["faithful", "--synthesize", "0"], ["exact"],
                                  ["correct", "--patches", "-1"]])
def test_bad_options_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        search_mod.main(argv)
    assert exc.value.code == 2 and "error:" in capsys.readouterr().err
