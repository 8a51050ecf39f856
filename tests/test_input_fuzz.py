"""Every input a user can give fails cleanly: mutated and random vector files, parameters (the
command line's ``name=value`` and the Python API's values) and the JSON files passed back in
(``--accuracy``, ``--areas-from``) either work or end in one ``UsageError`` line naming the input
(exit 2 on the command line), never a traceback. Hypothesis draws a fixed number of examples
from a fixed seed (``derandomize``), so a run is repeatable."""

import json
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from baps_rtl.cli import main
from baps_rtl.designs import DESIGNS, Config
from baps_rtl.designs.errors import UsageError
from baps_rtl.designs.registry import parse_params
from baps_rtl.designs.vectors import read_vectors, write_vectors
from baps_rtl.golden.schemes import SCHEMES
from baps_rtl.sim.runner import vector_header
from baps_rtl.synth import codes
from baps_rtl.synth.compare import accuracy_of, load_accuracy

FUZZ = settings(max_examples=60, derandomize=True, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=6)


@st.composite
def mutated_bytes(draw, data: bytes) -> bytes:
    """``data`` truncated, with bytes flipped, inserted or deleted, or replaced by random bytes."""
    kind = draw(st.sampled_from(["truncate", "flip", "insert", "delete", "random"]))
    if kind == "random":
        return draw(st.binary(max_size=300))
    at = draw(st.integers(0, len(data)))
    if kind == "truncate":
        return data[:at]
    if kind == "flip":
        n = draw(st.integers(1, 4))
        out = bytearray(data)
        for k in draw(st.lists(st.integers(0, len(data) - 1), min_size=n, max_size=n)):
            out[k] = draw(st.integers(0, 255))
        return bytes(out)
    if kind == "insert":
        return data[:at] + draw(st.binary(min_size=1, max_size=12)) + data[at:]
    return data[:at] + data[at + draw(st.integers(1, 40)):]


@st.composite
def mutated_json(draw, doc):
    """``doc`` with one field replaced by a random JSON value, or deleted."""
    doc = json.loads(json.dumps(doc))
    parent, key = None, None
    node = doc
    while isinstance(node, (dict, list)) and node and draw(st.booleans()):
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        parent, key = node, draw(st.sampled_from(keys))
        node = node[key]
    if parent is None:
        return draw(JSON_VALUES)
    if isinstance(parent, dict) and draw(st.booleans()):
        del parent[key]
    else:
        parent[key] = draw(JSON_VALUES)
    return doc


def _one_clean_line(capsys, path) -> None:
    """The command line's refusal: exactly one line, naming the file."""
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("baps-rtl: error: ") and str(path) in err[0], err


# ---- vector files ---------------------------------------------------------------------------

def _vector_file(design: str, values: dict, count: int) -> bytes:
    config = Config.of(design, values)
    inputs = config.stimulus(1)[:count]
    with tempfile.TemporaryDirectory() as tmp:
        path = write_vectors(Path(tmp) / "v.txt", vector_header(config), inputs,
                             config.expected(inputs))
        return path.read_bytes()


VECTOR_FILES = {"unit": _vector_file("exp2_hif8", {}, 12),          # 12 input codes
                # one whole tile: 4 blocks of one row, two beats each
                "datapath": _vector_file("baps_datapath", {"br": 1, "bc": 4, "lanes": 2}, 8)}


def _check_vectors_cli(data: bytes, capsys) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vectors.txt"
        path.write_bytes(data)
        code = main(["check-vectors", str(path)])
        if code == 2:
            _one_clean_line(capsys, path)
        else:
            assert code in (0, 1)
            capsys.readouterr()
    return code


@pytest.mark.parametrize("kind", sorted(VECTOR_FILES))
@FUZZ
@given(data=st.data())
def test_mutated_vector_files_fail_cleanly(kind, data, capsys):
    _check_vectors_cli(data.draw(mutated_bytes(VECTOR_FILES[kind])), capsys)


@FUZZ
@given(header=mutated_json(json.loads(VECTOR_FILES["unit"].split(b"\n")[0][18:])))
def test_vector_headers_with_any_values_fail_cleanly(header, capsys):
    body = b"\n".join(VECTOR_FILES["unit"].split(b"\n")[1:])
    _check_vectors_cli(b"#baps-rtl-vectors " + json.dumps(header).encode() + b"\n" + body, capsys)


