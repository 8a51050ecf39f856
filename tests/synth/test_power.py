"""Switching activity from a VCD (``synth.power.vcd_activity``) and the library's output pins;
the power of a real netlist is measured by ``tests/synth/test_compare.py``."""

import pytest

from baps_rtl.synth.power import output_pins, vcd_activity

VCD = """$timescale 1ps $end
$scope module top $end
$var wire 1 ! clk $end
$var wire 2 " bus [1:0] $end
$scope module u $end
$var wire 1 # Y $end
$var wire 1 ! CLK $end
$upscope $end
$upscope $end
$enddefinitions $end
#0
$dumpvars
0!
b00 "
x#
$end
#5
1!
b1 "
0#
#10
0!
1#
#15
1!
b10 "
#20
0!
"""


def test_transitions_duty_and_cycles_of_every_bit(tmp_path):
    path = tmp_path / "a.vcd"
    path.write_text(VCD)
    activity, cycles = vcd_activity(path)
    assert cycles == 2                                 # rising edges of the top's clk
    assert activity == {
        "clk": (4, 0.5), "u/CLK": (4, 0.5),            # an alias of the same signal
        "bus[1]": (1, 0.25), "bus[0]": (2, 0.5),       # "b1" is "01": bits padded on the left
        "u/Y": (1, 0.5),                               # x → 0 is not a transition
    }


def test_a_changed_value_changes_the_count(tmp_path):
    """The counter can fail: one more change of Y is one more transition."""
    path = tmp_path / "b.vcd"
    path.write_text(VCD.replace("#20\n0!\n", "#20\n0!\n0#\n"))
    activity, _ = vcd_activity(path)
    assert activity["u/Y"] == (2, 0.5)


@pytest.mark.requires("osu018")
def test_osu018_output_pins(tmp_path):
    from baps_rtl.synth.libraries import get_library
    assert output_pins(get_library("osu018", tmp_path).liberty) == {"Y", "Q", "YC", "YS"}
