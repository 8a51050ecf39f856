"""Exp2HiF8 in the Amaranth simulator against the golden reference, exhaustively, every config."""

import re

import numpy as np
import pytest
from amaranth.back import verilog

from baps_rtl.golden.exp2 import exp2_reference
from baps_rtl.hdl.exp2_hif8 import IMPLS, OUT_FORMATS, Exp2HiF8
from baps_rtl.sim.amaranth_stream import run_stream

CONFIGS = [(impl, out) for impl in IMPLS for out in OUT_FORMATS]


@pytest.mark.parametrize("impl,out_format", CONFIGS)
def test_exhaustive_under_idles_and_backpressure(impl, out_format):
    dut = Exp2HiF8(impl=impl, out_format=out_format)
    inputs = np.arange(256)
    run = run_stream(dut, inputs, seed=11, idle=0.2, stall=0.3)
    outputs = run.outputs
    expected = exp2_reference("hif8", out_format)
    assert len(outputs) == 256, f"{len(outputs)} outputs for 256 inputs"
    bad = np.flatnonzero(np.array(outputs) != expected)
    assert len(bad) == 0, [(hex(c), hex(outputs[c]), hex(expected[c])) for c in bad[:5]]


@pytest.mark.parametrize("impl", IMPLS)
def test_latency_and_throughput(impl):
    run = run_stream(Exp2HiF8(impl=impl), range(256), idle=0.0, stall=0.0)
    # one result per cycle, each `latency` cycles after its input
    assert run.input_cycles == list(range(256))
    assert run.output_cycles == [c + Exp2HiF8.latency for c in run.input_cycles]


@pytest.mark.parametrize("impl,out_format", CONFIGS)
def test_verilog_has_no_absolute_paths(impl, out_format):
    text = verilog.convert(Exp2HiF8(impl=impl, out_format=out_format), name="dut", emit_src=False)
    assert "module dut" in text
    assert not re.search(r"/(home|work|tmp|usr|root)/|\.py:\d+", text)


def test_bad_parameters_name_the_value_and_the_choices():
    with pytest.raises(ValueError, match=r"impl='rom' is not allowed; allowed: table, split"):
        Exp2HiF8(impl="rom")
    with pytest.raises(ValueError, match=r"out_format='fp32' is not allowed; allowed: fp16, hif8"):
        Exp2HiF8(out_format="fp32")


@pytest.mark.parametrize("impl,out_format", CONFIGS)
def test_input_cut_is_exhaustively_exact_one_cycle_later(impl, out_format):
    run = run_stream(Exp2HiF8(impl=impl, out_format=out_format, stages=1), np.arange(256),
                     seed=6, idle=0.1, stall=0.2)
    assert run.outputs == [int(v) for v in exp2_reference("hif8", out_format)]
    steady = run_stream(Exp2HiF8(impl=impl, stages=1), [0, 1, 2], idle=0.0, stall=0.0, drain=6)
    assert [o - i for i, o in zip(steady.input_cycles, steady.output_cycles)] == [2, 2, 2]