def test_the_fuzzed_checks_can_fail(capsys):
    """The valid files pass (exit 0), and the first line of the issue's traceback, a byte that is
    not UTF-8, is one line naming the file and its line."""
    for data in VECTOR_FILES.values():
        assert _check_vectors_cli(data, capsys) == 0
    lines = VECTOR_FILES["unit"].split(b"\n")
    broken = b"\n".join([lines[0], b"\xff" + lines[1][1:], *lines[2:]])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v.txt"
        path.write_bytes(broken)
        with pytest.raises(UsageError, match=r"v.txt:2: byte 0xFF \(offset \d+\) is not UTF-8"):
            read_vectors(path)
    assert _check_vectors_cli(broken, capsys) == 2


@pytest.mark.parametrize("token", ["-1", "+1", "0x1", "1_0", "٣"])
def test_hex_fields_are_only_hex_digits(token, tmp_path):
    """``int(token, 16)`` takes a sign, a 0x prefix, underscores and non-ASCII digits: a
    negative input once reached the simulator."""
    lines = VECTOR_FILES["unit"].decode().split("\n")
    lines[1] = f"{token} {lines[1].split()[1]}"
    path = tmp_path / "v.txt"
    path.write_text("\n".join(lines))
    with pytest.raises(UsageError, match=re.escape(f"v.txt:2: input '{token}' is not hexadecimal")):
        read_vectors(path)


# ---- parameters ------------------------------------------------------------------------------

@FUZZ
@given(design=st.sampled_from(sorted(DESIGNS)), data=st.data())
def test_any_parameter_text_is_parsed_or_refused_by_name(design, data):
    names = sorted(DESIGNS[design].params.SPEC)
    key = data.draw(st.sampled_from(names) | st.text(max_size=6).filter(lambda k: "=" not in k))
    text = data.draw(st.text(max_size=8) | st.integers(-2**70, 2**70).map(str)
                     | st.floats().map(str))
    try:
        parse_params(DESIGNS[design], [f"{key}={text}"])
    except UsageError as exc:
        assert "\n" not in str(exc) and (f"{key}=" in str(exc) or repr(key) in str(exc)), exc


@FUZZ
@given(design=st.sampled_from(sorted(DESIGNS)), data=st.data())
def test_any_python_value_is_accepted_or_refused_by_name(design, data):
    names = sorted(DESIGNS[design].params.SPEC)
    values = data.draw(st.dictionaries(st.sampled_from(names) | st.text(max_size=5), JSON_VALUES,
                                       max_size=3))
    try:
        config = Config.of(design, values)
    except UsageError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(f"{DESIGNS[design].name}: "), exc
    else:
        assert config.params.as_dict()


# ---- JSON files passed back in ---------------------------------------------------------------

def _accuracy_doc() -> dict:
    shown = sorted(SCHEMES)
    return {"sink": [{"method": s, "order": "forward", "delta": d, "length": 64, "mse": 1e-3 * k}
                     for k, s in enumerate(shown, 1) for d in (4, 8)],
            "model": {"variants": {s: {"cos_mean": 0.999, "top10_agreement": 0.99,
                                       "layers": [{"kl_mean": 1e-4}, {"kl_mean": 2e-4}]}
                                   for s in shown},
                      "passages": {"bcs": [64, 128], "variants": {
                          s: {"bc": {"64": {"cos_mean": 0.99, "topk_agreement": 0.98}}}
                          for s in shown}}}}


