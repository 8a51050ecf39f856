"""Optional register cuts (``Cuts``, ``StagedLogic``, ``stages``): each enabled cut adds exactly
one cycle, the payload is unchanged, a cut the logic never reaches is an error, and every block's
``stages`` range is enforced by name."""

import pytest
from amaranth import Module, Signal, unsigned

from baps_rtl.hdl.baps_datapath import BapsDatapath
from baps_rtl.hdl.exp2_fp16 import Exp2FP16
from baps_rtl.hdl.exp2_code import Exp2Code
from baps_rtl.hdl.fp16_datapath import Fp16Cast, Fp16Datapath, Fp16SoftmaxLanes
from baps_rtl.hdl.pipeline import Cuts, StagedLogic, check_stages
from baps_rtl.hdl.rescale import Rescale
from baps_rtl.hdl.trees import adder_tree, max_tree
from baps_rtl.hdl.softmax_lanes import SoftmaxLanes
from baps_rtl.sim.amaranth_stream import run_stream


def _add_three(m, x, cuts):
    a = Signal(10)
    m.d.comb += a.eq(x + 1)
    a, x = cuts("first", a, x)
    b = Signal(10)
    m.d.comb += b.eq(a + x)
    (b,) = cuts("second", b)
    return b + 1


@pytest.mark.parametrize("cuts", [("first",), ("second",), ("first", "second")])
def test_each_enabled_cut_adds_one_cycle_and_keeps_the_value(cuts):
    """(With no cut the stage is a wire; the blocks' stages=0 tests cover it in place.)"""
    dut = StagedLogic(unsigned(8), unsigned(10), _add_three, cuts)
    inputs = list(range(0, 256, 7))
    run = run_stream(dut, inputs, idle=0.0, stall=0.0, drain=8)
    assert run.outputs == [2 * x + 2 for x in inputs]
    assert [o - i for i, o in zip(run.input_cycles, run.output_cycles)] == [len(cuts)] * len(inputs)
    stalled = run_stream(StagedLogic(unsigned(8), unsigned(10), _add_three, cuts), inputs,
                         seed=3, idle=0.3, stall=0.4)
    assert stalled.outputs == [2 * x + 2 for x in inputs]


def test_a_cut_the_logic_never_reaches_is_an_error():
    dut = StagedLogic(unsigned(8), unsigned(10), _add_three, ("first", "third"))
    with pytest.raises(AssertionError, match="register cuts never reached: third"):
        run_stream(dut, [1, 2])


def test_cuts_pass_integers_and_register_lists():
    m = Module()
    regs = []
    cuts = Cuts(("x",), reg=lambda v: regs.append(v) or v)
    out = cuts("x", 5, [Signal(3), Signal(4)], Signal(2))
    assert out[0] == 5 and len(regs) == 3 and isinstance(out[1], list)
    assert cuts("y", 7) == (7,)                       # not enabled: unchanged, not recorded
    assert cuts.used == ["x"]
    del m


@pytest.mark.parametrize("block,kwargs", [
    (Exp2Code, {"in_format": "hif8"}), (Exp2FP16, {}), (Rescale, {}), (SoftmaxLanes, {}), (Fp16Cast, {}),
    (Fp16SoftmaxLanes, {}), (BapsDatapath, {}), (Fp16Datapath, {})])
def test_stages_range_is_named(block, kwargs):
    top = len(getattr(block, "CUTS", ())) or (6 if block is BapsDatapath else 16)
    block(stages=top, **kwargs)                       # the largest accepted value builds
    with pytest.raises(ValueError, match=rf"stages={top + 1} is not allowed; allowed: "
                                         rf"integers 0\.\.{top}"):
        block(stages=top + 1, **kwargs)
    with pytest.raises(ValueError, match=r"stages=-1 is not allowed"):
        block(stages=-1, **kwargs)
    with pytest.raises(ValueError, match=r"stages='2' is not allowed"):
        block(stages="2", **kwargs)


def test_check_stages_enables_the_first_cuts_in_order():
    assert check_stages(2, ("a", "b", "c")) == ("a", "b")
    assert check_stages(0, ("a",)) == ()


def test_balanced_trees_compute_max_and_sum():
    from amaranth.sim import Simulator
    m = Module()
    values = [Signal(8, name=f"v{k}") for k in range(5)]
    best, total = Signal(8), Signal(11)
    m.d.comb += [best.eq(max_tree(values, lambda a, b: a > b)), total.eq(adder_tree(values))]
    sim = Simulator(m)
    cases = [[3, 9, 1, 200, 7], [0, 0, 0, 0, 0], [255, 1, 2, 3, 254], [5, 4, 3, 2, 1]]

    async def bench(ctx):
        for case in cases:
            for s, v in zip(values, case):
                ctx.set(s, v)
            assert ctx.get(best) == max(case)
            assert ctx.get(total) == sum(case)

    sim.add_testbench(bench)
    sim.run()
