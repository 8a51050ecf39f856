"""Exp2FP16 in the Amaranth simulator: all 65,536 inputs against the mpmath reference."""

import re

import numpy as np
from amaranth.back import verilog

import pytest

from baps_rtl.golden.exp2_fp16_model import exp2_fp16
from baps_rtl.hdl.exp2_fp16 import ACCURACIES, Exp2FP16
from baps_rtl.sim.amaranth_stream import run_stream


@pytest.mark.parametrize("accuracy", ACCURACIES)
def test_exhaustive_under_idles_and_backpressure(accuracy):
    run = run_stream(Exp2FP16(accuracy=accuracy), np.arange(1 << 16), seed=5, idle=0.05, stall=0.1)
    outputs = run.outputs
    expected = exp2_fp16(np.arange(1 << 16), accuracy)   # the golden tests tie it to mpmath
    assert len(outputs) == 1 << 16, f"{len(outputs)} outputs for 65536 inputs"
    bad = np.flatnonzero(np.array(outputs) != expected)
    assert len(bad) == 0, [(hex(c), hex(outputs[c]), hex(expected[c])) for c in bad[:5]]


def test_latency_is_two_cycles():
    run = run_stream(Exp2FP16(), [0x3C00, 0x4000, 0xBC00], idle=0.0, stall=0.0, drain=8)
    assert run.outputs == [0x4000, 0x4400, 0x3800]          # 2^1 = 2, 2^2 = 4, 2^-1 = 0.5
    assert run.input_cycles == [0, 1, 2]
    assert run.output_cycles == [c + Exp2FP16.latency for c in run.input_cycles]


@pytest.mark.parametrize("accuracy", ACCURACIES)
def test_verilog_has_no_absolute_paths(accuracy):
    text = verilog.convert(Exp2FP16(accuracy=accuracy), name="dut", emit_src=False)
    assert "module dut" in text
    assert not re.search(r"/(home|work|tmp|usr|root)/|\.py:\d+", text)


def test_bad_accuracy_is_named():
    with pytest.raises(ValueError, match=r"accuracy='exact' is not allowed; allowed: correct, faithful"):
        Exp2FP16(accuracy="exact")
