"""The ``baps-rtl`` command line: outputs, and one-line errors with exit code 2 for bad input."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from en_dtypes import hifloat8

from baps_rtl.cli import main
from baps_rtl.golden.exp2 import exp2_reference


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_generate_writes_verilog_and_sidecar(tmp_path, capsys):
    code, out, _ = run(capsys, "generate", "exp2_hif8", "--param", "impl=split", "-p",
                       "out_format=hif8", "-o", str(tmp_path))
    assert code == 0
    v = tmp_path / "exp2_hif8_split_hif8.v"
    meta = json.loads((tmp_path / "exp2_hif8_split_hif8.json").read_text())
    assert "module exp2_hif8_split_hif8(" in v.read_text()
    assert meta["parameters"] == {"impl": "split", "out_format": "hif8", "stages": 0}
    assert meta["latency"] == 1
    ports = {p["name"]: (p["width"], p["direction"]) for p in meta["ports"]}
    assert ports["i__payload"] == (8, "input") and ports["o__payload"] == (8, "output")
    assert ports["o__ready"] == (1, "input") and ports["i__ready"] == (1, "output")
    assert meta["tools"]["amaranth"] == "0.5.10"


def test_vectors_round_trip_and_check(tmp_path, capsys):
    f = tmp_path / "v.txt"
    assert run(capsys, "vectors", "exp2_hif8", "-o", str(f))[0] == 0
    lines = f.read_text().splitlines()
    assert len(lines) == 257
    rows = {line.split()[0]: k for k, line in enumerate(lines[1:], start=1)}
    assert sorted(rows) == [f"{c:02X}" for c in range(256)]     # every code once
    assert lines[rows["08"]] == f"08 {exp2_reference('hif8', 'fp16')[0x08]:04X}"
    code, out, _ = run(capsys, "check-vectors", str(f))
    assert code == 0 and "256 agree with the golden model, 0 differ" in out
    lines[rows["10"]] = "10 0000"                    # corrupt one expected value
    f.write_text("\n".join(lines) + "\n")
    code, out, _ = run(capsys, "check-vectors", str(f))
    assert code == 1 and "255 agree with the golden model, 1 differ" in out


@pytest.mark.parametrize("argv,message", [
    (["generate", "exp2_foo", "-o", "x"], "unknown design 'exp2_foo'; allowed: baps_datapath, e4m3_pcast_datapath, exp2_code"),
    (["generate", "exp2_hif8", "-p", "impl=rom", "-o", "x"],
     "exp2_hif8: impl='rom' is not allowed; allowed: table, split"),
    (["generate", "exp2_hif8", "-p", "depth=3", "-o", "x"],
     "unknown parameter 'depth' for design exp2_hif8; allowed: out_format, impl, stages"),
    (["generate", "exp2_fp16", "-p", "impl", "-o", "x"], "parameter 'impl' is not of the form name=value"),
    (["regress", "--sim", "vcs"], "argument --sim: invalid choice: 'vcs' (choose from "),
    (["hif8", "decode", "0x100"], "HiF8 code '0x100' is out of range; allowed: 0..255"),
    (["hif8", "decode", "zz"], "HiF8 code 'zz' is not an integer"),
    (["hif8", "encode", "1.5x"], "value '1.5x' is not a number"),
    (["hif8", "encode", "20", "--rounding", "hr"], "--rounding hr needs --random R"),
    (["hif8", "encode", "20", "--rounding", "hr", "--random", "300"],
     "random value 300 is out of range; allowed: 0..255"),
    (["check-vectors", "/nonexistent/v.txt"], "cannot read vector file '/nonexistent/v.txt'"),
    (["area", "--lib", "tsmc7"], "--lib 'tsmc7' is not a library; allowed: generic, osu018, sky130 (or --liberty FILE)"),
    (["area", "--liberty", "/nonexistent/mine.lib"], "--liberty /nonexistent/mine.lib: no such file"),
    (["area", "--liberty", "pyproject.toml"], "--liberty pyproject.toml: line 1: not a Liberty library"),
    (["compare", "--rtl", "pyproject.toml", "--top", "x"],
     "--rtl in compare needs --as DATAPATH (the stream it speaks)"),
    (["compare", "--designs", "fp32_datapath"], "unknown design 'fp32_datapath'"),
    (["area", "exp2_bf16"], "unknown design 'exp2_bf16'; allowed: baps_datapath, e4m3_pcast_datapath, exp2_code"),
    (["area", "--jobs", "0"], "--jobs 0: allowed: 1 or more"),
    (["hccs-calibrate", "--samples", "0"], "--samples 0: allowed: 1 or more"),
    (["regress", "hccs_datapath", "-p", "reciprocal=newton"],
     "hccs_datapath: reciprocal='newton' is not allowed; allowed: exact, pow2"),
])
def test_bad_input_is_one_line_with_exit_code_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exc_info:
        code = main(argv)
        raise SystemExit(code)
    out, err = capsys.readouterr()
    assert exc_info.value.code == 2
    assert message in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize("content,message", [
    ("", "v.txt:1: missing header"),
    ("#baps-rtl-vectors {bad json\n", "v.txt:1: header is not valid JSON"),
    ('#baps-rtl-vectors {"version": 9}\n', "header version 9 is not supported; allowed: 2"),
    ('#baps-rtl-vectors {"version": 2, "in_width": 8, "out_width": 16, "count": 1}\n00\n',
     "v.txt:2: expected 2 hex fields"),
    ('#baps-rtl-vectors {"version": 2, "in_width": 8, "out_width": 16, "count": 1}\n100 0000\n',
     "v.txt:2: input 0x100 does not fit 8 bits"),
    ('#baps-rtl-vectors {"version": 2, "in_width": 8, "out_width": 16, "count": 2}\n00 0000\n',
     "header says count=2 but the file has 1 vectors"),
    ('#baps-rtl-vectors {"version": 2, "in_width": 8, "out_width": 16, "count": 0, "design": "x"}\n',
     "unknown design 'x'"),
])
def test_malformed_vector_files_are_named(tmp_path, capsys, content, message):
    f = tmp_path / "v.txt"
    f.write_text(content)
    code, _, err = run(capsys, "check-vectors", str(f))
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err


def test_hif8_lookup_agrees_with_en_dtypes(capsys):
    code, out, _ = run(capsys, "hif8", "decode", "0x6E", "8", "0x01", "0x80")
    assert code == 0
    assert out.splitlines() == ["0x6E 32768.0 normal E=15 M=0", "0x08 1.0 normal E=0 M=000",
                                "0x01 2.384185791015625e-07 denormal E=-22", "0x80 nan nan"]
    values = ["3.3", "-1e-9", "40960", "-inf", "0.0703125"]
    code, out, _ = run(capsys, "hif8", "encode", *values)
    theirs = np.array([float(v) for v in values], dtype=np.float32).astype(hifloat8).view(np.uint8)
    assert [line.split()[2] for line in out.splitlines()] == [f"0x{c:02X}" for c in theirs]
    code, out, _ = run(capsys, "hif8", "encode", "-40000", "--saturate")
    assert out.strip() == "-40000 -> 0xEE (-32768.0)"


def test_console_script_is_installed():
    script = str(Path(sys.executable).parent / "baps-rtl")
    out = subprocess.run([script, "hif8", "decode", "0x18"],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "0x18 0.5 normal E=-1 M=000"
    bad = subprocess.run([script, "generate", "nope", "-o", "x"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr


@pytest.mark.parametrize("argv,message", [
    (["--lanes", "3"], "--lanes 3 is not allowed; allowed: even integers 2..32"),
    (["--lanes", "0"], "--lanes 0 is not allowed; allowed: even integers 2..32"),
    (["--period", "0"], "--period 0 is not allowed; allowed: a clock period in ns"),
    (["--period", "-2.5"], "--period -2.5 is not allowed; allowed: a clock period in ns"),
])
def test_compare_rejects_bad_values_by_name(tmp_path, capsys, argv, message):
    code, out, err = run(capsys, "compare", "-o", str(tmp_path), *argv)
    assert code == 2 and message in err and out == ""


@pytest.mark.parametrize("argv,message", [
    (["--lanes", "3"], "--lanes 3 is not allowed; allowed: even integers 2..32"),
    (["--jobs", "0", "--only", "baps_hif8_hif8"], "--jobs 0: allowed: 1 or more"),
    (["--only", "nope"], "nope: not a row of the code table; allowed: baps_hif8_hif8"),
    (["--accuracy", "missing.json"], "--accuracy missing.json: cannot read it (No such file"),
])
def test_codes_rejects_bad_values_by_name(tmp_path, capsys, argv, message):
    code, out, err = run(capsys, "codes", "-o", str(tmp_path), *argv)
    assert code == 2 and message in err and "Traceback" not in err


def test_area_period_needs_osu018(tmp_path, capsys):
    code, _, err = run(capsys, "area", "exp2_hif8", "--period", "5", "-o", str(tmp_path))
    assert code == 2
    assert "--period needs a library with timing and a buffer cell; 'generic' has no timing; allowed: --lib osu018" in err
