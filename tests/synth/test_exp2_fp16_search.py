"""The FP16 EXP2 width search: candidates are checked exhaustively and their patches are exactly
the inputs their arithmetic gets wrong; bad options are refused."""

import numpy as np
import pytest

from baps_rtl.golden import exp2_fp16_model as model
from baps_rtl.golden.exp2 import exp2_faithful_violations
from baps_rtl.synth import exp2_fp16_search as search_mod


def test_one_round_from_the_faithful_design():
    found = search_mod.search("faithful", max_patches=4, beam=2, rounds=1, log=lambda _: None)
    assert found and all(c.wrong <= 4 for c in found)
    assert [c.estimate for c in found] == sorted(c.estimate for c in found)
    for c in found[:3]:
        raw = model.arithmetic(np.arange(1 << 16), c.design)
        wrong = exp2_faithful_violations("fp16", "fp16", raw)
        assert sorted(int(k) for k in wrong) == sorted(c.design.patches)
        out = model.datapath(np.arange(1 << 16), c.design)
        assert len(exp2_faithful_violations("fp16", "fp16", out)) == 0


def test_invalid_widths_are_not_candidates():
    w = {f: getattr(model.CORRECT, f) for f in search_mod.FIELDS}
    assert search_mod._valid(w)
    assert not search_mod._valid({**w, "r_bits": 40})          # more offset bits than x has
    assert not search_mod._valid({**w, "b2": None, "q": 3})    # q means nothing when linear


@pytest.mark.parametrize("argv", [["faithful", "--synthesize", "0"], ["exact"],
                                  ["correct", "--patches", "-1"]])
def test_bad_options_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        search_mod.main(argv)
    assert exc.value.code == 2 and "error:" in capsys.readouterr().err