def _loaded_or_one_line(data: bytes, filename: str, load, flag: str):
    """``load`` of a file holding ``data``: (its result, the file's path), or (None, the path)
    after checking that the error is one UsageError line naming ``flag`` and the file."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / filename
        path.write_bytes(data)
        try:
            return load(path), path
        except UsageError as exc:
            assert str(exc).startswith(f"{flag} {path}: ") and "\n" not in str(exc), exc
            return None, path


def _read_accuracy(data: bytes) -> None:
    accuracy, _ = _loaded_or_one_line(data, "accuracy.json", load_accuracy, "--accuracy")
    if accuracy is not None:
        for scheme in SCHEMES:
            accuracy_of(scheme, accuracy)
        codes.accuracy_columns(scheme, accuracy)


@FUZZ
@given(doc=mutated_json(_accuracy_doc()))
def test_accuracy_json_of_any_shape_is_read_or_refused(doc):
    _read_accuracy(json.dumps(doc).encode())


@FUZZ
@given(data=st.data())
def test_accuracy_json_bytes_are_read_or_refused(data):
    _read_accuracy(data.draw(mutated_bytes(json.dumps(_accuracy_doc()).encode())))


def _codes_doc() -> dict:
    rows = codes.code_rows(4)
    return {"library": "generic", "lanes": 4, "rows": [
        {**codes._identity(r), "total_ge": 3000.0 + k, "matrix_ge": 1000.0, "link_ge": 500.0,
         "vector_ge": 1500.0 + k, "vector_ge_per_lane": 375.0 + k / 4,
         "exp2_ge": None if r.score_format is None else {"table": 80.0, "split": 90.0}}
        for k, r in enumerate(rows)]}


@settings(FUZZ, max_examples=25)
@given(doc=mutated_json(_codes_doc()))
def test_areas_from_of_any_shape_is_used_or_refused(doc, tmp_path):
    path = tmp_path / "codes-in.json"
    path.write_text(json.dumps(doc))
    try:
        result = codes.run_codes(tmp_path / "out", _accuracy_doc(), areas_from=path)
    except UsageError as exc:
        assert str(exc).startswith(f"--areas-from {path}: ") and "\n" not in str(exc), exc
    else:
        assert len(result["rows"]) == len(codes.code_rows(4))


def test_the_json_checks_can_fail(tmp_path):
    """The valid documents are read; a wrong type deep inside is named by its field."""
    _read_accuracy(json.dumps(_accuracy_doc()).encode())
    doc = _accuracy_doc()
    doc["sink"][3]["mse"] = "small"
    path = tmp_path / "accuracy.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(UsageError, match=r"field sink\[3\]\.mse: 'small' is not of type"):
        load_accuracy(path)
    good = tmp_path / "codes-in.json"
    good.write_text(json.dumps(_codes_doc()))
    assert len(codes.run_codes(tmp_path / "out", None, areas_from=good)["rows"]) > 10


def _small_liberty() -> bytes:
    from baps_rtl.synth.cells import write_liberty
    with tempfile.TemporaryDirectory() as tmp:
        return write_liberty(Path(tmp) / "generic.lib").read_bytes()


LIBERTY = _small_liberty()


@FUZZ
@given(content=mutated_bytes(LIBERTY))
def test_mutated_liberty_files_load_or_fail_in_one_line(content):
    """``--liberty FILE`` with a mutated copy of a valid Liberty: it loads (a library with a
    NAND2 area) or ends in one UsageError line naming the file."""
    from baps_rtl.synth.libraries import user_library
    lib, path = _loaded_or_one_line(content, "mine.lib", user_library, "--liberty")
    if lib is not None:
        assert lib.nand2_area > 0 and lib.liberty == path.resolve()


@FUZZ
@given(grid=st.lists(st.text(max_size=24) | st.sampled_from(
    ["impl=table,split", "stages=0,1,2", "in_format=hif8,e4m3", "stages=-1", "impl=", "=x",
     "out_format=fp16,,hif8", "stages=9999", "impl=table,table", "impl=,", "stages=,"]),
    max_size=4),
    design=st.sampled_from(sorted(DESIGNS)))
def test_any_sweep_grid_gives_points_or_one_line(grid, design):
    """``baps-rtl sweep DESIGN --grid …`` with any grid text: points whose every configuration
    is valid, or one UsageError line."""
    from baps_rtl.synth.libraries import get_library
    from baps_rtl.synth.sweep import parse_grid, sweep_points
    with tempfile.TemporaryDirectory() as tmp:
        lib = get_library("generic", Path(tmp))
        try:
            points = sweep_points(design, parse_grid(design, grid), [], [lib], [None])
        except UsageError as err:
            assert "\n" not in str(err) and str(err)
        else:
            assert points and all(isinstance(p.config, Config) for p in points)
