"""Exp2FP16 in the Amaranth simulator: all 65,536 inputs against the mpmath reference."""

import re

import numpy as np
from amaranth.back import verilog

import pytest

from baps_rtl.golden.exp2_fp16_model import exp2_fp16
from baps_rtl.hdl.exp2_fp16 import ACCURACIES, Exp2FP16
from baps_rtl.sim.amaranth_stream import run_stream


# The generated Verilog runs every input on Verilator in the default suite
# (tests/sim/test_cocotb_exp2.py); the same check in the Amaranth simulator is marked slow.
@pytest.mark.slow
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


@pytest.mark.slow
@pytest.mark.parametrize("change", [
    # faithful family, the other choices: carry-in row, one offset bit dropped, C1 per segment pair
    {"carry_in": True, "r_bits": 5, "c1_index_bits": 5, "p": 13, "c1_bits": 5,
     "dropped_columns": 3},                 # 20 patches
])
def test_a_searched_candidate_is_bit_exact_with_its_model(change):
    """The search synthesizes candidates it does not simulate: the RTL built from any fitted
    design must match the model, not only the two registered ones."""
    import dataclasses

    from baps_rtl.golden import exp2_fp16_model as model
    from baps_rtl.golden.exp2_fp16_fit import fit
    design = fit(dataclasses.replace(model.FAITHFUL, **change, c0=(), c1=(), patches=()))
    assert design.patches                   # a weak candidate: its patches are exercised too
    run = run_stream(Exp2FP16._with_design(design), np.arange(1 << 16), seed=7, idle=0.0,
                     stall=0.05)
    expected = model.datapath(np.arange(1 << 16), design)
    bad = np.flatnonzero(np.array(run.outputs) != expected)
    assert len(run.outputs) == 1 << 16 and len(bad) == 0, [hex(c) for c in bad[:5]]


@pytest.mark.parametrize("accuracy", ACCURACIES)
@pytest.mark.parametrize("stages", [pytest.param(1, marks=pytest.mark.slow),
                                    pytest.param(2, marks=pytest.mark.slow), 3])
def test_pipelined_units_are_bit_exact_with_one_more_cycle_each(accuracy, stages):
    codes = np.arange(0, 1 << 16, 5)             # every fifth code; cocotb runs them all
    run = run_stream(Exp2FP16(accuracy=accuracy, stages=stages), codes, seed=stages,
                     idle=0.05, stall=0.1)
    assert run.outputs == [int(v) for v in exp2_fp16(codes, accuracy)]
    steady = run_stream(Exp2FP16(accuracy=accuracy, stages=stages), [0x3C00, 0x4000],
                        idle=0.0, stall=0.0, drain=8)
    assert [o - i for i, o in zip(steady.input_cycles, steady.output_cycles)] == [2 + stages] * 2
