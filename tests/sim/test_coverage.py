"""Verilator coverage: the coverage file reader, the trace from Verilog lines to Amaranth lines, and
real instrumented runs where a stimulus that leaves half the inputs out must show exactly those
case arms as unreached."""

import json
import re
from pathlib import Path

import pytest

from baps_rtl.designs import get_design, parse_params
from baps_rtl.designs.generate import generate
from baps_rtl.sim.coverage import Point, coverage_run, read_points, source_map, summarize
from baps_rtl.sim.runner import run_vectors, vector_header

from ..conftest import require_simulator
from ..test_cli import run

REPO = Path(__file__).resolve().parents[2]
TABLE = parse_params(get_design("exp2_hif8"), ["impl=table", "out_format=hif8"])


def _point_line(keys: dict, count: int) -> str:
    return "C '" + "".join(f"\x01{k}\x02{v}" for k, v in keys.items()) + f"' {count}\n"


def test_coverage_file_is_read_with_names_unmangled(tmp_path):
    path = tmp_path / "coverage.dat"
    path.write_text("# SystemC::Coverage-3\n"
                    + _point_line({"f": "x.v", "l": "20", "t": "toggle",
                                   "o": "o___05Fpayload[3]:0->1", "h": "top"}, 7)
                    + _point_line({"f": "x.v", "l": "31", "t": "line", "o": "case", "S": "31-32",
                                   "h": "top"}, 0))
    assert read_points(path) == [Point("toggle", 20, "o__payload[3]:0->1", 7),
                                 Point("line", 31, "case", 0)]


def test_a_file_that_is_not_coverage_data_is_refused_by_name(tmp_path):
    path = tmp_path / "results.xml"
    path.write_text("<testsuites/>\n")
    with pytest.raises(ValueError, match=r"results.xml: not a Verilator coverage file"):
        read_points(path)
    path.write_text("# SystemC::Coverage-3\nC '\x01t\x02line' 3\n")       # no line number
    with pytest.raises(ValueError, match=r"results.xml:2: malformed coverage point"):
        read_points(path)


def test_verilog_lines_are_traced_to_the_amaranth_lines_that_made_them(tmp_path):
    shipped = generate(TABLE, tmp_path)[0].read_text()
    sources = source_map(TABLE, shipped)
    lines = shipped.splitlines()
    declaration = next(k for k, text in enumerate(lines, 1)
                       if re.fullmatch(r"\s*reg \[7:0\] exp2;", text))
    file, _, number = sources[declaration].partition(":")
    python_line = (REPO / file).read_text().splitlines()[int(number) - 1]
    assert file == "hdl/exp2_code.py" and "exp2" in python_line, python_line
    with pytest.raises(ValueError, match="differs from the shipped one"):
        source_map(TABLE, shipped.replace("exp2", "exp3"))


@pytest.mark.cocotb
def test_half_the_inputs_leave_exactly_the_other_half_of_the_table_unreached(tmp_path):
    """Codes 0x00–0x7F only: every case arm of 0x80–0xFF unreached, traced to the table's line,
    and the input's top bit never rises."""
    require_simulator("verilator")
    vpath = generate(TABLE, tmp_path / "rtl")[0]
    inputs = list(range(128))
    r = run_vectors(TABLE.module_name, [vpath], "verilator", tmp_path / "half",
                    vector_header(TABLE), inputs, TABLE.expected(inputs), coverage=True)
    assert r.passed and r.coverage_file
    s = summarize(TABLE, read_points(Path(r.coverage_file)), vpath.read_text())
    arms = {int(u["statement"].split(":")[0].split("'h")[1], 16)
            for u in s["unreached_lines"] if u["case"]}
    assert arms == set(range(128, 256))
    assert {u["source"].split(":")[0] for u in s["unreached_lines"]} == {"hdl/exp2_code.py"}
    assert s["line_points"] - s["line_hit"] == 128
    top_bit = [u for u in s["untoggled_signals"] if u["signal"] == "i__payload"]
    assert top_bit and "7" in top_bit[0]["never_rose"]
    # the report's path: a finished regression's results, written to a folder not yet made
    _, [again], paths = coverage_run([TABLE], tmp_path / "new" / "coverage", results=[r],
                                     rtl_dir=vpath.parent)
    assert again == s and "hdl/exp2_code.py" in paths["md"].read_text()


@pytest.mark.cocotb
def test_coverage_command_reaches_every_line_of_an_exhaustive_unit(tmp_path, capsys):
    require_simulator("verilator")
    code, out, _ = run(capsys, "coverage", "exp2_hif8", "-p", "impl=table", "-p",
                       "out_format=hif8", "-o", str(tmp_path))
    assert code == 0, out
    [s] = json.loads((tmp_path / "coverage.json").read_text())
    assert s["line_points"] > 256 and s["line_hit"] == s["line_points"]
    assert s["toggle_bits"] > 0 and s["toggle_covered"] == s["toggle_bits"]     # seeded order
    assert "| exp2_hif8_table_hif8 | " in out and "100.0 %" in out


def test_coverage_needs_verilator(tmp_path):
    from baps_rtl.designs.errors import UsageError
    require_simulator("icarus")
    with pytest.raises(UsageError, match="coverage needs Verilator; simulator 'icarus'"):
        run_vectors(TABLE.module_name, [], "icarus", tmp_path, vector_header(TABLE), [0], [0],
                    coverage=True)
