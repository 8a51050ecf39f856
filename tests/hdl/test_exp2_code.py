"""Exp2Code in the Amaranth simulator against the golden reference: every input code of every
score code × P format, both implementations."""

import itertools

import numpy as np
import pytest

from baps_rtl.golden.baps import P_FORMAT, SCORE_FORMAT
from baps_rtl.golden.exp2 import exp2_reference
from baps_rtl.golden.formats import get_format
from baps_rtl.hdl.exp2_code import IMPL, Exp2Code
from baps_rtl.sim.amaranth_stream import run_stream

COMBOS = list(itertools.product(SCORE_FORMAT.choices, P_FORMAT.choices))


@pytest.mark.parametrize("impl", IMPL.choices)
@pytest.mark.parametrize("in_format,out_format", COMBOS)
def test_every_code_is_exact(in_format, out_format, impl):
    n = 1 << get_format(in_format).width
    run = run_stream(Exp2Code(in_format=in_format, out_format=out_format, impl=impl),
                     np.arange(n), seed=3, idle=0.1, stall=0.1)
    expected = exp2_reference(in_format, out_format)
    bad = np.flatnonzero(np.array(run.outputs) != expected)
    assert len(run.outputs) == n and len(bad) == 0, \
        [(hex(c), hex(run.outputs[c]), hex(expected[c])) for c in bad[:5]]


def test_a_wrong_table_entry_is_caught(monkeypatch):
    """The check above can fail: one corrupted reference entry shows as one mismatch."""
    from baps_rtl.hdl import exp2_code
    good = exp2_reference("u4.4", "fp16")
    bad_table = good.copy()
    bad_table[37] ^= 1
    monkeypatch.setattr(exp2_code, "exp2_reference", lambda i, o: bad_table)
    run = run_stream(Exp2Code(in_format="u4.4", out_format="fp16"), np.arange(256), seed=3,
                     idle=0.0, stall=0.0)
    assert list(np.flatnonzero(np.array(run.outputs) != good)) == [37]


def test_bad_parameters_name_the_value_and_the_choices():
    with pytest.raises(ValueError, match=r"in_format='fp16' is not allowed; allowed: hif8, "
                                         r"e4m3, e5m2, u3.2"):
        Exp2Code(in_format="fp16")
    with pytest.raises(ValueError, match=r"out_format='u4.4' is not allowed; allowed: hif8, fp16"):
        Exp2Code(in_format="hif8", out_format="u4.4")
    with pytest.raises(ValueError, match=r"impl='rom' is not allowed"):
        Exp2Code(impl="rom")


@pytest.mark.parametrize("impl", IMPL.choices)
def test_latency_and_throughput(impl):
    run = run_stream(Exp2Code(in_format="hif8", impl=impl), range(256), idle=0.0, stall=0.0)
    # one result per cycle, each `latency` cycles after its input
    assert run.input_cycles == list(range(256))
    assert run.output_cycles == [c + Exp2Code.latency for c in run.input_cycles]


def test_verilog_has_no_absolute_paths():
    import re
    from amaranth.back import verilog
    text = verilog.convert(Exp2Code(in_format="hif8", impl="split"), name="dut", emit_src=False)
    assert "module dut" in text
    assert not re.search(r"/(home|work|tmp|usr|root)/|\.py:\d+", text)


@pytest.mark.parametrize("impl,out_format", list(itertools.product(IMPL.choices, ("fp16", "hif8"))))
def test_input_cut_is_exhaustively_exact_one_cycle_later(impl, out_format):
    dut = Exp2Code(in_format="hif8", out_format=out_format, impl=impl, stages=1)
    run = run_stream(dut, np.arange(256), seed=6, idle=0.1, stall=0.2)
    assert run.outputs == [int(v) for v in exp2_reference("hif8", out_format)]
    steady = run_stream(Exp2Code(in_format="hif8", impl=impl, stages=1), [0, 1, 2], idle=0.0,
                        stall=0.0, drain=6)
    assert [o - i for i, o in zip(steady.input_cycles, steady.output_cycles)] == [2, 2, 2]
